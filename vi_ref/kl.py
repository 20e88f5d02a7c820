"""The Kullback–Leibler divergence KL(q ‖ p) = E_q[log q(z) − log p(z)].

Closed forms live in a registry keyed by the pair of classes (as in
torch.distributions): ``@register_kl(Normal, Normal)`` registers a formula and
``@register_kl_gradient(Normal, Normal)`` its hand-written gradient with respect to
the parameters of both q and p. ``kl_divergence(q, p)`` and
``kl_divergence_grad(q, p)`` dispatch through it; a pair whose supports make the
divergence infinite is registered with ``register_infinite_kl``; any other pair
raises ``NotImplementedError`` — never a silent Monte Carlo fallback, which is
``kl_monte_carlo``, asked for by name.

Each formula is a function of the two parameter dicts (``q.params``, ``p.params``)
written with ``vi_ref.autodiff`` operations, so that it also accepts Tensors and the
gradient beside it can be checked against automatic differentiation. Batched
parameters broadcast; the value has the broadcast batch shape, and each gradient is
that of the KL summed over the batch, as an array of its parameter's own shape.
Every closed form is derived in ``derivations/02-kl-divergence-and-variational-families.md``.
"""

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import scipy.special

from . import autodiff as ad
from .distributions import (
    Categorical,
    Distribution,
    Exponential,
    Gamma,
    LogNormal,
    MultivariateNormal,
    Normal,
    _clamp,
    _diagonal_matrix,
    _lower_triangle,
    _solve_lower,
    gamma_entropy,
    gammaln_bregman,
    log1pmx,
    log_ratio,
    scaled_difference,
)
from .numerics import solve_triangular, standard_error_of_mean, sum_to_shape
from .validation import as_generator, check_count, check_instance, first_bad_index

__all__ = [
    "kl_divergence",
    "kl_divergence_grad",
    "kl_monte_carlo",
    "register_kl",
    "register_kl_gradient",
    "register_infinite_kl",
    "kl_normal_normal",
    "kl_normal_normal_grad",
    "kl_mvn_mvn",
    "kl_mvn_mvn_grad",
    "kl_exponential_exponential",
    "kl_exponential_exponential_grad",
    "kl_gamma_gamma",
    "kl_gamma_gamma_grad",
    "kl_exponential_gamma",
    "kl_exponential_gamma_grad",
    "kl_gamma_exponential",
    "kl_gamma_exponential_grad",
    "kl_lognormal_lognormal",
    "kl_lognormal_lognormal_grad",
    "kl_categorical_categorical",
    "kl_categorical_categorical_grad",
]


# ---------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------


@dataclass
class _Rule:
    divergence: Optional[Callable] = None
    gradient: Optional[Callable] = None
    infinite: bool = False


_RULES = {}


def register_kl(type_q, type_p):
    """Decorator registering ``formula(q_params, p_params)`` as KL(type_q ‖ type_p)."""

    def register(formula):
        _RULES.setdefault((type_q, type_p), _Rule()).divergence = formula
        return formula

    return register


def register_kl_gradient(type_q, type_p):
    """Decorator registering ``gradient(q_params, p_params) -> (grads_q, grads_p)``
    as the gradient of the registered KL(type_q ‖ type_p)."""

    def register(gradient):
        _RULES.setdefault((type_q, type_p), _Rule()).gradient = gradient
        return gradient

    return register


def register_infinite_kl(type_q, type_p):
    """Register KL(type_q ‖ type_p) = +∞: the support of q is not inside that of p,
    so q gives positive probability to a set where log p = −∞."""
    _RULES[(type_q, type_p)] = _Rule(infinite=True)


def _check_distributions(q, p):
    for name, value in (("q", q), ("p", p)):
        check_instance(value, name, Distribution, "a vi_ref.distributions distribution")


def _rule(q, p):
    _check_distributions(q, p)
    rule = _RULES.get((type(q), type(p)))
    if rule is None or (rule.divergence is None and not rule.infinite):
        raise NotImplementedError(
            f"no closed-form KL divergence is registered for KL({type(q).__name__} ‖ {type(p).__name__});"
            " use kl_monte_carlo(q, p, n) for an estimate"
        )
    return rule


