"""The six variational families against independent oracles: log-densities and
entropies against scipy.stats, sampling moments and laws against the closed-form
moments and CDFs, the score identity E_q[∇ log q] = 0, and every hand-written
derivative three ways (hand-written = autodiff of the same formula = finite
differences)."""

import numpy as np
import pytest
import scipy.special
import scipy.stats

from vi_ref import autodiff as ad
from vi_ref import distributions as dist
from vi_ref.distributions import Categorical, Exponential, Gamma, LogNormal, MultivariateNormal, Normal
from vi_ref.registry import distributions as registry_entries

SEED = 20261124


def _spd(rng, size):
    factor = rng.standard_normal((size, size))
    return factor @ factor.T + size * np.eye(size)


# (label, q, frozen scipy.stats law, points at which to compare); batched
# parameters are compared entry by entry against one scipy law per batch entry.
def _scalar_cases():
    rng = np.random.default_rng(0)
    loc, scale = rng.standard_normal((2, 3)), rng.uniform(0.3, 3.0, 3)
    rate = rng.uniform(0.2, 5.0, (2, 1))
    concentration, gamma_rate = rng.uniform(0.3, 6.0, 4), rng.uniform(0.2, 4.0, 4)
    return [
        ("Normal", Normal(loc, scale), lambda i: scipy.stats.norm(loc[i], scale[i[-1]]), rng.normal(size=(5, 2, 3)) * 3),
        ("Exponential", Exponential(rate), lambda i: scipy.stats.expon(scale=1 / rate[i]), rng.exponential(size=(5, 2, 1)) + 0.05),
        (
            "Gamma",
            Gamma(concentration, gamma_rate),
            lambda i: scipy.stats.gamma(concentration[i], scale=1 / gamma_rate[i]),
            rng.gamma(2.0, size=(5, 4)) + 0.05,
        ),
        (
            "LogNormal",
            LogNormal(loc[0], scale),
            lambda i: scipy.stats.lognorm(s=scale[i], scale=np.exp(loc[0][i])),
            rng.lognormal(size=(5, 3)),
        ),
    ]


SCALAR_CASES = _scalar_cases()


def _max_relative_error(actual, expected):
    return float(np.max(np.abs(actual - expected) / np.abs(expected)))


def _per_batch_member(q, law, x, value):
    """x broadcast with q's batch, and ``value(frozen scipy law, its x)`` for each
    member of the batch: the scipy.stats side, one parameter set at a time."""
    shape = np.broadcast_shapes(x.shape, q.batch_shape)
    x = np.broadcast_to(x, shape)
    expected = np.empty(shape)
    for index in np.ndindex(*q.batch_shape):
        expected[(...,) + index] = value(law(index), x[(...,) + index])
    return x, expected


@pytest.mark.parametrize("label, q, law, x", SCALAR_CASES, ids=[case[0] for case in SCALAR_CASES])
def test_log_prob_matches_scipy_stats_for_batched_parameters(label, q, law, x):
    x, expected = _per_batch_member(q, law, x, lambda frozen, values: frozen.logpdf(values))
    assert _max_relative_error(q.log_prob(x), expected) <= 1e-12


def _scipy_log_density_slope(logpdf, x, step):
    """d/dx of a scipy.stats log-density by a central difference (error O(step²))."""
    return (logpdf(x + step) - logpdf(x - step)) / (2 * step)


@pytest.mark.parametrize("label, q, law, x", SCALAR_CASES, ids=[case[0] for case in SCALAR_CASES])
def test_log_prob_x_grad_is_the_slope_of_the_scipy_stats_log_density(label, q, law, x):
    x, expected = _per_batch_member(
        q, law, x, lambda frozen, values: _scipy_log_density_slope(frozen.logpdf, values, 1e-5 * np.minimum(1, values))
    )
    np.testing.assert_allclose(q.log_prob_x_grad(x)["x"], expected, rtol=1e-6, atol=1e-8)


def test_multivariate_normal_log_prob_x_grad_is_the_slope_of_scipy_stats():
    rng = np.random.default_rng(5)
    loc, covariance = rng.standard_normal(3), _spd(rng, 3)
    q = MultivariateNormal(loc, covariance_matrix=covariance)
    x = rng.standard_normal((4, 3)) * 2
    law = scipy.stats.multivariate_normal(loc, covariance)
    step = 1e-5
    expected = np.stack(
        [(law.logpdf(x + step * unit) - law.logpdf(x - step * unit)) / (2 * step) for unit in np.eye(3)], axis=-1
    )
    np.testing.assert_allclose(q.log_prob_x_grad(x)["x"], expected, rtol=1e-7, atol=1e-9)


