"""CAVI for the Bayesian Gaussian mixture of Bishop, PRML §10.2 (scikit-learn's
``BayesianGaussianMixture``), with the ELBO in closed form after every update.

The model, for K components in D dimensions (independently for each k):

    π ~ Dir(α₀, …, α₀)                         ("dirichlet_distribution"), or
    πₖ = vₖ Πⱼ<ₖ (1 − vⱼ), vₖ ~ Beta(1, α₀)    ("dirichlet_process", stick breaking)
    Λₖ ~ Wishart(W₀, ν₀),   μₖ | Λₖ ~ N(m₀, (β₀ Λₖ)⁻¹)
    zₙ ~ Cat(π),            xₙ | zₙ = k ~ N(μₖ, Λₖ⁻¹)

with W₀⁻¹ = ``covariance_prior``. The mean-field family is

    q = Πₙ Cat(zₙ | rₙ) · q(π) · Πₖ N(μₖ | mₖ, (βₖ Λₖ)⁻¹) Wishart(Λₖ | Wₖ, νₖ),

q(π) = Dir(α) or Πₖ Beta(vₖ | γₖ₁, γₖ₂) (the truncation is of q, not of the model:
q(zₙ > K) = 0). ``covariance_type`` restricts the Wishart scale Wₖ = Uₖ Uₖᵀ:
``full`` (any), ``diag`` (diagonal), ``spherical`` (a multiple of I) and ``tied`` (one
W and ν shared by the K factors, which stay independent). Each restriction keeps
every coordinate update in closed form — the restricted argmax of the Wishart KL is
the diagonal, the mean of the diagonal, or the average over k of the unrestricted
Wₖ⁻¹ — and these are exactly scikit-learn's updates (derivation 07, §4).

The ELBO is

    L = Σₙₖ rₙₖ (ℓₙₖ + E[log πₖ] − log rₙₖ) − KL(q(π) ‖ p(π))
        − Σₖ KL(q(μₖ, Λₖ) ‖ p(μₖ, Λₖ)),
    ℓₙₖ = E[log N(xₙ | μₖ, Λₖ⁻¹)]
        = ½ E[log |Λₖ|] − (D/2) log 2π − D / (2βₖ) − (νₖ/2) (xₙ − mₖ)ᵀ Wₖ (xₙ − mₖ),
    E[log |Λₖ|] = ψ_D(νₖ/2) + D log 2 + log |Wₖ|,

and the coordinate updates (each the argmax of L in its coordinate) are

    q(zₙ):     rₙₖ ∝ exp(ℓₙₖ + E[log πₖ])
    q(π):      αₖ = α₀ + Nₖ;   or γₖ₁ = 1 + Nₖ, γₖ₂ = α₀ + Σⱼ>ₖ Nⱼ
    q(μₖ,Λₖ):  βₖ = β₀ + Nₖ,  mₖ = (β₀ m₀ + Σₙ rₙₖ xₙ) / βₖ,  νₖ = ν₀ + Nₖ,
               Wₖ⁻¹ = W₀⁻¹ + Σₙ rₙₖ (xₙ − mₖ)(xₙ − mₖ)ᵀ + β₀ (mₖ − m₀)(mₖ − m₀)ᵀ,

with Nₖ = Σₙ rₙₖ. Wₖ⁻¹ is summed about mₖ (Bishop's (10.62) rewritten), so it keeps
every digit when the data sit far from the origin, where scikit-learn's
E[x²] − x̄² statistics (tied, diag, spherical) do not.
"""

import time
import warnings
from dataclasses import dataclass, replace

import numpy as np
import scipy.special

from .. import autodiff as ad
from .. import numerics
from ..em import (
    INIT_PARAMS,
    ConvergenceWarning,
    GaussianMixtureEM,
    NotFittedError,
    _check_n_init,
    _check_progress,
    _estimator_generator,
    _ScikitLearnParameters,
)
from ..em_steps import _check_columns, _check_data
from ..models.gaussian_mixture import (
    GaussianMixture,
    centred_moments,
    check_covariance_type,
    most_responsible,
    parameter_shape,
    posterior_from_log_joint,
    squared_mahalanobis,
)
from ..numerics import LOG_2PI
from ..validation import as_float_array, as_generator, check_count, check_positive, check_size, check_tolerance

__all__ = [
    "BayesianGaussianMixtureCAVI",
    "GaussianWishartPrior",
    "VariationalParameters",
    "WEIGHT_CONCENTRATION_PRIOR_TYPES",
    "bayesian_mixture_elbo",
    "expected_log_likelihood",
    "expected_log_weights",
]

WEIGHT_CONCENTRATION_PRIOR_TYPES = ("dirichlet_process", "dirichlet_distribution")
# the order of the entries of ``elbo_history_`` within one iteration
UPDATES = ("assignments", "weights", "components")


@dataclass(frozen=True)
class GaussianWishartPrior:
    """The prior, named as scikit-learn's ``*_prior_`` attributes.

    ``covariance`` is W₀⁻¹ shaped by ``covariance_type``: (D, D) for full and tied,
    (D,) for diag (the diagonal), () for spherical (the multiple of I).
    """

    covariance_type: str
    weight_concentration_prior_type: str
    weight_concentration: float  # α₀
    mean_precision: float  # β₀
    mean: np.ndarray  # m₀, (D,)
    degrees_of_freedom: float  # ν₀ > D − 1
    covariance: np.ndarray  # W₀⁻¹

    @property
    def n_features(self):
        return self.mean.shape[0]

    def log_det_scale(self):
        """log |W₀| = −log |W₀⁻¹|."""
        D = self.n_features
        if self.covariance_type in ("full", "tied"):
            return -numerics.log_det_from_cholesky(numerics.cholesky(self.covariance))
        if self.covariance_type == "diag":
            return -float(np.sum(np.log(self.covariance)))
        return -D * float(np.log(self.covariance))