def _batch_shape(q, p):
    """The broadcast batch shape of the pair, after checking that q and p are
    distributions over the same kind of value."""
    if q.event_shape != p.event_shape:
        raise ValueError(f"q and p must have the same event shape; got {q.event_shape} and {p.event_shape}")
    try:
        return np.broadcast_shapes(q.batch_shape, p.batch_shape)
    except ValueError:
        raise ValueError(
            f"the batch shapes of q {q.batch_shape} and p {p.batch_shape} do not broadcast"
        ) from None


def kl_divergence(q, p):
    """KL(q ‖ p) = ∫ q(z) log(q(z)/p(z)) dz in closed form, for a registered pair
    (derivation 02: definition §1, properties §2–4, closed forms §5).

    Returns:
        array of the broadcast batch shape (a float for unbatched q and p); +∞ where
        the support of q is not inside the support of p.

    Raises:
        NotImplementedError: naming both classes, for a pair with no closed form.
        ValueError: if the event shapes differ or the batch shapes do not broadcast.
        TypeError: if q or p is not a distribution.
    """
    rule = _rule(q, p)
    shape = _batch_shape(q, p)
    if rule.infinite:
        return np.full(shape, np.inf)[()]
    return np.asarray(rule.divergence(q.params, p.params), dtype=float)[()]


def kl_divergence_grad(q, p):
    """Hand-written gradient of ``kl_divergence(q, p)`` (summed over the batch) with
    respect to both distributions' parameters (derivation 02, §6).

    Returns:
        (grads_q, grads_p): dicts keyed like ``q.params`` and ``p.params``, each entry
        of its parameter's shape.

    Raises:
        NotImplementedError: for an unregistered pair (or one without a gradient).
        ValueError: for a pair whose divergence is +∞ for every parameter value, or
            at the given parameters (then no finite gradient describes it), or whose
            shapes do not fit.
    """
    rule = _rule(q, p)
    _batch_shape(q, p)
    if rule.infinite:
        raise ValueError(
            f"KL({type(q).__name__} ‖ {type(p).__name__}) is +inf for every parameter value"
            " (the support of q is not inside the support of p); it has no gradient"
        )
    if rule.gradient is None:
        raise NotImplementedError(
            f"no gradient is registered for KL({type(q).__name__} ‖ {type(p).__name__})"
        )
    infinite = ~np.isfinite(np.asarray(rule.divergence(q.params, p.params), dtype=float))
    if infinite.any():
        raise ValueError(
            f"KL({type(q).__name__} ‖ {type(p).__name__}) is +inf at these parameters"
            f"{first_bad_index(infinite)} (q puts mass where p has none, or the value exceeds"
            " the float range); it has no gradient there"
        )
    return rule.gradient(q.params, p.params)


def kl_monte_carlo(q, p, n, rng=None):
    """Monte Carlo estimate of KL(q ‖ p) = E_q[log q(z) − log p(z)] from n draws of q
    (derivation 02, §1).

    Returns:
        (estimate, standard_error), each of the broadcast batch shape; the standard
        error is the sample standard deviation of the log-ratios over √n. A draw at
        which p has density 0 makes the estimate +∞ with standard error 0: a set of
        positive q-probability lies outside the support of p. A discrete q against a
        continuous p (or the reverse) gives +∞ with standard error 0 without sampling:
        q is not absolutely continuous with respect to p.

    Raises:
        TypeError: if n is not an integer. ValueError: if n < 2 or the shapes of q
            and p do not fit.
    """
    n = check_count(n, "n", minimum=2)
    _check_distributions(q, p)
    batch_shape = _batch_shape(q, p)
    generator = as_generator(rng)
    if q.support.integer != p.support.integer:
        # one law is discrete, the other continuous: neither has a density with
        # respect to the other, and log q(z) − log p(z) of the two densities would
        # compare a probability with a probability density (a finite, wrong number)
        return np.full(batch_shape, np.inf)[()], np.zeros(batch_shape)[()]
    batch_ndim = len(batch_shape)
    z = q.sample(n, generator)
    # pad q's batch axes to the pair's, so that z broadcasts against p's batch
    z = z.reshape((n,) + (1,) * (batch_ndim - len(q.batch_shape)) + z.shape[1:])
    log_ratio = q.log_prob(z) - p.log_prob(z)
    infinite = np.any(np.isinf(log_ratio), axis=0)
    finite_ratio = np.where(np.isinf(log_ratio), 0.0, log_ratio)
    estimate = np.where(infinite, np.inf, np.mean(finite_ratio, axis=0))
    standard_error = np.where(infinite, 0.0, standard_error_of_mean(finite_ratio))
    return estimate[()], standard_error[()]


