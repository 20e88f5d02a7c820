"""Tests of vi_ref.cavi: the ELBO rises at every coordinate update, each update is the
coordinate argmax (autodiff gradient zero, perturbations never better), the closed-form
ELBO equals independent Monte Carlo estimates and stays below the exact evidence, and
the results are exact for data far from the origin."""

import warnings
from dataclasses import replace

import numpy as np
import pytest
import scipy.integrate
import scipy.special
import scipy.stats

from vi_ref import autodiff as ad
from vi_ref.cavi import (
    BayesianGaussianMixtureCAVI,
    UnitVarianceMixtureCAVI,
    bayesian_mixture_elbo,
    exact_log_evidence,
    expected_log_likelihood,
    unit_variance_mixture_elbo,
)
from vi_ref.cavi import bayesian_mixture as bm
from vi_ref.cavi import unit_variance_mixture as uvm
from vi_ref.em import ConvergenceWarning, NotFittedError

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
PRIOR_TYPES = ("dirichlet_process", "dirichlet_distribution")
CONFIGURATIONS = [(kind, prior) for prior in PRIOR_TYPES for kind in COVARIANCE_TYPES]
MONOTONE_RTOL = 1e-12


def three_clusters(rng, n=(20, 15, 10), offset=0.0):
    centres = np.array([[3.0, 0.0], [0.0, 0.0], [0.0, -3.0]])
    scales = (1.0, 0.5, 1.0)
    return offset + np.concatenate([c + s * rng.standard_normal((m, 2)) for c, s, m in zip(centres, scales, n)])


def assert_never_decreases(history):
    steps = np.diff(history)
    allowed = MONOTONE_RTOL * np.abs(history[1:])
    worst = int(np.argmin(steps + allowed))
    assert np.all(steps >= -allowed), f"ELBO fell by {-steps[worst]:.3g} at update {worst + 1}"


# ---------------------------------------------------------------------------
# The unit-variance mixture of Blei et al. §3
# ---------------------------------------------------------------------------


def small_problem(seed, n=7, separation=2.0, dimension=1):
    """Three clusters spaced along the first axis, unit noise in every coordinate."""
    rng = np.random.default_rng(seed)
    centres = separation * np.array([-1.0, 0.0, 1.0])
    return centres[np.arange(n) % 3, None] + rng.standard_normal((n, dimension))


def test_exact_log_evidence_equals_quadrature_for_one_component():
    """With K = 1 there is one assignment: p(x) = ∫ N(μ | 0, σ²) Πᵢ N(xᵢ | μ, 1) dμ."""
    X = np.array([[0.3], [-1.2], [2.0]])
    sigma2 = 2.5
    integrand = lambda mu: np.exp(  # noqa: E731
        scipy.stats.norm(0, np.sqrt(sigma2)).logpdf(mu) + scipy.stats.norm(mu, 1).logpdf(X[:, 0]).sum()
    )
    value, error = scipy.integrate.quad(integrand, -30, 30, epsabs=0, epsrel=1e-12)
    assert exact_log_evidence(X, 1, sigma2) == pytest.approx(np.log(value), rel=1e-10)


def test_exact_log_evidence_sums_over_assignments_by_quadrature():
    """K = 2, N = 2 in one dimension: four assignments, each a product of 1-D integrals."""
    X = np.array([[0.7], [-1.1]])
    sigma2 = 1.7
    prior = scipy.stats.norm(0, np.sqrt(sigma2))

    def cluster(points):
        if not points:
            return 1.0
        f = lambda mu: np.exp(prior.logpdf(mu) + scipy.stats.norm(mu, 1).logpdf(np.array(points)).sum())  # noqa: E731
        return scipy.integrate.quad(f, -30, 30, epsabs=0, epsrel=1e-12)[0]

    x0, x1 = X[:, 0]
    total = 0.25 * (2 * cluster([x0, x1]) + 2 * cluster([x0]) * cluster([x1]))
    assert exact_log_evidence(X, 2, sigma2) == pytest.approx(np.log(total), rel=1e-10)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n_components", [2, 3])
def test_unit_variance_elbo_rises_and_stays_below_the_evidence(seed, n_components):
    X = small_problem(seed)
    model = UnitVarianceMixtureCAVI(n_components, prior_variance=4.0, rng=seed).fit(X)
    assert_never_decreases(model.elbo_history_)
    assert len(model.elbo_history_) == 1 + model.n_iter_ * (1 + n_components)
    assert model.lower_bound_ <= exact_log_evidence(X, n_components, 4.0)


def test_unit_variance_stops_at_the_first_iteration_whose_elbo_change_is_below_tol():
    """The rule is on the change over a whole iteration (q(c), then q(μ₁), …, q(μ_K)):
    the ELBO at the end of each iteration is every (K + 1)-th entry of elbo_history_."""
    X = small_problem(2, n=9, separation=1.0)
    model = UnitVarianceMixtureCAVI(3, prior_variance=4.0, tol=1e-6, rng=2).fit(X)
    changes = np.diff(model.elbo_history_[::4])
    assert model.converged_ and len(changes) == model.n_iter_
    assert changes[-1] < 1e-6 and np.all(changes[:-1] >= 1e-6)


def test_label_switching_gap_is_log_k_factorial_for_separated_clusters():
    """Well-separated clusters: the posterior is K! copies of one mode, one per labelling,
    with (nearly) no mass between them; in each, the assignments are certain and the
    means independent Gaussians, which the mean-field q represents exactly. q can sit
    in only one copy, so log p(x) − ELBO = log K! + (a KL that vanishes with the
    separation)."""
    X = small_problem(0, n=8, separation=12.0)
    best = max((UnitVarianceMixtureCAVI(3, prior_variance=100.0, rng=s).fit(X) for s in range(5)),
               key=lambda model: model.lower_bound_)
    gap = exact_log_evidence(X, 3, 100.0) - best.lower_bound_
    assert gap == pytest.approx(np.log(6), abs=1e-6)
    # with overlapping clusters the modes overlap and the within-mode KL is not small
    X = small_problem(0, n=8, separation=1.0)
    best = max((UnitVarianceMixtureCAVI(3, prior_variance=100.0, rng=s).fit(X) for s in range(5)),
               key=lambda model: model.lower_bound_)
    assert exact_log_evidence(X, 3, 100.0) - best.lower_bound_ > np.log(6) + 0.1


@pytest.mark.parametrize("dimension", [1, 2, 3])
def test_unit_variance_elbo_with_one_component_is_the_exact_evidence(dimension):
    """With K = 1 every cᵢ is certain and q(μ) = N(m, s² I) after its update is the
    exact posterior N(Σᵢxᵢ/(1/σ² + N), I/(1/σ² + N)), so the ELBO equals log p(x):
    scipy.stats' multivariate normal of each coordinate's column (``exact_log_evidence``),
    in D dimensions, which pins every factor D of the closed form."""
    X = small_problem(4, n=6, dimension=dimension) + 1.5
    model = UnitVarianceMixtureCAVI(1, prior_variance=2.5, max_iter=1, tol=0).fit(X)
    np.testing.assert_allclose(model.mean_variances_, 1 / (1 / 2.5 + 6), rtol=1e-15)
    assert model.lower_bound_ == pytest.approx(exact_log_evidence(X, 1, 2.5), rel=1e-13)