@dataclass
class VariationalParameters:
    """The parameters of q(π) Πₖ q(μₖ, Λₖ) (their fields may be autodiff Tensors).

    weight_concentration: α (K,) for a Dirichlet q(π); (2, K) rows γ₁, γ₂ of the
        Beta factors of the stick breaking.
    means: mₖ (K, D).  mean_precision: βₖ (K,).
    degrees_of_freedom: νₖ (K,), or a scalar for ``tied``.
    scale_cholesky: U with Wₖ = Uₖ Uₖᵀ, shaped as scikit-learn's precisions_cholesky_
        (which is √νₖ Uₖ): upper triangular (K, D, D) full, (D, D) tied; the diagonal
        (K, D) for diag; (K,) for spherical.
    """

    weight_concentration: np.ndarray
    means: np.ndarray
    mean_precision: np.ndarray
    degrees_of_freedom: np.ndarray
    scale_cholesky: np.ndarray


# ---------------------------------------------------------------------------
# Closed-form expectations and KL divergences. Written with vi_ref.autodiff
# functions, which run plain NumPy on arrays, so that the same formula is
# evaluated in the fit and differentiated in the argmax checks.
# ---------------------------------------------------------------------------


def _is_tensor(*values):
    return any(isinstance(value, ad.Tensor) for value in values)


def multivariate_digamma(a, dimension):
    """ψ_D(a) = Σᵢ₌₀^{D−1} ψ(a − i/2), elementwise over a."""
    offsets = np.arange(dimension) / 2
    return ad.sum(ad.digamma(a[..., None] - offsets), axis=-1)


def multivariate_gammaln(a, dimension):
    """log Γ_D(a) = D(D−1)/4 · log π + Σᵢ₌₀^{D−1} log Γ(a − i/2), elementwise over a."""
    offsets = np.arange(dimension) / 2
    constant = dimension * (dimension - 1) / 4 * np.log(np.pi)
    return constant + ad.sum(ad.gammaln(a[..., None] - offsets), axis=-1)


def _log_det_scale(scale_cholesky, covariance_type, dimension):
    """log |W| = 2 Σ log Uᵢᵢ, per component (a scalar for tied)."""
    if covariance_type in ("full", "tied"):
        return 2 * ad.sum(ad.log(ad.diagonal(scale_cholesky, 0, -2, -1)), axis=-1)
    if covariance_type == "diag":
        return 2 * ad.sum(ad.log(scale_cholesky), axis=-1)
    return 2 * dimension * ad.log(scale_cholesky)


def _trace_with_scale(matrix, scale_cholesky, covariance_type, dimension):
    """tr(A W) = tr(A U Uᵀ) for A shaped like ``covariance_prior``."""
    if covariance_type in ("full", "tied"):
        return ad.sum(ad.sum((matrix @ scale_cholesky) * scale_cholesky, axis=-1), axis=-1)
    if covariance_type == "diag":
        return ad.sum(matrix * ad.square(scale_cholesky), axis=-1)
    return dimension * matrix * ad.square(scale_cholesky)


def _whitened_squares(difference, scale_cholesky, covariance_type):
    """‖dᵀ Uₖ‖² = dᵀ Wₖ d for differences d of shape (K, M, D): (K, M)."""
    if covariance_type in ("full", "tied"):
        whitened = difference @ scale_cholesky
    elif covariance_type == "diag":
        whitened = difference * scale_cholesky[:, None, :]
    else:
        whitened = difference * scale_cholesky[:, None, None]
    return ad.sum(ad.square(whitened), axis=-1)


def expected_log_det_precision(parameters, covariance_type, dimension):
    """E[log |Λₖ|] = ψ_D(νₖ/2) + D log 2 + log |Wₖ|."""
    return (
        multivariate_digamma(parameters.degrees_of_freedom * 0.5, dimension)
        + dimension * np.log(2.0)
        + _log_det_scale(parameters.scale_cholesky, covariance_type, dimension)
    )


def expected_log_likelihood(X, parameters, covariance_type):
    """ℓₙₖ = E_q[log N(xₙ | μₖ, Λₖ⁻¹)], (N, K):

        ℓₙₖ = ½ E[log |Λₖ|] − (D/2) log 2π − D/(2βₖ) − (νₖ/2) (xₙ − mₖ)ᵀ Wₖ (xₙ − mₖ).

    On arrays the quadratic form comes from ``models.gaussian_mixture.
    squared_mahalanobis`` (centred, chunked); on autodiff Tensors from the same
    formula written with broadcasting, which the tests check against it.
    """
    means, scale = parameters.means, parameters.scale_cholesky
    dimension = X.shape[1]
    if _is_tensor(means, scale):
        squares = ad.transpose(_whitened_squares(X[None] - means[:, None, :], scale, covariance_type))
    else:
        squares = squared_mahalanobis(X, means, scale, covariance_type)
    return (
        0.5 * expected_log_det_precision(parameters, covariance_type, dimension)
        - 0.5 * dimension * LOG_2PI
        - 0.5 * dimension / parameters.mean_precision
        - 0.5 * parameters.degrees_of_freedom * squares
    )


def expected_log_weights(weight_concentration, weight_concentration_prior_type):
    """E_q[log πₖ], (K,):

        Dirichlet:  ψ(αₖ) − ψ(Σⱼ αⱼ)
        stick breaking:  E[log vₖ] + Σⱼ<ₖ E[log(1 − vⱼ)],
            E[log vₖ] = ψ(γₖ₁) − ψ(γₖ₁ + γₖ₂),  E[log(1 − vₖ)] = ψ(γₖ₂) − ψ(γₖ₁ + γₖ₂).
    """
    if weight_concentration_prior_type == "dirichlet_distribution":
        return ad.digamma(weight_concentration) - ad.digamma(ad.sum(weight_concentration))
    first, second = weight_concentration[0], weight_concentration[1]
    digamma_total = ad.digamma(first + second)
    log_stick = ad.digamma(first) - digamma_total
    log_rest = ad.digamma(second) - digamma_total
    n_components = first.shape[0]
    earlier = np.tril(np.ones((n_components, n_components)), -1)  # earlier[k, j] = [j < k]
    return log_stick + ad.sum(earlier * log_rest, axis=-1)


