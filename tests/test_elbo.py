"""The ELBO: the decomposition log p(x) = ELBO(q) + KL(q ‖ p(z | x)) with the KL from
``vi_ref.kl`` (an independent code path) and from quadrature; tightness at the
posterior; closed forms against Monte Carlo (false alarm ≤ 1e-6, ``vi_ref.tour.policy``) and against
quadrature; the hand-written gradients three ways (hand, autodiff of the closed form,
finite differences); the support mismatch of lecture question VI2.3; the mean-field
dataset ELBO; and the refusals of bad q and bad data."""

import numpy as np
import pytest
import scipy.integrate
import scipy.stats

from vi_ref import autodiff as ad
from vi_ref import kl
from vi_ref.distributions import Categorical, Exponential, Gamma, LogNormal, MultivariateNormal, Normal
from vi_ref.elbo import dataset_elbo, dataset_elbo_grad, elbo_decomposition, elbo_monte_carlo, iwae_bound
from vi_ref.gradcheck import check_gradient
from vi_ref.models import GammaPoisson, GaussianMixture, LinearGaussian
from vi_ref.models.linear_gaussian import linear_gaussian_elbo
from vi_ref.registry import elbo as elbo_entries
from vi_ref.registry import models as model_entries
from vi_ref.tour.policy import z_limit

SEED = 20261124
LOG_2PI = np.log(2 * np.pi)


def lower_factor(rng, size, batch=()):
    factor = np.tril(0.4 * rng.standard_normal(batch + (size, size)), k=-1)
    return factor + np.eye(size) * rng.uniform(0.5, 1.5, batch + (size,))[..., None, :]


def linear_gaussian_setting(rng, n=5, d=6, l=3):
    model = LinearGaussian(rng.standard_normal((d, l)), rng.standard_normal(d), rng.uniform(0.3, 1.5, d))
    return model, model.sample(n, rng)[0]


def mixture(rng, covariance_type="full", k=3, d=2):
    if covariance_type == "full":
        factor = rng.standard_normal((k, d, d))
        covariances = factor @ np.swapaxes(factor, -1, -2) + 0.5 * np.eye(d)
    else:
        covariances = rng.uniform(0.5, 2.0, (k, d))
    weights = rng.dirichlet(np.full(k, 3.0))
    return GaussianMixture(weights, 2 * rng.standard_normal((k, d)), covariances, covariance_type=covariance_type)


def random_qs(rng, n=5, l=3, k=3):
    """(label, model kind, q) for random q's of every supported family."""
    return [
        ("MultivariateNormal", "linear", MultivariateNormal(rng.standard_normal((n, l)), scale_tril=lower_factor(rng, l, (n,)))),
        ("diagonal Normal", "linear", Normal(rng.standard_normal((n, l)), rng.uniform(0.3, 2.0, (n, l)))),
        ("Categorical probs", "mixture", Categorical(probs=rng.dirichlet(np.ones(k), n))),
        ("Categorical logits", "mixture", Categorical(logits=3 * rng.standard_normal((n, k)))),
        ("Gamma", "counts", Gamma(rng.uniform(0.5, 8.0, n), rng.uniform(0.5, 4.0, n))),
    ]


def setting(rng, kind, n=5):
    if kind == "linear":
        return linear_gaussian_setting(rng, n=n)
    if kind == "mixture":
        model = mixture(rng)
        return model, model.sample(n, rng)[0]
    model = GammaPoisson(2.5, 1.5)
    return model, model.sample(n, rng, n_observations=4)[0]


# ----- the decomposition and tightness ---------------------------------------------


@pytest.mark.parametrize("index", range(5), ids=[label for label, _, _ in random_qs(np.random.default_rng(0))])
def test_log_evidence_is_elbo_plus_kl_to_posterior(index):
    rng = np.random.default_rng(SEED)
    _, kind, q = random_qs(rng)[index]
    model, x = setting(rng, kind)
    terms = elbo_decomposition(model, q, x)
    assert terms.residual.shape == (5,)
    assert np.max(np.abs(terms.residual)) <= 1e-10
    assert np.all(terms.kl_to_posterior > 0) and np.all(terms.elbo < terms.log_marginal)