def _unit_variance_state(seed=0, dimension=1):
    X = small_problem(seed, n=9, dimension=dimension)
    model = UnitVarianceMixtureCAVI(3, prior_variance=4.0, max_iter=1, tol=0, rng=seed).fit(X)
    return X, model.responsibilities_, model.means_.copy(), model.mean_variances_.copy()


@pytest.mark.parametrize("dimension", [1, 2])
def test_unit_variance_updates_are_coordinate_argmaxes_by_autodiff(dimension):
    X, phi, means, variances = _unit_variance_state(dimension=dimension)
    sigma2 = 4.0
    phi = uvm.update_assignments(X, means, variances)
    elbo_of_logits = lambda logits: unit_variance_mixture_elbo(  # noqa: E731
        X, ad.exp(ad.log_softmax(logits, axis=1)), means, variances, sigma2)
    np.testing.assert_allclose(ad.grad(elbo_of_logits)(np.log(phi)), 0, atol=1e-12)
    for k in range(3):
        means[k], variances[k] = uvm.update_mean(X, phi, sigma2, k)
        mask = np.arange(3) == k

        def elbo_of_component(mean, variance):
            return unit_variance_mixture_elbo(
                X, phi, ad.where(mask[:, None], mean, means), ad.where(mask, variance, variances), sigma2)

        gradients = ad.grad(elbo_of_component, argnums=(0, 1))(means, variances)
        np.testing.assert_allclose(gradients[0][k], 0, atol=1e-12)
        np.testing.assert_allclose(gradients[1][k], 0, atol=1e-10)


def test_unit_variance_perturbations_never_raise_the_elbo():
    X, phi, means, variances = _unit_variance_state(1)
    sigma2, rng = 4.0, np.random.default_rng(5)
    phi = uvm.update_assignments(X, means, variances)
    best = unit_variance_mixture_elbo(X, phi, means, variances, sigma2)
    for scale in (1e-4, 1e-2, 1.0):
        for _ in range(20):
            other = scipy.special.softmax(np.log(phi) + scale * rng.standard_normal(phi.shape), axis=1)
            assert unit_variance_mixture_elbo(X, other, means, variances, sigma2) <= best
    for k in range(3):
        means[k], variances[k] = uvm.update_mean(X, phi, sigma2, k)
        best = unit_variance_mixture_elbo(X, phi, means, variances, sigma2)
        for scale in (1e-4, 1e-2, 1.0):
            for _ in range(10):
                m, v = means.copy(), variances.copy()
                m[k] += scale * rng.standard_normal(1)
                v[k] *= np.exp(scale * rng.standard_normal())
                assert unit_variance_mixture_elbo(X, phi, m, v, sigma2) <= best


def unit_variance_monte_carlo_elbo(X, phi, means, variances, sigma2, n, rng):
    """E_q[log p(x, μ, c) − log q(μ, c)] by sampling μ and c from q, every density from
    scipy.stats; returns (estimate, standard error)."""
    K = len(means)
    terms = np.empty(n)
    for s in range(n):
        mu = means + np.sqrt(variances)[:, None] * rng.standard_normal(means.shape)
        c = np.array([rng.choice(K, p=row) for row in phi])
        log_p = (scipy.stats.norm(0, np.sqrt(sigma2)).logpdf(mu).sum() - len(X) * np.log(K)
                 + scipy.stats.norm(mu[c], 1).logpdf(X).sum())
        log_q = (scipy.stats.norm(means, np.sqrt(variances)[:, None]).logpdf(mu).sum()
                 + np.log(phi[np.arange(len(X)), c]).sum())
        terms[s] = log_p - log_q
    return terms.mean(), terms.std(ddof=1) / np.sqrt(n)


def _check_unit_variance_monte_carlo(seed):
    X = small_problem(3, n=8)
    model = UnitVarianceMixtureCAVI(3, prior_variance=4.0, max_iter=3, tol=0, rng=3).fit(X)
    estimate, error = unit_variance_monte_carlo_elbo(
        X, model.responsibilities_, model.means_, model.mean_variances_, 4.0, 400, np.random.default_rng(seed))
    assert abs(estimate - model.lower_bound_) <= 4.5 * error


def test_unit_variance_monte_carlo_elbo_within_4_5_standard_errors():
    _check_unit_variance_monte_carlo(2026)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(30))
def test_unit_variance_monte_carlo_seed_sweep(seed):
    _check_unit_variance_monte_carlo(seed)


def test_unit_variance_refusals():
    X = small_problem(0)
    with pytest.raises(ValueError, match="prior_variance"):
        UnitVarianceMixtureCAVI(2, prior_variance=0.0).fit(X)
    with pytest.raises(ValueError, match="responsibilities_init"):
        UnitVarianceMixtureCAVI(2, responsibilities_init=np.ones((len(X), 2))).fit(X)
    with pytest.raises(ValueError, match="X"):
        UnitVarianceMixtureCAVI(2).fit(np.array([[np.nan]]))
    with pytest.raises(ValueError, match="K\\^N"):
        exact_log_evidence(np.zeros((21, 1)), 2, 1.0)
    # were a NaN log_joint error and scipy's LinAlgError from inside
    with pytest.raises(ValueError, match=r"X has an entry of size 2.64e\+200.* rescale X"):
        UnitVarianceMixtureCAVI(2).fit(X * 1e200)
    with pytest.raises(ValueError, match="prior_variance = 1e[+]300 .* too ill-conditioned"):
        exact_log_evidence(X[:6], 2, 1e300)


# ---------------------------------------------------------------------------
# The Bayesian Gaussian mixture (Bishop §10.2)
# ---------------------------------------------------------------------------


def fitted(kind, prior_type, max_iter=2, seed=0, **options):
    X = three_clusters(np.random.default_rng(seed))
    model = BayesianGaussianMixtureCAVI(
        3, covariance_type=kind, weight_concentration_prior_type=prior_type, max_iter=max_iter,
        tol=0, rng=seed, **options)
    with pytest.warns(ConvergenceWarning):
        model.fit(X)
    return X, model


@pytest.mark.parametrize("kind, prior_type", CONFIGURATIONS)
def test_elbo_never_decreases_across_coordinate_updates(kind, prior_type):
    for seed in range(3):
        for init in ("kmeans++", "random", "random_from_data"):
            X = three_clusters(np.random.default_rng(seed))
            model = BayesianGaussianMixtureCAVI(
                4, covariance_type=kind, weight_concentration_prior_type=prior_type, max_iter=60,
                tol=1e-10, init_params=init, rng=seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X)
            assert_never_decreases(model.elbo_history_)
            assert len(model.elbo_history_) == 1 + 3 * model.n_iter_
            assert model.lower_bound_ == model.elbo_history_[-1]


@pytest.mark.parametrize("init", ["kmeans++", "random", "random_from_data"])
def test_the_start_is_a_distribution_and_its_elbo_is_recorded(init):
    """With max_iter = 0 the fit is the start: q(zₙ) a distribution for every n, and
    lower_bound_ its closed-form ELBO. "random_from_data" puts only K points on a
    component (scikit-learn's start); the other rows were left at 0, and their
    "ELBO", which omits those points, lay above every later value."""
    X = three_clusters(np.random.default_rng(0))
    model = BayesianGaussianMixtureCAVI(3, max_iter=0, init_params=init, rng=0).fit(X)
    np.testing.assert_allclose(model.responsibilities_.sum(axis=1), 1.0, rtol=1e-14)
    value = bayesian_mixture_elbo(X, model.responsibilities_, model.parameters_, model.prior_)
    assert value == pytest.approx(model.lower_bound_, rel=1e-12)
    start = model.lower_bound_
    with pytest.warns(ConvergenceWarning):
        assert start <= model.set_params(max_iter=1).fit(X).lower_bound_


