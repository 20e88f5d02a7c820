"""The validation policy (docs/validation-policy.md), one test per rule, with the
cases that were once mishandled: each refusal is a TypeError or ValueError whose
message names the argument; no silent NaN; no wrong answer."""

import tracemalloc

import numpy as np
import pytest

from vi_ref import elbo, em, gradcheck, learning, numerics, validation
from vi_ref.distributions import Categorical, Exponential, Gamma, LogNormal, MultivariateNormal, Normal
from vi_ref.kl import kl_divergence, kl_monte_carlo
from vi_ref.models import GammaPoisson, GaussianMixture, LinearGaussian
from vi_ref.models.evidence import log_marginal_candidate, log_marginal_monte_carlo
from vi_ref.models.gaussian_mixture import centred_moments, row_chunks
from vi_ref.validation import MAX_ELEMENTS

MODEL = LinearGaussian(np.array([[1.0], [0.5]]), np.zeros(2), 0.3)
Q = MultivariateNormal(np.zeros(1), scale_tril=np.eye(1))
X = np.array([[0.1, 0.2], [1.0, -0.5], [0.3, 0.3]])


# ----- wrong types: TypeError naming the argument, never AttributeError -----------


@pytest.mark.parametrize(
    "call",
    [
        lambda: kl_monte_carlo(None, Normal(0, 1), 10),
        lambda: kl_monte_carlo(Normal(0, 1), None, 10),
        lambda: elbo.elbo_monte_carlo(None, Q, np.zeros(2), 10),
        lambda: elbo.elbo_monte_carlo(MODEL, None, np.zeros(2), 10),
        lambda: elbo.dataset_elbo(None, Q, X),
        lambda: elbo.dataset_elbo(MODEL, None, X),
        lambda: elbo.dataset_elbo_grad(None, Q, X),
        lambda: elbo.elbo_decomposition(None, Q, np.zeros(2)),
        lambda: elbo.elbo_decomposition(MODEL, None, np.zeros(2)),
        lambda: log_marginal_monte_carlo(None, np.zeros(2), 10),
        lambda: log_marginal_candidate(None, np.zeros(2), np.zeros(1)),
    ],
)
def test_none_for_a_model_or_a_distribution_is_a_type_error_naming_it(call):
    with pytest.raises(TypeError, match=r"\b(model|q|p) must be"):
        call()


# ----- booleans, flags and seeds ----------------------------------------------------


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: Normal(True, True), "loc"),
        (lambda: Gamma(2.0, np.array([True])), "rate"),
        (lambda: Normal(0, 1).sample(3, rng=True), "rng"),
        (lambda: Normal(0, 1).sample(True), "n"),
        (lambda: numerics.logsumexp([1.0, 2.0], keepdims="no"), "keepdims"),
        (lambda: Normal(np.zeros(2), 1.0).entropy(diagonal=1), "diagonal"),
        (lambda: numerics.solve_triangular(np.eye(2), np.ones(2), lower="yes"), "lower"),
        (lambda: learning.LinearGaussianELBO(X, 1, isotropic="no"), "isotropic"),
    ],
)
def test_booleans_are_not_numbers_and_flags_are_booleans(call, name):
    with pytest.raises(TypeError, match=rf"\b{name}\b"):
        call()


def test_tolerances_must_be_finite_and_non_negative():
    f, grad_f = (lambda x: float(np.sum(x**2))), (lambda x: 2 * x)
    for value in (-1.0, np.nan):
        with pytest.raises(ValueError, match="rtol must be"):
            gradcheck.check_gradient(f, grad_f, np.ones(2), rtol=value)
        with pytest.raises(ValueError, match="tol must be"):
            learning.fit_linear_gaussian(np.random.default_rng(0).standard_normal((5, 3)), 1, tol=value)


def test_a_probability_vector_off_by_1e_6_is_refused():
    # the tolerance is 1e-10 per entry: a loosened one (1e-3) would accept this
    with pytest.raises(ValueError, match="probs must sum to 1"):
        Categorical(probs=[0.5, 0.5 + 1e-6])
    with pytest.raises(ValueError, match="weights must sum to 1"):
        GaussianMixture([0.4, 0.6 + 1e-7], np.zeros((2, 1)), np.ones(2), covariance_type="spherical")


# ----- values: integers, empty arrays, dimensions ----------------------------------


def test_a_non_integer_category_is_refused_and_an_impossible_one_has_probability_0():
    with pytest.raises(ValueError, match="x must be integer category labels; got 0.5"):
        Categorical(probs=[0.5, 0.5]).log_prob(0.5)
    assert Categorical(probs=[0.5, 0.5]).log_prob(2) == -np.inf


def test_a_zero_dimensional_multivariate_normal_is_refused():
    with pytest.raises(ValueError, match="loc must have at least one coordinate"):
        MultivariateNormal(np.zeros(0), scale_tril=np.zeros((0, 0)))


