"""Learning by maximising the dataset ELBO of a LinearGaussian: the optimisers reach the
closed-form PPCA maximum-likelihood solution (Tipping & Bishop 1999), computed
independently from an SVD and checked by scipy.stats and scikit-learn; at the optimum
the ELBO equals the exact log-evidence; plain gradient ascent gets close in a few
hundred steps; and bad input is refused."""

import zlib

import numpy as np
import pytest
import scipy.stats

from vi_ref.learning import LinearGaussianELBO, fit_linear_gaussian, ppca_maximum_likelihood
from vi_ref.models import LinearGaussian

SEED = 20261124


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(SEED)
    truth = LinearGaussian(rng.standard_normal((5, 2)), rng.standard_normal(5), 0.3)
    return truth.sample(150, rng)[0]


def scipy_log_likelihood(model, X):
    """Σₙ log N(xₙ | b, W Wᵀ + Ψ) with scipy.stats (D × D covariance, its own factorisation)."""
    covariance = model.W @ model.W.T + np.diag(np.broadcast_to(model.noise_var, model.b.shape))
    return scipy.stats.multivariate_normal(model.b, covariance).logpdf(X).sum()


@pytest.fixture(scope="module")
def lbfgs_fit(data):
    return fit_linear_gaussian(data, 2, rng=SEED)


def test_ppca_closed_form_satisfies_the_tipping_bishop_conditions(data):
    """The MLE's covariance C = W Wᵀ + σ² I reproduces the sample covariance S on the
    leading eigenvectors (C U_L = S U_L) and σ² is the mean of the discarded eigenvalues."""
    model = ppca_maximum_likelihood(data, 2)
    sample_covariance = np.cov(data.T, bias=True)
    eigenvalues, eigenvectors = np.linalg.eigh(sample_covariance)
    leading = eigenvectors[:, -2:]
    covariance = model.W @ model.W.T + model.noise_var * np.eye(5)
    np.testing.assert_allclose(covariance @ leading, sample_covariance @ leading, atol=1e-12)
    assert np.isclose(model.noise_var, eigenvalues[:3].mean(), rtol=1e-12)
    np.testing.assert_allclose(model.b, data.mean(axis=0), rtol=1e-14)


def test_ppca_closed_form_is_a_local_maximum_of_the_likelihood(data):
    rng = np.random.default_rng(SEED)
    model = ppca_maximum_likelihood(data, 2)
    best = scipy_log_likelihood(model, data)
    for _ in range(5):
        loadings = model.W + 1e-3 * rng.standard_normal(model.W.shape)
        nearby = LinearGaussian(loadings, model.b, model.noise_var * np.exp(1e-3 * rng.standard_normal()))
        assert scipy_log_likelihood(nearby, data) < best


@pytest.mark.peer
def test_ppca_closed_form_matches_scikit_learn(data):
    """scikit-learn's PCA estimates the covariance with 1/(N − 1); times (N − 1)/N it is
    the maximum-likelihood (1/N) one of Tipping & Bishop, whose log-likelihood is larger."""
    decomposition = pytest.importorskip("sklearn.decomposition")
    pca = decomposition.PCA(n_components=2).fit(data)
    model = ppca_maximum_likelihood(data, 2)
    unbiased_to_mle = (data.shape[0] - 1) / data.shape[0]
    assert np.isclose(model.noise_var, pca.noise_variance_ * unbiased_to_mle, rtol=1e-10)
    np.testing.assert_allclose(model.marginal_covariance, pca.get_covariance() * unbiased_to_mle, rtol=1e-10, atol=1e-12)
    assert np.sum(model.log_marginal(data)) > pca.score(data) * data.shape[0]


def test_lbfgs_reaches_the_ppca_maximum_likelihood(data, lbfgs_fit):
    oracle = ppca_maximum_likelihood(data, 2)
    best = scipy_log_likelihood(oracle, data)
    learned = scipy_log_likelihood(lbfgs_fit.model, data)
    assert lbfgs_fit.converged
    assert abs(learned - best) <= 1e-6 * abs(best)
    # W is identified up to a rotation; W Wᵀ, σ² and b are not
    np.testing.assert_allclose(lbfgs_fit.model.W @ lbfgs_fit.model.W.T, oracle.W @ oracle.W.T, atol=1e-5)
    assert np.isclose(lbfgs_fit.model.noise_var, oracle.noise_var, rtol=1e-5)
    np.testing.assert_allclose(lbfgs_fit.model.b, oracle.b, atol=1e-6)


