"""Stochastic variational inference: the lecture's recipe ("Putting Everything
Together", steps 5–8) as one small loop.

    5. pick a family Q = {q_φ};
    6. maximise L(φ) = E_{q_φ}[log p(x, z) − log q_φ(z)];
    7. estimate ∇_φ L by Monte Carlo (``vi_ref.estimators``);
    8. ascend: v ← v + η_t · step(ĝ), in unconstrained coordinates v.

``fit`` runs it for one unnormalised ``log_joint(z)``; ``fit_dataset`` runs it for a
data set with one mean-field qᵢ per data point, minibatches, and the model's θ learned
jointly (the lecture's "Dealing with the Entire Dataset").

The unconstrained coordinates. A gradient step may leave the set of valid parameters
(a scale that turns negative), so every parameter is moved in a coordinate v where
every real value is valid, and ∇_v L = (∂φ/∂v)ᵀ ∇_φ L by the chain rule:

    family               parameter     φ = T(v)                             ∂φ/∂v
    -------------------  ------------  -----------------------------------  ---------------
    Normal, LogNormal    loc           v                                    1
                         scale         exp(v)                               φ
    MultivariateNormal   loc           v                                    1
                         scale_tril    tril(V, −1) + diag(exp(diag V))      1 below, φᵢᵢ on the diagonal
    Exponential          rate          exp(v)                               φ
    Gamma                concentration exp(v)                               φ
                         rate          exp(v)                               φ
    Categorical          logits        v (softmax-normalised by the family) 1
    PlanarFlow           loc, w, u, b  v (u is the free parameter; the      1
                                       layers use û with wᵀû > −1)
                         scale         exp(v)                               φ
    LinearGaussian (θ)   W, b          v                                    1
                         noise_var     exp(v)                               φ
    GammaPoisson (θ)     concentration, rate: exp(v)                        φ

Log rather than softplus for positive parameters: Adam's steps are then relative
changes (scale-free, as a Gamma concentration that must travel from 1 to 100 needs),
and a step that overflows exp is caught and reported, never clipped.

Estimators (``estimator=``), all unbiased for ∇_φ L:

    "reparameterization"   total derivative of h(T(ε, φ)), h = log p − log q
    "path_derivative"      the same without the score term (sticking the landing:
                           zero variance when q is the exact posterior)
    "closed_form_entropy"  E[(∂T/∂φ)ᵀ ∇_z log p(z)] + ∇_φ H[q] (ADVI)
    "score_function"       E[(h(z) − b) ∇_φ log q(z)], with a baseline b: the mean of
                           h over the other samples (n_samples ≥ 2), or else
                           (n_samples = 1) a moving average b ← 0.9 b + 0.1 h(z) of
                           the earlier steps' single draws, started at the first ELBO
                           estimate (independent of the draw); ``fit_dataset`` uses
                           the leave-one-out b for n_samples ≥ 2 and b = 0 for 1

The pathwise ones need a reparameterisable q (Normal, MultivariateNormal,
Exponential, LogNormal, PlanarFlow); Gamma and Categorical use the score function
(Gamma here has no implicit reparameterisation). A PlanarFlow has no closed-form
entropy and no per-parameter score: it takes "reparameterization", whose log q term
is the flow's exact log-determinant (``PlanarFlow.log_det_jacobian_grad``).

Convergence rule (documented, like Stan's ADVI relative tolerance, but on window
means so that the Monte Carlo noise of single estimates averages out): the ELBO is
estimated every ``eval_every`` steps from ``elbo_samples`` fresh draws; after 2w
estimates (w = ``window``), the run has converged when the mean of the last w
estimates differs from the mean of the w before by at most ``tol`` · max(1, |mean|).

Derivation: ``derivations/06-stochastic-variational-inference.md``.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from . import autodiff as ad
from .distributions import Categorical, Exponential, Gamma, LogNormal, MultivariateNormal, Normal
from .elbo import elbo_monte_carlo
from .estimators import ELBO_ESTIMATORS, elbo_gradient, score_function_gradient
from .estimators.elbo_gradients import PATHWISE
from .estimators.generic import is_reparameterizable
from .flows import PlanarFlow
from .models.gamma_poisson import GammaPoisson
from .models.linear_gaussian import LinearGaussian
from .numerics import standard_error_of_mean
from .validation import as_float_array, as_generator, check_count, check_flag, check_positive, check_size, first_bad_index

__all__ = [
    "fit",
    "fit_dataset",
    "FitResult",
    "DatasetFitResult",
    "GradientAscent",
    "Adam",
    "decay_schedule",
    "window_converged",
    "iterate_average",
    "minibatch_elbo_gradient",
    "UNCONSTRAINED",
    "ESTIMATORS",
    "OPTIMIZERS",
]

ESTIMATORS = ELBO_ESTIMATORS  # fit runs the estimators of vi_ref.estimators.elbo_gradient


# ---------------------------------------------------------------------------
# The unconstrained coordinates: φ = T(v), and the chain rule back through T
# ---------------------------------------------------------------------------


class _Identity:
    """φ = v."""

    @staticmethod
    def constrain(v):
        return v

    @staticmethod
    def unconstrain(phi):
        return phi

    @staticmethod
    def pull_back(v, grad_phi):
        return grad_phi


class _Exp:
    """φ = exp(v) > 0; ∂L/∂v = φ ∂L/∂φ."""

    @staticmethod
    def constrain(v):
        with np.errstate(over="ignore"):  # an overflow to inf is reported by the loop, naming the step
            return np.exp(v)

    @staticmethod
    def unconstrain(phi):
        return np.log(phi)

    @staticmethod
    def pull_back(v, grad_phi):
        return np.exp(v) * grad_phi


class _CholeskyExpDiagonal:
    """R = tril(V, −1) + diag(exp(diag V)): a Cholesky factor (positive diagonal) for
    every real V; ∂L/∂V = tril(G, −1) + diag(exp(diag V) ⊙ diag G)."""

    @staticmethod
    def _with_diagonal(strict_lower, diagonal):
        out = np.tril(strict_lower, -1)
        index = np.arange(out.shape[-1])
        out[..., index, index] = diagonal
        return out

    @classmethod
    def constrain(cls, v):
        with np.errstate(over="ignore"):  # an overflow to inf is reported by the loop, naming the step
            return cls._with_diagonal(v, np.exp(np.diagonal(v, axis1=-2, axis2=-1)))

    @classmethod
    def unconstrain(cls, phi):
        return cls._with_diagonal(phi, np.log(np.diagonal(phi, axis1=-2, axis2=-1)))

    @classmethod
    def pull_back(cls, v, grad_phi):
        diagonal = np.exp(np.diagonal(v, axis1=-2, axis2=-1)) * np.diagonal(grad_phi, axis1=-2, axis2=-1)
        return cls._with_diagonal(grad_phi, diagonal)


UNCONSTRAINED = {
    Normal: {"loc": _Identity, "scale": _Exp},
    LogNormal: {"loc": _Identity, "scale": _Exp},
    MultivariateNormal: {"loc": _Identity, "scale_tril": _CholeskyExpDiagonal},
    Exponential: {"rate": _Exp},
    Gamma: {"concentration": _Exp, "rate": _Exp},
    Categorical: {"logits": _Identity},
    PlanarFlow: {"loc": _Identity, "scale": _Exp, "w": _Identity, "u": _Identity, "b": _Identity},
    LinearGaussian: {"W": _Identity, "b": _Identity, "noise_var": _Exp},
    GammaPoisson: {"concentration": _Exp, "rate": _Exp},
}
"""Class → {parameter name → map from the unconstrained coordinate} (module table)."""


def _build(cls, params):
    """An object of ``cls`` from its constrained parameters."""
    if cls is MultivariateNormal:
        return MultivariateNormal(params["loc"], scale_tril=params["scale_tril"])
    if cls is Categorical:
        return Categorical(logits=params["logits"])
    return cls(**params)


_MODELS = (LinearGaussian, GammaPoisson)  # the rest of the table are families of q


def _table(obj, what):
    """The table's row for ``obj``, the argument ``what`` ("model" or "q")."""
    allowed = [cls for cls in UNCONSTRAINED if (cls in _MODELS) == (what == "model")]
    if type(obj) not in allowed:
        names = ", ".join(cls.__name__ for cls in allowed)
        raise TypeError(f"{what} must be one of {names}; got {type(obj).__name__}")
    return UNCONSTRAINED[type(obj)]


