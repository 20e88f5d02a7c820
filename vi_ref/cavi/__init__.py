"""Coordinate-ascent mean-field variational inference (CAVI).

With a mean-field family q(Z) = Πⱼ qⱼ(zⱼ), the ELBO as a function of one factor qⱼ,
the others held fixed, is −KL(qⱼ ‖ q̃ⱼ) + const with

    log q̃ⱼ(zⱼ) = E_{q₋ⱼ}[log p(x, Z)] + const,

so the best qⱼ is q̃ⱼ itself, in closed form for conditionally conjugate models, and
cycling through the factors is coordinate ascent: the ELBO never decreases
(Blei, Kucukelbir & McAuliffe 2017, §2.4 and §3; Bishop, PRML §10.1.1 and §10.2).

- ``UnitVarianceMixtureCAVI``: the worked example of Blei et al. §3, a mixture of
  unit-variance Gaussians with a Normal prior on the means (q(μₖ) Normal, q(cᵢ)
  Categorical), and ``exact_log_evidence``, its log p(x) by enumerating all Kᴺ
  assignments (the oracle for ELBO ≤ log p(x) on small data sets).
- ``BayesianGaussianMixtureCAVI``: the model of Bishop §10.2 (Dirichlet or
  Dirichlet-process weights, Normal–Wishart means and precisions, four covariance
  types), with scikit-learn's ``BayesianGaussianMixture`` names and meanings.

Both record the ELBO, in closed form, after every coordinate update. Derivation:
``derivations/07-coordinate-ascent-variational-inference.md``.
"""

from . import bayesian_mixture, unit_variance_mixture
from .bayesian_mixture import (
    WEIGHT_CONCENTRATION_PRIOR_TYPES,
    BayesianGaussianMixtureCAVI,
    GaussianWishartPrior,
    VariationalParameters,
    bayesian_mixture_elbo,
    expected_log_likelihood,
    expected_log_weights,
)
from .unit_variance_mixture import UnitVarianceMixtureCAVI, exact_log_evidence, unit_variance_mixture_elbo

__all__ = bayesian_mixture.__all__ + unit_variance_mixture.__all__
