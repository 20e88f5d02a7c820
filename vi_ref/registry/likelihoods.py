"""Registry entries for the hand-written log-likelihood gradients of ``vi_ref.likelihoods``."""

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
]