def _unconstrained(obj, what):
    """{name: v} with T(v) = the parameters of ``obj`` (Categorical: its logits), all
    finite: a start on the boundary (a probability of 0, a logit of −∞) is refused,
    as no step of the ascent can leave it."""
    unconstrained = {name: np.array(transform.unconstrain(getattr(obj, name)), dtype=float)
                     for name, transform in _table(obj, what).items()}
    found = _first_non_finite(unconstrained)
    if found:
        raise ValueError(
            f"{what} must start inside its family: its unconstrained {found[0]} is {found[1]}{found[2]} (a"
            " probability of 0 is a logit of -inf, which no step of the ascent can move); start from"
            " probabilities > 0"
        )
    return unconstrained


def _stops(answer):
    """Whether a callback's answer stops the run: True stops, False or None (no
    return) continues; anything else is refused (an array has no single truth value)."""
    if answer is None or isinstance(answer, (bool, np.bool_)):
        return bool(answer)
    raise TypeError(f"callback must return True (stop), False or None; got {type(answer).__name__}")


def _first_non_finite(arrays):
    """(name, value, " at index …") of the first non-finite entry of the arrays in the
    dict ``arrays``, or None."""
    for name, value in arrays.items():
        bad = ~np.isfinite(value)
        if bad.any():
            return name, value[bad].flat[0], first_bad_index(bad)
    return None


def _constrained(cls, unconstrained):
    return {name: UNCONSTRAINED[cls][name].constrain(v) for name, v in unconstrained.items()}


def _pull_back(cls, unconstrained, grads):
    return {name: UNCONSTRAINED[cls][name].pull_back(v, grads[name]) for name, v in unconstrained.items()}


# ---------------------------------------------------------------------------
# Optimisers (the lecture's gradient ascent, and Adam) and the step-size schedule
# ---------------------------------------------------------------------------


def _check_step(value, gradient, learning_rate, rows):
    """(gradient, learning_rate, rows) of an optimiser's step, checked: ``rows`` distinct
    indices of value's rows, ``gradient`` finite and of the shape of ``value`` (of
    ``value[rows]``), ``learning_rate`` finite and > 0 (a negative one would descend);
    ``value`` finite reals, returned first as a float64 array."""
    value = as_float_array(value, "value")
    learning_rate = _check_learning_rate(learning_rate)
    if rows is not None:
        rows = _check_rows(rows, np.shape(value)[0] if np.ndim(value) else 0)
    gradient = as_float_array(gradient, "gradient")
    expected = np.shape(value) if rows is None else (rows.size,) + np.shape(value)[1:]
    if gradient.shape != expected:
        where = "value" if rows is None else "value[rows]"
        raise ValueError(f"gradient must have the shape {expected} of {where}; got {gradient.shape}")
    return value, gradient, learning_rate, rows


class GradientAscent:
    """The lecture's update v ← v + η ĝ."""

    def step(self, name, value, gradient, learning_rate, rows=None):
        """The new value of parameter ``name`` (``rows``: update only these rows).

        Raises:
            ValueError: for a gradient that is not finite or not of the shape of
                ``value`` (``value[rows]``), a learning_rate that is not finite and > 0,
                or rows that are not distinct indices of value's rows.
        """
        value, gradient, learning_rate, rows = _check_step(value, gradient, learning_rate, rows)
        new = value.copy()
        if rows is None:
            new += learning_rate * gradient
        else:
            new[rows] += learning_rate * gradient
        return new


