"""CAVI for the Bayesian mixture of unit-variance Gaussians (Blei, Kucukelbir &
McAuliffe 2017, §3), and its exact evidence by enumeration.

The model, for N points in D dimensions and K components:

    μₖ ~ N(0, σ² I),    cᵢ ~ Uniform{1, …, K},    xᵢ | cᵢ, μ ~ N(μ_{cᵢ}, I)

and the mean-field family q(μ, c) = Πₖ N(μₖ | mₖ, sₖ² I) · Πᵢ Cat(cᵢ | φᵢ). Each
factor's optimum given the others, log q*(·) = E_{other factors}[log p(x, μ, c)] + const:

    q(cᵢ):  φᵢₖ ∝ exp(xᵢᵀ mₖ − ½ (‖mₖ‖² + D sₖ²))
    q(μₖ):  sₖ² = 1 / (1/σ² + Σᵢ φᵢₖ),    mₖ = sₖ² Σᵢ φᵢₖ xᵢ

and the ELBO in closed form (``unit_variance_mixture_elbo``)

    L = Σₖ [−(D/2) log(2πσ²) − (‖mₖ‖² + D sₖ²)/(2σ²) + (D/2) log(2πe sₖ²)]
        + Σᵢₖ φᵢₖ [−log K − (D/2) log 2π − ½ (‖xᵢ − mₖ‖² + D sₖ²) − log φᵢₖ].

``exact_log_evidence`` sums p(x, c) over all Kᴺ assignments, each with the means
integrated out exactly, so that ELBO ≤ log p(x) can be checked on small data sets.
Derivation: ``derivations/07-coordinate-ascent-variational-inference.md``, §2–3.
"""

import itertools

import numpy as np
import scipy.special
import scipy.stats

from .. import autodiff as ad
from ..em import _ScikitLearnParameters
from ..em_steps import _check_data
from ..models.gaussian_mixture import posterior_from_log_joint
from ..numerics import LOG_2PI, logsumexp
from ..validation import as_float_array, as_generator, check_count, check_positive, check_size, check_tolerance

__all__ = ["UnitVarianceMixtureCAVI", "unit_variance_mixture_elbo", "exact_log_evidence"]

# Kᴺ terms at most in the enumeration
MAX_ASSIGNMENTS = 2_000_000


def unit_variance_mixture_elbo(X, responsibilities, means, mean_variances, prior_variance):
    """The ELBO of q = Πₖ N(mₖ, sₖ² I) Πᵢ Cat(φᵢ) in closed form (module docstring).

    Args:
        X: (N, D) data. responsibilities: φ, (N, K). means: m, (K, D).
        mean_variances: s², (K,). prior_variance: σ² > 0.
        (Arrays, or autodiff Tensors for the argmax checks.)

    Returns:
        the ELBO, a sum over the data set.
    """
    n_components, dimension = means.shape
    second_moments = ad.sum(ad.square(means), axis=-1) + dimension * mean_variances  # E‖μₖ‖²
    prior_and_entropy = ad.sum(
        -0.5 * dimension * np.log(2 * np.pi * prior_variance)
        - second_moments / (2 * prior_variance)
        + 0.5 * dimension * (LOG_2PI + 1 + ad.log(mean_variances))
    )
    # E‖xᵢ − μₖ‖² = ‖xᵢ‖² − 2 xᵢᵀ mₖ + E‖μₖ‖²
    squares = np.sum(X**2, axis=1)[:, None] - 2 * (X @ ad.transpose(means)) + second_moments
    log_likelihood = -np.log(n_components) - 0.5 * dimension * LOG_2PI - 0.5 * squares
    positive = responsibilities > 0
    log_phi = ad.log(ad.where(positive, responsibilities, 1.0))
    return prior_and_entropy + ad.sum(responsibilities * (log_likelihood - ad.where(positive, log_phi, 0.0)))


def update_assignments(X, means, mean_variances):
    """q(cᵢ): φᵢₖ ∝ exp(xᵢᵀ mₖ − ½ (‖mₖ‖² + D sₖ²)), (N, K)."""
    dimension = means.shape[1]
    logits = X @ means.T - 0.5 * (np.sum(means**2, axis=1) + dimension * mean_variances)
    responsibilities, _ = posterior_from_log_joint(logits, axis=1)
    return responsibilities


def update_mean(X, responsibilities, prior_variance, component):
    """q(μₖ): sₖ² = 1/(1/σ² + Σᵢ φᵢₖ), mₖ = sₖ² Σᵢ φᵢₖ xᵢ. Returns (mₖ, sₖ²)."""
    weights = responsibilities[:, component]
    variance = 1.0 / (1.0 / prior_variance + weights.sum())
    return variance * (weights @ X), variance