def kl_weights(weight_concentration, prior):
    """KL(q(π) ‖ p(π)): of Dir(α) from Dir(α₀ 1), or Σₖ KL(Beta(γₖ₁, γₖ₂) ‖ Beta(1, α₀))

        KL(Dir(a) ‖ Dir(b)) = log Γ(Σa) − Σ log Γ(aₖ) − log Γ(Σb) + Σ log Γ(bₖ)
                              + Σₖ (aₖ − bₖ)(ψ(aₖ) − ψ(Σa)),

    the Beta case being the Dirichlet case with two components.
    """
    alpha0 = prior.weight_concentration
    if prior.weight_concentration_prior_type == "dirichlet_distribution":
        n_components = weight_concentration.shape[0]
        total = ad.sum(weight_concentration)
        return (
            ad.gammaln(total) - ad.sum(ad.gammaln(weight_concentration))
            - scipy.special.gammaln(n_components * alpha0) + n_components * scipy.special.gammaln(alpha0)
            + ad.sum((weight_concentration - alpha0) * (ad.digamma(weight_concentration) - ad.digamma(total)))
        )
    first, second = weight_concentration[0], weight_concentration[1]
    total = first + second
    digamma_total = ad.digamma(total)
    per_stick = (
        ad.gammaln(total) - ad.gammaln(first) - ad.gammaln(second)
        - scipy.special.gammaln(1 + alpha0) + scipy.special.gammaln(alpha0)
        + (first - 1) * (ad.digamma(first) - digamma_total)
        + (second - alpha0) * (ad.digamma(second) - digamma_total)
    )
    return ad.sum(per_stick)


def kl_gaussian_wishart(parameters, prior):
    """Σₖ KL(N(mₖ, (βₖΛ)⁻¹) Wishart(Wₖ, νₖ) ‖ N(m₀, (β₀Λ)⁻¹) Wishart(W₀, ν₀)) =
    Σₖ KL_W + E_{q(Λ)}[KL of the Gaussians], with

        KL_W = (ν − ν₀)/2 ψ_D(ν/2) − log Γ_D(ν/2) + log Γ_D(ν₀/2)
               + ν₀/2 (log |W₀| − log |W|) + ν/2 (tr(W₀⁻¹ W) − D),
        E KL_N = ½ [D β₀/β − D + D log(β/β₀) + β₀ ν (m − m₀)ᵀ W (m − m₀)].

    For ``tied`` the K factors share W and ν, so KL_W counts K times.
    """
    kind, dimension = prior.covariance_type, prior.n_features
    nu, nu0 = parameters.degrees_of_freedom, prior.degrees_of_freedom
    scale = parameters.scale_cholesky
    n_components = parameters.mean_precision.shape[0]
    kl_wishart = (
        (nu - nu0) * 0.5 * multivariate_digamma(nu * 0.5, dimension)
        - multivariate_gammaln(nu * 0.5, dimension)
        + multivariate_gammaln(np.asarray(nu0 * 0.5), dimension)
        + nu0 * 0.5 * (prior.log_det_scale() - _log_det_scale(scale, kind, dimension))
        + nu * 0.5 * (_trace_with_scale(prior.covariance, scale, kind, dimension) - dimension)
    )
    kl_wishart = n_components * kl_wishart if kind == "tied" else ad.sum(kl_wishart)
    beta, beta0 = parameters.mean_precision, prior.mean_precision
    offsets = (parameters.means - prior.mean)[:, None, :]
    spread = _whitened_squares(offsets, scale, kind)[:, 0]
    kl_means = 0.5 * ad.sum(
        dimension * beta0 / beta - dimension + dimension * ad.log(beta / beta0) + beta0 * nu * spread
    )
    return kl_wishart + kl_means


def _negative_entropy(responsibilities):
    """Σₙₖ rₙₖ log rₙₖ, with 0 log 0 = 0."""
    if _is_tensor(responsibilities):
        positive = responsibilities > 0
        safe = ad.where(positive, responsibilities, 1.0)
        return ad.sum(ad.where(positive, responsibilities * ad.log(safe), 0.0))
    return float(np.sum(scipy.special.xlogy(responsibilities, responsibilities)))


def _elbo(expected_log_joint, negative_entropy, parameters, prior):
    return (
        expected_log_joint - negative_entropy
        - kl_weights(parameters.weight_concentration, prior)
        - kl_gaussian_wishart(parameters, prior)
    )


def bayesian_mixture_elbo(X, responsibilities, parameters, prior):
    """The ELBO of q = Πₙ Cat(rₙ) · q(π) · Πₖ q(μₖ, Λₖ), in closed form:

        L = Σₙₖ rₙₖ (ℓₙₖ + E[log πₖ] − log rₙₖ) − KL(q(π) ‖ p(π))
            − Σₖ KL(q(μₖ, Λₖ) ‖ p(μₖ, Λₖ))

    (a sum over the data set, scikit-learn's scale; derivation 07, §4).

    Args:
        X: (N, D) data. responsibilities: (N, K) rows of q(zₙ).
        parameters: ``VariationalParameters`` (arrays or autodiff Tensors).
        prior: ``GaussianWishartPrior``.

    Returns:
        the ELBO (a float, or a Tensor when an input is one).
    """
    log_likelihood = expected_log_likelihood(X, parameters, prior.covariance_type)
    log_weights = expected_log_weights(parameters.weight_concentration, prior.weight_concentration_prior_type)
    expected = ad.sum(responsibilities * (log_likelihood + log_weights))
    return _elbo(expected, _negative_entropy(responsibilities), parameters, prior)


