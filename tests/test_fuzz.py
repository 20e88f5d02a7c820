"""Fuzz test of the public API: seeded bad inputs, every one refused by name.

``TARGETS`` is a table of public callables. Each entry gives a valid call — the
arguments as a dict, and the function taking them — and, for each argument that the
fuzzer may spoil, its *kind* (``KINDS``: what a bad value of that kind looks like).
The fuzzer replaces one argument at a time by bad values drawn from a seeded
generator and requires a ``TypeError`` or ``ValueError`` whose message names the
argument (as a word). Anything else — another exception (AttributeError, IndexError,
ZeroDivisionError, OverflowError, MemoryError, ...), a message that does not name
the argument, or a return value — is *mishandled*. The count of inputs is printed
(``pytest -s``) and must reach ``MINIMUM_INPUTS`` with zero mishandled.

To cover a new module, append ``Target`` entries (see the sections below); a kind
that no entry of ``KINDS`` describes yet is one function ``(rng, valid) -> bad
values`` added to it. Policy: ``docs/validation-policy.md``.
"""

import re
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest

from vi_ref import elbo, estimators, gradcheck, kl, learning, likelihoods, numerics, vi
from vi_ref.autodiff import functions as ad
from vi_ref.cavi import BayesianGaussianMixtureCAVI, UnitVarianceMixtureCAVI, exact_log_evidence
from vi_ref.em import GaussianMixtureEM
from vi_ref.estimators import suite
from vi_ref.flows import PlanarFlow
from vi_ref.distributions import Categorical, Exponential, Gamma, LogNormal, MultivariateNormal, Normal
from vi_ref.models import GammaPoisson, GaussianMixture, LinearGaussian
from vi_ref.models import evidence
from vi_ref.models import gaussian_mixture as gmm_module

SEED = 20261201
MINIMUM_INPUTS = 3000
TIME_BUDGET = 30.0  # seconds, for the whole run


# ---------------------------------------------------------------------------
# Kinds of arguments and their bad values
# ---------------------------------------------------------------------------

NOT_NUMBERS = [None, "abc", 1 + 2j, np.array([1j]), True, np.bool_(False), np.array([True, False]), {"a": 1}, object()]


def _spoiled_entries(rng, valid, values=(np.nan, np.inf, -np.inf)):
    """Copies of ``valid`` with one random entry replaced by each of ``values``."""
    array = np.array(valid, dtype=float)
    out = []
    for value in values:
        spoiled = array.copy()
        if spoiled.ndim == 0:
            spoiled = np.float64(value)
        else:
            spoiled[tuple(rng.integers(0, n) for n in spoiled.shape)] = value
        out.append(spoiled)
    return out


def real_array(rng, valid):
    """An array of reals that must be finite."""
    return NOT_NUMBERS + _spoiled_entries(rng, valid)


def real_array_allowing_infinity(rng, valid):
    """An array of reals in which ±inf is a legitimate value (e.g. a point outside
    a support, or log-space arguments); only NaN and non-numbers are refused."""
    return NOT_NUMBERS + _spoiled_entries(rng, valid, (np.nan,))


def points(rng, valid):
    """An array (..., D) with a fixed last axis: leading (batch) axes are legitimate,
    a different last axis or a scalar is not."""
    array = np.asarray(valid, dtype=float)
    last = array.shape[-1]
    return real_array(rng, valid) + [np.zeros(array.shape[:-1] + (last + 1,)), array[..., :0], np.float64(0.5)]


def strict(rng, valid):
    """A finite array of exactly one shape: an extra axis either side is refused too."""
    array = np.asarray(valid, dtype=float)
    return points(rng, valid) + [array[None], array[..., None]]


def matrix(rng, valid):
    """A finite 2-D array whose sizes are free (they define D, L, K): refused with
    another number of axes."""
    array = np.asarray(valid, dtype=float)
    return real_array(rng, valid) + [array[None], array[0], np.float64(0.5), np.zeros((0,) + array.shape[1:])]


def counts(rng, valid):
    """Non-negative integer counts (..., n) with n ≥ 1."""
    array = np.asarray(valid, dtype=float)
    return real_array(rng, valid) + [array - 5.0, array + 0.5, array[..., :0], np.float64(1.0)]


def numbers(rng, valid):
    """Log-space or elementwise arguments of the numerics building blocks, for which
    NaN and ±inf propagate as through a NumPy ufunc: only non-numbers are refused."""
    return NOT_NUMBERS


def positive(rng, valid):
    """A positive finite array."""
    return real_array(rng, valid) + _spoiled_entries(rng, valid, (0.0, -1.0, -rng.uniform(1e-300, 1e300)))


def index(rng, valid):
    """A non-negative integer that sizes nothing (a lazy range)."""
    return [-1, -int(rng.integers(2, 10**6)), 1.5, float(valid), "3", True, None, np.array([2])]


def count(rng, valid):
    """A non-negative integer that sizes an output (n, steps): also refused beyond
    the memory bound."""
    return index(rng, valid) + [10**15, 2**70]


def count_at_least_one(rng, valid):
    return count(rng, valid) + [0]


def step(rng, valid):
    """A positive finite step (``None`` is its legitimate default)."""
    return [value for value in positive(rng, valid) if value is not None]


def seed(rng, valid):
    """An ``rng`` argument (SPEC 7)."""
    return [True, False, np.bool_(True), "seed", 1.5, -1, object(), [object()]]


def flag(rng, valid):
    """A boolean flag."""
    return ["no", "True", 1, 0, None, 0.0, np.array([True])]


def distribution(rng, valid):
    """A ``vi_ref.distributions`` object."""
    return [None, 3.0, "Normal", object(), np.zeros(2), scipy_like()]


def model(rng, valid):
    """A latent variable model."""
    return [None, 3.0, "model", object(), Normal(0.0, 1.0)]


def probability_vector(rng, valid):
    """Non-negative entries summing to 1 along the last axis."""
    array = np.asarray(valid, dtype=float)
    return real_array(rng, valid) + [
        array * 1.5,
        array + 1e-6,
        np.where(np.arange(array.shape[-1]) == 0, -0.25, array + 0.25 / (array.shape[-1] - 1)),
        np.zeros(array.shape[:-1] + (0,)),
        np.asarray(1.0),
    ]


def choice(options):
    """A string argument with these legal values."""
    return lambda rng, valid: ["nope", None, 3, options[0].upper() + "!", ""]