@pytest.mark.parametrize("scale", [1e-150, 1e-3, 1e6, 1e150])
def test_lbfgs_reaches_the_maximum_likelihood_at_any_scale_of_the_data(data, scale):
    # on the raw data the absolute gradient test passed far from the optimum once the
    # gradients (∝ 1/scale in W) were small: at 1e6 the ELBO was 2.3 nats short, with
    # converged=True; the optimiser now works on standardised data
    X = data * scale
    fit = fit_linear_gaussian(X, 2, rng=SEED)
    oracle = np.mean(ppca_maximum_likelihood(X, 2).log_marginal(X))
    assert fit.converged
    assert abs(fit.elbo - oracle) <= 1e-9 * abs(oracle)
    assert fit.trace[-1] == pytest.approx(fit.elbo, rel=1e-12)  # the trace is in the data's own units


def test_a_start_is_used_as_given_on_the_standardised_data(data):
    fit = fit_linear_gaussian(data * 1e6, 2, rng=SEED)
    again = fit_linear_gaussian(data * 1e6, 2, init=fit.vector, steps=1)  # from the optimum: stays there
    assert again.elbo == pytest.approx(fit.elbo, rel=1e-12)


def test_lbfgs_stopped_by_its_iteration_limit_is_not_converged(data):
    """Three iterations leave the ELBO nats below the maximum likelihood per point (the
    closed-form PPCA oracle): the fit must say it did not converge."""
    fit = fit_linear_gaussian(data, 2, steps=3, rng=SEED)
    oracle = np.mean(ppca_maximum_likelihood(data, 2).log_marginal(data))
    assert fit.elbo < oracle - 1.0
    assert fit.n_iter == 3 and not fit.converged


def test_elbo_at_the_optimum_equals_the_exact_log_evidence(data, lbfgs_fit):
    """At the maximum every qᵢ is the posterior p(zᵢ | xᵢ), so the bound is tight."""
    exact = np.mean(lbfgs_fit.model.log_marginal(data))
    assert abs(lbfgs_fit.elbo - exact) <= 1e-9 * abs(exact)
    posterior = lbfgs_fit.model.posterior(data)
    np.testing.assert_allclose(lbfgs_fit.q.loc, posterior.loc, atol=1e-5)
    np.testing.assert_allclose(lbfgs_fit.q.covariance_matrix, np.broadcast_to(posterior.covariance_matrix, (150, 2, 2)), atol=1e-5)


def test_plain_gradient_ascent_gets_close_in_a_few_hundred_steps(data):
    oracle_per_point = scipy_log_likelihood(ppca_maximum_likelihood(data, 2), data) / data.shape[0]
    result = fit_linear_gaussian(data, 2, optimizer="gradient_ascent", steps=500, learning_rate=0.05, rng=SEED)
    trace = np.array(result.trace)
    assert trace.shape == (500,)
    # with a small enough step every step increases the ELBO ...
    assert np.all(np.diff(trace) > 0)
    # ... which stays below the likelihood, maximised by the MLE, ...
    assert trace[-1] <= oracle_per_point
    # ... and gets within 1e-4 (relative) of it; L-BFGS is needed for 1e-6 in few iterations
    assert abs(trace[-1] - oracle_per_point) <= 1e-4 * abs(oracle_per_point)


def test_factor_analysis_learning_makes_the_bound_tight():
    rng = np.random.default_rng(SEED)
    truth = LinearGaussian(rng.standard_normal((4, 1)), np.zeros(4), rng.uniform(0.1, 1.0, 4))
    X = truth.sample(100, rng)[0]
    result = fit_linear_gaussian(X, 1, isotropic=False, rng=SEED)
    assert result.model.noise_var.shape == (4,)
    assert abs(result.elbo - np.mean(result.model.log_marginal(X))) <= 1e-8
    assert np.mean(result.model.log_marginal(X)) >= np.mean(truth.log_marginal(X))


@pytest.mark.peer
def test_factor_analysis_learning_matches_scikit_learn():
    decomposition = pytest.importorskip("sklearn.decomposition")
    rng = np.random.default_rng(SEED)
    truth = LinearGaussian(rng.standard_normal((4, 1)), np.zeros(4), rng.uniform(0.1, 1.0, 4))
    X = truth.sample(100, rng)[0]
    result = fit_linear_gaussian(X, 1, isotropic=False, rng=SEED)
    reference = decomposition.FactorAnalysis(n_components=1, tol=1e-12, max_iter=10000).fit(X)
    assert np.isclose(np.sum(result.model.log_marginal(X)), reference.score(X) * X.shape[0], rtol=1e-6)


