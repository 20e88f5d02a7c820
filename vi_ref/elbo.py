"""The evidence lower bound (ELBO), estimated, summed over a data set, and decomposed.

For any distribution q(z) (lecture, "Evidence Lower BOund"):

    log p(x) = E_q[log p(x, z) − log q(z)] + KL(q(z) ‖ p(z | x)) = ELBO(q) + KL(q ‖ p(z | x))

so ELBO(q) ≤ log p(x), with equality exactly when q is the posterior.

- ``elbo_monte_carlo``: the definition, averaged over draws of q, with its standard
  error; it works for every model and every q that can be sampled and evaluated.
- Closed forms, where the expectation can be taken analytically, are methods of the
  models (``model.elbo(x, q)``, with the hand-written ``model.elbo_grad(x, q)``):
  ``LinearGaussian`` with a Gaussian q, ``GaussianMixture`` with a Categorical q,
  ``GammaPoisson`` with a Gamma or LogNormal q.
- ``dataset_elbo``: the mean-field ELBO of a data set, (1/N) Σᵢ ELBO(xᵢ, qᵢ), and
  its gradient ``dataset_elbo_grad``.
- ``elbo_decomposition``: log p(x), ELBO(q) and KL(q ‖ p(z | x)) side by side, the
  KL from ``vi_ref.kl`` (a code path independent of the ELBO's closed form).
- ``iwae_bound``: the importance-weighted bound L_K (Burda et al. 2016),
  ELBO = L_1 ≤ L_K ≤ L_{K+1} ≤ log p(x) (derivation 05, §7).

Derivation: ``derivations/03-latent-variable-models-and-the-elbo.md``.
"""

from dataclasses import dataclass

import numpy as np

from . import kl
from .distributions import Distribution, MultivariateNormal, Normal
from .models._checks import data_batch_shape
from .numerics import logsumexp, standard_error_of_mean
from .validation import as_float_array, as_generator, check_count, check_instance, check_methods, check_size

__all__ = [
    "elbo_monte_carlo",
    "dataset_elbo",
    "dataset_elbo_grad",
    "elbo_decomposition",
    "ELBODecomposition",
    "iwae_bound",
]


def count_latent_axes(model, q, x=None):
    """How many trailing batch axes of q are coordinates of one latent z.

    A diagonal Gaussian over a latent vector is a ``Normal`` with vector parameters:
    its ``log_prob`` is per coordinate, and the log-density of z is the sum over the
    latent axes the model has beyond q's own event axes. Given the data ``x`` (data
    points on its leading axes), also checks that q's batch of data points, the rest
    of its batch, broadcasts with x's."""
    latent_shape = tuple(model.latent_shape)
    extra = len(latent_shape) - len(q.event_shape)
    trailing_batch = q.batch_shape[len(q.batch_shape) - extra :] if extra > 0 else ()
    if extra < 0 or trailing_batch + q.event_shape != latent_shape:
        raise ValueError(
            f"q must be a distribution over the model's latent z of shape {latent_shape};"
            f" got batch shape {q.batch_shape} and event shape {q.event_shape}"
        )
    if x is not None:
        data_batch_shape(np.shape(x)[:-1], tuple(q.batch_shape[: len(q.batch_shape) - extra]))
    return extra


