"""A reported standard error is a formula too: it is checked against the spread of
many independent estimates, not used to grade its own estimate.

For each Monte Carlo estimator in ``ESTIMATORS``, R independent estimates (a batch of
R identical problems drawn in one call, or R seeds) give an empirical standard
deviation s_R of the estimate; the reported standard errors must average to it:

    0.8 ≤ mean(SE) / s_R ≤ 1.25.

With R = 400 the sample standard deviation has a relative standard error of about
1/√(2(R − 1)) ≈ 3.5 % for near-Gaussian estimates (the band is ±6 of them), so an SE
off by √2 (a lost factor, ddof) or √n (the spread of one draw, or of the sum) fails
while a correct one passes for any seed (swept over 30 seeds: ``-m slow``). Each
estimate must also be centred on the exact value within 5 empirical SEs of the mean.

To cover a new estimator (``iwae_bound``, ...), add an ``Estimator`` entry.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

from vi_ref.distributions import Categorical, Exponential, Gamma, LogNormal, MultivariateNormal, Normal
from vi_ref import vi
from vi_ref.autodiff import functions as ad
from vi_ref.elbo import dataset_elbo, elbo_monte_carlo, iwae_bound
from vi_ref.flows import PlanarFlow
from vi_ref.kl import kl_divergence, kl_monte_carlo
from vi_ref.models import GammaPoisson, LinearGaussian
from vi_ref.models.evidence import log_marginal_monte_carlo

REPLICATES = 400
LOWER, UPPER = 0.8, 1.25


@dataclass
class Estimator:
    """``run(seed) -> (estimates, standard_errors)``, R independent replicates each;
    ``exact`` the value they estimate (``None`` where the estimator is biased)."""

    name: str
    run: Callable
    exact: float = None


def _batched_kl(q_factory, p, n):
    """R independent estimates of KL(q ‖ p) in one call: q batched R times."""

    def run(seed):
        return kl_monte_carlo(q_factory(REPLICATES), p, n, rng=seed)

    return run


def _linear_gaussian():
    return LinearGaussian(np.array([[0.6, 0.1], [-0.3, 0.5], [0.2, 0.2]]), np.array([0.5, -0.2, 0.1]), 1.5)


def _elbo_run(seed):
    model = _linear_gaussian()
    x = np.tile([0.3, -0.1, 0.6], (REPLICATES, 1))
    q = MultivariateNormal(np.tile([0.2, -0.1], (REPLICATES, 1)), scale_tril=np.array([[0.7, 0.0], [0.2, 0.5]]))
    return elbo_monte_carlo(model, q, x, 30, rng=seed)


def _elbo_exact():
    q = MultivariateNormal(np.array([0.2, -0.1]), scale_tril=np.array([[0.7, 0.0], [0.2, 0.5]]))
    return float(_linear_gaussian().elbo(np.array([0.3, -0.1, 0.6]), q))


def _gamma_poisson_elbo_run(seed):
    model = GammaPoisson(2.0, 1.0)
    x = np.tile([1.0, 3.0, 2.0], (REPLICATES, 1))
    return elbo_monte_carlo(model, LogNormal(np.full(REPLICATES, 0.5), 0.4), x, 25, rng=seed)


def _log_marginal_run(seed):
    # the same prior draws serve every point of a batch, so replicates are seeds
    model = _linear_gaussian()
    seeds = np.random.SeedSequence(seed).spawn(REPLICATES)
    results = [log_marginal_monte_carlo(model, np.array([0.3, -0.1, 0.6]), 200, rng=np.random.default_rng(s))
               for s in seeds]
    return np.array([r[0] for r in results]), np.array([r[1] for r in results])


def _iwae_run(k):
    """R data points (the same x) in one call: each gets its own n groups of k draws,
    so the R per-point estimates are independent."""

    def run(seed):
        model = _linear_gaussian()
        x = np.tile([0.3, -0.1, 0.6], (REPLICATES, 1))
        q = MultivariateNormal(np.tile([0.2, -0.1], (REPLICATES, 1)), scale_tril=np.array([[0.7, 0.0], [0.2, 0.5]]))
        return iwae_bound(model, q, x, k, 30, rng=seed)

    return run


def _standard_normal_log_joint(z):
    return -0.5 * ad.sum(ad.square(z), axis=-1)


def _fit_start_run(q):
    """vi.fit's ELBO estimate at the start (trace[0] and its SE), over R seeds."""

    def run(seed):
        results = [vi.fit(_standard_normal_log_joint, q, steps=1, learning_rate=1e-3, elbo_samples=20,
                          rng=np.random.default_rng(s)) for s in np.random.SeedSequence(seed).spawn(REPLICATES)]
        return np.array([r.trace[0] for r in results]), np.array([r.trace_standard_error[0] for r in results])

    return run


