"""Numerically stable building blocks, valid for arguments from -1e300 to 1e300.

Probabilities live in log space in vi_ref, so the workhorses are log-sum-exp and the
softplus family; Gaussian densities need log-determinants and solves, which are
taken from Cholesky factors, never from inverses or determinants.
Derivations: ``derivations/01-finite-differences-and-reverse-mode.md`` uses these.
"""

import math
import string

import numpy as np
import scipy.linalg
import scipy.special

from .validation import as_float_array, check_count, check_flag, check_positive, check_tolerance, first_bad_index

_AXIS_LETTERS = string.ascii_letters  # einsum subscripts, one per axis
LOG_2PI = np.log(2 * np.pi)  # log 2π: every Gaussian log-density carries −(D/2) log 2π

__all__ = [
    "logsumexp",
    "softplus",
    "inv_softplus",
    "log1mexp",
    "log_sigmoid",
    "sigmoid",
    "gammaln",
    "cholesky",
    "check_scale_tril",
    "log_det_from_cholesky",
    "lower_triangular_inverse",
    "solve_triangular",
    "sum_to_shape",
    "standard_error_of_mean",
]

# ---------------------------------------------------------------------------
# Log-space arithmetic
# ---------------------------------------------------------------------------


def logsumexp(a, axis=None, keepdims=False):
    """log Σ exp(a) along ``axis``, computed as m + log1p(Σ' exp(a − m)) with m = max a.

    Shifting by the maximum makes the largest term exp(0) = 1, so nothing overflows
    and at least one term does not underflow. That term (one of them, at ties) is
    left out of the sum Σ' and added back by log1p, so that a result near 0, as for
    log(1 + δ) with a tiny δ, keeps its relative accuracy (Blanchard, Higham and
    Higham 2021). The shift is skipped where m is not finite, which gives the
    mathematically right limits: all terms −∞ gives −∞ (not NaN), any term +∞
    gives +∞, and NaN propagates.

    Args:
        a: array_like of reals.
        axis: None (all entries), an int, or a tuple of ints.
        keepdims: keep the reduced axes with length one.
    """
    a = as_float_array(a, "a", finite=False)
    keepdims = check_flag(keepdims, "keepdims")
    if not (axis is None or type(axis) is int and -max(a.ndim, 1) <= axis < max(a.ndim, 1)):  # the common cases, at once
        for each in axis if isinstance(axis, tuple) else (axis,):
            if check_count(each, "axis", minimum=-max(a.ndim, 1)) >= max(a.ndim, 1):
                raise ValueError(f"axis must be < a.ndim = {a.ndim}; got {axis}")
    if a.size == 0:  # an empty sum is 0, whose log is -inf
        return np.full(np.zeros_like(a).sum(axis=axis, keepdims=keepdims).shape, -np.inf)[()]
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        largest = np.max(a, axis=axis, keepdims=True)
        finite = np.isfinite(largest)
        shift = np.where(finite, largest, 0.0)
        terms = np.exp(a - shift)
        # the largest terms are exactly 1: take them out of the sum, and add back
        # (their count − 1) exactly. Where m is not finite nothing is taken out and
        # log1p(Σ − 1) = log Σ, which is −∞ for a row of −∞.
        is_largest = (a == largest) & finite
        terms -= is_largest
        ties = np.count_nonzero(is_largest) > np.count_nonzero(finite)
        # without ties (the usual case) the count is 1 where m is finite: skip the
        # slow per-row count
        count = np.sum(is_largest, axis=axis, keepdims=True) if ties else finite
        out = np.log1p(np.sum(terms, axis=axis, keepdims=True) + (count - 1.0)) + shift
    if not keepdims:
        out = out.reshape(()) if axis is None else np.squeeze(out, axis=axis)
    return out[()]


