"""Registry entries for the hand-written log-likelihood gradients of ``vi_ref.likelihoods``."""

import numpy as np

from .. import likelihoods
from ..gradcheck import GradientCase, GradientProblem
from . import gradient_name


def _logistic_problem(rng):
    X = rng.standard_normal((30, 4))
    y = (rng.uniform(size=30) < 0.5).astype(float)
    return GradientProblem(
        value=lambda weights: float(likelihoods.logistic_regression_log_likelihood(weights, X, y)),
        gradient=lambda weights: likelihoods.logistic_regression_log_likelihood_grad(weights, X, y),
        inputs={"weights": rng.standard_normal(4)},
    )


def _gmm_problem(rng):
    X = rng.standard_normal((25, 2))
    return GradientProblem(
        value=lambda **p: float(likelihoods.isotropic_gmm_log_likelihood(X, **p)),
        gradient=lambda **p: likelihoods.isotropic_gmm_log_likelihood_grad(X, **p),
        inputs={
            "logits": rng.standard_normal(3),
            "means": rng.standard_normal((3, 2)),
            "log_scales": 0.3 * rng.standard_normal(3),
        },
    )


def _logistic_saturated_problem(rng):
    # logits beyond ±40, where σ(z) and 1 − σ(z) round to 1 and 0 (from |z| ≈ 36.7) and
    # the softplus to z: four rows are moved along w until xᵀw = ±(41..50), each sign
    # under both labels (a row whose label disagrees contributes ∓x exactly). The
    # other 26 rows are 10·N(0, I), with logits of typical size 10‖w‖ ≈ 20.
    weights = rng.standard_normal(4)
    X = 10.0 * rng.standard_normal((30, 4))
    y = (rng.uniform(size=30) < 0.5).astype(float)
    saturated_logits = np.array([1.0, 1.0, -1.0, -1.0]) * rng.uniform(41.0, 50.0, 4)
    X[:4] += np.outer(saturated_logits - X[:4] @ weights, weights) / (weights @ weights)
    y[:4] = [1.0, 0.0, 1.0, 0.0]
    return GradientProblem(
        value=lambda weights: float(likelihoods.logistic_regression_log_likelihood(weights, X, y)),
        gradient=lambda weights: likelihoods.logistic_regression_log_likelihood_grad(weights, X, y),
        inputs={"weights": weights},
    )


def _gmm_tied_far_problem(rng):
    # two components with equal means and scales (tied responsibilities), a third far
    # away, data away from the origin: the responsibilities saturate to 0 and 1
    X = 10.0 + rng.standard_normal((25, 2))
    mean = 10.0 + rng.standard_normal(2)
    return GradientProblem(
        value=lambda **p: float(likelihoods.isotropic_gmm_log_likelihood(X, **p)),
        gradient=lambda **p: likelihoods.isotropic_gmm_log_likelihood_grad(X, **p),
        inputs={
            "logits": np.array([0.2, 0.2, -1.0]),
            "means": np.stack([mean, mean, mean + 40.0]),
            "log_scales": np.array([0.1, 0.1, 0.0]),
        },
    )


CASES = [
    GradientCase(
        "likelihoods.logistic_regression_log_likelihood_grad",
        (gradient_name(likelihoods.logistic_regression_log_likelihood_grad),),
        _logistic_problem,
    ),
    GradientCase(
        "likelihoods.isotropic_gmm_log_likelihood_grad",
        (gradient_name(likelihoods.isotropic_gmm_log_likelihood_grad),),
        _gmm_problem,
    ),
    GradientCase(
        "likelihoods.logistic_regression_log_likelihood_grad-saturated",
        (gradient_name(likelihoods.logistic_regression_log_likelihood_grad),),
        _logistic_saturated_problem,
    ),
    GradientCase(
        "likelihoods.isotropic_gmm_log_likelihood_grad-tied-and-far",
        (gradient_name(likelihoods.isotropic_gmm_log_likelihood_grad),),
        _gmm_tied_far_problem,
    ),
]
