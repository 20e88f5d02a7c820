"""Latent variable models p(z) p(x | z) with their exact evidence and posterior.

Each model has ``log_prior(z)``, ``log_likelihood(x, z)``, ``log_joint(x, z)``,
``sample(n, rng) -> (x, z)``, ``log_marginal(x)`` and ``posterior(x)``.
"""

from .gaussian_mixture import GaussianMixture
from .linear_gaussian import LinearGaussian
from .gamma_poisson import GammaPoisson
from .evidence import log_marginal_candidate, log_marginal_monte_carlo

__all__ = ["GaussianMixture"]
__all__ += ["LinearGaussian", "GammaPoisson", "log_marginal_monte_carlo", "log_marginal_candidate"]
