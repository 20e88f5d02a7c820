"""The exact suite: gradient-estimation problems whose mean gradient *and* whose
per-sample variance under every estimator are known exactly (derivation 05, §8).

Shared by the tests, the tour, the reference files and ``benchmarks/estimators.py``.
Every problem has

    problem.estimators                 the estimator labels it supports
    problem.gradient                   dict parameter name → exact ∇_φ E_q[f]
    problem.variance(estimator, n)     dict parameter name → exact per-sample variance
    problem.estimate(estimator, n, rng)  per-sample terms from ``vi_ref.estimators``

The exact values never come from the estimator under test: means are closed forms;
variances are closed forms (the dimension and sticking-the-landing problems) or
quadrature (``gaussian_expectation``) of the per-sample term written as a function
of the noise ε ~ N(0, 1); the tests cross-check the quadrature against
``scipy.integrate.quad`` and against the quadratic problem's closed forms.

Estimator labels for E_q[f]: ``"score_function"``, ``"score_function+constant"``
(the constant baseline b = E_q[f]), ``"score_function+leave_one_out"``,
``"score_function+optimal"`` (the per-coordinate coefficient estimated from the same
samples; its variance is the n → ∞ limit E[(f − c*)² g²] − ∇², c* = E[f g²]/E[g²]),
``"reparameterization"``. For ELBO problems: ``estimators.ELBO_ESTIMATORS``.
"""

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .. import autodiff as ad
from ..distributions import Normal
from ..elbo import iwae_bound
from ..models import LinearGaussian
from ..validation import as_float_array, check_count
from .elbo_gradients import ELBO_ESTIMATORS, elbo_gradient
from .generic import reparameterization_gradient, score_function_gradient

__all__ = [
    "ESTIMATORS",
    "gaussian_expectation",
    "ScalarGaussianProblem",
    "DimensionProblem",
    "StickingTheLandingProblem",
    "IWAEProblem",
    "quadratic_problem",
    "gaussian_bump_problem",
    "cosine_problem",
    "dimension_problem",
    "sticking_the_landing_problem",
    "iwae_problem",
    "problems",
]

ESTIMATORS = (
    "score_function",
    "score_function+constant",
    "score_function+leave_one_out",
    "score_function+optimal",
    "reparameterization",
)

# Composite Gauss–Legendre rule on ε ∈ [−38, 38] (the normal density is below 1e−313
# outside): 760 panels of width 0.1, 16 nodes each. Exact to round-off for the
# polynomial terms, and it resolves a bump exp(−k z²) down to widths of ~0.01 (k ~ 10⁴),
# which a Gauss–Hermite rule with its fixed node spacing does not.
QUADRATURE_PANELS, QUADRATURE_ORDER, QUADRATURE_LIMIT = 760, 16, 38.0


def _quadrature_rule():
    nodes, weights = np.polynomial.legendre.leggauss(QUADRATURE_ORDER)
    edges = np.linspace(-QUADRATURE_LIMIT, QUADRATURE_LIMIT, QUADRATURE_PANELS + 1)
    half_width = np.diff(edges)[:, None] / 2
    centres = (edges[:-1, None] + edges[1:, None]) / 2
    points = (centres + half_width * nodes).ravel()
    density = np.exp(-0.5 * points**2) / np.sqrt(2 * np.pi)
    return points, (half_width * weights).ravel() * density


_NODES, _WEIGHTS = _quadrature_rule()


def gaussian_expectation(function):
    """E_{ε ~ N(0, 1)}[function(ε)] by composite Gauss–Legendre quadrature of
    function(ε) φ(ε) over [−38, 38]. ``function`` maps an array of nodes to values of
    the same shape (vectorised)."""
    return float(np.sum(_WEIGHTS * function(_NODES)))


def _check_sample_size(n):
    """``n`` of a ``variance``: None (the n → ∞ limit, or unused) or an integer ≥ 1."""
    return None if n is None else check_count(n, "n", minimum=1)


# The suite's moments reach the sixth power of μ − k, σ, 1/σ and k (squared score-function
# terms); within 1e±50 they stay inside the float range.
_LARGEST = 1e50


def _check_location_and_scale(loc, scale):
    """(loc, scale) of a normal q: |loc| ≤ 1e50 and 1e-50 ≤ scale ≤ 1e50."""
    loc, scale = _check_moderate(loc, "loc"), float(as_float_array(scale, "scale", ndim=0))
    if not scale > 0:
        raise ValueError(f"scale must be positive; got {scale}")
    if not 1 / _LARGEST <= scale <= _LARGEST:
        raise ValueError(f"scale must be in [1e-50, 1e50] (the exact variances take its sixth powers); got {scale}")
    return loc, scale


