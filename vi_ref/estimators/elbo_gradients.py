"""Monte Carlo gradients of the ELBO of a model, per sample (derivation 05, §5).

For data x, a model p_θ(x, z) and q_φ(z), with h(z) = log p_θ(x, z) − log q_φ(z):

    ∇_θ ELBO = E_q[∇_θ log p_θ(x, z)]                          (every estimator)
    ∇_φ ELBO, one of
      "score_function"       E_q[(h(z) − b) ∇_φ log q_φ(z)], b = 0 or, with
                             baseline="leave_one_out", the mean of h over the
                             other n − 1 samples (of the same data point)
      "reparameterization"   E_ε[(∂T/∂φ)ᵀ (∇_z log p − ∇_z log q)(z) − ∇_φ log q_φ(z)]
                             (the total derivative of h(T(ε, φ)) in φ)
      "path_derivative"      E_ε[(∂T/∂φ)ᵀ (∇_z log p − ∇_z log q)(z)]
                             (Roeder et al. 2017, "sticking the landing": the score
                             term, of mean 0, dropped; zero variance when q = p(z | x))
      "closed_form_entropy"  E_ε[(∂T/∂φ)ᵀ ∇_z log p(x, z)] + ∇_φ H[q]

∇_z log q(z) is the family's hand-written ``log_prob_x_grad`` (checked in the
registry), not autodiff through its log-density at every step.

Each returns per-sample gradients (grads_theta, grads_phi) like ``model.elbo_grad``
with a leading sample axis, whose mean is an unbiased estimate of it: the gradient of
Σ ELBO(xᵢ, qᵢ) over the data points of x.
"""

import functools

import numpy as np

from ..elbo import (
    count_latent_axes,
    log_q_of_draws,
    log_weights_of_draws,
    pad_draws,
    q_outside_latent_support,
    refuse_nan_log_weights,
)
from ..numerics import logsumexp, sum_to_shape
from ..validation import as_generator, check_count, check_methods, check_size
from .generic import (
    check_distribution,
    check_reparameterizable,
    per_sample_parameter_terms,
)

__all__ = ["elbo_gradient", "iwae_gradient", "ELBO_ESTIMATORS"]

ELBO_ESTIMATORS = ("reparameterization", "score_function", "path_derivative", "closed_form_entropy")
PATHWISE = ("reparameterization", "path_derivative", "closed_form_entropy")  # those that need z = T(ε, φ)


