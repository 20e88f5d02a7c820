"""Closed-form KL divergences against independent oracles: scipy.integrate.quad of
q log(q/p) with scipy.stats densities (1-D families), enumeration (Categorical),
Monte Carlo with scipy's samplers and the textbook inverse/determinant formula
(multivariate normal); the properties KL ≥ 0, KL(q‖q) = 0 and asymmetry; the
registry's refusals; and every KL gradient three ways."""

import numpy as np
import pytest
import scipy.integrate
import scipy.stats

from vi_ref.distributions import Categorical, Exponential, Gamma, LogNormal, MultivariateNormal, Normal
from vi_ref.kl import kl_divergence, kl_divergence_grad, kl_monte_carlo
from vi_ref.registry import kl as registry_entries

SEED = 20261124


def quadrature_kl(q_law, p_law, lower, upper):
    """∫ q log(q/p) by adaptive quadrature, with scipy.stats log-densities."""

    def integrand(z):
        log_q = q_law.logpdf(z)
        return np.exp(log_q) * (log_q - p_law.logpdf(z))

    value, _ = scipy.integrate.quad(integrand, lower, upper, epsabs=0.0, epsrel=1e-11, limit=500)
    return value


def _draw(rng):
    return {
        "loc": rng.normal(size=2),
        "scale": rng.uniform(0.3, 3.0, 2),
        "rate": rng.uniform(0.2, 4.0, 2),
        "concentration": rng.uniform(0.6, 6.0, 2),
    }


def _pairs(d):
    """(label, q, p, scipy law of q, of p, integration interval) for one draw."""
    (mq, mp), (sq, sp), (rq, rp), (aq, ap) = d["loc"], d["scale"], d["rate"], d["concentration"]
    norm, gamma, expon, lognorm = scipy.stats.norm, scipy.stats.gamma, scipy.stats.expon, scipy.stats.lognorm
    positive = (0.0, np.inf)
    return [
        ("Normal||Normal", Normal(mq, sq), Normal(mp, sp), norm(mq, sq), norm(mp, sp), (-np.inf, np.inf)),
        ("Exponential||Exponential", Exponential(rq), Exponential(rp), expon(scale=1 / rq), expon(scale=1 / rp), positive),
        ("Gamma||Gamma", Gamma(aq, rq), Gamma(ap, rp), gamma(aq, scale=1 / rq), gamma(ap, scale=1 / rp), positive),
        ("Exponential||Gamma", Exponential(rq), Gamma(ap, rp), expon(scale=1 / rq), gamma(ap, scale=1 / rp), positive),
        ("Gamma||Exponential", Gamma(aq, rq), Exponential(rp), gamma(aq, scale=1 / rq), expon(scale=1 / rp), positive),
        (
            "LogNormal||LogNormal",
            LogNormal(mq, sq),
            LogNormal(mp, sp),
            lognorm(s=sq, scale=np.exp(mq)),
            lognorm(s=sp, scale=np.exp(mp)),
            positive,
        ),
    ]


QUADRATURE_CASES = [case for seed in range(3) for case in _pairs(_draw(np.random.default_rng(seed)))]


@pytest.mark.parametrize(
    "label, q, p, q_law, p_law, interval",
    QUADRATURE_CASES,
    ids=[f"{case[0]}-{i // 6}" for i, case in enumerate(QUADRATURE_CASES)],
)
def test_closed_form_kl_matches_quadrature(label, q, p, q_law, p_law, interval):
    expected = quadrature_kl(q_law, p_law, *interval)
    assert kl_divergence(q, p) == pytest.approx(expected, rel=1e-8)


def test_batched_kl_matches_quadrature_entry_by_entry():
    rng = np.random.default_rng(5)
    concentration_q, rate_q = rng.uniform(0.6, 5.0, (2, 1)), rng.uniform(0.3, 3.0, 3)
    concentration_p, rate_p = rng.uniform(0.6, 5.0, 3), 1.3
    values = kl_divergence(Gamma(concentration_q, rate_q), Gamma(concentration_p, rate_p))
    assert values.shape == (2, 3)
    for i, j in np.ndindex(2, 3):
        q_law = scipy.stats.gamma(concentration_q[i, 0], scale=1 / rate_q[j])
        p_law = scipy.stats.gamma(concentration_p[j], scale=1 / rate_p)
        assert values[i, j] == pytest.approx(quadrature_kl(q_law, p_law, 0.0, np.inf), rel=1e-8)