@pytest.mark.parametrize("kind, prior_type", CONFIGURATIONS)
def test_fit_records_the_closed_form_elbo_of_the_fitted_q(kind, prior_type):
    X, model = fitted(kind, prior_type, max_iter=5)
    value = bayesian_mixture_elbo(X, model.responsibilities_, model.parameters_, model.prior_)
    assert value == pytest.approx(model.lower_bound_, rel=1e-12)


def _updated(X, model, coordinate):
    """The state of ``model`` with one more update of ``coordinate``, as (r, parameters)."""
    prior, parameters, r = model.prior_, model.parameters_, model.responsibilities_
    log_likelihood = expected_log_likelihood(X, parameters, prior.covariance_type)
    log_weights = bm.expected_log_weights(parameters.weight_concentration, prior.weight_concentration_prior_type)
    r = bm.update_responsibilities(log_likelihood, log_weights)
    if coordinate == "assignments":
        return r, parameters
    if coordinate == "weights":
        return r, replace(parameters, weight_concentration=bm.update_weight_concentration(r.sum(axis=0), prior))
    means, beta, nu, scale = bm.update_gaussian_wishart(X, r, prior)
    return r, replace(parameters, means=means, mean_precision=beta, degrees_of_freedom=nu, scale_cholesky=scale)


COMPONENT_FIELDS = ("means", "mean_precision", "degrees_of_freedom", "scale_cholesky")


def other_priors(kind):
    """Priors away from every default (β₀ = 1 is the default, and with it a lost β₀
    factor changes nothing), W₀⁻¹ shaped for ``kind``."""
    covariance = {"full": [[2.0, 0.6], [0.6, 0.5]], "tied": [[2.0, 0.6], [0.6, 0.5]], "diag": [2.0, 0.5],
                  "spherical": 1.3}[kind]
    return dict(weight_concentration_prior=0.7, mean_precision_prior=2.5, mean_prior=[0.5, -1.0],
                degrees_of_freedom_prior=3.5, covariance_prior=np.array(covariance))


@pytest.mark.parametrize("priors", ["default", "other"])
@pytest.mark.parametrize("kind, prior_type", CONFIGURATIONS)
def test_each_update_is_the_coordinate_argmax_by_autodiff(kind, prior_type, priors):
    """∂L/∂(the coordinate's parameters) = 0 at the update, from the closed-form ELBO
    differentiated by vi_ref.autodiff; for q(z) through logits, rₙ = softmax(ρₙ). U is
    differentiated in its family: the upper triangle (full, tied), the diagonal
    (diag), the scalar (spherical)."""
    X, model = fitted(kind, prior_type, **(other_priors(kind) if priors == "other" else {}))
    prior = model.prior_
    r, parameters = _updated(X, model, "assignments")
    gradient = ad.grad(lambda logits: bayesian_mixture_elbo(
        X, ad.exp(ad.log_softmax(logits, axis=1)), parameters, prior))(np.log(r))
    np.testing.assert_allclose(gradient, 0, atol=1e-12)

    r, parameters = _updated(X, model, "weights")
    gradient = ad.grad(lambda concentration: bayesian_mixture_elbo(
        X, r, replace(parameters, weight_concentration=concentration), prior))(parameters.weight_concentration)
    np.testing.assert_allclose(gradient, 0, atol=1e-12)

    r, parameters = _updated(X, model, "components")
    values = [getattr(parameters, field) for field in COMPONENT_FIELDS]
    gradients = ad.grad(lambda *fields: bayesian_mixture_elbo(
        X, r, replace(parameters, **dict(zip(COMPONENT_FIELDS, fields))), prior),
        argnums=(0, 1, 2, 3))(*values)
    if kind in ("full", "tied"):
        gradients = gradients[:3] + (np.triu(gradients[3]),)
    for field, gradient in zip(COMPONENT_FIELDS, gradients):
        np.testing.assert_allclose(gradient, 0, atol=1e-11, err_msg=field)


@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_reg_covar_adds_n_k_lambda_to_the_inverse_scale(kind):
    """reg_covar = λ is scikit-learn's λ added to the covariance of each component's
    data, Sₖ/Nₖ + λI: the update's Wₖ⁻¹ grows by exactly Nₖ λ I (tied: the average
    over k, N λ / K · I), and nothing else changes. Tolerance: Wₖ⁻¹ is recovered by
    inverting Uₖ Uₖᵀ, exact to D·cond·eps relative."""
    X, model = fitted(kind, "dirichlet_process")
    prior = model.prior_
    responsibilities = np.random.default_rng(4).dirichlet(np.ones(3), size=len(X))
    counts = responsibilities.sum(axis=0)
    K, D, lam = 3, X.shape[1], 0.3
    plain = bm.update_gaussian_wishart(X, responsibilities, prior, 0.0)
    regularised = bm.update_gaussian_wishart(X, responsibilities, prior, lam)
    for before, after in zip(plain[:3], regularised[:3]):  # means, β, ν
        np.testing.assert_array_equal(after, before)
    eps = np.finfo(float).eps

    def inverse_scales(scale):
        if kind == "full":
            return np.linalg.inv(scale @ np.swapaxes(scale, 1, 2))
        if kind == "tied":
            return np.broadcast_to(np.linalg.inv(scale @ scale.T), (K, D, D))
        if kind == "diag":
            return np.stack([np.diag(1 / u**2) for u in scale])
        return np.stack([np.eye(D) / u**2 for u in scale])

    inverse_before, inverse_after = inverse_scales(plain[3]), inverse_scales(regularised[3])
    added = np.full(K, lam * counts.sum() / K) if kind == "tied" else lam * counts
    condition = max(np.linalg.cond(inverse_before).max(), np.linalg.cond(inverse_after).max())
    tolerance = 8 * D * condition * eps * np.abs(inverse_after).max()
    np.testing.assert_allclose(inverse_after - inverse_before, added[:, None, None] * np.eye(D),
                               rtol=0, atol=tolerance)


def test_the_restricted_families_are_not_the_full_argmax():
    """The diag update is the argmax among diagonal W only: the gradient of the ELBO
    with respect to the off-diagonal entries of a full U is not zero there."""
    X, model = fitted("diag", "dirichlet_distribution")
    r, parameters = _updated(X, model, "components")
    prior = model.prior_
    full_prior = replace(prior, covariance_type="full", covariance=np.diag(prior.covariance))
    as_full = replace(parameters, scale_cholesky=np.stack([np.diag(u) for u in parameters.scale_cholesky]))
    gradient = ad.grad(lambda scale: bayesian_mixture_elbo(
        X, r, replace(as_full, scale_cholesky=scale), full_prior))(as_full.scale_cholesky)
    np.testing.assert_allclose(np.diagonal(gradient, 0, -2, -1), 0, atol=1e-11)
    assert np.max(np.abs(np.triu(gradient, 1))) > 1e-3
    assert bayesian_mixture_elbo(X, r, as_full, full_prior) == pytest.approx(
        bayesian_mixture_elbo(X, r, parameters, prior), rel=1e-13)