def _check_moderate(value, name):
    """A real number of magnitude at most 1e50, or a TypeError/ValueError naming ``name``."""
    value = float(as_float_array(value, name, ndim=0))
    if not abs(value) <= _LARGEST:
        raise ValueError(f"{name} must be at most 1e50 in magnitude (the exact variances take its sixth powers); got {value}")
    return value


def _array(value):
    """A float ndarray from an ndarray or an ``autodiff.Tensor``'s value."""
    return np.asarray(ad.value_of(value), dtype=float)


def _estimate_expectation(problem, estimator, n, rng):
    """Per-sample terms of ∇_φ E_q[f] from ``vi_ref.estimators`` for a label of ESTIMATORS."""
    if estimator == "reparameterization":
        return reparameterization_gradient(problem.f, problem.q, n, rng, f_grad=problem.f_gradient)
    baselines = {
        "score_function": None,
        "score_function+constant": problem.mean_value,
        "score_function+leave_one_out": "leave_one_out",
        "score_function+optimal": "optimal",
    }
    if estimator not in baselines:
        raise ValueError(f"estimator must be one of {ESTIMATORS}; got {estimator!r}")
    return score_function_gradient(problem.f, problem.q, n, rng, baseline=baselines[estimator])


# ---------------------------------------------------------------------------
# One Gaussian coordinate: q = N(μ, σ²), z = μ + σ ε
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScalarGaussianProblem:
    """∇ E_{N(μ, σ²)}[f(z)] with respect to (loc μ, scale σ).

    Per-sample terms as functions of ε (z = μ + σε), with score g = (ε/σ, (ε² − 1)/σ):
        score function             f(z) g
        with a constant b          (f(z) − b) g
        pathwise                   f′(z) (1, ε)
    Their exact variances are quadrature expectations of the squared deviations of
    the terms from the exact gradient, E[(t − ∇)²] (not E[t²] − ∇², which cancels:
    at (μ − k)/σ = 2e8 the pathwise variance of the quadratic's loc came out 8, not 1).
    """

    name: str
    description: str
    loc: float
    scale: float
    f: Callable  # f(z) written with vi_ref.autodiff, z of shape (n,)
    derivative: Callable  # f′(z) on ndarrays
    mean_value: float  # E_q[f], closed form
    gradient: dict  # closed form
    estimators: tuple = ESTIMATORS

    def __post_init__(self):
        _check_location_and_scale(self.loc, self.scale)

    @property
    def q(self):
        return Normal(self.loc, self.scale)

    def f_gradient(self, z):
        return self.derivative(z)

    def estimate(self, estimator, n, rng=None):
        return _estimate_expectation(self, estimator, n, rng)

    def _value(self, eps):
        return _array(self.f(self.loc + self.scale * eps))

    def _score(self, eps):
        return {"loc": eps / self.scale, "scale": (eps**2 - 1) / self.scale}

    def term_functions(self, estimator):
        """Per-sample term of each parameter as a function of ε, for the estimators
        whose terms are independent (no baseline, a constant one, pathwise)."""
        if estimator == "reparameterization":
            return {
                "loc": lambda e: self.derivative(self.loc + self.scale * e),
                "scale": lambda e: self.derivative(self.loc + self.scale * e) * e,
            }
        baseline = self.mean_value if estimator == "score_function+constant" else 0.0
        if estimator not in ("score_function", "score_function+constant"):
            raise ValueError(
                "estimator must be one whose per-sample terms are independent of the other samples"
                f" ('score_function', 'score_function+constant', 'reparameterization'); got {estimator!r}"
            )
        return {name: (lambda e, name=name: (self._value(e) - baseline) * self._score(e)[name])
                for name in ("loc", "scale")}

    def variance(self, estimator, n=None):
        """Exact per-sample variance of each parameter's terms under ``estimator``
        (for "leave_one_out" at sample size n, for "optimal" the n → ∞ limit)."""
        n = _check_sample_size(n)
        if estimator in ("score_function+leave_one_out", "score_function+optimal"):
            return {name: self._baseline_variance(estimator, name, n) for name in ("loc", "scale")}
        return {name: gaussian_expectation(lambda e, term=term, name=name: (term(e) - self.gradient[name]) ** 2)
                for name, term in self.term_functions(estimator).items()}

    def _baseline_variance(self, estimator, name, n):
        score = lambda e: self._score(e)[name]  # noqa: E731
        fisher = gaussian_expectation(lambda e: score(e) ** 2)
        if estimator == "score_function+optimal":
            coefficient = gaussian_expectation(lambda e: self._value(e) * score(e) ** 2) / fisher
            return gaussian_expectation(lambda e: ((self._value(e) - coefficient) * score(e) - self.gradient[name]) ** 2)
        if n is None or n < 2:
            raise ValueError(f"the leave-one-out variance depends on the sample size: give n >= 2; got {n!r}")
        # bₛ = mean of the other n − 1 values: independent of zₛ, mean E f, variance Var f/(n − 1)
        centred = gaussian_expectation(lambda e: ((self._value(e) - self.mean_value) * score(e) - self.gradient[name]) ** 2)
        variance_of_f = gaussian_expectation(lambda e: (self._value(e) - self.mean_value) ** 2)
        return centred + variance_of_f * fisher / (n - 1)

    def optimal_baseline_bias(self, n):
        """Leading term of the bias of the "optimal" estimated baseline at sample size n
        (derivation 05, §3): −(1/n) E[(f − c*) g³] / E[g²] per parameter."""
        n = check_count(n, "n", minimum=1)
        bias = {}
        for name in ("loc", "scale"):
            score = lambda e, name=name: self._score(e)[name]  # noqa: E731
            fisher = gaussian_expectation(lambda e: score(e) ** 2)
            coefficient = gaussian_expectation(lambda e: self._value(e) * score(e) ** 2) / fisher
            bias[name] = -gaussian_expectation(lambda e: (self._value(e) - coefficient) * score(e) ** 3) / (n * fisher)
        return bias


