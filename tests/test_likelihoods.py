"""Three-way agreement: hand-written gradient = autodiff gradient = finite differences,
for the logistic-regression and isotropic-GMM log-likelihoods; values against scipy.stats."""

import numpy as np
import pytest
import scipy.special
import scipy.stats

from vi_ref import autodiff as ad
from vi_ref import likelihoods
from vi_ref.gradcheck import numerical_gradient

PARAMETERS = ("logits", "means", "log_scales")


@pytest.fixture
def logistic_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    y = (rng.uniform(size=200) < 0.4).astype(float)
    return X, y, rng.normal(size=5)


@pytest.fixture
def gmm_problem():
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(size=(60, 3)) - 2, rng.normal(size=(60, 3)) + 2])
    return X, {"logits": rng.normal(size=4), "means": rng.normal(size=(4, 3)), "log_scales": 0.2 * rng.normal(size=4)}


def _relative(a, b):
    return np.max(np.abs(a - b)) / np.max(np.abs(b))


def test_logistic_log_likelihood_matches_scipy_bernoulli(logistic_problem):
    X, y, w = logistic_problem
    expected = np.sum(scipy.stats.bernoulli.logpmf(y, scipy.special.expit(X @ w)))
    assert likelihoods.logistic_regression_log_likelihood(w, X, y) == pytest.approx(expected, rel=1e-13)


def test_logistic_gradient_three_ways(logistic_problem):
    X, y, w = logistic_problem
    hand = likelihoods.logistic_regression_log_likelihood_grad(w, X, y)["weights"]
    auto = ad.grad(likelihoods.logistic_regression_log_likelihood)(w, X, y)
    numerical = numerical_gradient(
        lambda v: likelihoods.logistic_regression_log_likelihood(v, X, y), w, method="richardson"
    )
    assert _relative(hand, auto) <= 1e-12
    assert _relative(hand, numerical) <= 1e-8
    assert _relative(auto, numerical) <= 1e-8


def test_gmm_log_likelihood_matches_scipy_stats(gmm_problem):
    X, p = gmm_problem
    log_weights = p["logits"] - scipy.special.logsumexp(p["logits"])
    per_component = np.stack(
        [
            scipy.stats.multivariate_normal(mean, np.exp(2 * s) * np.eye(3)).logpdf(X) + lw
            for mean, s, lw in zip(p["means"], p["log_scales"], log_weights)
        ],
        axis=1,
    )
    expected = np.sum(scipy.special.logsumexp(per_component, axis=1))
    assert likelihoods.isotropic_gmm_log_likelihood(X, **p) == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("name", PARAMETERS)
def test_gmm_gradient_three_ways(gmm_problem, name):
    X, p = gmm_problem
    hand = likelihoods.isotropic_gmm_log_likelihood_grad(X, **p)[name]
    argnum = 1 + PARAMETERS.index(name)
    auto = ad.grad(likelihoods.isotropic_gmm_log_likelihood, argnums=argnum)(X, *(p[k] for k in PARAMETERS))
    numerical = numerical_gradient(
        lambda v: likelihoods.isotropic_gmm_log_likelihood(X, **{**p, name: v}), p[name], method="richardson"
    )
    assert _relative(hand, auto) <= 1e-12
    assert _relative(hand, numerical) <= 1e-8
    assert _relative(auto, numerical) <= 1e-8


@pytest.mark.parametrize("logit", [30.0, 36.7, 40.0, 200.0, 700.0])
def test_logistic_gradient_keeps_its_relative_accuracy_at_saturated_points(logit):
    # a correctly classified point far from the boundary: y − σ(z) = σ(−z) ≈ e^(−z)
    # for y = 1 (1 − σ(z) would round to 0 from z ≈ 36.7 on) and −σ(z) for y = 0
    X = np.array([[1.0, -2.0], [-1.0, 2.0]])
    y, w = np.array([1.0, 0.0]), np.array([logit, 0.0])
    expected = X.T @ np.array([scipy.special.expit(-logit), -scipy.special.expit(-logit)])
    hand = likelihoods.logistic_regression_log_likelihood_grad(w, X, y)["weights"]
    auto = ad.grad(likelihoods.logistic_regression_log_likelihood)(w, X, y)
    np.testing.assert_allclose(hand, expected, rtol=1e-14, atol=0)  # a few ulps (y − σ(z) lost all of them)
    np.testing.assert_allclose(auto, expected, rtol=1e-14, atol=0)


def test_refusals():
    X = np.ones((3, 2))
    with pytest.raises(ValueError, match="labels 0 and 1"):
        likelihoods.logistic_regression_log_likelihood(np.ones(2), X, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="one label per row"):
        likelihoods.logistic_regression_log_likelihood_grad(np.ones(2), X, np.ones(2))
    with pytest.raises(ValueError, match="X must be finite"):
        likelihoods.logistic_regression_log_likelihood(np.ones(2), X * np.nan, np.ones(3))
    with pytest.raises(ValueError, match=r"means must have shape \(2, 2\)"):
        likelihoods.isotropic_gmm_log_likelihood(X, np.zeros(2), np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="logits must have shape"):
        likelihoods.isotropic_gmm_log_likelihood_grad(X, np.zeros((2, 2)), np.zeros((2, 2)), np.zeros(2))


def test_parameter_refusals_name_the_parameter():
    X, y = np.ones((3, 2)), np.array([0.0, 1.0, 1.0])
    logistic = (likelihoods.logistic_regression_log_likelihood, likelihoods.logistic_regression_log_likelihood_grad)
    for function in logistic:
        with pytest.raises(ValueError, match=r"weights must have shape \(2,\)"):
            function(np.ones(3), X, y)
        with pytest.raises(ValueError, match="weights must be finite"):
            function(np.array([1.0, np.nan]), X, y)
    for function in (likelihoods.isotropic_gmm_log_likelihood, likelihoods.isotropic_gmm_log_likelihood_grad):
        with pytest.raises(ValueError, match="log_scales must be finite"):
            function(X, np.zeros(2), np.zeros((2, 2)), np.array([0.0, np.inf]))


def test_isotropic_gmm_refuses_data_without_columns_and_a_mixture_without_components():
    """D = 0 would give ℓ = 0 (every density an empty product), K = 0 gives ℓ = −∞ (an
    empty mixture): both are mistakes in the arguments, refused by name."""
    for function in (likelihoods.isotropic_gmm_log_likelihood, likelihoods.isotropic_gmm_log_likelihood_grad):
        with pytest.raises(ValueError, match=r"X must have at least one column \(D >= 1\)"):
            function(np.ones((3, 0)), np.zeros(2), np.zeros((2, 0)), np.zeros(2))
        with pytest.raises(ValueError, match=r"logits must have at least one component \(K >= 1\)"):
            function(np.ones((3, 2)), np.zeros(0), np.zeros((0, 2)), np.zeros(0))

