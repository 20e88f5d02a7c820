"""Registry entries for the hand-written gradients of ``vi_ref.models``: the
per-sample ``log_joint_grad`` of every model (see the end of this module), and the
hand-written ELBO gradients:
``LinearGaussian.elbo_grad`` (MultivariateNormal and diagonal Normal q, isotropic and
diagonal noise, one q per data point or one shared q) and ``GaussianMixture.elbo_grad``
(every covariance type, q given by probs or by logits).

Each value is Σₙ ELBO(xₙ, qₙ) through the model's public ``elbo`` method, evaluated at
the perturbed parameters. Where a parameter is constrained, the value reads it as the
gradient documents: scale_tril by its lower triangle, weights and q's probs as w/Σw,
full and tied covariances by their symmetric part (Σ + Σᵀ)/2.
"""

from functools import partial

import numpy as np

from .. import autodiff as ad
from ..distributions import Categorical, Gamma, LogNormal, MultivariateNormal, Normal
from ..gradcheck import GradientCase, GradientProblem
from ..models import GammaPoisson, GaussianMixture, LinearGaussian
from ..models.gamma_poisson import gamma_poisson_log_joint
from ..models.gaussian_mixture import gaussian_mixture_log_joint
from ..models.linear_gaussian import linear_gaussian_log_likelihood, linear_gaussian_log_prior
from . import gradient_name


def lower_factor(rng, size, batch=()):
    """A Cholesky factor with diagonal in [1, 2] and small off-diagonal entries."""
    factor = np.tril(0.4 * rng.standard_normal(batch + (size, size)), k=-1)
    return factor + np.eye(size) * rng.uniform(1.0, 2.0, batch + (size,))[..., None, :]


def _elbo_problem(x, make_model, make_q, inputs, model_names, q_prefix=""):
    """GradientProblem for Σₙ ELBO with the model built from ``inputs[model_names]``
    and q from the rest, whose names carry ``q_prefix`` (needed where q's parameters
    have the model's names, as a Gamma q of the Gamma–Poisson model)."""

    def split(params):
        model = make_model(**{name: params[name] for name in model_names})
        q = make_q(**{name.removeprefix(q_prefix): value
                      for name, value in params.items() if name not in model_names})
        return model, q

    def value(**params):
        model, q = split(params)
        return float(np.sum(model.elbo(x, q)))

    def gradient(**params):
        model, q = split(params)
        grads_theta, grads_phi = model.elbo_grad(x, q)
        return {**grads_theta, **{q_prefix + name: g for name, g in grads_phi.items()}}

    return GradientProblem(value, gradient, inputs)


# ----- LinearGaussian -----------------------------------------------------------

LINEAR_GAUSSIAN = ("W", "b", "noise_var")


def _linear_gaussian_mvn(rng, *, shared):
    """MultivariateNormal q: one qₙ per data point with diagonal (factor-analysis)
    noise, or (``shared``) one q for all data points with isotropic (PPCA) noise."""
    n, d, l = (4, 3, 2) if shared else (3, 4, 2)
    per_point = () if shared else (n,)
    inputs = {
        "W": rng.standard_normal((d, l)),
        "b": rng.standard_normal(d),
        "noise_var": rng.uniform(0.5, 2.0) if shared else rng.uniform(0.5, 2.0, d),
        "loc": rng.standard_normal(per_point + (l,)),
        "scale_tril": lower_factor(rng, l, per_point),
    }
    return _elbo_problem(
        rng.standard_normal((n, d)),
        LinearGaussian,
        lambda loc, scale_tril: MultivariateNormal(loc, scale_tril=np.tril(scale_tril)),
        inputs,
        LINEAR_GAUSSIAN,
    )


def _linear_gaussian_diagonal(rng):
    """Diagonal Normal qₙ: per-point means, one scale vector broadcast over the points."""
    n, d, l = 3, 4, 3
    inputs = {
        "W": rng.standard_normal((d, l)),
        "b": rng.standard_normal(d),
        "noise_var": rng.uniform(0.5, 2.0),
        "loc": rng.standard_normal((n, l)),
        "scale": rng.uniform(0.5, 2.0, l),
    }
    return _elbo_problem(rng.standard_normal((n, d)), LinearGaussian, Normal, inputs, LINEAR_GAUSSIAN)


# ----- GaussianMixture ------------------------------------------------------------

MIXTURE = ("weights", "means", "covariances")
COVARIANCE_TYPES_ORDER = ("full", "tied", "diag", "spherical")


def _covariances(rng, covariance_type, k, d):
    if covariance_type in ("full", "tied"):
        batch = (k,) if covariance_type == "full" else ()
        factor = rng.standard_normal(batch + (d, d))
        return factor @ np.swapaxes(factor, -1, -2) + d * np.eye(d)
    return rng.uniform(1.0, 2.0, (k, d) if covariance_type == "diag" else (k,))