def quadratic_problem(loc=0.5, scale=0.5, k=-2.5):
    """f(z) = (z − k)²: E f = (μ − k)² + σ², ∇μ = 2(μ − k), ∇σ = 2σ. Every variance is
    a polynomial moment of ε (closed forms in derivation 05, §2). The default
    (μ − k)/σ = 6 keeps the terms' kurtosis moderate, so that per-sample variances
    measured from 4·10⁵ samples are within 5 % of the exact ones with high probability."""
    loc, scale = _check_location_and_scale(loc, scale)
    k = _check_moderate(k, "k")
    offset = loc - k
    return ScalarGaussianProblem(
        name="quadratic",
        description=f"N({loc}, {scale}²), f(z) = (z − {k})²",
        loc=loc, scale=scale,
        f=lambda z: ad.square(z - k),
        derivative=lambda z: 2 * (z - k),
        mean_value=offset**2 + scale**2,
        gradient={"loc": 2 * offset, "scale": 2 * scale},
    )


def gaussian_bump_problem(k, loc=0.5, scale=1.0):
    """f(z) = exp(−k z²): with s = 1 + 2kσ², E f = s^(−½) exp(−kμ²/s),
    ∇μ = E f · (−2kμ/s), ∇σ = E f · (−2kσ/s + 4k²μ²σ/s²). A large k makes f a narrow
    bump of height 1: the score function stays bounded, the pathwise f′ grows as √k."""
    loc, scale = _check_location_and_scale(loc, scale)
    k = _check_moderate(k, "k")
    if k < 0:  # exp(|k| z²): E f is infinite for 2|k|σ² ≥ 1, the variances for 4|k|σ² ≥ 1
        raise ValueError(f"k must be >= 0 (f = exp(-k z^2) a bump of height 1); got {k}")
    spread = 1 + 2 * k * scale**2
    mean = np.exp(-k * loc**2 / spread) / np.sqrt(spread)
    return ScalarGaussianProblem(
        name=f"bump k={k:g}",
        description=f"N({loc}, {scale}²), f(z) = exp(−{k:g} z²)",
        loc=loc, scale=scale,
        f=lambda z: ad.exp(-k * ad.square(z)),
        derivative=lambda z: -2 * k * z * np.exp(-k * z**2),
        mean_value=mean,
        gradient={"loc": mean * (-2 * k * loc / spread),
                  "scale": mean * (-2 * k * scale / spread + 4 * k**2 * loc**2 * scale / spread**2)},
    )


