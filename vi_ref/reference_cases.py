"""The named cases of the golden reference files (``vi_ref.reference``).

A case is a small, fixed computation: named input arrays, drawn from a seeded
generator, and the named output arrays vi_ref computes from them, with the tolerance
within which a correct float64 implementation must agree. Each case declares the
shape of every field with symbols (``("N", "B")``): the symbols are bound by the
inputs, so a file with different sizes is still read, and a field whose shape
contradicts another is refused naming both.

The table: every closed-form KL pair of ``vi_ref.kl`` (value, and the gradient of
the KL summed over the batch for both sides), every family of
``vi_ref.distributions`` (log-density, entropy, score, entropy gradient, and for the
reparameterisable ones the transform and its per-sample VJP), the Gaussian mixture
(log-likelihood, responsibilities and one EM step, per covariance type), and the
LinearGaussian and GammaPoisson models (evidence, posterior, closed-form ELBO and
its gradients), the problems of ``vi_ref.estimators.suite`` (exact gradients and exact
per-sample variances of each estimator), and the importance-weighted bound L_K on
given noise. ``docs/reference-files.md`` documents every field.

Adding a case is one ``Case(...)`` entry: its fields, a ``draw(rng)`` making the
inputs and a ``compute(inputs)`` returning the outputs through vi_ref's public API.
"""

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from . import kl
from .elbo import log_importance_weights
from .estimators import suite
from .numerics import logsumexp
from .distributions import Categorical, Exponential, Gamma, LogNormal, MultivariateNormal, Normal
from .em import e_step, m_step
from .models import GammaPoisson, GaussianMixture, LinearGaussian

__all__ = ["Field", "Case", "CASES", "DEFAULT_RTOL", "DEFAULT_ATOL"]

# What two correct float64 implementations of the same closed form agree to: round-off
# of a few dozen operations, amplified by at most a modest condition number.
DEFAULT_RTOL = 1e-9
DEFAULT_ATOL = 1e-12


@dataclass(frozen=True)
class Field:
    """One named array of a case.

    ``shape`` is a tuple of symbols (str, bound by the inputs) and integers;
    ``dtype`` is ``"float64"`` or ``"int64"``; ``finite=False`` allows ±inf
    (never NaN) where the mathematics gives it; ``bounds`` (low, high), inclusive,
    limits an int64 input that sets a size, so that a file cannot make vi_ref
    allocate without limit.
    """

    shape: tuple
    description: str
    dtype: str = "float64"
    finite: bool = True
    bounds: tuple = None


@dataclass(frozen=True)
class Case:
    """A named reference computation: ``compute(draw(rng))`` gives the outputs."""

    name: str
    description: str
    inputs: Mapping[str, Field]
    outputs: Mapping[str, Field]
    draw: Callable = field(repr=False)
    compute: Callable = field(repr=False)
    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL


# ---------------------------------------------------------------------------
# Families of distributions: their parameters, how to draw them, how to build one
# ---------------------------------------------------------------------------

BATCH = 3  # B: distributions in a batch
DRAWS = 4  # N: values, noise draws and cotangents per distribution
DIMENSION = 3  # D: of a MultivariateNormal
CATEGORIES = 4  # K: of a Categorical


def _lower_factor(rng, size, batch):
    """Cholesky factors with diagonal in [0.8, 1.6] and off-diagonal entries ~ N(0, 0.3²)."""
    factor = np.tril(0.3 * rng.standard_normal(batch + (size, size)), k=-1)
    return factor + np.eye(size) * rng.uniform(0.8, 1.6, batch + (size,))[..., None, :]


def _normalised(weights):
    return weights / weights.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class _Family:
    label: str  # in case names: Normal, CategoricalLogits, ...
    build: Callable  # parameters (keyword arrays) -> distribution
    parameters: Mapping[str, tuple]  # name -> symbolic shape
    draw: Callable  # rng -> parameters
    value_dtype: str = "float64"