def _perturbed(parameters, field, kind, scale, rng):
    value = np.array(getattr(parameters, field), dtype=float)
    noise = scale * rng.standard_normal(value.shape)
    if field == "means":
        return value + noise
    if field == "scale_cholesky" and kind in ("full", "tied"):
        noise = np.triu(noise, 1) + np.eye(value.shape[-1]) * noise
        return value * np.exp(np.eye(value.shape[-1]) * noise) + np.triu(noise, 1)
    if field == "degrees_of_freedom":
        dimension = parameters.means.shape[1]
        return dimension - 1 + (value - dimension + 1) * np.exp(noise)
    return value * np.exp(noise)  # positive parameters


@pytest.mark.parametrize("kind, prior_type", CONFIGURATIONS)
def test_perturbing_an_updated_coordinate_never_raises_the_elbo(kind, prior_type):
    X, model = fitted(kind, prior_type, seed=1)
    prior, rng = model.prior_, np.random.default_rng(7)

    def elbo(r, parameters):
        return bayesian_mixture_elbo(X, r, parameters, prior)

    r, parameters = _updated(X, model, "assignments")
    best = elbo(r, parameters)
    for scale in (1e-3, 1e-1, 1.0):
        for _ in range(5):
            other = scipy.special.softmax(np.log(r) + scale * rng.standard_normal(r.shape), axis=1)
            assert elbo(other, parameters) <= best + 1e-12 * abs(best)
    r, parameters = _updated(X, model, "weights")
    best = elbo(r, parameters)
    for scale in (1e-3, 1e-1, 1.0):
        for _ in range(5):
            other = replace(parameters, weight_concentration=_perturbed(parameters, "weight_concentration", kind, scale, rng))
            assert elbo(r, other) <= best + 1e-12 * abs(best)
    r, parameters = _updated(X, model, "components")
    best = elbo(r, parameters)
    for field in COMPONENT_FIELDS:
        for scale in (1e-3, 1e-1, 1.0):
            for _ in range(3):
                other = replace(parameters, **{field: _perturbed(parameters, field, kind, scale, rng)})
                assert elbo(r, other) <= best + 1e-12 * abs(best), field


def _matrix_scale(scale_cholesky, kind, dimension, n_components):
    """Each Wₖ as a (D, D) matrix."""
    if kind == "full":
        return scale_cholesky @ np.swapaxes(scale_cholesky, -1, -2)
    if kind == "tied":
        return np.repeat((scale_cholesky @ scale_cholesky.T)[None], n_components, axis=0)
    if kind == "diag":
        return np.stack([np.diag(u**2) for u in scale_cholesky])
    return scale_cholesky[:, None, None] ** 2 * np.eye(dimension)


def bayesian_monte_carlo_elbo(X, r, parameters, prior, n, rng):
    """E_q[log p(X, Z, π, μ, Λ) − log q(Z, π, μ, Λ)] by drawing π (or v), Λₖ and μₖ from
    q, with every density from scipy.stats; Z is summed over exactly for each draw
    (Rao–Blackwellised, which lowers the variance and keeps the estimate unbiased).
    Returns (estimate, standard error)."""
    kind = prior.covariance_type
    n_components, dimension = parameters.means.shape
    scales = _matrix_scale(parameters.scale_cholesky, kind, dimension, n_components)
    nus = np.broadcast_to(parameters.degrees_of_freedom, (n_components,))
    prior_covariance = {"full": prior.covariance, "tied": prior.covariance, "diag": np.diag(np.atleast_1d(prior.covariance)),
                        "spherical": prior.covariance * np.eye(dimension)}[kind]
    prior_wishart = scipy.stats.wishart(df=prior.degrees_of_freedom, scale=np.linalg.inv(prior_covariance))
    alpha0 = prior.weight_concentration
    terms = np.empty(n)
    for s in range(n):
        concentration = parameters.weight_concentration
        if prior.weight_concentration_prior_type == "dirichlet_distribution":
            weights = rng.dirichlet(concentration)
            log_p = scipy.stats.dirichlet(np.full(n_components, alpha0)).logpdf(weights)
            log_q = scipy.stats.dirichlet(concentration).logpdf(weights)
        else:
            sticks = rng.beta(concentration[0], concentration[1])
            weights = sticks * np.concatenate([[1.0], np.cumprod(1 - sticks)[:-1]])
            log_p = scipy.stats.beta(1, alpha0).logpdf(sticks).sum()
            log_q = scipy.stats.beta(concentration[0], concentration[1]).logpdf(sticks).sum()
        log_components = np.empty((len(X), n_components))
        for k in range(n_components):
            posterior_wishart = scipy.stats.wishart(df=nus[k], scale=scales[k])
            precision = posterior_wishart.rvs(random_state=rng)
            covariance = np.linalg.inv(precision)
            beta = parameters.mean_precision[k]
            mean = rng.multivariate_normal(parameters.means[k], covariance / beta)
            log_p += prior_wishart.logpdf(precision) + scipy.stats.multivariate_normal(
                prior.mean, covariance / prior.mean_precision).logpdf(mean)
            log_q += posterior_wishart.logpdf(precision) + scipy.stats.multivariate_normal(
                parameters.means[k], covariance / beta).logpdf(mean)
            log_components[:, k] = np.log(weights[k]) + scipy.stats.multivariate_normal(mean, covariance).logpdf(X)
        terms[s] = log_p - log_q + np.sum(r * log_components) - np.sum(scipy.special.xlogy(r, r))
    return terms.mean(), terms.std(ddof=1) / np.sqrt(n)


def _check_bayesian_monte_carlo(kind, prior_type, seed, n=120):
    """At a q whose q(π, μ, Λ) is not the optimum for its responsibilities (just after
    an assignments update), the estimate scatters and must fall within 4.5 SE."""
    X, model = fitted(kind, prior_type, max_iter=3)
    r, parameters = _updated(X, model, "assignments")
    exact = bayesian_mixture_elbo(X, r, parameters, model.prior_)
    estimate, error = bayesian_monte_carlo_elbo(X, r, parameters, model.prior_, n, np.random.default_rng(seed))
    assert error > 1e-6
    assert abs(estimate - exact) <= 4.5 * error, (estimate, exact, error)


@pytest.mark.parametrize("kind, prior_type", CONFIGURATIONS)
def test_monte_carlo_elbo_within_4_5_standard_errors(kind, prior_type):
    _check_bayesian_monte_carlo(kind, prior_type, seed=11)


