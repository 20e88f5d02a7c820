"""Registry entries for the hand-written ELBO gradients of ``vi_ref.models``:
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

from ..distributions import Categorical, MultivariateNormal, Normal
from ..gradcheck import GradientCase, GradientProblem
from ..models import GaussianMixture, LinearGaussian
from . import gradient_name


def lower_factor(rng, size, batch=()):
    """A Cholesky factor with diagonal in [1, 2] and small off-diagonal entries."""
    factor = np.tril(0.4 * rng.standard_normal(batch + (size, size)), k=-1)
    return factor + np.eye(size) * rng.uniform(1.0, 2.0, batch + (size,))[..., None, :]


def _elbo_problem(x, make_model, make_q, inputs, model_names):
    """GradientProblem for Σₙ ELBO with the model built from ``inputs[model_names]``
    and q from the rest."""

    def split(params):
        model = make_model(**{name: params[name] for name in model_names})
        q = make_q(**{name: value for name, value in params.items() if name not in model_names})
        return model, q

    def value(**params):
        model, q = split(params)
        return float(np.sum(model.elbo(x, q)))

    def gradient(**params):
        model, q = split(params)
        grads_theta, grads_phi = model.elbo_grad(x, q)
        return {**grads_theta, **grads_phi}

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
]