def _reduce(grads, params):
    """Elementwise gradients summed to each parameter's shape (the gradient of the
    KL summed over the broadcast batch)."""
    return {name: sum_to_shape(_as_array(grads[name]), np.shape(params[name])) for name in params}


def _as_array(value):
    return np.asarray(value, dtype=float)


# ---------------------------------------------------------------------------
# Normal ‖ Normal (and LogNormal ‖ LogNormal, which is the same divergence)
# ---------------------------------------------------------------------------


def _scale_divergence(scale_q, scale_p):
    """½ (r² − 1) − log r = ½ u² + (u − log(1 + u)) with r = σq/σp, u = r − 1.

    Both terms are non-negative, so nothing cancels: u = (σq − σp)/σp keeps its
    relative accuracy as r → 1 (where the value is ≈ u²), and log r is taken from
    ``log_ratio`` where r under- or overflows (σq/σp = 1e-17 gives 38.64, not
    log1p(−1) = −∞)."""
    u = (scale_q - scale_p) / scale_p
    return 0.5 * ad.square(u) + log1pmx(u, log_ratio(scale_q, scale_p))


def _normal_normal(loc_q, scale_q, loc_p, scale_p):
    """½ (r² − 1) − log r + ½ δ², with r = σq/σp and δ = (μq − μp)/σp.

    Written in the scale-free r and δ (the KL is invariant under z ↦ c z), so no σ²
    is formed to over- or underflow: σq = σp = 1e-200 gives 0, not 0/0; and as a sum
    of non-negative terms (``_scale_divergence``), exact as r → 1, r → 0 and r → ∞.
    """
    with np.errstate(over="ignore", under="ignore"):
        return _scale_divergence(scale_q, scale_p) + 0.5 * ad.square(scaled_difference(loc_q, loc_p, scale_p))


def _normal_normal_grad(loc_q, scale_q, loc_p, scale_p):
    """Elementwise partial derivatives of ``_normal_normal`` in u = r − 1 and δ:
    σq/σp² − 1/σq = u (1/σp + 1/σq) and 1 − r² = −u (2 + u), exact as r → 1 and
    finite where r = σq/σp underflows."""
    shape = np.broadcast_shapes(*(np.shape(a) for a in (loc_q, scale_q, loc_p, scale_p)))
    with np.errstate(over="ignore", under="ignore"):
        relative = (scale_q - scale_p) / scale_p
        shift = scaled_difference(loc_q, loc_p, scale_p)
        return (
            {
                "loc": np.broadcast_to(shift / scale_p, shape),
                "scale": np.broadcast_to(relative * (1 / scale_p + 1 / scale_q), shape),
            },
            {
                "loc": np.broadcast_to(-shift / scale_p, shape),
                "scale": np.broadcast_to((-relative * (2 + relative) - shift**2) / scale_p, shape),
            },
        )


@register_kl(Normal, Normal)
def kl_normal_normal(q_params, p_params):
    """KL(N(μq, σq²) ‖ N(μp, σp²)) = log(σp/σq) + (σq² + (μq − μp)²)/(2σp²) − ½
    = ½ (r² − 1) − log r + ½ δ²,  with r = σq/σp and δ = (μq − μp)/σp
    (derivation 02, §5.1)."""
    return _normal_normal(q_params["loc"], q_params["scale"], p_params["loc"], p_params["scale"])


@register_kl_gradient(Normal, Normal)
def kl_normal_normal_grad(q_params, p_params):
    """With Δ = μq − μp, r = σq/σp and δ = Δ/σp:

        ∂/∂μq = Δ/σp² = δ/σp,     ∂/∂σq = σq/σp² − 1/σq = (r − 1) (1/σp + 1/σq),
        ∂/∂μp = −δ/σp,            ∂/∂σp = 1/σp − (σq² + Δ²)/σp³ = (1 − r² − δ²)/σp.
    """
    grads_q, grads_p = _normal_normal_grad(q_params["loc"], q_params["scale"], p_params["loc"], p_params["scale"])
    return _reduce(grads_q, q_params), _reduce(grads_p, p_params)