def cosine_problem(k, loc=0.5, scale=1.0):
    """f(z) = cos(k z): E f = cos(kμ) e^(−k²σ²/2) (the characteristic function of the
    normal), ∇μ = −k sin(kμ) e^(−k²σ²/2), ∇σ = −k²σ cos(kμ) e^(−k²σ²/2). For large k
    the pathwise terms −k sin(kz)(1, ε) have variance ≈ k²/2 while |f| ≤ 1 bounds the
    score function's: the ranking of the two estimators flips."""
    loc, scale = _check_location_and_scale(loc, scale)
    k = _check_moderate(k, "k")
    damping = np.exp(-(k * scale) ** 2 / 2)
    return ScalarGaussianProblem(
        name=f"cosine k={k:g}",
        description=f"N({loc}, {scale}²), f(z) = cos({k:g} z)",
        loc=loc, scale=scale,
        f=lambda z: ad.cos(k * z),
        derivative=lambda z: -k * np.sin(k * z),
        mean_value=np.cos(k * loc) * damping,
        gradient={"loc": -k * np.sin(k * loc) * damping, "scale": -k**2 * scale * np.cos(k * loc) * damping},
    )


# ---------------------------------------------------------------------------
# Dimension scaling: q = N(m·1, diag(σ²)) over D coordinates, f(z) = Σ_d z_d
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DimensionProblem:
    """q = Normal(m, σ·1_D): one shared scalar mean m and D scales σ_d (= σ), and
    f(z) = Σ_d z_d, so E f = D m: ∇m = D, ∇σ_d = 0. With S = Σ_d ε_d ~ N(0, D):

        score function   m:   (Dm + σS) S/σ           Var = D³m²/σ² + 2D²
                         σ_d: (Dm + σS)(ε_d² − 1)/σ   Var = 2D²m²/σ² + 2D + 8
        with b = E f = Dm     m: 2D²,   σ_d: 2D + 8
        pathwise         m:   D (no noise)             Var = 0
                         σ_d: ε_d                      Var = 1
    (derivation 05, §8): the score function's variance grows like D² or D³, the
    pathwise one does not grow at all.
    """

    dimension: int
    loc: float = 1.0
    scale: float = 1.0
    estimators: tuple = ("score_function", "score_function+constant", "reparameterization")
    name: str = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "dimension", check_count(self.dimension, "dimension", minimum=1))
        _check_location_and_scale(self.loc, self.scale)
        object.__setattr__(self, "name", f"dimension D={self.dimension}")

    @property
    def description(self):
        return f"N({self.loc}·1, {self.scale}² I_{self.dimension}), f(z) = Σ z"

    @property
    def q(self):
        return Normal(self.loc, np.full(self.dimension, self.scale))

    @property
    def mean_value(self):
        return self.dimension * self.loc

    @property
    def gradient(self):
        return {"loc": float(self.dimension), "scale": np.zeros(self.dimension)}

    @staticmethod
    def f(z):
        return ad.sum(z, axis=-1)

    @staticmethod
    def f_gradient(z):
        return np.ones_like(z)

    def estimate(self, estimator, n, rng=None):
        return _estimate_expectation(self, estimator, n, rng)

    def variance(self, estimator, n=None):
        _check_sample_size(n)
        d, ratio = self.dimension, self.loc / self.scale
        if estimator == "score_function":
            loc, scale = d**3 * ratio**2 + 2 * d**2, 2 * d**2 * ratio**2 + 2 * d + 8
        elif estimator == "score_function+constant":
            loc, scale = 2 * d**2, 2 * d + 8
        elif estimator == "reparameterization":
            loc, scale = 0.0, 1.0
        else:
            raise ValueError(f"estimator must be one of {self.estimators}; got {estimator!r}")
        return {"loc": float(loc), "scale": np.full(d, float(scale))}


# ---------------------------------------------------------------------------
# ELBO problems on a one-dimensional linear-Gaussian model
# ---------------------------------------------------------------------------


class _OneDimensionalModel:
    """The model and datum of the STL and IWAE problems: z ~ N(0, 1),
    x | z ~ N(1.5 z, 0.5), observed x = 1.2; posterior N(0.6545…, 0.4264…²),
    log p(x) = −1.6866…"""

    @property
    def model(self):
        return LinearGaussian(np.array([[1.5]]), np.array([0.0]), 0.5)

    @property
    def x(self):
        return np.array([1.2])