def softplus(x):
    """softplus(x) = log(1 + eˣ), computed as max(x, 0) + log1p(e^(−|x|)).

    The exponent is never positive, so nothing overflows; for x → −∞ the result is
    eˣ (to full relative precision until eˣ underflows), for x → +∞ it is x.
    """
    x = as_float_array(x, "x", finite=False)
    # one work array updated in place: fewer large temporaries
    out = np.empty_like(x)
    np.abs(x, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += np.maximum(x, 0.0)
    return out[()]


def inv_softplus(y):
    """Inverse of softplus: log(eʸ − 1) = y + log(1 − e^(−y)) for y > 0.

    The second form never overflows; ``-expm1(-y)`` keeps 1 − e^(−y) accurate for
    small y, where log(eʸ − 1) ≈ log y.

    Raises:
        ValueError: if any ``y`` is not positive (softplus never reaches it).
    """
    y = as_float_array(y, "y", finite=False)
    check_positive(y, "y")
    return y + np.log(-np.expm1(-y))


def log1mexp(x):
    """log(1 − e^(−|x|)), accurate for every real x (Mächler 2012's log1mexp).

    Two formulas cover the line without cancellation: log(−expm1(−a)) for
    a = |x| ≤ log 2, where e^(−a) is close to 1, and log1p(−e^(−a)) above, where it
    is small. Typical use: log(1 − p) from log p ≤ 0, as ``log1mexp(log_p)``.
    At x = 0 the result is −∞.
    """
    a = np.abs(as_float_array(x, "x", finite=False))
    with np.errstate(divide="ignore"):
        return np.where(
            a <= np.log(2.0),
            np.log(-np.expm1(-np.minimum(a, np.log(2.0)))),
            np.log1p(-np.exp(-np.maximum(a, np.log(2.0)))),
        )[()]


def sigmoid(x):
    """Logistic sigmoid 1 / (1 + e^(−x)), via ``scipy.special.expit``."""
    return scipy.special.expit(as_float_array(x, "x", finite=False))


def log_sigmoid(x):
    """log σ(x) = −softplus(−x): exact for large negative x, where σ(x) underflows."""
    return -softplus(-as_float_array(x, "x", finite=False))


# ---------------------------------------------------------------------------
# Cholesky factors
# ---------------------------------------------------------------------------


def gammaln(x):
    """log |Γ(x)|: SciPy's ``gammaln``, except where 0 < |x| < 2⁻¹⁰²² (subnormal).

    There SciPy returns ∞ (its 1/x overflows below 5.6e-309), while
    log |Γ(x)| = −log |x| − γx + O(x²) = −log |x| to well within an ulp (≈ 709–744).
    """
    result = scipy.special.gammaln(x)
    if not np.isfinite(np.sum(result)):  # one pass: a pole, a NaN, or a subnormal x
        x = np.asarray(x, dtype=float)
        subnormal = (x != 0) & (np.abs(x) < np.finfo(float).tiny)
        if np.any(subnormal):
            result = np.where(subnormal, -np.log(np.abs(np.where(subnormal, x, 1.0))), result)[()]
    return result


def cholesky(matrix, name="matrix", *, symmetry_rtol=1e-10):
    """Lower Cholesky factor L with L Lᵀ = matrix, for a (batch of) SPD matrices.

    Validates what ``np.linalg.cholesky`` silently assumes: the input is square,
    finite and symmetric (it only reads the lower triangle), and positive definite.

    Args:
        matrix: array_like of shape (..., D, D).
        name: argument name for error messages.
        symmetry_rtol: largest |A − Aᵀ| allowed, relative to the largest |A|.

    Raises:
        ValueError: naming ``name`` if the matrix is not square, finite, symmetric
            or positive definite.
    """
    symmetry_rtol = check_tolerance(symmetry_rtol, "symmetry_rtol")
    matrix = as_float_array(matrix, name, min_ndim=2)
    if matrix.shape[-1] != matrix.shape[-2]:
        raise ValueError(f"{name} must be square; got shape {matrix.shape}")
    asymmetry = np.abs(matrix - np.swapaxes(matrix, -1, -2)).max(axis=(-1, -2), initial=0.0)
    scale = np.abs(matrix).max(axis=(-1, -2), initial=0.0)
    bad = asymmetry > symmetry_rtol * scale
    if np.any(bad):
        raise ValueError(
            f"{name} must be symmetric; largest |A - A^T| is "
            f"{np.max(asymmetry):.3g}{first_bad_index(bad)}"
        )
    try:
        return np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} must be positive definite") from None


def check_scale_tril(scale_tril, name="scale_tril"):
    """Validate a (batch of) Cholesky factors: square, finite, lower triangular,
    with a diagonal of normal positive floats (≥ 2⁻¹⁰²² ≈ 2.2e-308: the inverse of a
    subnormal Rᵢᵢ overflows, and solves against it give ∞ − ∞ = NaN). Returns the
    float64 array."""
    scale_tril = as_float_array(scale_tril, name, min_ndim=2)
    if scale_tril.shape[-1] != scale_tril.shape[-2]:
        raise ValueError(f"{name} must be square; got shape {scale_tril.shape}")
    upper = np.triu(scale_tril, k=1)
    if np.any(upper != 0):
        raise ValueError(
            f"{name} must be lower triangular; got {upper[upper != 0].flat[0]} "
            f"above the diagonal{first_bad_index(upper != 0)}"
        )
    diagonal = np.diagonal(scale_tril, axis1=-2, axis2=-1)
    check_positive(diagonal, f"the diagonal of {name}")
    subnormal = diagonal < np.finfo(float).tiny
    if np.any(subnormal):
        raise ValueError(
            f"the diagonal of {name} must be at least 2.2e-308 (a normal float, so that"
            f" 1/Rᵢᵢ is finite); got {diagonal[subnormal].flat[0]}{first_bad_index(subnormal)}"
        )
    return scale_tril