@pytest.mark.parametrize("priors", ["default", "other"])
@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
def test_after_a_parameter_update_the_log_ratio_is_constant(prior_type, priors):
    """Just after q(π) and q(μ, Λ) are updated, q(π, μ, Λ) ∝ exp(E_q(Z)[log p(X, Z, π, μ, Λ)])
    exactly, so log p − log q (Z summed out) is the same for every draw — its
    logarithmic normaliser, which is then the ELBO: the Monte Carlo estimate has zero
    spread and equals the closed form. A check of the updates that needs no gradient.
    Only for ``full``: the restricted families (tied, diag, spherical) cannot hold that
    optimum, and their log-ratio does scatter. With priors away from the defaults too,
    which pins the ELBO's constants in the prior's parameters (log β₀ is 0 at β₀ = 1)."""
    X, model = fitted("full", prior_type, max_iter=3, **(other_priors("full") if priors == "other" else {}))
    estimate, error = bayesian_monte_carlo_elbo(
        X, model.responsibilities_, model.parameters_, model.prior_, 5, np.random.default_rng(0))
    assert error <= 1e-12 * abs(estimate)
    assert estimate == pytest.approx(model.lower_bound_, rel=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("kind, prior_type", [("full", "dirichlet_process"), ("diag", "dirichlet_distribution")])
def test_monte_carlo_seed_sweep(kind, prior_type, seed):
    _check_bayesian_monte_carlo(kind, prior_type, seed=100 + seed, n=60)


@pytest.mark.parametrize("kind, prior_type", CONFIGURATIONS)
def test_exact_far_from_the_origin(kind, prior_type):
    """Translating the data and the prior mean by c ≈ 10⁶ translates the means and
    leaves everything else unchanged: the statistics are summed about mₖ, so no digit
    is lost to E[x²] − x̄² (which would lose about 12 of them here). The data are
    multiples of 2⁻²⁰, so that X + c is exact; what remains is the rounding of the
    means near c, ulp(10⁶) ≈ 10⁻¹⁰."""
    rng = np.random.default_rng(3)
    X = np.round(three_clusters(rng) * 2**20) / 2**20
    mean_prior = np.round(X.mean(axis=0) * 2**20) / 2**20
    start = rng.dirichlet(np.ones(3), size=len(X))
    shift = np.array([2.0**20, -(2.0**19)])

    def fit(data, mean_prior):
        model = BayesianGaussianMixtureCAVI(
            3, covariance_type=kind, weight_concentration_prior_type=prior_type, max_iter=40, tol=0,
            responsibilities_init=start, mean_prior=mean_prior)
        with pytest.warns(ConvergenceWarning):
            return model.fit(data)

    near, far = fit(X, mean_prior), fit(X + shift, mean_prior + shift)
    np.testing.assert_allclose(far.means_ - shift, near.means_, rtol=0, atol=1e-8)
    for name in ("covariances_", "degrees_of_freedom_", "mean_precision_", "weights_"):
        np.testing.assert_allclose(getattr(far, name), getattr(near, name), rtol=1e-8, err_msg=name)
    assert far.lower_bound_ == pytest.approx(near.lower_bound_, rel=1e-10)


def test_tensor_and_array_quadratic_forms_agree():
    """expected_log_likelihood has two code paths (chunked NumPy for the fit, broadcast
    autodiff for the checks); each checks the other."""
    for kind in COVARIANCE_TYPES:
        X, model = fitted(kind, "dirichlet_process")
        parameters = model.parameters_
        as_tensor = replace(parameters, means=ad.Tensor(parameters.means))
        np.testing.assert_allclose(
            expected_log_likelihood(X, as_tensor, kind).value,
            expected_log_likelihood(X, parameters, kind), rtol=1e-12)


def test_attributes_follow_scikit_learn():
    X, model = fitted("full", "dirichlet_process", max_iter=5)
    K, D = 3, 2
    assert isinstance(model.weight_concentration_, tuple) and model.weight_concentration_[0].shape == (K,)
    assert model.weights_.sum() == pytest.approx(1.0)
    assert model.means_.shape == (K, D) and model.covariances_.shape == (K, D, D)
    np.testing.assert_allclose(model.precisions_ @ model.covariances_, np.broadcast_to(np.eye(D), (K, D, D)), atol=1e-12)
    np.testing.assert_allclose(model.precisions_cholesky_ @ np.swapaxes(model.precisions_cholesky_, 1, 2),
                               model.precisions_, rtol=1e-12)
    assert model.mean_prior_ == pytest.approx(X.mean(axis=0))
    assert model.weight_concentration_prior_ == pytest.approx(1 / K)
    assert model.degrees_of_freedom_prior_ == D
    assert model.lower_bounds_.shape == (model.n_iter_,) and model.lower_bounds_[-1] == model.lower_bound_
    np.testing.assert_array_equal(model.lower_bounds_, model.elbo_history_[3::3])
    assert model.predict(X).shape == (len(X),)
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)
    shapes = {"tied": (D, D), "diag": (K, D), "spherical": (K,)}
    for kind, shape in shapes.items():
        _, other = fitted(kind, "dirichlet_distribution")
        assert other.covariances_.shape == shape and other.precisions_cholesky_.shape == shape
        assert other.weight_concentration_.shape == (K,)


@pytest.mark.parametrize("kind, prior_type", CONFIGURATIONS)
def test_point_estimates_are_the_moments_of_the_fitted_q(kind, prior_type):
    """scikit-learn's attributes from q: precisions_ = νₖ Wₖ with Wₖ = Uₖ Uₖᵀ from
    ``parameters_``, covariances_ its inverse, precisions_cholesky_ a factor of it;
    weights_ the means E_q[πₖ] renormalised over the K components — for q(π) = Dir(α)
    scipy's Dirichlet mean, for the sticks E[vₖ] Πⱼ<ₖ (1 − E[vⱼ]) with scipy's Beta
    means (the vₖ are independent under q). Tolerances: a few roundings per entry
    (|A| |B| times D·eps for a product; a product of at most K factors for the
    weights); for the matrix inverse, the condition number times that."""
    X, model = fitted(kind, prior_type, max_iter=5)
    K, D = 3, X.shape[1]
    eps = np.finfo(float).eps
    parameters = model.parameters_
    nu = np.broadcast_to(parameters.degrees_of_freedom, (K,))
    U = parameters.scale_cholesky
    if kind == "full":
        W = U @ np.swapaxes(U, 1, 2)
    elif kind == "tied":
        W = np.broadcast_to(U @ U.T, (K, D, D))
    elif kind == "diag":
        W = np.stack([np.diag(u**2) for u in U])
    else:
        W = np.stack([u**2 * np.eye(D) for u in U])

    def as_matrices(value):
        value = np.asarray(value)
        if kind == "tied":
            return np.broadcast_to(value, (K, D, D))
        if kind == "diag":
            return np.stack([np.diag(v) for v in value])
        if kind == "spherical":
            return np.stack([v * np.eye(D) for v in value])
        return value

    precisions, covariances, factors = (as_matrices(getattr(model, name)) for name in
                                        ("precisions_", "covariances_", "precisions_cholesky_"))
    # a product of D-term sums rounds by at most about D·eps·(|A| |B|) entrywise
    absolute = np.abs(factors) @ np.swapaxes(np.abs(factors), 1, 2)
    assert np.all(np.abs(precisions - nu[:, None, None] * W) <= 4 * D * eps * absolute)
    assert np.all(np.abs(factors @ np.swapaxes(factors, 1, 2) - precisions) <= 4 * D * eps * absolute)
    condition = np.linalg.cond(precisions).max()
    np.testing.assert_allclose(precisions @ covariances, np.broadcast_to(np.eye(D), (K, D, D)),
                               rtol=0, atol=8 * D * condition * eps)
    if prior_type == "dirichlet_distribution":
        expected = scipy.stats.dirichlet(model.weight_concentration_).mean()
    else:
        first, second = model.weight_concentration_
        sticks = [scipy.stats.beta(a, b).mean() for a, b in zip(first, second)]
        expected = np.array([sticks[k] * np.prod([1 - sticks[j] for j in range(k)]) for k in range(K)])
        expected /= expected.sum()
    np.testing.assert_allclose(model.weights_, expected, rtol=4 * (K + 1) * eps, atol=0)