def elbo_gradient(model, q, x, n, rng=None, *, estimator="reparameterization", baseline=None):
    """Per-sample Monte Carlo gradients of Σᵢ ELBO(xᵢ, qᵢ) with respect to θ and φ.

    Args:
        model: a model with ``log_joint(x, z)`` and the hand-written per-sample
            ``log_joint_grad(x, z)`` (``"z"`` for a continuous z, and θ).
        q: a distribution over the model's latent z: one per data point of x
            (batch (N,)) or one shared; a diagonal ``Normal`` has the latent axis last.
        x: data point(s).
        n: number of samples ≥ 1.
        rng: Generator, int seed or None.
        estimator: one of ``ELBO_ESTIMATORS`` (module docstring); the pathwise ones
            need a reparameterisable q and a continuous z.
        baseline: for ``"score_function"`` only: None (b = 0) or ``"leave_one_out"``
            (bₛ = the mean of h over the other samples, independent of zₛ, so the
            estimate stays unbiased; n ≥ 2).

    Returns:
        (grads_theta, grads_phi): dicts parameter name → (n, *parameter shape), whose
        means over axis 0 estimate ``model.elbo_grad(x, q)``.

    Raises:
        TypeError: for a model without ``log_joint_grad``, or a q that is not
            reparameterisable given to a pathwise estimator.
        ValueError: for an unknown estimator or baseline, a baseline given to a
            pathwise estimator, n ≤ 0 (n = 1 with a leave-one-out baseline), or q that
            does not fit the model; where a sample's log p(x, z) − log q(z) (read by the
            score function) or the model's ``log_joint_grad`` is NaN (a defect of the
            model or of q); for the score function, also where that log ratio is −∞ (q
            puts mass outside the model's support: the ELBO is −∞, with no gradient).
    """
    if estimator not in ELBO_ESTIMATORS:
        raise ValueError(f"estimator must be one of {ELBO_ESTIMATORS}; got {estimator!r}")
    _check_model(model)
    check_distribution(q)
    n = check_count(n, "n", minimum=2 if baseline is not None else 1)
    if baseline is not None and (not isinstance(baseline, str) or baseline != "leave_one_out"):
        raise ValueError(f"baseline must be None or 'leave_one_out'; got {baseline!r}")
    if baseline is not None and estimator != "score_function":
        raise ValueError(f"baseline is for estimator='score_function' only; got estimator={estimator!r}")
    latent_axes = count_latent_axes(model, q, x)
    _refuse_q_outside_latent_support(model, q)
    generator = as_generator(rng)
    if estimator in PATHWISE:
        check_reparameterizable(q)
        z, eps = q.rsample(n, generator)
    else:
        z = q.sample(n, generator)
    terms = _JointTerms(model, q, x, z, latent_axes)
    if estimator == "score_function":
        weights = terms.log_ratio()
        if baseline is not None:  # the others' mean, per data point
            weights = weights - (np.sum(weights, axis=0) - weights) / (n - 1)
        scores = q.log_prob_grad(z)  # per value: (n, *q batch, *parameter event)
        grads_phi = {name: _expand(weights, score) * score for name, score in scores.items()}
        return terms.theta(), per_sample_parameter_terms(q, grads_phi)
    _require_continuous_latent(model, terms)
    cotangent = terms.log_joint_z()
    if estimator != "closed_form_entropy":
        cotangent = cotangent - terms.multiplicity * q.log_prob_x_grad(z)["x"]
    grads_phi = q.transform_vjp(eps, cotangent)
    if estimator == "reparameterization":
        scores = per_sample_parameter_terms(q, q.log_prob_grad(z))
        grads_phi = {name: grads_phi[name] - terms.multiplicity * scores[name] for name in grads_phi}
    elif estimator == "closed_form_entropy":
        entropy = q.entropy_grad()
        grads_phi = {name: grads_phi[name] + terms.multiplicity * entropy[name] for name in grads_phi}
    return terms.theta(), grads_phi