@pytest.mark.parametrize("kind", ["linear", "mixture", "counts"])
def test_bound_is_tight_at_the_posterior(kind):
    model, x = setting(np.random.default_rng(SEED), kind)
    np.testing.assert_allclose(model.elbo(x, model.posterior(x)), model.log_marginal(x), rtol=0, atol=1e-10)


@pytest.mark.parametrize("index", range(5), ids=[label for label, _, _ in random_qs(np.random.default_rng(0))])
def test_dataset_version_mean_log_evidence_is_dataset_elbo_plus_mean_kl(index):
    """Mean field, one qᵢ per data point: (1/N) Σᵢ log p(xᵢ) = dataset_elbo + (1/N) Σᵢ
    KL(qᵢ ‖ p(zᵢ | xᵢ)), the KLs from ``vi_ref.kl`` one data point at a time; and the
    dataset bound is tight when every qᵢ is its posterior."""
    rng = np.random.default_rng(SEED)
    _, kind, q = random_qs(rng)[index]
    model, X = setting(rng, kind)
    posteriors = model.posterior(X)
    q_points = [type(q)(**{name: value[i] for name, value in q.params.items()}) for i in range(X.shape[0])]
    if isinstance(q, Normal):  # a diagonal Gaussian over z, compared as the equivalent MultivariateNormal
        q_points = [MultivariateNormal(qi.loc, scale_tril=np.diag(qi.scale)) for qi in q_points]
    kl_terms = [kl.kl_divergence(qi, model.posterior(X[i])) for i, qi in enumerate(q_points)]
    residual = np.mean(model.log_marginal(X)) - dataset_elbo(model, q, X) - np.mean(kl_terms)
    assert abs(residual) <= 1e-10
    assert abs(dataset_elbo(model, posteriors, X) - np.mean(model.log_marginal(X))) <= 1e-10


def check_diagonal_q_is_tight_only_when_the_posterior_is_diagonal(seed):
    """With orthogonal columns of W and isotropic noise, M = I + WᵀW/σ² is diagonal,
    so a diagonal Normal can equal the posterior; otherwise mean field leaves a gap,
    which is the Gaussian KL ½[tr(Σ⁻¹D) − L + log det Σ − log det D] > 0 with D the
    diagonal of Σ, computed here from Σ by hand (no threshold a random W could undercut)."""
    rng = np.random.default_rng(seed)
    W = np.linalg.qr(rng.standard_normal((5, 2)))[0] * [2.0, 0.5]
    for loadings, tight in ((W, True), (rng.standard_normal((5, 2)), False)):
        model = LinearGaussian(loadings, np.zeros(5), 0.4)
        x = model.sample(3, rng)[0]
        posterior = model.posterior(x)
        covariance = posterior.covariance_matrix
        diagonal_q = Normal(posterior.loc, np.sqrt(np.diagonal(covariance)))
        gap = model.log_marginal(x) - model.elbo(x, diagonal_q)
        diagonal = np.diag(np.diagonal(covariance))
        expected = 0.5 * (np.trace(np.linalg.solve(covariance, diagonal)) - 2
                          + np.linalg.slogdet(covariance)[1] - np.linalg.slogdet(diagonal)[1])
        if tight:
            assert np.all(np.abs(gap) <= 1e-12)
        else:
            assert expected > 0
            np.testing.assert_allclose(gap, expected, rtol=1e-8, atol=1e-12)


def test_diagonal_q_is_tight_only_when_the_posterior_is_diagonal():
    check_diagonal_q_is_tight_only_when_the_posterior_is_diagonal(SEED)


# ----- closed forms against Monte Carlo ---------------------------------------------


def non_degenerate(q):
    """A Categorical q mixed half-and-half with the uniform law, so that every category
    has probability ≥ 1/(2K): with S = 4000 draws no category is a rare event and the
    sample standard error cannot collapse (the tour's policy, ``vi_ref.tour.policy``)."""
    if not isinstance(q, Categorical):
        return q
    probs = 0.5 * q.probs + 0.5 / q.probs.shape[-1]
    return Categorical(probs=probs) if "probs" in q.parameter_names else Categorical(logits=np.log(probs))