# ---------------------------------------------------------------------------
# The coordinate updates
# ---------------------------------------------------------------------------


def update_responsibilities(log_likelihood, log_weights):
    """q(zₙ): rₙₖ ∝ exp(ℓₙₖ + E[log πₖ]), (N, K)."""
    responsibilities, _ = posterior_from_log_joint(log_likelihood + log_weights, axis=1)
    return responsibilities


def update_weight_concentration(counts, prior):
    """q(π): αₖ = α₀ + Nₖ (``counts`` holds Nₖ = Σₙ rₙₖ), or the Beta factors
    γ₁ = 1 + Nₖ, γ₂ = α₀ + Σⱼ>ₖ Nⱼ as (2, K)."""
    if prior.weight_concentration_prior_type == "dirichlet_distribution":
        return prior.weight_concentration + counts
    later = np.append(np.cumsum(counts[::-1])[-2::-1], 0.0)  # Σⱼ>ₖ Nⱼ, summed from the end
    return np.stack([1.0 + counts, prior.weight_concentration + later])


def _scale_cholesky_from_inverse(inverse_scale, covariance_type):
    """U upper triangular with U Uᵀ = W from W⁻¹ = C Cᵀ: U = C⁻ᵀ (diagonal: 1/√w⁻¹)."""
    if covariance_type in ("full", "tied"):
        try:
            factor = numerics.cholesky(inverse_scale, "inverse Wishart scale")
        except ValueError as error:
            raise ValueError(
                f"the update of q(Λ) failed: {error} (W₀⁻¹ + the spread of a component's points is"
                " singular in float64: covariance_prior is nearly singular for these data); pass a"
                " larger covariance_prior or reg_covar > 0"
            ) from None
        return np.swapaxes(numerics.lower_triangular_inverse(factor), -1, -2)
    return 1.0 / np.sqrt(inverse_scale)


def update_gaussian_wishart(X, responsibilities, prior, reg_covar=0.0):
    """q(μₖ, Λₖ) for every k (they are independent given the responsibilities):

        βₖ = β₀ + Nₖ,  mₖ = (β₀ m₀ + Σₙ rₙₖ xₙ) / βₖ,  νₖ = ν₀ + Nₖ,
        Wₖ⁻¹ = W₀⁻¹ + Σₙ rₙₖ (xₙ − mₖ)(xₙ − mₖ)ᵀ + β₀ (mₖ − m₀)(mₖ − m₀)ᵀ + Nₖ λ I,

    restricted by ``covariance_type``: diag keeps the diagonal of Wₖ⁻¹, spherical
    its mean diagonal entry; tied averages Wₖ⁻¹ over k and takes ν = ν₀ + N/K.
    ``reg_covar`` = λ is scikit-learn's regulariser (added to the covariance of each
    component's data); with λ = 0 this is the exact argmax of the ELBO.

    Returns:
        (means, mean_precision, degrees_of_freedom, scale_cholesky).
    """
    kind = prior.covariance_type
    component_major = np.ascontiguousarray(responsibilities.T)
    counts = component_major.sum(axis=1)
    n_components, dimension = component_major.shape[0], X.shape[1]
    mean_precision = prior.mean_precision + counts
    means = (prior.mean_precision * prior.mean + component_major @ X) / mean_precision[:, None]
    matrix = kind in ("full", "tied")
    _, scatter = centred_moments(X, component_major, means, range(n_components), matrix)
    offsets = means - prior.mean
    if matrix:
        spread = scatter + prior.mean_precision * offsets[:, :, None] * offsets[:, None, :]
        spread += (reg_covar * counts)[:, None, None] * np.eye(dimension)
    else:
        spread = scatter + prior.mean_precision * offsets**2 + (reg_covar * counts)[:, None]
    if kind == "tied":
        inverse_scale = prior.covariance + spread.sum(axis=0) / n_components
        degrees_of_freedom = prior.degrees_of_freedom + counts.sum() / n_components
    else:
        if kind == "spherical":
            spread = spread.mean(axis=1)
        inverse_scale = prior.covariance + spread
        degrees_of_freedom = prior.degrees_of_freedom + counts
    return means, mean_precision, degrees_of_freedom, _scale_cholesky_from_inverse(inverse_scale, kind)


def _assignments(X, parameters, prior):
    """q(z) updated from the other factors: rₙₖ ∝ exp(ℓₙₖ + E[log πₖ]), (N, K)."""
    return update_responsibilities(
        expected_log_likelihood(X, parameters, prior.covariance_type),
        expected_log_weights(parameters.weight_concentration, prior.weight_concentration_prior_type),
    )


def update_parameters(X, responsibilities, prior, reg_covar=0.0):
    """q(π) and every q(μₖ, Λₖ) from the responsibilities (the "M-step" block)."""
    counts = responsibilities.sum(axis=0)
    means, mean_precision, dof, scale = update_gaussian_wishart(X, responsibilities, prior, reg_covar)
    return VariationalParameters(update_weight_concentration(counts, prior), means, mean_precision, dof, scale)


# ---------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------


@dataclass
class _Run:
    parameters: VariationalParameters
    responsibilities: np.ndarray
    lower_bound: float
    n_iter: int
    converged: bool
    elbo_history: np.ndarray