def test_log_prob_x_grad_is_zero_outside_the_support():
    for q in (Gamma(2.0, 1.0), LogNormal(0.0, 1.0), Exponential(2.0)):
        np.testing.assert_array_equal(q.log_prob_x_grad(np.array([-1.0, -np.inf]))["x"], 0.0)
    assert Exponential(2.0).log_prob_x_grad(0.0)["x"] == -2.0  # from the right at x = 0


@pytest.mark.parametrize("label, q, law, x", SCALAR_CASES, ids=[case[0] for case in SCALAR_CASES])
def test_entropy_matches_scipy_stats_for_batched_parameters(label, q, law, x):
    expected = np.array([law(index).entropy() for index in np.ndindex(*q.batch_shape)]).reshape(q.batch_shape)
    assert _max_relative_error(q.entropy(), expected) <= 1e-12


def test_multivariate_normal_log_prob_and_entropy_match_scipy_stats_batched():
    rng = np.random.default_rng(1)
    loc = rng.standard_normal((2, 3))
    covariances = np.stack([_spd(rng, 3), _spd(rng, 3)])
    q = MultivariateNormal(loc, covariance_matrix=covariances)
    x = rng.standard_normal((4, 2, 3)) * 2
    expected = np.stack(
        [scipy.stats.multivariate_normal(loc[b], covariances[b]).logpdf(x[:, b]) for b in range(2)], axis=1
    )
    assert _max_relative_error(q.log_prob(x), expected) <= 1e-12
    entropies = [scipy.stats.multivariate_normal(loc[b], covariances[b]).entropy() for b in range(2)]
    assert _max_relative_error(q.entropy(), np.array(entropies)) <= 1e-12


def test_categorical_log_prob_and_entropy_match_scipy_stats_batched():
    rng = np.random.default_rng(2)
    probs = rng.dirichlet(np.ones(5), size=3)
    x = rng.integers(0, 5, size=(6, 3))
    for q in (Categorical(probs=probs), Categorical(logits=np.log(probs) + 7.0)):
        expected = scipy.stats.multinomial(1, probs).logpmf(np.eye(5)[x])
        assert _max_relative_error(q.log_prob(x), expected) <= 1e-12
        assert _max_relative_error(q.entropy(), scipy.stats.entropy(probs, axis=-1)) <= 1e-12


def test_diagonal_normal_is_the_multivariate_normal_with_diagonal_covariance():
    rng = np.random.default_rng(3)
    loc, scale = rng.standard_normal(4), rng.uniform(0.5, 2.0, 4)
    q = Normal(loc, scale)
    x = rng.standard_normal((5, 4))
    law = scipy.stats.multivariate_normal(loc, np.diag(scale**2))
    assert _max_relative_error(q.log_prob(x, diagonal=True), law.logpdf(x)) <= 1e-12
    assert q.entropy(diagonal=True) == pytest.approx(law.entropy(), rel=1e-12)


@pytest.mark.parametrize("label, q, law, x", SCALAR_CASES, ids=[case[0] for case in SCALAR_CASES])
def test_mean_and_variance_match_scipy_stats_for_batched_parameters(label, q, law, x):
    for name, moment in (("mean", "mean"), ("variance", "var")):
        expected = np.array([getattr(law(index), moment)() for index in np.ndindex(*q.batch_shape)])
        assert _max_relative_error(getattr(q, name), expected.reshape(q.batch_shape)) <= 1e-12, name


def test_multivariate_normal_and_categorical_moments_match_scipy_stats():
    rng = np.random.default_rng(11)
    covariance = _spd(rng, 3)
    q = MultivariateNormal(rng.standard_normal(3), covariance_matrix=covariance)
    assert _max_relative_error(q.variance, np.diag(covariance)) <= 1e-12
    probs = rng.dirichlet(np.ones(5), size=2)
    laws = [scipy.stats.rv_discrete(values=(np.arange(5), row)) for row in probs]
    categorical = Categorical(probs=probs)
    assert _max_relative_error(categorical.mean, [law.mean() for law in laws]) <= 1e-12
    assert _max_relative_error(categorical.variance, [law.var() for law in laws]) <= 1e-12