@register_kl(LogNormal, LogNormal)
def kl_lognormal_lognormal(q_params, p_params):
    """KL(LogNormal(μq, σq) ‖ LogNormal(μp, σp)) = KL(N(μq, σq²) ‖ N(μp, σp²)): the KL
    divergence is unchanged by the bijection z = exp(u), whose Jacobian cancels in
    the ratio q/p (derivation 02, §5.5)."""
    return _normal_normal(q_params["loc"], q_params["scale"], p_params["loc"], p_params["scale"])


@register_kl_gradient(LogNormal, LogNormal)
def kl_lognormal_lognormal_grad(q_params, p_params):
    """The Normal ‖ Normal gradient (see ``kl_normal_normal_grad``)."""
    grads_q, grads_p = _normal_normal_grad(q_params["loc"], q_params["scale"], p_params["loc"], p_params["scale"])
    return _reduce(grads_q, q_params), _reduce(grads_p, p_params)


# ---------------------------------------------------------------------------
# MultivariateNormal ‖ MultivariateNormal
# ---------------------------------------------------------------------------


@register_kl(MultivariateNormal, MultivariateNormal)
def kl_mvn_mvn(q_params, p_params):
    """KL(N(μq, Rq Rqᵀ) ‖ N(μp, Rp Rpᵀ))
    = ½ [tr(Σp⁻¹ Σq) + (μp − μq)ᵀ Σp⁻¹ (μp − μq) − D + log det Σp − log det Σq]
    = ½ [‖M‖²_F + ‖y‖² − D] + Σᵢ log Rp,ᵢᵢ − Σᵢ log Rq,ᵢᵢ
    = ½ Σ₍ᵢ>ⱼ₎ M²ᵢⱼ + ½ ‖y‖² + Σᵢ [½ (Mᵢᵢ² − 1) − log Mᵢᵢ],

    with M = Rp⁻¹ Rq (lower triangular, Mᵢᵢ = Rq,ᵢᵢ/Rp,ᵢᵢ) and y = Rp⁻¹ (μp − μq)
    found by forward substitution (derivation 02, §5.2). The second form is a sum of
    non-negative terms, the diagonal ones the scalar ``_scale_divergence``: forming
    ‖M‖²_F − D would lose a KL of 1e-16 between nearly equal distributions.
    """
    lower_q = _lower_triangle(q_params["scale_tril"])
    lower_p = _lower_triangle(p_params["scale_tril"])
    whitened_scale = ad.solve_triangular(lower_p, lower_q, lower=True)
    whitened_shift = _solve_lower(lower_p, p_params["loc"] - q_params["loc"])
    size = whitened_shift.shape[-1]
    strictly_lower = ad.sum(ad.square(whitened_scale * np.tril(np.ones((size, size)), k=-1)), axis=(-2, -1))
    with np.errstate(over="ignore", under="ignore"):
        diagonal = ad.sum(_scale_divergence(ad.diagonal(lower_q, axis1=-2, axis2=-1), ad.diagonal(lower_p, axis1=-2, axis2=-1)), axis=-1)
    return 0.5 * (strictly_lower + ad.sum(ad.square(whitened_shift), axis=-1)) + diagonal


