"""Probability distributions: the lecture's variational families q_φ(z).

Six families share one vocabulary (as in scipy.stats and torch.distributions):
``log_prob(x)``, ``sample(n, rng)``, ``mean``, ``variance``, ``entropy()``,
``support``, ``batch_shape``, ``event_shape``, ``params``, and the hand-written
derivatives ``log_prob_grad(x)`` (the score) and ``entropy_grad()``. The
reparameterisable families (Normal, MultivariateNormal, Exponential, LogNormal) add
``rsample(n, rng) -> (z, eps)`` with z = T(ε, φ), ``transform(eps)`` = T(ε, φ), and
``transform_vjp(eps, cotangent)``, the per-sample vector–Jacobian product of T with
respect to φ that the pathwise (reparameterisation) gradient needs.

Every formula is written once, as a module-level function of arrays built from
``vi_ref.autodiff`` operations (``normal_log_prob``, ``gamma_entropy``,
``mvn_transform``, ...). On ndarrays it computes the value that the class returns;
on ``autodiff.Tensor`` arguments it builds a graph, so the same formula is
differentiated automatically and checks each hand-written derivative
(``tests/test_distributions.py``). The derivations are in
``derivations/02-kl-divergence-and-variational-families.md``.

Shapes: parameters broadcast against each other like NumPy arrays, giving
``batch_shape``; ``event_shape`` is the shape of one value (``()`` for the scalar
families and Categorical, ``(D,)`` for MultivariateNormal). ``sample(n)`` returns
``(n, *batch_shape, *event_shape)``; ``log_prob(x)`` has the shape of ``x`` without
its event axes, broadcast with ``batch_shape``. A diagonal Gaussian over vectors is a
``Normal`` with vector parameters; ``Normal.log_prob(x, diagonal=True)`` and
``Normal.entropy(diagonal=True)`` sum over the last axis to give its joint density.
"""

from dataclasses import dataclass
from math import comb

import numpy as np
import scipy.special

from . import autodiff as ad
from .numerics import LOG_2PI, check_scale_tril, cholesky, sum_to_shape
from .validation import (
    as_float_array,
    as_generator,
    check_count,
    check_positive,
    check_flag,
    check_probability_vector,
    check_size,
    first_bad_index,
)

__all__ = [
    "Support",
    "Distribution",
    "ReparameterizedDistribution",
    "Normal",
    "MultivariateNormal",
    "Exponential",
    "Gamma",
    "LogNormal",
    "Categorical",
    "normal_log_prob",
    "normal_entropy",
    "normal_transform",
    "mvn_log_prob",
    "mvn_entropy",
    "mvn_transform",
    "exponential_log_prob",
    "exponential_entropy",
    "exponential_transform",
    "gamma_log_prob",
    "gamma_entropy",
    "gamma_mean_log",
    "lognormal_log_prob",
    "lognormal_entropy",
    "lognormal_transform",
    "categorical_log_prob",
    "categorical_entropy",
    "log1pmx",
    "log_ratio",
    "scaled_difference",
    "gammaln_bregman",
]

# ---------------------------------------------------------------------------
# Building blocks that stay exact at the extremes (written with autodiff
# operations, so that every formula built from them is still differentiated
# automatically)
# ---------------------------------------------------------------------------

# Stirling's series lnΓ(x) = (x − ½) log x − x + ½ log 2π + S(x), with
# S(x) = Σₖ B₂ₖ / (2k (2k − 1) x^(2k−1)); eight terms leave less than 2e-18 at x ≥ 10.
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)
STIRLING_THRESHOLD = 10.0
# Categorical.sample compares all draws with all cumulative probabilities at once
# below this many comparisons (32 MiB of booleans), and searches per batch member above.
COMPARISON_ELEMENTS = 1 << 25


def _polynomial(coefficients, w):
    """Σⱼ cⱼ wʲ by Horner's rule."""
    result = coefficients[-1]
    for coefficient in coefficients[-2::-1]:
        result = coefficient + w * result
    return result


def _stirling_remainder(x):
    """S(x) = lnΓ(x) − (x − ½) log x + x − ½ log 2π ≈ 1/(12x), for x ≥ 10."""
    w = ad.square(1 / x)
    return _polynomial([b / (2 * k * (2 * k - 1)) for k, b in enumerate(_BERNOULLI, 1)], w) / x


def _stirling_remainder_derivative(x):
    """S′(x) = ψ(x) − log x + 1/(2x) = −Σₖ B₂ₖ / (2k x^(2k)), for x ≥ 10."""
    w = ad.square(1 / x)
    return -w * _polynomial([b / (2 * k) for k, b in enumerate(_BERNOULLI, 1)], w)


def _stirling_remainder_second_derivative(x):
    """S″(x) = ψ′(x) − 1/x − 1/(2x²) = Σₖ B₂ₖ / x^(2k+1), for x ≥ 10."""
    w = ad.square(1 / x)
    return w / x * _polynomial(list(_BERNOULLI), w)


# lnΓ(1 + α) = −γα + Σₖ₌₂ (−1)ᵏ ζ(k) αᵏ/k: coefficients of α¹ … α¹⁸, enough for
# α < 0.1 (the first term left out is below 1e-19 of the sum)
_LOG_GAMMA_ONE_PLUS = [-np.euler_gamma] + [(-1) ** k * scipy.special.zeta(k) / k for k in range(2, 19)]


def _log_gamma_one_plus(alpha):
    """lnΓ(1 + α) to full relative precision for 0 ≤ α < ½: the Taylor series below
    0.1; ``gammaln(1 + α)`` above, where rounding 1 + α costs at most 1e-15 of it
    (below, it cost up to all of it: 8e-8 at α = 1e-10)."""
    series = _clamp(alpha < 0.1, alpha, 0.0)
    return ad.where(alpha < 0.1, series * _polynomial(_LOG_GAMMA_ONE_PLUS, series), ad.gammaln(1 + alpha))


def log_ratio(a, b):
    """log(a/b) for positive a, b, to full precision: log1p((a − b)/b) near a = b
    (where a/b would round away the difference), log a − log b where a/b under- or
    overflows (there the result is ≥ 708 in magnitude), log(a/b) elsewhere."""
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        ratio = np.divide(ad.value_of(a), ad.value_of(b))  # (NumPy's: ∞ at b = 0, not ZeroDivisionError)
        close = np.abs(ratio - 1) < 0.5
        representable = (ratio >= np.finfo(float).tiny) & (ratio < np.inf) & ~close
        return ad.where(
            close,
            ad.log1p(_clamp(close, (a - b) / b, 0.0)),
            ad.where(representable, ad.log(_clamp(representable, a / b, 1.0)), ad.log(a) - ad.log(b)),
        )


def scaled_difference(x, y, scale):
    """(x − y)/scale, also where x − y overflows (x = 1e308, y = −1e308) but the
    quotient does not: then x/scale − y/scale."""
    with np.errstate(over="ignore", invalid="ignore"):
        finite = np.isfinite(ad.value_of(x) - ad.value_of(y))
        return ad.where(finite, (x - y) / scale, x / scale - y / scale)


def _clamp(condition, value, fallback):
    """``value`` where ``condition`` holds, else ``fallback``: keeps the branch of a
    formula that is not selected away from arguments where it overflows."""
    return ad.where(condition, value, fallback)