def test_lognormal_variance_far_in_the_tails_obeys_var_of_cz_equals_c_squared_var_z():
    # LogNormal(μ + c, σ) is the law of e^c z for z ~ LogNormal(μ, σ). At μ = −1000,
    # σ = 30 the product form (e^σ² − 1) e^(2μ + σ²) is ∞ · 0; the variance is e^−200.
    far, nearer = LogNormal(-1000.0, 30.0), LogNormal(-650.0, 30.0)
    assert far.variance == pytest.approx(np.exp(2 * -350.0) * nearer.variance, rel=1e-11)
    assert far.variance == pytest.approx(np.exp(-200.0), rel=1e-11)


def test_gamma_draws_with_small_concentration_stay_inside_the_support():
    # P(z < 5e-324) = e^(0.005 log 5e-324) / Γ(1.005) ≈ 1 in 40 for Gamma(0.005, 1): such
    # draws round to 0, outside the support, unless rounded up
    q = Gamma(0.005, 1.0)
    z = q.sample(3000, rng=SEED)
    assert np.all(q.support.check(z))
    assert np.all(np.isfinite(q.log_prob(z)))


def test_gamma_draws_below_the_smallest_normal_float_are_numpys_draws():
    """NumPy's generator draws subnormal values (below 2.2e-308) from Gamma(0.005, 1)
    about 1 in 200 times; they lie in the support and are kept as drawn, and only a
    draw that rounds to 0 becomes the least positive float 5e-324."""
    z = Gamma(0.005, 1.0).sample(3000, rng=SEED)
    numpy_draws = np.random.default_rng(SEED).gamma(0.005, 1.0, 3000)
    subnormal = (numpy_draws > 0) & (numpy_draws < np.finfo(float).tiny)
    assert subnormal.sum() >= 5 and np.any(numpy_draws == 0)
    np.testing.assert_array_equal(z, np.where(numpy_draws == 0, 5e-324, numpy_draws))


def test_gamma_score_in_the_shape_far_from_the_mode_matches_the_digamma_formula():
    """For α ≥ 10 the score ∂ log q/∂α = log β − ψ(α) + log x is computed from
    r = βx/α (log1p(r − 1) near r = 1); checked against the textbook form with
    scipy's ψ, at x on both sides of the mode, down to r = 0.1 and up to r = 6."""
    alpha, beta = np.array([12.0, 50.0, 400.0]), 2.0
    x = np.array([[0.1], [0.3], [0.7], [1.0], [1.6], [3.0], [6.0]]) * alpha / beta
    expected = np.log(beta) - scipy.special.digamma(alpha) + np.log(x)
    np.testing.assert_allclose(Gamma(alpha, beta).log_prob_grad(x)["concentration"], expected, rtol=1e-12, atol=1e-14)


def test_gamma_log_prob_of_an_empty_batch_is_empty():
    """No concentration at all: neither the direct form nor Stirling's is selected by
    an entry, yet the result (and its gradient) is the empty array, as for Normal;
    building only the selected forms raised UnboundLocalError ('direct')."""
    assert Gamma(np.ones(0), 1.0).log_prob(np.ones((3, 0))).shape == (3, 0)
    value, (d_concentration, d_rate) = ad.value_and_grad(
        lambda concentration, rate: ad.sum(dist.gamma_log_prob(np.ones((2, 0)), concentration, rate)), (0, 1)
    )(np.ones(0), 2.0)
    assert value == 0.0 and d_concentration.shape == (0,) and d_rate == 0.0


def test_categorical_logits_minus_infinity_is_a_category_of_probability_zero():
    logits = np.array([[0.5, -np.inf, 1.5], [-np.inf, 0.0, 0.0]])
    probs = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    q = Categorical(logits=logits)
    x = np.array([[0, 1], [2, 0], [1, 2]])
    expected = scipy.stats.multinomial(1, probs).logpmf(np.eye(3)[x])
    assert np.array_equal(q.log_prob(x) == -np.inf, expected == -np.inf)
    finite = np.isfinite(expected)
    assert _max_relative_error(q.log_prob(x)[finite], expected[finite]) <= 1e-12
    assert _max_relative_error(q.entropy(), scipy.stats.entropy(probs, axis=-1)) <= 1e-12
    assert not np.any(q.sample(1000, rng=SEED) == [1, 0])
    from_probs = Categorical(probs=[0.25, 0.0, 0.75])
    np.testing.assert_allclose(Categorical(logits=from_probs.logits).probs, from_probs.probs, rtol=1e-15, atol=0)