@register_kl_gradient(MultivariateNormal, MultivariateNormal)
def kl_mvn_mvn_grad(q_params, p_params):
    """With M = Rp⁻¹ Rq, y = Rp⁻¹ (μp − μq), and tril keeping the lower triangle:

        ∂/∂μq = −Rp⁻ᵀ y = Σp⁻¹ (μq − μp),     ∂/∂μp = Rp⁻ᵀ y,
        ∂/∂Rq = tril(Rp⁻ᵀ M) − diag(1/Rq,ᵢᵢ),
        ∂/∂Rp = −tril(Rp⁻ᵀ (M Mᵀ + y yᵀ)) + diag(1/Rp,ᵢᵢ),

    from d(Rp⁻¹) = −Rp⁻¹ dRp Rp⁻¹ in ½‖Rp⁻¹ Rq‖²_F and ½‖Rp⁻¹ (μp − μq)‖².
    """
    scale_q, scale_p = q_params["scale_tril"], p_params["scale_tril"]
    whitened_scale = solve_triangular(scale_p, scale_q, lower=True)
    whitened_shift = _solve_lower(scale_p, p_params["loc"] - q_params["loc"])
    shift_back = _solve_lower(scale_p, whitened_shift, transpose=True)
    second_moment = whitened_scale @ np.swapaxes(whitened_scale, -1, -2) + (
        whitened_shift[..., :, None] * whitened_shift[..., None, :]
    )
    grads_q = {
        "loc": -shift_back,
        "scale_tril": np.tril(solve_triangular(scale_p, whitened_scale, lower=True, transpose=True))
        - _diagonal_matrix(1 / np.diagonal(scale_q, axis1=-2, axis2=-1)),
    }
    grads_p = {
        "loc": shift_back,
        "scale_tril": -np.tril(solve_triangular(scale_p, second_moment, lower=True, transpose=True))
        + _diagonal_matrix(1 / np.diagonal(scale_p, axis1=-2, axis2=-1)),
    }
    return _reduce_mvn(grads_q, q_params, p_params), _reduce_mvn(grads_p, p_params, q_params)


def _reduce_mvn(grads, params, other):
    """Broadcast each elementwise gradient to the pair's batch shape, then sum it to
    its parameter's shape (the terms above miss the batch axes of the other side)."""
    batch = np.broadcast_shapes(
        params["loc"].shape[:-1], params["scale_tril"].shape[:-2], other["loc"].shape[:-1], other["scale_tril"].shape[:-2]
    )
    size = params["loc"].shape[-1]
    full = {
        "loc": np.broadcast_to(grads["loc"], batch + (size,)),
        "scale_tril": np.broadcast_to(grads["scale_tril"], batch + (size, size)),
    }
    return _reduce(full, params)


# ---------------------------------------------------------------------------
# Gamma ‖ Gamma, and the Exponential pairs as its α = 1 cases
# ---------------------------------------------------------------------------


def _gamma_gamma(alpha_q, beta_q, alpha_p, beta_p):
    """KL(Gamma(αq, βq) ‖ Gamma(αp, βp)) rearranged, with ρ = βp/βq, as

        B(αq, αp) + αq (ρ − 1 − log ρ) + (αq − αp) log ρ,

    B(a, b) = lnΓ(b) − lnΓ(a) − (b − a) ψ(a) ≥ 0 (``gammaln_bregman``): the first two
    terms are non-negative and the third a product of two small differences, so
    nothing cancels for near-equal distributions or huge shapes (the textbook form
    subtracts lnΓ values of size α log α). Where αq ≥ 2αp and αq ≥ 1 it is computed as

        −H[q] − E_q[log p] = −H[q] − αp log βp + lnΓ(αp) − (αp − 1) E_q[log z] + βp E_q[z],

    E_q[log z] = ψ(αq) − log βq, E_q[z] = αq/βq, H[q] from ``gamma_entropy``."""
    with np.errstate(over="ignore", under="ignore"):
        u = (beta_p - beta_q) / beta_q
        log_rho = log_ratio(beta_p, beta_q)
        bregman = gammaln_bregman(alpha_q, alpha_p) + alpha_q * log1pmx(u, log_rho) + (alpha_q - alpha_p) * log_rho
        # q much more concentrated than p (αq ≥ 2 αp, αq ≥ 1): the divergence is
        # O(log αq) while those terms are O(αq); the cross-entropy form −H[q] − E_q[log p]
        # has small terms. (Below αq = 1 its ψ(αq) ≈ −1/αq terms would cancel instead.)
        concentrated = (ad.value_of(alpha_q) >= 2 * ad.value_of(alpha_p)) & (ad.value_of(alpha_q) >= 1)
        shape_p = _clamp(concentrated, alpha_p, 1.0)
        cross_entropy = (
            -shape_p * ad.log(beta_p)
            + ad.gammaln(shape_p)
            - (shape_p - 1) * (ad.digamma(alpha_q) - ad.log(beta_q))
            + _product_with_ratio(alpha_q, beta_p, beta_q)
        )
        return ad.where(concentrated, cross_entropy - gamma_entropy(alpha_q, beta_q), bregman)