def elbo_monte_carlo(model, q, x, n, rng=None):
    """Monte Carlo estimate of ELBO(x, q) = E_q[log p(x, z) − log q(z)].

        ELBO ≈ (1/S) Σₛ [log p(x, zₛ) − log q(zₛ)],  zₛ ~ q,

    with standard error std / √S over the same S draws.

    Args:
        model: any model with ``log_joint(x, z)``.
        q: a distribution over z (``vi_ref.distributions``): a batch of one q per
            data point of x, or one q for all; a diagonal ``Normal`` over a latent
            vector has the latent axis last.
        x: data point(s).
        n: number of draws S ≥ 2.
        rng: Generator, int seed or None.

    Returns:
        (estimate, standard_error), one per data point (floats for one point). If a
        draw has log p(x, zₛ) = −∞ (q puts mass outside the model's support), the
        estimate is −∞ with standard error 0: the ELBO itself is −∞ there. So it is,
        whatever the draws, when q's support is not within ``model.latent_support``
        (a Normal q over a Gamma–Poisson rate, lecture question VI2.3).

    Raises:
        ValueError: if a log weight log p(x, zₛ) − log q(zₛ) is NaN (``refuse_nan_log_weights``).
    """
    n = check_count(n, "n", minimum=2)
    _check_model_and_q(model, q, ("log_joint",))
    latent_axes = count_latent_axes(model, q, x)
    if q_outside_latent_support(model, q):
        return _minus_infinity(q, x, latent_axes)
    log_ratio = log_weights_of_draws(model, q, x, q.sample(n, as_generator(rng)), latent_axes)
    refuse_nan_log_weights(log_ratio)
    impossible = np.any(log_ratio == -np.inf, axis=0)
    # only the data points whose value is −∞ anyway are masked, to keep −∞ − −∞ = NaN
    # out of the mean
    log_ratio = np.where(impossible, 0.0, log_ratio)
    estimate = np.where(impossible, -np.inf, np.mean(log_ratio, axis=0))
    standard_error = np.where(impossible, 0.0, standard_error_of_mean(log_ratio))
    return estimate[()], standard_error[()]


def dataset_elbo(model, q, X):
    """The mean-field ELBO of a data set (lecture, "Mean Field Assumption"):

        (1/N) log p(X) ≥ (1/N) Σᵢ ELBO(xᵢ, qᵢ) = (1/N) Σᵢ E_{qᵢ}[log p(xᵢ, zᵢ) − log qᵢ(zᵢ)]

    with q(Z) = Πᵢ qᵢ(zᵢ), evaluated with the model's closed form ``model.elbo``.

    Args:
        model: a model with a closed-form ``elbo``.
        q: the qᵢ as one batched distribution (batch (N,)), or one q shared by all.
        X: (N, ...) data set, one data point per row.

    Returns:
        float.
    """
    return float(np.mean(_per_point_elbo(model, q, X)))


def q_outside_latent_support(model, q):
    """Whether q's support is not within the model's latent support
    (``model.latent_support``, for a model that declares one): q then gives positive
    probability to values z with p(x, z) = 0, so E_q[log p(x, z)], the ELBO and L_K are
    −∞ whatever a finite sample of draws happens to show."""
    support = getattr(model, "latent_support", None)
    return support is not None and not support.includes(q.support)


def _minus_infinity(q, x, latent_axes):
    """(−∞, 0) for each data point of the broadcast batch of x and q."""
    batch = np.broadcast_shapes(np.shape(x)[:-1], tuple(q.batch_shape[: len(q.batch_shape) - latent_axes]))
    return np.full(batch, -np.inf)[()], np.zeros(batch)[()]


def _check_model_and_q(model, q, methods):
    """TypeError naming ``model`` or ``q`` for a wrong kind of object (e.g. None)."""
    check_methods(model, "model", methods, "a latent variable model")
    check_instance(q, "q", Distribution, "a vi_ref.distributions distribution")


def _per_point_elbo(model, q, X):
    _check_model_and_q(model, q, ("elbo",))
    X = as_float_array(X, "X", min_ndim=2)
    if X.shape[0] == 0:  # the mean over no data points would be NaN
        raise ValueError(f"X must hold at least one data point; got shape {X.shape}")
    per_point = np.asarray(model.elbo(X, q))
    if per_point.ndim != 1:
        raise ValueError(
            f"X must be a data set of shape (N, ...) with one ELBO per row; got {per_point.ndim} batch axes"
        )
    return per_point