def test_categorical_score_in_the_probabilities_at_a_category_of_probability_zero():
    """With probs read as p/Σp, log q(x) = log pₓ − log Σₖ pₖ: its derivative in a pⱼ = 0
    (j ≠ x) is −1, finite (not 0/0), as central differences of that function show."""
    probs = np.array([0.5, 0.0, 0.5])
    score = Categorical(probs=probs).log_prob_grad(np.array([0, 2]))["probs"]
    step = 1e-6
    for row, x in enumerate((0, 2)):
        for j in range(3):
            shift = step * np.eye(3)[j]
            slope = (np.log((probs + shift)[x] / np.sum(probs + shift))
                     - np.log((probs - shift)[x] / np.sum(probs - shift))) / (2 * step)
            assert score[row, j] == pytest.approx(slope, rel=1e-8, abs=1e-10), (x, j)


def test_categorical_entropy_gradient_is_zero_at_a_category_of_probability_zero():
    """∂H/∂logitsⱼ = −pⱼ (log pⱼ + H) → 0 as pⱼ → 0 (pⱼ log pⱼ → 0), not 0 · (−∞) = NaN;
    the other entries are the central differences of scipy.stats.entropy of the
    softmax in the finite logits."""
    logits = np.array([0.5, -np.inf, 1.5, -0.3])
    gradient = Categorical(logits=logits).entropy_grad()["logits"]
    assert gradient[1] == 0.0
    step = 1e-6
    for j in (0, 2, 3):
        shift = step * np.eye(4)[j]
        slope = (scipy.stats.entropy(scipy.special.softmax(logits + shift))
                 - scipy.stats.entropy(scipy.special.softmax(logits - shift))) / (2 * step)
        assert gradient[j] == pytest.approx(slope, rel=1e-7, abs=1e-9)


# ---------------------------------------------------------------------------
# Sampling: moments, laws, reparameterisation
# ---------------------------------------------------------------------------


def _mvn():
    rng = np.random.default_rng(4)
    return MultivariateNormal(rng.standard_normal((2, 3)), covariance_matrix=_spd(rng, 3))


ALL_FAMILIES = [
    ("Normal", Normal(np.array([-1.0, 0.5, 3.0]), np.array([[0.5], [2.0]]))),
    ("MultivariateNormal", _mvn()),
    ("Exponential", Exponential(np.array([0.5, 3.0]))),
    ("Gamma", Gamma(np.array([0.4, 2.5, 9.0]), 1.5)),
    ("LogNormal", LogNormal(np.array([0.3, -1.0]), np.array([0.25, 0.5]))),
    ("Categorical", Categorical(probs=np.array([[0.1, 0.6, 0.3], [0.5, 0.0, 0.5]]))),
]
IDS = [label for label, _ in ALL_FAMILIES]


def _within_standard_errors(values, expected, k=4.0):
    """|mean of values − expected| ≤ k · standard error, entry by entry."""
    values = np.asarray(values, dtype=float)
    mean = values.mean(axis=0)
    standard_error = values.std(axis=0, ddof=1) / np.sqrt(values.shape[0])
    return np.abs(mean - expected) <= k * standard_error


@pytest.mark.parametrize("label, q", ALL_FAMILIES, ids=IDS)
def test_sample_shape_and_moments_within_four_standard_errors(label, q):
    z = q.sample(20000, rng=SEED)
    assert z.shape == (20000,) + q.batch_shape + q.event_shape
    assert np.all(q.support.check(z))
    assert np.all(_within_standard_errors(z, q.mean))
    assert np.all(_within_standard_errors((z - q.mean) ** 2, q.variance))


def test_multivariate_normal_sample_covariance_within_four_standard_errors():
    q = _mvn()
    z = q.sample(20000, rng=SEED) - q.mean
    products = z[..., :, None] * z[..., None, :]
    assert np.all(_within_standard_errors(products, q.covariance_matrix))


@pytest.mark.parametrize("label, q", ALL_FAMILIES, ids=IDS)
def test_mean_variance_and_entropy_have_the_batch_shape(label, q):
    """One value per batch member, also where a parameter that does not enter (μ in
    the entropy of a Normal or of a MultivariateNormal) carries the batch's shape."""
    assert np.shape(q.mean) == np.shape(q.variance) == q.batch_shape + q.event_shape
    assert np.shape(q.entropy()) == q.batch_shape


@pytest.mark.parametrize("label, q", ALL_FAMILIES, ids=IDS)
def test_same_seed_gives_bit_identical_samples(label, q):
    assert np.array_equal(q.sample(50, rng=7), q.sample(50, rng=np.random.default_rng(7)))