def check_closed_form_elbo_matches_monte_carlo(index, seed):
    """Within the Bonferroni limit for a false alarm ≤ 1e-6 over the 5 data points."""
    rng = np.random.default_rng(seed)
    _, kind, q = random_qs(rng)[index]
    q = non_degenerate(q)
    model, x = setting(rng, kind)
    estimate, standard_error = elbo_monte_carlo(model, q, x, 4000, rng)
    assert estimate.shape == standard_error.shape == (5,)
    assert np.all(np.abs(estimate - model.elbo(x, q)) <= z_limit(5) * standard_error)


def check_monte_carlo_elbo_with_one_q_shared_by_the_data_points(seed):
    rng = np.random.default_rng(seed)
    model, x = linear_gaussian_setting(rng)
    q = MultivariateNormal(rng.standard_normal(3), scale_tril=lower_factor(rng, 3))
    estimate, standard_error = elbo_monte_carlo(model, q, x, 4000, rng)
    assert np.all(np.abs(estimate - model.elbo(x, q)) <= z_limit(5) * standard_error)


@pytest.mark.parametrize("index", range(5), ids=[label for label, _, _ in random_qs(np.random.default_rng(0))])
def test_closed_form_elbo_matches_monte_carlo(index):
    check_closed_form_elbo_matches_monte_carlo(index, SEED)


def test_monte_carlo_elbo_with_one_q_shared_by_the_data_points():
    check_monte_carlo_elbo_with_one_q_shared_by_the_data_points(SEED)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(30))
def test_the_stochastic_elbo_checks_hold_for_30_other_seeds(seed):
    for index in range(5):
        check_closed_form_elbo_matches_monte_carlo(index, seed)
    check_monte_carlo_elbo_with_one_q_shared_by_the_data_points(seed)
    check_diagonal_q_is_tight_only_when_the_posterior_is_diagonal(seed)


def test_monte_carlo_elbo_is_reproducible_from_the_seed():
    rng = np.random.default_rng(SEED)
    model, x = linear_gaussian_setting(rng)
    q = model.posterior(x)
    first, second = elbo_monte_carlo(model, q, x, 50, 11), elbo_monte_carlo(model, q, x, 50, 11)
    np.testing.assert_array_equal(first[0], second[0])


# ----- the support mismatch (lecture question VI2.3) ---------------------------------


def quadrature_elbo(model, x, q_law):
    """∫ q(λ) [log p(x, λ) − log q(λ)] dλ with scipy.stats densities, split at q's median."""
    alpha, beta = float(model.concentration), float(model.rate)

    def integrand(rate):
        log_q = q_law.logpdf(rate)
        log_joint = scipy.stats.gamma.logpdf(rate, alpha, scale=1 / beta) + np.sum(scipy.stats.poisson.logpmf(x, rate))
        return np.exp(log_q) * (log_joint - log_q) if np.isfinite(log_q) else 0.0

    median = q_law.median()
    return sum(scipy.integrate.quad(integrand, lo, hi, epsabs=0.0, epsrel=1e-12, limit=200)[0]
               for lo, hi in ((0.0, median), (median, np.inf)))


def test_normal_q_on_a_positive_latent_gives_minus_infinity():
    model = GammaPoisson(2.5, 1.5)
    x = np.array([3.0, 0.0, 5.0, 2.0])
    narrow = Normal(2.0, 0.05)  # P(λ < 0) = Φ(−40): tiny, but not zero
    assert model.elbo(x, narrow) == -np.inf
    assert np.all(model.elbo(x, Normal([1.0, 5.0], [0.5, 2.0])) == -np.inf)
    estimate, _ = elbo_monte_carlo(model, Normal(0.5, 1.0), x, 1000, SEED)
    assert estimate == -np.inf  # some draws are negative, where log p(x, λ) = −∞



