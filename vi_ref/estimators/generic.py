"""Monte Carlo estimators of ∇_φ E_{q_φ}[f(z)] (derivation 05).

Score function (REINFORCE, the log-derivative trick), for every family:

    ∇_φ E_q[f(z)] = E_q[f(z) ∇_φ log q_φ(z)] ≈ (1/n) Σₛ (f(zₛ) − b) ∇_φ log q_φ(zₛ)

(any baseline b independent of zₛ keeps it unbiased, since E_q[∇_φ log q_φ] = 0).

Reparameterisation (pathwise), for the families with z = T(ε, φ), ε ~ b(ε):

    ∇_φ E_q[f(z)] = E_b[∇_φ f(T(ε, φ))] = E_b[(∂T/∂φ)ᵀ ∇_z f(z)]

Both return *per-sample terms*: a dict parameter name → array (n, *parameter shape)
whose mean over axis 0 is the estimate, so that its variance and standard error come
from the same call (``mean_and_standard_error``).
"""

import numbers

import numpy as np

from .. import autodiff as ad
from ..distributions import Distribution, ReparameterizedDistribution
from ..numerics import sample_mean, standard_error_of_mean, sum_to_shape
from ..validation import as_float_array, as_generator, check_count, check_instance, first_bad_index

__all__ = [
    "score_function_gradient",
    "reparameterization_gradient",
    "mean_and_standard_error",
    "BASELINES",
]

BASELINES = ("leave_one_out", "optimal")


# ---------------------------------------------------------------------------
# Checks at the boundary
# ---------------------------------------------------------------------------


def check_distribution(q):
    """``q`` unchanged if it is a ``vi_ref.distributions.Distribution`` (the
    estimators draw from it with ``sample`` and differentiate its ``log_prob``); a
    TypeError naming q and its type otherwise (q passed as a string, an array, a
    SciPy frozen distribution)."""
    return check_instance(q, "q", Distribution, "a vi_ref.distributions distribution")


def is_reparameterizable(q):
    """Whether q is a family with a reparameterisation z = T(ε, φ), ε ~ b(ε) (a
    ``ReparameterizedDistribution``: ``rsample`` and the VJP ``transform_vjp``)."""
    return isinstance(q, ReparameterizedDistribution)


def _public_subclass_names(family):
    """The names of the public subclasses of ``family`` (theirs too, depth first, in
    the order they were defined): for ``ReparameterizedDistribution``, the families
    the pathwise estimator can use, read from the classes so that no list drifts."""
    names = []
    for subclass in family.__subclasses__():
        if not subclass.__name__.startswith("_"):
            names.append(subclass.__name__)
        names += _public_subclass_names(subclass)
    return list(dict.fromkeys(names))


def check_reparameterizable(q):
    """``q`` unchanged if the pathwise (reparameterisation) estimator can use it: a
    distribution (``check_distribution``) that ``is_reparameterizable``. A TypeError
    otherwise, which for a distribution without z = T(ε, φ) (Gamma, Categorical)
    lists the families that have one and points to the score function estimator."""
    check_distribution(q)
    if not is_reparameterizable(q):
        families = ", ".join(_public_subclass_names(ReparameterizedDistribution))
        raise TypeError(
            f"q must be reparameterisable ({families})"
            f" for the pathwise estimator; {type(q).__name__} has no z = T(eps, phi):"
            " use the score function estimator"
        )
    return q


def check_callable(function, name):
    """``function`` unchanged if it is callable (the integrand f, its gradient
    f_grad); a TypeError naming ``name`` and the type it got otherwise."""
    if not callable(function):
        raise TypeError(f"{name} must be callable; got {type(function).__name__}")
    return function


def check_values(values, n, name="f"):
    """``values`` as a float array (n,) of finite numbers, or a ValueError naming ``name``."""
    array = np.asarray(ad.value_of(values))
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must return real numbers; got dtype {array.dtype}")
    array = array.astype(float, copy=False)
    if array.shape != (n,):
        raise ValueError(f"{name} must return one value per sample, shape ({n},); got shape {array.shape}")
    bad = ~np.isfinite(array)
    if bad.any():
        raise ValueError(f"{name} must return finite values; got {array[bad][0]}{first_bad_index(bad)}")
    return array


def per_sample_parameter_terms(q, per_value):
    """Reduce per-value arrays (n, *batch_shape, *parameter event shape) to
    (n, *parameter shape): a parameter broadcast over the batch receives, within each
    sample, the sum over the entries it was copied to."""
    result = {}
    for name, terms in per_value.items():
        shape = np.shape(getattr(q, name))
        padded = (1,) * (terms.ndim - 1 - len(shape)) + tuple(shape)
        result[name] = sum_to_shape(terms, (terms.shape[0],) + padded).reshape((terms.shape[0],) + shape)
    return result


def _broadcast_over(weights, array):
    """(n, *w) weights with unit axes appended to multiply ``array`` (n, *w, ...)."""
    return weights.reshape(weights.shape + (1,) * (array.ndim - weights.ndim))