REPARAMETERIZED = [(label, q) for label, q in ALL_FAMILIES if isinstance(q, dist.ReparameterizedDistribution)]
CDFS = {
    "Normal": lambda q, index: scipy.stats.norm(q.mean[index], np.sqrt(q.variance[index])).cdf,
    "Exponential": lambda q, index: scipy.stats.expon(scale=1 / q.rate[index]).cdf,
    "LogNormal": lambda q, index: scipy.stats.lognorm(s=q.scale[index], scale=np.exp(q.loc[index])).cdf,
}


@pytest.mark.parametrize("label, q", REPARAMETERIZED, ids=[label for label, _ in REPARAMETERIZED])
def test_rsample_is_sample_and_transform_of_parameter_free_noise(label, q):
    z, eps = q.rsample(1000, rng=SEED)
    assert np.array_equal(z, q.sample(1000, rng=SEED))
    assert np.array_equal(z, q.transform(eps))
    # the base noise does not depend on the parameters: another member of the
    # family, same seed, same noise
    if isinstance(q, MultivariateNormal):
        other = MultivariateNormal(q.loc + 1, scale_tril=2 * q.scale_tril)
    else:
        other = type(q)(**{name: 2 * value for name, value in q.params.items()})
    assert np.array_equal(other.rsample(1000, rng=SEED)[1], eps)


# Goodness of fit: each test rejects at p ≤ 1e-6 (≈ 4.9 σ two-sided, as the tour's
# policy), not 1e-3: with 14 such checks, p > 1e-3 failed 5 of 300 seeds. 20000 draws
# (not 4000) keep the power: a Normal whose scale is 10 % off is rejected with
# probability ≈ 1 (at 4000 draws and 1e-6: 0.01).
GOODNESS_OF_FIT_DRAWS = 20000
FALSE_ALARM = 1e-6


@pytest.mark.parametrize("label", sorted(CDFS))
def test_rsample_draws_follow_the_law_kolmogorov_smirnov(label):
    q = dict(ALL_FAMILIES)[label]
    z, _ = q.rsample(GOODNESS_OF_FIT_DRAWS, rng=SEED)
    for index in np.ndindex(*q.batch_shape):
        cdf = CDFS[label](q, index)
        assert scipy.stats.kstest(z[(slice(None),) + index], cdf).pvalue > FALSE_ALARM


def test_multivariate_normal_rsample_is_r_eps_plus_mu_with_standard_normal_eps():
    q = _mvn()
    z, eps = q.rsample(GOODNESS_OF_FIT_DRAWS, rng=SEED)
    assert np.allclose(z, np.einsum("ij,nbj->nbi", q.scale_tril, eps) + q.loc, rtol=1e-14, atol=1e-14)
    assert scipy.stats.kstest(eps.ravel(), scipy.stats.norm.cdf).pvalue > FALSE_ALARM


def test_gamma_samples_follow_the_law_kolmogorov_smirnov():
    q = Gamma(np.array([0.4, 2.5]), np.array([1.5, 0.5]))
    z = q.sample(GOODNESS_OF_FIT_DRAWS, rng=SEED)
    for b in range(2):
        law = scipy.stats.gamma(q.concentration[b], scale=1 / q.rate[b])
        assert scipy.stats.kstest(z[:, b], law.cdf).pvalue > FALSE_ALARM


def test_categorical_samples_follow_the_probabilities_chi_square():
    q = Categorical(probs=np.array([0.1, 0.6, 0.3, 0.0]))
    z = q.sample(GOODNESS_OF_FIT_DRAWS, rng=SEED)
    assert z.dtype.kind == "i"
    counts = np.bincount(z, minlength=4)
    assert counts[3] == 0
    assert scipy.stats.chisquare(counts[:3], GOODNESS_OF_FIT_DRAWS * q.probs[:3]).pvalue > FALSE_ALARM


def test_categorical_sampling_by_binary_search_is_the_inverse_cdf_of_each_batch_member(monkeypatch):
    """Above ``COMPARISON_ELEMENTS`` comparisons each batch member is sampled by its own
    binary search; forced down that path, every draw must be the inverse-CDF value
    z = #{k < K − 1 : F_k ≤ u} of its own member's F, for the uniforms u the seed gives
    (counted here one draw at a time, by the definition)."""
    probs = np.random.default_rng(6).dirichlet(np.ones(5), size=(2, 3))
    monkeypatch.setattr(dist, "COMPARISON_ELEMENTS", 0)
    draws = Categorical(probs=probs).sample(40, rng=SEED)
    uniform = np.random.default_rng(SEED).random((40, 2, 3))
    cumulative = np.cumsum(probs, axis=-1)
    for index in np.ndindex(*uniform.shape):
        assert draws[index] == sum(cumulative[index[1:]][k] <= uniform[index] for k in range(4)), index