def exact_log_evidence(X, n_components, prior_variance):
    """log p(x) of the unit-variance mixture by enumerating all Kᴺ assignments:

        p(x) = Σ_c K⁻ᴺ Πₖ p(x_{c=k}),    p(x_S) = Π_d N(x_{S,d} | 0, I + σ² 1 1ᵀ),

    the means integrated out per cluster (a point set S's coordinate d is jointly
    Gaussian with covariance I + σ² 1 1ᵀ). Each p(x_S) comes from
    ``scipy.stats.multivariate_normal``, once per subset of points, independently of
    the CAVI formulas. For small problems (Kᴺ ≤ 2·10⁶, N ≤ 20).
    """
    X = as_float_array(X, "X", ndim=2)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must have at least one row and one column; got shape {X.shape}")
    n_components = check_count(n_components, "n_components", minimum=1)
    check_positive(as_float_array(prior_variance, "prior_variance", ndim=0), "prior_variance")
    n_samples, dimension = X.shape
    if n_samples > 20 or n_components**n_samples > MAX_ASSIGNMENTS:
        raise ValueError(
            f"enumeration needs K^N <= {MAX_ASSIGNMENTS} and N <= 20; got K = {n_components},"
            f" N = {n_samples} (n_components and the rows of X)"
        )
    if prior_variance * n_samples > 1e12:  # I + σ² 11ᵀ: condition number 1 + Nσ²
        raise ValueError(
            f"prior_variance = {float(prior_variance):g} with N = {n_samples} points makes the covariance"
            " I + prior_variance·11ᵀ too ill-conditioned for this float64 oracle (N·prior_variance must be <= 1e12)"
        )
    subset_log_marginal = np.zeros(2**n_samples)
    for mask in range(1, 2**n_samples):
        members = [i for i in range(n_samples) if mask >> i & 1]
        covariance = np.eye(len(members)) + prior_variance * np.ones((len(members),) * 2)
        subset_log_marginal[mask] = sum(
            scipy.stats.multivariate_normal(np.zeros(len(members)), covariance).logpdf(X[members, d])
            for d in range(dimension)
        )
    assignments = np.array(list(itertools.product(range(n_components), repeat=n_samples)))
    bits = 2 ** np.arange(n_samples)
    log_joint = -n_samples * np.log(n_components) + sum(
        subset_log_marginal[(assignments == k) @ bits] for k in range(n_components)
    )
    return float(logsumexp(log_joint))


class UnitVarianceMixtureCAVI(_ScikitLearnParameters):
    """CAVI for the unit-variance Bayesian mixture of Blei et al. §3.

    Each iteration updates every q(cᵢ) (independent given q(μ), so one block) and
    then q(μ₁), …, q(μ_K) one at a time, recording the ELBO after each of these
    K + 1 coordinate updates; it stops when an iteration changes the ELBO by less than
    ``tol`` in absolute value.

    Args:
        n_components: K ≥ 1.
        prior_variance: σ² > 0, the prior variance of each mean coordinate.
        tol: ≥ 0, on the change of the ELBO per iteration.
        max_iter: iterations at most.
        responsibilities_init: optional (N, K) starting φ; otherwise rows drawn
            uniformly from the simplex with ``rng``.
        rng: ``np.random.Generator``, int seed or None.

    Attributes after ``fit``: ``responsibilities_`` (φ), ``means_`` (m),
    ``mean_variances_`` (s²), ``lower_bound_`` (the final ELBO), ``elbo_history_``
    ([start, then assignments, μ₁, …, μ_K per iteration]), ``n_iter_``, ``converged_``,
    ``n_features_in_``.
    """

    def __init__(self, n_components, *, prior_variance=1.0, tol=1e-10, max_iter=200,
                 responsibilities_init=None, rng=None):
        self.n_components = n_components
        self.prior_variance = prior_variance
        self.tol = tol
        self.max_iter = max_iter
        self.responsibilities_init = responsibilities_init
        self.rng = rng

    def _start(self, X, n_components):
        if self.responsibilities_init is None:
            return as_generator(self.rng).dirichlet(np.ones(n_components), size=X.shape[0])
        start = as_float_array(self.responsibilities_init, "responsibilities_init", ndim=2)
        if start.shape != (X.shape[0], n_components):
            raise ValueError(
                f"responsibilities_init must have shape {(X.shape[0], n_components)}; got {start.shape}"
            )
        if np.any(start < 0) or not np.allclose(start.sum(axis=1), 1.0, rtol=1e-10):
            raise ValueError("responsibilities_init must be non-negative with rows summing to 1")
        return start

    def fit(self, X, y=None):
        """Run CAVI on X (N, D); ``y`` is ignored (scikit-learn's signature, so that
        ``Pipeline`` can fit it). Returns self."""
        X = _check_data(X)
        largest = float(np.max(np.abs(X)))
        if largest > 1e150:  # ‖x − μ‖² overflows: every log p(x, z = k) would be −∞ or NaN
            raise ValueError(
                f"X has an entry of size {largest:.3g}: the unit-variance model's squared distances"
                " overflow float64 (entries must be below 1e150); rescale X"
            )
        n_components = check_size(check_count(self.n_components, "n_components", minimum=1), "n_components",
                                  per_unit=X.size)
        prior_variance = float(check_positive(as_float_array(self.prior_variance, "prior_variance", ndim=0),
                                              "prior_variance"))
        tol = check_tolerance(self.tol, "tol")
        max_iter = check_size(check_count(self.max_iter, "max_iter", minimum=0), "max_iter")  # sizes elbo_history_
        responsibilities = self._start(X, n_components)
        means = np.empty((n_components, X.shape[1]))
        variances = np.empty(n_components)
        for k in range(n_components):
            means[k], variances[k] = update_mean(X, responsibilities, prior_variance, k)

        def elbo():
            return float(unit_variance_mixture_elbo(X, responsibilities, means, variances, prior_variance))

        history = [elbo()]
        converged, n_iter = False, 0
        for n_iter in range(1, max_iter + 1):
            before = history[-1]
            responsibilities = update_assignments(X, means, variances)
            history.append(elbo())
            for k in range(n_components):
                means[k], variances[k] = update_mean(X, responsibilities, prior_variance, k)
                history.append(elbo())
            if abs(history[-1] - before) < tol:
                converged = True
                break
        self.responsibilities_, self.means_, self.mean_variances_ = responsibilities, means, variances
        self.lower_bound_, self.elbo_history_ = history[-1], np.array(history)
        self.n_iter_, self.converged_ = n_iter, converged
        self.n_features_in_ = X.shape[1]
        return self