class Adam:
    """Adam (Kingma & Ba 2015), for ascent: with ĝ the gradient estimate at step t,

        m ← β₁ m + (1 − β₁) ĝ,   s ← β₂ s + (1 − β₂) ĝ²
        v ← v + η (m / (1 − β₁ᵗ)) / (√(s / (1 − β₂ᵗ)) + ε)

    Each coordinate's step is about η whatever the gradient's scale. With ``rows``
    (per-data-point parameters of a minibatch), only those rows move, and each row
    counts its own t (its moments are those of the steps it took part in).

    Gradients beyond about 1e154 would overflow ĝ² (and leave a step of 0, silently):
    there the moments are kept in units of 2ᵉ, m = m̃ 2ᵉ and s = s̃ 2²ᵉ, and the step
    is m̃ / (√s̃ + ε 2⁻ᵉ), the same number; e = 0 (no rescaling) below 2⁵⁰⁰.

    Raises:
        ValueError: unless 0 ≤ β₁, β₂ < 1 (β = 1 divides by 1 − βᵗ = 0) and ε > 0
            (ε = 0 divides 0 by 0 for a coordinate whose gradients were all 0).
    """

    def __init__(self, beta1=0.9, beta2=0.999, epsilon=1e-8):
        self.beta1, self.beta2 = _check_decay_rate(beta1, "beta1"), _check_decay_rate(beta2, "beta2")
        self.epsilon = float(check_positive(as_float_array(epsilon, "epsilon", ndim=0), "epsilon"))
        self._state = {}

    def step(self, name, value, gradient, learning_rate, rows=None):
        """The new value of parameter ``name`` (``rows``: update only these rows).
        Raises ValueError for the arguments ``GradientAscent.step`` refuses."""
        value, gradient, learning_rate, rows = _check_step(value, gradient, learning_rate, rows)
        if name not in self._state:  # moments, step count t, and the moments' scale exponent e
            self._state[name] = [np.zeros_like(value), np.zeros_like(value), np.zeros(()), 0]
        state = self._state[name]
        if rows is not None and state[2].ndim == 0:  # a t per row from now on; each row took every step so far
            state[2] = np.full(value.shape[:1], state[2])
        first, second, count, exponent = state
        largest = float(np.max(np.abs(gradient), initial=0.0))
        if np.isfinite(largest) and largest > np.ldexp(1.0, _LARGEST_UNSCALED + exponent):
            new_exponent = int(np.frexp(largest)[1]) - _LARGEST_UNSCALED
            first *= np.ldexp(1.0, exponent - new_exponent)  # powers of 2: exact
            second *= np.ldexp(1.0, 2 * (exponent - new_exponent))
            state[3] = exponent = new_exponent
        if exponent:
            gradient = np.ldexp(gradient, -exponent)
        index = Ellipsis if rows is None else rows
        count[index] += 1
        first[index] = self.beta1 * first[index] + (1 - self.beta1) * gradient
        second[index] = self.beta2 * second[index] + (1 - self.beta2) * gradient**2
        t = count[index].reshape(np.shape(count[index]) + (1,) * (value.ndim - np.ndim(count[index])))
        corrected_first = first[index] / (1 - self.beta1**t)
        corrected_second = second[index] / (1 - self.beta2**t)
        epsilon = self.epsilon if not exponent else np.ldexp(self.epsilon, -exponent)
        new = value.copy()
        new[index] = value[index] + learning_rate * corrected_first / (np.sqrt(corrected_second) + epsilon)
        return new


def _check_decay_rate(value, name):
    """A moment's decay rate β of Adam as a float in [0, 1), or a ValueError naming it."""
    value = float(as_float_array(value, name, ndim=0))
    if not 0 <= value < 1:
        raise ValueError(f"{name} must be in [0, 1); got {value}")
    return value


_LARGEST_UNSCALED = 500  # Adam's moments are rescaled once a gradient exceeds 2⁵⁰⁰ ≈ 3e150


OPTIMIZERS = {"adam": Adam, "gradient_ascent": GradientAscent}


def decay_schedule(timescale, power=1.0):
    """The step-size factor η_t/η = (1 + t/τ)^(−κ). For ½ < κ ≤ 1, Σ η_t = ∞ and
    Σ η_t² < ∞ (Robbins–Monro), so plain stochastic gradient ascent converges to a
    stationary point rather than fluctuating around it.

    Raises:
        ValueError: unless ``timescale`` and ``power`` are positive.
    """
    timescale = float(check_positive(as_float_array(timescale, "timescale", ndim=0), "timescale"))
    power = float(check_positive(as_float_array(power, "power", ndim=0), "power"))
    return lambda step: (1.0 + step / timescale) ** (-power)


def window_converged(estimates, window, tol):
    """The convergence rule: True when the mean of the last ``window`` ELBO estimates
    and the mean of the ``window`` before differ by at most tol · max(1, |last mean|)."""
    window = check_count(window, "window", minimum=1)
    tol = float(check_positive(as_float_array(tol, "tol", ndim=0), "tol"))
    estimates = as_float_array(estimates, "estimates", ndim=1, finite=False)
    if np.isnan(estimates).any():
        raise ValueError(f"estimates must not be NaN; got nan{first_bad_index(np.isnan(estimates))}")
    return _window_converged(estimates, window, tol)


def _window_converged(estimates, window, tol):
    """``window_converged`` on checked window and tol, for ``fit``'s own trace (a list
    read from its end only)."""
    if len(estimates) < 2 * window:
        return False
    last = np.asarray(estimates[len(estimates) - 2 * window :], dtype=float)
    recent = float(np.mean(last[window:]))
    previous = float(np.mean(last[:window]))
    return abs(recent - previous) <= tol * max(1.0, abs(recent))


# ---------------------------------------------------------------------------
# The target log p(x, z) as a function of z alone
# ---------------------------------------------------------------------------