def lower_triangular_inverse(factor):
    """L⁻¹ for a (batch of) lower-triangular factors L (..., D, D) with positive
    diagonal (Cholesky factors; anything else is refused naming ``factor``), by
    forward substitution on L Y = I, one row of Y per step and
    vectorised over the batch:

        Yᵢ = (eᵢ − Σⱼ₍ⱼ₌₀..ᵢ₋₁₎ Lᵢⱼ Yⱼ) / Lᵢᵢ

    For a batch of small factors (the K precision factors of a Gaussian mixture) it
    takes D vectorised steps instead of K LAPACK calls: ``solve_triangular`` solves a
    batch one factor at a time through SciPy, whose OpenBLAS is a second one beside
    NumPy's, and right after NumPy's BLAS has worked (as in every EM iteration) each
    such call waits for threads. Measured on 2 cores, K = D = 8: 0.18 ms against 12.7 ms per batch
    after a NumPy matrix product (0.13 against 0.29 ms in isolation); in isolation
    the LAPACK loop wins for D ≳ 30 (K = 4, D = 32: 0.41 against 0.19 ms).
    """
    factor = _check_triangular_factor(factor, "factor")
    size = factor.shape[-1]
    inverse = np.zeros(factor.shape)
    for i in range(size):
        row = -np.einsum("...j,...jk->...k", factor[..., i, :i], inverse[..., :i, :])
        row[..., i] += 1.0
        inverse[..., i, :] = row / factor[..., i, i, None]
    return inverse


def _check_triangular_factor(factor, name):
    """A finite square (..., D, D) float array with a positive diagonal, or an error
    naming ``name`` (only the diagonal and lower triangle are read)."""
    factor = as_float_array(factor, name, min_ndim=2)
    if factor.shape[-1] != factor.shape[-2]:
        raise ValueError(f"{name} must be square; got shape {factor.shape}")
    check_positive(np.diagonal(factor, axis1=-2, axis2=-1), f"the diagonal of {name}")
    return factor


def log_det_from_cholesky(factor):
    """log det(L Lᵀ) = 2 Σᵢ log Lᵢᵢ for a (batch of) Cholesky factors (..., D, D).

    Raises:
        ValueError: if ``factor`` is not square and finite with a positive diagonal
            (a Cholesky factor has one; a negative entry would give log of a
            negative number).
    """
    factor = _check_triangular_factor(factor, "factor")
    return 2.0 * np.sum(np.log(np.diagonal(factor, axis1=-2, axis2=-1)), axis=-1)


def _substitution_is_faster(count, size, columns):
    """Whether ``count`` triangular systems of size D = ``size`` with ``columns``
    right-hand sides each are solved faster by ``_substitution`` (D vectorised steps
    of about 8 µs overhead each) than by one LAPACK call per factor (about 20 µs
    each, and faster arithmetic): when D ≤ 16, count ≥ D/2 and the work per factor,
    D² × columns, is at most 16384. Measured: 20 factors, D = 2, one column: 0.03
    against 0.17 ms; 1000 factors, D = 3: 0.05 against 7.7 ms; 50 factors, D = 16,
    16 columns: 0.2 against 0.7 ms; and the LAPACK loop kept for 8 factors, D = 8,
    1e5 columns (25 against 49 ms) and for 2 factors, D = 16 (0.04 against 0.13 ms)."""
    return size <= 16 and 2 * count >= size and size * size * columns <= 16384


def _substitution(factor, rhs, *, lower):
    """Solve A y = b for a batch of triangular A (..., D, D) with a nonzero diagonal
    and b (..., D, M), one row of y per step, each step vectorised over the batch:

        lower:  yᵢ = (bᵢ − Σⱼ₍ⱼ₌₀..ᵢ₋₁₎ Aᵢⱼ yⱼ) / Aᵢᵢ,    i = 0, 1, …, D − 1
        upper:  yᵢ = (bᵢ − Σⱼ₍ⱼ₌ᵢ₊₁..D₋₁₎ Aᵢⱼ yⱼ) / Aᵢᵢ,  i = D − 1, …, 0

    the substitution LAPACK's trtrs performs, so equally backward stable; like it,
    it does not warn where non-finite entries propagate."""
    size = factor.shape[-1]
    solution = np.empty(rhs.shape)
    with np.errstate(all="ignore"):
        for i in range(size) if lower else range(size - 1, -1, -1):
            known = slice(0, i) if lower else slice(i + 1, size)
            partial = np.einsum("...j,...jm->...m", factor[..., i, known], solution[..., known, :])
            solution[..., i, :] = (rhs[..., i, :] - partial) / factor[..., i, i, None]
    return solution