def dataset_elbo_grad(model, q, X):
    """Gradient of ``dataset_elbo``: (1/N) times the model's hand-written gradient of
    Σᵢ ELBO(xᵢ, qᵢ). With one qᵢ per data point, ∂/∂φᵢ involves ELBOᵢ alone (the
    mean-field ELBO is a sum of per-point terms); ∂/∂θ sums over all of them.

    Returns:
        (grads_theta, grads_phi) as ``model.elbo_grad``, divided by N.
    """
    _check_model_and_q(model, q, ("elbo", "elbo_grad"))
    count = _per_point_elbo(model, q, X).shape[0]
    grads_theta, grads_phi = model.elbo_grad(X, q)
    return (
        {name: value / count for name, value in grads_theta.items()},
        {name: value / count for name, value in grads_phi.items()},
    )


@dataclass(frozen=True)
class ELBODecomposition:
    """log p(x) = ELBO + KL(q ‖ p(z | x)), each of x's batch shape.

    ``residual`` is log p(x) − ELBO − KL, zero up to round-off."""

    log_marginal: np.ndarray
    elbo: np.ndarray
    kl_to_posterior: np.ndarray

    @property
    def residual(self):
        return self.log_marginal - self.elbo - self.kl_to_posterior


def elbo_decomposition(model, q, x):
    """The three terms of log p(x) = ELBO(q) + KL(q ‖ p(z | x)) for a model with exact
    ``log_marginal``, ``posterior`` and closed-form ``elbo``.

    The KL term comes from ``kl.kl_divergence(q, model.posterior(x))``, whose
    formulas are derived separately from the ELBO's, so a zero ``residual`` checks the
    closed forms against each other. A diagonal ``Normal`` q is compared with a
    Gaussian posterior as the equivalent ``MultivariateNormal``.

    Raises:
        NotImplementedError: if ``vi_ref.kl`` has no closed form for the pair.
    """
    _check_model_and_q(model, q, ("elbo", "posterior", "log_marginal"))
    posterior = model.posterior(x)
    elbo = np.asarray(model.elbo(x, q))  # validates q against the model
    if isinstance(q, Normal) and isinstance(posterior, MultivariateNormal):
        q = _diagonal_as_multivariate_normal(q)
    return ELBODecomposition(
        log_marginal=np.asarray(model.log_marginal(x)),
        elbo=elbo,
        kl_to_posterior=np.asarray(kl.kl_divergence(q, posterior)),
    )


def _diagonal_as_multivariate_normal(q):
    """A diagonal ``Normal`` over a latent vector (vector parameters, last batch axis
    = the coordinates) as the equal N(loc, diag(scale²)) ``MultivariateNormal``,
    scale_tril = diag(scale): the KL registry has the Gaussian-vector closed form for
    the multivariate family only."""
    loc = np.broadcast_to(q.loc, q.batch_shape)
    scale = np.broadcast_to(q.scale, q.batch_shape)
    return MultivariateNormal(loc, scale_tril=np.eye(q.batch_shape[-1]) * scale[..., None, :])


def pad_draws(q, x, z, latent_axes):
    """Draws z (S, *q batch, *event) of q with unit axes inserted after S, so that they
    broadcast with x's data points when q is one distribution shared by several of them."""
    q_batch_ndim = len(q.batch_shape) - latent_axes
    padding = max(0, np.ndim(x) - 1 - q_batch_ndim)
    return z.reshape((z.shape[0],) + (1,) * padding + z.shape[1:])


def log_q_of_draws(q, z, latent_axes):
    """log q(zₛ) of each draw: ``q.log_prob(z)`` with the latent axes of a diagonal
    ``Normal`` (``count_latent_axes``) summed, log q(z) = Σ_l log q(z_l)."""
    log_q = q.log_prob(z)
    if latent_axes:
        log_q = np.sum(log_q, axis=tuple(range(-latent_axes, 0)))
    return log_q


def log_weights_of_draws(model, q, x, z, latent_axes):
    """The Monte Carlo log-weight of the ELBO and of L_K, for draws z of q
    (S, *q batch, *event):

        log wₛ = log p(x, zₛ) − log q(zₛ)

    one per draw and data point: shape (S, *broadcast batch of x and q), the draws
    padded by ``pad_draws`` and log q taken by ``log_q_of_draws``. Unchecked: a NaN or
    −∞ is left to the caller (every estimator refuses NaN, ``refuse_nan_log_weights``)."""
    padded = pad_draws(q, x, z, latent_axes)
    return np.asarray(model.log_joint(x, padded) - log_q_of_draws(q, padded, latent_axes), dtype=float)