def test_dirichlet_process_switches_off_unneeded_components():
    X = three_clusters(np.random.default_rng(0))
    model = BayesianGaussianMixtureCAVI(8, weight_concentration_prior=1e-3, max_iter=500, tol=1e-8, rng=0).fit(X)
    assert np.sum(model.weights_ > 0.05) == 3
    assert_never_decreases(model.elbo_history_)


def test_refusals():
    X = three_clusters(np.random.default_rng(0))
    bad = [
        (dict(covariance_type="banana"), "covariance_type"),
        (dict(weight_concentration_prior_type="dirichlet"), "weight_concentration_prior_type"),
        (dict(weight_concentration_prior=0.0), "weight_concentration_prior"),
        (dict(mean_precision_prior=-1.0), "mean_precision_prior"),
        # subnormal: ψ(α₀) and 1/β₀ overflow (a Dirichlet prior's lower_bound_ was NaN)
        (dict(weight_concentration_prior=1e-310, weight_concentration_prior_type="dirichlet_distribution"),
         "weight_concentration_prior must be at least 2.2e-308"),
        (dict(mean_precision_prior=5e-324), "mean_precision_prior must be at least 2.2e-308"),
        (dict(degrees_of_freedom_prior=0.5), "degrees_of_freedom_prior"),
        # the boundary ν₀ = D − 1 (D = 2 here): Γ_D(ν₀/2) has the pole Γ(0), no Wishart
        (dict(degrees_of_freedom_prior=1.0), "degrees_of_freedom_prior"),
        (dict(mean_prior=np.zeros(3)), "mean_prior"),
        (dict(covariance_prior=np.eye(3)), "covariance_prior"),
        (dict(covariance_prior=-np.eye(2)), "covariance_prior"),
        (dict(covariance_type="diag", covariance_prior=np.array([1.0, -1.0])), "covariance_prior"),
        (dict(tol=-1.0), "tol"),
        (dict(reg_covar=-1.0), "reg_covar"),
        (dict(init_params="banana"), "init_params"),
        # as EM's: a bound on the run time (and the starts' generators are made one by one)
        (dict(n_init=10**6 + 1), "n_init must be <= 1000000"),
        (dict(responsibilities_init=np.ones((len(X), 3))), "responsibilities_init"),
        (dict(responsibilities_init=np.ones((2, 3)) / 3), "responsibilities_init"),
    ]
    for options, name in bad:
        with pytest.raises(ValueError, match=name):
            BayesianGaussianMixtureCAVI(3, **options).fit(X)
    with pytest.raises(TypeError, match="n_components"):
        BayesianGaussianMixtureCAVI(2.5).fit(X)
    with pytest.raises(ValueError, match="samples"):
        BayesianGaussianMixtureCAVI(3).fit(X[:2])
    # one sample: np.cov of it, the default covariance_prior, is NaN
    with pytest.raises(ValueError, match=r"at least max\(2, n_components\) = 2 samples"):
        BayesianGaussianMixtureCAVI(1).fit(X[:1])
    with pytest.raises(ValueError, match="X"):
        BayesianGaussianMixtureCAVI(3).fit(np.full((5, 2), np.inf))
    with pytest.raises(ValueError, match="not fitted"):
        BayesianGaussianMixtureCAVI(3).predict(X)
    _, model = fitted("full", "dirichlet_process")
    with pytest.raises(ValueError, match="features"):
        model.predict(np.zeros((3, 5)))


def test_of_several_starts_fit_keeps_the_highest_elbo():
    """The first of n_init = 3 starts is the single start of n_init = 1 (the starts'
    generators are spawned one by one from the same rng); here it ends at a lower
    ELBO than another start (−170.87 against −164.13), so the three-start fit must end
    above it, at the closed-form ELBO of the q it keeps."""
    X = three_clusters(np.random.default_rng(0))
    first = BayesianGaussianMixtureCAVI(4, init_params="random", rng=0).fit(X)
    best = BayesianGaussianMixtureCAVI(4, init_params="random", rng=0, n_init=3).fit(X)
    assert best.lower_bound_ > first.lower_bound_ + 1.0
    assert bayesian_mixture_elbo(X, best.responsibilities_, best.parameters_, best.prior_) == pytest.approx(
        best.lower_bound_, rel=1e-12)


def test_default_covariance_prior_is_the_unbiased_sample_covariance():
    """scikit-learn's defaults for W₀⁻¹: the sample covariance of X with divisor N − 1
    (np.cov), its diagonal for diag and the mean of that diagonal for spherical."""
    X = three_clusters(np.random.default_rng(0))
    covariance = np.cov(X, rowvar=False)
    expected = {"full": covariance, "tied": covariance, "diag": np.diag(covariance),
                "spherical": np.mean(np.diag(covariance))}
    for kind in COVARIANCE_TYPES:
        model = BayesianGaussianMixtureCAVI(3, covariance_type=kind, max_iter=0, rng=0).fit(X)
        np.testing.assert_allclose(model.covariance_prior_, expected[kind], rtol=1e-14, err_msg=kind)


def test_same_seed_same_result():
    X = three_clusters(np.random.default_rng(0))
    first = BayesianGaussianMixtureCAVI(3, rng=4, init_params="random", n_init=2).fit(X)
    second = BayesianGaussianMixtureCAVI(3, rng=4, init_params="random", n_init=2).fit(X)
    np.testing.assert_array_equal(first.elbo_history_, second.elbo_history_)


# ---------------------------------------------------------------------------
# Using the fitted q: scikit-learn's methods, warm start, progress, parameters
# ---------------------------------------------------------------------------


def monte_carlo_log_joint(model, x, n_draws, rng):
    """E_q[log πₖ] + E_q[log N(x | μₖ, Λₖ⁻¹)] for each k of a full-covariance Dirichlet
    fit, by draws from q (scipy.stats, independent draws for each k): (estimates, SEs)."""
    alpha = model.weight_concentration_
    estimates, errors = [], []
    for k in range(len(alpha)):
        weights = scipy.stats.dirichlet(alpha).rvs(n_draws, random_state=rng)[:, k]
        scale = model.precisions_[k] / model.degrees_of_freedom_[k]  # W
        precisions = scipy.stats.wishart(df=model.degrees_of_freedom_[k], scale=scale).rvs(n_draws, random_state=rng)
        # μ | Λ ~ N(mₖ, (βₖ Λ)⁻¹), then log N(x | μ, Λ⁻¹) = ½ log |Λ/2π| − ½ (x − μ)ᵀ Λ (x − μ)
        mean_factors = np.linalg.cholesky(np.linalg.inv(precisions) / model.mean_precision_[k])
        means = model.means_[k] + (mean_factors @ rng.standard_normal((n_draws, len(x), 1)))[..., 0]
        offsets = x - means
        values = np.log(weights) + 0.5 * (
            np.linalg.slogdet(precisions / (2 * np.pi))[1]
            - np.einsum("si,sij,sj->s", offsets, precisions, offsets))
        estimates.append(values.mean())
        errors.append(values.std(ddof=1) / np.sqrt(n_draws))
    return np.array(estimates), np.array(errors)