def test_normal_q_with_no_negative_draw_still_gives_minus_infinity_on_a_positive_latent():
    # Normal(50, 1) puts mass Φ(−50) > 0 below 0, where log p(x, λ) = −∞, so the ELBO and
    # every L_K are −∞ although no draw of 100 is negative: the support decides, not the draws
    model, x, q = GammaPoisson(2.5, 1.5), np.array([3.0, 0.0, 5.0, 2.0]), Normal(50.0, 1.0)
    assert elbo_monte_carlo(model, q, x, 100, SEED) == (-np.inf, 0.0)
    assert iwae_bound(model, q, x, 3, 100, SEED) == (-np.inf, 0.0)


class _HalfLineModel:
    """p(x, z) = N(z; 0, 1) N(x; z, 1) for z > 0 and 0 for z ≤ 0, with no declared
    ``latent_support``: only the draws can show that q leaves the support."""

    latent_shape = ()

    def log_joint(self, x, z):
        with np.errstate(divide="ignore"):
            return np.where(z > 0, scipy.stats.norm.logpdf(z) + scipy.stats.norm.logpdf(x[..., 0], z), -np.inf)


def test_a_draw_where_the_joint_is_zero_makes_the_elbo_and_the_iwae_bound_minus_infinity():
    # q = N(0, 1) puts mass ½ on z ≤ 0, where p(x, z) = 0: E_q[log p(x, z)] = −∞, and a group
    # of K draws misses the support entirely with probability 2⁻ᴷ > 0, so L_K = −∞ as well
    model, q, x = _HalfLineModel(), Normal(0.0, 1.0), np.array([0.3])
    assert elbo_monte_carlo(model, q, x, 100, SEED) == (-np.inf, 0.0)
    assert iwae_bound(model, q, x, 3, 100, SEED) == (-np.inf, 0.0)


def test_lognormal_q_gives_a_finite_bound_matching_quadrature():
    model = GammaPoisson(2.5, 1.5)
    x = np.array([3.0, 0.0, 5.0, 2.0])
    log_evidence = model.log_marginal(x)
    for loc, scale in ((0.5, 0.4), (1.2, 0.1), (-1.0, 1.5)):
        bound = model.elbo(x, LogNormal(loc, scale))
        expected = quadrature_elbo(model, x, scipy.stats.lognorm(s=scale, scale=np.exp(loc)))
        assert np.isfinite(bound) and bound < log_evidence
        assert abs(bound - expected) <= 1e-9 * max(1.0, abs(expected))


def test_gamma_q_elbo_matches_quadrature():
    model = GammaPoisson(2.5, 1.5)
    x = np.array([3.0, 0.0, 5.0, 2.0])
    for alpha, beta in ((4.0, 2.0), (12.0, 5.5), (0.8, 0.3)):
        expected = quadrature_elbo(model, x, scipy.stats.gamma(alpha, scale=1 / beta))
        assert abs(model.elbo(x, Gamma(alpha, beta)) - expected) <= 1e-9 * max(1.0, abs(expected))


def test_lognormal_gap_is_the_kl_to_the_gamma_posterior():
    """log p(x) − ELBO(q) = KL(q ‖ p(λ | x)), the KL by quadrature (vi_ref.kl has no
    LogNormal ‖ Gamma closed form)."""
    model = GammaPoisson(2.5, 1.5)
    x = np.array([3.0, 0.0, 5.0, 2.0])
    posterior = model.posterior(x)
    q_law = scipy.stats.lognorm(s=0.3, scale=np.exp(0.8))
    p_law = scipy.stats.gamma(float(posterior.concentration), scale=1 / float(posterior.rate))

    def integrand(rate):
        return q_law.pdf(rate) * (q_law.logpdf(rate) - p_law.logpdf(rate))

    kl = sum(scipy.integrate.quad(integrand, lo, hi, epsabs=0.0, epsrel=1e-12, limit=200)[0]
             for lo, hi in ((0.0, q_law.median()), (q_law.median(), np.inf)))
    assert abs(model.log_marginal(x) - model.elbo(x, LogNormal(0.8, 0.3)) - kl) <= 1e-10


# ----- gradients three ways -------------------------------------------------------------