class _ELBOTracker:
    """The ELBO from its parts, each recomputed only when its coordinate changes:
    ℓ and the Gaussian–Wishart KL with q(μ, Λ), E[log π] and the weights' KL with
    q(π), the entropy with q(z)."""

    def __init__(self, X, responsibilities, parameters, prior):
        self.X, self.prior = X, prior
        self.responsibilities = responsibilities
        self.negative_entropy = _negative_entropy(responsibilities)
        self.parameters = parameters
        self._set_weights(parameters.weight_concentration)
        self._set_components(parameters)

    def value(self):
        # einsum rather than a BLAS dot: see vi_ref.em._expected_log_joint
        expected = float(np.einsum("nk,nk->", self.responsibilities, self.log_likelihood))
        expected += float(self.responsibilities.sum(axis=0) @ self.log_weights)
        return expected - self.negative_entropy - self.kl_weights - self.kl_components

    def _set_weights(self, concentration):
        self.parameters = replace(self.parameters, weight_concentration=concentration)
        self.log_weights = expected_log_weights(concentration, self.prior.weight_concentration_prior_type)
        self.kl_weights = float(kl_weights(concentration, self.prior))

    def _set_components(self, parameters):
        self.parameters = parameters
        self.log_likelihood = expected_log_likelihood(self.X, parameters, self.prior.covariance_type)
        self.kl_components = float(kl_gaussian_wishart(parameters, self.prior))

    def update_assignments(self):
        self.responsibilities = update_responsibilities(self.log_likelihood, self.log_weights)
        self.negative_entropy = _negative_entropy(self.responsibilities)

    def update_weights(self):
        counts = self.responsibilities.sum(axis=0)
        self._set_weights(update_weight_concentration(counts, self.prior))

    def update_components(self, reg_covar):
        means, mean_precision, dof, scale = update_gaussian_wishart(
            self.X, self.responsibilities, self.prior, reg_covar
        )
        self._set_components(replace(
            self.parameters, means=means, mean_precision=mean_precision,
            degrees_of_freedom=dof, scale_cholesky=scale,
        ))