def test_score_samples_is_log_sum_exp_of_the_expected_log_joint_by_monte_carlo():
    """score_samples(x) = log Σₖ exp(E_q[log πₖ] + E_q[log N(x | μₖ, Λₖ⁻¹)]): the
    expectations by sampling q with scipy.stats; the SE of the log-sum-exp by the delta
    method (its gradient is q(z = k | x))."""
    X, model = fitted("full", "dirichlet_distribution", max_iter=5)
    points = np.array([[3.0, 0.5], [0.2, -1.5]])
    rng = np.random.default_rng(7)
    for x, score, proba in zip(points, model.score_samples(points), model.predict_proba(points)):
        estimates, errors = monte_carlo_log_joint(model, x, 4000, rng)
        standard_error = np.sqrt(np.sum((proba * errors) ** 2))
        assert abs(scipy.special.logsumexp(estimates) - score) <= 4.5 * standard_error


def test_score_samples_is_below_the_log_predictive_density():
    """Jensen: score_samples(x) ≤ log E_q[p(x | π, μ, Λ)], the Student-t mixture of
    Bishop (10.81) for a Dirichlet q(π), here from scipy.stats.multivariate_t."""
    X, model = fitted("full", "dirichlet_distribution", max_iter=5)
    D = X.shape[1]
    points = np.vstack([X[::5], [[10.0, 10.0]]])
    alpha = model.weight_concentration_
    terms = []
    for k in range(len(alpha)):
        dof = model.degrees_of_freedom_[k] + 1 - D
        W = model.precisions_[k] / model.degrees_of_freedom_[k]
        shape = np.linalg.inv(dof * model.mean_precision_[k] / (1 + model.mean_precision_[k]) * W)
        terms.append(np.log(alpha[k] / alpha.sum())
                     + scipy.stats.multivariate_t(model.means_[k], shape, df=dof).logpdf(points))
    log_predictive = scipy.special.logsumexp(terms, axis=0)
    scores = model.score_samples(points)
    assert np.all(scores < log_predictive)