def linear_gaussian_three_way(model, x, q):
    """hand-written elbo_grad; autodiff of ``linear_gaussian_elbo``; finite differences
    of ``model.elbo`` (through the public class) for each parameter."""
    hand_theta, hand_phi = model.elbo_grad(x, q)
    hand = {**hand_theta, **hand_phi}
    factor_name = "scale_tril" if isinstance(q, MultivariateNormal) else "scale"
    inputs = {**model.params, "loc": q.loc, factor_name: getattr(q, factor_name)}
    names = tuple(inputs)

    def formula(*arrays):
        p = dict(zip(names, arrays))
        return ad.sum(linear_gaussian_elbo(x, p["W"], p["b"], p["noise_var"], p["loc"], **{factor_name: p[factor_name]}))

    automatic = dict(zip(names, ad.grad(formula, argnums=tuple(range(len(names))))(*inputs.values())))

    def value(**p):
        make_q = (lambda loc, f: MultivariateNormal(loc, scale_tril=np.tril(f))) if factor_name == "scale_tril" else Normal
        return float(np.sum(LinearGaussian(p["W"], p["b"], p["noise_var"]).elbo(x, make_q(p["loc"], p[factor_name]))))

    for name in names:
        np.testing.assert_allclose(hand[name], automatic[name], rtol=1e-11, atol=1e-11, err_msg=name)
        restricted = lambda v, name=name: value(**{**inputs, name: v})  # noqa: E731
        check = check_gradient(restricted, lambda v, name=name: hand[name], inputs[name], method="richardson", rtol=1e-7, atol=1e-9)
        assert check.ok, str(check)


def test_linear_gaussian_elbo_grad_three_ways_multivariate_q():
    rng = np.random.default_rng(SEED)
    model, x = linear_gaussian_setting(rng, n=4, d=5, l=2)
    linear_gaussian_three_way(model, x, MultivariateNormal(rng.standard_normal((4, 2)), scale_tril=lower_factor(rng, 2, (4,))))


def test_linear_gaussian_elbo_grad_three_ways_diagonal_q_isotropic_noise():
    rng = np.random.default_rng(SEED)
    model = LinearGaussian(rng.standard_normal((5, 2)), rng.standard_normal(5), 0.7)
    x = model.sample(4, rng)[0]
    linear_gaussian_three_way(model, x, Normal(rng.standard_normal((4, 2)), rng.uniform(0.5, 1.5, 2)))


def model_parameters(model):
    return {"weights": model.weights, "means": model.means, "covariances": model.covariances}


def mixture_elbo_formula(x, covariance_type, q_parameter, weights, means, covariances, q_values):
    """Σₙ Σₖ rₙₖ [log πₖ + log N(xₙ | μₖ, Σₖ) − log rₙₖ] written with autodiff operations
    (full covariances through ``ad.cholesky``, which reads the symmetric part; diag as
    variances), weights and probs read as normalised, as the gradient documents."""
    weights = weights / ad.sum(weights)
    if q_parameter == "probs":
        probs = q_values / ad.sum(q_values, axis=-1, keepdims=True)
    else:
        probs = ad.exp(ad.log_softmax(q_values, axis=-1))
    centred = x[:, None, :] - means  # (N, K, D)
    if covariance_type == "full":
        factor = ad.cholesky(covariances)
        whitened = ad.solve_triangular(factor, ad.transpose(centred, axes=(1, 2, 0)), lower=True)  # (K, D, N)
        squared = ad.transpose(ad.sum(ad.square(whitened), axis=1))
        half_log_det = ad.sum(ad.log(ad.diagonal(factor, axis1=-2, axis2=-1)), axis=-1)
    else:
        squared = ad.sum(ad.square(centred) / covariances, axis=-1)
        half_log_det = 0.5 * ad.sum(ad.log(covariances), axis=-1)
    log_joint = ad.log(weights) - half_log_det - 0.5 * x.shape[1] * LOG_2PI - 0.5 * squared
    return ad.sum(probs * (log_joint - ad.log(probs)))