_FAMILIES = [
    _Family(
        "Normal", Normal, {"loc": ("B",), "scale": ("B",)},
        lambda rng: {"loc": rng.normal(0, 1.5, BATCH), "scale": rng.uniform(0.5, 2.0, BATCH)},
    ),
    _Family(
        "MultivariateNormal",
        lambda loc, scale_tril: MultivariateNormal(loc, scale_tril=scale_tril),
        {"loc": ("B", "D"), "scale_tril": ("B", "D", "D")},
        lambda rng: {
            "loc": rng.normal(0, 1.5, (BATCH, DIMENSION)),
            "scale_tril": _lower_factor(rng, DIMENSION, (BATCH,)),
        },
    ),
    _Family("Exponential", Exponential, {"rate": ("B",)}, lambda rng: {"rate": rng.uniform(0.5, 2.0, BATCH)}),
    _Family(
        "Gamma", Gamma, {"concentration": ("B",), "rate": ("B",)},
        lambda rng: {"concentration": rng.uniform(0.6, 4.0, BATCH), "rate": rng.uniform(0.5, 2.0, BATCH)},
    ),
    _Family(
        "LogNormal", LogNormal, {"loc": ("B",), "scale": ("B",)},
        lambda rng: {"loc": rng.normal(0, 0.5, BATCH), "scale": rng.uniform(0.4, 1.2, BATCH)},
    ),
    _Family(
        "CategoricalLogits", lambda logits: Categorical(logits=logits), {"logits": ("B", "K")},
        lambda rng: {"logits": rng.normal(0, 1.0, (BATCH, CATEGORIES))}, value_dtype="int64",
    ),
    _Family(
        "CategoricalProbs", lambda probs: Categorical(probs=probs), {"probs": ("B", "K")},
        lambda rng: {"probs": _normalised(rng.uniform(0.1, 1.0, (BATCH, CATEGORIES)))}, value_dtype="int64",
    ),
]
_FAMILY = {family.label: family for family in _FAMILIES}


def _event_axes(family):
    return ("D",) if family.label == "MultivariateNormal" else ()


def _distribution_case(family):
    """log_prob, entropy, score and entropy gradient; transform and VJP if reparameterisable."""
    example = family.build(**family.draw(np.random.default_rng(0)))
    reparameterized = hasattr(example, "transform_vjp")
    per_value = ("N", "B") + _event_axes(family)
    inputs = {name: Field(shape, f"parameter {name}") for name, shape in family.parameters.items()}
    inputs["x"] = Field(per_value, "values in the support, N per distribution", dtype=family.value_dtype)
    outputs = {
        "log_prob": Field(("N", "B"), "log q(x)"),
        "entropy": Field(("B",), "H[q] per distribution"),
    }
    for name, shape in family.parameters.items():
        outputs[f"score_{name}"] = Field(("N",) + shape, f"∂ log q(x)/∂{name}, one per value x (the score)")
    for name, shape in family.parameters.items():
        outputs[f"entropy_grad_{name}"] = Field(shape, f"∂/∂{name} of the entropy summed over the batch")
    if reparameterized:
        inputs["eps"] = Field(per_value, "base noise ε of the reparameterisation")
        inputs["cotangent"] = Field(per_value, "cotangent c of the VJP, one per ε")
        outputs["transform"] = Field(per_value, "z = T(ε, φ)")
        for name, shape in family.parameters.items():
            outputs[f"transform_vjp_{name}"] = Field(
                ("N",) + shape, f"per-sample ∂⟨c, T(ε, φ)⟩/∂{name} (the pathwise VJP)"
            )

    def draw(rng):
        params = family.draw(rng)
        q = family.build(**params)
        drawn = dict(params, x=q.sample(DRAWS, rng))
        if family.value_dtype == "int64":
            drawn["x"] = drawn["x"].astype(np.int64)
        if reparameterized:
            _, drawn["eps"] = q.rsample(DRAWS, rng)
            drawn["cotangent"] = rng.standard_normal(drawn["eps"].shape)
        return drawn

    def compute(arrays):
        params = {name: arrays[name] for name in family.parameters}
        q = family.build(**params)
        result = {"log_prob": q.log_prob(arrays["x"]), "entropy": q.entropy()}
        result.update({f"score_{k}": v for k, v in q.log_prob_grad(arrays["x"]).items()})
        result.update({f"entropy_grad_{k}": v for k, v in q.entropy_grad().items()})
        if reparameterized:
            result["transform"] = q.transform(arrays["eps"])
            vjp = q.transform_vjp(arrays["eps"], arrays["cotangent"])
            result.update({f"transform_vjp_{k}": v for k, v in vjp.items()})
        return result

    kind = "reparameterisable" if reparameterized else "score-function only"
    return Case(f"distribution.{family.label}", f"{family.label} ({kind}), a batch of B", inputs, outputs, draw, compute)