# ---------------------------------------------------------------------------
# Score function
# ---------------------------------------------------------------------------


def score_function_gradient(f, q, n, rng=None, *, baseline=None):
    """Per-sample score-function terms of ∇_φ E_q[f(z)] (derivation 05, §1–§3).

        gₛ = (f(zₛ) − bₛ) ∇_φ log q_φ(zₛ),   zₛ ~ q,   estimate = (1/n) Σₛ gₛ

    Args:
        f: maps samples z of shape (n, *q.batch_shape, *q.event_shape) to (n,) finite
            values (a batched q is read as one joint distribution of independent parts).
        q: any ``vi_ref.distributions`` family (Categorical included).
        n: number of samples (≥ 1; ≥ 2 for the estimated baselines).
        rng: Generator, int seed or None.
        baseline: the control variate b subtracted from f:
            None — b = 0;
            a real number — a constant b (unbiased for any constant);
            a dict parameter name → array broadcasting to that parameter's shape — a
                constant b per parameter coordinate;
            ``"leave_one_out"`` — bₛ = mean of f over the other n − 1 samples,
                independent of zₛ, so unbiased;
            ``"optimal"`` — per parameter coordinate j the variance-minimising constant
                c*ⱼ = E[f gⱼ²]/E[gⱼ²] (g = ∇ log q, E[g] = 0), estimated from the same
                samples: ĉⱼ = Σₛ fₛ gₛⱼ² / Σₛ gₛⱼ². Using the samples twice biases the
                estimate by −(1/n) E[(f − c*) gⱼ³]/E[gⱼ²] + O(1/n²) (derivation 05, §3).

    Returns:
        dict parameter name of q → array (n, *parameter shape) of per-sample terms.

    Raises:
        TypeError: for f not callable, a q that is not a distribution, or n not an integer.
        ValueError: for n too small, f returning the wrong shape or non-finite values,
            an unknown baseline name or a baseline of the wrong shape.
    """
    check_callable(f, "f")
    check_distribution(q)
    estimated = isinstance(baseline, str)
    n = check_count(n, "n", minimum=2 if estimated else 1)
    z = q.sample(n, as_generator(rng))
    values = check_values(f(z), n)
    scores = per_sample_parameter_terms(q, q.log_prob_grad(z))
    return {name: _score_terms(values, score, _baseline_for(baseline, name, values, score, q))
            for name, score in scores.items()}


def _score_terms(values, score, baseline):
    centred = _broadcast_over(values, score) - baseline
    return centred * score


def _baseline_for(baseline, name, values, score, q):
    """The baseline for one parameter: 0, a constant, or an array broadcasting with
    its per-sample score terms (n, *parameter shape)."""
    if baseline is None:
        return 0.0
    if isinstance(baseline, str):
        if baseline == "leave_one_out":
            others = (np.sum(values) - values) / (values.shape[0] - 1)
            return _broadcast_over(others, score)
        if baseline == "optimal":
            return optimal_coefficient(values, score)
        raise ValueError(f"baseline must be None, a number, a dict, or one of {BASELINES}; got {baseline!r}")
    if isinstance(baseline, dict):
        unknown = set(baseline) - set(q.parameter_names)
        if unknown:
            raise ValueError(f"baseline names {sorted(unknown)}, which are not parameters of q {q.parameter_names}")
        if name not in baseline:
            return 0.0
        return _constant_baseline(baseline[name], f"baseline[{name!r}]", score.shape[1:])
    return _constant_baseline(baseline, "baseline", ())


def _constant_baseline(value, what, shape):
    if isinstance(value, (bool, np.bool_)) or not (isinstance(value, numbers.Real) or isinstance(value, np.ndarray)):
        raise TypeError(f"{what} must be a real number or an array; got {type(value).__name__}")
    array = np.asarray(value, dtype=float)
    try:
        if np.broadcast_shapes(array.shape, shape) != tuple(shape):
            raise ValueError
    except ValueError:
        raise ValueError(f"{what} must broadcast to shape {tuple(shape)}; got shape {array.shape}") from None
    bad = ~np.isfinite(array)
    if bad.any():
        raise ValueError(f"{what} must be finite; got {array[bad].flat[0]}{first_bad_index(bad)}")
    return array


def optimal_coefficient(values, score):
    """ĉⱼ = Σₛ fₛ gₛⱼ² / Σₛ gₛⱼ², the sample estimate of the variance-minimising constant
    baseline c*ⱼ = E[f gⱼ²]/E[gⱼ²] of the score-function term (f − c) gⱼ, whose variance
    E[(f − c)² gⱼ²] − (∇ⱼ)² is a parabola in c. A coordinate whose score vanished on
    every sample gets ĉ = 0 (its terms are 0 whatever c is)."""
    squared = score**2
    denominator = np.sum(squared, axis=0)
    numerator = np.sum(_broadcast_over(values, squared) * squared, axis=0)
    return np.divide(numerator, denominator, out=np.zeros_like(denominator), where=denominator > 0)