def tolerance(rng, valid):
    """A tolerance: finite and ≥ 0."""
    return [np.nan, -1.0, np.inf, None, "1e-3", True, -1e-300]


def function(rng, valid):
    """A callable argument (f, log_joint, baseline functions)."""
    return [None, 3.0, "f", object(), np.zeros(2)]


def scipy_like():
    class Impostor:
        def log_prob(self, x):
            return 0.0

    return Impostor()


KINDS = {
    "real": real_array,
    "real_or_inf": real_array_allowing_infinity,
    "numbers": numbers,
    "points": points,
    "strict": strict,
    "matrix": matrix,
    "counts": counts,
    "positive": positive,
    "step": step,
    "index": index,
    "count": count,
    "count1": count_at_least_one,
    "rng": seed,
    "flag": flag,
    "distribution": distribution,
    "model": model,
    "probs": probability_vector,
    "tolerance": tolerance,
    "function": function,
}


@dataclass
class Target:
    """A public callable, a valid call to it, and the kind of each spoilable argument.

    ``call(**arguments)`` makes the call; ``kinds`` maps argument names to keys of
    ``KINDS``; ``names`` optionally gives the words a refusal may use for an
    argument (default: its own name)."""

    name: str
    call: Callable
    arguments: dict
    kinds: dict
    names: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------
# The table of targets
# ---------------------------------------------------------------------------

L3 = np.array([[1.0, 0.0, 0.0], [0.3, 2.0, 0.0], [-0.2, 0.1, 0.5]])
W = np.array([[1.0, 0.2], [0.5, -1.0], [0.3, 0.4]])
LINEAR_GAUSSIAN = LinearGaussian(W, np.zeros(3), 0.5)
MIXTURE = GaussianMixture([0.4, 0.6], np.array([[0.0, 0.0], [2.0, 1.0]]), np.array([1.0, 0.5]), covariance_type="spherical")
GAMMA_POISSON = GammaPoisson(2.0, 1.0)
X_DATA = np.array([[0.1, 0.2, -0.3], [1.0, -0.5, 0.2], [0.0, 0.3, 0.9], [-1.0, 0.4, 0.1]])
Q_LATENT = MultivariateNormal(np.zeros(2), scale_tril=np.eye(2))


def _method(factory, method):
    return lambda **arguments: getattr(factory(), method)(**arguments)


def _family_targets():
    families = {
        "Normal": (lambda loc, scale: Normal(loc, scale), {"loc": [0.5, -1.0], "scale": [1.0, 2.0]},
                   {"loc": "real", "scale": "positive"}, 0.3),
        "LogNormal": (lambda loc, scale: LogNormal(loc, scale), {"loc": [0.5, -1.0], "scale": [1.0, 2.0]},
                      {"loc": "real", "scale": "positive"}, 0.3),
        "Exponential": (lambda rate: Exponential(rate), {"rate": [1.0, 2.0]}, {"rate": "positive"}, 0.3),
        "Gamma": (lambda concentration, rate: Gamma(concentration, rate),
                  {"concentration": [1.5, 2.0], "rate": [1.0, 3.0]},
                  {"concentration": "positive", "rate": "positive"}, 0.3),
        "MultivariateNormal(scale_tril)": (
            lambda loc, scale_tril: MultivariateNormal(loc, scale_tril=scale_tril),
            {"loc": np.zeros(3), "scale_tril": L3}, {"loc": "real", "scale_tril": "real"}, np.zeros(3)),
        "MultivariateNormal(covariance_matrix)": (
            lambda loc, covariance_matrix: MultivariateNormal(loc, covariance_matrix=covariance_matrix),
            {"loc": np.zeros(3), "covariance_matrix": L3 @ L3.T}, {"loc": "real", "covariance_matrix": "real"},
            np.zeros(3)),
        "Categorical(probs)": (lambda probs: Categorical(probs=probs), {"probs": [0.2, 0.3, 0.5]},
                               {"probs": "probs"}, 1),
        "Categorical(logits)": (lambda logits: Categorical(logits=logits), {"logits": [0.2, -0.3, 0.5]},
                                {"logits": "real_or_inf"}, 1),
    }
    targets = []
    for label, (build, arguments, kinds, point) in families.items():
        targets.append(Target(label, build, arguments, kinds))
        instance = lambda build=build, arguments=arguments: build(**arguments)  # noqa: E731
        targets.append(Target(f"{label}.log_prob", _method(instance, "log_prob"), {"x": point}, {"x": "real_or_inf"}))
        targets.append(
            Target(f"{label}.log_prob_grad", _method(instance, "log_prob_grad"), {"x": point}, {"x": "real_or_inf"})
        )
        targets.append(
            Target(f"{label}.sample", _method(instance, "sample"), {"n": 3, "rng": 0}, {"n": "count", "rng": "rng"})
        )
        if hasattr(instance(), "rsample"):
            targets.append(
                Target(f"{label}.rsample", _method(instance, "rsample"), {"n": 3, "rng": 0},
                       {"n": "count", "rng": "rng"})
            )
            eps = instance().rsample(2, 0)[1]
            targets.append(
                Target(f"{label}.transform_vjp", _method(instance, "transform_vjp"),
                       {"eps": eps, "cotangent": np.ones(eps.shape)}, {"eps": "strict", "cotangent": "strict"})
            )
    targets.append(Target("Normal.entropy(diagonal)", _method(lambda: Normal(np.zeros(2), 1.0), "entropy"),
                          {"diagonal": True}, {"diagonal": "flag"}))
    targets.append(Target("Normal.log_prob(diagonal)", _method(lambda: Normal(np.zeros(2), 1.0), "log_prob"),
                          {"x": np.zeros(2), "diagonal": True}, {"diagonal": "flag"}))
    return targets


def _kl_targets():
    pair = {"q": Normal(0.0, 1.0), "p": Normal(1.0, 2.0)}
    return [
        Target("kl_divergence", kl.kl_divergence, pair, {"q": "distribution", "p": "distribution"}),
        Target("kl_divergence_grad", kl.kl_divergence_grad, pair, {"q": "distribution", "p": "distribution"}),
        Target("kl_monte_carlo", kl.kl_monte_carlo, {**pair, "n": 10, "rng": 0},
               {"q": "distribution", "p": "distribution", "n": "count", "rng": "rng"}),
    ]