# ---------------------------------------------------------------------------
# KL divergences: every registered pair, both sides' gradients
# ---------------------------------------------------------------------------

# (q's family, p's family): every pair of vi_ref.kl's registry, the Categorical one in
# its four parameterisations (the gradient is with respect to the parameter given).
_KL_PAIRS = [
    ("Normal", "Normal"),
    ("MultivariateNormal", "MultivariateNormal"),
    ("Exponential", "Exponential"),
    ("Gamma", "Gamma"),
    ("Exponential", "Gamma"),
    ("Gamma", "Exponential"),
    ("LogNormal", "LogNormal"),
    ("CategoricalLogits", "CategoricalLogits"),
    ("CategoricalLogits", "CategoricalProbs"),
    ("CategoricalProbs", "CategoricalLogits"),
    ("CategoricalProbs", "CategoricalProbs"),
]
# the pairs whose divergence is +∞ for every parameter value (support of q ⊄ support of p)
# or one law is discrete and the other continuous (neither is absolutely continuous
# with respect to the other)
_INFINITE_KL_PAIRS = [("Normal", "Exponential"), ("Normal", "Gamma"), ("Normal", "LogNormal")] + [
    pair
    for continuous in ("Normal", "Exponential", "Gamma", "LogNormal")
    for pair in (("CategoricalLogits", continuous), (continuous, "CategoricalLogits"))
]


def _kl_case(q_label, p_label, infinite=False):
    q_family, p_family = _FAMILY[q_label], _FAMILY[p_label]
    inputs = {f"q_{k}": Field(s, f"q's {k}") for k, s in q_family.parameters.items()}
    inputs.update({f"p_{k}": Field(s, f"p's {k}") for k, s in p_family.parameters.items()})
    outputs = {"value": Field(("B",), "KL(q ‖ p) per pair of the batch", finite=not infinite)}
    if not infinite:
        outputs.update(
            {f"grad_q_{k}": Field(s, f"∂/∂(q's {k}) of the KL summed over the batch") for k, s in q_family.parameters.items()}
        )
        outputs.update(
            {f"grad_p_{k}": Field(s, f"∂/∂(p's {k}) of the KL summed over the batch") for k, s in p_family.parameters.items()}
        )

    def draw(rng):
        q_params, p_params = q_family.draw(rng), p_family.draw(rng)
        return {**{f"q_{k}": v for k, v in q_params.items()}, **{f"p_{k}": v for k, v in p_params.items()}}

    def compute(arrays):
        q = q_family.build(**{k: arrays[f"q_{k}"] for k in q_family.parameters})
        p = p_family.build(**{k: arrays[f"p_{k}"] for k in p_family.parameters})
        result = {"value": kl.kl_divergence(q, p)}
        if not infinite:
            grads_q, grads_p = kl.kl_divergence_grad(q, p)
            result.update({f"grad_q_{k}": v for k, v in grads_q.items()})
            result.update({f"grad_p_{k}": v for k, v in grads_p.items()})
        return result

    description = f"KL({q_label} ‖ {p_label})" + (", +inf: the support of q is not inside p's" if infinite else "")
    return Case(f"kl.{q_label}-{p_label}", description, inputs, outputs, draw, compute)