def iwae_gradient(model, q, x, k, n, rng=None):
    """Per-group reparameterised gradients of the importance-weighted bound
    L_K = E[log (1/K) Σⱼ wⱼ] (``elbo.iwae_bound``; Burda et al. 2016, derivation 05, §7):

        ∇ log (1/K) Σⱼ wⱼ = Σⱼ w̃ⱼ ∇ log wⱼ,   w̃ⱼ = wⱼ / Σᵢ wᵢ,   zⱼ = T(εⱼ, φ)

    with ∇_θ log wⱼ = ∇_θ log p(x, zⱼ) and ∇_φ log wⱼ the total derivative of
    log p(x, zⱼ) − log q_φ(zⱼ) (as ``elbo_gradient(..., estimator="reparameterization")``,
    which this is for K = 1). The mean over the n groups is an unbiased estimate of ∇L_K
    summed over the data points of x (each point has its own normalised weights).

    Args:
        model, q, x: as ``elbo_gradient``; q reparameterisable.
        k: group size K ≥ 1. n: number of groups ≥ 1. rng: Generator, int seed or None.

    Returns:
        (grads_theta, grads_phi): dicts parameter name → (n, *parameter shape).

    Raises:
        TypeError, ValueError: as ``elbo_gradient``; ValueError also where a log weight
            log wⱼ or the model's ``log_joint_grad`` is NaN, and where a log weight is
            −∞ (q puts mass outside the model's support: L_K is −∞, as
            ``elbo.iwae_bound`` says, with no gradient).
    """
    _check_model(model)
    check_reparameterizable(q)
    k = check_count(k, "k", minimum=1)
    n = check_count(n, "n", minimum=1)
    check_size(k * n, "k * n", per_unit=max(1, int(np.prod(q.batch_shape + q.event_shape, dtype=float))))
    latent_axes = count_latent_axes(model, q, x)
    _refuse_q_outside_latent_support(model, q)
    z, eps = q.rsample(n * k, as_generator(rng))
    terms = _JointTerms(model, q, x, z, latent_axes)
    log_weights = log_weights_of_draws(model, q, x, z, latent_axes)
    _refuse_non_finite_log_weights(log_weights, "L_K")  # before logsumexp makes NaN of it
    _require_continuous_latent(model, terms)
    groups = log_weights.reshape((n, k) + log_weights.shape[1:])
    normalised = np.exp(groups - logsumexp(groups, axis=1, keepdims=True)).reshape(log_weights.shape)
    # the same normalised weight multiplies every gradient of log wⱼ of its data point
    weighted_joint = {name: _expand(normalised, value) * value for name, value in terms.joint.items()}
    per_q = terms.to_q_points(normalised)  # Σ of the weights of the points sharing each q
    cotangent = sum_to_shape(weighted_joint["z"], terms.padded.shape).reshape(z.shape)
    cotangent = cotangent - _expand(per_q, z) * q.log_prob_x_grad(z)["x"]
    grads_phi = q.transform_vjp(eps, cotangent)
    scores = q.log_prob_grad(z)
    scores = per_sample_parameter_terms(q, {name: _expand(per_q, g) * g for name, g in scores.items()})
    grads_phi = {name: grads_phi[name] - scores[name] for name in grads_phi}
    terms.joint = weighted_joint
    grads_theta = terms.theta()
    return _sum_groups(grads_theta, n, k), _sum_groups(grads_phi, n, k)


def _check_model(model):
    """A model with the per-sample ``log_joint`` and ``log_joint_grad`` the estimators use."""
    return check_methods(model, "model", ("log_joint", "log_joint_grad"), "a latent variable model",
                         attributes=("latent_shape",))


def _require_continuous_latent(model, terms):
    """TypeError unless the model's ``log_joint_grad`` has a ∇_z (a continuous latent z),
    through which the pathwise estimators differentiate."""
    if "z" not in terms.joint:
        raise TypeError(f"the pathwise estimators need a continuous latent z; {type(model).__name__} has none")


def _sum_groups(grads, n, k):
    return {name: value.reshape((n, k) + value.shape[1:]).sum(axis=1) for name, value in grads.items()}