def _numerics_targets():
    a = np.array([[0.5, -1.0], [2.0, 0.1]])
    return [
        Target("logsumexp", numerics.logsumexp, {"a": a, "axis": 0, "keepdims": False},
               {"a": "numbers", "keepdims": "flag"}),
        Target("softplus", numerics.softplus, {"x": a}, {"x": "numbers"}),
        Target("inv_softplus", numerics.inv_softplus, {"y": np.abs(a)}, {"y": "numbers"}),
        Target("log1mexp", numerics.log1mexp, {"x": a}, {"x": "numbers"}),
        Target("log_sigmoid", numerics.log_sigmoid, {"x": a}, {"x": "numbers"}),
        Target("sigmoid", numerics.sigmoid, {"x": a}, {"x": "numbers"}),
        Target("cholesky", numerics.cholesky, {"matrix": L3 @ L3.T}, {"matrix": "points"}),
        Target("cholesky(symmetry_rtol)", numerics.cholesky, {"matrix": L3 @ L3.T, "symmetry_rtol": 1e-10},
               {"symmetry_rtol": "tolerance"}),
        Target("standard_error_of_mean", numerics.standard_error_of_mean, {"values": a, "axis": 0},
               {"values": "numbers", "axis": "axis"}),
        Target("sample_mean", numerics.sample_mean, {"values": a, "axis": 0},
               {"values": "numbers", "axis": "axis"}),
        Target("logsumexp(axis)", numerics.logsumexp, {"a": a, "axis": 0}, {"axis": "axis2"}),
        Target("check_scale_tril", numerics.check_scale_tril, {"scale_tril": L3}, {"scale_tril": "points"}),
        Target("log_det_from_cholesky", numerics.log_det_from_cholesky, {"factor": L3}, {"factor": "points"}),
        Target("lower_triangular_inverse", numerics.lower_triangular_inverse, {"factor": L3}, {"factor": "points"}),
        Target("solve_triangular", numerics.solve_triangular,
               {"factor": L3, "rhs": np.ones(3), "lower": True, "transpose": False},
               {"rhs": "numbers", "lower": "flag", "transpose": "flag"}),
    ]


def _gradcheck_targets():
    def f(x):
        return float(np.sum(np.asarray(x) ** 2))

    def grad_f(x):
        return 2 * np.asarray(x)

    x = np.array([0.5, -1.0])
    return [
        Target("numerical_gradient", lambda x, step: gradcheck.numerical_gradient(f, x, step=step),
               {"x": x, "step": 1e-4}, {"x": "real", "step": "step"}),
        Target("check_gradient", lambda x, rtol, atol: gradcheck.check_gradient(f, grad_f, x, rtol=rtol, atol=atol),
               {"x": x, "rtol": 1e-6, "atol": 1e-8}, {"x": "real", "rtol": "tolerance", "atol": "tolerance"}),
        Target("directional_derivative", lambda x, direction: gradcheck.directional_derivative(f, x, direction),
               {"x": x, "direction": np.array([1.0, 0.0])}, {"x": "real", "direction": "strict"}),
        Target("numerical_gradient(method)", lambda method: gradcheck.numerical_gradient(f, x, method=method),
               {"method": "central"}, {"method": "method"}),
        Target("numerical_gradient(f)", lambda f: gradcheck.numerical_gradient(f, x), {"f": f}, {"f": "function"}),
        Target("directional_derivative(f, method, step)",
               lambda f, method, step: gradcheck.directional_derivative(f, x, np.array([1.0, 0.0]), method=method,
                                                                        step=step),
               {"f": f, "method": "central", "step": 1e-4}, {"f": "function", "method": "method", "step": "step"}),
        Target("check_gradient(f, grad_f, ...)",
               lambda f, grad_f, method, step, directions, max_coordinates, rng: gradcheck.check_gradient(
                   f, grad_f, x, method=method, step=step, directions=directions, max_coordinates=max_coordinates,
                   rng=rng),
               {"f": f, "grad_f": grad_f, "method": "central", "step": 1e-4, "directions": 2, "max_coordinates": 256,
                "rng": 0},
               {"f": "function", "grad_f": "function", "method": "method", "step": "step", "directions": "optional_count1",
                "max_coordinates": "index", "rng": "rng"}),
        Target("assert_gradient", lambda x, rtol: gradcheck.assert_gradient(f, grad_f, x, rtol=rtol),
               {"x": x, "rtol": 1e-6}, {"x": "real", "rtol": "tolerance"}),
        Target("check_case", gradcheck.check_case, {"case": _first_registry_case(), "rng": 0},
               {"case": "model", "rng": "rng"}),
    ]


def _first_registry_case():
    from vi_ref.registry import CASES

    return CASES[0]


def _likelihood_targets():
    X = np.array([[0.5, -1.0], [2.0, 0.1], [0.0, 0.3]])
    logistic = {"weights": np.array([0.3, -0.2]), "X": X, "y": np.array([1.0, 0.0, 1.0])}
    gmm = {"X": X, "logits": np.zeros(2), "means": np.array([[0.0, 0.0], [1.0, 1.0]]), "log_scales": np.zeros(2)}
    shaped = {name: "strict" for name in gmm}
    return [
        Target("logistic_regression_log_likelihood", likelihoods.logistic_regression_log_likelihood, logistic,
               {name: "strict" for name in logistic}),
        Target("logistic_regression_log_likelihood_grad", likelihoods.logistic_regression_log_likelihood_grad,
               logistic, {name: "strict" for name in logistic}),
        Target("isotropic_gmm_log_likelihood", likelihoods.isotropic_gmm_log_likelihood, gmm, shaped),
        Target("isotropic_gmm_log_likelihood_grad", likelihoods.isotropic_gmm_log_likelihood_grad, gmm, shaped),
    ]