# ---------------------------------------------------------------------------
# Gaussian mixture: log-likelihood, responsibilities, one EM step per covariance type
# ---------------------------------------------------------------------------

GMM_POINTS, GMM_COMPONENTS, GMM_FEATURES = 8, 3, 2
_GMM_COVARIANCE_SHAPES = {
    "full": ("K", "D", "D"),
    "tied": ("D", "D"),
    "diag": ("K", "D"),
    "spherical": ("K",),
}


def _draw_covariances(rng, covariance_type):
    size = GMM_FEATURES
    if covariance_type in ("full", "tied"):
        batch = (GMM_COMPONENTS,) if covariance_type == "full" else ()
        factor = _lower_factor(rng, size, batch)
        return factor @ np.swapaxes(factor, -1, -2)
    shape = (GMM_COMPONENTS, size) if covariance_type == "diag" else (GMM_COMPONENTS,)
    return rng.uniform(0.5, 2.0, shape)


def _gmm_case(covariance_type):
    covariance_shape = _GMM_COVARIANCE_SHAPES[covariance_type]
    inputs = {
        "weights": Field(("K",), "mixing weights π, summing to 1"),
        "means": Field(("K", "D"), "component means μₖ"),
        "covariances": Field(covariance_shape, f"covariances, scikit-learn's {covariance_type!r} layout"),
        "X": Field(("N", "D"), "data points"),
        "reg_covar": Field((), "added to the diagonal of the covariances in the M-step"),
    }
    outputs = {
        "log_likelihood": Field(("N",), "log p(xₙ) = log Σₖ πₖ N(xₙ | μₖ, Σₖ), per point"),
        "responsibilities": Field(("N", "K"), "p(zₙ = k | xₙ), rows summing to 1 (the E-step)"),
        "em_weights": Field(("K",), "π after one EM step (E-step, then M-step)"),
        "em_means": Field(("K", "D"), "μ after one EM step"),
        "em_covariances": Field(covariance_shape, "covariances after one EM step, reg_covar included"),
    }

    def draw(rng):
        means = rng.normal(0, 2.0, (GMM_COMPONENTS, GMM_FEATURES))
        labels = rng.integers(GMM_COMPONENTS, size=GMM_POINTS)
        return {
            "weights": _normalised(rng.uniform(0.5, 1.5, GMM_COMPONENTS)),
            "means": means,
            "covariances": _draw_covariances(rng, covariance_type),
            "X": means[labels] + rng.standard_normal((GMM_POINTS, GMM_FEATURES)),
            "reg_covar": np.array(1e-6),
        }

    def compute(arrays):
        model = GaussianMixture(arrays["weights"], arrays["means"], arrays["covariances"], covariance_type=covariance_type)
        responsibilities, _ = e_step(model, arrays["X"])
        updated = m_step(arrays["X"], responsibilities, covariance_type, reg_covar=float(arrays["reg_covar"]))
        return {
            "log_likelihood": model.log_marginal(arrays["X"]),
            "responsibilities": responsibilities,
            "em_weights": updated.weights,
            "em_means": updated.means,
            "em_covariances": updated.covariances,
        }

    return Case(
        f"gmm.{covariance_type}", f"Gaussian mixture, covariance_type={covariance_type!r}", inputs, outputs, draw, compute
    )


# ---------------------------------------------------------------------------
# LinearGaussian: evidence, posterior, closed-form ELBO and its gradients
# ---------------------------------------------------------------------------

LG_POINTS, LG_FEATURES, LG_LATENT = 3, 4, 2


