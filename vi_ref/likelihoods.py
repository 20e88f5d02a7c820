"""Two log-likelihoods with hand-written gradients: the three-way check of autodiff.

Each log-likelihood is written with ``vi_ref.autodiff`` functions, which compute on
plain ndarrays as NumPy does and build a graph on Tensors; so one formula gives the
value, the autodiff gradient, and (by finite differences) the numerical gradient,
while the ``*_grad`` function beside it is derived by hand. The three must agree
(``tests/test_likelihoods.py``, ``benchmarks/autodiff.py``).
"""

import numpy as np

from . import autodiff as ad
from . import numerics
from .numerics import LOG_2PI
from .validation import as_float_array

__all__ = [
    "logistic_regression_log_likelihood",
    "logistic_regression_log_likelihood_grad",
    "isotropic_gmm_log_likelihood",
    "isotropic_gmm_log_likelihood_grad",
]


def _check_finite_parameter(value, name):
    """Refuse a non-finite parameter, whether an ndarray or an ``autodiff.Tensor``."""
    as_float_array(ad.value_of(value), name)


def _check_logistic_arguments(weights, X, y):
    X = as_float_array(X, "X", ndim=2)
    y = as_float_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have one label per row of X ({X.shape[0]}); got {y.shape[0]}")
    if np.any((y != 0) & (y != 1)):
        raise ValueError("y must contain only the labels 0 and 1")
    if np.shape(weights) != (X.shape[1],):
        raise ValueError(f"weights must have shape ({X.shape[1]},) (D of X); got {np.shape(weights)}")
    _check_finite_parameter(weights, "weights")
    return X, y


def logistic_regression_log_likelihood(weights, X, y):
    """ℓ(w) = Σₙ [yₙ zₙ − softplus(zₙ)] with z = X w and labels yₙ ∈ {0, 1}.

    This is Σₙ log Bernoulli(yₙ | σ(zₙ)), since log σ(z) = z − softplus(z) and
    log(1 − σ(z)) = −softplus(z).

    Args:
        weights: (D,) array or ``autodiff.Tensor``.
        X: (N, D) design matrix.
        y: (N,) labels in {0, 1}.
    """
    X, y = _check_logistic_arguments(weights, X, y)
    logits = _logits(X, weights)
    # yz − softplus(z) = −softplus(−z) for y = 1 and −softplus(z) for y = 0: one
    # softplus of (1 − 2y) z, which never forms ∞ − ∞ when |z| overflows
    return -ad.sum(ad.softplus((1 - 2 * y) * logits))


def _logits(X, weights):
    """z = X w, also where the float sum of the products overflows.

    There a BLAS sum depends on its order and on fused multiply-adds
    (X = [[1e308, -1e308]], w = [2, 2] gave +∞ on one machine and NaN on another,
    where z = 0; X = [[1.5, 1.5, -1.5]], w = [1e308] * 3 gave +∞, where z = 1.5e308).
    Those rows are summed again from X 2⁻ᵃ and w 2⁻ᵇ, exact power-of-two scalings to
    entries below 1, whose products and partial sums cannot overflow, and scaled
    back by 2ᵃ⁺ᵇ in one rounding (``ldexp``): ±∞ only where z itself overflows.
    Their derivative is attached as X (w − w̄), w̄ the value of w: zero in value and
    X in derivative, so the reverse pass never forms a cotangent times 2ᵃ⁺ᵇ."""
    with np.errstate(over="ignore", invalid="ignore"):
        logits = X @ weights
    overflowed = ~np.isfinite(ad.value_of(logits))
    if not overflowed.any():
        return logits
    rows, values = X[overflowed], ad.value_of(weights)
    row_exponent, weight_exponent = (int(np.frexp(np.max(np.abs(a)))[1]) for a in (rows, values))
    sums = np.zeros(X.shape[0])
    with np.errstate(over="ignore", under="ignore"):  # underflow: entries below 2⁻¹⁰⁷⁴ of the largest
        sums[overflowed] = np.ldexp(
            np.ldexp(rows, -row_exponent) @ np.ldexp(values, -weight_exponent), row_exponent + weight_exponent
        )
    if isinstance(weights, ad.Tensor):
        sums = sums + X @ (weights - values)
    return ad.where(overflowed, sums, logits)


def logistic_regression_log_likelihood_grad(weights, X, y):
    """∇_w ℓ = Xᵀ (y − σ(X w)), since d softplus(z)/dz = σ(z).

    y − σ(z) is computed as s σ(−s z) with s = 2y − 1 (σ(−z) = 1 − σ(z) for y = 1,
    −σ(z) for y = 0), the derivative of the value's −softplus(−s z): 1 − σ(z) would
    round to 0 beyond z ≈ 36.7, where the true value e^(−z) is far from 0 in relative
    terms (a correctly classified, saturated point of separable data).

    Returns:
        dict ``{"weights": (D,) array}``.
    """
    X, y = _check_logistic_arguments(weights, X, y)
    weights = as_float_array(weights, "weights")
    signs = 2 * y - 1
    return {"weights": X.T @ (signs * numerics.sigmoid(-signs * _logits(X, weights)))}