def log1pmx(u, log1p_u=None):
    """u − log(1 + u) ≥ 0 for u > −1, to full relative precision everywhere (the
    negative of log(1 + u) − u, which SciPy has only privately, as
    ``scipy.special._ufuncs._log1pmx``).

    Near 0 the two terms cancel (the result is ≈ u²/2); there, with t = u/(2 + u)
    and log(1 + u) = 2 atanh t,

        u − log(1 + u) = 2t²/(1 − t) − 2 Σₖ₌₁ t^(2k+1)/(2k + 1),

    whose terms do not cancel (|t| < ⅓ for |u| < ½: 18 terms reach ε). Elsewhere
    the direct form loses at most a few bits. ``log1p_u`` may give log(1 + u) when
    it is known more accurately than from u (as log a − log b for u = a/b − 1 with
    a/b under- or overflowing).
    """
    near = ad.abs(u) < 0.5
    t_source = _clamp(near, u, 0.0)
    t = t_source / (2 + t_source)
    series = _polynomial([1 / (2 * k + 1) for k in range(1, 19)], ad.square(t))
    small = 2 * ad.square(t) / (1 - t) - 2 * t * ad.square(t) * series
    if log1p_u is None:
        log1p_u = ad.log1p(_clamp(near, 0.0, u))
    return ad.where(near, small, u - log1p_u)


def gammaln_bregman(a, b):
    """lnΓ(b) − lnΓ(a) − (b − a) ψ(a) ≥ 0 (the Bregman divergence of the convex lnΓ),
    accurate when a and b are close or huge, where the three terms nearly cancel.

    The recurrence lnΓ(x + 1) = lnΓ(x) + log x and ψ(x + 1) = ψ(x) + 1/x shift both
    arguments by J = 10 at the price of J non-negative terms:

        B(a, b) = B(a + J, b + J) + Σⱼ₌₀^(J−1) [u − log(1 + u)],   u = (b − a)/(a + j),

    and with x = a + J ≥ 10, y = b + J, d = y − x, u = d/x, Stirling's series gives
        B(x, y) = x u² − (y − ½)(u − log1p u) + S(y) − S(x) − d S′(x)   (|u| < ½),
        B(x, y) = (y − ½) log(y/x) − d + u/2 + S(y) − S(x) − d S′(x)     (otherwise).
    """
    difference = b - a
    shifted_a = a + STIRLING_THRESHOLD
    shifted_b = b + STIRLING_THRESHOLD
    total = 0.0
    for j in range(int(STIRLING_THRESHOLD)):
        with np.errstate(over="ignore"):  # an overflowing u is handled below
            u = difference / (a + j)
        # log(1 + u) = log((b + j)/(a + j)), from the logs where b + j ≪ a + j loses u
        # and where u overflows (then u − log(1 + u) = +∞, not ∞ − ∞)
        below = (ad.value_of(u) < -0.5) | (ad.value_of(u) == np.inf)
        log1p_u = ad.where(below, ad.log(b + j) - ad.log(a + j), ad.log1p(_clamp(below, 0.0, u)))
        total = total + log1pmx(u, log1p_u)
    u = difference / shifted_a
    near = ad.abs(u) < 0.5
    close_u = _clamp(near, u, 0.0)
    close = (
        shifted_a * ad.square(close_u)
        - (shifted_b - 0.5) * log1pmx(close_u)
        + _stirling_remainder_bregman(shifted_a, close_u)
    )
    far = (
        (shifted_b - 0.5) * (ad.log(shifted_b) - ad.log(shifted_a))
        - difference
        + 0.5 * u
        + _stirling_remainder(shifted_b)
        - _stirling_remainder(shifted_a)
        - difference * _stirling_remainder_derivative(shifted_a)
    )
    return total + ad.where(near, close, far)


def _stirling_remainder_bregman(x, u):
    """S(x(1 + u)) − S(x) − x u S′(x) for |u| < ½, term by term without cancellation:
    for f(x) = x^(−m), f(x(1 + u)) − f(x) − x u f′(x) = x^(−m) u² Pₘ(u)/(1 + u)^m with
    Pₘ(u) = Σᵢ₌₂^(m+1) (m C(m, i−1) − C(m, i)) u^(i−2), all coefficients positive.
    (Evaluating S at a rounded x(1 + u) instead would lose the tiny u.)"""
    inverse_x, inverse_shift = 1 / x, 1 / (1 + u)
    total = 0.0
    for k, bernoulli in enumerate(_BERNOULLI, 1):
        m = 2 * k - 1
        coefficients = [m * comb(m, i - 1) - comb(m, i) for i in range(2, m + 2)]
        total = total + (bernoulli / (2 * k * m)) * (inverse_x * inverse_shift) ** m * _polynomial(coefficients, u)
    return total * ad.square(u)


# ---------------------------------------------------------------------------
# Supports
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Support:
    """The set a distribution's values lie in: an interval of reals or integers,
    or (``event_ndims=1``) vectors of reals.

    ``check(x)`` tells, for each value, whether it lies in the set (±∞ never does).
    ``interior_point`` is a value inside the set; formulas are evaluated there for
    values outside it, whose log-density is −∞ whatever the formula would say.
    """

    name: str
    lower: float = -np.inf
    upper: float = np.inf
    lower_closed: bool = False
    integer: bool = False
    event_ndims: int = 0
    interior_point: float = 0.0

    def __str__(self):
        return self.name

    def includes(self, other):
        """Whether (almost) every value of the set ``other`` lies in this one, coordinate
        by coordinate (the event axes are not compared). A continuous ``other`` may have
        a closed end that this set leaves open ([0, ∞) in (0, ∞)): a single point has
        probability 0 under a density."""
        lower_ok = other.lower > self.lower or (
            other.lower == self.lower and (self.lower_closed or not other.lower_closed or not other.integer))
        return lower_ok and other.upper <= self.upper and (other.integer or not self.integer)

    def check(self, x):
        """Boolean array, one entry per value of ``x`` (event axes reduced)."""
        x = np.asarray(x, dtype=float)
        above = x >= self.lower if self.lower_closed else x > self.lower
        inside = above & (x <= self.upper) & np.isfinite(x)
        if self.integer:
            inside &= x == np.floor(x)
        if self.event_ndims:
            inside = np.all(inside, axis=tuple(range(-self.event_ndims, 0)))
        return inside


REAL = Support("real")
REAL_VECTOR = Support("real vector", event_ndims=1)
POSITIVE = Support("positive", lower=0.0, interior_point=1.0)
NONNEGATIVE = Support("nonnegative", lower=0.0, lower_closed=True, interior_point=1.0)


def integer_interval(count):
    """The support {0, 1, …, count − 1} of a Categorical over ``count`` categories."""
    return Support(
        f"integer interval {{0, ..., {count - 1}}}",
        lower=0.0,
        upper=count - 1.0,
        lower_closed=True,
        integer=True,
    )


# ---------------------------------------------------------------------------
# Shared vocabulary
# ---------------------------------------------------------------------------


def _broadcast_shapes(**shapes):
    """np.broadcast_shapes, with a ValueError naming the parameters that clash."""
    try:
        return np.broadcast_shapes(*shapes.values())
    except ValueError:
        described = " and ".join(f"{name} of shape {shape}" for name, shape in shapes.items())
        raise ValueError(f"{described} do not broadcast") from None


def _full(array, shape):
    """A writeable float array of exactly ``shape`` (``array`` broadcast to it)."""
    return np.array(np.broadcast_to(array, shape), dtype=float)


def _sum_per_sample(per_sample, shape):
    """Reduce (n, *broadcast) to (n, *shape) by summing, within each sample, over the
    entries that broadcasting copied a parameter of ``shape`` to."""
    n = per_sample.shape[0]
    padded = (1,) * (per_sample.ndim - 1 - len(shape)) + tuple(shape)
    return sum_to_shape(per_sample, (n,) + padded).reshape((n,) + tuple(shape))