def _linear_gaussian_case(noise):
    """``noise`` "isotropic" (PPCA, scalar noise_var, full-covariance q) or "diagonal"
    (factor analysis, (D,) noise_var, mean-field Normal q)."""
    isotropic = noise == "isotropic"
    q_parameters = {"loc": ("N", "L"), "scale_tril": ("N", "L", "L")} if isotropic else {"loc": ("N", "L"), "scale": ("N", "L")}
    noise_shape = () if isotropic else ("D",)
    inputs = {
        "W": Field(("D", "L"), "loadings"),
        "b": Field(("D",), "offset"),
        "noise_var": Field(noise_shape, "noise variances ψ"),
        "x": Field(("N", "D"), "data points"),
    }
    inputs.update({f"q_{k}": Field(s, f"q's {k}, one q(z) per point") for k, s in q_parameters.items()})
    outputs = {
        "log_marginal": Field(("N",), "the evidence log p(xₙ)"),
        "posterior_loc": Field(("N", "L"), "mean of p(z | xₙ)"),
        "posterior_scale_tril": Field(("L", "L"), "lower Cholesky factor of the posterior covariance (shared)"),
        "elbo": Field(("N",), "closed-form ELBO(xₙ, qₙ)"),
        "elbo_grad_W": Field(("D", "L"), "∂/∂W of Σₙ ELBO"),
        "elbo_grad_b": Field(("D",), "∂/∂b of Σₙ ELBO"),
        "elbo_grad_noise_var": Field(noise_shape, "∂/∂noise_var of Σₙ ELBO"),
    }
    outputs.update({f"elbo_grad_q_{k}": Field(s, f"∂/∂(q's {k}) of Σₙ ELBO") for k, s in q_parameters.items()})

    def draw(rng):
        drawn = {
            "W": rng.normal(0, 1.0, (LG_FEATURES, LG_LATENT)),
            "b": rng.normal(0, 1.0, LG_FEATURES),
            "noise_var": rng.uniform(0.3, 1.5, () if isotropic else LG_FEATURES),
            "q_loc": rng.normal(0, 1.0, (LG_POINTS, LG_LATENT)),
        }
        model = LinearGaussian(drawn["W"], drawn["b"], drawn["noise_var"])
        drawn["x"], _ = model.sample(LG_POINTS, rng)
        if isotropic:
            drawn["q_scale_tril"] = _lower_factor(rng, LG_LATENT, (LG_POINTS,))
        else:
            drawn["q_scale"] = rng.uniform(0.3, 1.2, (LG_POINTS, LG_LATENT))
        return drawn

    def compute(arrays):
        model = LinearGaussian(arrays["W"], arrays["b"], arrays["noise_var"])
        if isotropic:
            q = MultivariateNormal(arrays["q_loc"], scale_tril=arrays["q_scale_tril"])
        else:
            q = Normal(arrays["q_loc"], arrays["q_scale"])
        posterior = model.posterior(arrays["x"])
        grads_theta, grads_phi = model.elbo_grad(arrays["x"], q)
        result = {
            "log_marginal": model.log_marginal(arrays["x"]),
            "posterior_loc": posterior.loc,
            "posterior_scale_tril": posterior.scale_tril,
            "elbo": model.elbo(arrays["x"], q),
        }
        result.update({f"elbo_grad_{k}": v for k, v in grads_theta.items()})
        result.update({f"elbo_grad_q_{k}": v for k, v in grads_phi.items()})
        return result

    family = "MultivariateNormal" if isotropic else "diagonal Normal"
    description = f"LinearGaussian with {noise} noise ({'PPCA' if isotropic else 'factor analysis'}), {family} q"
    return Case(f"linear_gaussian.{noise}", description, inputs, outputs, draw, compute)


# ---------------------------------------------------------------------------
# GammaPoisson: evidence, posterior, closed-form ELBO
# ---------------------------------------------------------------------------

GP_DATASETS, GP_COUNTS = 3, 5