def test_categorical_kl_matches_enumeration_for_probs_and_logits():
    rng = np.random.default_rng(6)
    q_probs, p_probs = rng.dirichlet(np.ones(5), size=3), rng.dirichlet(np.ones(5))
    expected = scipy.stats.entropy(q_probs, p_probs, axis=-1)
    for q in (Categorical(probs=q_probs), Categorical(logits=np.log(q_probs) - 3.0)):
        for p in (Categorical(probs=p_probs), Categorical(logits=np.log(p_probs) + 2.0)):
            np.testing.assert_allclose(kl_divergence(q, p), expected, rtol=1e-12)


def test_categorical_kl_with_zero_probabilities():
    q = Categorical(probs=[0.5, 0.5, 0.0])
    assert kl_divergence(q, Categorical(probs=[0.25, 0.25, 0.5])) == pytest.approx(np.log(2.0), rel=1e-15)
    assert kl_divergence(Categorical(probs=[0.25, 0.25, 0.5]), q) == np.inf


def test_categorical_kl_with_minus_infinite_logits_matches_enumeration():
    q_logits = np.array([[0.3, -np.inf, 1.0, -0.5], [-np.inf, 0.0, 2.0, -np.inf]])
    q_probs = np.exp(q_logits) / np.exp(q_logits).sum(axis=-1, keepdims=True)
    p_probs = np.array([0.1, 0.2, 0.3, 0.4])
    expected = scipy.stats.entropy(q_probs, p_probs, axis=-1)
    np.testing.assert_allclose(kl_divergence(Categorical(logits=q_logits), Categorical(probs=p_probs)), expected, rtol=1e-12)
    assert np.all(kl_divergence(Categorical(probs=p_probs), Categorical(logits=q_logits)) == np.inf)


@pytest.mark.parametrize("c", [1e-200, 1e200])
def test_normal_kl_is_invariant_under_z_to_cz_at_extreme_scales(c):
    # KL(law of cz ‖ law of cy) = KL(law of z ‖ law of y): the bijection's Jacobian
    # cancels (derivation 02, §5.5). Each gradient scales by 1/c.
    q, p = Normal(0.3, 0.7), Normal(-1.1, 1.9)
    q_scaled, p_scaled = Normal(c * 0.3, c * 0.7), Normal(c * -1.1, c * 1.9)
    assert kl_divergence(q_scaled, p_scaled) == pytest.approx(kl_divergence(q, p), rel=1e-14)
    assert kl_divergence(q_scaled, q_scaled) == 0.0
    for scaled, unscaled in zip(kl_divergence_grad(q_scaled, p_scaled), kl_divergence_grad(q, p)):
        for name in unscaled:
            assert c * scaled[name] == pytest.approx(unscaled[name], rel=1e-14)


def test_normal_kl_near_equal_scales_matches_its_taylor_series():
    # KL(N(0, (1 + t)²) ‖ N(0, 1)) = ½((1 + t)² − 1) − log(1 + t) = t² − t³/3 + t⁴/4 − …;
    # for t = 1e−6 the series to t³ is exact to 1e−13 relative, while the two terms
    # of the closed form cancel to one part in 10⁶.
    for t in (1e-6, 1e-4):
        series = t**2 - t**3 / 3 + t**4 / 4 - t**5 / 5
        assert kl_divergence(Normal(0.0, 1.0 + t), Normal(0.0, 1.0)) == pytest.approx(series, rel=1e-8, abs=0)


def _spd(rng, size):
    factor = rng.standard_normal((size, size))
    return factor @ factor.T + 0.5 * np.eye(size)


def _mvn_pair(rng, batch=()):
    covariances_q = np.array([_spd(rng, 3) for _ in range(int(np.prod(batch)))]).reshape(batch + (3, 3))
    return (
        MultivariateNormal(rng.standard_normal(batch + (3,)), covariance_matrix=covariances_q),
        MultivariateNormal(rng.standard_normal(3), covariance_matrix=_spd(rng, 3)),
    )