class _HighestUniform(np.random.Generator):
    """A generator whose uniforms are all 1 − 2⁻⁵³, the largest ``random`` returns."""

    def random(self, size=None, dtype=np.float64, out=None):
        return np.full(size, 1 - 2.0**-53)


@pytest.mark.parametrize("binary_search", [False, True])
def test_categorical_never_draws_a_trailing_category_of_probability_zero(monkeypatch, binary_search):
    """These probabilities sum to 0.9999999999999999 in floating point, so the largest
    uniform is ≥ every cumulative probability and counting alone gives the last
    category, whose probability is 0; the draw must be the last one with p > 0 (here
    3), as in a batch whose other member has no zero (there K − 1 = 4)."""
    if binary_search:
        monkeypatch.setattr(dist, "COMPARISON_ELEMENTS", 0)
    probs = np.array([[0.49536268097546354, 0.09287525439877223, 0.06051618296995935, 0.35124588165580484, 0.0],
                      [0.2, 0.2, 0.2, 0.2, 0.2]])
    assert np.cumsum(probs[0])[3] < 1
    draws = Categorical(probs=probs).sample(3, rng=_HighestUniform(np.random.PCG64(0)))
    np.testing.assert_array_equal(draws, [[3, 4]] * 3)


# ---------------------------------------------------------------------------
# The score identity and the hand-written derivatives
# ---------------------------------------------------------------------------

SCORE_FAMILIES = ALL_FAMILIES + [("Categorical-logits", Categorical(logits=np.array([[0.2, -1.0, 1.5], [0.0, 0.3, 0.1]])))]


@pytest.mark.parametrize("label, q", SCORE_FAMILIES, ids=[label for label, _ in SCORE_FAMILIES])
def test_score_has_mean_zero_within_four_standard_errors(label, q):
    if label == "Categorical":  # a zero probability has an infinite score entry
        q = Categorical(probs=np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3]]))
    score = q.log_prob_grad(q.sample(20000, rng=SEED))
    for name, per_sample in score.items():
        assert per_sample.shape[0] == 20000
        assert np.all(_within_standard_errors(per_sample, 0.0)), name


# Hand-written vs autodiff of the same formula vs finite differences, for every
# registered derivative of this module.
@pytest.mark.parametrize("case", registry_entries.CASES, ids=lambda case: case.name)
def test_derivative_three_ways_hand_written_autodiff_finite_differences(case, three_ways):
    three_ways(case, SEED)


@pytest.mark.parametrize("label, q", REPARAMETERIZED, ids=[label for label, _ in REPARAMETERIZED])
def test_transform_vjp_is_per_sample(label, q):
    formula = registry_entries.FAMILIES[label]["transform"]
    _, eps = q.rsample(3, rng=SEED)
    cotangent = np.random.default_rng(1).standard_normal(eps.shape)
    per_sample = q.transform_vjp(eps, cotangent)
    names = list(q.params)
    for s in range(3):
        contracted = lambda *arrays: ad.sum(cotangent[s] * formula(eps[s], **dict(zip(names, arrays))))  # noqa: E731
        expected = ad.grad(contracted, argnums=tuple(range(len(names))))(*q.params.values())
        for name, gradient in zip(names, expected):
            assert per_sample[name].shape == (3,) + q.params[name].shape
            np.testing.assert_allclose(per_sample[name][s], gradient, rtol=1e-12, atol=1e-14)


def test_score_entries_have_the_broadcast_log_prob_shape_plus_the_parameter_event_shape():
    q = MultivariateNormal(np.zeros((4, 2)), scale_tril=np.eye(2))
    score = q.log_prob_grad(np.ones((5, 4, 2)))
    assert score["loc"].shape == (5, 4, 2) and score["scale_tril"].shape == (5, 4, 2, 2)
    q = Normal(np.zeros((2, 1)), np.ones(3))
    assert {k: v.shape for k, v in q.log_prob_grad(np.ones((5, 1, 3))).items()} == {"loc": (5, 2, 3), "scale": (5, 2, 3)}
    assert {k: v.shape for k, v in q.entropy_grad().items()} == {"loc": (2, 1), "scale": (3,)}


# ---------------------------------------------------------------------------
# Supports and parameters
# ---------------------------------------------------------------------------