def _gamma_poisson_case(q_label):
    """q over the rate λ: ``"Gamma"`` (the posterior's family) or ``"LogNormal"``."""
    q_family = _FAMILY[q_label]
    q_parameters = {k: ("M",) for k in q_family.parameters}
    inputs = {
        "concentration": Field((), "α of the Gamma prior on λ"),
        "rate": Field((), "β of the Gamma prior on λ"),
        "x": Field(("M", "n"), "M data sets of n Poisson counts each", dtype="int64"),
    }
    inputs.update({f"q_{k}": Field(s, f"q's {k}, one q(λ) per data set") for k, s in q_parameters.items()})
    outputs = {
        "elbo": Field(("M",), "closed-form ELBO per data set"),
        "elbo_grad_concentration": Field((), "∂/∂α of the ELBO summed over the data sets"),
        "elbo_grad_rate": Field((), "∂/∂β of the ELBO summed over the data sets"),
    }
    outputs.update({f"elbo_grad_q_{k}": Field(s, f"∂/∂(q's {k}) of the ELBO summed over the data sets") for k, s in q_parameters.items()})
    if q_label == "Gamma":
        outputs = {
            "log_marginal": Field(("M",), "the evidence log p(x) per data set"),
            "posterior_concentration": Field(("M",), "α + Σᵢ xᵢ"),
            "posterior_rate": Field(("M",), "β + n"),
            **outputs,
        }

    def draw(rng):
        concentration, rate = rng.uniform(1.0, 4.0), rng.uniform(0.5, 2.0)
        model = GammaPoisson(concentration, rate)
        x, _ = model.sample(GP_DATASETS, rng, n_observations=GP_COUNTS)
        drawn = {"concentration": np.array(concentration), "rate": np.array(rate), "x": x.astype(np.int64)}
        q_params = {k: v[:GP_DATASETS] for k, v in q_family.draw(rng).items()}
        drawn.update({f"q_{k}": v for k, v in q_params.items()})
        return drawn

    def compute(arrays):
        model = GammaPoisson(arrays["concentration"], arrays["rate"])
        q = q_family.build(**{k: arrays[f"q_{k}"] for k in q_family.parameters})
        grads_theta, grads_phi = model.elbo_grad(arrays["x"], q)
        result = {"elbo": model.elbo(arrays["x"], q)}
        result.update({f"elbo_grad_{k}": v for k, v in grads_theta.items()})
        result.update({f"elbo_grad_q_{k}": v for k, v in grads_phi.items()})
        if q_label == "Gamma":
            posterior = model.posterior(arrays["x"])
            result.update(
                log_marginal=model.log_marginal(arrays["x"]),
                posterior_concentration=posterior.concentration,
                posterior_rate=np.broadcast_to(posterior.rate, posterior.batch_shape),
            )
        return result

    return Case(f"gamma_poisson.{q_label}", f"GammaPoisson with a {q_label} q(λ)", inputs, outputs, draw, compute)


# ---------------------------------------------------------------------------
# The estimator suite: exact gradients and exact per-sample variances
# ---------------------------------------------------------------------------

# estimator label of vi_ref.estimators.suite → the part of a field name that names it
_ESTIMATOR_FIELDS = {
    "score_function": "score_function",
    "score_function+constant": "score_function_constant",
    "score_function+leave_one_out": "score_function_leave_one_out",
    "score_function+optimal": "score_function_optimal",
    "reparameterization": "reparameterization",
}
# The suite's variances are quadrature (a 12,160-node composite Gauss–Legendre rule,
# exact to round-off for these smooth integrands); another implementation's closed
# forms or quadrature agree to ~1e-12, well inside 1e-8.
ESTIMATOR_RTOL = 1e-8

_SCALAR_PROBLEMS = {
    # name: (suite constructor taking loc, scale, k; how to draw k)
    "quadratic": (lambda loc, scale, k: suite.quadratic_problem(loc, scale, k), "(z − k)²", lambda rng: rng.uniform(-3.0, -1.0)),
    "gaussian_bump": (lambda loc, scale, k: suite.gaussian_bump_problem(k, loc, scale), "exp(−k z²)", lambda rng: rng.uniform(0.5, 20.0)),
    "cosine": (lambda loc, scale, k: suite.cosine_problem(k, loc, scale), "cos(k z)", lambda rng: rng.uniform(0.5, 5.0)),
}