def _product_with_ratio(a, b, c):
    """a · b/c, also where b/c or a/c overflows but the product does not."""
    with np.errstate(over="ignore", invalid="ignore"):
        first = ad.value_of(a) * np.divide(ad.value_of(b), ad.value_of(c))
    finite = np.isfinite(first)
    return ad.where(finite, a * (b / c), ad.where(finite, 1.0, a / c) * b)


def _gamma_gamma_grad(alpha_q, beta_q, alpha_p, beta_p):
    """Elementwise partial derivatives of ``_gamma_gamma`` (the ψ(αq) terms cancel
    in ∂/∂αq, leaving the trigamma ψ′), written with ρ = βp/βq: ∂/∂βq as
    (αp − αq ρ)/βq, not αp/βq − αq βp/βq², whose βq² overflows (at βq = 1e200 it
    turned −1e-200 into +1e-200), and log(βq/βp) by ``log_ratio``."""
    shape = np.broadcast_shapes(*(np.shape(a) for a in (alpha_q, beta_q, alpha_p, beta_p)))
    full = lambda value: np.broadcast_to(value, shape)  # noqa: E731
    with np.errstate(over="ignore", under="ignore"):
        rho = beta_p / beta_q
        return (
            {
                "concentration": full((alpha_q - alpha_p) * scipy.special.polygamma(1, alpha_q) + rho - 1),
                "rate": full((alpha_p - alpha_q * rho) / beta_q),
            },
            {
                "concentration": full(
                    scipy.special.digamma(alpha_p) - scipy.special.digamma(alpha_q) + log_ratio(beta_q, beta_p)
                ),
                "rate": full(alpha_q / beta_q - alpha_p / beta_p),
            },
        )


@register_kl(Gamma, Gamma)
def kl_gamma_gamma(q_params, p_params):
    """KL(Gamma(αq, βq) ‖ Gamma(αp, βp))
    = (αq − αp) ψ(αq) − lnΓ(αq) + lnΓ(αp) + αp (log βq − log βp) + αq (βp − βq)/βq,

    from E_q[log z] = ψ(αq) − log βq and E_q[z] = αq/βq (derivation 02, §5.3).
    """
    return _gamma_gamma(q_params["concentration"], q_params["rate"], p_params["concentration"], p_params["rate"])


@register_kl_gradient(Gamma, Gamma)
def kl_gamma_gamma_grad(q_params, p_params):
    """∂/∂αq = (αq − αp) ψ′(αq) + βp/βq − 1,   ∂/∂βq = (αp − αq βp/βq)/βq,
    ∂/∂αp = ψ(αp) − ψ(αq) + log(βq/βp),   ∂/∂βp = αq/βq − αp/βp."""
    grads_q, grads_p = _gamma_gamma_grad(
        q_params["concentration"], q_params["rate"], p_params["concentration"], p_params["rate"]
    )
    return _reduce(grads_q, q_params), _reduce(grads_p, p_params)


@register_kl(Exponential, Exponential)
def kl_exponential_exponential(q_params, p_params):
    """KL(Exp(λq) ‖ Exp(λp)) = log(λq/λp) + λp/λq − 1: Gamma ‖ Gamma with αq = αp = 1
    (derivation 02, §5.4); = ρ − 1 − log ρ with ρ = λp/λq, a function of the ratio
    alone, so invariant under a common change of scale."""
    rate_q, rate_p = q_params["rate"], p_params["rate"]
    with np.errstate(over="ignore", under="ignore"):
        return log1pmx((rate_p - rate_q) / rate_q, log_ratio(rate_p, rate_q))


@register_kl_gradient(Exponential, Exponential)
def kl_exponential_exponential_grad(q_params, p_params):
    """∂/∂λq = 1/λq − λp/λq²,   ∂/∂λp = 1/λq − 1/λp."""
    grads_q, grads_p = _gamma_gamma_grad(1.0, q_params["rate"], 1.0, p_params["rate"])
    return _reduce({"rate": grads_q["rate"]}, q_params), _reduce({"rate": grads_p["rate"]}, p_params)