def test_mvn_kl_matches_monte_carlo_with_scipy_within_four_standard_errors():
    rng = np.random.default_rng(7)
    q, p = _mvn_pair(rng)
    q_law = scipy.stats.multivariate_normal(q.loc, q.covariance_matrix)
    p_law = scipy.stats.multivariate_normal(p.loc, p.covariance_matrix)
    z = q_law.rvs(size=40000, random_state=SEED)
    log_ratio = q_law.logpdf(z) - p_law.logpdf(z)
    standard_error = log_ratio.std(ddof=1) / np.sqrt(z.shape[0])
    assert abs(kl_divergence(q, p) - log_ratio.mean()) <= 4 * standard_error


def test_mvn_kl_matches_the_textbook_formula_with_inverse_and_determinants_batched():
    q, p = _mvn_pair(np.random.default_rng(8), batch=(4,))
    values = kl_divergence(q, p)
    assert values.shape == (4,)
    precision_p = np.linalg.inv(p.covariance_matrix)
    for b in range(4):
        shift = p.loc - q.loc[b]
        expected = 0.5 * (
            np.trace(precision_p @ q.covariance_matrix[b])
            + shift @ precision_p @ shift
            - 3
            + np.linalg.slogdet(p.covariance_matrix)[1]
            - np.linalg.slogdet(q.covariance_matrix[b])[1]
        )
        assert values[b] == pytest.approx(expected, rel=1e-10)


def _registered_pairs(rng):
    mvn_q, mvn_p = _mvn_pair(rng, batch=(2,))
    pairs = [(label, q, p) for label, q, p, *_ in _pairs(_draw(rng))]
    return pairs + [
        ("MultivariateNormal||MultivariateNormal", mvn_q, mvn_p),
        ("Categorical||Categorical", Categorical(probs=[0.2, 0.5, 0.3]), Categorical(logits=[[0.0, 1.0, -1.0], [0.5, 0.5, 0.0]])),
    ]


REGISTERED = _registered_pairs(np.random.default_rng(9))


@pytest.mark.parametrize("label, q, p", REGISTERED, ids=[case[0] for case in REGISTERED])
def test_kl_monte_carlo_agrees_with_the_closed_form_within_four_standard_errors(label, q, p):
    estimate, standard_error = kl_monte_carlo(q, p, 20000, rng=SEED)
    assert np.all(np.abs(estimate - kl_divergence(q, p)) <= 4 * standard_error)


@pytest.mark.parametrize("label, q, p", REGISTERED, ids=[case[0] for case in REGISTERED])
def test_kl_is_nonnegative_zero_for_equal_arguments_and_asymmetric(label, q, p):
    assert np.all(kl_divergence(q, p) > 0)
    assert np.all(np.abs(kl_divergence(q, q)) <= 1e-14)
    assert np.all(np.abs(kl_divergence(p, p)) <= 1e-14)
    if type(q) is type(p):
        assert np.all(np.abs(kl_divergence(q, p) - kl_divergence(p, q)) > 1e-3)


def test_asymmetry_example_matches_quadrature_both_ways():
    forward = kl_divergence(Normal(0.0, 1.0), Normal(1.0, 2.0))
    backward = kl_divergence(Normal(1.0, 2.0), Normal(0.0, 1.0))
    norm = scipy.stats.norm
    assert forward == pytest.approx(quadrature_kl(norm(0, 1), norm(1, 2), -np.inf, np.inf), rel=1e-8)
    assert backward == pytest.approx(quadrature_kl(norm(1, 2), norm(0, 1), -np.inf, np.inf), rel=1e-8)
    # log 2 + 2/8 − 1/2 one way, log ½ + 5/2 − 1/2 the other
    assert forward == pytest.approx(np.log(2) - 0.25, rel=1e-15)
    assert backward == pytest.approx(2 - np.log(2), rel=1e-15)


@pytest.mark.parametrize("positive_family", [Exponential(1.0), Gamma(2.0, 1.0), LogNormal(0.0, 1.0)])
def test_support_mismatch_gives_infinity_which_monte_carlo_confirms(positive_family):
    q = Normal(np.zeros(3), 1.0)
    assert np.array_equal(kl_divergence(q, positive_family), np.full(3, np.inf))
    estimate, standard_error = kl_monte_carlo(q, positive_family, 10, rng=SEED)
    assert np.all(estimate == np.inf) and np.all(standard_error == 0)
    with pytest.raises(ValueError, match="inf for every parameter value"):
        kl_divergence_grad(q, positive_family)