def _check_gmm_arguments(X, logits, means, log_scales):
    X = as_float_array(X, "X", ndim=2)
    if X.shape[1] == 0:
        raise ValueError(f"X must have at least one column (D >= 1); got shape {X.shape}")
    count = np.shape(logits)[0] if len(np.shape(logits)) == 1 else None
    if count == 0:
        raise ValueError("logits must have at least one component (K >= 1); got shape (0,)")
    expected = {"logits": (count,), "means": (count, X.shape[1]), "log_scales": (count,)}
    for name, value in (("logits", logits), ("means", means), ("log_scales", log_scales)):
        if count is None or np.shape(value) != expected[name]:
            raise ValueError(
                f"{name} must have shape {expected[name]} (K = {count} components, the length of"
                f" logits; D = {X.shape[1]}, the columns of X); got {np.shape(value)}"
            )
        _check_finite_parameter(value, name)
    return X


def _squared_distances(X, means):
    """‖xₙ − μₖ‖² as an (N, K) array, from the differences xₙ − μₖ themselves.

    The expansion ‖xₙ‖² − 2 xₙ·μₖ + ‖μₖ‖² would save the N × K × D array, but it
    subtracts numbers of size ‖x‖² to get one of size ‖x − μ‖²: with data and means
    near 1e8 it is off by 6e-2. These likelihoods are examples, small enough for
    the exact form."""
    return ad.sum(ad.square(X[:, None, :] - means[None, :, :]), axis=2)


def _component_log_densities(squared_distances, dimension, logits, log_scales):
    """log πₖ + log N(xₙ | μₖ, σₖ² I) as an (N, K) array, with σₖ = exp(log_scales[k])."""
    return (
        ad.log_softmax(logits)
        - dimension * (log_scales + 0.5 * LOG_2PI)
        - 0.5 * squared_distances * ad.exp(-2 * log_scales)
    )


def isotropic_gmm_log_likelihood(X, logits, means, log_scales):
    """ℓ = Σₙ log Σₖ πₖ N(xₙ | μₖ, σₖ² I), with π = softmax(logits), σₖ = exp(log_scalesₖ).

    Unconstrained parameters (logits, log-scales) make every real value valid, which
    is what gradient-based learning and finite differences both need.

    Args:
        X: (N, D) data. logits: (K,). means: (K, D). log_scales: (K,).
    """
    X = _check_gmm_arguments(X, logits, means, log_scales)
    joint = _component_log_densities(_squared_distances(X, means), X.shape[1], logits, log_scales)
    return ad.sum(ad.logsumexp(joint, axis=1))


def isotropic_gmm_log_likelihood_grad(X, logits, means, log_scales):
    """Gradient of ``isotropic_gmm_log_likelihood`` with respect to its parameters.

    With responsibilities rₙₖ = softmaxₖ(log πₖ + log N(xₙ | μₖ, σₖ² I)) and
    Nₖ = Σₙ rₙₖ:

        ∂ℓ/∂logitsₖ    = Nₖ − N πₖ
        ∂ℓ/∂μₖ         = Σₙ rₙₖ (xₙ − μₖ) / σₖ²
        ∂ℓ/∂log σₖ     = Σₙ rₙₖ (‖xₙ − μₖ‖² / σₖ² − D)

    The mean gradient is summed from the differences xₙ − μₖ themselves, as the
    squared distances are: the expanded form ((Rᵀ X)ₖ − Nₖ μₖ) / σₖ² subtracts sums of
    size N x from each other, and with data and means near 1e8 it was off by 1e-7.

    Returns:
        dict with keys ``"logits"``, ``"means"``, ``"log_scales"``.
    """
    X = _check_gmm_arguments(X, logits, means, log_scales)
    logits = as_float_array(logits, "logits")
    means = as_float_array(means, "means")
    log_scales = as_float_array(log_scales, "log_scales")
    squared_distances = _squared_distances(X, means)
    joint = _component_log_densities(squared_distances, X.shape[1], logits, log_scales)
    responsibilities = np.exp(joint - numerics.logsumexp(joint, axis=1, keepdims=True))
    counts = responsibilities.sum(axis=0)
    precisions = np.exp(-2 * log_scales)
    weights = np.exp(logits - numerics.logsumexp(logits))
    return {
        "logits": counts - X.shape[0] * weights,
        "means": np.einsum("nk,nkd->kd", responsibilities, X[:, None, :] - means[None, :, :]) * precisions[:, None],
        "log_scales": np.sum(responsibilities * squared_distances, axis=0) * precisions
        - X.shape[1] * counts,
    }