def _model_targets():
    x_point = np.array([0.2, -0.1, 0.4])
    return [
        Target("LinearGaussian", LinearGaussian, {"W": W, "b": np.zeros(3), "noise_var": 0.5},
               {"W": "matrix", "b": "strict", "noise_var": "positive"}),
        Target("LinearGaussian.log_marginal", LINEAR_GAUSSIAN.log_marginal, {"x": x_point}, {"x": "points"}),
        Target("LinearGaussian.posterior", LINEAR_GAUSSIAN.posterior, {"x": x_point}, {"x": "points"}),
        Target("LinearGaussian.log_joint", LINEAR_GAUSSIAN.log_joint, {"x": x_point, "z": np.zeros(2)},
               {"x": "points", "z": "points"}),
        Target("LinearGaussian.sample", LINEAR_GAUSSIAN.sample, {"n": 3, "rng": 0}, {"n": "count", "rng": "rng"}),
        Target("LinearGaussian.elbo", LINEAR_GAUSSIAN.elbo, {"x": x_point, "q": Q_LATENT},
               {"x": "points", "q": "distribution"}),
        Target("LinearGaussian.elbo_grad", LINEAR_GAUSSIAN.elbo_grad, {"x": x_point, "q": Q_LATENT},
               {"x": "points", "q": "distribution"}),
        Target("GammaPoisson", GammaPoisson, {"concentration": 2.0, "rate": 1.0},
               {"concentration": "positive", "rate": "positive"}),
        Target("GammaPoisson.log_marginal", GAMMA_POISSON.log_marginal, {"x": np.array([1.0, 2.0])}, {"x": "counts"}),
        Target("GammaPoisson.elbo", GAMMA_POISSON.elbo, {"x": np.array([1.0, 2.0]), "q": Gamma(2.0, 1.0)},
               {"x": "counts", "q": "distribution"}),
        Target("GammaPoisson.sample", GAMMA_POISSON.sample, {"n": 3, "rng": 0}, {"n": "count", "rng": "rng"}),
        Target("GaussianMixture",
               lambda weights, means, covariances: GaussianMixture(weights, means, covariances,
                                                                   covariance_type="spherical"),
               {"weights": [0.4, 0.6], "means": np.array([[0.0, 0.0], [2.0, 1.0]]), "covariances": np.array([1.0, 0.5])},
               {"weights": "probs", "means": "matrix", "covariances": "positive"}),
        Target("GaussianMixture.log_marginal", MIXTURE.log_marginal, {"x": np.array([0.1, 0.2])}, {"x": "points"}),
        Target("GaussianMixture.posterior", MIXTURE.posterior, {"x": np.array([0.1, 0.2])}, {"x": "points"}),
        Target("GaussianMixture.elbo", MIXTURE.elbo, {"x": np.array([0.1, 0.2]), "q": Categorical(probs=[0.5, 0.5])},
               {"x": "points", "q": "distribution"}),
        Target("GaussianMixture.sample", MIXTURE.sample, {"n": 3, "rng": 0}, {"n": "count", "rng": "rng"}),
        Target("row_chunks", gmm_module.row_chunks, {"n_rows": 10, "n_features": 2},
               {"n_rows": "index", "n_features": "index"}),
        Target("centred_moments",
               lambda X, responsibilities, means: gmm_module.centred_moments(X, responsibilities, means, range(2), True),
               {"X": X_DATA[:, :2], "responsibilities": np.full((2, 4), 0.5), "means": np.zeros((2, 2))},
               {"X": "strict", "responsibilities": "strict", "means": "strict"}),
        Target("squared_mahalanobis", gmm_module.squared_mahalanobis,
               {"X": X_DATA[:, :2], "means": np.zeros((2, 2)), "precisions_cholesky": np.ones(2),
                "covariance_type": "spherical"},
               {"X": "strict", "means": "strict", "precisions_cholesky": "strict", "covariance_type": "covariance_type"}),
        Target("posterior_from_log_joint", gmm_module.posterior_from_log_joint,
               {"log_joint": np.array([[0.0, -1.0], [-2.0, -0.5]])}, {"log_joint": "real_or_inf"}),
        Target("log_marginal_monte_carlo", evidence.log_marginal_monte_carlo,
               {"model": LINEAR_GAUSSIAN, "x": np.zeros(3), "n": 10, "rng": 0},
               {"model": "model", "x": "points", "n": "count", "rng": "rng"}),
        Target("log_marginal_candidate", evidence.log_marginal_candidate,
               {"model": LINEAR_GAUSSIAN, "x": np.zeros(3), "z": np.zeros(2)},
               {"model": "model", "x": "points", "z": "points"}),
    ]


def _elbo_targets():
    q_batch = MultivariateNormal(np.zeros((4, 2)), scale_tril=np.eye(2))
    return [
        Target("elbo_monte_carlo", elbo.elbo_monte_carlo,
               {"model": LINEAR_GAUSSIAN, "q": Q_LATENT, "x": np.zeros(3), "n": 10, "rng": 0},
               {"model": "model", "q": "distribution", "x": "points", "n": "count", "rng": "rng"}),
        Target("dataset_elbo", elbo.dataset_elbo, {"model": LINEAR_GAUSSIAN, "q": q_batch, "X": X_DATA},
               {"model": "model", "q": "distribution", "X": "points"}, {"X": ("X", "x")}),
        Target("dataset_elbo_grad", elbo.dataset_elbo_grad, {"model": LINEAR_GAUSSIAN, "q": q_batch, "X": X_DATA},
               {"model": "model", "q": "distribution", "X": "points"}, {"X": ("X", "x")}),
        Target("elbo_decomposition", elbo.elbo_decomposition, {"model": LINEAR_GAUSSIAN, "q": Q_LATENT, "x": np.zeros(3)},
               {"model": "model", "q": "distribution", "x": "points"}),
    ]


def _learning_targets():
    def fit(X, n_latent, steps, tol, isotropic, rng):
        return learning.fit_linear_gaussian(X, n_latent, steps=steps, tol=tol, isotropic=isotropic, rng=rng)

    def ascend(learning_rate, optimizer):
        return learning.fit_linear_gaussian(X_DATA, 1, optimizer=optimizer, steps=1, learning_rate=learning_rate)

    return [
        Target("fit_linear_gaussian", fit,
               {"X": X_DATA, "n_latent": 1, "steps": 1, "tol": 1e-6, "isotropic": True, "rng": 0},
               {"X": "matrix", "n_latent": "count1", "steps": "count1", "tol": "tolerance", "isotropic": "flag",
                "rng": "rng"}),
        Target("fit_linear_gaussian(gradient_ascent)", ascend,
               {"learning_rate": 0.01, "optimizer": "gradient_ascent"},
               {"learning_rate": "positive", "optimizer": "optimizer"}),
        Target("fit_linear_gaussian(init)", lambda init: learning.fit_linear_gaussian(X_DATA, 1, steps=1, init=init),
               {"init": None}, {"init": "optional_function"}),
        Target("ppca_maximum_likelihood", learning.ppca_maximum_likelihood, {"X": X_DATA, "n_latent": 1},
               {"X": "matrix", "n_latent": "count1"}),
        Target("LinearGaussianELBO", learning.LinearGaussianELBO, {"X": X_DATA, "n_latent": 1, "isotropic": True},
               {"X": "matrix", "n_latent": "count1", "isotropic": "flag"}),
    ]