def _mixture_problem(covariance_type, q_parameter, q_batch=(4,)):
    """The summed ELBO of 4 data points x and a q of batch ``q_batch``: one q per
    point (4,), one shared q (), or (2, 4), against which x broadcasts (8 ELBOs)."""

    def build(rng):
        n, k, d = 4, 3, 2
        symmetric = covariance_type in ("full", "tied")

        def make_model(weights, means, covariances):
            if symmetric:
                covariances = (covariances + np.swapaxes(covariances, -1, -2)) / 2
            return GaussianMixture(weights / np.sum(weights), means, covariances,
                                   covariance_type=covariance_type)

        def make_q(**params):
            if q_parameter == "probs":
                probs = params["probs"]
                return Categorical(probs=probs / np.sum(probs, axis=-1, keepdims=True))
            return Categorical(logits=params["logits"])

        # probabilities drawn well inside the simplex: the finite-difference steps stay in it
        probs = rng.uniform(1.0, 2.0, q_batch + (k,))
        weights = rng.uniform(1.0, 2.0, k)
        inputs = {
            "weights": weights / weights.sum(),
            "means": rng.standard_normal((k, d)),
            "covariances": _covariances(rng, covariance_type, k, d),
            q_parameter: (probs / probs.sum(axis=-1, keepdims=True) if q_parameter == "probs"
                          else rng.standard_normal(q_batch + (k,))),
        }
        return _elbo_problem(1.5 * rng.standard_normal((n, d)), make_model, make_q, inputs, MIXTURE)

    return build


# ----- GammaPoisson ---------------------------------------------------------------

GAMMA_POISSON = ("concentration", "rate")


def _gamma_poisson_problem(family):
    """Σ ELBO over 3 data sets of 4 counts each, one q per data set (a LogNormal with
    a shared scale, or a Gamma)."""

    def build(rng):
        x = rng.poisson(3.0, (3, 4)).astype(float)
        if family == "LogNormal":
            q_inputs = {"loc": rng.normal(1.0, 0.3, 3), "scale": rng.uniform(0.2, 0.6)}
        else:
            q_inputs = {"concentration": rng.uniform(2.0, 8.0, 3), "rate": rng.uniform(1.0, 3.0, 3)}
        make_q = LogNormal if family == "LogNormal" else Gamma
        inputs = {"concentration": rng.uniform(0.5, 3.0), "rate": rng.uniform(0.5, 2.0),
                  **{"q_" + name: value for name, value in q_inputs.items()}}
        return _elbo_problem(x, GammaPoisson, make_q, inputs, GAMMA_POISSON, q_prefix="q_")

    return build


# ----- log_joint_grad: per-sample gradients of log p(x, z), contracted with weights

def _log_joint_problem(x, z, make_model, formula, inputs, continuous):
    """Σₛ wₛ log p(x, zₛ) as a function of the model parameters (and of z when it is
    continuous), through the module-level formula written with ``vi_ref.autodiff``
    (so ``tests/test_models.py`` differentiates it automatically too); the gradient is
    ``log_joint_grad`` contracted with the same weights."""
    model = make_model(**inputs)
    weights = np.random.default_rng(7).standard_normal(np.shape(model.log_joint(x, z)))
    if continuous:
        inputs = {"z": z, **inputs}

    def value(**arrays):
        latent = arrays.pop("z", z)
        return ad.sum(weights * formula(x, latent, **arrays))

    def gradient(**arrays):
        latent = arrays.pop("z", z)
        per_sample = make_model(**arrays).log_joint_grad(x, latent)
        # θ is shared by every pair: its weighted gradients are summed; z is per pair
        contracted = {name: np.tensordot(weights, per_sample[name], axes=weights.ndim)
                      for name in inputs if name != "z"}
        if "z" in inputs:
            contracted["z"] = weights.reshape(per_sample["z"].shape[: weights.ndim] + (1,) * (
                per_sample["z"].ndim - weights.ndim)) * per_sample["z"]
        return contracted

    return GradientProblem(value, gradient, inputs)


def _linear_gaussian_log_joint(rng, *, isotropic):
    d, l = 4, 2
    inputs = {
        "W": rng.standard_normal((d, l)),
        "b": rng.standard_normal(d),
        "noise_var": rng.uniform(0.5, 2.0) if isotropic else rng.uniform(0.5, 2.0, d),
    }

    def formula(x, z, W, b, noise_var):
        return linear_gaussian_log_prior(z) + linear_gaussian_log_likelihood(x, z, W, b, noise_var)

    # samples (5, 3, L) against 3 data points (3, D): the batch broadcasts
    z = 2.0 * rng.standard_normal((5, 3, l))
    return _log_joint_problem(rng.standard_normal((3, d)), z, LinearGaussian, formula, inputs, True)


def _gamma_poisson_log_joint(rng):
    inputs = {"concentration": rng.uniform(0.5, 3.0), "rate": rng.uniform(0.5, 2.0)}
    # rates from tiny to large, 2 data sets of 3 counts (zeros included)
    z = np.exp(rng.uniform(-3.0, 3.0, (5, 2)))
    x = np.array([[0.0, 0.0, 1.0], [4.0, 7.0, 2.0]])
    return _log_joint_problem(x, z, GammaPoisson, gamma_poisson_log_joint, inputs, True)