@pytest.mark.parametrize(
    "covariance_type, q_parameter", [("full", "probs"), ("full", "logits"), ("diag", "probs"), ("diag", "logits")]
)
def test_gaussian_mixture_elbo_grad_three_ways(covariance_type, q_parameter):
    rng = np.random.default_rng(SEED)
    model = mixture(rng, covariance_type)
    x = model.sample(4, rng)[0]
    if q_parameter == "probs":
        q = Categorical(probs=rng.dirichlet(np.full(3, 5.0), 4))
    else:
        q = Categorical(logits=rng.standard_normal((4, 3)))
    hand_theta, hand_phi = model.elbo_grad(x, q)
    hand = {**hand_theta, **hand_phi}
    inputs = {**model_parameters(model), q_parameter: getattr(q, q_parameter)}
    # value: the same closed form on plain arrays equals the model's elbo ...
    closed_form = mixture_elbo_formula(x, covariance_type, q_parameter, *inputs.values())
    assert np.isclose(closed_form, np.sum(model.elbo(x, q)), rtol=1e-12)
    # ... and its autodiff gradient equals the hand-written one
    formula = lambda *arrays: mixture_elbo_formula(x, covariance_type, q_parameter, *arrays)  # noqa: E731
    automatic = ad.grad(formula, argnums=(0, 1, 2, 3))(*inputs.values())
    for name, gradient in zip(inputs, automatic):
        np.testing.assert_allclose(hand[name], gradient, rtol=1e-10, atol=1e-11, err_msg=name)
    # ... and finite differences of the public elbo, reading the constrained parameters
    # as the gradient documents (normalised weights and probs, symmetric covariances)
    def value(weights, means, covariances, q_values):
        if covariance_type == "full":
            covariances = (covariances + np.swapaxes(covariances, -1, -2)) / 2
        perturbed = GaussianMixture(weights / weights.sum(), means, covariances, covariance_type=covariance_type)
        if q_parameter == "probs":
            return float(np.sum(perturbed.elbo(x, Categorical(probs=q_values / q_values.sum(axis=-1, keepdims=True)))))
        return float(np.sum(perturbed.elbo(x, Categorical(logits=q_values))))

    for position, name in enumerate(inputs):
        def restricted(v, position=position):
            arguments = list(inputs.values())
            arguments[position] = v
            return value(*arguments)

        check = check_gradient(restricted, lambda v, name=name: hand[name], inputs[name], method="richardson", rtol=1e-7, atol=1e-9)
        assert check.ok, str(check)


def test_registry_has_entries_for_every_elbo_gradient():
    """(tests/test_registry.py checks every entry by finite differences.)"""
    names = {name for case in model_entries.CASES + elbo_entries.CASES for name in case.covers}
    assert {"models.linear_gaussian.LinearGaussian.elbo_grad", "models.gaussian_mixture.GaussianMixture.elbo_grad",
            "elbo.dataset_elbo_grad"} <= names


def test_elbo_theta_gradient_at_the_posterior_is_the_evidence_gradient():
    """Fisher's identity: with q = p(z | x) held fixed, ∇_θ ELBO = ∇_θ log p(x), checked
    against finite differences of the exact log_marginal (a different function)."""
    rng = np.random.default_rng(SEED)
    model, x = linear_gaussian_setting(rng, n=4, d=5, l=2)
    grads_theta, _ = model.elbo_grad(x, model.posterior(x))
    for name, value in model.params.items():
        evidence = lambda v, name=name: float(np.sum(LinearGaussian(**{**model.params, name: v}).log_marginal(x)))  # noqa: E731
        check = check_gradient(evidence, lambda v, name=name: grads_theta[name], value, method="richardson", rtol=1e-7, atol=1e-9)
        assert check.ok, str(check)


def test_posterior_is_a_stationary_point_of_the_elbo_in_q():
    rng = np.random.default_rng(SEED)
    model, x = linear_gaussian_setting(rng)
    _, grads_phi = model.elbo_grad(x, model.posterior(x))
    assert max(np.max(np.abs(g)) for g in grads_phi.values()) <= 1e-12
    mixture_model = mixture(rng)
    points = mixture_model.sample(5, rng)[0]
    _, grads_q = mixture_model.elbo_grad(points, mixture_model.posterior(points))
    assert np.max(np.abs(grads_q["probs"])) <= 1e-12


