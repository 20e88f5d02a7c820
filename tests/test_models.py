"""The latent variable models against independent oracles: the evidence against
scipy.stats densities (LinearGaussian, GaussianMixture) and 1-D quadrature
(GammaPoisson); the posteriors against Gaussian conditioning with D × D solves and
against quadrature; the candidate's formula on every model; naive Monte Carlo
evidence within its standard error, and its failure as the latent dimension grows;
and the refusals of bad input."""

import numpy as np
import pytest
import scipy.integrate
import scipy.special
import scipy.stats

from vi_ref.models import (
    GammaPoisson,
    GaussianMixture,
    LinearGaussian,
    log_marginal_candidate,
    log_marginal_monte_carlo,
)

SEED = 20261124


def random_linear_gaussian(rng, n_features=6, n_latent=3, isotropic=False):
    noise_var = rng.uniform(0.2, 1.5) if isotropic else rng.uniform(0.2, 1.5, n_features)
    return LinearGaussian(rng.standard_normal((n_features, n_latent)), rng.standard_normal(n_features), noise_var)


def random_mixture(rng, n_components=3, n_features=2):
    factor = rng.standard_normal((n_components, n_features, n_features))
    covariances = factor @ np.swapaxes(factor, -1, -2) + 0.5 * np.eye(n_features)
    weights = rng.dirichlet(np.full(n_components, 3.0))
    return GaussianMixture(weights, 2 * rng.standard_normal((n_components, n_features)), covariances)


def scipy_log_joint(model, x, rate):
    """log Gamma(λ | α, β) + Σᵢ log Poisson(xᵢ | λ) from scipy.stats."""
    alpha, beta = float(model.concentration), float(model.rate)
    return scipy.stats.gamma.logpdf(rate, alpha, scale=1 / beta) + np.sum(scipy.stats.poisson.logpmf(x, rate))


def quadrature_integral(model, x, power=0):
    """log ∫₀^∞ λ^power p(x, λ) dλ by adaptive quadrature, in a numerically safe way:
    the integrand is exp(log-integrand − its value at the posterior mode), split at the mode."""
    alpha, beta = float(model.concentration), float(model.rate)
    mode = max((alpha + np.sum(x) - 1) / (beta + x.size), 1e-3)
    peak = scipy_log_joint(model, x, mode) + power * np.log(mode)

    def integrand(rate):
        return np.exp(scipy_log_joint(model, x, rate) + power * np.log(rate) - peak) if rate > 0 else 0.0

    pieces = [scipy.integrate.quad(integrand, lo, hi, epsabs=0.0, epsrel=1e-13, limit=200)[0]
              for lo, hi in ((0.0, mode), (mode, np.inf))]
    return peak + np.log(sum(pieces))


# ----- exact evidence -------------------------------------------------------------


@pytest.mark.parametrize("isotropic", [True, False], ids=["PPCA", "factor-analysis"])
def test_linear_gaussian_log_marginal_matches_scipy(isotropic):
    rng = np.random.default_rng(SEED)
    model = random_linear_gaussian(rng, n_features=8, n_latent=3, isotropic=isotropic)
    x = 3 * rng.standard_normal((2, 5, 8))
    expected = scipy.stats.multivariate_normal(model.b, model.W @ model.W.T + np.diag(np.broadcast_to(model.noise_var, 8))).logpdf(x)
    np.testing.assert_allclose(model.log_marginal(x), expected, rtol=1e-11, atol=0)
    assert np.isclose(model.log_marginal(x[0, 0]), expected[0, 0], rtol=1e-11, atol=0)


@pytest.mark.parametrize("isotropic", [True, False], ids=["PPCA", "factor-analysis"])
def test_linear_gaussian_marginal_covariance_is_the_covariance_of_the_evidence(isotropic):
    """``marginal_covariance`` W Wᵀ + Ψ is the covariance of the Gaussian whose scipy
    density is ``log_marginal`` (computed from QR factors, never from C); PPCA's scalar
    noise variance included, which only the sampling test (factor analysis) used."""
    rng = np.random.default_rng(SEED)
    model = random_linear_gaussian(rng, n_features=5, n_latent=2, isotropic=isotropic)
    x = 2 * rng.standard_normal((4, 5))
    expected = scipy.stats.multivariate_normal(model.b, model.marginal_covariance).logpdf(x)
    np.testing.assert_allclose(model.log_marginal(x), expected, rtol=1e-11, atol=0)


