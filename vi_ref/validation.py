"""Input validation shared by every module: bad input is refused at the boundary.

Every public function of vi_ref converts its inputs with these helpers, so that a
wrong type raises ``TypeError`` and a wrong value raises ``ValueError`` whose message
names the argument and says what was wrong (and where, for arrays) — never a silent
NaN and never an ``IndexError`` from deep inside.
"""

import operator

import numbers

import numpy as np

# The largest array (in float64 entries, 2 GiB) that a count argument may ask for:
# a request above it is refused naming the argument, instead of failing deep inside
# with a MemoryError or running for days (docs/validation-policy.md, "huge n").
MAX_ELEMENTS = 1 << 28

__all__ = [
    "MAX_ELEMENTS",
    "as_float_array",
    "as_generator",
    "check_count",
    "check_flag",
    "check_instance",
    "check_methods",
    "check_size",
    "check_tolerance",
    "check_positive",
    "check_probability_vector",
    "first_bad_index",
]


def first_bad_index(bad):
    """Describe the first ``True`` entry of a boolean array, e.g. ``" at index (1, 2)"``."""
    bad = np.asarray(bad)
    if bad.ndim == 0:
        return ""
    index = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), bad.shape))
    return f" at index {index[0] if len(index) == 1 else index}"


def _describe(value, array):
    """What a refused value is, in a few words: ``str 'abc'``, ``None``, or an
    array's dtype."""
    if isinstance(value, np.ndarray):
        return f"an array of dtype {array.dtype}"
    if isinstance(value, np.generic):
        return f"a NumPy scalar of dtype {array.dtype}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} that converts to dtype {array.dtype}"
    if value is None:
        return "None"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def as_float_array(value, name, *, finite=True, ndim=None, min_ndim=None):
    """Convert ``value`` to a float64 ndarray, refusing what cannot be one.

    Args:
        value: anything ``np.asarray`` accepts as real numbers.
        name: the argument's name, used in error messages.
        finite: if true, NaN and ±inf raise ``ValueError``.
        ndim: required number of dimensions, if given.
        min_ndim: minimum number of dimensions, if given.

    Returns:
        ``np.ndarray`` of dtype float64 (a copy only when conversion requires one).

    Raises:
        TypeError: for strings, ``None``, objects, complex numbers and booleans
            (``True`` is a flag, not the number 1).
        ValueError: for non-finite entries (when ``finite``) or a wrong ``ndim``.
    """
    try:
        array = np.asarray(value)
    except ValueError as error:  # a ragged nested list: rows of different lengths
        raise ValueError(f"{name} must be a rectangular array of real numbers ({error})") from None
    # kinds i, u, f: booleans (kind b) are refused with strings and objects
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be real numbers; got {_describe(value, array)}")
    array = array.astype(float, copy=False)
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional; got shape {array.shape}")
    if min_ndim is not None and array.ndim < min_ndim:
        raise ValueError(
            f"{name} must have at least {min_ndim} dimension(s); got shape {array.shape}"
        )
    if finite:
        bad = ~np.isfinite(array)
        if bad.any():
            raise ValueError(
                f"{name} must be finite; got {array[bad].flat[0]}{first_bad_index(bad)}"
            )
    return array


def check_positive(array, name):
    """Raise ``ValueError`` unless every entry of ``array`` is strictly positive."""
    bad = ~(array > 0)
    if np.any(bad):
        raise ValueError(
            f"{name} must be positive; got {np.asarray(array)[bad].flat[0]}"
            f"{first_bad_index(bad)}"
        )
    return array


def check_probability_vector(probs, name, *, axis=-1, rtol=1e-10):
    """Raise ``ValueError`` unless ``probs`` is non-negative and sums to 1 along ``axis``."""
    # comparisons written so that NaN, for which every comparison is false, fails them
    negative = ~(probs >= 0)
    if np.any(negative):
        raise ValueError(
            f"{name} must be non-negative; got {probs[negative].flat[0]}"
            f"{first_bad_index(negative)}"
        )
    totals = probs.sum(axis=axis)
    off = ~(np.abs(totals - 1.0) <= rtol * probs.shape[axis])
    if np.any(off):
        raise ValueError(
            f"{name} must sum to 1 along axis {axis};"
            f" got {float(np.asarray(totals)[off].flat[0]):.17g}{first_bad_index(off)}"
        )
    return probs


def check_count(n, name, *, minimum=0):
    """Return ``n`` as an ``int`` after checking it is an integer >= ``minimum``."""
    if isinstance(n, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer; got bool")
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"{name} must be an integer; got {type(n).__name__}") from None
    if n < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {n}")
    return n


def check_flag(value, name):
    """Return ``value`` as a ``bool`` if it is one (Python or NumPy); else TypeError.

    A flag such as ``keepdims="no"`` would otherwise be read as true."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def check_methods(value, name, methods, description, *, attributes=()):
    """Raise ``TypeError`` naming ``name`` unless ``value`` has every callable in
    ``methods`` and every attribute in ``attributes`` (e.g. a model passed as
    ``None``); return ``value``."""
    missing = [method for method in methods if not callable(getattr(value, method, None))]
    missing += [attribute for attribute in attributes if not hasattr(value, attribute)]
    if missing:
        raise TypeError(
            f"{name} must be {description} (with {', '.join((*methods, *attributes))}); got {type(value).__name__}"
            f" without {', '.join(missing)}"
        )
    return value


def check_instance(value, name, cls, description):
    """Raise ``TypeError`` naming ``name`` unless ``value`` is an instance of ``cls``,
    which the message calls ``description`` (e.g. q passed as a string); return ``value``."""
    if not isinstance(value, cls):
        raise TypeError(f"{name} must be {description}; got {type(value).__name__}")
    return value


def check_size(count, name, *, per_unit=1):
    """Refuse a count whose result would hold more than ``MAX_ELEMENTS`` entries
    (``count * per_unit`` of them); return ``count``."""
    if count * per_unit > MAX_ELEMENTS:
        raise ValueError(
            f"{name} = {count} asks for {count * per_unit:.3g} values, more than the"
            f" {MAX_ELEMENTS:.3g} (2 GiB of float64) one call may allocate"
        )
    return count


def check_tolerance(value, name, *, allow_zero=True):
    """A finite real tolerance ≥ 0 (> 0 unless ``allow_zero``) as a ``float``."""
    value = as_float_array(value, name, ndim=0)
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else 'positive'}; got {float(value)}")
    return float(value)


def as_generator(rng, name="rng"):
    """Normalise ``rng`` (Generator, int seed, SeedSequence or None) as SPEC 7 asks.

    A boolean is refused: ``rng=True`` is a mistake, not the seed 1. A seed of a
    wrong type is a TypeError, a negative one a ValueError, as in NumPy; both name
    the argument ``name`` (``random_state`` for scikit-learn's spelling)."""
    if isinstance(rng, (bool, np.bool_)):
        raise TypeError(f"{name} must be a numpy.random.Generator, an integer seed or None; got bool {rng!r}")
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError) as error:
        # a seed of the right type but a wrong value (negative) is a ValueError
        wrong_value = isinstance(error, ValueError) and isinstance(rng, (numbers.Integral, np.ndarray, list, tuple))
        raise (ValueError if wrong_value else TypeError)(
            f"{name} must be a numpy.random.Generator, an integer seed (>= 0) or None; got {rng!r}"
        ) from error