# ---------------------------------------------------------------------------
# Reparameterisation
# ---------------------------------------------------------------------------


def reparameterization_gradient(f, q, n, rng=None, *, f_grad=None):
    """Per-sample pathwise terms of ∇_φ E_q[f(z)] (derivation 05, §4):

        gₛ = (∂T/∂φ)ᵀ ∇_z f(zₛ),   zₛ = T(εₛ, φ),   εₛ ~ b(ε)

    The vector–Jacobian product is the family's hand-written ``transform_vjp``;
    ∇_z f is ``f_grad(z)``, or, when ``f_grad`` is None, the gradient of Σₛ f(zₛ) by
    ``vi_ref.autodiff`` — the per-sample gradients, because f acts on each sample alone.

    Args:
        f: maps z of shape (n, *q.batch_shape, *q.event_shape) to (n,) finite values;
            written with ``vi_ref.autodiff`` functions when ``f_grad`` is None.
        q: a reparameterisable family (Normal, MultivariateNormal, Exponential, LogNormal).
        n: number of samples ≥ 1. rng: Generator, int seed or None.
        f_grad: optional, maps z to ∇_z f(z) of z's shape.

    Returns:
        dict parameter name of q → array (n, *parameter shape) of per-sample terms.

    Raises:
        TypeError: for f or f_grad not callable, a q that is not reparameterisable
            (Gamma, Categorical).
        ValueError: for n ≤ 0, f or f_grad returning the wrong shape or non-finite values.
    """
    check_callable(f, "f")
    if f_grad is not None:
        check_callable(f_grad, "f_grad")
    check_reparameterizable(q)
    n = check_count(n, "n", minimum=1)
    z, eps = q.rsample(n, as_generator(rng))
    if f_grad is None:
        _, gradient = value_and_gradient(f, z)
    else:
        gradient = _check_gradient(f_grad(z), z.shape)
    return q.transform_vjp(eps, gradient)


def value_and_gradient(f, z, name="f"):
    """(f(z) of shape (n,), ∇_z Σₛ f(zₛ) of z's shape) by ``vi_ref.autodiff``, with the
    values checked like ``check_values``."""
    checked = {}

    def total(tensor):
        values = f(tensor)
        checked["values"] = check_values(values, z.shape[0], name)
        return ad.sum(values)

    _, gradient = ad.value_and_grad(total)(z)
    return checked["values"], _check_gradient(gradient, z.shape, name=f"the gradient of {name}")


def _check_gradient(gradient, shape, name="f_grad"):
    array = np.asarray(ad.value_of(gradient))
    if array.dtype.kind not in "iuf":  # a complex part would be dropped, a string or bool is a mistake
        raise TypeError(f"{name} must return real numbers; got dtype {array.dtype}")
    array = array.astype(float)
    if array.shape != shape:
        raise ValueError(f"{name} must return one gradient per sample, shape {shape}; got shape {array.shape}")
    bad = ~np.isfinite(array)
    if bad.any():
        raise ValueError(f"{name} must return finite values; got {array[bad][0]}{first_bad_index(bad)}")
    return array


# ---------------------------------------------------------------------------
# From per-sample terms to an estimate
# ---------------------------------------------------------------------------


def mean_and_standard_error(terms, axis=0):
    """The Monte Carlo estimate and its standard error from per-sample terms:

        mean = (1/n) Σₛ gₛ,    SE = sₙ₋₁ / √n,   s²ₙ₋₁ = Σₛ (gₛ − mean)² / (n − 1)

    exact for independent terms (the plain estimators) and asymptotically right for
    the estimated baselines, whose terms share the baseline (derivation 05, §6).

    Args:
        terms: an array, or a dict of arrays (as the estimators return).
        axis: the sample axis.

    Returns:
        (mean, standard_error): arrays, or two dicts with the keys of ``terms``.

    Raises:
        TypeError: for terms that are not real numbers, or an axis that is not an integer.
        ValueError: for non-finite terms (a NaN or ±∞ term has no finite mean and
            standard error), an axis out of range, or fewer than 2 samples along it.
    """
    if isinstance(terms, dict):
        pairs = {name: mean_and_standard_error(value, axis) for name, value in terms.items()}
        return {name: pair[0] for name, pair in pairs.items()}, {name: pair[1] for name, pair in pairs.items()}
    terms = as_float_array(terms, "terms")
    axis = check_count(axis, "axis", minimum=-max(terms.ndim, 1))
    if axis >= terms.ndim:
        raise ValueError(f"axis must be < terms.ndim = {terms.ndim}; got {axis}")
    count = terms.shape[axis]
    if count < 2:
        raise ValueError(f"terms must hold at least 2 samples along axis {axis}; got shape {terms.shape}")
    return sample_mean(terms, axis), standard_error_of_mean(terms, axis)