class BayesianGaussianMixtureCAVI(_ScikitLearnParameters):
    """Variational Bayesian Gaussian mixture by coordinate ascent, with scikit-learn's
    ``BayesianGaussianMixture`` interface and meanings (``rng`` or ``random_state``):
    ``fit``, ``fit_predict``, ``predict``, ``predict_proba``, ``score_samples`` and
    ``score`` (from E_q[log π] and E_q[log N], as scikit-learn's), ``sample`` (from the
    point mixture), ``warm_start``, ``verbose``.

    Fitting starts from responsibilities (``init_params`` or ``responsibilities_init``),
    sets q(π) and q(μ, Λ) from them, then repeats, ``max_iter`` times at most:
    update q(z) (assignments), q(π) (weights), q(μ, Λ) (components), recording the
    ELBO after each; it stops when the ELBO changes by less than ``tol`` between
    iterations (scikit-learn's rule; its bound differs from the ELBO by a constant).
    With ``reg_covar = 0`` every update is the exact coordinate argmax, so
    ``elbo_history_`` never decreases (derivation 07).

    Args:
        n_components: K ≥ 1 (an upper bound on the components used).
        covariance_type: ``"full"``, ``"tied"``, ``"diag"`` or ``"spherical"``.
        tol: convergence threshold (≥ 0) on the change of the ELBO per iteration.
        reg_covar: λ ≥ 0, scikit-learn's regulariser: Nₖ λ I is added to Wₖ⁻¹. The
            default is 0, not scikit-learn's 1e-6: the Wishart prior already keeps
            every Wₖ positive definite, and λ > 0 makes the update not quite the
            argmax (the ELBO may then fall by up to the size of the λ term).
        max_iter: iterations at most (0 keeps the initial q).
        n_init: starts (1 … 10⁶), their generators spawned from ``rng``; the one
            with the highest ELBO wins.
        init_params: one of ``vi_ref.em.INIT_PARAMS``, giving the initial
            responsibilities: ``"random"`` (uniform draws, normalised),
            ``"random_from_data"`` (component k on one random data point; the
            start's q(z) of every point is then the update from the factors), or a
            k-means start (``"kmeans++"``, ``"kmeans"``, ``"k-means++"``): the one-hot
            labels of the starting mixture of ``GaussianMixtureEM`` with that
            ``init_params``. The default is ``"kmeans++"`` (k-means++ seeds and at most
            10 Lloyd steps), not scikit-learn's ``"kmeans"`` (Lloyd steps to a fixed
            point): pass ``init_params="kmeans"`` for scikit-learn's start.
        weight_concentration_prior_type: ``"dirichlet_process"`` (default) or
            ``"dirichlet_distribution"``.
        weight_concentration_prior: α₀ > 0 (default 1/K).
        mean_precision_prior: β₀ > 0 (default 1).
        mean_prior: m₀ (D,) (default the mean of X).
        degrees_of_freedom_prior: ν₀ > D − 1 (default D).
        covariance_prior: W₀⁻¹, (D, D) full/tied, (D,) diag, a number for
            spherical (default: the covariance of X, its diagonal, or the mean of it).
        responsibilities_init: optional (N, K) starting responsibilities (overrides
            ``init_params``; used for comparisons from an identical start).
        rng: ``np.random.Generator``, int seed or None (SPEC 7).
        random_state: scikit-learn's name for ``rng`` (it also accepts a legacy
            ``np.random.RandomState``); give at most one of the two.
        warm_start: if true and the estimator is fitted, ``fit`` continues from the
            fitted q(π) Πₖ q(μₖ, Λₖ) (one start; ``init_params``,
            ``responsibilities_init`` and ``n_init`` ignored), exactly as if the
            previous run had gone on: its first update is q(z) for X, and its first
            change of the ELBO is measured from the previous ``lower_bound_``.
        verbose: 0 silent, 1 prints each start and every ``verbose_interval``-th
            iteration, 2 also the time and the change of the ELBO (scikit-learn's
            lines; the change equals scikit-learn's, whose bound differs from the
            ELBO by a constant).
        verbose_interval: iterations between two printed lines (≥ 1).

    The constructor stores its arguments unchanged; ``fit`` validates them
    (``get_params``/``set_params`` follow scikit-learn, so ``sklearn.base.clone``
    works).

    Attributes after ``fit``: ``weight_concentration_`` (α, or the tuple (γ₁, γ₂) as
    in scikit-learn), ``weights_`` (E[π], normalised), ``mean_precision_``, ``means_``,
    ``degrees_of_freedom_``, ``covariances_`` (Wₖ⁻¹/νₖ), ``precisions_`` (νₖ Wₖ),
    ``precisions_cholesky_``, the ``*_prior_`` values used, ``lower_bound_`` (the
    exact ELBO of the fitted q, a sum over the data), ``lower_bounds_`` (the ELBO
    after each iteration, scikit-learn's per-iteration bounds up to one constant),
    ``elbo_history_`` ([start, then assignments, weights, components for each
    iteration]), ``converged_``, ``n_iter_``, ``n_features_in_``; ``parameters_`` and
    ``prior_`` as objects for ``bayesian_mixture_elbo``.
    """

    def __init__(self, n_components=1, *, covariance_type="full", tol=1e-3, reg_covar=0.0,
                 max_iter=100, n_init=1, init_params="kmeans++",
                 weight_concentration_prior_type="dirichlet_process",
                 weight_concentration_prior=None, mean_precision_prior=None, mean_prior=None,
                 degrees_of_freedom_prior=None, covariance_prior=None,
                 responsibilities_init=None, rng=None, random_state=None, warm_start=False,
                 verbose=0, verbose_interval=10):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weight_concentration_prior_type = weight_concentration_prior_type
        self.weight_concentration_prior = weight_concentration_prior
        self.mean_precision_prior = mean_precision_prior
        self.mean_prior = mean_prior
        self.degrees_of_freedom_prior = degrees_of_freedom_prior
        self.covariance_prior = covariance_prior
        self.responsibilities_init = responsibilities_init
        self.rng = rng
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval

    # ----- validation ---------------------------------------------------------------

    def _prior(self, X):
        n_components = check_count(self.n_components, "n_components", minimum=1)
        kind = check_covariance_type(self.covariance_type)
        if self.weight_concentration_prior_type not in WEIGHT_CONCENTRATION_PRIOR_TYPES:
            raise ValueError(
                f"weight_concentration_prior_type must be one of {WEIGHT_CONCENTRATION_PRIOR_TYPES};"
                f" got {self.weight_concentration_prior_type!r}"
            )
        dimension = X.shape[1]

        def positive_number(value, name, default):
            value = default if value is None else value
            value = float(check_positive(as_float_array(value, name, ndim=0), name))
            if value < np.finfo(float).tiny:  # subnormal: 1/value and ψ(value) overflow (the ELBO was NaN)
                raise ValueError(f"{name} must be at least 2.2e-308 (a normal float); got {value}")
            return value

        alpha0 = positive_number(self.weight_concentration_prior, "weight_concentration_prior", 1.0 / n_components)
        beta0 = positive_number(self.mean_precision_prior, "mean_precision_prior", 1.0)
        nu0 = positive_number(self.degrees_of_freedom_prior, "degrees_of_freedom_prior", float(dimension))
        if nu0 <= dimension - 1:
            raise ValueError(f"degrees_of_freedom_prior must be > n_features − 1 = {dimension - 1}; got {nu0}")
        if self.mean_prior is None:
            mean = X.mean(axis=0)
        else:
            mean = as_float_array(self.mean_prior, "mean_prior", ndim=1)
            if mean.shape != (dimension,):
                raise ValueError(f"mean_prior must have shape ({dimension},); got {mean.shape}")
        if self.covariance_prior is None:
            variances = np.var(X, axis=0, ddof=1)
            covariance = {
                "full": np.atleast_2d(np.cov(X.T)),
                "tied": np.atleast_2d(np.cov(X.T)),
                "diag": variances,
                "spherical": np.asarray(variances.mean()),
            }[kind]
        else:
            shape = {"full": (dimension, dimension), "tied": (dimension, dimension),
                     "diag": (dimension,), "spherical": ()}[kind]
            covariance = as_float_array(self.covariance_prior, "covariance_prior")
            if covariance.shape != shape:
                raise ValueError(
                    f"covariance_prior must have shape {shape} for covariance_type={kind!r};"
                    f" got {covariance.shape}"
                )
        try:
            if kind in ("full", "tied"):
                numerics.cholesky(covariance, "covariance_prior")
            else:
                check_positive(covariance, "covariance_prior")
        except ValueError as error:
            if self.covariance_prior is not None:
                raise
            raise ValueError(
                f"X has a {'feature' if kind in ('diag', 'spherical') else 'feature or direction'} with"
                " no spread, so the default covariance_prior, the covariance of X, is singular"
                f" ({error}); the Wishart prior needs it positive definite: pass covariance_prior"
            ) from None
        return GaussianWishartPrior(
            kind, self.weight_concentration_prior_type, alpha0, beta0, mean, nu0, covariance
        )

    def _check_fit_settings(self):
        tol, reg_covar = check_tolerance(self.tol, "tol"), check_tolerance(self.reg_covar, "reg_covar")
        if self.init_params not in INIT_PARAMS:
            raise ValueError(f"init_params must be one of {INIT_PARAMS}; got {self.init_params!r}")
        return (tol, reg_covar, check_size(check_count(self.max_iter, "max_iter", minimum=0), "max_iter"),
                _check_n_init(self.n_init))

    def _initial_responsibilities(self, X, n_components, generator):
        if self.responsibilities_init is not None:
            responsibilities = as_float_array(self.responsibilities_init, "responsibilities_init", ndim=2)
            if responsibilities.shape != (X.shape[0], n_components):
                raise ValueError(
                    f"responsibilities_init must have shape {(X.shape[0], n_components)};"
                    f" got {responsibilities.shape}"
                )
            if np.any(responsibilities < 0) or not np.allclose(responsibilities.sum(axis=1), 1, rtol=1e-10):
                raise ValueError("responsibilities_init must be non-negative with rows summing to 1")
            return responsibilities
        responsibilities = np.zeros((X.shape[0], n_components))
        if self.init_params == "random":
            responsibilities = generator.uniform(size=(X.shape[0], n_components))
            responsibilities /= responsibilities.sum(axis=1, keepdims=True)
        elif self.init_params == "random_from_data":  # each component starts on one data point
            chosen = generator.choice(X.shape[0], size=n_components, replace=False)
            responsibilities[chosen, np.arange(n_components)] = 1.0
        else:  # a k-means start: the labels of vi_ref.em's starting mixture, one-hot
            start = GaussianMixtureEM(n_components, covariance_type="spherical", init_params=self.init_params,
                                      max_iter=0, rng=generator).fit(X)
            responsibilities[np.arange(X.shape[0]), start.predict(X)] = 1.0
        return responsibilities

    # ----- fitting --------------------------------------------------------------------

    def _run(self, X, prior, parameters, responsibilities, settings, previous=-np.inf):
        """Coordinate ascent from q(z) = ``responsibilities`` and the other factors
        ``parameters``, until the ELBO changes by less than tol between iterations
        (``previous``: the ELBO before this run, −∞ for a new start)."""
        tol, reg_covar, max_iter, verbose, verbose_interval = settings
        tracker = _ELBOTracker(X, responsibilities, parameters, prior)
        history = [tracker.value()]
        converged = False
        n_iter = 0
        clock = time.perf_counter()
        for n_iter in range(1, max_iter + 1):
            tracker.update_assignments()
            history.append(tracker.value())
            tracker.update_weights()
            history.append(tracker.value())
            tracker.update_components(reg_covar)
            history.append(tracker.value())
            change = history[-1] - previous
            if verbose and n_iter % verbose_interval == 0:
                now = time.perf_counter()
                print(f"  Iteration {n_iter}" + (
                    f"\t time lapse {now - clock:.5f}s\t ll change {change:.5f}"
                    if verbose >= 2 else ""))
                clock = now
            if abs(change) < tol:
                converged = True
                break
            previous = history[-1]
        return _Run(tracker.parameters, tracker.responsibilities, history[-1], n_iter,
                    converged, np.array(history))

    def _new_start(self, X, n_components, prior, reg_covar, generator):
        """(q(π) Πₖ q(μₖ, Λₖ), q(z), −∞) of a new start: the factors updated from the
        initial responsibilities, and q(z) those responsibilities — except for
        ``"random_from_data"``, whose rows are 0 but for K points (scikit-learn's
        start) and so are not a q(z): its q(z) is the update from the factors."""
        responsibilities = self._initial_responsibilities(X, n_components, generator)
        parameters = update_parameters(X, responsibilities, prior, reg_covar)
        if self.responsibilities_init is None and self.init_params == "random_from_data":
            responsibilities = _assignments(X, parameters, prior)
        return parameters, responsibilities, -np.inf

    def _warm_start_parameters(self, X, prior):
        """The fitted q(π) Πₖ q(μₖ, Λₖ), and q(z) for X from them; they must fit the
        current settings and X."""
        parameters = self.parameters_
        expected = (check_count(self.n_components, "n_components", minimum=1), X.shape[1],
                    prior.covariance_type, prior.weight_concentration_prior_type)
        found = (parameters.means.shape[0], parameters.means.shape[1],
                 self.prior_.covariance_type, self.prior_.weight_concentration_prior_type)
        if found != expected:
            raise ValueError(
                "warm_start: the fitted q has (n_components, n_features, covariance_type,"
                f" weight_concentration_prior_type) = {found} but the settings and X ask for"
                f" {expected}; fit with warm_start=False"
            )
        return parameters, _assignments(X, parameters, prior)

    def fit(self, X, y=None):
        """Fit q by coordinate ascent from ``n_init`` starts (or, with ``warm_start``,
        from the fitted q); keep the highest ELBO.

        Args:
            X: (N, D) finite data with N ≥ max(2, n_components).
            y: ignored (scikit-learn's signature).

        Returns:
            self.
        """
        X = _check_data(X)
        n_components = check_count(self.n_components, "n_components", minimum=1)
        if X.shape[0] < max(2, n_components):
            raise ValueError(
                f"X must have at least max(2, n_components) = {max(2, n_components)} samples;"
                f" got n_samples = {X.shape[0]}"
            )
        prior = self._prior(X)
        tol, reg_covar, max_iter, n_init = self._check_fit_settings()
        generator = _estimator_generator(self.rng, self.random_state)
        warm_start, verbose, verbose_interval = _check_progress(
            self.warm_start, self.verbose, self.verbose_interval)
        settings = (tol, reg_covar, max_iter, verbose, verbose_interval)
        if warm_start and hasattr(self, "parameters_"):
            starts = [(*self._warm_start_parameters(X, prior), self.lower_bound_)]
        else:
            # spawned one at a time: the same children as spawn(n_init), without
            # making n_init generators at once
            starts = (self._new_start(X, n_components, prior, reg_covar, generator.spawn(1)[0])
                      for _ in range(n_init))
        best = None
        for index, (parameters, responsibilities, previous) in enumerate(starts):
            if verbose:
                print(f"Initialization {index}")
            clock = time.perf_counter()
            run = self._run(X, prior, parameters, responsibilities, settings, previous)
            if verbose and max_iter > 0:
                state = "converged" if run.converged else "did not converge"
                print(f"Initialization {state}." + (
                    f" time lapse {time.perf_counter() - clock:.5f}s\t lower bound"
                    f" {run.lower_bound:.5f}." if verbose >= 2 else ""))
            if best is None or run.lower_bound > best.lower_bound:
                best = run
        self._set_fitted(best, prior, X.shape[1])
        if not best.converged and max_iter > 0:
            warnings.warn(
                f"CAVI did not converge in max_iter = {max_iter} iterations (ELBO change >="
                f" tol = {tol}); increase max_iter or tol",
                ConvergenceWarning, stacklevel=2,
            )
        return self

    def fit_predict(self, X, y=None):
        """``fit(X)``, then the labels of X under the fitted q (= ``predict(X)``)."""
        return self.fit(X).predict(X)

    def _set_fitted(self, run, prior, n_features):
        parameters = run.parameters
        self.prior_, self.parameters_ = prior, parameters
        self.weight_concentration_prior_ = prior.weight_concentration
        self.mean_precision_prior_ = prior.mean_precision
        self.mean_prior_ = prior.mean
        self.degrees_of_freedom_prior_ = prior.degrees_of_freedom
        self.covariance_prior_ = prior.covariance
        concentration = parameters.weight_concentration
        if prior.weight_concentration_prior_type == "dirichlet_process":
            self.weight_concentration_ = (concentration[0], concentration[1])
            # E[πₖ] = E[vₖ] Πⱼ<ₖ E[1 − vⱼ], renormalised over the K sticks as scikit-learn does
            stick = concentration[0] / concentration.sum(axis=0)
            weights = stick * np.concatenate([[1.0], np.cumprod(1 - stick)[:-1]])
            self.weights_ = weights / weights.sum()
        else:
            self.weight_concentration_ = concentration
            self.weights_ = concentration / concentration.sum()
        self.mean_precision_ = parameters.mean_precision
        self.means_ = parameters.means
        self.degrees_of_freedom_ = parameters.degrees_of_freedom
        self.precisions_cholesky_, self.precisions_, self.covariances_ = _moments_of_precision(
            parameters, prior.covariance_type
        )
        self.lower_bound_ = run.lower_bound
        self.lower_bounds_ = run.elbo_history[len(UPDATES)::len(UPDATES)]
        self.elbo_history_ = run.elbo_history
        self.responsibilities_ = run.responsibilities
        self.converged_ = run.converged
        self.n_iter_ = run.n_iter
        self.n_features_in_ = n_features

    # ----- using the fitted q ----------------------------------------------------------

    def _check_fitted(self):
        if not hasattr(self, "parameters_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(X) first")

    def _checked(self, X):
        self._check_fitted()
        return _check_columns(X, self.n_features_in_, type(self).__name__)

    def _log_joint(self, X):
        """ℓₙₖ + E[log πₖ] under the fitted q, (N, K): the exponent of q(zₙ = k)."""
        X = self._checked(X)
        log_likelihood = expected_log_likelihood(X, self.parameters_, self.prior_.covariance_type)
        log_weights = expected_log_weights(
            self.parameters_.weight_concentration, self.prior_.weight_concentration_prior_type
        )
        return log_likelihood + log_weights

    def predict_proba(self, X):
        """q(zₙ = k) ∝ exp(ℓₙₖ + E[log πₖ]) under the fitted q, (N, K)."""
        return posterior_from_log_joint(self._log_joint(X), axis=1, points="X")[0]

    def predict(self, X):
        """The component of largest q(zₙ = k), (N,) integer labels."""
        return most_responsible(self._log_joint(X), axis=1, points="X")

    def score_samples(self, X):
        """scikit-learn's score of each row, (N,):

            log Σₖ exp(E_q[log πₖ] + E_q[log N(xₙ | μₖ, Λₖ⁻¹)]),

        the normaliser of ``predict_proba``. It is neither the log density of the
        point mixture (``weights_``, ``means_``, ``covariances_``) nor the log
        predictive density log E_q[p(xₙ | π, μ, Λ)], which it bounds from below
        (Jensen, derivation 07 §7).
        """
        return numerics.logsumexp(self._log_joint(X), axis=1)  # −∞ for a point too far for float64

    def score(self, X, y=None):
        """The mean of ``score_samples(X)``; ``y`` is ignored (scikit-learn's signature)."""
        return float(np.mean(self.score_samples(X)))

    def sample(self, n_samples=1, rng=None):
        """``n_samples`` draws (X (n, D), component labels (n,)), in random order, from
        the point mixture of ``weights_``, ``means_`` and ``covariances_`` (as
        scikit-learn's ``sample``, which orders them by component). ``rng`` defaults,
        as in scikit-learn, to the estimator's own ``rng`` (or ``random_state``): an
        integer seed gives the same draws each call."""
        self._check_fitted()
        n_samples = check_size(check_count(n_samples, "n_samples", minimum=1), "n_samples",
                               per_unit=self.means_.shape[-1] + 1)
        generator = (_estimator_generator(self.rng, self.random_state) if rng is None
                     else as_generator(rng))
        mixture = GaussianMixture(self.weights_, self.means_, self.covariances_,
                                  covariance_type=self.prior_.covariance_type)
        return mixture.sample(n_samples, rng=generator)


def _moments_of_precision(parameters, covariance_type):
    """scikit-learn's (precisions_cholesky_, precisions_, covariances_): √ν U, ν U Uᵀ
    and (ν U Uᵀ)⁻¹ = W⁻¹/ν."""
    nu, scale = parameters.degrees_of_freedom, parameters.scale_cholesky
    if covariance_type in ("full", "tied"):
        root = np.sqrt(nu)[..., None, None] if covariance_type == "full" else np.sqrt(nu)
        factor = root * scale
        precisions = factor @ np.swapaxes(factor, -1, -2)
        inverse_factor = numerics.lower_triangular_inverse(np.swapaxes(factor, -1, -2))
        covariances = inverse_factor @ np.swapaxes(inverse_factor, -1, -2)
        return factor, precisions, covariances
    root = np.sqrt(nu)[:, None] if covariance_type == "diag" else np.sqrt(nu)
    factor = root * scale
    return factor, factor**2, 1.0 / factor**2