# ----- the mean-field dataset ELBO -------------------------------------------------------


def test_dataset_elbo_bounds_the_mean_log_evidence_and_is_tight_at_the_posteriors():
    rng = np.random.default_rng(SEED)
    model, X = linear_gaussian_setting(rng, n=8)
    mean_log_evidence = np.mean(model.log_marginal(X))
    q = MultivariateNormal(rng.standard_normal((8, 3)), scale_tril=lower_factor(rng, 3, (8,)))
    one_at_a_time = [model.elbo(X[i], MultivariateNormal(q.loc[i], scale_tril=q.scale_tril[i])) for i in range(8)]
    assert dataset_elbo(model, q, X) == pytest.approx(np.mean(one_at_a_time), rel=1e-13)
    assert dataset_elbo(model, q, X) < mean_log_evidence
    assert abs(dataset_elbo(model, model.posterior(X), X) - mean_log_evidence) <= 1e-10


@pytest.mark.parametrize("kind", ["linear", "mixture"])
def test_dataset_elbo_grad_assembles_the_single_point_gradients(kind):
    """∂/∂θ is the mean over i of the single-point gradients, ∂/∂φᵢ the single-point
    gradient of ELBOᵢ alone divided by N (mean field: φᵢ enters only ELBOᵢ); each
    single point goes through the unbatched code path."""
    rng = np.random.default_rng(SEED)
    _, q = next((label, q) for label, k, q in random_qs(rng, n=4) if k == kind)
    model, X = setting(rng, kind, n=4)
    grads_theta, grads_phi = dataset_elbo_grad(model, q, X)
    singles = [model.elbo_grad(X[i], type(q)(**{name: value[i] for name, value in q.params.items()})) for i in range(4)]
    for name, gradient in grads_theta.items():
        np.testing.assert_allclose(gradient, np.mean([theta[name] for theta, _ in singles], axis=0), rtol=1e-12, atol=1e-14)
    for name, gradient in grads_phi.items():
        np.testing.assert_allclose(gradient, np.stack([phi[name] for _, phi in singles]) / 4, rtol=1e-12, atol=1e-14)


# ----- bad input ------------------------------------------------------------------------


def test_elbo_refuses_q_of_the_wrong_family_naming_the_expected_ones():
    rng = np.random.default_rng(SEED)
    model, x = linear_gaussian_setting(rng)
    with pytest.raises(TypeError, match="q must be a MultivariateNormal or Normal .*got Gamma"):
        model.elbo(x, Gamma(1.0, 1.0))
    with pytest.raises(TypeError, match=r"q must be a Categorical \(over the K = 3 components\); got Normal"):
        mixture(rng).elbo(np.zeros(2), Normal(0.0, 1.0))
    with pytest.raises(TypeError, match="q must be a Gamma or LogNormal or Normal .*got Exponential"):
        GammaPoisson(1.0, 1.0).elbo(np.ones(2), Exponential(1.0))
    with pytest.raises(TypeError, match="q must be a MultivariateNormal or Normal"):
        model.elbo_grad(x, Gamma(1.0, 1.0))


def test_elbo_refuses_q_of_the_wrong_event_or_batch_shape():
    rng = np.random.default_rng(SEED)
    model, x = linear_gaussian_setting(rng, n=5, l=3)
    with pytest.raises(ValueError, match=r"L = 3 latent variables; got event shape \(2,\)"):
        model.elbo(x, MultivariateNormal(np.zeros(2), scale_tril=np.eye(2)))
    with pytest.raises(ValueError, match=r"L = 3 latent variables; got event shape \(4,\)"):
        model.elbo(x, Normal(np.zeros(4), 1.0))
    with pytest.raises(ValueError, match=r"batch shape \(4,\), which does not broadcast"):
        model.elbo(x, MultivariateNormal(np.zeros((4, 3)), scale_tril=np.eye(3)))
    with pytest.raises(ValueError, match="K = 3 components; got 2 categories"):
        mixture(rng).elbo(np.zeros(2), Categorical(probs=[0.5, 0.5]))
    with pytest.raises(ValueError, match="does not broadcast"):
        mixture(rng).elbo(np.zeros((5, 2)), Categorical(probs=np.full((4, 3), 1 / 3)))
    with pytest.raises(ValueError, match="latent z of shape"):
        elbo_monte_carlo(model, MultivariateNormal(np.zeros(2), scale_tril=np.eye(2)), x, 10)
    with pytest.raises(ValueError, match=r"L = 3 latent variables; got event shape \(\)"):
        elbo_decomposition(model, Normal(0.0, 1.0), x)