def _recorded_estimators(problem, sample_size):
    """The labels of ``problem.estimators`` whose variances a case records: all of them,
    except the leave-one-out baseline's when the case has no sample size n (its
    variance depends on n)."""
    return [label for label in problem.estimators
            if sample_size is not None or label != "score_function+leave_one_out"]


def _estimator_outputs(problem, parameter_shapes, sample_size=None):
    """Fields of a suite problem: E_q[f], its exact gradient, and each estimator's exact
    per-sample variance (as functions of the problem; values in ``compute``)."""
    fields = {"expectation": Field((), "E_q[f(z)]")}
    fields.update({f"gradient_{k}": Field(s, f"exact ∂/∂{k} of E_q[f(z)]") for k, s in parameter_shapes.items()})
    for label in _recorded_estimators(problem, sample_size):
        for k, s in parameter_shapes.items():
            fields[f"variance_{_ESTIMATOR_FIELDS[label]}_{k}"] = Field(
                s, f"exact per-sample variance of the {label} estimator's ∂/∂{k} terms"
                + (" at sample size n" if label.endswith("leave_one_out") else "")
                + (" (the n → ∞ limit)" if label.endswith("optimal") else "")
            )
    return fields


def _estimator_values(problem, outputs, sample_size=None):
    values = {"expectation": problem.mean_value}
    values.update({f"gradient_{k}": v for k, v in problem.gradient.items()})
    for label in _recorded_estimators(problem, sample_size):
        variance = problem.variance(label, sample_size)
        values.update({f"variance_{_ESTIMATOR_FIELDS[label]}_{k}": v for k, v in variance.items()})
    return {key: values[key] for key in outputs}


def _scalar_estimator_case(name):
    make, formula, draw_k = _SCALAR_PROBLEMS[name]
    inputs = {
        "loc": Field((), "μ of q = N(μ, σ²)"),
        "scale": Field((), "σ of q"),
        "k": Field((), f"the constant k of f(z) = {formula}"),
        "n": Field((), "sample size of the leave-one-out baseline", dtype="int64", bounds=(2, 2**31)),
    }
    example = make(0.5, 1.0, 1.0)
    outputs = _estimator_outputs(example, {"loc": (), "scale": ()}, sample_size=True)

    def draw(rng):
        return {
            "loc": np.array(rng.uniform(-1.0, 1.0)),
            "scale": np.array(rng.uniform(0.5, 1.5)),
            "k": np.array(draw_k(rng)),
            "n": np.array(rng.integers(2, 50)),
        }

    def compute(arrays):
        problem = make(float(arrays["loc"]), float(arrays["scale"]), float(arrays["k"]))
        return _estimator_values(problem, outputs, sample_size=int(arrays["n"]))

    description = f"∇ E_q[f] for q = N(μ, σ²), f(z) = {formula}: exact gradient and per-sample variances"
    return Case(f"estimators.{name}", description, inputs, outputs, draw, compute, rtol=ESTIMATOR_RTOL)


def _dimension_estimator_case():
    inputs = {
        "loc": Field((), "the mean m shared by the D coordinates"),
        "scale": Field((), "σ of every coordinate"),
        "dimension": Field((), "D", dtype="int64", bounds=(1, 100_000)),
    }
    outputs = _estimator_outputs(suite.dimension_problem(2), {"loc": (), "scale": ("D",)})

    def draw(rng):
        return {
            "loc": np.array(rng.uniform(0.5, 2.0)),
            "scale": np.array(rng.uniform(0.5, 2.0)),
            "dimension": np.array(rng.integers(2, 20)),
        }

    def compute(arrays):
        problem = suite.DimensionProblem(int(arrays["dimension"]), float(arrays["loc"]), float(arrays["scale"]))
        return _estimator_values(problem, outputs)

    description = "∇ E_q[Σ z] for q = N(m·1, σ² I_D): the score function's variance grows with D, the pathwise one does not"
    return Case("estimators.dimension", description, inputs, outputs, draw, compute, rtol=ESTIMATOR_RTOL)