def log_importance_weights(model, q, x, z):
    """log wₛ = log p(x, zₛ) − log q(zₛ) for draws z of q (S, *q batch, *event), one per
    draw and data point: shape (S, *broadcast batch of x and q), the latent axes of a
    diagonal ``Normal`` summed (``log_weights_of_draws``, checked for NaN).

    Raises:
        ValueError: if a log weight is NaN (a defect of the model or of q, not a value).
    """
    return refuse_nan_log_weights(log_weights_of_draws(model, q, x, z, count_latent_axes(model, q, x)))


def refuse_nan_log_weights(log_weights):
    """``log_weights`` (log p(x, zₛ) − log q(zₛ) of draws of q), unless one is NaN.

    A NaN is a defect of the model or of q at that draw, not a value: averaged it would
    make the estimate NaN, and in a log-sum-exp it would spread to every weight of its
    group. A −∞ is a value (zₛ outside the model's support), left to the caller.

    Raises:
        ValueError: if a log weight is NaN.
    """
    if np.isnan(log_weights).any():
        raise ValueError("log p(x, z) - log q(z) is NaN for a draw of q: the model or q is defective there")
    return log_weights


def iwae_bound(model, q, x, k, n, rng=None):
    """Monte Carlo estimate of the importance-weighted bound (Burda et al. 2016)

        L_K = E[log (1/K) Σₖ wₖ],   wₖ = p(x, zₖ)/q(zₖ),   z₁, …, z_K ~ q independently

    from n independent groups of K draws, with standard error std/√n over the groups.
    L_1 is the ELBO; L_K ≤ L_{K+1} ≤ log p(x) (Jensen's inequality on the mean of K
    weights, whose expectation is p(x)), and log p(x) − L_K ≈ Var_q[w/p(x)]/(2K) as
    K → ∞ (derivation 05, §7). Each group's log-mean-exp is taken with ``logsumexp``.

    Args:
        model: any model with ``log_joint(x, z)``. q: a distribution over z (as in
            ``elbo_monte_carlo``). x: data point(s).
        k: group size K ≥ 1. n: number of groups ≥ 2. rng: Generator, int seed or None.

    Returns:
        (estimate, standard_error), one per data point (floats for one point). If a
        draw has weight 0 (log p(x, z) = −∞: q puts mass outside the model's support),
        the estimate is −∞ with standard error 0: all K draws of a group then miss the
        support with positive probability, so L_K itself is −∞ (as the ELBO is, in
        ``elbo_monte_carlo``), even when no sampled group had every weight 0.

    Raises:
        TypeError: for a model without ``log_joint``, or q not a ``vi_ref.distributions``
            distribution.
        TypeError/ValueError: for k or n not integers or too small, and as ``elbo_monte_carlo``.
    """
    _check_model_and_q(model, q, ("log_joint",))
    k = check_count(k, "k", minimum=1)
    n = check_count(n, "n", minimum=2)
    check_size(k * n, "k * n", per_unit=max(1, int(np.prod(q.batch_shape + q.event_shape, dtype=float))))
    latent_axes = count_latent_axes(model, q, x)
    if q_outside_latent_support(model, q):
        return _minus_infinity(q, x, latent_axes)
    z = q.sample(n * k, as_generator(rng))
    log_weights = log_importance_weights(model, q, x, z)
    groups = log_weights.reshape((n, k) + log_weights.shape[1:])
    values = logsumexp(groups, axis=1) - np.log(k)
    impossible = np.any(log_weights == -np.inf, axis=0)
    values = np.where(impossible, 0.0, values)
    estimate = np.where(impossible, -np.inf, np.mean(values, axis=0))
    standard_error = np.where(impossible, 0.0, standard_error_of_mean(values))
    return estimate[()], standard_error[()]
