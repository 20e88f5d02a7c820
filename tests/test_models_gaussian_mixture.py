"""models.GaussianMixture against scipy.stats, Bayes' rule and its own samples."""

import tracemalloc
from functools import partial

import numpy as np
import pytest
import scipy.special
import scipy.stats

from vi_ref.distributions import Categorical
from vi_ref.gradcheck import check_gradient
from vi_ref.models import GaussianMixture
from vi_ref.models import gaussian_mixture
from vi_ref.models.gaussian_mixture import COVARIANCE_TYPES, squared_mahalanobis

K, D = 3, 4


def random_covariances(rng, covariance_type, n_components=K, n_features=D):
    if covariance_type in ("full", "tied"):
        batch = (n_components,) if covariance_type == "full" else ()
        factor = rng.standard_normal(batch + (n_features, n_features))
        return factor @ np.swapaxes(factor, -1, -2) + 0.5 * np.eye(n_features)
    shape = (n_components, n_features) if covariance_type == "diag" else (n_components,)
    return rng.uniform(0.3, 2.0, shape)


def full_covariances(covariances, covariance_type, n_components=K, n_features=D):
    """Each component's D × D covariance matrix, for the scipy oracle."""
    if covariance_type == "full":
        return covariances
    if covariance_type == "tied":
        return np.repeat(covariances[None], n_components, axis=0)
    variances = covariances if covariance_type == "diag" else np.outer(covariances, np.ones(n_features))
    return np.stack([np.diag(v) for v in variances])


def random_mixture(rng, covariance_type, n_components=K, n_features=D, offset=0.0):
    weights = rng.dirichlet(np.full(n_components, 2.0))
    means = offset + 2.0 * rng.standard_normal((n_components, n_features))
    covariances = random_covariances(rng, covariance_type, n_components, n_features)
    model = GaussianMixture(weights, means, covariances, covariance_type=covariance_type)
    return model, weights, means, full_covariances(covariances, covariance_type, n_components, n_features)