class _Target:
    """An unnormalised log_joint(z) with its per-sample gradient (given, or by
    ``vi_ref.autodiff``), presented as a model with no parameters so that the ELBO
    gradient estimators of ``vi_ref.estimators`` apply to it unchanged."""

    parameter_names = ()

    def __init__(self, log_joint, log_joint_grad, latent_shape):
        if not callable(log_joint):
            raise TypeError(f"log_joint must be callable; got {type(log_joint).__name__}")
        if log_joint_grad is not None and not callable(log_joint_grad):
            raise TypeError(f"log_joint_grad must be callable or None; got {type(log_joint_grad).__name__}")
        self._log_joint, self._log_joint_grad = log_joint, log_joint_grad
        self.latent_shape = tuple(latent_shape)

    def values(self, z):
        """log_joint(z) as a float array (S,), checked."""
        values = self._log_joint(z)
        values = np.asarray(ad.value_of(values))
        if values.dtype.kind not in "iuf":
            raise TypeError(f"log_joint must return real numbers; got dtype {values.dtype}")
        if values.shape != (z.shape[0],):
            raise ValueError(
                f"log_joint must map samples of shape {z.shape} to one value per sample, shape"
                f" ({z.shape[0]},); got shape {values.shape}"
            )
        return values.astype(float)

    def gradient(self, z):
        """∇_z log_joint(z) per sample, of z's shape."""
        if self._log_joint_grad is not None:
            gradient = np.asarray(self._log_joint_grad(z))
            if gradient.dtype.kind not in "iuf":
                raise TypeError(f"log_joint_grad must return real numbers; got dtype {gradient.dtype}")
            gradient = gradient.astype(float)
            bad = ~np.isfinite(gradient)
            if bad.any():  # (it surfaced as "cotangent must be finite", a name inside the estimator)
                raise ValueError(f"log_joint_grad must be finite at q's draws; got {gradient[bad].flat[0]}"
                                 f"{first_bad_index(bad)}")
        else:
            gradient = ad.grad(lambda tensor: ad.sum(self._log_joint(tensor)))(z)
        if gradient.shape != z.shape:
            raise ValueError(f"log_joint_grad must return an array of z's shape {z.shape}; got {gradient.shape}")
        return gradient

    # the model interface of vi_ref.estimators.elbo_gradient (x is unused). fit hands
    # elbo_gradient only the pathwise estimators, which read log_joint_grad alone, but
    # log_joint belongs to the interface elbo_gradient checks (its score function reads it)
    def log_joint(self, x, z):
        return self.values(z)

    def log_joint_grad(self, x, z):
        return {"z": self.gradient(z)}


# one data point with no entries: the estimators read the data batch as x.shape[:-1] = ()
_NO_DATA = np.zeros(0)


def _latent_shape(q):
    """Shape of one z: an elementwise family's batch is the latent vector (API.md)."""
    return tuple(q.batch_shape) + tuple(q.event_shape)


def _draw_with_log_q(q, n, rng):
    """(z, log q(z) summed to one value per sample)."""
    if isinstance(q, PlanarFlow):
        z, eps = q.rsample(n, rng)
        return z, q.log_prob_of_noise(eps)
    z = q.sample(n, rng)
    log_q = np.asarray(q.log_prob(z))
    return z, log_q.reshape(n, -1).sum(axis=1)


def _elbo_estimate(target, q, n, rng):
    """(mean, standard error, per-sample log p − log q) over n fresh draws."""
    z, log_q = _draw_with_log_q(q, n, rng)
    ratios = target.values(z) - log_q
    with np.errstate(invalid="ignore"):  # a non-finite ratio: NaN statistics, refused by the caller
        return float(np.mean(ratios)), float(standard_error_of_mean(ratios)), ratios


# ---------------------------------------------------------------------------
# The Monte Carlo gradient of the ELBO (per sample), for any family
# ---------------------------------------------------------------------------


def _check_estimator(q, estimator):
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}; got {estimator!r}")
    name = type(q).__name__
    if isinstance(q, PlanarFlow):
        if estimator != "reparameterization":
            raise ValueError(
                f"estimator={estimator!r} cannot be used with a PlanarFlow q (no closed-form entropy, no"
                " score): use estimator='reparameterization'"
            )
    elif estimator in PATHWISE and not is_reparameterizable(q):
        raise ValueError(
            f"estimator={estimator!r} needs a reparameterisable q (z = T(eps, phi)); {name} is not:"
            " use estimator='score_function'"
        )


def _gradient_terms(target, q, n, rng, estimator, baseline):
    """Per-sample terms of ∇_φ L (dict name → (n, *parameter shape)), with
    ``baseline`` the score-function control variate (a number or "leave_one_out"),
    and the per-sample values of h = log p − log q for the score function."""
    if isinstance(q, PlanarFlow):
        # L = E_ε[log p(T(ε)) − log N(ε) + log|det ∂T/∂ε|]: its total derivative
        # = transform_vjp(ε, ∇ log p) + log_det_jacobian_grad(ε), in one backward pass
        z, eps = q.rsample(n, rng)
        return q.transform_and_log_det_vjp(eps, target.gradient(z), np.ones(n)), None
    if estimator == "score_function":
        seen = {}

        def log_ratio(z):
            log_q = np.asarray(q.log_prob(z)).reshape(z.shape[0], -1).sum(axis=1)
            seen["values"] = target.values(z) - log_q
            return seen["values"]

        terms = score_function_gradient(log_ratio, q, n, rng, baseline=baseline)
        return terms, seen["values"]
    _, grads_phi = elbo_gradient(target, q, _NO_DATA, n, rng, estimator=estimator)
    return grads_phi, None


def _total_variance(terms):
    """Σ over coordinates of the sample variance of single-sample gradient terms."""
    return float(sum(np.sum(np.var(t, axis=0, ddof=1)) for t in terms.values()))


# ---------------------------------------------------------------------------
# The loop
# ---------------------------------------------------------------------------