def _quadratic(z):
    return -0.5 * ad.sum(ad.square(z), axis=-1)


FLOW = PlanarFlow(np.zeros(2), np.ones(2), np.array([[1.0, 0.5]]), np.array([[0.2, -0.1]]), np.array([0.1]))
Q_BATCH = MultivariateNormal(np.zeros((4, 2)), scale_tril=np.tile(np.eye(2), (4, 1, 1)))


def _estimator_targets():
    q = Normal(np.array([0.5, -0.2]), np.array([1.0, 0.5]))

    def f(z):
        return ad.sum(ad.square(z), axis=-1)

    def score(f, q, n, rng, baseline):
        return estimators.score_function_gradient(f, q, n, rng, baseline=baseline)

    def pathwise(f, q, n, rng):
        return estimators.reparameterization_gradient(f, q, n, rng)

    def with_f_grad(f_grad):
        return estimators.reparameterization_gradient(f, q, 3, 0, f_grad=f_grad)

    def gradient(model, q, x, n, rng, estimator):
        return estimators.elbo_gradient(model, q, x, n, rng, estimator=estimator)

    shared = {"model": LINEAR_GAUSSIAN, "q": Q_LATENT, "x": np.zeros(3)}
    shared_kinds = {"model": "model", "q": "distribution", "x": "points"}
    return [
        Target("score_function_gradient", score, {"f": f, "q": q, "n": 4, "rng": 0, "baseline": None},
               {"f": "function", "q": "distribution", "n": "count1", "rng": "rng", "baseline": "baseline"}),
        Target("reparameterization_gradient", pathwise, {"f": f, "q": q, "n": 4, "rng": 0},
               {"f": "function", "q": "distribution", "n": "count1", "rng": "rng"}),
        Target("reparameterization_gradient(f_grad)", with_f_grad, {"f_grad": lambda z: 2 * z},
               {"f_grad": "optional_function"}),
        Target("elbo_gradient", gradient, {**shared, "n": 3, "rng": 0, "estimator": "reparameterization"},
               {**shared_kinds, "n": "count1", "rng": "rng", "estimator": "elbo_estimator"}),
        Target("iwae_gradient", estimators.iwae_gradient, {**shared, "k": 2, "n": 3, "rng": 0},
               {**shared_kinds, "k": "count1", "n": "count1", "rng": "rng"}),
        Target("iwae_bound", elbo.iwae_bound, {**shared, "k": 2, "n": 3, "rng": 0},
               {**shared_kinds, "k": "count1", "n": "count1", "rng": "rng"}),
        Target("mean_and_standard_error", estimators.mean_and_standard_error,
               {"terms": np.array([[0.5, 1.0], [2.0, -1.0], [0.1, 0.3]]), "axis": 0},
               {"terms": "real", "axis": "axis"}),
        Target("quadratic_problem", suite.quadratic_problem, {"loc": 0.5, "scale": 0.5, "k": -2.5},
               {"loc": "real", "scale": "positive", "k": "real"}),
        Target("gaussian_bump_problem", suite.gaussian_bump_problem, {"k": 0.5, "loc": 0.5, "scale": 1.0},
               {"k": "non_negative", "loc": "real", "scale": "positive"}),
        Target("cosine_problem", suite.cosine_problem, {"k": 0.5, "loc": 0.5, "scale": 1.0},
               {"k": "real", "loc": "real", "scale": "positive"}),
        Target("dimension_problem", suite.dimension_problem, {"dimension": 3}, {"dimension": "index"}),
        Target("ScalarGaussianProblem.variance", lambda estimator, n: suite.quadratic_problem().variance(estimator, n),
               {"estimator": "reparameterization", "n": 3}, {"estimator": "elbo_estimator", "n": "optional_index1"}),
        Target("ScalarGaussianProblem.optimal_baseline_bias", suite.quadratic_problem().optimal_baseline_bias,
               {"n": 3}, {"n": "index1"}),
        Target("DimensionProblem.variance", suite.dimension_problem(3).variance,
               {"estimator": "reparameterization", "n": 3}, {"estimator": "elbo_estimator", "n": "optional_index1"}),
        Target("DimensionProblem.estimate", suite.dimension_problem(3).estimate,
               {"estimator": "reparameterization", "n": 3, "rng": 0},
               {"estimator": "elbo_estimator", "n": "count1", "rng": "rng"}),
        Target("StickingTheLandingProblem.variance", suite.sticking_the_landing_problem().variance,
               {"estimator": "reparameterization", "n": 3}, {"estimator": "elbo_estimator", "n": "optional_index1"}),
        Target("StickingTheLandingProblem.estimate_theta", suite.sticking_the_landing_problem().estimate_theta,
               {"estimator": "reparameterization", "n": 3, "rng": 0},
               {"estimator": "elbo_estimator", "n": "count1", "rng": "rng"}),
        Target("IWAEProblem.bound", suite.iwae_problem().bound, {"k": 2, "n": 3, "rng": 0},
               {"k": "count1", "n": "count1", "rng": "rng"}),
        Target("ScalarGaussianProblem.estimate", lambda estimator, n, rng: suite.quadratic_problem().estimate(
            estimator, n, rng), {"estimator": "reparameterization", "n": 3, "rng": 0},
               {"estimator": "elbo_estimator", "n": "count1", "rng": "rng"}),
    ]


def _log_joint_grad_targets():
    return [
        Target("LinearGaussian.log_joint_grad", LINEAR_GAUSSIAN.log_joint_grad, {"x": np.zeros(3), "z": np.zeros(2)},
               {"x": "points", "z": "points"}),
        Target("GammaPoisson.log_joint_grad", GAMMA_POISSON.log_joint_grad, {"x": np.array([1.0, 2.0]), "z": 1.5},
               {"x": "counts", "z": "positive"}),
        Target("GaussianMixture.log_joint_grad", MIXTURE.log_joint_grad, {"x": np.array([0.1, 0.2]), "z": 1},
               {"x": "points", "z": "label"}),
    ]