def _mixture_log_joint(covariance_type):
    def build(rng):
        k, d = 3, 2
        weights = rng.uniform(1.0, 2.0, k)
        inputs = {
            "weights": weights / weights.sum(),
            "means": rng.standard_normal((k, d)),
            "covariances": _covariances(rng, covariance_type, k, d),
        }

        def make_model(weights, means, covariances):
            if covariance_type in ("full", "tied"):
                covariances = (covariances + np.swapaxes(covariances, -1, -2)) / 2
            return GaussianMixture(weights / np.sum(weights), means, covariances,
                                   covariance_type=covariance_type)

        def formula(x, z, weights, means, covariances):
            return gaussian_mixture_log_joint(x, z, weights, means, covariances, covariance_type)

        z = rng.integers(0, k, (6, 4))  # 6 samples of labels for 4 points
        return _log_joint_problem(rng.standard_normal((4, d)), z, make_model, formula, inputs, False)

    return build


_LOG_JOINT_GRADS = {
    "LinearGaussian": gradient_name(LinearGaussian.log_joint_grad),
    "GammaPoisson": gradient_name(GammaPoisson.log_joint_grad),
    "GaussianMixture": gradient_name(GaussianMixture.log_joint_grad),
}
_GAMMA_POISSON_GRAD = gradient_name(GammaPoisson.elbo_grad)

LOG_JOINT_CASES = [
    GradientCase(f"{_LOG_JOINT_GRADS['LinearGaussian']}[diagonal noise, samples against points]",
                 (_LOG_JOINT_GRADS["LinearGaussian"],), partial(_linear_gaussian_log_joint, isotropic=False)),
    GradientCase(f"{_LOG_JOINT_GRADS['LinearGaussian']}[isotropic noise]",
                 (_LOG_JOINT_GRADS["LinearGaussian"],), partial(_linear_gaussian_log_joint, isotropic=True)),
    GradientCase(f"{_LOG_JOINT_GRADS['GammaPoisson']}[rates e^-3..e^3, zero counts]",
                 (_LOG_JOINT_GRADS["GammaPoisson"],), _gamma_poisson_log_joint),
] + [
    GradientCase(f"{_LOG_JOINT_GRADS['GaussianMixture']}[{covariance_type}]",
                 (_LOG_JOINT_GRADS["GaussianMixture"],), _mixture_log_joint(covariance_type))
    for covariance_type in COVARIANCE_TYPES_ORDER
]

_LINEAR_GAUSSIAN_GRAD = gradient_name(LinearGaussian.elbo_grad)
_MIXTURE_GRAD = gradient_name(GaussianMixture.elbo_grad)

CASES = [
    GradientCase(f"{_LINEAR_GAUSSIAN_GRAD}[MultivariateNormal q per point, diagonal noise]",
                 (_LINEAR_GAUSSIAN_GRAD,), partial(_linear_gaussian_mvn, shared=False)),
    GradientCase(f"{_LINEAR_GAUSSIAN_GRAD}[shared MultivariateNormal q, isotropic noise]",
                 (_LINEAR_GAUSSIAN_GRAD,), partial(_linear_gaussian_mvn, shared=True)),
    GradientCase(f"{_LINEAR_GAUSSIAN_GRAD}[diagonal Normal q, broadcast scale]",
                 (_LINEAR_GAUSSIAN_GRAD,), _linear_gaussian_diagonal),
    GradientCase(f"{_MIXTURE_GRAD}[full, probs]", (_MIXTURE_GRAD,),
                 _mixture_problem("full", "probs")),
    GradientCase(f"{_MIXTURE_GRAD}[tied, logits]", (_MIXTURE_GRAD,),
                 _mixture_problem("tied", "logits")),
    GradientCase(f"{_MIXTURE_GRAD}[diag, shared probs]", (_MIXTURE_GRAD,),
                 _mixture_problem("diag", "probs", q_batch=())),
    GradientCase(f"{_MIXTURE_GRAD}[full, logits of batch (2, 4) against 4 points]",
                 (_MIXTURE_GRAD,), _mixture_problem("full", "logits", q_batch=(2, 4))),
    GradientCase(f"{_MIXTURE_GRAD}[spherical, logits]", (_MIXTURE_GRAD,),
                 _mixture_problem("spherical", "logits")),
    GradientCase(f"{_GAMMA_POISSON_GRAD}[LogNormal q per data set, shared scale]", (_GAMMA_POISSON_GRAD,),
                 _gamma_poisson_problem("LogNormal")),
    GradientCase(f"{_GAMMA_POISSON_GRAD}[Gamma q per data set]", (_GAMMA_POISSON_GRAD,),
                 _gamma_poisson_problem("Gamma")),
] + LOG_JOINT_CASES