@dataclass
class FitResult:
    """Outcome of ``fit``.

    Attributes:
        q: the fitted distribution (same class as the start).
        elbo, elbo_standard_error: the last ELBO estimate and its standard error.
        trace_steps: the steps at which the ELBO was estimated (0 = the start).
        trace, trace_standard_error: those estimates and their standard errors.
        gradient_variance: if tracked, at each of those steps the total variance
            Σⱼ Var[ĝⱼ] of a single-sample gradient estimate in the unconstrained
            coordinates (from ``elbo_samples`` draws; for the score function with the
            leave-one-out baseline among those draws, whatever baseline the run
            uses); else empty.
        converged: whether the convergence rule (module docstring) held;
        converged_step: the first step at which it held, or None.
        n_steps: steps taken.
        trace_parameters: the unconstrained coordinates {name: v} at each estimate
            (for ``iterate_average``).
        estimator, optimizer: as given.
    """

    q: object
    elbo: float
    elbo_standard_error: float
    trace_steps: np.ndarray = field(repr=False)
    trace: np.ndarray = field(repr=False)
    trace_standard_error: np.ndarray = field(repr=False)
    gradient_variance: np.ndarray = field(repr=False)
    converged: bool
    converged_step: object
    n_steps: int
    trace_parameters: list = field(repr=False)
    estimator: str = "reparameterization"
    optimizer: str = "adam"


def _check_learning_rate(learning_rate):
    """learning_rate as a finite float > 0 (a plain float, every optimiser step's case,
    in one comparison; anything else through the general checks, which name it)."""
    if isinstance(learning_rate, float) and 0 < learning_rate < math.inf:
        return float(learning_rate)
    return float(check_positive(as_float_array(learning_rate, "learning_rate", ndim=0), "learning_rate"))


def _make_optimizer(optimizer):
    if not isinstance(optimizer, str) or optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {tuple(OPTIMIZERS)}; got {optimizer!r}")
    return OPTIMIZERS[optimizer]()


def _check_schedule(schedule):
    if schedule is not None and not callable(schedule):
        raise TypeError(f"schedule must be callable (step -> factor) or None; got {type(schedule).__name__}")
    return schedule or (lambda step: 1.0)


def _check_callback(callback):
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None; got {type(callback).__name__}")
    return callback