class Distribution:
    """Base class: validation of values and samples, and the shared vocabulary.

    Subclasses set ``parameter_names``, ``support`` (a ``Support``),
    ``batch_shape``, ``event_shape`` and ``parameter_event_ndims`` (how many trailing
    axes of each parameter describe one distribution, e.g. 2 for ``scale_tril``),
    and implement ``_log_prob(x)`` for x inside the support and ``_sample(n, rng)``.
    """

    parameter_names = ()
    parameter_event_ndims = {}
    support = REAL
    batch_shape = ()
    event_shape = ()

    @property
    def params(self):
        """Dict parameter name → array, in the constructor's names."""
        return {name: getattr(self, name) for name in self.parameter_names}

    def __repr__(self):
        arguments = ", ".join(f"{name}={np.array2string(value, precision=4)}" for name, value in self.params.items())
        return f"{type(self).__name__}({arguments})"

    def log_prob(self, x):
        """log q(x): the formula of the family inside the support, −∞ outside it.

        Args:
            x: array whose trailing axes are ``event_shape`` and whose leading axes
                broadcast with ``batch_shape`` (sample axes in front).

        Returns:
            array of shape broadcast(x.shape without event axes, batch_shape).

        Raises:
            ValueError: for NaN entries, or a shape that does not fit.
        """
        x, inside = self._value_in_support(x)
        return np.where(inside, self._log_prob(x), -np.inf)[()]

    def sample(self, n, rng=None):
        """n independent draws, shape ``(n, *batch_shape, *event_shape)``.

        Raises:
            TypeError: if ``n`` is not an integer. ValueError: if ``n`` < 0.
        """
        n = check_size(check_count(n, "n"), "n", per_unit=self._values_per_draw())
        return self._sample(n, as_generator(rng))

    def _values_per_draw(self):
        return int(np.prod(self.batch_shape + self.event_shape))

    def _broadcast_batch(self, value, event_shape=()):
        return _full(value, self.batch_shape + tuple(event_shape))

    def _value_in_support(self, x):
        """(x with every value outside the support replaced by an interior point,
        boolean mask of the values inside the support)."""
        x = as_float_array(x, "x", finite=False)
        if np.isnan(x).any():
            raise ValueError(f"x must not be NaN; got NaN{first_bad_index(np.isnan(x))}")
        event_ndim = len(self.event_shape)
        if x.ndim < event_ndim or x.shape[x.ndim - event_ndim :] != self.event_shape:
            raise ValueError(
                f"x must end with the event shape {self.event_shape}; got shape {x.shape}"
            )
        try:
            np.broadcast_shapes(x.shape[: x.ndim - event_ndim], self.batch_shape)
        except ValueError:
            raise ValueError(
                f"x of shape {x.shape} does not broadcast with the batch shape {self.batch_shape}"
            ) from None
        inside = self.support.check(x)
        mask = inside[(...,) + (None,) * event_ndim]
        return np.where(mask, x, self.support.interior_point), inside

    def _parameter_event_shape(self, name):
        ndims = self.parameter_event_ndims.get(name, 0)
        shape = np.shape(getattr(self, name))
        return shape[len(shape) - ndims :]

    def _score(self, grads, inside):
        """Per-value gradient dict: each entry of shape broadcast(log_prob shape) plus
        the parameter's event shape, and 0 where x lies outside the support (there
        log q(x) = −∞ for every parameter value, a constant)."""
        shape = np.broadcast_shapes(inside.shape, self.batch_shape)
        result = {}
        for name, gradient in grads.items():
            event = self._parameter_event_shape(name)
            mask = np.broadcast_to(inside, shape)[(...,) + (None,) * len(event)]
            result[name] = np.where(mask, _full(gradient, shape + event), 0.0)
        return result

    def _value_gradient(self, gradient, inside):
        """{"x": ∇_x log q(x)} of shape broadcast(x, batch + event), 0 where x lies
        outside the support (log q = −∞ there, a constant)."""
        gradient = np.asarray(gradient, dtype=float)
        mask = inside[(...,) + (None,) * len(self.event_shape)]
        return {"x": np.where(mask, gradient, 0.0)}

    def _summed_over_batch(self, grads):
        """Gradient of a quantity summed over the batch, as arrays of each parameter's
        own shape: entries copied by broadcasting receive the sum of their copies."""
        result = {}
        for name, gradient in grads.items():
            event = self._parameter_event_shape(name)
            full = _full(gradient, self.batch_shape + event)
            result[name] = sum_to_shape(full, np.shape(getattr(self, name)))
        return result


class ReparameterizedDistribution(Distribution):
    """A family with a reparameterisation z = T(ε, φ), ε drawn from a base
    distribution that does not depend on φ (derivation 02, §8).

    Subclasses implement ``_base_noise(shape, rng)`` and ``_transform(eps)``;
    ``sample`` draws through ``rsample``, so with the same seed both give the same z.
    """

    def rsample(self, n, rng=None):
        """(z, ε) with ε of shape ``(n, *batch_shape, *event_shape)`` from the base
        distribution and z = T(ε, φ) = ``transform(ε)``.

        Raises:
            TypeError: if ``n`` is not an integer. ValueError: if ``n`` < 0.
        """
        n = check_size(check_count(n, "n"), "n", per_unit=self._values_per_draw())
        eps = self._base_noise((n,) + self.batch_shape + self.event_shape, as_generator(rng))
        return self._transform(eps), eps

    def transform(self, eps):
        """z = T(ε, φ), for base noise ``eps`` broadcasting with the batch shape."""
        eps = as_float_array(eps, "eps")
        event_ndim = len(self.event_shape)
        if eps.ndim < event_ndim or eps.shape[eps.ndim - event_ndim :] != self.event_shape:
            raise ValueError(f"eps must end with the event shape {self.event_shape}; got shape {eps.shape}")
        _broadcast_shapes(eps=eps.shape[: eps.ndim - event_ndim], batch_shape=self.batch_shape)
        return self._transform(eps)

    def _sample(self, n, rng):
        return self.rsample(n, rng)[0]

    def _check_vjp_arguments(self, eps, cotangent):
        """Both as float arrays of shape (n, *batch_shape, *event_shape)."""
        eps = as_float_array(eps, "eps")
        cotangent = as_float_array(cotangent, "cotangent")
        per_sample = self.batch_shape + self.event_shape
        if eps.ndim != 1 + len(per_sample) or eps.shape[1:] != per_sample:
            raise ValueError(f"eps must have shape (n, *{per_sample}); got {eps.shape}")
        if cotangent.shape != eps.shape:
            raise ValueError(f"cotangent must have the shape of eps {eps.shape}; got {cotangent.shape}")
        return eps, cotangent

    def _vjp_per_sample(self, grads):
        """Per-sample VJP entries reduced to shape (n, *parameter shape)."""
        return {name: _sum_per_sample(g, np.shape(getattr(self, name))) for name, g in grads.items()}


# ---------------------------------------------------------------------------
# Normal (elementwise; a diagonal Gaussian over the last axis with diagonal=True)
# ---------------------------------------------------------------------------


def normal_log_prob(x, loc, scale):
    """log N(x | μ, σ²) = −½ ((x − μ)/σ)² − log σ − ½ log 2π (with (x − μ)/σ formed
    without overflow where x − μ exceeds the float range but the quotient does not)."""
    return -0.5 * ad.square(scaled_difference(x, loc, scale)) - ad.log(scale) - 0.5 * LOG_2PI


def normal_entropy(scale):
    """H[N(μ, σ²)] = ½ log(2πe σ²) = ½ (1 + log 2π) + log σ (μ does not enter)."""
    return 0.5 * (1.0 + LOG_2PI) + ad.log(scale)


def normal_transform(eps, loc, scale):
    """T(ε; μ, σ) = μ + σ ε with ε ~ N(0, 1)."""
    return loc + scale * eps