def solve_triangular(factor, rhs, *, lower=True, transpose=False):
    """Solve A y = b (or Aᵀ y = b with ``transpose``) for a triangular A, lower or
    upper as ``lower`` says, by substitution, batched.

    Shapes follow ``np.linalg.solve``: ``factor`` is (..., D, D); ``rhs`` is a
    vector (D,) if it is one-dimensional, otherwise a stack of matrices (..., D, M);
    batch dimensions broadcast. One unbatched factor solves all right-hand sides in
    a single LAPACK call; a batch of factors is solved by substitution vectorised
    over the batch where that is faster (many small factors), else one LAPACK call
    per factor.
    """
    factor = as_float_array(factor, "factor", finite=False, min_ndim=2)
    rhs = as_float_array(rhs, "rhs", finite=False, min_ndim=1)
    lower, transpose = check_flag(lower, "lower"), check_flag(transpose, "transpose")
    size = factor.shape[-1]
    if factor.shape[-2] != size:
        raise ValueError(f"factor must be square; got shape {factor.shape}")
    if rhs.ndim == 1:
        return solve_triangular(factor, rhs[:, None], lower=lower, transpose=transpose)[..., 0]
    if rhs.shape[-2] != size:
        raise ValueError(
            f"rhs must have {size} rows to match factor of shape {factor.shape};"
            f" got shape {rhs.shape}"
        )
    trans = 1 if transpose else 0
    if factor.ndim == 2:
        columns = np.moveaxis(rhs, -2, 0).reshape(size, rhs.size // size if size else 0)  # D = 0: no columns
        solved = scipy.linalg.solve_triangular(
            factor, columns, lower=lower, trans=trans, check_finite=False
        )
        return np.moveaxis(solved.reshape((size,) + rhs.shape[:-2] + rhs.shape[-1:]), 0, -2)
    batch = np.broadcast_shapes(factor.shape[:-2], rhs.shape[:-2])
    factor = np.broadcast_to(factor, batch + factor.shape[-2:])
    rhs = np.broadcast_to(rhs, batch + rhs.shape[-2:])
    if _substitution_is_faster(math.prod(batch), size, rhs.shape[-1]) and np.all(
        np.diagonal(factor, axis1=-2, axis2=-1) != 0
    ):
        if transpose:
            return _substitution(np.swapaxes(factor, -1, -2), rhs, lower=not lower)
        return _substitution(factor, rhs, lower=lower)
    out = np.empty(rhs.shape)
    for index in np.ndindex(*batch):
        out[index] = scipy.linalg.solve_triangular(
            factor[index], rhs[index], lower=lower, trans=trans, check_finite=False
        )
    return out


# ---------------------------------------------------------------------------
# Broadcasting
# ---------------------------------------------------------------------------


def _sum_leading_axes(array, count):
    """``array.sum(axis=(0, …, count − 1))``, bit for bit, faster when few entries are kept.

    For a C-contiguous array whose kept part has at least two entries, NumPy's
    reduction adds whole rows in order (the kept axes are the innermost loop);
    ``einsum`` makes the same additions in the same order with a tighter loop:
    0.35 ms against 1.3 ms for a 1e5 × 10 cotangent summed to a bias. With a
    single kept entry NumPy adds pairwise instead, so ``sum`` is kept there, and
    also when the kept part outnumbers the rows (10 × 10000: there ``sum``'s loop
    over long rows is the faster). NumPy allows 64 axes; einsum has 52 letters.
    """
    kept = math.prod(array.shape[count:])
    if array.flags.c_contiguous and 2 <= kept <= array.size // kept and array.ndim <= len(_AXIS_LETTERS):
        letters = _AXIS_LETTERS[: array.ndim]
        return np.einsum(f"{letters}->{letters[count:]}", array)
    return array.sum(axis=tuple(range(count)))


def sum_to_shape(array, shape):
    """Sum ``array`` over the axes that NumPy broadcasting added to or stretched in
    ``shape``: the adjoint of ``np.broadcast_to(x, array.shape)``.

    If y = broadcast(x), every entry of x is copied to several entries of y, so the
    derivative of a scalar through y with respect to x is the sum of the derivatives
    with respect to the copies (derivation 01, "why broadcasting gradients are sums").
    """
    array = np.asarray(array, dtype=float)
    shape = tuple(shape)
    if array.shape == shape:
        return array
    leading = array.ndim - len(shape)
    if leading < 0:
        raise ValueError(f"cannot sum shape {array.shape} to the larger shape {shape}")
    array = _sum_leading_axes(array, leading) if leading else array
    stretched = tuple(i for i, size in enumerate(shape) if size == 1 and array.shape[i] != 1)
    if stretched:
        array = array.sum(axis=stretched, keepdims=True)
    if array.shape != shape:
        raise ValueError(f"shape {shape} does not broadcast to {array.shape}")
    return array


# ---------------------------------------------------------------------------
# Monte Carlo
# ---------------------------------------------------------------------------


def sample_mean(values, axis=0):
    """The mean of ``values`` along ``axis``, v̄ = (1/S) Σₛ vₛ, also where the sum
    overflows (finite values near ±1.8e308, whose mean is finite): there it is
    computed from v 2⁻ᵉ, with 2ᵉ the power of two at max|v| (an exact scaling), and
    scaled back, instead of ∞.
    """
    values, axis = _sample_axis(values, axis)
    with np.errstate(over="ignore", invalid="ignore"):
        mean = np.mean(values, axis=axis)
    return _where_overflowed(mean, values, axis, lambda scaled: np.mean(scaled, axis=axis))


def standard_error_of_mean(values, axis=0):
    """The standard error of the mean of ``values`` along ``axis``,

        SE = √(Σₛ (vₛ − v̄)² / (S − 1)) / √S,

    also where the squares overflow (|v| ≳ 1e154, finite) or underflow (max|v| below
    2⁻⁴⁰⁰ ≈ 4e-121, where deviations under 2⁻⁵¹¹ square to subnormals or 0): there it
    is computed from v 2⁻ᵉ, with 2ᵉ the power of two at max|v| (an exact scaling), and
    scaled back, instead of ∞ or 0.
    """
    values, axis = _sample_axis(values, axis)
    count = values.shape[axis]
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        spread = np.std(values, axis=axis, ddof=1)
    return _where_overflowed(
        spread / np.sqrt(count), values, axis, lambda scaled: np.std(scaled, axis=axis, ddof=1) / np.sqrt(count),
        tiny=2.0**-400,
    )


def _sample_axis(values, axis):
    values = as_float_array(values, "values", finite=False)  # NaN in, NaN out, as a ufunc
    axis = check_count(axis, "axis", minimum=-max(values.ndim, 1))
    if axis >= values.ndim:
        raise ValueError(f"axis must be < values.ndim = {values.ndim}; got {axis}")
    return values, axis


def _where_overflowed(statistic, values, axis, of_scaled, *, tiny=0.0):
    """``statistic`` where it is finite or some value is not, and max|v| ≥ ``tiny``;
    elsewhere (finite values whose statistic overflowed on the way, or nonzero values
    all below ``tiny``, whose computation underflows) 2ᵉ · of_scaled(v 2⁻ᵉ), with 2ᵉ
    the power of two at max|v|: exact for a statistic homogeneous of degree 1 in v.

    The common case needs no pass over ``values``: a finite statistic has not
    overflowed, and none is small where (for the standard error, the one statistic
    with a ``tiny``) SE·√(S − 1) ≥ 2·tiny, since max|v| ≥ √(Σ(v − v̄)²/S) = SE·√(S − 1)."""
    if np.all(np.isfinite(statistic)):
        count = values.shape[axis]
        if tiny == 0 or (count > 1 and np.all(statistic * np.sqrt(count - 1) >= 2 * tiny)):
            return statistic
    largest = np.max(np.abs(values), axis=axis, keepdims=True)
    finite = np.all(np.isfinite(values), axis=axis)
    small = np.squeeze((largest > 0) & (largest < tiny), axis=axis)
    overflowed = (~np.isfinite(statistic) & finite) | small
    if not np.any(overflowed):
        return statistic
    exponent = np.frexp(largest)[1]
    rescaled = of_scaled(np.ldexp(values, -exponent))
    with np.errstate(over="ignore"):  # a statistic beyond the float range is ∞, as it should be
        rescaled = np.ldexp(rescaled, np.squeeze(exponent, axis=axis))
    return np.where(overflowed, rescaled, statistic)[()]