def test_an_empty_data_set_has_no_mean_elbo():
    with pytest.raises(ValueError, match="X must hold at least one data point"):
        elbo.dataset_elbo(MODEL, Q, np.zeros((0, 2)))


def test_exported_helpers_check_their_arguments():
    with pytest.raises(ValueError, match="n_features must be >= 1"):
        row_chunks(10, 0)
    chunks = row_chunks(2**63, 2)  # lazy: returns at once
    assert next(chunks) == (0, numerics_rows(2))
    with pytest.raises(ValueError, match="factor must have at least 2 dimension"):
        numerics.lower_triangular_inverse(3.0)
    with pytest.raises(ValueError, match="the diagonal of factor must be positive; got -1.0"):
        numerics.log_det_from_cholesky(np.array([[1.0, 0.0], [0.5, -1.0]]))
    with pytest.raises(ValueError, match="means must have shape"):
        centred_moments(np.zeros((3, 0)), np.ones((1, 3)), np.zeros((1, 0)), range(1), True)


def numerics_rows(n_features):
    from vi_ref.models.gaussian_mixture import CHUNK_ELEMENTS

    return CHUNK_ELEMENTS // n_features


# ----- no silent NaN, no wrong answer -----------------------------------------------


def test_the_candidates_formula_refuses_a_z_outside_the_posteriors_support():
    with pytest.raises(ValueError, match="z must lie in the support of the posterior"):
        log_marginal_candidate(GammaPoisson(2, 1), [1, 2], -1.0)


def test_e_step_refuses_points_too_far_for_any_responsibility():
    mixture = GaussianMixture([0.5, 0.5], np.array([[0.0], [1.0]]), np.ones(2), covariance_type="spherical")
    with pytest.raises(ValueError, match="responsibilities undefined"):
        em.e_step(mixture, np.array([[1e200], [0.0]]))
    assert mixture.log_marginal([1e200]) == -np.inf  # the evidence itself is the float limit


def test_kl_between_a_discrete_and_a_continuous_law_is_infinite():
    # it used to estimate 0.489 from the probabilities against the density
    estimate, standard_error = kl_monte_carlo(Categorical(probs=[0.5, 0.5]), Normal(0, 1), 1000, rng=0)
    assert estimate == np.inf and standard_error == 0
    for continuous in (Normal(0, 1), Exponential(1.0), Gamma(2.0, 1.0), LogNormal(0.0, 1.0)):
        assert kl_divergence(Categorical(probs=[0.5, 0.5]), continuous) == np.inf
        assert kl_divergence(continuous, Categorical(probs=[0.5, 0.5])) == np.inf
        assert kl_monte_carlo(continuous, Categorical(probs=[0.5, 0.5]), 10, rng=0)[0] == np.inf


# ----- huge n and memory ----------------------------------------------------------------


def test_counts_beyond_the_memory_bound_are_refused_naming_them():
    with pytest.raises(ValueError, match=r"steps = 1000000000000 asks for"):
        learning.fit_linear_gaussian(X, 1, optimizer="gradient_ascent", steps=10**12)
    with pytest.raises(ValueError, match=r"^n = "):
        Normal(np.zeros(10), 1.0).sample(MAX_ELEMENTS // 5)
    with pytest.raises(ValueError, match=r"^n = "):
        MODEL.sample(10**15)


def test_the_memory_bound_counts_every_coordinate_of_a_vector_draw(monkeypatch):
    """A draw of a D-dimensional MultivariateNormal holds D values, though its batch
    is (): with the bound lowered to 100 values, 10 draws of dimension 10 fit, 11 do not
    (checked with a small bound, so that a wrong count cannot allocate gigabytes)."""
    monkeypatch.setattr(validation, "MAX_ELEMENTS", 100)
    q = MultivariateNormal(np.zeros(10), scale_tril=np.eye(10))
    assert q.sample(10, rng=0).shape == (10, 10)
    for draw in (q.sample, q.rsample):
        with pytest.raises(ValueError, match=r"^n = 11 asks for 110 values"):
            draw(11)


def test_categorical_sampling_memory_does_not_grow_with_n_times_k():
    categorical = Categorical(probs=np.full(10**4, 1e-4))
    tracemalloc.start()
    draws = categorical.sample(10**5, rng=0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 20 * 10**5 * 8  # O(n), where the n × K comparison took 1e9 bytes
    assert draws.min() >= 0 and draws.max() < 10**4


def test_both_categorical_samplers_give_the_same_draws():
    probs = np.random.default_rng(1).dirichlet(np.ones(7), size=3)
    categorical = Categorical(probs=probs)
    small = categorical.sample(50, rng=5)
    uniform = np.random.default_rng(5).random((50, 3))
    cumulative = np.cumsum(probs, axis=-1)[:, :-1]
    searched = np.stack([np.searchsorted(cumulative[j], uniform[:, j], side="right") for j in range(3)], axis=1)
    np.testing.assert_array_equal(small, searched)