def test_pack_and_unpack_are_inverse(data):
    problem = LinearGaussianELBO(data, 2, isotropic=False)
    vector = problem.initial(SEED) + 0.1 * np.random.default_rng(SEED).standard_normal(problem.size)
    np.testing.assert_allclose(problem.pack(*problem.unpack(vector)), vector, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("isotropic", [True, False])
def test_objective_grad_is_the_derivative_of_the_objective(data, isotropic):
    """objective_grad against central differences of objective, coordinate by coordinate,
    at a random point with correlated qᵢ (Aᵢ's strictly-lower entry ≠ 0). At the optimum
    a rotation of W makes every posterior covariance diagonal, so L-BFGS reached the
    maximum likelihood even with the gradient of the strictly-lower entries read from
    the (zero) upper triangle."""
    problem = LinearGaussianELBO(data[:8], 2, isotropic=isotropic)
    vector = 0.5 * np.random.default_rng(SEED).standard_normal(problem.size)
    analytic = problem.objective_grad(vector)
    step = 1e-6
    numeric = np.array([
        (problem.objective(vector + step * unit) - problem.objective(vector - step * unit)) / (2 * step)
        for unit in np.eye(problem.size)
    ])
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_learning_refuses_bad_input(data):
    with pytest.raises(ValueError, match="n_latent must be smaller than the 5 columns"):
        fit_linear_gaussian(data, 5)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        fit_linear_gaussian(data, 2, optimizer="adam")
    with pytest.raises(ValueError, match="X must be finite"):
        ppca_maximum_likelihood(np.full((3, 4), np.nan), 1)
    # 3 points span a plane: σ² = 0 exactly, though round-off leaves ~1e-32 in the SVD
    with pytest.raises(ValueError, match="affine subspace of dimension <= n_latent = 2"):
        ppca_maximum_likelihood(data[:3], 2)
    with pytest.raises(ValueError, match="vector must have"):
        LinearGaussianELBO(data, 2).objective(np.zeros(3))
    with pytest.raises(ValueError, match="learning_rate must be positive"):
        fit_linear_gaussian(data, 2, optimizer="gradient_ascent", learning_rate=0.0)
    # a step size that diverges: was "the diagonal of scale_tril must be positive", an
    # invariant of q the caller never set
    for scale in (1e-160, 1e160):  # "noise_var must be positive", an OverflowError, or 4e-4 nats short
        with pytest.raises(ValueError, match="X has a spread of .* outside float64's normal range; rescale X"):
            fit_linear_gaussian(data * scale, 2, rng=SEED)
    # data whose ELBO is unbounded (the noise variance's optimum is 0): constant data
    # ended L-BFGS with "vector must be finite; got nan", points on a plane with L = 2
    # at a noise variance of 1e-13, converged=False, far below the supremum +∞
    with pytest.raises(ValueError, match="affine subspace of dimension <= n_latent = 1"):
        fit_linear_gaussian(np.ones((10, 3)), 1, rng=SEED)
    plane = data[:, :2] @ np.array([[1.0, 0.0, 2.0, -1.0, 0.5], [0.0, 1.0, 1.0, 3.0, -2.0]]) + 7.0
    for isotropic in (True, False):
        with pytest.raises(ValueError, match="affine subspace of dimension <= n_latent = 2"):
            fit_linear_gaussian(plane, 2, isotropic=isotropic, rng=SEED)
    constant_column = data.copy()
    constant_column[:, 3] = -2.0
    with pytest.raises(ValueError, match="column 3 of X is constant: .* factor-analysis ELBO is unbounded"):
        fit_linear_gaussian(constant_column, 2, isotropic=False, rng=SEED)
    assert fit_linear_gaussian(constant_column, 2, rng=SEED).converged  # PPCA's σ² is shared: bounded
    with pytest.raises(FloatingPointError, match=r"gradient ascent diverged at step \d+ .* lower the learning_rate"):
        fit_linear_gaussian(data, 2, optimizer="gradient_ascent", learning_rate=1e3, steps=50, rng=SEED)


def test_lbfgs_line_search_stays_inside_the_float_range():
    """A data set (the tour's 'putting-together' inputs at seed 154) on which an L-BFGS
    trial step once took log ψ to −1e3: exp underflowed to ψ = 0 and the objective
    raised. The log-coordinates are now boxed (``log_coordinate_bounds``)."""
    rng = np.random.default_rng([154, zlib.crc32(b"putting-together")])
    truth = LinearGaussian(rng.standard_normal((5, 2)), rng.standard_normal(5), 0.3)
    X = truth.sample(100, rng)[0]
    fit = fit_linear_gaussian(X, 2, rng=rng)
    oracle = ppca_maximum_likelihood(X, 2)
    assert fit.converged
    gap = oracle.log_marginal(X).sum() - fit.model.log_marginal(X).sum()
    assert abs(gap) <= 1e-6 * abs(oracle.log_marginal(X).sum())