def test_linear_gaussian_evidence_and_posterior_at_x_equal_to_b():
    """x − b = 0 (its largest entry, by which the quadratic form is scaled, is 0): the
    evidence is the density at the mean, −½ (D log 2π + log det C), from scipy.stats;
    the posterior mean M⁻¹ Wᵀ Ψ⁻¹ (x − b) is 0, also beside another point of the batch."""
    rng = np.random.default_rng(SEED)
    model = random_linear_gaussian(rng, n_features=5, n_latent=2)
    x = np.stack([model.b, model.b + rng.standard_normal(5)])
    expected = scipy.stats.multivariate_normal(model.b, model.marginal_covariance).logpdf(x)
    np.testing.assert_allclose(model.log_marginal(x), expected, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(model.posterior(model.b).loc, 0.0)
    np.testing.assert_array_equal(model.posterior(x).loc[0], 0.0)


def test_gaussian_mixture_log_marginal_matches_scipy():
    rng = np.random.default_rng(SEED)
    model = random_mixture(rng)
    x = 3 * rng.standard_normal((7, 2))
    components = [np.log(w) + scipy.stats.multivariate_normal(m, c).logpdf(x)
                  for w, m, c in zip(model.weights, model.means, model.covariances)]
    np.testing.assert_allclose(model.log_marginal(x), scipy.special.logsumexp(components, axis=0), rtol=1e-11, atol=0)


@pytest.mark.parametrize(
    "concentration, rate, counts",
    [(2.5, 1.5, [3, 0, 5, 2, 1]), (0.7, 0.3, [0, 0, 1]), (40.0, 2.0, [25, 17, 19, 22, 30, 18, 21])],
)
def test_gamma_poisson_log_marginal_matches_quadrature(concentration, rate, counts):
    model = GammaPoisson(concentration, rate)
    x = np.array(counts, dtype=float)
    assert abs(model.log_marginal(x) - quadrature_integral(model, x)) <= 1e-9 * max(1.0, abs(model.log_marginal(x)))


def test_gamma_poisson_evidence_is_batched_over_data_sets():
    model = GammaPoisson(2.0, 1.0)
    x = np.array([[1.0, 2.0, 0.0], [4.0, 4.0, 3.0]])
    np.testing.assert_array_equal(model.log_marginal(x), [model.log_marginal(x[0]), model.log_marginal(x[1])])


# ----- posteriors --------------------------------------------------------------------


def test_linear_gaussian_posterior_matches_gaussian_conditioning():
    """Oracle: condition the joint Gaussian of (z, x) with D × D solves,
    E[z | x] = Wᵀ C⁻¹ (x − b), Cov[z | x] = I − Wᵀ C⁻¹ W (no capacitance matrix)."""
    rng = np.random.default_rng(SEED)
    model = random_linear_gaussian(rng, n_features=7, n_latent=3)
    x = rng.standard_normal((4, 7))
    covariance = model.W @ model.W.T + np.diag(model.noise_var)
    mean = np.linalg.solve(covariance, (x - model.b).T).T @ model.W
    posterior = model.posterior(x)
    np.testing.assert_allclose(posterior.mean, mean, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(
        posterior.covariance_matrix, np.eye(3) - model.W.T @ np.linalg.solve(covariance, model.W), rtol=1e-11, atol=1e-12
    )
    assert posterior.batch_shape == (4,)
    assert np.all(np.triu(posterior.scale_tril, k=1) == 0)


def test_gamma_poisson_posterior_moments_match_quadrature():
    model = GammaPoisson(2.5, 1.5)
    x = np.array([3.0, 0.0, 5.0, 2.0, 1.0])
    log_evidence = quadrature_integral(model, x)
    posterior = model.posterior(x)
    assert np.isclose(posterior.mean, np.exp(quadrature_integral(model, x, power=1) - log_evidence), rtol=1e-10)
    second_moment = np.exp(quadrature_integral(model, x, power=2) - log_evidence)
    assert np.isclose(posterior.variance, second_moment - posterior.mean**2, rtol=1e-8)


def test_gamma_poisson_posterior_is_the_conjugate_update():
    posterior = GammaPoisson(2.0, 0.5).posterior(np.array([[1.0, 3.0], [0.0, 0.0]]))
    np.testing.assert_array_equal(posterior.concentration, [6.0, 2.0])
    np.testing.assert_array_equal(posterior.rate, 2.5)


# ----- the candidate's formula (lecture question VI1.1) -------------------------------


def _models_with_points(rng):
    linear = random_linear_gaussian(rng)
    mixture = random_mixture(rng)
    counts = GammaPoisson(3.0, 2.0)
    return [
        ("LinearGaussian", linear, linear.sample(5, rng)[0], 3 * rng.standard_normal((4, 5, 3))),
        ("GaussianMixture", mixture, mixture.sample(5, rng)[0], np.arange(3)[:, None]),
        ("GammaPoisson", counts, np.array([2.0, 0.0, 4.0]), rng.uniform(0.05, 10.0, 6)),
    ]


@pytest.mark.parametrize("index", range(3), ids=["LinearGaussian", "GaussianMixture", "GammaPoisson"])
def test_candidates_formula_gives_the_evidence_at_every_z(index):
    _, model, x, z = _models_with_points(np.random.default_rng(SEED))[index]
    candidate = log_marginal_candidate(model, x, z)
    expected = np.broadcast_to(model.log_marginal(x), candidate.shape)
    np.testing.assert_allclose(candidate, expected, rtol=1e-12, atol=1e-10)


def test_candidates_formula_loses_only_the_digits_its_docstring_states_far_in_the_tail():
    """Far from the posterior's bulk both log-densities are huge and the formula is
    their difference: its error stays within a few ε·(|log p(x, z)| + |log p(z | x)|)
    of the exact evidence (a term computed to a relative 1e-10 instead of to round-off
    would break the bound at z = 1e5 by ten thousand times)."""
    model, x = GammaPoisson(2.0, 1.0), np.array([1.0, 2.0])
    z = np.array([1e-300, 1e-10, 1e5, 1e10, 1e15])
    scale = np.abs(model.log_joint(x, z)) + np.abs(model.posterior(x).log_prob(z))
    error = np.abs(log_marginal_candidate(model, x, z) - model.log_marginal(x))
    assert np.all(error <= 8 * np.finfo(float).eps * scale), error / (np.finfo(float).eps * scale)


# ----- the model's pieces against scipy ---------------------------------------------


def test_linear_gaussian_log_joint_matches_scipy():
    rng = np.random.default_rng(SEED)
    model = random_linear_gaussian(rng, n_features=4, n_latent=2)
    x, z = rng.standard_normal(4), rng.standard_normal(2)
    expected = scipy.stats.multivariate_normal(np.zeros(2)).logpdf(z) + scipy.stats.multivariate_normal(
        model.W @ z + model.b, np.diag(model.noise_var)
    ).logpdf(x)
    assert np.isclose(model.log_joint(x, z), expected, rtol=1e-13)


def test_gamma_poisson_log_joint_matches_scipy_and_is_minus_inf_outside_the_support():
    model = GammaPoisson(2.5, 1.5)
    x = np.array([3.0, 0.0, 5.0])
    rates = np.array([0.3, 1.0, 7.5])
    np.testing.assert_allclose(model.log_joint(x, rates), [scipy_log_joint(model, x, r) for r in rates], rtol=1e-13)
    np.testing.assert_array_equal(model.log_joint(x, np.array([-1.0, 0.0])), -np.inf)
    # λ → ∞: e^(−nλ) wins, the likelihood tends to 0 (not ∞ − ∞ = NaN)
    np.testing.assert_array_equal(model.log_likelihood(np.array([0.0, 2.0]), np.inf), -np.inf)


def test_linear_gaussian_samples_have_the_marginal_moments():
    rng = np.random.default_rng(SEED)
    model = random_linear_gaussian(rng, n_features=3, n_latent=2)
    x, z = model.sample(20000, rng)
    assert x.shape == (20000, 3) and z.shape == (20000, 2)
    variance = np.diag(model.marginal_covariance)
    standard_error = np.sqrt(variance / x.shape[0])
    assert np.all(np.abs(x.mean(axis=0) - model.b) <= 4 * standard_error)
    squared = (x - model.b) ** 2
    assert np.all(np.abs(squared.mean(axis=0) - variance) <= 4 * squared.std(axis=0) / np.sqrt(x.shape[0]))


def test_gamma_poisson_samples_have_the_prior_predictive_moments():
    """E x = α/β; Var x = E λ + Var λ = α/β + α/β² and, the two counts of a draw sharing
    its λ, Cov(x₁, x₂) = Var λ = α/β² (both 0.75 here), measured about the known mean:
    counts drawn at one rate for all draws have the mean but not these."""
    model = GammaPoisson(3.0, 2.0)
    x, z = model.sample(20000, SEED, n_observations=2)
    assert x.shape == (20000, 2) and z.shape == (20000,)
    assert abs(x.mean() - 1.5) <= 4 * x[:, 0].std() / np.sqrt(x.shape[0])
    for products, expected in (((x[:, 0] - 1.5) ** 2, 1.5 + 0.75), ((x[:, 0] - 1.5) * (x[:, 1] - 1.5), 0.75)):
        assert abs(products.mean() - expected) <= 4 * products.std(ddof=1) / np.sqrt(x.shape[0]), expected


def test_sampling_is_reproducible_from_the_seed():
    model = random_linear_gaussian(np.random.default_rng(SEED))
    for first, second in zip(model.sample(5, 7), model.sample(5, 7)):
        np.testing.assert_array_equal(first, second)


# ----- naive Monte Carlo evidence ------------------------------------------------------


@pytest.mark.parametrize("index", range(3), ids=["LinearGaussian-L3", "GaussianMixture", "GammaPoisson"])
def test_naive_monte_carlo_evidence_is_within_4_standard_errors(index):
    _, model, x, _ = _models_with_points(np.random.default_rng(SEED))[index]
    estimate, standard_error = log_marginal_monte_carlo(model, x, 20000, SEED)
    exact = model.log_marginal(x)
    assert np.shape(estimate) == np.shape(exact) == np.shape(standard_error)
    assert np.all(np.abs(estimate - exact) <= 4 * standard_error)



def test_naive_monte_carlo_evidence_and_its_standard_error_from_three_draws_by_hand():
    # the same S = 3 prior draws (model.sample with the same seed), the likelihoods from
    # scipy.stats: p̂ = mean, SE = √(Σ(wₛ − p̂)²/(S − 1)) / (√S p̂) (delta method)
    model, x = GammaPoisson(2.0, 1.0), np.array([1.0, 4.0])
    _, rates = model.sample(3, SEED)
    likelihoods = [np.prod(scipy.stats.poisson.pmf(x, rate)) for rate in rates]
    mean = sum(likelihoods) / 3
    standard_error = np.sqrt(sum((value - mean) ** 2 for value in likelihoods) / 2) / (np.sqrt(3) * mean)
    estimate, reported = log_marginal_monte_carlo(model, x, 3, SEED)
    assert estimate == pytest.approx(np.log(mean), rel=1e-13)
    assert reported == pytest.approx(standard_error, rel=1e-12)


class _NowhereLikelyModel:
    """Prior z ~ U(0, 1) and a likelihood 0 at every z: p̂(x) = 0 whatever the draws."""

    def sample(self, n, rng):
        return np.zeros((n, 1)), rng.uniform(size=n)

    def log_likelihood(self, x, z):
        return np.full(np.broadcast_shapes(np.shape(x)[:-1], np.shape(z)), -np.inf)


def test_naive_monte_carlo_evidence_with_every_likelihood_zero_is_minus_infinity_with_infinite_error():
    # log p̂ = log 0 = −∞, and the relative spread of weights that are all 0 is undefined: +∞
    assert log_marginal_monte_carlo(_NowhereLikelyModel(), np.zeros(1), 10, SEED) == (-np.inf, np.inf)


class _ScaledLikelihoodModel:
    """Prior z ~ U(0, 1), likelihood p(x | z) = z e^(−1000 x₀): the factor e^(−1000 x₀)
    does not depend on z, so p̂(x) = mean(zₛ) e^(−1000 x₀) and the standard error of
    log p̂, a relative spread, is that of mean(zₛ) for every x."""

    def sample(self, n, rng):
        return np.zeros((n, 1)), rng.uniform(size=n)

    def log_likelihood(self, x, z):
        return np.log(z) - 1000 * x[..., 0]


def test_naive_monte_carlo_evidence_shifts_each_data_point_by_its_own_largest_likelihood():
    # the likelihoods of x₀ = 1 are e^(−1000) times those of x₀ = 0, below the least
    # float: shifted by the batch's largest they all underflow to 0 and the SE is 0/0;
    # oracle: the same S draws by hand, log mean(zₛ) − 1000 x₀ and SE = std(z)/(√S mean(z))
    n = 50
    _, draws = _ScaledLikelihoodModel().sample(n, np.random.default_rng(SEED))
    mean = np.mean(draws)
    standard_error = np.std(draws, ddof=1) / (np.sqrt(n) * mean)
    estimate, reported = log_marginal_monte_carlo(_ScaledLikelihoodModel(), np.array([[0.0], [1.0]]), n, SEED)
    np.testing.assert_allclose(estimate, [np.log(mean), np.log(mean) - 1000], rtol=1e-13)
    np.testing.assert_allclose(reported, [standard_error, standard_error], rtol=1e-12)


def test_naive_monte_carlo_evidence_fails_as_the_latent_dimension_grows():
    """Same D = 10, same S = 2000 prior draws, 20 data points per L: the posterior is
    ever narrower than the prior, so the draws miss it. The mean error grows by orders
    of magnitude, the estimate is below the truth (Jensen: E[log p̂] ≤ log p), and for
    L = 20 the delta-method standard error no longer covers the error. (Averaging over
    20 points makes the ordering a property of the method rather than of one draw:
    with a single point the L = 5 error is sometimes within noise of the L = 1 one.)"""
    rng = np.random.default_rng(SEED)
    errors, standard_errors = [], []
    for n_latent in (1, 5, 20):
        model = LinearGaussian(rng.standard_normal((10, n_latent)), np.zeros(10), 0.5)
        x = model.sample(20, rng)[0]
        estimate, standard_error = log_marginal_monte_carlo(model, x, 2000, rng)
        errors.append(estimate - model.log_marginal(x))
        standard_errors.append(standard_error)
    mean_absolute_errors = [np.mean(np.abs(error)) for error in errors]
    assert np.all(np.abs(errors[0]) <= 4 * standard_errors[0])
    assert mean_absolute_errors[0] < mean_absolute_errors[1] < mean_absolute_errors[2]
    assert np.mean(errors[2]) < -10
    assert np.mean(np.abs(errors[2]) > 4 * standard_errors[2]) > 0.5


def test_naive_monte_carlo_evidence_is_reproducible_and_validates_n():
    model = GammaPoisson(2.0, 1.0)
    x = np.array([1.0, 2.0])
    assert log_marginal_monte_carlo(model, x, 100, 3) == log_marginal_monte_carlo(model, x, 100, 3)
    with pytest.raises(ValueError, match="n must be >= 2"):
        log_marginal_monte_carlo(model, x, 1)


# ----- bad input ------------------------------------------------------------------------


def test_linear_gaussian_refuses_bad_parameters():
    with pytest.raises(ValueError, match="W must be 2-dimensional"):
        LinearGaussian(np.ones(3), np.zeros(3), 1.0)
    with pytest.raises(ValueError, match=r"b must have shape \(3,\)"):
        LinearGaussian(np.ones((3, 1)), np.zeros(2), 1.0)
    with pytest.raises(ValueError, match="noise_var must be positive"):
        LinearGaussian(np.ones((3, 1)), np.zeros(3), [1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="noise_var must be a scalar"):
        LinearGaussian(np.ones((3, 1)), np.zeros(3), np.ones(2))
    with pytest.raises(ValueError, match="W must be finite"):
        LinearGaussian(np.full((3, 1), np.nan), np.zeros(3), 1.0)
    for empty in (np.ones((3, 0)), np.ones((0, 2))):  # no latent variable, or no data dimension
        with pytest.raises(ValueError, match="W must have at least one row and one column"):
            LinearGaussian(empty, np.zeros(empty.shape[0]), 1.0)


def test_linear_gaussian_refuses_bad_data():
    model = random_linear_gaussian(np.random.default_rng(SEED), n_features=4, n_latent=2)
    with pytest.raises(ValueError, match="x must have D = 4 entries in its last axis"):
        model.log_marginal(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="x must be finite; got nan"):
        model.posterior(np.array([0.0, np.nan, 0.0, 0.0]))
    with pytest.raises(ValueError, match="z must have L = 2 entries"):
        model.log_joint(np.zeros(4), np.zeros(3))
    with pytest.raises(TypeError, match="x must be real numbers"):
        model.log_marginal("abcd")


def test_gamma_poisson_refuses_bad_input():
    with pytest.raises(ValueError, match="concentration must be positive"):
        GammaPoisson(-1.0, 1.0)
    with pytest.raises(ValueError, match="rate must be 0-dimensional"):
        GammaPoisson(1.0, [1.0, 2.0])
    model = GammaPoisson(1.0, 1.0)
    with pytest.raises(ValueError, match="x must be non-negative integer counts; got 1.5"):
        model.log_marginal([1.0, 1.5])
    with pytest.raises(ValueError, match="x must be non-negative integer counts; got -1"):
        model.posterior([-1.0])
    with pytest.raises(ValueError, match="x must be finite"):
        model.log_marginal([np.nan])
    # finite counts whose total overflows: S enters every formula (was NaN with warnings)
    huge = np.stack([np.ones(5), np.full(5, 1.7e308)])
    for method in (model.log_marginal, model.posterior, lambda x: model.log_likelihood(x, 3.0)):
        with pytest.raises(ValueError, match=r"x's counts must have a total within the float range .* at index 1"):
            method(huge)
    with pytest.raises(ValueError, match="z must not be NaN"):
        model.log_prior(np.nan)