class _LocationScale:
    """The parameters loc μ (real) and scale σ > 0 of a Normal, or of the Normal
    behind a LogNormal, and the score in terms of the standardised value u."""

    parameter_names = ("loc", "scale")

    def __init__(self, loc, scale):
        self.loc = as_float_array(loc, "loc")
        self.scale = check_positive(as_float_array(scale, "scale"), "scale")
        self.batch_shape = _broadcast_shapes(loc=self.loc.shape, scale=self.scale.shape)

    def _standardised_score(self, u, inside):
        """∂ log q/∂μ = u/σ and ∂ log q/∂σ = (u² − 1)/σ, from log q = −u²/2 − log σ + c."""
        return self._score({"loc": u / self.scale, "scale": (u**2 - 1) / self.scale}, inside)


class Normal(_LocationScale, ReparameterizedDistribution):
    """N(loc, scale²), elementwise over broadcast ``loc`` and ``scale``.

    Vector parameters give a batch of independent Normals; read as one vector,
    they are the diagonal Gaussian N(loc, diag(scale²)) whose joint log-density and
    entropy are ``log_prob(x, diagonal=True)`` and ``entropy(diagonal=True)``
    (sums over the last axis). Its score and entropy gradient are the elementwise
    ones, since each coordinate's term depends only on its own parameters.

    Raises:
        ValueError: if ``scale`` is not positive, any parameter is not finite, or the
            shapes do not broadcast.
    """

    support = REAL

    @property
    def mean(self):
        """E[z] = μ."""
        return self._broadcast_batch(self.loc)

    @property
    def variance(self):
        """Var[z] = σ²."""
        return self._broadcast_batch(self.scale**2)

    def log_prob(self, x, *, diagonal=False):
        """log N(x | μ, σ²) (``normal_log_prob``); with ``diagonal=True`` summed over
        the last axis: log N(x | μ, diag(σ²)) = Σ_d log N(x_d | μ_d, σ_d²)."""
        log_density = super().log_prob(x)
        return _sum_last_axis(log_density, "log_prob") if check_flag(diagonal, "diagonal") else log_density

    def _log_prob(self, x):
        return normal_log_prob(x, self.loc, self.scale)

    def log_prob_grad(self, x):
        """Score of N(μ, σ²) (derivation 02, §7), with u = (x − μ)/σ:

            ∂ log q/∂μ = u/σ,    ∂ log q/∂σ = (u² − 1)/σ.
        """
        x, inside = self._value_in_support(x)
        return self._standardised_score(scaled_difference(x, self.loc, self.scale), inside)

    def log_prob_x_grad(self, x):
        """∇_x log N(x | μ, σ²) = −(x − μ)/σ², per value: {"x": array of shape
        broadcast(x, batch)} (the pathwise estimators' ∇_z log q(z))."""
        x, inside = self._value_in_support(x)
        return self._value_gradient(-scaled_difference(x, self.loc, self.scale) / self.scale, inside)

    def entropy(self, *, diagonal=False):
        """½ log(2πe σ²) per coordinate (``normal_entropy``); summed over the last
        axis with ``diagonal=True``."""
        entropy = self._broadcast_batch(normal_entropy(self.scale))[()]
        return _sum_last_axis(entropy, "entropy") if check_flag(diagonal, "diagonal") else entropy

    def entropy_grad(self):
        """∂H/∂μ = 0, ∂H/∂σ = 1/σ, for H summed over the batch (each entry has its
        parameter's shape)."""
        return self._summed_over_batch({"loc": 0.0, "scale": 1 / self.scale})

    def _base_noise(self, shape, rng):
        return rng.standard_normal(shape)

    def _transform(self, eps):
        return normal_transform(eps, self.loc, self.scale)

    def transform_vjp(self, eps, cotangent):
        """Per-sample ∂⟨c_s, T(ε_s)⟩/∂φ for T(ε) = μ + σ ε (derivation 02, §8):

            μ̄_s = c_s,    σ̄_s = c_s ε_s,

        each summed over the entries a broadcast parameter was copied to, giving
        arrays of shape (n, *parameter shape).
        """
        eps, cotangent = self._check_vjp_arguments(eps, cotangent)
        return self._vjp_per_sample({"loc": cotangent, "scale": cotangent * eps})


def _sum_last_axis(values, what):
    if np.ndim(values) == 0:
        raise ValueError(f"{what}(diagonal=True) sums over the last axis, but the result has no axes")
    return np.sum(values, axis=-1)


# ---------------------------------------------------------------------------
# Multivariate normal, parameterised by the Cholesky factor R = scale_tril
# ---------------------------------------------------------------------------


def _lower_triangle(scale_tril):
    """The lower triangle of ``scale_tril``: the formulas read only the entries the
    family is parameterised by, so their derivatives above the diagonal are zero."""
    size = np.shape(ad.value_of(scale_tril))[-1]
    return scale_tril * np.tril(np.ones((size, size)))


def _solve_lower(scale_tril, values, *, transpose=False):
    """R⁻¹ v (or R⁻ᵀ v) for vectors v of shape (*sample, *batch, D), by substitution.

    With a batch of factors, the sample axes are moved into the columns of one
    right-hand side per factor, so that B factors cost B triangular solves however
    many samples there are.
    """
    batch_ndim = scale_tril.ndim - 2
    sample_ndim = values.ndim - 1 - batch_ndim
    trans = int(transpose)
    if batch_ndim == 0 or sample_ndim <= 0:
        return ad.solve_triangular(scale_tril, values[..., None], trans=trans, lower=True)[..., 0]
    sample_shape = values.shape[:sample_ndim]
    axes = tuple(range(sample_ndim, values.ndim)) + tuple(range(sample_ndim))
    columns = ad.reshape(ad.transpose(values, axes=axes), values.shape[sample_ndim:] + (-1,))
    solved = ad.solve_triangular(scale_tril, columns, trans=trans, lower=True)
    solved = ad.reshape(solved, solved.shape[:-1] + sample_shape)
    return ad.transpose(solved, axes=tuple(int(i) for i in np.argsort(axes)))


def _log_diagonal_sum(scale_tril):
    """Σᵢ log Rᵢᵢ = ½ log det(R Rᵀ)."""
    return ad.sum(ad.log(ad.diagonal(scale_tril, axis1=-2, axis2=-1)), axis=-1)


def mvn_log_prob(x, loc, scale_tril):
    """log N(x | μ, R Rᵀ) = −½ ‖y‖² − Σᵢ log Rᵢᵢ − (D/2) log 2π, with y = R⁻¹ (x − μ)
    found by forward substitution (no inverse, no determinant; derivation 02, §8)."""
    scale_tril = _lower_triangle(scale_tril)
    whitened = _solve_lower(scale_tril, x - loc)
    size = whitened.shape[-1]
    return -0.5 * ad.sum(ad.square(whitened), axis=-1) - _log_diagonal_sum(scale_tril) - 0.5 * size * LOG_2PI


def mvn_entropy(scale_tril):
    """H[N(μ, R Rᵀ)] = (D/2)(1 + log 2π) + Σᵢ log Rᵢᵢ."""
    size = scale_tril.shape[-1]
    return 0.5 * size * (1.0 + LOG_2PI) + _log_diagonal_sum(scale_tril)


def mvn_transform(eps, loc, scale_tril):
    """T(ε; μ, R) = R ε + μ with ε ~ N(0, I): the lecture's full-rank reparameterisation
    (derivation 02, §8)."""
    return loc + ad.matmul(_lower_triangle(scale_tril), eps[..., None])[..., 0]