def _fit_start_exact(q):
    """E_q[−½‖z‖²] + H(q) for a diagonal Normal q."""
    return float(-0.5 * np.sum(q.loc**2 + q.scale**2) + np.sum(q.entropy()))


FIT_Q = Normal(np.array([0.4, -0.3]), np.array([0.8, 1.3]))
DATASET_X = np.array([[0.3, -0.1, 0.6], [1.0, 0.2, -0.4], [-0.5, 0.7, 0.1]])
DATASET_Q = MultivariateNormal(np.array([[0.2, -0.1], [0.5, 0.3], [-0.2, 0.4]]),
                               scale_tril=np.tile([[0.7, 0.0], [0.2, 0.5]], (3, 1, 1)))


def _fit_dataset_start_run(seed):
    """fit_dataset's data-set ELBO estimate (1/N) Σᵢ ELBÔᵢ at the start, SE √(Σᵢ SEᵢ²)/N."""
    results = [vi.fit_dataset(_linear_gaussian(), DATASET_X, DATASET_Q, steps=1, learning_rate=1e-3, elbo_samples=10,
                              rng=np.random.default_rng(s)) for s in np.random.SeedSequence(seed).spawn(REPLICATES)]
    return np.array([r.trace[0] for r in results]), np.array([r.trace_standard_error[0] for r in results])


ESTIMATORS = [
    Estimator("kl_monte_carlo Normal||Normal",
              _batched_kl(lambda r: Normal(np.zeros(r), 1.3), Normal(0.5, 1.0), 40),
              float(kl_divergence(Normal(0.0, 1.3), Normal(0.5, 1.0)))),
    Estimator("kl_monte_carlo MultivariateNormal",
              _batched_kl(lambda r: MultivariateNormal(np.zeros((r, 2)), scale_tril=np.array([[1.0, 0.0], [0.5, 0.8]])),
                          MultivariateNormal(np.array([0.3, -0.2]), scale_tril=np.eye(2) * 1.2), 40),
              float(kl_divergence(MultivariateNormal(np.zeros(2), scale_tril=np.array([[1.0, 0.0], [0.5, 0.8]])),
                                  MultivariateNormal(np.array([0.3, -0.2]), scale_tril=np.eye(2) * 1.2)))),
    Estimator("kl_monte_carlo Gamma||Exponential",
              _batched_kl(lambda r: Gamma(np.full(r, 3.0), 2.0), Exponential(1.0), 50),
              float(kl_divergence(Gamma(3.0, 2.0), Exponential(1.0)))),
    Estimator("kl_monte_carlo Categorical",
              _batched_kl(lambda r: Categorical(probs=np.tile([0.2, 0.5, 0.3], (r, 1))),
                          Categorical(probs=[0.4, 0.4, 0.2]), 40),
              float(kl_divergence(Categorical(probs=[0.2, 0.5, 0.3]), Categorical(probs=[0.4, 0.4, 0.2])))),
    Estimator("elbo_monte_carlo LinearGaussian", _elbo_run, _elbo_exact()),
    Estimator("elbo_monte_carlo GammaPoisson",
              _gamma_poisson_elbo_run,
              float(GammaPoisson(2.0, 1.0).elbo(np.array([1.0, 3.0, 2.0]), LogNormal(0.5, 0.4)))),
    # log p̂ is biased low (Jensen) at O(1/n): no exact value to centre on
    Estimator("log_marginal_monte_carlo LinearGaussian", _log_marginal_run),
    # L_1 is the ELBO, so k = 1 is centred on the closed form; L_5 has no exact value here
    Estimator("iwae_bound k=1 LinearGaussian", _iwae_run(1), _elbo_exact()),
    Estimator("iwae_bound k=5 LinearGaussian", _iwae_run(5)),
    Estimator("vi.fit start ELBO Normal", _fit_start_run(FIT_Q), _fit_start_exact(FIT_Q)),
    Estimator("vi.fit start ELBO PlanarFlow",
              _fit_start_run(PlanarFlow(np.zeros(2), np.ones(2), np.array([[1.0, 0.5]]), np.array([[0.6, -0.2]]),
                                        np.array([0.1])))),
    Estimator("vi.fit_dataset start ELBO LinearGaussian", _fit_dataset_start_run,
              float(dataset_elbo(_linear_gaussian(), DATASET_Q, DATASET_X))),
]