class _JointTerms:
    """log p(x, zₛ) and its hand-written gradients for samples z of q, reduced from
    the broadcast batch of (data points, samples) to the shapes the estimators need.

    z (n, *q batch, *event) is padded with unit axes so that it broadcasts with x's
    data points (``elbo.pad_draws``); ``multiplicity`` is how many data
    points share each q (N for one q shared by N points, else 1), the number of
    log q terms in Σᵢ [log p(xᵢ, zᵢ) − log q(zᵢ)] that each q's sample enters.
    """

    def __init__(self, model, q, x, z, latent_axes):
        self.q, self.z, self.latent_axes = q, z, latent_axes
        self.padded = pad_draws(q, x, z, latent_axes)
        self.x = x
        self.model = model
        # (n, *B): every model's x has one trailing axis per data point (a vector x,
        # or the counts of GammaPoisson), its leading axes broadcast with z's batch
        z_batch = self.padded.shape[: self.padded.ndim - len(model.latent_shape)]
        self.data_shape = np.broadcast_shapes(np.shape(x)[:-1], z_batch)
        q_points = q.batch_shape[: len(q.batch_shape) - latent_axes]
        self.multiplicity = int(np.prod(self.data_shape[1:])) // max(1, int(np.prod(q_points)))
        self._q_points = q_points

    @functools.cached_property
    def joint(self):
        """The model's per-sample ``log_joint_grad`` at the padded draws (computed when
        first needed, after the log-ratio checks of the score function), refused where
        it is NaN: the pathwise estimators read no log p(x, z), so a model defective at
        a draw shows there."""
        joint = self.model.log_joint_grad(self.x, self.padded)
        for name, gradient in joint.items():
            if np.isnan(gradient).any():
                raise ValueError(
                    f"the model's log_joint_grad(x, z)[{name!r}] is NaN for a draw of q: the model is defective there"
                )
        return joint

    def theta(self):
        """∇_θ log p(x, zₛ) summed over the data points: (n, *θ shape) per parameter."""
        n = self.z.shape[0]
        batch_ndim = len(self.data_shape) - 1
        return {
            name: value.reshape((n, -1) + value.shape[1 + batch_ndim:]).sum(axis=1)
            for name, value in self.joint.items() if name != "z"
        }

    def log_joint_z(self):
        """∇_z Σᵢ log p(xᵢ, zₛ): per sample, of z's shape."""
        gradient = sum_to_shape(self.joint["z"], self.padded.shape)
        return gradient.reshape(self.z.shape)

    def to_q_points(self, values):
        """Per-sample values over the data points (n, *B) summed over the points that
        share each q: (n, *q batch without the latent axes)."""
        n = self.z.shape[0]
        padded = (n,) + (1,) * (values.ndim - 1 - len(self._q_points)) + self._q_points
        return sum_to_shape(values, padded).reshape((n,) + self._q_points)

    def log_ratio(self):
        """Σᵢ log p(xᵢ, zₛ) − multiplicity · log q(zₛ) per sample and q of the batch,
        shape (n, *q batch without the latent axes): the log-weights of
        ``elbo.log_weights_of_draws`` summed over the data points sharing each q, with
        log q(zₛ) taken once and multiplied rather than subtracted point by point."""
        n = self.z.shape[0]
        log_joint = np.asarray(self.model.log_joint(self.x, self.padded), dtype=float)
        log_joint = sum_to_shape(log_joint, (n,) + (1,) * (log_joint.ndim - 1 - len(self._q_points)) + self._q_points)
        log_q = log_q_of_draws(self.q, self.z, self.latent_axes)
        log_ratio = log_joint.reshape((n,) + self._q_points) - self.multiplicity * log_q
        return _refuse_non_finite_log_weights(log_ratio, "the ELBO")


def _refuse_non_finite_log_weights(log_weights, bound):
    """``log_weights`` (log p(x, zₛ) − log q(zₛ)) of the estimators that read them, if all
    are finite. A NaN is a defect (``elbo.refuse_nan_log_weights``); a −∞ means that q
    puts mass outside the model's support, so that ``bound`` (the ELBO, L_K) is −∞, with
    no gradient."""
    if not np.all(np.isfinite(log_weights)):
        refuse_nan_log_weights(log_weights)  # a NaN is a defect, not the -inf below
        raise ValueError(
            "q puts mass where log p(x, z) - log q(z) is not finite (e.g. outside the model's"
            f" support): {bound} is -inf there and has no gradient"
        )
    return log_weights


def _expand(weights, score):
    """(n, *q points) weights with unit axes for q's latent and parameter event axes."""
    return weights.reshape(weights.shape + (1,) * (score.ndim - weights.ndim))


def _refuse_q_outside_latent_support(model, q):
    if q_outside_latent_support(model, q):
        raise ValueError(
            f"q is a {type(q).__name__} with support {q.support}, not within the model's latent support"
            f" {model.latent_support}: its ELBO is -inf for every parameter value, so it has no gradient"
        )