@dataclass(frozen=True)
class StickingTheLandingProblem(_OneDimensionalModel):
    """The ELBO gradient at q = p(z | x) = N(m, s²) of a Gaussian model, where
    log p(x, z) − log q(z) = log p(x) for every z (derivation 05, §5):

        ∇_φ ELBO = 0;  per-sample variance of the φ terms
            path_derivative:                   0 (every term is exactly 0)
            reparameterization, closed-form entropy: loc 1/s², scale 2/s²
                                               (the terms are −∇_φ log q(z) = −score)
            score_function:                    log p(x)² · (1/s², 2/s²)

    θ's gradient (the same for every estimator) is ``model.elbo_grad``.
    """

    name: str = "sticking the landing"
    description: str = "1-D linear-Gaussian model, q = the exact posterior"
    estimators: tuple = ELBO_ESTIMATORS

    @property
    def q(self):
        posterior = self.model.posterior(self.x)
        return Normal(posterior.loc, posterior.scale_tril[..., 0])

    @property
    def gradient(self):
        return {"loc": np.zeros(1), "scale": np.zeros(1)}

    def estimate(self, estimator, n, rng=None):
        """Per-sample φ terms (θ's are ``estimate_theta``)."""
        return elbo_gradient(self.model, self.q, self.x, n, rng, estimator=estimator)[1]

    def estimate_theta(self, estimator, n, rng=None):
        return elbo_gradient(self.model, self.q, self.x, n, rng, estimator=estimator)[0]

    def variance(self, estimator, n=None):
        _check_sample_size(n)
        precision = 1 / self.q.scale**2
        fisher = {"loc": precision, "scale": 2 * precision}
        if estimator == "path_derivative":
            return {name: np.zeros(1) for name in fisher}
        if estimator in ("reparameterization", "closed_form_entropy"):
            return fisher
        if estimator == "score_function":
            log_evidence = self.model.log_marginal(self.x)
            return {name: log_evidence**2 * value for name, value in fisher.items()}
        raise ValueError(f"estimator must be one of {self.estimators}; got {estimator!r}")


@dataclass(frozen=True)
class IWAEProblem(_OneDimensionalModel):
    """The importance-weighted bound for the 1-D linear-Gaussian model and a Normal q
    that is not the posterior N(m, s²) (derivation 05, §7). With w = p(x, z)/q(z):

        L_1 = ELBO (closed form) ≤ L_K ≤ L_{K+1} ≤ log p(x)
        log p(x) − L_K ≈ χ²/(2K),  χ² = E_q[(w/p(x))²] − 1 = ∫ N(z; m, s²)² / q(z) dz − 1

    and the Gaussian integral gives χ² + 1 = σ / (s² √(2/s² − 1/σ²)) ·
    exp(d²/(2σ² − s²)) with d = μ − m, for 2σ² > s² (else χ² = ∞).
    """

    loc: float = 0.3
    scale: float = 0.9
    name: str = "IWAE bound"
    description: str = "1-D linear-Gaussian model, q = N(0.3, 0.9²)"

    def __post_init__(self):
        _check_location_and_scale(self.loc, self.scale)

    @property
    def q(self):
        return Normal(np.array([self.loc]), np.array([self.scale]))

    @property
    def log_marginal(self):
        return float(self.model.log_marginal(self.x))

    @property
    def elbo(self):
        return float(self.model.elbo(self.x, self.q))

    @property
    def chi_square(self):
        posterior = self.model.posterior(self.x)
        m, s = float(posterior.loc[0]), float(posterior.scale_tril[0, 0])
        mu, sigma = self.loc, self.scale
        if 2 * sigma**2 <= s**2:
            return np.inf
        with np.errstate(over="ignore"):  # just above 2σ² = s²: χ² beyond the floats, ∞ rounded correctly
            second_moment = sigma / (s**2 * np.sqrt(2 / s**2 - 1 / sigma**2)) * np.exp((mu - m) ** 2 / (2 * sigma**2 - s**2))
        return float(second_moment - 1)

    def asymptotic_gap(self, k):
        """log p(x) − L_K to first order in 1/K: χ²/(2K)."""
        k = check_count(k, "k", minimum=1)
        return self.chi_square / (2 * k)

    def bound(self, k, n, rng=None):
        """(estimate, standard error) of L_K from ``elbo.iwae_bound``."""
        return iwae_bound(self.model, self.q, self.x, k, n, rng)


def sticking_the_landing_problem():
    return StickingTheLandingProblem()


def iwae_problem():
    return IWAEProblem()


def dimension_problem(dimension):
    return DimensionProblem(dimension)


def problems():
    """The problems with exact gradients and variances, in the order of derivation 05."""
    return [
        quadratic_problem(),
        gaussian_bump_problem(0.5),
        gaussian_bump_problem(20.0),
        cosine_problem(0.5),
        cosine_problem(5.0),
        dimension_problem(1),
        dimension_problem(10),
        dimension_problem(100),
        sticking_the_landing_problem(),
    ]
