"""Registry entry for ``vi_ref.elbo.dataset_elbo_grad``: the gradient of the mean-field
dataset ELBO (1/N) Σᵢ ELBO(xᵢ, qᵢ), through the public ``dataset_elbo``."""

import numpy as np

from .. import elbo
from ..distributions import MultivariateNormal
from ..gradcheck import GradientCase, GradientProblem
from ..models import LinearGaussian
from . import gradient_name
from .models import lower_factor


def _dataset_problem(rng):
    n, d, l = 5, 3, 2
    X = rng.standard_normal((n, d))

    def split(W, b, noise_var, loc, scale_tril):
        return LinearGaussian(W, b, noise_var), MultivariateNormal(loc, scale_tril=np.tril(scale_tril))

    def gradient(**params):
        grads_theta, grads_phi = elbo.dataset_elbo_grad(*split(**params), X)
        return {**grads_theta, **grads_phi}

    return GradientProblem(
        value=lambda **params: elbo.dataset_elbo(*split(**params), X),
        gradient=gradient,
        inputs={
            "W": rng.standard_normal((d, l)),
            "b": rng.standard_normal(d),
            "noise_var": rng.uniform(0.5, 2.0),
            "loc": rng.standard_normal((n, l)),
            "scale_tril": lower_factor(rng, l, (n,)),
        },
    )


CASES = [
    GradientCase(
        f"{gradient_name(elbo.dataset_elbo_grad)}[LinearGaussian, mean-field MultivariateNormal]",
        (gradient_name(elbo.dataset_elbo_grad),),
        _dataset_problem,
    ),
]