def _check_eval_every(eval_every, steps):
    """Steps between ELBO estimates: ``eval_every`` ≥ 1, or by default steps // 100
    (about 100 estimates per run), at least 1."""
    return max(1, steps // 100) if eval_every is None else check_count(eval_every, "eval_every", minimum=1)


def _scheduled_rate(learning_rate, schedule, step):
    """η · schedule(step − 1), refusing a factor that is not a finite positive number
    (a negative one would turn the ascent into descent)."""
    factor = schedule(step - 1)
    if isinstance(factor, np.ndarray) and factor.shape == () and factor.dtype.kind in "iuf":
        factor = factor[()]  # a 0-d array, as np.float64 computations often return
    if isinstance(factor, (bool, np.bool_)) or not isinstance(factor, (int, float, np.integer, np.floating)) \
            or not np.isfinite(factor) or factor <= 0:
        raise ValueError(f"schedule must return a finite factor > 0; got {factor!r} at step {step - 1}")
    return learning_rate * float(factor)


def _check_finite_gradient(grads, step, q):
    found = _first_non_finite(grads)
    if found:
        raise FloatingPointError(
            f"step {step}: the ELBO gradient with respect to {found[0]} is not finite ({found[1]}{found[2]})"
            f" at q = {q!r}"
        )


def _checked_family(cls, unconstrained, step):
    constrained = _constrained(cls, unconstrained)
    found = _first_non_finite(constrained)
    if found:
        raise FloatingPointError(
            f"step {step}: parameter {found[0]} became {found[1]}{found[2]}; lower the learning_rate"
        )
    try:
        return _build(cls, constrained)
    except ValueError as error:  # finite, but off the domain's edge: exp(v) underflowed to 0 or a subnormal
        raise FloatingPointError(
            f"step {step}: the parameters left {cls.__name__}'s domain ({error}); lower the learning_rate"
        ) from None


def _start_checks(target, q, elbo_samples, rng):
    """The ELBO at the start, refusing a log_joint of the wrong shape or non-finite."""
    mean, standard_error, ratios = _elbo_estimate(target, q, elbo_samples, rng)
    bad = ~np.isfinite(ratios)
    if bad.any():
        raise ValueError(
            f"log_joint must be finite at the starting q; log p(z) − log q(z) is {ratios[bad][0]}"
            f" for a sample{first_bad_index(bad)} of q = {q!r}"
        )
    return mean, standard_error


def fit(
    log_joint,
    q,
    *,
    steps,
    learning_rate,
    n_samples=1,
    estimator="reparameterization",
    optimizer="adam",
    rng=None,
    log_joint_grad=None,
    schedule=None,
    eval_every=None,
    elbo_samples=100,
    window=10,
    tol=1e-3,
    stop_when_converged=False,
    track_gradient_variance=False,
    callback=None,
):
    """Maximise the ELBO L(φ) = E_{q_φ}[log_joint(z) − log q_φ(z)] by stochastic
    gradient ascent (the lecture's recipe; module docstring for the coordinates,
    estimators and convergence rule).

    Args:
        log_joint: maps samples z of shape (S, *latent shape) to (S,) values of an
            unnormalised log p(x, z); written with ``vi_ref.autodiff`` functions unless
            ``log_joint_grad`` is given. The latent shape is q's ``batch_shape +
            event_shape`` (a Normal with vector parameters is a mean-field Gaussian).
        q: the starting distribution: Normal, MultivariateNormal, LogNormal,
            Exponential, Gamma, Categorical or PlanarFlow.
        steps: number of gradient steps ≥ 1.
        learning_rate: η > 0.
        n_samples: Monte Carlo samples per gradient estimate (≥ 1).
        estimator: one of ``ESTIMATORS``.
        optimizer: ``"adam"`` or ``"gradient_ascent"``.
        rng: Generator, int seed or None.
        log_joint_grad: optional, maps z to ∇_z log_joint(z) of z's shape.
        schedule: optional step → factor multiplying η (e.g. ``decay_schedule``).
        eval_every: estimate the ELBO every this many steps (default steps // 100, ≥ 1).
        elbo_samples: draws per ELBO estimate (≥ 2).
        window, tol: the convergence rule. stop_when_converged: stop when it holds.
        track_gradient_variance: record the gradient variance at each estimate.
        callback: optional callable(step, q, elbo, standard_error) called at each
            estimate; returning True stops the run.

    Returns:
        FitResult.

    Raises:
        TypeError: for a q of another family or a non-callable log_joint.
        ValueError: naming the argument, for non-positive steps, learning_rate,
            n_samples, elbo_samples; an unknown estimator or optimizer; an estimator
            the family cannot use; a log_joint of the wrong shape or not finite at q.
        FloatingPointError: naming the step and the parameter, if the gradient or a
            parameter becomes non-finite during the run.
    """
    cls = type(q)
    unconstrained = _unconstrained(q, "q")
    q = _build(cls, _constrained(cls, unconstrained))  # a Categorical from probs becomes one from logits
    steps = check_size(check_count(steps, "steps", minimum=1), "steps")
    learning_rate = _check_learning_rate(learning_rate)
    n_samples = check_size(check_count(n_samples, "n_samples", minimum=1), "n_samples", per_unit=q_size(q))
    elbo_samples = check_size(check_count(elbo_samples, "elbo_samples", minimum=2), "elbo_samples",
                              per_unit=q_size(q))
    stop_when_converged = check_flag(stop_when_converged, "stop_when_converged")
    track_gradient_variance = check_flag(track_gradient_variance, "track_gradient_variance")
    window = check_count(window, "window", minimum=1)
    eval_every = _check_eval_every(eval_every, steps)
    tol = float(check_positive(as_float_array(tol, "tol", ndim=0), "tol"))
    _check_estimator(q, estimator)
    opt = _make_optimizer(optimizer)
    schedule = _check_schedule(schedule)
    _check_callback(callback)
    generator = as_generator(rng)
    target = _Target(log_joint, log_joint_grad, _latent_shape(q))

    elbo, standard_error = _start_checks(target, q, elbo_samples, generator)
    trace_steps, trace, trace_se, variances = [0], [elbo], [standard_error], []
    trace_parameters = [unconstrained]
    baseline = "leave_one_out" if n_samples >= 2 else elbo
    converged_step, step = None, 0

    def record_variance():
        terms, _ = _gradient_terms(target, q, elbo_samples, generator, estimator, "leave_one_out")
        variances.append(_total_variance(_pull_back_terms(cls, unconstrained, terms)))

    if track_gradient_variance:
        record_variance()
    for step in range(1, steps + 1):
        terms, ratios = _gradient_terms(target, q, n_samples, generator, estimator, baseline)
        grads = {name: np.mean(t, axis=0) for name, t in terms.items()}
        _check_finite_gradient(grads, step, q)
        grads = _pull_back(cls, unconstrained, grads)
        rate = _scheduled_rate(learning_rate, schedule, step)
        unconstrained = {name: opt.step(name, v, grads[name], rate) for name, v in unconstrained.items()}
        q = _checked_family(cls, unconstrained, step)
        if ratios is not None and n_samples == 1:
            baseline = 0.9 * baseline + 0.1 * float(ratios[0])  # running average: independent of the next draw
        if step % eval_every == 0 or step == steps:
            elbo, standard_error, ratios_eval = _elbo_estimate(target, q, elbo_samples, generator)
            if not np.isfinite(elbo):
                raise FloatingPointError(f"step {step}: the ELBO estimate is {elbo} at q = {q!r}")
            trace_steps.append(step)
            trace.append(elbo)
            trace_se.append(standard_error)
            trace_parameters.append(unconstrained)
            if track_gradient_variance:
                record_variance()
            if converged_step is None and _window_converged(trace, window, tol):
                converged_step = step
            stop = callback is not None and _stops(callback(step, q, elbo, standard_error))
            if stop or (stop_when_converged and converged_step is not None):
                break
    return FitResult(
        q=q,
        elbo=trace[-1],
        elbo_standard_error=trace_se[-1],
        trace_steps=np.array(trace_steps),
        trace=np.array(trace),
        trace_standard_error=np.array(trace_se),
        gradient_variance=np.array(variances),
        converged=converged_step is not None,
        converged_step=converged_step,
        n_steps=step,
        trace_parameters=trace_parameters,
        estimator=estimator,
        optimizer=optimizer,
    )


def iterate_average(result, *, start=0.5, n_batches=10):
    """Polyak–Ruppert averaging of a run: the mean of the unconstrained coordinates
    recorded at the ELBO estimates after the fraction ``start`` of them (less the
    earliest few when their number is not a multiple of ``n_batches``), with
    batch-means standard errors of that mean.

    Stochastic gradient iterates fluctuate around the optimum with a spread set by
    the gradient noise and the step size; their average is far closer to it, and the
    spread of the means of ``n_batches`` consecutive blocks (each long compared with
    the iterates' correlation time) gives its standard error, SE = sd(block means)/√B.

    Args:
        result: a ``FitResult`` or ``DatasetFitResult``.

    Returns:
        for a FitResult, (q, mean, standard_error): q of the fitted family built from
        the averaged coordinates, and two dicts name → array in the unconstrained
        coordinates; for a DatasetFitResult, (model, q, mean, standard_error) with
        the dicts nested as {"model": {...}, "q": {...}}.

    Raises:
        ValueError: if fewer than 2 iterates per block remain after ``start``.
    """
    if not isinstance(result, (FitResult, DatasetFitResult)):
        raise TypeError(
            f"result must be the FitResult of fit or the DatasetFitResult of fit_dataset; got {type(result).__name__}"
        )
    start = float(as_float_array(start, "start", ndim=0))
    if not 0 <= start < 1:
        raise ValueError(f"start must be a fraction in [0, 1); got {start}")
    n_batches = check_count(n_batches, "n_batches", minimum=2)
    kept = result.trace_parameters[int(start * len(result.trace_parameters)) :]
    size = len(kept) // n_batches
    if size < 2:
        raise ValueError(
            f"{len(kept)} recorded iterates after start={start} cannot fill {n_batches} blocks of >= 2;"
            " record more (smaller eval_every) or use fewer n_batches"
        )
    kept = kept[len(kept) - size * n_batches :]
    if isinstance(result, DatasetFitResult):
        parts = {part: _block_means([params[part] for params in kept], n_batches) for part in ("model", "q")}
        mean = {part: pair[0] for part, pair in parts.items()}
        standard_error = {part: pair[1] for part, pair in parts.items()}
        model_cls, cls = type(result.model), type(result.q)
        model = _build(model_cls, _constrained(model_cls, mean["model"]))
        return model, _build(cls, _constrained(cls, mean["q"])), mean, standard_error
    mean, standard_error = _block_means(kept, n_batches)
    cls = type(result.q)
    return _build(cls, _constrained(cls, mean)), mean, standard_error


def _pull_back_terms(cls, unconstrained, terms):
    """Per-sample terms (n, ...) pulled back to the unconstrained coordinates."""
    return {name: UNCONSTRAINED[cls][name].pull_back(v[None], terms[name]) for name, v in unconstrained.items()}


def _block_means(iterates, n_batches):
    """(mean, batch-means standard error) of a list of {name: array} of equal length blocks."""
    size = len(iterates) // n_batches
    mean, standard_error = {}, {}
    for name in iterates[0]:
        stacked = np.stack([params[name] for params in iterates])
        blocks = stacked.reshape((n_batches, size) + stacked.shape[1:]).mean(axis=1)
        mean[name] = stacked.mean(axis=0)
        standard_error[name] = blocks.std(axis=0, ddof=1) / np.sqrt(n_batches)
    return mean, standard_error


# ---------------------------------------------------------------------------
# The entire data set: one qᵢ per data point, minibatches, θ learned jointly
# ---------------------------------------------------------------------------


def _local_rows(q, rows):
    """The qᵢ of the data points ``rows`` from a q with one distribution per point."""
    return _build(type(q), {name: getattr(q, name)[rows] for name in UNCONSTRAINED[type(q)]})


def _check_local_family(q, n_points):
    if type(q) not in (Normal, MultivariateNormal, LogNormal, Gamma, Exponential, Categorical):
        raise TypeError(f"q must be a batched vi_ref.distributions family; got {type(q).__name__}")
    for name in UNCONSTRAINED[type(q)]:
        shape = np.shape(getattr(q, name))
        if not shape or shape[0] != n_points:
            raise ValueError(
                f"q must hold one distribution per data point: q.{name} must have {n_points} rows"
                f" (one per row of X); got shape {shape}"
            )


def _check_rows(rows, n_points):
    """rows as a 1-d array of distinct integer indices into the N data points."""
    rows = np.atleast_1d(np.asarray(rows))
    if rows.ndim != 1 or rows.dtype.kind not in "iu":
        raise TypeError(f"rows must be a 1-d array of integer indices; got {rows!r}")
    if rows.size == 0 or rows.min() < 0 or rows.max() >= n_points or np.unique(rows).size != rows.size:
        raise ValueError(f"rows must be one or more distinct indices in [0, N = {n_points}); got {rows}")
    return rows


def q_size(q):
    """Entries of one draw of q (for the memory bound on sample counts)."""
    return max(1, int(np.prod(getattr(q, "batch_shape", ()) + getattr(q, "event_shape", ()), dtype=float)))


def minibatch_elbo_gradient(model, q, X, rows, n_samples, rng=None, *, estimator="reparameterization",
                            baseline=None):
    """Monte Carlo gradient of the mean-field data-set ELBO L = (1/N) Σᵢ Lᵢ(θ, φᵢ) from
    the minibatch B = ``rows`` (lecture, "Mean Field Assumption for Parametric
    Distributions"):

        ĝ_θ  = (N/|B|) · (1/N) Σ_{i∈B} ∇_θ L̂ᵢ = (1/|B|) Σ_{i∈B} ∇_θ L̂ᵢ
        ĝ_φᵢ = ∇_φᵢ L̂ᵢ  for i ∈ B   (each φᵢ ascends its own ELBOᵢ: N ∇_φᵢ L)

    with L̂ᵢ the ``n_samples``-sample estimate of ``estimators.elbo_gradient`` (with its
    ``baseline`` for the score function: None or ``"leave_one_out"``). For B
    drawn uniformly (any fixed size) E_B[(N/|B|) Σ_{i∈B} gᵢ] = Σᵢ gᵢ, so ĝ_θ is unbiased
    for ∇_θ L.

    Returns:
        (grads_theta, grads_phi): θ's gradient estimates (parameter shapes), and the
        rows' φᵢ gradients (|B|, *per-point parameter shape).
    """
    X = as_float_array(X, "X", min_ndim=1)
    _check_local_family(q, X.shape[0])
    rows = _check_rows(rows, X.shape[0])
    n_samples = check_size(check_count(n_samples, "n_samples", minimum=1), "n_samples", per_unit=X.size)
    local = _local_rows(q, rows)
    grads_theta, grads_phi = elbo_gradient(model, local, X[rows], n_samples, rng, estimator=estimator,
                                           baseline=baseline)
    return (
        {name: np.mean(g, axis=0) / rows.size for name, g in grads_theta.items()},
        {name: np.mean(g, axis=0) for name, g in grads_phi.items()},
    )


@dataclass
class DatasetFitResult:
    """Outcome of ``fit_dataset``.

    Attributes:
        model: the fitted model (θ). q: the fitted qᵢ (batch (N,)).
        elbo, elbo_standard_error: the last estimate of (1/N) Σᵢ ELBO(xᵢ, qᵢ).
        trace_steps, trace, trace_standard_error: the estimates along the run.
        trace_parameters: the unconstrained coordinates at each estimate, as
            {"model": {...}, "q": {...}} (for ``iterate_average``).
        n_steps: steps taken.
    """

    model: object
    q: object
    elbo: float
    elbo_standard_error: float
    trace_steps: np.ndarray = field(repr=False)
    trace: np.ndarray = field(repr=False)
    trace_standard_error: np.ndarray = field(repr=False)
    trace_parameters: list = field(repr=False)
    n_steps: int


def _dataset_elbo_estimate(model, q, X, n, rng):
    """(1/N) Σᵢ ELBÔᵢ and its standard error √(Σᵢ SEᵢ²)/N (independent draws per point)."""
    estimates, errors = elbo_monte_carlo(model, q, X, n, rng)
    count = X.shape[0]
    return float(np.mean(estimates)), float(np.sqrt(np.sum(np.square(errors))) / count)


def fit_dataset(
    model,
    X,
    q,
    *,
    steps,
    learning_rate,
    batch_size=None,
    n_samples=1,
    estimator="reparameterization",
    optimizer="adam",
    learn_model=True,
    rng=None,
    schedule=None,
    eval_every=None,
    elbo_samples=10,
    callback=None,
):
    """Steps 1–8 of the lecture's recipe on a data set: maximise

        L(θ, φ) = (1/N) Σᵢ E_{qᵢ}[log p_θ(xᵢ, zᵢ) − log qᵢ(zᵢ)]

    over the model's θ (if ``learn_model``) and one mean-field qᵢ per data point, by
    stochastic gradient ascent on minibatches (``minibatch_elbo_gradient``): each step
    draws B without replacement, moves θ with ĝ_θ and only the rows i ∈ B of φ.

    Args:
        model: a model in the ``UNCONSTRAINED`` table with ``log_joint_grad``
            (LinearGaussian, GammaPoisson), the starting θ.
        X: (N, ...) data set. q: the starting qᵢ, batch (N,) (e.g. a
            MultivariateNormal with loc (N, L) and scale_tril (N, L, L), or a Normal
            with loc and scale (N, L)).
        steps, learning_rate, n_samples, estimator, optimizer, rng, schedule,
        eval_every, callback: as in ``fit`` (callback(step, model, q, elbo, se)),
            except that ``estimator="score_function"`` with ``n_samples = 1`` uses no
            baseline (b = 0; with n_samples ≥ 2 it uses the leave-one-out one, as ``fit``).
        batch_size: |B|, 1 ≤ |B| ≤ N (default N: full batch).
        learn_model: also ascend in θ (else θ stays fixed and only the qᵢ move).
        elbo_samples: draws per data point for each estimate of the data-set ELBO.

    Returns:
        DatasetFitResult.

    Raises:
        TypeError: for a model or q outside the table.
        ValueError: naming the argument, for a batch_size larger than N or < 1,
            non-positive steps or learning rate, a q without one row per data point.
    """
    model_cls, cls = type(model), type(q)
    theta = _unconstrained(model, "model")
    phi = _unconstrained(q, "q")
    X = as_float_array(X, "X", min_ndim=1)
    n_points = X.shape[0]
    if n_points == 0:
        raise ValueError(f"X must hold at least one data point (row); got shape {X.shape}")
    _check_local_family(q, n_points)
    _check_callback(callback)
    steps = check_size(check_count(steps, "steps", minimum=1), "steps")
    learning_rate = _check_learning_rate(learning_rate)
    n_samples = check_size(check_count(n_samples, "n_samples", minimum=1), "n_samples", per_unit=X.size)
    elbo_samples = check_size(check_count(elbo_samples, "elbo_samples", minimum=2), "elbo_samples", per_unit=X.size)
    learn_model = check_flag(learn_model, "learn_model")
    batch_size = n_points if batch_size is None else check_count(batch_size, "batch_size", minimum=1)
    if batch_size > n_points:
        raise ValueError(f"batch_size must be at most the number of data points N = {n_points}; got {batch_size}")
    eval_every = _check_eval_every(eval_every, steps)
    _check_estimator(q, estimator)
    opt = _make_optimizer(optimizer)
    schedule = _check_schedule(schedule)
    generator = as_generator(rng)

    elbo, standard_error = _dataset_elbo_estimate(model, q, X, elbo_samples, generator)
    if not np.isfinite(elbo):
        raise ValueError(f"the data-set ELBO must be finite at the starting model and q; got {elbo}")
    trace_steps, trace, trace_se = [0], [elbo], [standard_error]
    trace_parameters = [{"model": theta, "q": phi}]
    baseline = "leave_one_out" if estimator == "score_function" and n_samples >= 2 else None
    step = 0
    for step in range(1, steps + 1):
        rows = np.sort(generator.choice(n_points, size=batch_size, replace=False))
        grads_theta, grads_phi = minibatch_elbo_gradient(model, q, X, rows, n_samples, generator, estimator=estimator,
                                                         baseline=baseline)
        _check_finite_gradient({**grads_theta, **grads_phi}, step, q)
        rate = _scheduled_rate(learning_rate, schedule, step)
        if learn_model:
            grads_theta = _pull_back(model_cls, theta, grads_theta)
            theta = {name: opt.step(("model", name), v, grads_theta[name], rate) for name, v in theta.items()}
            model = _checked_family(model_cls, theta, step)
        local = {name: v[rows] for name, v in phi.items()}
        grads_phi = _pull_back(cls, local, grads_phi)
        phi = {name: opt.step(("q", name), v, grads_phi[name], rate, rows=rows) for name, v in phi.items()}
        q = _checked_family(cls, phi, step)
        if step % eval_every == 0 or step == steps:
            elbo, standard_error = _dataset_elbo_estimate(model, q, X, elbo_samples, generator)
            if not np.isfinite(elbo):
                raise FloatingPointError(f"step {step}: the data-set ELBO estimate is {elbo}")
            trace_steps.append(step)
            trace.append(elbo)
            trace_se.append(standard_error)
            trace_parameters.append({"model": theta, "q": phi})
            if callback is not None and _stops(callback(step, model, q, elbo, standard_error)):
                break
    return DatasetFitResult(
        model=model,
        q=q,
        elbo=trace[-1],
        elbo_standard_error=trace_se[-1],
        trace_steps=np.array(trace_steps),
        trace=np.array(trace),
        trace_standard_error=np.array(trace_se),
        trace_parameters=trace_parameters,
        n_steps=step,
    )