def check_standard_errors(estimator, seed):
    estimates, standard_errors = (np.asarray(a, dtype=float) for a in estimator.run(seed))
    assert estimates.shape == standard_errors.shape == (REPLICATES,)
    spread = np.std(estimates, ddof=1)
    ratio = np.mean(standard_errors) / spread
    assert LOWER <= ratio <= UPPER, (
        f"{estimator.name}: reported SE {np.mean(standard_errors):.4g} vs spread {spread:.4g} (ratio {ratio:.3f})"
    )
    if estimator.exact is not None:
        assert abs(np.mean(estimates) - estimator.exact) <= 5 * spread / np.sqrt(REPLICATES), estimator.name


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=[e.name for e in ESTIMATORS])
def test_reported_standard_error_matches_the_spread_of_independent_estimates(estimator):
    check_standard_errors(estimator, seed=7)


@pytest.mark.slow
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=[e.name for e in ESTIMATORS])
def test_standard_error_check_holds_for_30_seeds(estimator):
    for seed in range(100, 130):
        check_standard_errors(estimator, seed)


@pytest.mark.parametrize("factor", [np.sqrt(2.0), 1 / np.sqrt(2.0), np.sqrt(40.0)])
def test_a_wrong_standard_error_fails_the_check(factor):
    honest = ESTIMATORS[0]
    scaled = Estimator("scaled", lambda seed: (lambda e, s: (e, s * factor))(*honest.run(seed)), honest.exact)
    with pytest.raises(AssertionError, match="ratio"):
        check_standard_errors(scaled, seed=7)


def test_zero_variance_estimators_return_the_exact_value_with_zero_standard_error():
    """Where every draw gives the same term, an estimator is exact for any n: q = p in
    kl_monte_carlo; q = the posterior in elbo_monte_carlo (every log-ratio is log p(x));
    a likelihood that does not depend on z (W = 0) in log_marginal_monte_carlo."""
    q = Normal(np.array([0.3, -1.0]), np.array([0.5, 2.0]))
    estimate, standard_error = kl_monte_carlo(q, q, 7, rng=1)
    np.testing.assert_array_equal(estimate, 0.0)
    np.testing.assert_array_equal(standard_error, 0.0)

    model = _linear_gaussian()
    x = np.array([0.3, -0.1, 0.6])
    estimate, standard_error = elbo_monte_carlo(model, model.posterior(x), x, 7, rng=1)
    assert estimate == pytest.approx(float(model.log_marginal(x)), rel=1e-13)
    assert standard_error < 1e-13

    flat = LinearGaussian(np.zeros((3, 1)), np.array([0.5, -0.2, 0.1]), 1.5)
    for n in (2, 7, 200):
        estimate, standard_error = log_marginal_monte_carlo(flat, x, n, rng=n)
        assert estimate == pytest.approx(float(flat.log_marginal(x)), rel=1e-14)
        assert standard_error == 0.0