def test_elbo_refuses_bad_data():
    rng = np.random.default_rng(SEED)
    model, _ = linear_gaussian_setting(rng, d=6, l=3)
    q = MultivariateNormal(np.zeros(3), scale_tril=np.eye(3))
    with pytest.raises(ValueError, match="x must have D = 6 entries in its last axis"):
        model.elbo(np.zeros((2, 5)), q)
    with pytest.raises(ValueError, match="x must be finite; got nan"):
        model.elbo_grad(np.full(6, np.nan), q)
    with pytest.raises(ValueError, match="x must be finite; got nan"):
        mixture(rng).elbo(np.array([0.0, np.nan]), Categorical(probs=np.full(3, 1 / 3)))
    with pytest.raises(ValueError, match="x must be non-negative integer counts"):
        GammaPoisson(1.0, 1.0).elbo(np.array([0.5]), Gamma(1.0, 1.0))
    with pytest.raises(ValueError, match="n must be >= 2"):
        elbo_monte_carlo(model, q, np.zeros(6), 1)
    with pytest.raises(ValueError, match="x must be finite; got nan"):
        elbo_monte_carlo(model, q, np.full(6, np.nan), 10)
    with pytest.raises(ValueError, match="X must be a data set of shape"):
        dataset_elbo(model, q, np.zeros((2, 3, 6)))
    for dataset_function in (dataset_elbo, dataset_elbo_grad):  # the mean over no data points is NaN
        with pytest.raises(ValueError, match=r"X must hold at least one data point; got shape \(0, 6\)"):
            dataset_function(model, q, np.zeros((0, 6)))
    gaussian_mixture = mixture(rng)
    with pytest.raises(ValueError, match="x must have D = 2 entries in its last axis"):
        gaussian_mixture.elbo(np.zeros(3), Categorical(probs=np.full(3, 1 / 3)))
    with pytest.raises(TypeError, match="q must be a Categorical"):
        gaussian_mixture.elbo_grad(np.zeros(2), MultivariateNormal(np.zeros(2), scale_tril=np.eye(2)))
    with pytest.raises(ValueError, match="x must be finite"):
        GammaPoisson(1.0, 1.0).elbo(np.array([1.0, np.nan]), Gamma(1.0, 1.0))


class _HalfUndefinedModel:
    """log p(x, z) is NaN for z > 0: a defective model, to see that the Monte Carlo
    ELBO and bound refuse the NaN instead of averaging it away or hiding it."""

    latent_shape = ()

    def log_joint(self, x, z):
        return np.where(z > 0, np.nan, -0.5 * z**2)


def test_monte_carlo_elbo_refuses_a_nan_log_weight():
    # it returned (NaN, NaN) while iwae_bound refused: now both name the defect (as every
    # estimator of vi_ref.estimators does, tests/test_estimators.py)
    with pytest.raises(ValueError, match=r"log p\(x, z\) - log q\(z\) is NaN for a draw of q"):
        elbo_monte_carlo(_HalfUndefinedModel(), Normal(0.0, 1.0), np.zeros(1), 100, SEED)


def test_iwae_bound_refuses_a_nan_log_weight():
    # refused, naming the defect, as logsumexp would spread it over its group
    with pytest.raises(ValueError, match=r"log p\(x, z\) - log q\(z\) is NaN for a draw of q"):
        iwae_bound(_HalfUndefinedModel(), Normal(0.0, 1.0), np.zeros(1), 2, 10, SEED)