@pytest.mark.parametrize(
    "q, p",
    [
        (Gamma(1.0, 1.0), Normal(0.0, 1.0)),
        (Normal(0.0, 1.0), MultivariateNormal(np.zeros(1), scale_tril=np.eye(1))),
        (LogNormal(0.0, 1.0), Gamma(1.0, 1.0)),
        (Exponential(1.0), LogNormal(0.0, 1.0)),
    ],
)
def test_unregistered_pairs_raise_not_implemented_naming_both_classes(q, p):
    pattern = f"{type(q).__name__} ‖ {type(p).__name__}"
    with pytest.raises(NotImplementedError, match=pattern):
        kl_divergence(q, p)
    with pytest.raises(NotImplementedError, match=pattern):
        kl_divergence_grad(q, p)


def test_kl_refuses_what_does_not_fit():
    with pytest.raises(ValueError, match="batch shapes .* do not broadcast"):
        kl_divergence(Normal(np.zeros(3), 1.0), Normal(np.zeros(4), 1.0))
    with pytest.raises(ValueError, match="same event shape"):
        kl_divergence(MultivariateNormal(np.zeros(2), scale_tril=np.eye(2)), MultivariateNormal(np.zeros(3), scale_tril=np.eye(3)))
    with pytest.raises(ValueError, match="same number of categories"):
        kl_divergence(Categorical(probs=[0.5, 0.5]), Categorical(probs=[0.2, 0.3, 0.5]))
    with pytest.raises(TypeError, match="p must be a vi_ref.distributions distribution"):
        kl_divergence(Normal(0.0, 1.0), scipy.stats.norm(0, 1))
    with pytest.raises(ValueError, match="n must be >= 2"):
        kl_monte_carlo(Normal(0.0, 1.0), Normal(0.0, 2.0), 1)
    with pytest.raises(ValueError, match="n must be >= 2"):
        kl_monte_carlo(Normal(0.0, 1.0), Normal(0.0, 2.0), -5)
    with pytest.raises(TypeError, match="n must be an integer"):
        kl_monte_carlo(Normal(0.0, 1.0), Normal(0.0, 2.0), 10.0)


def test_kl_monte_carlo_with_small_gamma_concentration_stays_finite_and_agrees():
    # about 6 draws in 10⁴ of Gamma(0.01, 1) lie below the least positive float, where
    # log q = log p = −∞ made the log-ratio NaN before they were rounded up to it
    q, p = Gamma(0.01, 1.0), Gamma(0.03, 1.5)
    estimate, standard_error = kl_monte_carlo(q, p, 20000, rng=SEED)
    assert np.isfinite(estimate) and abs(estimate - kl_divergence(q, p)) <= 4 * standard_error


def test_kl_monte_carlo_is_reproducible_from_a_seed():
    q, p = Gamma(2.0, 1.0), Exponential(0.5)
    assert kl_monte_carlo(q, p, 100, rng=3) == kl_monte_carlo(q, p, 100, rng=np.random.default_rng(3))


def test_kl_gradients_have_each_parameter_shape():
    grads_q, grads_p = kl_divergence_grad(Normal(np.zeros((2, 1)), np.ones(3)), Normal(0.0, 2.0))
    assert {k: np.shape(v) for k, v in grads_q.items()} == {"loc": (2, 1), "scale": (3,)}
    assert {k: np.shape(v) for k, v in grads_p.items()} == {"loc": (), "scale": ()}
    q, p = _mvn_pair(np.random.default_rng(10), batch=(2,))
    grads_q, grads_p = kl_divergence_grad(q, p)
    assert grads_q["scale_tril"].shape == (2, 3, 3) and grads_p["scale_tril"].shape == (3, 3)
    assert np.all(np.triu(grads_p["scale_tril"], k=1) == 0)


# Hand-written vs autodiff of the same formula vs finite differences, for every
# registered derivative of this module.
@pytest.mark.parametrize("case", registry_entries.CASES, ids=lambda case: case.name)
def test_kl_gradient_three_ways_hand_written_autodiff_finite_differences(case, three_ways):
    three_ways(case, SEED)
