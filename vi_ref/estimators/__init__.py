"""Monte Carlo gradients of expectations under q: the score-function and the
reparameterisation (pathwise) estimators, their baselines, and the ELBO-gradient
estimators built on them (derivation ``derivations/05-monte-carlo-gradients-of-the-elbo.md``).

- ``score_function_gradient(f, q, n, rng=None, *, baseline=None)``
- ``reparameterization_gradient(f, q, n, rng=None, *, f_grad=None)``
- ``elbo_gradient(model, q, x, n, rng=None, *, estimator="reparameterization", baseline=None)``
- ``iwae_gradient(model, q, x, k, n, rng=None)``: the reparameterised gradient of the
  importance-weighted bound ``vi_ref.elbo.iwae_bound``.
- ``mean_and_standard_error(terms)``: the estimate and its standard error.
- ``vi_ref.estimators.suite``: problems with exact gradients and exact per-sample
  variances of every estimator (shared by the tests, the tour and the benchmark).

Every estimator returns per-sample terms (a leading axis of length n), whose mean is
the estimate, so that variances are measured from the same call.
"""

from .generic import (
    BASELINES,
    mean_and_standard_error,
    reparameterization_gradient,
    score_function_gradient,
)
from .elbo_gradients import ELBO_ESTIMATORS, elbo_gradient, iwae_gradient

__all__ = [
    "score_function_gradient",
    "reparameterization_gradient",
    "elbo_gradient",
    "iwae_gradient",
    "mean_and_standard_error",
    "BASELINES",
    "ELBO_ESTIMATORS",
]