def scipy_log_joint(x, weights, means, covariances):
    """log πₖ + log N(x | μₖ, Σₖ) by scipy.stats, shape (N, K)."""
    return np.stack(
        [np.log(w) + scipy.stats.multivariate_normal(m, c).logpdf(x)
         for w, m, c in zip(weights, means, covariances)],
        axis=-1,
    )


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    """Chunks of a few rows, so that every test crosses chunk boundaries."""
    monkeypatch.setattr(gaussian_mixture, "CHUNK_ELEMENTS", 7 * D)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_log_marginal_matches_scipy(covariance_type):
    rng = np.random.default_rng(1)
    model, weights, means, covariances = random_mixture(rng, covariance_type)
    x = 3.0 * rng.standard_normal((50, D))
    expected = scipy.special.logsumexp(scipy_log_joint(x, weights, means, covariances), axis=1)
    np.testing.assert_allclose(model.log_marginal(x), expected, rtol=1e-11, atol=0)
    assert np.isscalar(model.log_marginal(x[0]))
    np.testing.assert_allclose(model.log_marginal(x[0]), expected[0], rtol=1e-11)
    assert model.log_marginal(x.reshape(5, 10, D)).shape == (5, 10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_log_joint_components_match_scipy(covariance_type):
    rng = np.random.default_rng(2)
    model, weights, means, covariances = random_mixture(rng, covariance_type)
    x = 3.0 * rng.standard_normal((40, D))
    expected = scipy_log_joint(x, weights, means, covariances)
    np.testing.assert_allclose(model.log_joint_components(x), expected, rtol=1e-11, atol=0)
    assert model.log_joint_components(x[0]).shape == (K,)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_log_prior_likelihood_and_joint_match_scipy(covariance_type):
    rng = np.random.default_rng(3)
    model, weights, means, covariances = random_mixture(rng, covariance_type)
    x = 3.0 * rng.standard_normal((30, D))
    z = rng.integers(K, size=30)
    expected_likelihood = np.array(
        [scipy.stats.multivariate_normal(means[k], covariances[k]).logpdf(row) for row, k in zip(x, z)]
    )
    np.testing.assert_allclose(model.log_prior(z), np.log(weights[z]), rtol=1e-15)
    np.testing.assert_allclose(model.log_likelihood(x, z), expected_likelihood, rtol=1e-11)
    np.testing.assert_allclose(
        model.log_joint(x, z), np.log(weights[z]) + expected_likelihood, rtol=1e-11
    )
    # one point against every label broadcasts to (K,)
    np.testing.assert_allclose(
        model.log_likelihood(x[0], np.arange(K)),
        [scipy.stats.multivariate_normal(means[k], covariances[k]).logpdf(x[0]) for k in range(K)],
        rtol=1e-11,
    )


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_posterior_is_bayes_rule(covariance_type):
    rng = np.random.default_rng(4)
    model, weights, means, covariances = random_mixture(rng, covariance_type)
    x = 3.0 * rng.standard_normal((20, D))
    joint = np.exp(scipy_log_joint(x, weights, means, covariances))
    posterior = model.posterior(x)
    np.testing.assert_allclose(posterior.probs, joint / joint.sum(axis=1, keepdims=True), rtol=1e-10)
    assert posterior.batch_shape == (20,)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_log_marginal_exact_far_from_the_origin(covariance_type):
    rng = np.random.default_rng(5)
    model, weights, means, covariances = random_mixture(rng, covariance_type, offset=1e7)
    x = means[rng.integers(K, size=30)] + rng.standard_normal((30, D))
    expected = scipy.special.logsumexp(scipy_log_joint(x, weights, means, covariances), axis=1)
    np.testing.assert_allclose(model.log_marginal(x), expected, rtol=1e-11)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_squared_mahalanobis_matches_linear_solve(covariance_type):
    rng = np.random.default_rng(6)
    model, _, means, covariances = random_mixture(rng, covariance_type)
    x = rng.standard_normal((25, D))
    expected = np.stack(
        [np.einsum("nd,nd->n", x - m, np.linalg.solve(c, (x - m).T).T)
         for m, c in zip(means, covariances)],
        axis=1,
    )
    np.testing.assert_allclose(model.squared_mahalanobis(x), expected, rtol=1e-11)
    np.testing.assert_allclose(
        squared_mahalanobis(x, means, model.precisions_cholesky, covariance_type), expected, rtol=1e-11
    )


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_precisions_cholesky_is_sklearns_factor(covariance_type):
    rng = np.random.default_rng(7)
    model, _, _, covariances = random_mixture(rng, covariance_type)
    factor = model.precisions_cholesky
    if covariance_type in ("full", "tied"):
        # upper triangular P with P Pᵀ Σ = I
        np.testing.assert_array_equal(factor, np.triu(factor))
        product = factor @ np.swapaxes(factor, -1, -2) @ model.covariances
        np.testing.assert_allclose(product, np.broadcast_to(np.eye(D), product.shape), atol=1e-12)
    else:
        np.testing.assert_allclose(factor, 1 / np.sqrt(model.covariances), rtol=1e-15)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_from_precisions_is_the_same_mixture(covariance_type):
    rng = np.random.default_rng(8)
    model, weights, means, _ = random_mixture(rng, covariance_type)
    if covariance_type in ("full", "tied"):
        precisions = np.linalg.inv(model.covariances)  # the oracle may invert
    else:
        precisions = 1 / model.covariances
    same = GaussianMixture.from_precisions(weights, means, precisions, covariance_type=covariance_type)
    np.testing.assert_allclose(same.covariances, model.covariances, rtol=1e-12, atol=1e-14)
    factor = same.precisions_cholesky
    if covariance_type in ("full", "tied"):
        np.testing.assert_array_equal(factor, np.triu(factor))
        np.testing.assert_allclose(factor @ np.swapaxes(factor, -1, -2), precisions, rtol=1e-13)
    x = rng.standard_normal((10, D))
    np.testing.assert_allclose(same.log_marginal(x), model.log_marginal(x), rtol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_sample_moments_within_four_standard_errors(covariance_type):
    rng = np.random.default_rng(9)
    model, weights, means, covariances = random_mixture(rng, covariance_type)
    n = 20_000
    x, z = model.sample(n, rng=10)
    assert x.shape == (n, D) and z.shape == (n,)
    # label frequencies
    frequencies = np.bincount(z, minlength=K) / n
    assert np.all(np.abs(frequencies - weights) <= 4 * np.sqrt(weights * (1 - weights) / n))
    # E[x] = Σ πₖ μₖ and E[x xᵀ] = Σ πₖ (Σₖ + μₖ μₖᵀ), standard errors from the samples
    mean = weights @ means
    second = np.einsum("k,kij->ij", weights, covariances + np.einsum("ki,kj->kij", means, means))
    assert np.all(np.abs(x.mean(axis=0) - mean) <= 4 * x.std(axis=0, ddof=1) / np.sqrt(n))
    products = np.einsum("ni,nj->nij", x, x)
    standard_error = products.std(axis=0, ddof=1) / np.sqrt(n)
    assert np.all(np.abs(products.mean(axis=0) - second) <= 4 * standard_error)
    # within each component, x is drawn from that component
    for k in range(K):
        within = x[z == k]
        assert np.all(np.abs(within.mean(axis=0) - means[k])
                      <= 4 * within.std(axis=0, ddof=1) / np.sqrt(len(within)))


def test_sample_same_seed_same_draws():
    model, *_ = random_mixture(np.random.default_rng(11), "full")
    first, second = model.sample(100, rng=3), model.sample(100, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert model.sample(0, rng=1)[0].shape == (0, D)


def test_zero_weight_component_is_never_used():
    rng = np.random.default_rng(12)
    weights = np.array([0.4, 0.0, 0.6])
    model = GaussianMixture(weights, rng.standard_normal((3, 2)), np.ones(3), covariance_type="spherical")
    x = rng.standard_normal((50, 2))
    assert model.log_prior(1) == -np.inf
    assert np.all(np.isfinite(model.log_marginal(x)))
    assert np.all(model.posterior(x).probs[:, 1] == 0)
    assert not np.any(model.sample(1000, rng=0)[1] == 1)


def test_most_responsible_label_with_a_zero_weight_component():
    # a zero-weight component has log p(x, z = k) = −∞ for every point: the label is
    # the argmax of the others (scipy.stats densities), not a refusal
    rng = np.random.default_rng(13)
    weights, means = np.array([0.4, 0.0, 0.6]), rng.standard_normal((3, 2))
    model = GaussianMixture(weights, means, np.ones(3), covariance_type="spherical")
    x = rng.standard_normal((40, 2))
    expected = np.argmax(scipy_log_joint(x, weights[[0, 2]], means[[0, 2]], [np.eye(2)] * 2), axis=1)
    labels = gaussian_mixture.most_responsible(model.log_joint_components(x))
    np.testing.assert_array_equal(labels, np.array([0, 2])[expected])
    assert set(np.unique(labels)) == {0, 2}
    with pytest.raises(ValueError, match="far from every component"):
        gaussian_mixture.most_responsible(np.array([[0.0, -1.0], [-np.inf, -np.inf]]))
    with pytest.raises(TypeError, match="log_joint must be real numbers"):  # argmax('abc') was the label 0
        gaussian_mixture.most_responsible("abc")


# ----- the closed-form ELBO's gradient: chunks, boundary, memory --------------------------


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_elbo_grad_is_the_same_in_chunks_of_rows(covariance_type, monkeypatch):
    """The sums over data points are taken chunk by chunk (7 rows here, by the
    fixture): the result equals the one-chunk sum."""
    rng = np.random.default_rng(14)
    model, *_ = random_mixture(rng, covariance_type)
    x = 2.0 * rng.standard_normal((5, 6, D))
    q = Categorical(logits=rng.standard_normal((6, K)))  # x broadcasts against q's batch
    chunked = model.elbo_grad(x, q)
    monkeypatch.setattr(gaussian_mixture, "CHUNK_ELEMENTS", 10**6)
    whole = model.elbo_grad(x, q)
    for part, reference in zip(chunked, whole):
        for name in reference:
            np.testing.assert_allclose(part[name], reference[name], rtol=1e-12, atol=1e-12, err_msg=name)


def one_sided_quotient(function, point, direction, step):
    return (function(point + step * direction) - function(point)) / step


def test_elbo_grad_takes_one_sided_derivatives_where_q_is_zero():
    """At q(k) = 0 the ELBO can only be perturbed towards q(k) > 0: the derivative in
    probs is +∞ for a component of positive weight (−t log t has slope +∞ at 0⁺) and
    −∞ for one of weight 0 (any mass on it makes the ELBO −∞); a logit of −∞ has
    derivative 0; the weight of a component with no mass has derivative −N."""
    means, covariances = np.array([[0.0, 0.0], [1.0, 1.0]]), np.stack([np.eye(2), 2 * np.eye(2)])
    x = np.array([[0.3, 0.1], [1.0, 2.0], [-1.0, 0.5]])
    one_used = GaussianMixture([1.0, 0.0], means, covariances)
    posterior = one_used.posterior(x)  # puts 0 on component 1
    grads_theta, grads_phi = one_used.elbo_grad(x, posterior)
    assert not any(np.isnan(g).any() for g in (*grads_theta.values(), *grads_phi.values()))
    np.testing.assert_array_equal(grads_phi["probs"][:, 1], -np.inf)
    assert np.all(np.isfinite(grads_phi["probs"][:, 0]))

    def elbo_of_probs(model, probs):  # q's probs read as normalised, as the gradient does
        q = Categorical(probs=probs / probs.sum(axis=-1, keepdims=True))
        return float(np.sum(model.elbo(x, q)))

    towards_1 = np.zeros((3, 2))
    towards_1[0, 1] = 1.0
    quotient = one_sided_quotient(partial(elbo_of_probs, one_used), posterior.probs, towards_1, 1e-9)
    assert quotient == -np.inf
    # ∂/∂weights₁ = N₁/π₁ − N with N₁ = 0: −N, also at π₁ = 0 (weights read as w/Σw)
    assert grads_theta["weights"][1] == -3.0

    def elbo_of_weights(weights):
        model = GaussianMixture(weights / weights.sum(), means, covariances)
        return float(np.sum(model.elbo(x, posterior)))

    step = 1e-4
    quotient = one_sided_quotient(elbo_of_weights, one_used.weights, np.array([0.0, 1.0]), step)
    # the quotient is −N log(1 + t)/t = −N (1 − t/2 + …), t the step
    assert abs(quotient - (-3.0)) <= 3.0 * step / 2 + 1e-9

    both_used = GaussianMixture([0.5, 0.5], means, covariances)
    q = Categorical(probs=np.tile([1.0, 0.0], (3, 1)))
    _, grads_phi = both_used.elbo_grad(x, q)
    np.testing.assert_array_equal(grads_phi["probs"][:, 1], np.inf)
    # the quotients grow like log(1/t) (t log t / t), without bound: +∞
    quotients = [one_sided_quotient(partial(elbo_of_probs, both_used), q.probs, towards_1, step)
                 for step in (1e-4, 1e-7, 1e-10)]
    # (const − log t + O(t log t), round-off ε|ELBO|/t: both below 1e-3 of log 10³)
    np.testing.assert_allclose(np.diff(quotients), np.log(1e3), rtol=1e-3)

    _, grads_phi = one_used.elbo_grad(x, Categorical(logits=np.tile([0.0, -np.inf], (3, 1))))
    np.testing.assert_array_equal(grads_phi["logits"], 0.0)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_elbo_grad_is_the_derivative_of_the_elbo_for_every_covariance_type(covariance_type):
    """Oracle: Richardson finite differences of Σₙ ELBO(xₙ, qₙ) (the value is checked
    against scipy.stats above), reading the parameters as the gradient documents:
    weights as w/Σw, full and tied covariances by their symmetric part; q by logits,
    whose derivative carries the factor rₙₖ. tests/test_elbo.py checks full and diag
    against autodiff; tied (a sum over k) and spherical (a trace) only here."""
    rng = np.random.default_rng(16)
    model, weights, means, _ = random_mixture(rng, covariance_type, n_features=2)
    x = 2.0 * rng.standard_normal((5, 2))
    logits = rng.standard_normal((5, K))
    grads_theta, grads_phi = model.elbo_grad(x, Categorical(logits=logits))
    parameters = {"weights": weights, "means": means, "covariances": model.covariances}

    def total_elbo(name, value):
        changed = {**parameters, name: value}
        if covariance_type in ("full", "tied"):
            changed["covariances"] = (changed["covariances"] + np.swapaxes(changed["covariances"], -1, -2)) / 2
        mixture = GaussianMixture(changed["weights"] / changed["weights"].sum(), changed["means"],
                                  changed["covariances"], covariance_type=covariance_type)
        return float(np.sum(mixture.elbo(x, Categorical(logits=logits))))

    for name, value in parameters.items():
        check = check_gradient(partial(total_elbo, name), lambda _, name=name: grads_theta[name], value,
                               method="richardson", rtol=1e-7, atol=1e-9, name=name)
        assert check.ok, str(check)
    check = check_gradient(lambda v: float(np.sum(model.elbo(x, Categorical(logits=v)))),
                           lambda _: grads_phi["logits"], logits, method="richardson", rtol=1e-7, atol=1e-9)
    assert check.ok, str(check)


def test_elbo_is_minus_infinity_and_has_no_gradient_with_mass_on_a_zero_weight_component():
    model = GaussianMixture([1.0, 0.0], np.zeros((2, 2)), np.stack([np.eye(2), np.eye(2)]))
    x = np.zeros((2, 2))
    # a logit of −800 gives a probability that rounds to 0 but is positive
    for q in (Categorical(probs=[0.9, 0.1]), Categorical(logits=[0.0, -800.0])):
        np.testing.assert_array_equal(model.elbo(x, q), -np.inf)
        with pytest.raises(ValueError, match="positive probability to component 1, whose weight is 0"):
            model.elbo_grad(x, q)


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_elbo_grad_forms_no_array_of_size_n_k_d(covariance_type, monkeypatch):
    """Working memory O(N·K + K·D²): the peak is below a quarter of one (N, K, D) array."""
    monkeypatch.setattr(gaussian_mixture, "CHUNK_ELEMENTS", 1 << 17)  # the default
    rng = np.random.default_rng(15)
    model, *_ = random_mixture(rng, covariance_type, n_components=4, n_features=64)
    x = rng.standard_normal((20_000, 64))
    q = model.posterior(x)
    tracemalloc.start()
    try:
        model.elbo_grad(x, q)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < x.size * 4 * 8 / 4, peak


# ----- refusals ------------------------------------------------------------------


GOOD = {
    "weights": np.array([0.5, 0.5]),
    "means": np.zeros((2, 2)),
    "covariances": np.stack([np.eye(2), np.eye(2)]),
}


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"weights": [0.7, 0.7]}, "weights must sum to 1"),
        ({"weights": [1.5, -0.5]}, "weights must be non-negative"),
        ({"weights": [[0.5, 0.5]]}, "weights must be 1-dimensional"),
        ({"weights": []}, "weights must have at least one component"),
        ({"weights": [np.nan, 1.0]}, "weights must be finite"),
        ({"means": np.zeros((3, 2))}, "means must have one row per component"),
        ({"means": np.zeros(2)}, "means must be 2-dimensional"),
        ({"means": [[0.0, np.inf], [0.0, 0.0]]}, "means must be finite"),
        # D = 0 with covariances of that shape: refused for the means, not let through
        ({"means": np.zeros((2, 0)), "covariances": np.zeros((2, 0, 0))},
         r"means must have at least one column \(D >= 1\)"),
        ({"covariances": np.eye(2)}, "covariances must have shape"),
        ({"covariances": np.stack([np.eye(2), [[1.0, 0.5], [0.0, 1.0]]])},
         "covariances must be symmetric"),
        ({"covariances": np.stack([np.eye(2), [[1.0, 2.0], [2.0, 1.0]]])},
         "covariances must be positive definite"),
    ],
)
def test_constructor_refuses_bad_parameters(changes, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixture(**{**GOOD, **changes})


@pytest.mark.parametrize(
    "covariance_type, covariances, match",
    [
        ("diag", [[1.0, 0.0], [1.0, 1.0]], "covariances must be positive"),
        ("spherical", [1.0, -2.0], "covariances must be positive"),
        ("tied", np.ones((2, 2, 2)), "covariances must have shape"),
        ("blocked", np.ones(2), "covariance_type must be one of"),
    ],
)
def test_constructor_refuses_bad_covariances_of_each_type(covariance_type, covariances, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixture(GOOD["weights"], GOOD["means"], covariances, covariance_type=covariance_type)


def test_from_precisions_refuses_non_positive_definite_precisions():
    with pytest.raises(ValueError, match="precisions must be positive definite"):
        GaussianMixture.from_precisions(
            GOOD["weights"], GOOD["means"], np.stack([np.eye(2), -np.eye(2)])
        )


def test_methods_refuse_bad_points_and_labels():
    model = GaussianMixture(**GOOD)
    with pytest.raises(ValueError, match="x must have D = 2"):
        model.log_marginal(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="x must be finite"):
        model.log_joint_components([[0.0, np.nan]])
    with pytest.raises(ValueError, match=r"z must be component labels in 0\.\.1"):
        model.log_prior([0, 2])
    with pytest.raises(ValueError, match="z must be integer"):
        model.log_likelihood(np.zeros(2), 0.5)
    with pytest.raises(TypeError, match="z must be integer"):
        model.log_joint(np.zeros(2), True)
    with pytest.raises(ValueError, match="n must be >= 0"):
        model.sample(-1)


def test_a_point_too_far_for_a_posterior_is_named_as_the_callers_argument():
    # the error named log_joint, an array the caller of posterior(x) never passed
    far = np.array([[0.0, 0.0], [1e160, 0.0]])  # every (x − μ)ᵀΣ⁻¹(x − μ) overflows
    with pytest.raises(ValueError, match="x has a point so far from every component .* at index 1"):
        GaussianMixture(**GOOD).posterior(far)
    assert GaussianMixture(**GOOD).log_marginal(far)[1] == -np.inf  # the evidence itself is fine
    with pytest.raises(ValueError, match="log_joint must have a finite entry"):
        gaussian_mixture.posterior_from_log_joint([[np.nan, 0.0]], points="x")  # not a far point


def test_posterior_from_log_joint_is_stable_at_the_extremes():
    log_joint = np.array([[1000.0, -1e300, -np.inf], [-800.0, -800.0 - np.log(3.0), -1600.0]])
    responsibilities, log_evidence = gaussian_mixture.posterior_from_log_joint(log_joint)
    np.testing.assert_array_equal(responsibilities[0], [1.0, 0.0, 0.0])
    # −800 − log 3 is stored to within ε·800 ≈ 1e-13, hence the tolerance
    np.testing.assert_allclose(responsibilities[1], [0.75, 0.25, 0.0], rtol=1e-12)
    np.testing.assert_allclose(log_evidence, [1000.0, -800.0 + np.log(4 / 3)], rtol=1e-15)