# ---------------------------------------------------------------------------
# The importance-weighted bound L_K on given base noise
# ---------------------------------------------------------------------------

IWAE_GROUPS, IWAE_GROUP_SIZE = 4, 5


def _iwae_case():
    inputs = {
        "W": Field(("D", "L"), "loadings of a LinearGaussian model"),
        "b": Field(("D",), "offset"),
        "noise_var": Field(("D",), "noise variances"),
        "x": Field(("D",), "one data point"),
        "q_loc": Field(("L",), "loc of a diagonal Normal q(z)"),
        "q_scale": Field(("L",), "scale of q"),
        "eps": Field(("n", "K", "L"), "standard normal noise: n groups of K draws z = loc + scale ε"),
    }
    outputs = {
        "log_weights": Field(("n", "K"), "log w = log p(x, z) − log q(z) of each draw"),
        "group_bounds": Field(("n",), "log (1/K) Σₖ wₖ per group (log-mean-exp)"),
        "estimate": Field((), "the IWAE estimate of L_K: the mean over the groups"),
        "log_marginal": Field((), "log p(x), which L_K never exceeds"),
        "elbo": Field((), "L_1, the closed-form ELBO, which L_K never falls below"),
    }

    def draw(rng):
        features, latent = LG_FEATURES, LG_LATENT
        drawn = {
            "W": rng.normal(0, 1.0, (features, latent)),
            "b": rng.normal(0, 1.0, features),
            "noise_var": rng.uniform(0.3, 1.5, features),
            "q_loc": rng.normal(0, 0.5, latent),
            "q_scale": rng.uniform(0.5, 1.2, latent),
            "eps": rng.standard_normal((IWAE_GROUPS, IWAE_GROUP_SIZE, latent)),
        }
        drawn["x"] = LinearGaussian(drawn["W"], drawn["b"], drawn["noise_var"]).sample(1, rng)[0][0]
        return drawn

    def compute(arrays):
        model = LinearGaussian(arrays["W"], arrays["b"], arrays["noise_var"])
        q = Normal(arrays["q_loc"], arrays["q_scale"])
        eps = arrays["eps"]
        groups, size = eps.shape[:2]
        z = q.transform(eps.reshape((groups * size,) + eps.shape[2:]))
        log_weights = log_importance_weights(model, q, arrays["x"], z).reshape(groups, size)
        # the estimator of elbo.iwae_bound, on the given draws (tests/test_reference.py
        # checks that the two agree on the same draws)
        group_bounds = logsumexp(log_weights, axis=1) - np.log(size)
        return {
            "log_weights": log_weights,
            "group_bounds": group_bounds,
            "estimate": np.mean(group_bounds),
            "log_marginal": model.log_marginal(arrays["x"]),
            "elbo": model.elbo(arrays["x"], q),
        }

    description = "the importance-weighted bound L_K of a LinearGaussian model, from given noise"
    return Case("iwae.linear_gaussian", description, inputs, outputs, draw, compute)


CASES = (
    [_kl_case(q, p) for q, p in _KL_PAIRS]
    + [_kl_case(q, p, infinite=True) for q, p in _INFINITE_KL_PAIRS]
    + [_distribution_case(family) for family in _FAMILIES]
    + [_gmm_case(covariance_type) for covariance_type in _GMM_COVARIANCE_SHAPES]
    + [_linear_gaussian_case(noise) for noise in ("isotropic", "diagonal")]
    + [_gamma_poisson_case(q_label) for q_label in ("Gamma", "LogNormal")]
    + [_scalar_estimator_case(name) for name in _SCALAR_PROBLEMS]
    + [_dimension_estimator_case(), _iwae_case()]
)