def _vi_targets():
    def run(log_joint, q, steps, learning_rate, n_samples, rng, elbo_samples, tol, estimator, optimizer):
        return vi.fit(log_joint, q, steps=steps, learning_rate=learning_rate, n_samples=n_samples, rng=rng,
                      elbo_samples=elbo_samples, tol=tol, estimator=estimator, optimizer=optimizer)

    def run_flags(stop_when_converged, track_gradient_variance):
        return vi.fit(_quadratic, Normal(np.zeros(2), 1.0), steps=2, learning_rate=0.1, rng=0,
                      stop_when_converged=stop_when_converged, track_gradient_variance=track_gradient_variance)

    def run_dataset(model, X, q, steps, learning_rate, batch_size, n_samples, rng, elbo_samples, learn_model):
        return vi.fit_dataset(model, X, q, steps=steps, learning_rate=learning_rate, batch_size=batch_size,
                              n_samples=n_samples, rng=rng, elbo_samples=elbo_samples, learn_model=learn_model)

    def minibatch(model, q, X, rows, n_samples, rng, estimator):
        return vi.minibatch_elbo_gradient(model, q, X, rows, n_samples, rng, estimator=estimator)

    return [
        Target("fit", run,
               {"log_joint": _quadratic, "q": Normal(np.zeros(2), 1.0), "steps": 2, "learning_rate": 0.1,
                "n_samples": 2, "rng": 0, "elbo_samples": 5, "tol": 1e-3, "estimator": "reparameterization",
                "optimizer": "adam"},
               {"log_joint": "function", "q": "distribution", "steps": "count1", "learning_rate": "positive",
                "n_samples": "count1", "rng": "rng", "elbo_samples": "count1", "tol": "tolerance",
                "estimator": "elbo_estimator", "optimizer": "optimizer"}),
        Target("fit(flags)", run_flags, {"stop_when_converged": False, "track_gradient_variance": False},
               {"stop_when_converged": "flag", "track_gradient_variance": "flag"}),
        Target("fit(PlanarFlow)", lambda q: vi.fit(_quadratic, q, steps=1, learning_rate=0.1, rng=0),
               {"q": FLOW}, {"q": "distribution"}),
        Target("fit_dataset", run_dataset,
               {"model": LINEAR_GAUSSIAN, "X": X_DATA, "q": Q_BATCH, "steps": 1, "learning_rate": 0.1,
                "batch_size": 2, "n_samples": 1, "rng": 0, "elbo_samples": 3, "learn_model": True},
               {"model": "model", "X": "matrix", "q": "distribution", "steps": "count1", "learning_rate": "positive",
                "batch_size": "optional_count1", "n_samples": "count1", "rng": "rng", "elbo_samples": "count1",
                "learn_model": "flag"}),
        Target("fit(eval_every, window, schedule, callback, log_joint_grad)",
               lambda eval_every, window, schedule, callback, log_joint_grad: vi.fit(
                   _quadratic, Normal(np.zeros(2), 1.0), steps=2, learning_rate=0.1, rng=0, eval_every=eval_every,
                   window=window, schedule=schedule, callback=callback, log_joint_grad=log_joint_grad),
               {"eval_every": 1, "window": 2, "schedule": None, "callback": None, "log_joint_grad": None},
               {"eval_every": "optional_index1", "window": "index1", "schedule": "optional_function",
                "callback": "optional_function", "log_joint_grad": "optional_function"}),
        Target("fit_dataset(estimator, optimizer, eval_every, schedule, callback)",
               lambda estimator, optimizer, eval_every, schedule, callback: vi.fit_dataset(
                   LINEAR_GAUSSIAN, X_DATA, Q_BATCH, steps=1, learning_rate=0.1, rng=0, estimator=estimator,
                   optimizer=optimizer, eval_every=eval_every, schedule=schedule, callback=callback),
               {"estimator": "reparameterization", "optimizer": "adam", "eval_every": 1, "schedule": None,
                "callback": None},
               {"estimator": "elbo_estimator", "optimizer": "optimizer", "eval_every": "optional_index1",
                "schedule": "optional_function", "callback": "optional_function"}),
        Target("Adam", vi.Adam, {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
               {"beta1": "real", "beta2": "real", "epsilon": "positive"}),
        Target("Adam.step", lambda value, gradient, learning_rate, rows: vi.Adam().step(
            "loc", value, gradient, learning_rate, rows=rows),
               {"value": X_DATA, "gradient": np.ones((2, 3)), "learning_rate": 0.1, "rows": np.array([0, 2])},
               {"value": "real", "gradient": "strict", "learning_rate": "positive", "rows": "rows"}),
        Target("GradientAscent.step", lambda value, gradient, learning_rate: vi.GradientAscent().step(
            "loc", value, gradient, learning_rate),
               {"value": np.zeros(2), "gradient": np.ones(2), "learning_rate": 0.1},
               {"value": "real", "gradient": "strict", "learning_rate": "positive"}),
        Target("decay_schedule", vi.decay_schedule, {"timescale": 10.0, "power": 1.0},
               {"timescale": "positive", "power": "positive"}),
        Target("window_converged", vi.window_converged, {"estimates": np.arange(8.0), "window": 2, "tol": 1e-3},
               {"estimates": "real_or_inf", "window": "index1", "tol": "step"}),
        Target("iterate_average", lambda result, start, n_batches: vi.iterate_average(
            result, start=start, n_batches=n_batches), {"result": FIT_RESULT, "start": 0.5, "n_batches": 5},
               {"result": "model", "start": "real", "n_batches": "index1"}),
        Target("minibatch_elbo_gradient", minibatch,
               {"model": LINEAR_GAUSSIAN, "q": Q_BATCH, "X": X_DATA, "rows": np.array([0, 2]), "n_samples": 2,
                "rng": 0, "estimator": "reparameterization"},
               {"model": "model", "q": "distribution", "X": "matrix", "rows": "rows", "n_samples": "count1",
                "rng": "rng", "estimator": "elbo_estimator"}),
    ]


FIT_RESULT = vi.fit(_quadratic, Normal(np.zeros(2), 1.0), steps=20, learning_rate=0.1, rng=0, eval_every=1)


def _flow_targets():
    eps = np.array([[0.3, -0.2], [1.0, 0.5]])
    return [
        Target("PlanarFlow", PlanarFlow,
               {"loc": np.zeros(2), "scale": np.ones(2), "w": np.array([[1.0, 0.5]]), "u": np.array([[0.2, -0.1]]),
                "b": np.array([0.1])},
               {"loc": "strict", "scale": "positive", "w": "matrix", "u": "matrix", "b": "strict"}),
        Target("PlanarFlow.initial", lambda dim, n_layers, rng, spread: PlanarFlow.initial(dim, n_layers, rng,
                                                                                          spread=spread),
               {"dim": 2, "n_layers": 2, "rng": 0, "spread": 0.1},
               {"dim": "count1", "n_layers": "count", "rng": "rng", "spread": "positive"}),
        Target("PlanarFlow.log_prob", FLOW.log_prob, {"z": eps}, {"z": "points"}),
        Target("PlanarFlow.rsample", FLOW.rsample, {"n": 3, "rng": 0}, {"n": "count", "rng": "rng"}),
        Target("PlanarFlow.sample", FLOW.sample, {"n": 3, "rng": 0}, {"n": "count", "rng": "rng"}),
        Target("PlanarFlow.transform", FLOW.transform, {"eps": eps}, {"eps": "points"}),
        Target("PlanarFlow.log_det_jacobian", FLOW.log_det_jacobian, {"eps": eps}, {"eps": "points"}),
        Target("PlanarFlow.log_prob_of_noise", FLOW.log_prob_of_noise, {"eps": eps}, {"eps": "points"}),
        Target("PlanarFlow.transform_vjp", FLOW.transform_vjp, {"eps": eps, "cotangent": np.ones((2, 2))},
               {"eps": "strict", "cotangent": "strict"}),
        Target("PlanarFlow.log_det_jacobian_grad", FLOW.log_det_jacobian_grad, {"eps": eps}, {"eps": "points"}),
    ]


X_MIXTURE = np.array([[0.0, 0.1], [0.2, -0.1], [3.0, 3.1], [2.9, 3.2], [0.1, 0.0], [3.1, 2.8]])


def _cavi_and_em_targets():
    def unit(X, n_components, prior_variance, tol, max_iter, responsibilities_init, rng):
        return UnitVarianceMixtureCAVI(n_components, prior_variance=prior_variance, tol=tol, max_iter=max_iter,
                                       responsibilities_init=responsibilities_init, rng=rng).fit(X)

    def bayesian(X, n_components, covariance_type, tol, reg_covar, max_iter, n_init, weight_concentration_prior,
                 mean_precision_prior, rng):
        return BayesianGaussianMixtureCAVI(
            n_components, covariance_type=covariance_type, tol=tol, reg_covar=reg_covar, max_iter=max_iter,
            n_init=n_init, weight_concentration_prior=weight_concentration_prior,
            mean_precision_prior=mean_precision_prior, rng=rng).fit(X)

    def em(X, n_components, covariance_type, tol, reg_covar, max_iter, n_init, rng, warm_start):
        return GaussianMixtureEM(n_components, covariance_type=covariance_type, tol=tol, reg_covar=reg_covar,
                                 max_iter=max_iter, n_init=n_init, rng=rng, warm_start=warm_start).fit(X)

    fitted = GaussianMixtureEM(2, rng=0).fit(X_MIXTURE)
    return [
        Target("UnitVarianceMixtureCAVI.fit", unit,
               {"X": X_MIXTURE, "n_components": 2, "prior_variance": 1.0, "tol": 1e-6, "max_iter": 5,
                "responsibilities_init": None, "rng": 0},
               {"X": "matrix", "n_components": "count1", "prior_variance": "positive", "tol": "tolerance",
                "max_iter": "count", "responsibilities_init": "responsibilities", "rng": "rng"}),
        Target("exact_log_evidence", exact_log_evidence,
               {"X": X_MIXTURE[:4], "n_components": 2, "prior_variance": 1.0},
               {"X": "matrix", "n_components": "count1", "prior_variance": "positive"}),
        Target("BayesianGaussianMixtureCAVI.fit", bayesian,
               {"X": X_MIXTURE, "n_components": 2, "covariance_type": "full", "tol": 1e-3, "reg_covar": 1e-6,
                "max_iter": 5, "n_init": 1, "weight_concentration_prior": None, "mean_precision_prior": None,
                "rng": 0},
               {"X": "matrix", "n_components": "count1", "covariance_type": "covariance_type", "tol": "tolerance",
                "reg_covar": "tolerance", "max_iter": "count", "n_init": "count1",
                "weight_concentration_prior": "step", "mean_precision_prior": "step", "rng": "rng"}),
        Target("GaussianMixtureEM.fit", em,
               {"X": X_MIXTURE, "n_components": 2, "covariance_type": "full", "tol": 1e-3, "reg_covar": 1e-6,
                "max_iter": 5, "n_init": 1, "rng": 0, "warm_start": False},
               {"X": "matrix", "n_components": "count1", "covariance_type": "covariance_type", "tol": "tolerance",
                "reg_covar": "tolerance", "max_iter": "count", "n_init": "count1", "rng": "rng",
                "warm_start": "flag"}),
        Target("GaussianMixtureEM.predict_proba", fitted.predict_proba, {"X": X_MIXTURE}, {"X": "matrix"}),
        Target("GaussianMixtureEM.score_samples", fitted.score_samples, {"X": X_MIXTURE}, {"X": "matrix"}),
        Target("GaussianMixtureEM.sample", fitted.sample, {"n_samples": 3, "rng": 0},
               {"n_samples": "count1", "rng": "rng"}),
    ]


def _fitted_estimator_targets():
    """The methods of fitted mixture estimators and the models' remaining draws."""
    em = GaussianMixtureEM(2, rng=0).fit(X_MIXTURE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few iterations: enough for a fitted object
        bayesian = BayesianGaussianMixtureCAVI(2, max_iter=3, rng=0).fit(X_MIXTURE)
    targets = [
        Target("GammaPoisson.sample(n_observations)",
               lambda n, n_observations: GAMMA_POISSON.sample(n, 0, n_observations=n_observations),
               {"n": 2, "n_observations": 3}, {"n": "count", "n_observations": "count1"}),
        Target("BayesianGaussianMixtureCAVI.sample", bayesian.sample, {"n_samples": 3, "rng": 0},
               {"n_samples": "count1", "rng": "rng"}),
    ]
    for label, fitted, methods in (("GaussianMixtureEM", em, ("predict", "score", "bic", "aic")),
                                   ("BayesianGaussianMixtureCAVI", bayesian,
                                    ("predict", "predict_proba", "score_samples", "score"))):
        targets += [Target(f"{label}.{method}", getattr(fitted, method), {"X": X_MIXTURE}, {"X": "matrix"})
                    for method in methods]
    return targets


def rows(rng, valid):
    """Row indices of a data set (N = 4 rows here)."""
    return ["0", 1.5, np.array([0.5, 1.0]), np.array([True, False]), np.array([0, 7]), np.array([-9]),
            np.zeros((1, 2), dtype=int), np.array([], dtype=int)]


def label(rng, valid):
    """A component label 0 ≤ z < K."""
    return [None, "0", 0.5, -1, 7, True, np.nan]


def responsibilities(rng, valid):
    """An optional (N, K) matrix of rows on the simplex (None: drawn with rng)."""
    row = np.array([0.4, 0.6])
    return [v for v in real_array(rng, np.tile(row, (6, 1))) if v is not None] + [np.tile(row, (5, 1)), np.tile([1.4, -0.4], (6, 1)),
                                                   np.tile([0.5, 0.6], (6, 1)), row]


def baseline(rng, valid):
    return ["nope", np.nan, np.inf, {"loc": np.nan}, {"nope": 1.0}, object(), np.array([1.0, 2.0, 3.0])]


def non_negative(rng, valid):
    """A finite real ≥ 0."""
    return [v for v in positive(rng, valid) if not (np.ndim(v) == 0 and v == 0.0)]


def axis(rng, valid):
    """An axis of a 2-D array: an integer in [−2, 2)."""
    return [2, -3, 1.5, "0", True, None, np.array([0])]


KINDS["non_negative"] = non_negative
KINDS["axis"] = axis
KINDS["optional_function"] = lambda rng, valid: [v for v in function(rng, valid) if v is not None]
KINDS["optional_count1"] = lambda rng, valid: [v for v in count_at_least_one(rng, valid) if v is not None]
KINDS["index1"] = lambda rng, valid: index(rng, valid) + [0]  # an integer ≥ 1 that sizes nothing
KINDS["optional_index1"] = lambda rng, valid: [v for v in KINDS["index1"](rng, valid) if v is not None]
KINDS["axis2"] = lambda rng, valid: [v for v in axis(rng, valid) if v is not None]  # None: every axis
KINDS["rows"] = rows
KINDS["label"] = label
KINDS["responsibilities"] = responsibilities
KINDS["baseline"] = baseline
KINDS["elbo_estimator"] = choice(("reparameterization", "score_function", "path_derivative"))
KINDS["method"] = choice(("central", "richardson", "complex"))
KINDS["covariance_type"] = choice(("full", "tied", "diag", "spherical"))
KINDS["optimizer"] = choice(("lbfgs", "gradient_ascent"))

TARGETS = (
    _family_targets()
    + _kl_targets()
    + _numerics_targets()
    + _gradcheck_targets()
    + _likelihood_targets()
    + _model_targets()
    + _elbo_targets()
    + _learning_targets()
    + _estimator_targets()
    + _log_joint_grad_targets()
    + _vi_targets()
    + _flow_targets()
    + _cavi_and_em_targets()
    + _fitted_estimator_targets()
)


# ---------------------------------------------------------------------------
# The fuzzer
# ---------------------------------------------------------------------------


def bad_inputs(rng, targets=TARGETS, rounds=3):
    """Yield (target, argument, bad value): every kind's bad values for every
    spoilable argument of every target, ``rounds`` times with fresh random draws."""
    for _ in range(rounds):
        for target in targets:
            for argument, kind in target.kinds.items():
                for value in KINDS[kind](rng, target.arguments[argument]):
                    yield target, argument, value


def outcome(target, argument, value):
    """None if the call refused ``value`` properly, else a description of the fault."""
    arguments = {**target.arguments, argument: value}
    names = target.names.get(argument, (argument,))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = target.call(**arguments)
            if hasattr(result, "__next__"):  # a lazy sequence refuses when asked
                next(result, None)
    except (TypeError, ValueError) as error:
        message = str(error)
        if any(re.search(rf"(?<![A-Za-z_]){re.escape(name)}(?![A-Za-z_])", message) for name in names):
            return None
        return f"{type(error).__name__} not naming {argument!r}: {message}"
    except Exception as error:  # noqa: BLE001 - anything else is the fault under test
        return f"{type(error).__name__}: {error}"
    return f"returned {type(result).__name__} instead of refusing"


def _describe(value):
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


def test_fuzz_every_bad_input_is_refused_by_name(capsys):
    rng = np.random.default_rng(SEED)
    start = time.perf_counter()
    count, faults = 0, []
    for target, argument, value in bad_inputs(rng):
        count += 1
        fault = outcome(target, argument, value)
        if fault is not None:
            faults.append(f"{target.name}({argument}={_describe(value)}): {fault}")
    elapsed = time.perf_counter() - start
    with capsys.disabled():
        print(f"\nfuzz: {count} bad inputs over {len(TARGETS)} targets in {elapsed:.1f} s; {len(faults)} mishandled")
    assert count >= MINIMUM_INPUTS
    assert not faults, f"{len(faults)} of {count} mishandled:\n" + "\n".join(sorted(set(faults))[:60])
    assert elapsed < TIME_BUDGET


@pytest.mark.filterwarnings("ignore::vi_ref.em.ConvergenceWarning")  # the valid calls stop after a few iterations
def test_every_target_accepts_its_valid_call():
    """The fuzzer's valid calls are valid, so each refusal is due to the spoiled argument."""
    for target in TARGETS:
        result = target.call(**target.arguments)
        if hasattr(result, "__next__"):
            next(result, None)


def test_the_fuzzer_counts_a_mishandled_input():
    def careless(x):
        return np.asarray(x, dtype=float)[0]  # IndexError for a 0-d x, NaN passed through

    target = Target("careless", careless, {"x": [1.0]}, {"x": "real"})
    faults = [outcome(t, a, v) for t, a, v in bad_inputs(np.random.default_rng(0), [target], rounds=1)]
    assert sum(fault is not None for fault in faults) > 0


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_is_used_by_some_target(kind):
    assert any(kind in target.kinds.values() for target in TARGETS)