@register_kl(Exponential, Gamma)
def kl_exponential_gamma(q_params, p_params):
    """KL(Exp(λ) ‖ Gamma(α, β)) = (1 − α) ψ(1) + lnΓ(α) + α log(λ/β) + β/λ − 1, with
    ψ(1) = −γ: Gamma ‖ Gamma with αq = 1, since Exp(λ) = Gamma(1, λ) (derivation 02, §5.4)."""
    return _gamma_gamma(1.0, q_params["rate"], p_params["concentration"], p_params["rate"])


@register_kl_gradient(Exponential, Gamma)
def kl_exponential_gamma_grad(q_params, p_params):
    """∂/∂λ = α/λ − β/λ²,  ∂/∂α = ψ(α) − ψ(1) + log(λ/β),  ∂/∂β = 1/λ − α/β."""
    grads_q, grads_p = _gamma_gamma_grad(1.0, q_params["rate"], p_params["concentration"], p_params["rate"])
    return _reduce({"rate": grads_q["rate"]}, q_params), _reduce(grads_p, p_params)


@register_kl(Gamma, Exponential)
def kl_gamma_exponential(q_params, p_params):
    """KL(Gamma(α, β) ‖ Exp(λ)) = (α − 1) ψ(α) − lnΓ(α) + log(β/λ) + α (λ − β)/β:
    Gamma ‖ Gamma with αp = 1 (derivation 02, §5.4)."""
    return _gamma_gamma(q_params["concentration"], q_params["rate"], 1.0, p_params["rate"])


@register_kl_gradient(Gamma, Exponential)
def kl_gamma_exponential_grad(q_params, p_params):
    """∂/∂α = (α − 1) ψ′(α) + λ/β − 1,  ∂/∂β = 1/β − αλ/β²,  ∂/∂λ = α/β − 1/λ."""
    grads_q, grads_p = _gamma_gamma_grad(q_params["concentration"], q_params["rate"], 1.0, p_params["rate"])
    return _reduce(grads_q, q_params), _reduce({"rate": grads_p["rate"]}, p_params)


# ---------------------------------------------------------------------------
# Categorical ‖ Categorical, from probs or logits on either side
# ---------------------------------------------------------------------------


def _logits(params):
    """The parameter as logits: log p for a probs-parameterised Categorical."""
    return params["logits"] if "logits" in params else ad.log(params["probs"])


def _check_categories(q_params, p_params):
    counts = [np.shape(params.get("logits", params.get("probs")))[-1] for params in (q_params, p_params)]
    if counts[0] != counts[1]:
        raise ValueError(f"q and p must have the same number of categories; got {counts[0]} and {counts[1]}")