def test_log_prob_is_minus_infinity_outside_the_support_and_its_score_zero():
    assert Exponential(2.0).log_prob(-0.5) == -np.inf
    assert Exponential(2.0).log_prob(0.0) == np.log(2.0)
    assert Gamma(2.0, 1.0).log_prob(0.0) == -np.inf
    assert LogNormal(0.0, 1.0).log_prob(-1.0) == -np.inf
    assert Normal(0.0, 1.0).log_prob(np.inf) == -np.inf
    assert np.array_equal(Categorical(probs=[0.5, 0.5]).log_prob([-1, 2, np.inf]), [-np.inf] * 3)
    assert Exponential(2.0).log_prob_grad(-0.5)["rate"] == 0.0
    assert str(Exponential(1.0).support) == "nonnegative"
    assert np.array_equal(Gamma(1.0, 1.0).support.check([-1.0, 0.0, 1.0, np.inf]), [False, False, True, False])
    assert np.array_equal(Categorical(logits=np.zeros(3)).support.check([0, 2, 3, 1.5]), [True, True, False, False])
    assert np.array_equal(_mvn().support.check(np.array([[0.0, 1.0, 2.0], [0.0, np.inf, 1.0]])), [True, False])


def test_parameters_are_readable_under_their_constructor_names():
    covariance = np.array([[2.0, 0.3], [0.3, 1.0]])
    q = MultivariateNormal([0.0, 1.0], covariance_matrix=covariance)
    assert set(q.params) == {"loc", "scale_tril"}
    assert np.allclose(q.covariance_matrix, covariance, rtol=1e-15)
    same = MultivariateNormal([0.0, 1.0], scale_tril=q.scale_tril)
    assert np.array_equal(same.log_prob([[0.5, 0.5]]), q.log_prob([[0.5, 0.5]]))
    from_logits = Categorical(logits=[1.0, 2.0, 3.0])
    assert set(from_logits.params) == {"logits"}
    assert np.allclose(np.exp(from_logits.logits), from_logits.probs, rtol=1e-15)
    assert from_logits.logits[2] == pytest.approx(3.0 - np.log(np.exp(1) + np.exp(2) + np.exp(3)), rel=1e-15)
    assert set(Categorical(probs=[0.2, 0.8]).params) == {"probs"}
    assert Gamma(2.0, [1.0, 2.0]).batch_shape == (2,)
    assert _mvn().event_shape == (3,) and _mvn().batch_shape == (2,)


# ---------------------------------------------------------------------------
# Refusals
# ---------------------------------------------------------------------------