def _diagonal_matrix(diagonal):
    """Matrices with ``diagonal`` (shape (..., D)) on the diagonal, zeros elsewhere."""
    return np.eye(diagonal.shape[-1]) * diagonal[..., None, :]


class MultivariateNormal(ReparameterizedDistribution):
    """N(loc, Σ) with Σ = R Rᵀ, R = ``scale_tril`` lower triangular with positive
    diagonal; given ``covariance_matrix`` instead, R is its Cholesky factor.

    Parameters are stored as ``loc`` (..., D) and ``scale_tril`` (..., D, D), whose
    leading axes broadcast to ``batch_shape``; ``covariance_matrix`` is readable.
    Gradients are with respect to ``loc`` and ``scale_tril`` (lower-triangular: zero
    above the diagonal) however the distribution was built.

    Raises:
        ValueError: unless exactly one of ``scale_tril`` and ``covariance_matrix`` is
            given; for a covariance that is not symmetric positive definite, a
            ``scale_tril`` that is not lower triangular with positive diagonal,
            non-finite entries, or shapes that do not fit.
    """

    parameter_names = ("loc", "scale_tril")
    parameter_event_ndims = {"loc": 1, "scale_tril": 2}
    support = REAL_VECTOR

    def __init__(self, loc, *, scale_tril=None, covariance_matrix=None):
        if (scale_tril is None) == (covariance_matrix is None):
            raise ValueError("exactly one of scale_tril and covariance_matrix must be given")
        self.loc = as_float_array(loc, "loc", min_ndim=1)
        if scale_tril is not None:
            self.scale_tril, name = check_scale_tril(scale_tril, "scale_tril"), "scale_tril"
        else:
            self.scale_tril, name = cholesky(covariance_matrix, "covariance_matrix"), "covariance_matrix"
        size = self.loc.shape[-1]
        if size == 0:
            raise ValueError(f"loc must have at least one coordinate (D >= 1); got shape {self.loc.shape}")
        if self.scale_tril.shape[-1] != size:
            raise ValueError(
                f"{name} must be {size} x {size} to match loc of shape {self.loc.shape};"
                f" got shape {self.scale_tril.shape}"
            )
        self.batch_shape = _broadcast_shapes(**{"loc": self.loc.shape[:-1], name: self.scale_tril.shape[:-2]})
        self.event_shape = (size,)

    @property
    def covariance_matrix(self):
        """Σ = R Rᵀ."""
        return self.scale_tril @ np.swapaxes(self.scale_tril, -1, -2)

    @property
    def mean(self):
        """E[z] = μ."""
        return self._broadcast_batch(self.loc, self.event_shape)

    @property
    def variance(self):
        """The diagonal of Σ: Var[zᵢ] = Σⱼ Rᵢⱼ²."""
        return self._broadcast_batch(np.sum(self.scale_tril**2, axis=-1), self.event_shape)

    def _log_prob(self, x):
        return mvn_log_prob(x, self.loc, self.scale_tril)

    def log_prob_grad(self, x):
        """Score of N(μ, R Rᵀ), with y = R⁻¹(x − μ) and u = R⁻ᵀ y = Σ⁻¹(x − μ):

            ∂ log q/∂μ = u,    ∂ log q/∂R = tril(u yᵀ) − diag(1/Rᵢᵢ).

        (dy = −R⁻¹ dR y, so d(−½‖y‖²) = yᵀ R⁻¹ dR y = ⟨u yᵀ, dR⟩, kept on the lower
        triangle that parameterises R; d log det R = Σᵢ dRᵢᵢ/Rᵢᵢ.) Entries have shape
        (*log_prob shape, D) and (*log_prob shape, D, D).
        """
        x, inside = self._value_in_support(x)
        scale_tril = self.scale_tril
        whitened = _solve_lower(scale_tril, x - self.loc)
        precision_times_residual = _solve_lower(scale_tril, whitened, transpose=True)
        outer = precision_times_residual[..., :, None] * whitened[..., None, :]
        inverse_diagonal = 1 / np.diagonal(scale_tril, axis1=-2, axis2=-1)
        grads = {"loc": precision_times_residual, "scale_tril": np.tril(outer) - _diagonal_matrix(inverse_diagonal)}
        return self._score(grads, inside)

    def log_prob_x_grad(self, x):
        """∇_x log N(x | μ, R Rᵀ) = −Σ⁻¹(x − μ) = −R⁻ᵀ R⁻¹ (x − μ), by two triangular
        solves: {"x": array of shape broadcast(x, batch + (D,))}."""
        x, inside = self._value_in_support(x)
        whitened = _solve_lower(self.scale_tril, x - self.loc)
        return self._value_gradient(-_solve_lower(self.scale_tril, whitened, transpose=True), inside)

    def entropy(self):
        """(D/2)(1 + log 2π) + Σᵢ log Rᵢᵢ (``mvn_entropy``)."""
        return self._broadcast_batch(mvn_entropy(self.scale_tril))[()]

    def entropy_grad(self):
        """∂H/∂μ = 0, ∂H/∂R = diag(1/Rᵢᵢ), for H summed over the batch."""
        inverse_diagonal = 1 / np.diagonal(self.scale_tril, axis1=-2, axis2=-1)
        return self._summed_over_batch({"loc": 0.0, "scale_tril": _diagonal_matrix(inverse_diagonal)})

    def _base_noise(self, shape, rng):
        return rng.standard_normal(shape)

    def _transform(self, eps):
        return mvn_transform(eps, self.loc, self.scale_tril)

    def transform_vjp(self, eps, cotangent):
        """Per-sample ∂⟨c_s, R ε_s + μ⟩/∂φ:

            μ̄_s = c_s,    R̄_s = tril(c_s ε_sᵀ),

        reduced over broadcast batch entries to shapes (n, *loc.shape) and
        (n, *scale_tril.shape).
        """
        eps, cotangent = self._check_vjp_arguments(eps, cotangent)
        outer = np.tril(cotangent[..., :, None] * eps[..., None, :])
        return self._vjp_per_sample({"loc": cotangent, "scale_tril": outer})


# ---------------------------------------------------------------------------
# Exponential
# ---------------------------------------------------------------------------


def exponential_log_prob(x, rate):
    """log Exp(x | λ) = log λ − λ x, for x ≥ 0."""
    return ad.log(rate) - rate * x


def exponential_entropy(rate):
    """H[Exp(λ)] = 1 − log λ."""
    return 1.0 - ad.log(rate)


def exponential_transform(eps, rate):
    """T(ε; λ) = ε / λ with ε ~ Exp(1): P(ε/λ > t) = P(ε > λ t) = e^(−λt)."""
    return eps / rate


class Exponential(ReparameterizedDistribution):
    """Exp(rate): density λ e^(−λx) on [0, ∞).

    Raises:
        ValueError: if ``rate`` is not positive and finite.
    """

    parameter_names = ("rate",)
    support = NONNEGATIVE

    def __init__(self, rate):
        self.rate = check_positive(as_float_array(rate, "rate"), "rate")
        self.batch_shape = self.rate.shape

    @property
    def mean(self):
        """E[z] = 1/λ."""
        return self._broadcast_batch(1 / self.rate)

    @property
    def variance(self):
        """Var[z] = 1/λ²."""
        return self._broadcast_batch(1 / self.rate**2)

    def _log_prob(self, x):
        return exponential_log_prob(x, self.rate)

    def log_prob_grad(self, x):
        """∂ log q/∂λ = 1/λ − x."""
        x, inside = self._value_in_support(x)
        return self._score({"rate": 1 / self.rate - x}, inside)

    def log_prob_x_grad(self, x):
        """∇_x log Exp(x | λ) = −λ for x ≥ 0 (from the right at x = 0): {"x": array
        of shape broadcast(x, batch)}, 0 outside the support."""
        x, inside = self._value_in_support(x)
        return self._value_gradient(np.broadcast_to(-self.rate, np.broadcast_shapes(x.shape, self.batch_shape)), inside)

    def entropy(self):
        """1 − log λ (``exponential_entropy``)."""
        return self._broadcast_batch(exponential_entropy(self.rate))[()]

    def entropy_grad(self):
        """∂H/∂λ = −1/λ."""
        return self._summed_over_batch({"rate": -1 / self.rate})

    def _base_noise(self, shape, rng):
        return rng.standard_exponential(shape)

    def _transform(self, eps):
        return exponential_transform(eps, self.rate)

    def transform_vjp(self, eps, cotangent):
        """Per-sample ∂⟨c_s, ε_s/λ⟩/∂λ = −c_s ε_s / λ², shape (n, *rate.shape)."""
        eps, cotangent = self._check_vjp_arguments(eps, cotangent)
        return self._vjp_per_sample({"rate": -cotangent * eps / self.rate**2})