@pytest.mark.parametrize("kind, prior_type", CONFIGURATIONS)
def test_predict_score_and_fit_predict_are_consistent(kind, prior_type):
    X, model = fitted(kind, prior_type, max_iter=5)
    points = X[::3] + 0.25
    scores, proba = model.score_samples(points), model.predict_proba(points)
    assert scores.shape == (len(points),) and proba.shape == (len(points), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_array_equal(model.predict(points), np.argmax(proba, axis=1))
    assert model.score(points) == pytest.approx(np.mean(scores), rel=1e-15)
    again = BayesianGaussianMixtureCAVI(**model.get_params())
    with pytest.warns(ConvergenceWarning):
        labels = again.fit_predict(X)
    np.testing.assert_array_equal(labels, model.predict(X))


@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_sample_draws_from_the_point_mixture(kind):
    """Label frequencies within 4.5 SE of weights_, each component's sample mean and
    variances within 4.5 SE of means_ and the diagonal of covariances_, draws in
    random order."""
    _, model = fitted(kind, "dirichlet_distribution", max_iter=5)
    n = 20000
    draws, labels = model.sample(n, rng=3)
    assert draws.shape == (n, 2) and labels.shape == (n,)
    counts = np.bincount(labels, minlength=3)
    weights = model.weights_
    assert np.all(np.abs(counts / n - weights) <= 4.5 * np.sqrt(weights * (1 - weights) / n))
    variances = {"full": lambda k: np.diag(model.covariances_[k]), "tied": lambda k: np.diag(model.covariances_),
                 "diag": lambda k: model.covariances_[k], "spherical": lambda k: np.full(2, model.covariances_[k])}[kind]
    for k in range(3):
        mine = draws[labels == k]
        assert np.all(np.abs(mine.mean(axis=0) - model.means_[k]) <= 4.5 * np.sqrt(variances(k) / len(mine)))
        # the sample variance of Gaussian draws has variance 2σ⁴/(n − 1)
        error = np.abs(mine.var(axis=0, ddof=1) - variances(k))
        assert np.all(error <= 4.5 * variances(k) * np.sqrt(2 / (len(mine) - 1)))
    assert not np.all(np.diff(labels) >= 0)


def test_sample_uses_the_estimators_rng_by_default():
    _, model = fitted("diag", "dirichlet_process")
    first, second = model.sample(5), model.sample(5)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(model.sample(5, rng=np.random.default_rng(0))[0],
                                  model.sample(5, rng=0)[0])


@pytest.mark.parametrize("kind, prior_type", CONFIGURATIONS)
def test_warm_start_continues_the_previous_run(kind, prior_type):
    """10 iterations, then 10 more with warm_start, equal 20 iterations in one run."""
    X = three_clusters(np.random.default_rng(1))
    options = dict(covariance_type=kind, weight_concentration_prior_type=prior_type, tol=0, rng=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        whole = BayesianGaussianMixtureCAVI(3, max_iter=20, **options).fit(X)
        parts = BayesianGaussianMixtureCAVI(3, max_iter=10, **options).fit(X)
        parts.set_params(warm_start=True).fit(X)
    assert parts.n_iter_ == 10
    for name in ("means_", "precisions_cholesky_", "degrees_of_freedom_", "mean_precision_", "weights_"):
        np.testing.assert_allclose(getattr(parts, name), getattr(whole, name), rtol=1e-12, atol=0)
    assert parts.lower_bound_ == pytest.approx(whole.lower_bound_, rel=1e-13)
    np.testing.assert_allclose(parts.elbo_history_[1:], whole.elbo_history_[31:], rtol=1e-13)
    assert_never_decreases(parts.elbo_history_)


def test_warm_start_stops_where_the_whole_run_stops():
    """The first change of a warm run is measured from the previous lower_bound_."""
    X = three_clusters(np.random.default_rng(2))
    whole = BayesianGaussianMixtureCAVI(3, max_iter=500, tol=1e-6, rng=2).fit(X)
    with pytest.warns(ConvergenceWarning):
        parts = BayesianGaussianMixtureCAVI(3, max_iter=whole.n_iter_ - 1, tol=1e-6, rng=2).fit(X)
    parts.set_params(warm_start=True, max_iter=500).fit(X)
    assert parts.converged_ and parts.n_iter_ == 1
    for change in (dict(n_components=4), dict(covariance_type="diag"),
                   dict(weight_concentration_prior_type="dirichlet_distribution")):
        with pytest.raises(ValueError, match="warm_start"):
            BayesianGaussianMixtureCAVI(**parts.get_params()).fit(X).set_params(**change).fit(X)
    wider = np.hstack([X, np.random.default_rng(0).standard_normal((len(X), 1))])
    with pytest.raises(ValueError, match="warm_start"):
        parts.fit(wider)


def test_verbose_prints_scikit_learns_lines(capsys):
    X = three_clusters(np.random.default_rng(0))
    BayesianGaussianMixtureCAVI(3, max_iter=500, tol=1e-6, rng=0, n_init=2, verbose=1,
                                verbose_interval=2).fit(X)
    model = BayesianGaussianMixtureCAVI(3, max_iter=500, tol=1e-6, rng=0)
    n_iter = model.fit(X).n_iter_
    lines = capsys.readouterr().out.splitlines()
    expected = [f"  Iteration {i}" for i in range(2, n_iter + 1, 2)]
    assert lines[0] == "Initialization 0" and lines[1:1 + len(expected)] == expected
    assert lines[1 + len(expected)] == "Initialization converged." and lines[2 + len(expected)] == "Initialization 1"
    with pytest.warns(ConvergenceWarning):
        model.set_params(max_iter=3, tol=0, verbose=2, verbose_interval=1).fit(X)
    lines = capsys.readouterr().out.splitlines()
    changes = [float(line.split("ll change")[1]) for line in lines[1:4]]
    np.testing.assert_allclose(changes[1:], np.diff(model.elbo_history_[3::3]), atol=1e-5)
    assert lines[4].startswith("Initialization did not converge. time lapse")
    assert lines[4].endswith(f"lower bound {model.lower_bound_:.5f}.")


def test_parameters_are_stored_unchanged_and_validated_by_fit():
    prior = np.eye(2)
    model = BayesianGaussianMixtureCAVI(3, covariance_prior=prior, tol="loose")
    assert model.get_params()["covariance_prior"] is prior and model.get_params()["tol"] == "loose"
    assert set(model.get_params()) == {
        "n_components", "covariance_type", "tol", "reg_covar", "max_iter", "n_init", "init_params",
        "weight_concentration_prior_type", "weight_concentration_prior", "mean_precision_prior",
        "mean_prior", "degrees_of_freedom_prior", "covariance_prior", "responsibilities_init", "rng",
        "random_state", "warm_start", "verbose", "verbose_interval"}
    assert repr(model).startswith("BayesianGaussianMixtureCAVI(n_components=3, tol='loose'")
    X = three_clusters(np.random.default_rng(0))
    with pytest.raises(TypeError, match="tol"):
        model.fit(X)
    assert model.set_params(tol=1e-3) is model and model.fit(X).converged_
    with pytest.raises(ValueError, match="Invalid parameter 'banana'"):
        model.set_params(banana=1)


def test_degenerate_data_are_refused_by_naming_what_to_change():
    # the errors named covariance_prior, which the caller had not passed, or an
    # internal "inverse Wishart scale"
    rng = np.random.default_rng(0)
    constant_column = np.column_stack([rng.standard_normal(60), np.full(60, 3.0)])
    for kind, what in (("full", "feature or direction"), ("diag", "feature"), ("tied", "feature or direction")):
        with pytest.raises(ValueError, match=f"X has a {what} with no spread.*pass covariance_prior"):
            BayesianGaussianMixtureCAVI(2, covariance_type=kind).fit(constant_column)
    with pytest.raises(ValueError, match="^covariance_prior must be positive definite"):  # the caller's own
        BayesianGaussianMixtureCAVI(2, covariance_prior=np.zeros((2, 2))).fit(constant_column)
    # two distinct points: np.cov of them is singular but for rounding, which passes
    two_points = np.repeat(np.random.default_rng(0).normal(size=(2, 2)), 10, axis=0)
    with pytest.raises(ValueError, match="update of q.Λ. failed.*larger covariance_prior or reg_covar"):
        BayesianGaussianMixtureCAVI(3, rng=0).fit(two_points)
    BayesianGaussianMixtureCAVI(2, covariance_prior=np.eye(2), rng=0).fit(constant_column)  # fits


def test_refusals_of_the_scikit_learn_methods_and_settings():
    X = three_clusters(np.random.default_rng(0))
    unfitted = BayesianGaussianMixtureCAVI(3)
    for method, args in (("predict", (X,)), ("predict_proba", (X,)), ("score_samples", (X,)),
                         ("score", (X,)), ("sample", (2,))):
        with pytest.raises(NotFittedError, match="not fitted"):
            getattr(unfitted, method)(*args)
    bad = [
        (dict(warm_start=1), TypeError, "warm_start"),
        (dict(verbose=-1), ValueError, "verbose"),
        (dict(verbose=1.5), TypeError, "verbose"),
        (dict(verbose_interval=0), ValueError, "verbose_interval"),
        (dict(rng=0, random_state=0), ValueError, "random_state"),
        (dict(random_state="seed"), TypeError, "random_state"),
        (dict(rng=True), TypeError, "rng"),
    ]
    for options, error, name in bad:
        with pytest.raises(error, match=name):
            BayesianGaussianMixtureCAVI(3, **options).fit(X)
    _, model = fitted("full", "dirichlet_process")
    with pytest.raises(ValueError, match="n_samples"):
        model.sample(0)
    with pytest.raises(TypeError, match="n_samples"):
        model.sample(2.0)
    with pytest.raises(TypeError, match="rng"):
        model.sample(2, rng="seed")
    for method in (model.score_samples, model.score, model.predict_proba):
        with pytest.raises(ValueError, match="features"):
            method(np.zeros((3, 5)))
        with pytest.raises(ValueError, match="X"):
            method(np.array([[np.nan, 0.0]]))
    far = np.array([[0.0, 0.0], [1e160, 0.0]])
    for method in (model.predict_proba, model.predict):  # argmax's label 0 was arbitrary there
        with pytest.raises(ValueError, match="X has a point so far from every component .* at index 1"):
            method(far)
    assert model.score_samples(far)[1] == -np.inf  # the float value of log p, as EM's (was an error)


@pytest.mark.parametrize("seed, error", [
    *((seed, ValueError) for seed in (-1, np.int64(-3), [-1])),
    *((seed, TypeError) for seed in (True, np.bool_(False), 1.5, "3")),
])
def test_a_bad_seed_gives_the_error_it_gives_in_em(seed, error):
    """A negative seed is a wrong value (ValueError), a bool, float or string a wrong
    type (TypeError), in fit (as rng or random_state) and in sample, as in
    GaussianMixtureEM, the message naming the argument."""
    X = three_clusters(np.random.default_rng(0))
    for name in ("rng", "random_state"):
        with pytest.raises(error, match=f"^{name} must be a numpy.random.Generator, an integer seed"):
            BayesianGaussianMixtureCAVI(3, max_iter=2, **{name: seed}).fit(X)
    _, model = fitted("full", "dirichlet_process")
    with pytest.raises(error, match="^rng must be a numpy.random.Generator, an integer seed"):
        model.sample(2, rng=seed)


@pytest.mark.parametrize("dimension", [1, 2, 3, 5])
def test_multivariate_gammaln_and_digamma_match_scipy_and_their_definition(dimension):
    # log Γ_D(a) against scipy.special.multigammaln (the constant D(D − 1)/4 log π
    # cancels in the Wishart KL, so only this pins it); ψ_D(a) = d/da log Γ_D(a)
    # against a central difference of scipy's function
    a = np.array([dimension / 2 + 0.1, 3.7, 12.0])
    expected = [scipy.special.multigammaln(value, dimension) for value in a]
    np.testing.assert_allclose(bm.multivariate_gammaln(a, dimension), expected, rtol=1e-13)
    h = 1e-5
    slope = [(scipy.special.multigammaln(value + h, dimension) - scipy.special.multigammaln(value - h, dimension)) / (2 * h)
             for value in a]
    np.testing.assert_allclose(bm.multivariate_digamma(a, dimension), slope, rtol=1e-7)