@register_kl(Categorical, Categorical)
def kl_categorical_categorical(q_params, p_params):
    """KL(q ‖ p) = Σₖ qₖ (log qₖ − log pₖ), with 0 · log 0 = 0 (derivation 02, §5.6).

    The terms of that sum have both signs and cancel to O(δ²) between distributions
    a relative δ apart. Since Σₖ pₖ = 1, with dₖ = log qₖ − log pₖ and g(d) = d + e⁻ᵈ − 1 ≥ 0,

        KL = Σ₍qₖ>0₎ qₖ g(dₖ) + Σ₍qₖ=0₎ pₖ,

    a sum of non-negative terms (qₖ g(dₖ) = qₖ dₖ + pₖ − qₖ away from dₖ = 0). d is
    formed from the raw logits difference a = logits_q − logits_p (centred by its p-mean, a constant that cancels) as
    dₖ = aₖ − log Σⱼ pⱼ e^(aⱼ), the normaliser taken as log1p(Σⱼ pⱼ expm1(aⱼ)) where a is small,
    so that no normaliser of size |logits| is subtracted. +∞ where qₖ > 0 = pₖ.
    """
    _check_categories(q_params, p_params)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        logits_q, logits_p = _logits(q_params), _logits(p_params)
        log_q, log_p = ad.log_softmax(logits_q, axis=-1), ad.log_softmax(logits_p, axis=-1)
        q, p = ad.exp(log_q), ad.exp(log_p)
        q_positive, p_positive = ad.value_of(q) > 0, ad.value_of(p) > 0
        both = q_positive & p_positive
        raw = ad.where(both, logits_q - logits_p, 0.0)
        raw = raw - ad.sum(ad.where(both, p * raw, 0.0), axis=-1, keepdims=True)
        small = np.all(np.abs(ad.value_of(raw)) < 0.5, axis=-1, keepdims=True)
        near = ad.log1p(ad.sum(ad.where(both, p * ad.expm1(_clamp_small(small, raw)), 0.0), axis=-1, keepdims=True)
                        - ad.sum(ad.where(q_positive, 0.0, p), axis=-1, keepdims=True))
        far = ad.logsumexp(ad.where(both, log_p + raw, -np.inf), axis=-1, keepdims=True)
        difference = raw - ad.where(small, near, far)
        # qₖ g(dₖ) = qₖ dₖ + pₖ − qₖ; the exact pₖ replaces qₖ e^(−dₖ) (which would
        # carry dₖ's rounding times pₖ/qₖ) except near dₖ = 0, where pₖ − qₖ cancels
        close = np.abs(ad.value_of(difference)) < 0.5
        near_difference = ad.where(close, difference, 0.0)
        divergence_terms = ad.where(
            close, q * (near_difference + ad.expm1(-near_difference)), q * difference + p - q
        )
        terms = ad.where(both, divergence_terms, ad.where(q_positive, 0.0, p))
        divergence = ad.sum(terms, axis=-1)
        impossible = np.any(q_positive & ~p_positive, axis=-1)
        return ad.where(impossible, np.inf, divergence)


def _clamp_small(small, raw):
    """``raw`` in the rows where it is small, 0 elsewhere (keeps expm1 from overflowing
    in the branch that is not selected)."""
    return _clamp(np.broadcast_to(small, np.shape(ad.value_of(raw))), raw, 0.0)


@register_kl_gradient(Categorical, Categorical)
def kl_categorical_categorical_grad(q_params, p_params):
    """With d = log q − log p and KL = Σₖ qₖ dₖ:

        ∂/∂logits_q = q ⊙ (d − KL),   ∂/∂probs_q = d − KL,
        ∂/∂logits_p = p − q,          ∂/∂probs_p = 1 − q/p;

    a probs gradient is the logits gradient divided by the probabilities, because
    logits = log probs up to a constant that the KL does not see.
    """
    _check_categories(q_params, p_params)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_q = ad.log_softmax(_logits(q_params), axis=-1)
        log_p = ad.log_softmax(_logits(p_params), axis=-1)
        q, p = np.exp(log_q), np.exp(log_p)
        # d = log q − log p; where qₖ = 0 the term qₖ dₖ is 0 but ∂/∂qₖ is −∞
        difference = np.where(q > 0, log_q - log_p, -np.inf)
        divergence = np.sum(np.where(q > 0, q * difference, 0.0), axis=-1, keepdims=True)
        if "logits" in q_params:
            grads_q = {"logits": np.where(q > 0, q * (difference - divergence), 0.0)}
        else:
            grads_q = {"probs": difference - divergence}
        if "logits" in p_params:
            grads_p = {"logits": p - q}
        else:
            grads_p = {"probs": 1 - np.divide(q, p, out=np.zeros(np.broadcast_shapes(q.shape, p.shape)), where=q > 0)}
    batch = np.broadcast_shapes(q.shape, p.shape)
    full = lambda grads: {name: np.broadcast_to(value, batch) for name, value in grads.items()}  # noqa: E731
    return _reduce(full(grads_q), q_params), _reduce(full(grads_p), p_params)


# ---------------------------------------------------------------------------
# Support mismatch: q lives on ℝ, p on (0, ∞) or [0, ∞); or one is discrete
# ---------------------------------------------------------------------------

for _positive_family in (Exponential, Gamma, LogNormal):
    register_infinite_kl(Normal, _positive_family)

# A discrete law against a continuous one (either way round): neither is absolutely
# continuous with respect to the other, so the divergence is +∞.
for _continuous_family in (Normal, Exponential, Gamma, LogNormal):
    register_infinite_kl(Categorical, _continuous_family)
    register_infinite_kl(_continuous_family, Categorical)