BAD_PARAMETERS = [
    ("scale", lambda: Normal(0.0, 0.0)),
    ("scale", lambda: Normal(0.0, -1.0)),
    ("scale", lambda: Normal(0.0, np.nan)),
    ("loc", lambda: Normal(np.nan, 1.0)),
    ("scale", lambda: Normal(0.0, np.inf)),
    ("loc .* scale .* do not broadcast", lambda: Normal(np.zeros(3), np.ones(4))),
    ("rate", lambda: Exponential(0.0)),
    ("rate", lambda: Exponential(-2.0)),
    ("rate", lambda: Exponential(np.nan)),
    ("concentration", lambda: Gamma(-1.0, 1.0)),
    ("concentration", lambda: Gamma(0.0, 1.0)),
    ("rate", lambda: Gamma(1.0, -1.0)),
    ("concentration", lambda: Gamma(np.nan, 1.0)),
    ("rate", lambda: Gamma(1.0, 0.0)),
    ("concentration .* rate .* do not broadcast", lambda: Gamma(np.ones(2), np.ones(3))),
    ("scale", lambda: LogNormal(0.0, -0.5)),
    ("scale", lambda: LogNormal(0.0, 0.0)),
    ("scale", lambda: LogNormal(0.0, np.nan)),
    ("loc .* scale .* do not broadcast", lambda: LogNormal(np.zeros(2), np.ones(3))),
    ("rate", lambda: Exponential(np.inf)),
    ("loc", lambda: LogNormal(np.inf, 1.0)),
    ("covariance_matrix must be symmetric", lambda: MultivariateNormal(np.zeros(2), covariance_matrix=[[1.0, 0.5], [0.0, 1.0]])),
    ("covariance_matrix must be positive definite", lambda: MultivariateNormal(np.zeros(2), covariance_matrix=[[1.0, 2.0], [2.0, 1.0]])),
    ("covariance_matrix", lambda: MultivariateNormal(np.zeros(2), covariance_matrix=[[1.0, np.nan], [np.nan, 1.0]])),
    ("scale_tril must be lower triangular", lambda: MultivariateNormal(np.zeros(2), scale_tril=[[1.0, 0.5], [0.0, 1.0]])),
    ("scale_tril must be positive", lambda: MultivariateNormal(np.zeros(2), scale_tril=[[1.0, 0.0], [0.5, -1.0]])),
    ("diagonal of scale_tril must be positive", lambda: MultivariateNormal(np.zeros(2), scale_tril=[[1.0, 0.0], [0.5, 0.0]])),
    ("covariance_matrix must be square", lambda: MultivariateNormal(np.zeros(2), covariance_matrix=np.ones((2, 3)))),
    ("scale_tril must be 3 x 3 to match loc", lambda: MultivariateNormal(np.zeros(3), scale_tril=np.eye(2))),
    ("loc .* scale_tril .* do not broadcast", lambda: MultivariateNormal(np.zeros((3, 2)), scale_tril=np.stack([np.eye(2)] * 4))),
    ("loc", lambda: MultivariateNormal(np.array([0.0, np.nan]), scale_tril=np.eye(2))),
    ("loc must have at least 1", lambda: MultivariateNormal(0.0, scale_tril=np.eye(1))),
    ("exactly one of scale_tril and covariance_matrix", lambda: MultivariateNormal(np.zeros(2))),
    ("exactly one of scale_tril and covariance_matrix", lambda: MultivariateNormal(np.zeros(2), scale_tril=np.eye(2), covariance_matrix=np.eye(2))),
    ("probs must be non-negative", lambda: Categorical(probs=[0.5, -0.1, 0.6])),
    ("probs must sum to 1", lambda: Categorical(probs=[0.5, 0.6])),
    ("probs must be finite", lambda: Categorical(probs=[np.nan, 1.0])),
    ("probs must sum to 1 along axis -1; got .*0.9.* at index 1", lambda: Categorical(probs=[[0.5, 0.5], [0.5, 0.4]])),
    ("logits must be finite", lambda: Categorical(logits=[0.0, np.inf])),
    ("logits must be finite or -inf; got nan", lambda: Categorical(logits=[0.0, np.nan])),
    ("logits must have a finite entry in every row", lambda: Categorical(logits=[[0.0, 1.0], [-np.inf, -np.inf]])),
    ("logits must have at least 1", lambda: Categorical(logits=1.0)),
    ("exactly one of probs and logits", lambda: Categorical()),
    ("exactly one of probs and logits", lambda: Categorical(probs=[1.0], logits=[0.0])),
]


@pytest.mark.parametrize("message, build", BAD_PARAMETERS)
def test_bad_parameters_are_refused_naming_the_parameter(message, build):
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize("label, q", ALL_FAMILIES, ids=IDS)
def test_bad_sample_counts_and_values_are_refused(label, q):
    with pytest.raises(ValueError, match="n must be >= 0"):
        q.sample(-1)
    with pytest.raises(TypeError, match="n must be an integer"):
        q.sample(2.5)
    x = q.sample(2, rng=0).astype(float)
    x[0] = np.nan
    with pytest.raises(ValueError, match="x must not be NaN"):
        q.log_prob(x)
    with pytest.raises(ValueError, match="x must not be NaN"):
        q.log_prob_grad(x)
    with pytest.raises(ValueError, match="does not broadcast|event shape"):
        q.log_prob(np.zeros((2, 7) + q.event_shape))


def test_bad_reparameterisation_arguments_are_refused():
    q = Normal(np.zeros(3), 1.0)
    with pytest.raises(ValueError, match="n must be >= 0"):
        q.rsample(-2)
    with pytest.raises(ValueError, match="eps must have shape"):
        q.transform_vjp(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="cotangent must have the shape of eps"):
        q.transform_vjp(np.zeros((2, 3)), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="eps must have shape"):  # broadcasts with the batch (2, 3), but is not (n, 2, 3)
        Normal(np.zeros((2, 3)), 1.0).transform_vjp(np.zeros((5, 1, 3)), np.zeros((5, 1, 3)))
    with pytest.raises(ValueError, match="eps must be finite"):
        q.transform(np.array([np.nan, 0.0, 0.0]))
    with pytest.raises(ValueError, match="eps must end with the event shape"):
        _mvn().transform(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="diagonal=True"):
        Normal(0.0, 1.0).log_prob(0.5, diagonal=True)