# ---------------------------------------------------------------------------
# Gamma (not reparameterisable here: its inverse CDF has no closed form)
# ---------------------------------------------------------------------------


def gamma_log_prob(x, concentration, rate):
    """log Gamma(x | α, β) = α log β − lnΓ(α) + (α − 1) log x − β x, for x > 0.

    For α ≥ 10 the terms, each of size α log α, cancel to O(log α); there Stirling's
    series turns the density into a sum of small terms (with r = βx/α):

        log Gamma(x | α, β) = −α (r − 1 − log r) + ½ log α − log x − ½ log 2π − S(α).

    For α < ½, −lnΓ(α) ≈ log(1/α) and −log x cancel where x ≈ α (at α = x = 1e-10 the
    textbook form kept 6 digits); lnΓ(α) = lnΓ(1 + α) − log α turns the pair into one
    ratio, computed by ``log_ratio``:

        log Gamma(x | α, β) = log(α/x) + α log(βx) − lnΓ(1 + α) − βx.
    """
    small = concentration < STIRLING_THRESHOLD
    # a form no entry selects is not built: with a Tensor argument each form is a
    # graph (Stirling's, with its series, about 60 nodes) whose gradient would be 0;
    # with no entries at all (np.all of none holds) the direct form gives the shape
    if np.all(small) or np.any(small):
        alpha = _clamp(small, concentration, 1.0)
        direct = alpha * ad.log(rate) - ad.gammaln(alpha) + (alpha - 1) * ad.log(x) - rate * x
    if not np.all(small):
        alpha = _clamp(small, STIRLING_THRESHOLD, concentration)
        with np.errstate(over="ignore", under="ignore"):
            u = rate * x / alpha - 1
        log_r = ad.log(rate) + log_ratio(x, alpha)
        stirling = (
            -alpha * log1pmx(u, log_r) + 0.5 * ad.log(alpha) - ad.log(x) - 0.5 * LOG_2PI - _stirling_remainder(alpha)
        )
    value = direct if np.all(small) else stirling if not np.any(small) else ad.where(small, direct, stirling)
    with np.errstate(invalid="ignore"):  # (x = 0 or ∞ keeps the form above: ±∞ there, not ∞ − ∞)
        near_zero = (concentration < 0.5) & (ad.value_of(x) > 0) & (ad.value_of(x) < np.inf)
    if np.any(near_zero):  # (only then: the ratio form costs half as much again)
        alpha, at = _clamp(near_zero, concentration, 0.25), _clamp(near_zero, x, 1.0)
        ratio_form = log_ratio(alpha, at) + alpha * (ad.log(rate) + ad.log(at)) - _log_gamma_one_plus(alpha) - rate * at
        value = ad.where(near_zero, ratio_form, value)
    return value


def gamma_entropy(concentration, rate):
    """H[Gamma(α, β)] = α − log β + lnΓ(α) + (1 − α) ψ(α).

    For α ≥ 10 (where lnΓ(α) and (1 − α) ψ(α) cancel, and overflow beyond 1e305),
    Stirling's series: H = ½ log(2π α) + ½ − 1/(2α) + S(α) + (1 − α) S′(α) − log β.
    """
    small = concentration < STIRLING_THRESHOLD
    alpha = _clamp(small, concentration, 1.0)
    direct = alpha + ad.gammaln(alpha) + (1 - alpha) * ad.digamma(alpha)
    alpha = _clamp(small, STIRLING_THRESHOLD, concentration)
    stirling = (
        0.5 * (LOG_2PI + ad.log(alpha)) + 0.5 - 0.5 / alpha
        + _stirling_remainder(alpha) + (1 - alpha) * _stirling_remainder_derivative(alpha)
    )
    return ad.where(small, direct, stirling) - ad.log(rate)


def gamma_mean_log(concentration, rate):
    """E[log z] for z ~ Gamma(α, β): ψ(α) − log β.

    For α ≥ 10, ψ(α) = log α − 1/(2α) + S′(α), so E[log z] = log(α/β) − 1/(2α) + S′(α)
    with log(α/β) from ``log_ratio``: exact also where ψ(α) and log β are both about
    690 and differ in their 16th digit (α, β ≈ 1e300).
    """
    small = concentration < STIRLING_THRESHOLD
    alpha = _clamp(small, concentration, 1.0)
    direct = ad.digamma(alpha) - ad.log(rate)
    alpha = _clamp(small, STIRLING_THRESHOLD, concentration)
    stirling = log_ratio(alpha, rate) - 0.5 / alpha + _stirling_remainder_derivative(alpha)
    return ad.where(small, direct, stirling)


class Gamma(Distribution):
    """Gamma(concentration α, rate β): density βᵅ xᵅ⁻¹ e^(−βx) / Γ(α) on (0, ∞).

    Raises:
        ValueError: if a parameter is not positive and finite, or the shapes do not
            broadcast.
    """

    parameter_names = ("concentration", "rate")
    support = POSITIVE

    def __init__(self, concentration, rate):
        self.concentration = check_positive(as_float_array(concentration, "concentration"), "concentration")
        self.rate = check_positive(as_float_array(rate, "rate"), "rate")
        self.batch_shape = _broadcast_shapes(concentration=self.concentration.shape, rate=self.rate.shape)

    @property
    def mean(self):
        """E[z] = α/β."""
        return self._broadcast_batch(self.concentration / self.rate)

    @property
    def variance(self):
        """Var[z] = α/β², as (α/β)/β: β² alone underflows for β < 2e-162 (Gamma(1e-300,
        1e-200) gave ∞ for 1e100) or is subnormal and inexact below 1.5e-154."""
        return self._broadcast_batch(self.concentration / self.rate / self.rate)

    def _log_prob(self, x):
        return gamma_log_prob(x, self.concentration, self.rate)

    def log_prob_grad(self, x):
        """∂ log q/∂α = log β − ψ(α) + log x,    ∂ log q/∂β = α/β − x."""
        x, inside = self._value_in_support(x)
        alpha, beta = self.concentration, self.rate
        # for α ≥ 10, ψ(α) = log α − 1/(2α) + S′(α) and log β + log x − log α = log(βx/α)
        large = np.maximum(alpha, STIRLING_THRESHOLD)
        with np.errstate(over="ignore", under="ignore"):
            u = beta * x / large - 1
            log_r = np.where(np.abs(u) < 0.5, np.log1p(np.clip(u, -0.5, 0.5)), np.log(beta) + log_ratio(x, large))
        grads = {
            "concentration": np.where(
                alpha < STIRLING_THRESHOLD,
                np.log(beta) - scipy.special.digamma(alpha) + np.log(x),
                log_r + 0.5 / large - _stirling_remainder_derivative(large),
            ),
            "rate": alpha / beta - x,
        }
        return self._score(grads, inside)

    def log_prob_x_grad(self, x):
        """∇_x log Gamma(x | α, β) = (α − 1)/x − β for x > 0: {"x": array of shape
        broadcast(x, batch)}, 0 outside the support."""
        x, inside = self._value_in_support(x)
        return self._value_gradient((self.concentration - 1) / x - self.rate, inside)

    def entropy(self):
        """α − log β + lnΓ(α) + (1 − α) ψ(α) (``gamma_entropy``)."""
        return self._broadcast_batch(gamma_entropy(self.concentration, self.rate))[()]

    def entropy_grad(self):
        """∂H/∂α = 1 + (1 − α) ψ′(α) (the ψ(α) terms cancel),  ∂H/∂β = −1/β."""
        alpha = self.concentration
        # for α ≥ 10 the 1 cancels against (1 − α) ψ′(α) ≈ −1; from the Stirling form of
        # ``gamma_entropy``: ∂H/∂α = 1/(2α) + 1/(2α²) + (1 − α) S″(α)
        large = np.maximum(alpha, STIRLING_THRESHOLD)
        stirling = 0.5 / large + 0.5 * (1 / large) ** 2 + (1 - large) * _stirling_remainder_second_derivative(large)
        direct = 1 + (1 - alpha) * scipy.special.polygamma(1, np.minimum(alpha, STIRLING_THRESHOLD))
        return self._summed_over_batch(
            {"concentration": np.where(alpha < STIRLING_THRESHOLD, direct, stirling), "rate": -1 / self.rate}
        )

    def _sample(self, n, rng):
        shape = (n,) + self.batch_shape
        draws = rng.gamma(self._broadcast_batch(self.concentration), 1 / self._broadcast_batch(self.rate), shape)
        # a draw below the least positive float f = 5e-324 (probability ≈ f^α/Γ(1 + α):
        # 6e-4 at α = 0.01, 0.02 at α = 0.005) rounds to 0, outside the support,
        # where log q = −∞ and Monte Carlo log-ratios become NaN. Round it up to f
        # instead; what float64 cannot represent is then the tail of log z below log f.
        return np.maximum(draws, np.nextafter(0.0, 1.0))


# ---------------------------------------------------------------------------
# Log-normal
# ---------------------------------------------------------------------------


def lognormal_log_prob(x, loc, scale):
    """log LogNormal(x | μ, σ) = −log x − log σ − ½ log 2π − (log x − μ)²/(2σ²), x > 0:
    the Normal density of log x times the Jacobian |d log x/dx| = 1/x."""
    return normal_log_prob(ad.log(x), loc, scale) - ad.log(x)


def lognormal_entropy(loc, scale):
    """H[LogNormal(μ, σ)] = μ + ½ log(2πe σ²) = μ + H[N(μ, σ²)], since
    E[−log q(z)] = E[−log N(log z)] + E[log z] and E[log z] = μ."""
    return loc + normal_entropy(scale)


def lognormal_transform(eps, loc, scale):
    """T(ε; μ, σ) = exp(μ + σ ε) with ε ~ N(0, 1)."""
    return ad.exp(loc + scale * eps)


class LogNormal(_LocationScale, ReparameterizedDistribution):
    """LogNormal(loc μ, scale σ): the law of exp(u) for u ~ N(μ, σ²), on (0, ∞).

    A draw z = exp(μ + σε) is a float64 only for about −745 < μ + σε < 709.78: below,
    exp rounds it to 0 and above to ∞, both outside the support, where log q and
    log p(x, z) are −∞ and every Monte Carlo log-ratio is −∞ − (−∞) = NaN. Every
    consumer of a draw (``elbo_monte_carlo``, the estimators, ``vi.fit``) evaluates
    a model or an f at z itself, not at log z, so such a draw cannot be rescued in log
    space: ``sample``, ``rsample``, ``transform`` and ``transform_vjp`` refuse it.

    Raises:
        ValueError: if ``scale`` is not positive, a parameter is not finite, or the
            shapes do not broadcast; when sampling or transforming, if a draw
            exp(μ + σε) underflows to 0 or overflows to ∞ in float64.
    """

    support = POSITIVE

    @property
    def mean(self):
        """E[z] = exp(μ + σ²/2)."""
        return self._broadcast_batch(np.exp(self.loc + self.scale**2 / 2))

    @property
    def variance(self):
        """Var[z] = (exp(σ²) − 1) exp(2μ + σ²) = exp(2μ + 2σ² + log(1 − e^(−σ²))).

        Evaluated as one exponential: the product form overflows exp(σ²) while
        exp(2μ + σ²) underflows (μ = −1000, σ = 30) and returns ∞ · 0 = NaN.
        """
        with np.errstate(divide="ignore"):  # σ² underflowing to 0 gives log 0 = −∞, Var 0
            # 2(μ + σ²), not 2μ + 2σ² (the same bits), which overflows at μ = −1e308, σ² = 1e308
            log_variance = 2 * (self.loc + self.scale**2) + np.log(-np.expm1(-self.scale**2))
        return self._broadcast_batch(np.exp(log_variance))

    def _log_prob(self, x):
        return lognormal_log_prob(x, self.loc, self.scale)

    def log_prob_grad(self, x):
        """With u = (log x − μ)/σ: ∂ log q/∂μ = u/σ, ∂ log q/∂σ = (u² − 1)/σ."""
        x, inside = self._value_in_support(x)
        return self._standardised_score((np.log(x) - self.loc) / self.scale, inside)

    def log_prob_x_grad(self, x):
        """∇_x log LogNormal(x | μ, σ) = −(1 + (log x − μ)/σ²)/x for x > 0: {"x": array
        of shape broadcast(x, batch)}, 0 outside the support."""
        x, inside = self._value_in_support(x)
        return self._value_gradient(-(1 + (np.log(x) - self.loc) / self.scale**2) / x, inside)

    def entropy(self):
        """μ + ½ log(2πe σ²) (``lognormal_entropy``)."""
        return self._broadcast_batch(lognormal_entropy(self.loc, self.scale))[()]

    def entropy_grad(self):
        """∂H/∂μ = 1, ∂H/∂σ = 1/σ."""
        return self._summed_over_batch({"loc": 1.0, "scale": 1 / self.scale})

    def _base_noise(self, shape, rng):
        return rng.standard_normal(shape)

    def _transform(self, eps):
        with np.errstate(over="ignore", under="ignore"):  # an exp that leaves the float range is refused below
            z = np.asarray(lognormal_transform(eps, self.loc, self.scale))
        unrepresentable = (z == 0) | (z == np.inf)
        if unrepresentable.any():
            log_z = np.broadcast_to(self.loc + self.scale * eps, z.shape)[unrepresentable].flat[0]
            fate = "underflows to 0" if z[unrepresentable].flat[0] == 0 else "overflows to inf"
            raise ValueError(
                f"loc and scale of {self!r} give a draw z = exp(loc + scale * eps) = exp({log_z:.6g}) that"
                f" {fate} in float64{first_bad_index(unrepresentable)}, outside the support (0, inf): no"
                " float64 draw represents it (exp(t) is a positive float only for about -745 < t < 709.78)"
            )
        return z[()]

    def transform_vjp(self, eps, cotangent):
        """Per-sample VJP of z = exp(μ + σ ε): μ̄_s = c_s z_s, σ̄_s = c_s z_s ε_s.

        Raises:
            ValueError: as ``transform``, where z = exp(μ + σε) leaves the float range.
        """
        eps, cotangent = self._check_vjp_arguments(eps, cotangent)
        weighted = cotangent * self._transform(eps)
        return self._vjp_per_sample({"loc": weighted, "scale": weighted * eps})


# ---------------------------------------------------------------------------
# Categorical
# ---------------------------------------------------------------------------


def _take_category(log_probs, x):
    """log_probs[..., x] for integer-valued x broadcasting with log_probs' batch axes."""
    batch_shape = log_probs.shape[:-1]
    x = np.broadcast_to(x, np.broadcast_shapes(np.shape(x), batch_shape)).astype(np.intp)
    return log_probs[tuple(np.indices(batch_shape, sparse=True)) + (x,)]


def categorical_log_prob(x, logits):
    """log q(x) = log softmax(logits)ₓ = logitsₓ − logsumexp(logits), x ∈ {0, …, K−1}.

    Built from probabilities p, the family is evaluated at logits = log p, i.e.
    log q(x) = log pₓ − log Σₖ pₖ: on the simplex the second term is 0, and it extends
    the family to unnormalised p so that derivatives in p stay tangent to the simplex.
    """
    return _take_category(ad.log_softmax(logits, axis=-1), x)


def categorical_entropy(logits):
    """H = −Σₖ pₖ log pₖ with log p = log softmax(logits), and 0 · log 0 = 0."""
    log_probs = ad.log_softmax(logits, axis=-1)
    probs = ad.exp(log_probs)
    return -ad.sum(ad.where(probs > 0, probs * log_probs, 0.0), axis=-1)


def _check_logits(logits):
    """Refuse NaN and +∞, and rows without a finite entry; −∞ is a category of
    probability 0 (the logits of probs with zeros), as ``probs`` allows."""
    bad = np.isnan(logits) | (logits == np.inf)
    if bad.any():
        raise ValueError(f"logits must be finite or -inf; got {logits[bad].flat[0]}{first_bad_index(bad)}")
    empty = np.all(logits == -np.inf, axis=-1)
    if empty.any():
        raise ValueError(f"logits must have a finite entry in every row; all are -inf{first_bad_index(empty)}")
    return logits


class Categorical(Distribution):
    """Categorical over {0, …, K−1}; the last axis of ``probs``/``logits`` indexes the
    K categories, the leading axes are the batch.

    Exactly one of ``probs`` (non-negative, summing to 1) and ``logits`` (real, or
    −∞ for a category of probability 0) is given. Both are readable: ``logits`` are
    normalised, logits = log probs. Gradients are with respect to the parameter the
    distribution was built from (``params`` has that one key): logits, or probs read
    as the normalised p/Σp, so that every score has mean zero.

    Raises:
        ValueError: unless exactly one of ``probs``/``logits`` is given; for probs
            that are negative, not finite or do not sum to 1; for logits that are
            NaN or +∞ or all −∞ in a row; for 0-d input.
    """

    parameter_event_ndims = {"probs": 1, "logits": 1}

    def __init__(self, probs=None, logits=None):
        if (probs is None) == (logits is None):
            raise ValueError("exactly one of probs and logits must be given")
        if probs is not None:
            self._probs = check_probability_vector(as_float_array(probs, "probs", min_ndim=1), "probs")
            with np.errstate(divide="ignore"):  # a category of probability 0 has logit -inf
                self._logits = np.log(self._probs)
            self.parameter_names = ("probs",)
        else:
            logits = _check_logits(as_float_array(logits, "logits", finite=False, min_ndim=1))
            self._logits = ad.log_softmax(logits, axis=-1)
            self._probs = np.exp(self._logits)
            self.parameter_names = ("logits",)
        self.batch_shape = self._logits.shape[:-1]
        self.support = integer_interval(self._logits.shape[-1])

    probs = property(lambda self: self._probs, doc="Category probabilities, shape (*batch, K).")
    logits = property(lambda self: self._logits, doc="Normalised logits log p, shape (*batch, K).")

    @property
    def _categories(self):
        return np.arange(self._logits.shape[-1])

    @property
    def mean(self):
        """E[z] = Σₖ k pₖ."""
        return np.sum(self._categories * self._probs, axis=-1)[()]

    @property
    def variance(self):
        """Var[z] = Σₖ (k − E[z])² pₖ (centred, so never negative by cancellation)."""
        deviations = self._categories - np.asarray(self.mean)[..., None]
        return np.sum(deviations**2 * self._probs, axis=-1)[()]

    def _value_in_support(self, x):
        """As for every family, and refuse finite values that are not integers: a
        category label of 0.5 is a mistake, not an impossible outcome."""
        values = as_float_array(x, "x", finite=False)
        bad = np.isfinite(values) & (values != np.floor(values))
        if bad.any():
            raise ValueError(
                f"x must be integer category labels; got {values[bad].flat[0]}{first_bad_index(bad)}"
            )
        return super()._value_in_support(values)

    def _log_prob(self, x):
        with np.errstate(divide="ignore"):
            return categorical_log_prob(x, self._logits)

    def log_prob_grad(self, x):
        """Score with e = one-hot(x):

            ∂ log q/∂logits = e − p,     ∂ log q/∂probs = e/p − 1

        (the second is the first divided by p, since logits = log p up to a constant;
        entries have shape (*log_prob shape, K)).
        """
        x, inside = self._value_in_support(x)
        one_hot = (x[..., None] == self._categories).astype(float)
        if self.parameter_names == ("logits",):
            grads = {"logits": one_hot - self._probs}
        else:
            shape = np.broadcast_shapes(one_hot.shape, self._probs.shape)
            with np.errstate(divide="ignore"):  # x in a category of probability 0: +∞
                ratio = np.divide(one_hot, self._probs, out=np.zeros(shape), where=one_hot > 0)
            grads = {"probs": ratio - 1}
        return self._score(grads, inside)

    def entropy(self):
        """−Σₖ pₖ log pₖ (``categorical_entropy``)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return categorical_entropy(self._logits)[()]

    def entropy_grad(self):
        """With H the entropy: ∂H/∂logitsⱼ = −pⱼ (log pⱼ + H),  ∂H/∂probsⱼ = −(log pⱼ + H)."""
        entropy = self.entropy()[..., None]
        if self.parameter_names == ("logits",):
            with np.errstate(invalid="ignore"):
                gradient = np.where(self._probs > 0, -self._probs * (self._logits + entropy), 0.0)
            return self._summed_over_batch({"logits": gradient})
        return self._summed_over_batch({"probs": -(self._logits + entropy)})

    def _sample(self, n, rng):
        # inverse CDF: z is the number of cumulative probabilities F_k (k < K−1) with
        # F_k ≤ u; leaving out F_{K−1} ≈ 1 keeps round-off from producing z = K.
        # Counted by comparing with every F_k when that is small, else by binary search
        # (``searchsorted``, side="right" counts F_k ≤ u, the same number) one batch
        # member at a time, so that memory stays O(n) rather than O(n K). Trailing
        # categories of probability 0 leave F_k at the rounded total (0.9999999999999999
        # for some p), which a u above it would pass: the count is capped at the last
        # category of positive probability, which is K − 1 (no change) otherwise.
        uniform = rng.random((n,) + self.batch_shape)
        cumulative = np.cumsum(self._probs, axis=-1)[..., :-1]
        if uniform.size * cumulative.shape[-1] <= COMPARISON_ELEMENTS:  # small: one vectorised count
            draws = np.sum(cumulative <= uniform[..., None], axis=-1)
        else:
            draws = np.empty(uniform.shape, dtype=np.intp)
            for index in np.ndindex(*self.batch_shape):
                column = (slice(None),) + index
                draws[column] = np.searchsorted(cumulative[index], uniform[column], side="right")
        last_positive = self._probs.shape[-1] - 1 - np.argmax(self._probs[..., ::-1] > 0, axis=-1)
        return np.minimum(draws, last_positive)
