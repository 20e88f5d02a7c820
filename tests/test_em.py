"""EM for Gaussian mixtures: the ELBO identities, the M-step as an argmax, exactness,
degenerate data, and equality with scikit-learn."""

import itertools
import tracemalloc
import warnings
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse
import scipy.special
import scipy.stats

from vi_ref import autodiff as ad
from vi_ref.em import ConvergenceWarning, GaussianMixtureEM, NotFittedError, e_step, m_step
from vi_ref.models import GaussianMixture
from vi_ref.models.gaussian_mixture import COVARIANCE_TYPES
from vi_ref.validation import as_generator

LOG_2PI = np.log(2 * np.pi)
CENTRES = np.array([[0.0, 0.0, 0.0], [4.0, 0.0, 1.0], [0.0, 5.0, -2.0]])


def three_clusters(n=300, seed=0, offset=0.0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(3, size=n)
    return offset + CENTRES[labels] + rng.standard_normal((n, 3)) @ np.diag([1.0, 0.5, 1.5]), labels


def identity_precisions(covariance_type, n_components, n_features):
    return {
        "full": np.tile(np.eye(n_features), (n_components, 1, 1)),
        "tied": np.eye(n_features),
        "diag": np.ones((n_components, n_features)),
        "spherical": np.ones(n_components),
    }[covariance_type]


def fit(X, n_components, **options):
    """Fit, and check on the run what EM guarantees (derivation 04, section 4), to
    round-off of 1e-12 relative:

    - after each M-step, the E-step raises the ELBO to the log-likelihood (KL ≥ 0);
    - each M-step changes the ELBO by at least (λ/2N) Σₖ Nₖ [tr(Σ'ₖ⁻¹) − tr(Σₖ⁻¹)],
      λ = reg_covar. With λ = 0 that is: the ELBO, and the log-likelihood, never
      decrease. With λ > 0 they can decrease, by at most the penalty's decrease.

    The M-step bound needs θ before and after each step: a run with one start is
    replayed with the public steps (``assert_replay_keeps_the_guarantee``), a run with
    several starts gets it from ``elbo_history_`` when λ = 0. Also: nothing is NaN
    and the bound ends tight at the fitted model."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator = GaussianMixtureEM(n_components, **options).fit(X)
    history = estimator.elbo_history_
    assert np.all(np.isfinite(history))
    assert len(history) == 2 * estimator.n_iter_ + 1
    after_e_steps, after_m_steps = history[2::2], history[1::2]
    assert np.all(after_e_steps - after_m_steps >= -1e-12 * np.abs(after_e_steps))
    if options.get("n_init", 1) == 1:
        assert_replay_keeps_the_guarantee(X, n_components, estimator, **options)
    elif options.get("reg_covar", 1e-6) == 0:
        assert np.all(np.diff(history) >= -1e-12 * np.abs(history[1:])), np.diff(history).min()
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        assert np.all(np.isfinite(getattr(estimator, name))), name
    np.testing.assert_allclose(estimator.lower_bound_, estimator.score(X), rtol=1e-12)
    np.testing.assert_allclose(history[-1], estimator.lower_bound_, rtol=1e-12)
    return estimator


def trace_of_precisions(model):
    """tr(Σₖ⁻¹) = ‖Pₖ‖²_F for each component, from the precision Cholesky factors."""
    factor = model.precisions_cholesky
    if model.covariance_type == "full":
        return np.sum(factor**2, axis=(1, 2))
    if model.covariance_type == "tied":
        return np.full(model.n_components, np.sum(factor**2))
    if model.covariance_type == "diag":
        return np.sum(factor**2, axis=1)
    return model.n_features * factor**2


def elbo_at(model, X, responsibilities):
    """ELBO(θ, q) = (1/N) Σₙ Σₖ qₙₖ [log p(xₙ, k | θ) − log qₙₖ] over the qₙₖ > 0."""
    positive = responsibilities > 0
    log_ratio = model.log_joint_components(X)[positive] - np.log(responsibilities[positive])
    return np.sum(responsibilities[positive] * log_ratio) / len(X)


def penalty_change(X, responsibilities, old, new, reg_covar):
    """(λ/2N) Σₖ Nₖ [tr(Σ'ₖ⁻¹) − tr(Σₖ⁻¹)]: the M-step maximises the ELBO minus
    (λ/2N) Σₖ Nₖ tr(Σₖ⁻¹) (test_regularised_m_step_maximises_the_penalised_objective),
    so from θ to θ' with q fixed the ELBO changes by at least this (when it is
    negative, the ELBO may fall by that much)."""
    counts = responsibilities.sum(axis=0)
    return 0.5 * reg_covar * counts @ (trace_of_precisions(new) - trace_of_precisions(old)) / len(X)


def assert_replay_keeps_the_guarantee(X, n_components, estimator, **options):
    """Replays a one-start fit with the public e_step and m_step: each value equals
    ``elbo_history_``, and each M-step keeps the bound of ``penalty_change``."""
    assert not isinstance(options.get("rng"), np.random.Generator), "a replay needs a seed"
    reg_covar = options.get("reg_covar", 1e-6)
    covariance_type = options.get("covariance_type", "full")
    model = GaussianMixtureEM(n_components, **{**options, "max_iter": 0}).fit(X).model_
    history = estimator.elbo_history_
    for step in range(estimator.n_iter_):
        responsibilities, elbo = e_step(model, X)
        assert abs(elbo - history[2 * step]) <= 1e-12 * abs(elbo)
        new = m_step(X, responsibilities, covariance_type, reg_covar, previous=model)
        bound = elbo_at(new, X, responsibilities)
        assert abs(bound - history[2 * step + 1]) <= 1e-12 * abs(bound)
        allowed = penalty_change(X, responsibilities, model, new, reg_covar)
        assert bound - elbo >= allowed - 1e-12 * abs(elbo), (step, bound - elbo, allowed)
        model = new
    np.testing.assert_allclose(model.means, estimator.means_, rtol=1e-12, atol=1e-14)


def full_covariances(model):
    K, D = model.n_components, model.n_features
    covariances = model.covariances
    if model.covariance_type == "full":
        return covariances
    if model.covariance_type == "tied":
        return np.repeat(covariances[None], K, axis=0)
    variances = covariances if model.covariance_type == "diag" else np.outer(covariances, np.ones(D))
    return np.stack([np.diag(v) for v in variances])


def scipy_log_joint(model, X):
    covariances = full_covariances(model)
    with np.errstate(divide="ignore"):
        return np.stack(
            [np.log(weight) + scipy.stats.multivariate_normal(mean, covariance).logpdf(X)
             for weight, mean, covariance in zip(model.weights, model.means, covariances)],
            axis=1,
        )


# ----- the two steps and the ELBO --------------------------------------------------


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_e_step_gives_posterior_and_a_tight_bound(covariance_type):
    X, _ = three_clusters()
    start = fit(X, 3, covariance_type=covariance_type, max_iter=2, rng=0).model_
    responsibilities, elbo = e_step(start, X)
    log_joint = scipy_log_joint(start, X)
    log_evidence = scipy.special.logsumexp(log_joint, axis=1)
    posterior = np.exp(log_joint - log_evidence[:, None])
    np.testing.assert_allclose(responsibilities, posterior, rtol=1e-10, atol=1e-300)
    assert abs(elbo - log_evidence.mean()) <= 1e-12 * abs(log_evidence.mean())


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_elbo_history_is_tight_then_raised(covariance_type):
    """Replays the fit with the public steps: E-step values are log-likelihoods
    (by scipy), M-step values are ELBO(θ_new, q_old) (by scipy), and they alternate."""
    X, _ = three_clusters(seed=1)
    options = dict(
        covariance_type=covariance_type, tol=0.0, max_iter=5, reg_covar=0.0,
        weights_init=np.full(3, 1 / 3), means_init=X[:3],
        precisions_init=identity_precisions(covariance_type, 3, 3),
    )
    estimator = fit(X, 3, **options)
    model = GaussianMixture.from_precisions(
        options["weights_init"], options["means_init"], options["precisions_init"],
        covariance_type=covariance_type,
    )
    for step in range(5):
        log_evidence = scipy.special.logsumexp(scipy_log_joint(model, X), axis=1)
        responsibilities, elbo = e_step(model, X)
        assert abs(estimator.elbo_history_[2 * step] - log_evidence.mean()) <= 1e-12 * abs(elbo)
        model = m_step(X, responsibilities, covariance_type, 0.0, previous=model)
        positive = responsibilities > 0
        bound = np.sum(
            responsibilities[positive]
            * (scipy_log_joint(model, X)[positive] - np.log(responsibilities[positive]))
        ) / len(X)
        assert abs(estimator.elbo_history_[2 * step + 1] - bound) <= 1e-12 * abs(bound)
        assert bound >= elbo - 1e-12 * abs(elbo)  # the M-step raised the bound
    np.testing.assert_allclose(estimator.means_, model.means, rtol=1e-13)


def expected_complete_log_likelihood(covariance_type, reg_covar=0.0):
    """E_q[log p(X, Z | θ)] = Σₙ Σₖ rₙₖ [log πₖ + log N(xₙ | μₖ, Σₖ)] written with
    vi_ref.autodiff, with unconstrained weights (π = softmax(logits)) and the precision
    Cholesky factor P (Σ⁻¹ = P Pᵀ) as the covariance parameter: an independent
    formula for the M-step's objective."""

    def objective(logits, means, factor, X, responsibilities):
        centred = X[None, :, :] - means[:, None, :]  # (K, N, D)
        if covariance_type in ("full", "tied"):
            projected = centred @ factor
            log_det = ad.sum(ad.log(ad.diagonal(factor, axis1=-2, axis2=-1)), axis=-1)
        elif covariance_type == "diag":
            projected = centred * factor[:, None, :]
            log_det = ad.sum(ad.log(factor), axis=-1)
        else:
            projected = centred * factor[:, None, None]
            log_det = X.shape[1] * ad.log(factor)
        # log det P = −½ log det Σ; (K, 1) per component, (1, 1) when tied
        log_density = (
            ad.reshape(log_det, (-1, 1))
            - 0.5 * X.shape[1] * LOG_2PI
            - 0.5 * ad.sum(projected * projected, axis=-1)
        )
        log_weights = ad.reshape(ad.log_softmax(logits), (-1, 1))
        expected = ad.sum(responsibilities.T * (log_weights + log_density))
        # the penalty (λ/2) Σₖ Nₖ tr(Σₖ⁻¹) with tr(Σₖ⁻¹) = ‖Pₖ‖²_F (tied: one P for all)
        counts = responsibilities.sum(axis=0)
        squares = factor * factor
        if covariance_type == "spherical":
            traces = X.shape[1] * squares
        elif covariance_type == "tied":
            traces = ad.sum(squares) * np.ones(len(counts))
        else:
            traces = ad.sum(ad.reshape(squares, (len(counts), -1)), axis=1)
        return expected - 0.5 * reg_covar * ad.sum(counts * traces)

    return objective


def stationarity(covariance_type, model, X, responsibilities, reg_covar=0.0):
    """Largest |∂ (E_q[log p] − penalty) / ∂ parameter| over the free parameters."""
    objective = expected_complete_log_likelihood(covariance_type, reg_covar)
    gradient = ad.grad(objective, argnums=(0, 1, 2))
    logits = np.log(model.weights)
    factor = model.precisions_cholesky
    g_logits, g_means, g_factor = gradient(logits, model.means, factor, X, responsibilities)
    if covariance_type in ("full", "tied"):
        g_factor = np.triu(g_factor)  # P is upper triangular: only those entries are free
    return max(np.abs(g_logits).max(), np.abs(g_means).max(), np.abs(g_factor).max())


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_m_step_is_a_stationary_point_of_the_expected_complete_log_likelihood(covariance_type):
    X, _ = three_clusters(n=120, seed=2)
    rng = np.random.default_rng(3)
    responsibilities = rng.dirichlet(np.ones(3), size=len(X))
    model = m_step(X, responsibilities, covariance_type, reg_covar=0.0)
    assert stationarity(covariance_type, model, X, responsibilities) <= 1e-11 * len(X)
    # and a maximum (the objective is concave in the natural parameters, derivation 04):
    # random nearby parameters give less, by a second-order amount far above round-off
    objective = expected_complete_log_likelihood(covariance_type)
    parameters = [np.log(model.weights), model.means, model.precisions_cholesky]
    best = objective(*parameters, X, responsibilities)
    for _ in range(10):
        nearby = [value + 1e-3 * rng.standard_normal(value.shape) for value in parameters]
        if covariance_type in ("full", "tied"):
            nearby[2] = np.triu(nearby[2])
        assert objective(*nearby, X, responsibilities) < best
    # the check can fail: a regularised M-step is not the argmax
    perturbed = m_step(X, responsibilities, covariance_type, reg_covar=1e-2)
    assert stationarity(covariance_type, perturbed, X, responsibilities) >= 1e-3


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_regularised_m_step_maximises_the_penalised_objective(covariance_type):
    """reg_covar = λ: the M-step is the stationary point of
    E_q[log p(X, Z | θ)] − (λ/2) Σₖ Nₖ tr(Σₖ⁻¹) (derivation 04)."""
    X, _ = three_clusters(n=120, seed=2)
    responsibilities = np.random.default_rng(3).dirichlet(np.ones(3), size=len(X))
    model = m_step(X, responsibilities, covariance_type, reg_covar=0.3)
    assert stationarity(covariance_type, model, X, responsibilities, reg_covar=0.3) <= 1e-11 * len(X)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_regularised_em_changes_the_elbo_by_at_least_the_penalty_change(covariance_type):
    """(``fit`` checks the bound at every step of every run; here λ is large.)"""
    X, _ = three_clusters(n=150, seed=20)
    options = dict(covariance_type=covariance_type, reg_covar=0.5, tol=0.0, max_iter=15, rng=1)
    fit(X, 3, **options)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_regularised_m_step_can_lower_the_log_likelihood_within_the_penalty_bound(covariance_type):
    """Why the tests cannot ask a regularised run never to decrease: one component
    started at its maximum-likelihood estimate (reg_covar = 0), the E-step gives q ≡ 1,
    and any reg_covar > 0 moves Σ away from the unique maximiser, so the log-likelihood
    falls — by no more than the penalty (λ/2N) Σₖ Nₖ tr(Σₖ⁻¹) decreases."""
    X, _ = three_clusters(n=100, seed=21)
    ones = np.ones((len(X), 1))
    mle = m_step(X, ones, covariance_type, reg_covar=0.0)
    _, before = e_step(mle, X)
    for reg_covar in (1e-3, 0.1):  # the fall is O(λ²): far above round-off for these λ
        regularised = m_step(X, ones, covariance_type, reg_covar, previous=mle)
        _, after = e_step(regularised, X)
        assert after < before
        allowed = penalty_change(X, ones, mle, regularised, reg_covar)
        assert after - before >= allowed - 1e-12 * abs(before)


# ----- exactness ----------------------------------------------------------------------


def exact_covariance(X):
    """(1/N) Σₙ (xₙ − x̄)(xₙ − x̄)ᵀ of the stored numbers in rational arithmetic, rounded once."""
    rows = [[Fraction(value) for value in row] for row in X.tolist()]
    mean = [sum(column) / len(rows) for column in zip(*rows)]
    centred = [[value - m for value, m in zip(row, mean)] for row in rows]
    size = range(len(mean))
    return np.array([[float(sum(row[i] * row[j] for row in centred) / len(rows)) for j in size] for i in size])


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_one_component_variances_exact_far_from_the_origin(covariance_type):
    X, _ = three_clusters(n=200, seed=4, offset=1e7)
    covariance = exact_covariance(X)
    estimator = fit(X, 1, covariance_type=covariance_type, reg_covar=0.0, max_iter=3, rng=0)
    found = estimator.covariances_
    if covariance_type in ("full", "tied"):
        np.testing.assert_allclose(np.diagonal(found.reshape(3, 3)), np.diagonal(covariance), rtol=1e-9)
        # the covariances off the diagonal, relative to the variances
        atol = 1e-9 * np.diagonal(covariance).min()
        np.testing.assert_allclose(found.reshape(3, 3), covariance, rtol=0, atol=atol)
    elif covariance_type == "diag":
        np.testing.assert_allclose(found[0], np.diagonal(covariance), rtol=1e-9)
    else:
        np.testing.assert_allclose(found[0], np.trace(covariance) / 3, rtol=1e-9)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("constant", [1e100, 1e14 + 0.1, 0.1, -3e-300])
def test_a_constant_feature_has_variance_reg_covar_exactly(covariance_type, constant):
    # the means were Σ r x / N, off in the last digit of x (0.1 + 0.1 + 0.1 ≠ 0.3),
    # which the centred scatter read as spread: (1e100 ulp)² gave a variance of 4e168
    rng = np.random.default_rng(3)
    X = np.column_stack([rng.standard_normal(40), np.full(40, constant)])
    estimator = fit(X, 2, covariance_type=covariance_type, rng=0)
    np.testing.assert_array_equal(estimator.means_[:, 1], constant)
    if covariance_type in ("full", "tied"):
        variances = estimator.covariances_.reshape(-1, 2, 2)[:, 1]
        np.testing.assert_array_equal(variances, np.broadcast_to([0.0, 1e-6], variances.shape))
    elif covariance_type == "diag":
        np.testing.assert_array_equal(estimator.covariances_[:, 1], 1e-6)
    else:  # the mean over features of the diag variances: half of feature 0's, plus reg_covar
        responsibilities = rng.dirichlet(np.ones(2), size=40)
        both = m_step(X, responsibilities, "spherical").covariances
        first = m_step(X[:, :1], responsibilities, "spherical").covariances
        np.testing.assert_allclose(both, (first - 1e-6) / 2 + 1e-6, rtol=1e-14)
    with pytest.raises(ValueError, match="increase reg_covar"):  # exactly singular, so refused
        fit(np.full((3, 1), constant), 1, covariance_type=covariance_type, reg_covar=0.0, rng=0)


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_working_memory_has_no_array_of_size_n_k_d(covariance_type):
    """Working memory O(N·K + K·D²), by chunks of rows: the peak of a fit is below a
    quarter of one (N, K, D) array."""
    X = np.random.default_rng(24).standard_normal((20_000, 64))
    estimator = GaussianMixtureEM(4, covariance_type=covariance_type, init_params="random", tol=0.0,
                                  max_iter=2, rng=0)
    tracemalloc.start()
    try:
        with pytest.warns(ConvergenceWarning):
            estimator.fit(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < X.size * 4 * 8 / 4, peak


# ----- scikit-learn ------------------------------------------------------------------


@pytest.mark.peer
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_equals_sklearn_after_40_iterations_from_the_same_start(covariance_type):
    mixture = pytest.importorskip("sklearn.mixture")
    X, _ = three_clusters(n=400, seed=5)
    start = dict(
        weights_init=np.array([0.2, 0.3, 0.5]), means_init=X[[0, 1, 2]],
        precisions_init=identity_precisions(covariance_type, 3, 3),
    )
    ours = fit(X, 3, covariance_type=covariance_type, tol=0.0, max_iter=40, **start)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = mixture.GaussianMixture(
            3, covariance_type=covariance_type, tol=0.0, max_iter=40, **start
        ).fit(X)
    assert ours.n_iter_ == theirs.n_iter_ == 40
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        # entry by entry (measured: at most 3e-12)
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-8, err_msg=name)
    # scikit-learn's lower bound is the log-likelihood of the last E-step before the
    # last M-step: ours after the 40th E-step; and (from 1.6) all the E-steps'
    np.testing.assert_allclose(ours.elbo_history_[-3], theirs.lower_bound_, rtol=1e-8)
    if hasattr(theirs, "lower_bounds_"):
        np.testing.assert_allclose(ours.elbo_history_[0:-1:2], theirs.lower_bounds_, rtol=1e-8)
    X_test, _ = three_clusters(n=50, seed=6)
    assert abs(ours.score(X_test) - theirs.score(X_test)) <= 1e-8 * abs(theirs.score(X_test))
    np.testing.assert_allclose(ours.score_samples(X_test), theirs.score_samples(X_test), rtol=1e-8)
    np.testing.assert_allclose(ours.predict_proba(X_test), theirs.predict_proba(X_test), atol=1e-8)
    np.testing.assert_array_equal(ours.predict(X_test), theirs.predict(X_test))
    np.testing.assert_allclose(ours.bic(X_test), theirs.bic(X_test), rtol=1e-8)
    np.testing.assert_allclose(ours.aic(X_test), theirs.aic(X_test), rtol=1e-8)


@pytest.mark.peer
def test_sklearn_convergence_rule_gives_the_same_iteration_count():
    mixture = pytest.importorskip("sklearn.mixture")
    X, _ = three_clusters(n=300, seed=7)
    start = dict(weights_init=np.full(3, 1 / 3), means_init=X[[3, 4, 5]],
                 precisions_init=identity_precisions("full", 3, 3))
    ours = fit(X, 3, tol=1e-4, **start)
    theirs = mixture.GaussianMixture(3, tol=1e-4, **start).fit(X)
    assert ours.converged_ and theirs.converged_
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=1e-8)


# ----- the estimator --------------------------------------------------------------------


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_kmeans_plus_plus_start_finds_well_separated_clusters(covariance_type):
    X, labels = three_clusters(n=300, seed=8)
    predicted = fit(X, 3, covariance_type=covariance_type, rng=1).predict(X)
    # the same partition up to renaming the components
    renamings = itertools.permutations(range(3))
    agreement = max(np.mean(predicted == np.array(order)[labels]) for order in renamings)
    assert agreement >= 0.95


@pytest.mark.parametrize("init_params", ["random", "random_from_data"])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_random_starts(init_params, covariance_type):
    X, _ = three_clusters(n=200, seed=8)
    estimator = fit(X, 3, covariance_type=covariance_type, init_params=init_params, rng=1)
    assert estimator.converged_


def test_random_from_data_starts_at_distinct_data_points_with_the_pooled_covariance():
    X = np.repeat(three_clusters(n=40, seed=22)[0], 25, axis=0)  # every row 25 times
    start = fit(X, 3, init_params="random_from_data", max_iter=0, rng=2)
    rows = [np.flatnonzero((X == mean).all(axis=1)) for mean in start.means_]
    assert all(len(found) == 25 for found in rows)  # each mean is a data point ...
    assert len({tuple(mean) for mean in start.means_}) == 3  # ... and they differ
    np.testing.assert_array_equal(start.weights_, np.full(3, 1 / 3))
    pooled = np.cov(X, rowvar=False, bias=True) + 1e-6 * np.eye(3)
    np.testing.assert_allclose(start.covariances_, np.broadcast_to(pooled, (3, 3, 3)), rtol=1e-12)


@pytest.mark.parametrize("init_params", ["random", "kmeans", "kmeans++"])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_starts_from_responsibilities_keep_the_mean_and_covariance_of_the_data(init_params, covariance_type):
    """A start made by an M-step (reg_covar = 0) from any q whose rows sum to 1 has
    mixture mean Σₖ πₖ μₖ = x̄ and total covariance Σₖ πₖ [Σₖ + (μₖ − x̄)(μₖ − x̄)ᵀ] = S,
    the data's (1/N) covariance (tied: Σ + Σₖ πₖ (μₖ − x̄)(μₖ − x̄)ᵀ; diag: the
    diagonals; spherical: the traces / D), since Σₖ Nₖ = N and Σₖ rₙₖ = 1 for every n.
    Responsibilities normalised over the points instead leave both off by the spread
    of the μₖ, O(1/√N) of the data's scale. Tolerance: sums of N terms, N·eps relative."""
    X, _ = three_clusters(n=300, seed=31, offset=2.0)
    start = GaussianMixtureEM(3, covariance_type=covariance_type, init_params=init_params,
                              reg_covar=0.0, max_iter=0, rng=5).fit(X).model_
    n, D = X.shape
    eps = np.finfo(float).eps
    mean = X.mean(axis=0)
    scale = np.abs(X).max()
    np.testing.assert_allclose(start.weights @ start.means, mean, rtol=0, atol=4 * n * eps * scale)
    offsets = start.means - mean
    between = np.einsum("k,ki,kj->ij", start.weights, offsets, offsets)
    within = np.einsum("k,kij->ij", start.weights, full_covariances(start))
    total = np.cov(X, rowvar=False, bias=True)
    found, expected = within + between, total
    if covariance_type in ("diag", "spherical"):
        found, expected = np.diagonal(found), np.diagonal(expected)
        if covariance_type == "spherical":
            found, expected = found.sum(), expected.sum()
    np.testing.assert_allclose(found, expected, rtol=0, atol=4 * n * eps * np.trace(total))


def test_kmeans_plus_plus_starts_from_a_lloyd_fixed_point():
    """Well-separated clusters: the few Lloyd steps converge, so every point is in
    the cluster of its nearest centre and each centre is its cluster's mean."""
    X, _ = three_clusters(n=300, seed=23)
    start = fit(X, 3, init_params="kmeans++", max_iter=0, rng=3)
    labels = np.argmin(((X[:, None, :] - start.means_) ** 2).sum(axis=-1), axis=1)
    np.testing.assert_allclose(start.weights_, np.bincount(labels, minlength=3) / len(X), rtol=1e-14)
    np.testing.assert_allclose(start.means_, [X[labels == k].mean(axis=0) for k in range(3)], rtol=1e-12)


def test_fitted_estimator_is_consistent_with_its_model():
    X, _ = three_clusters(seed=9)
    estimator = fit(X, 3, rng=2)
    model = estimator.model_
    assert isinstance(model, GaussianMixture)
    np.testing.assert_array_equal(estimator.weights_, model.weights)
    np.testing.assert_array_equal(estimator.precisions_cholesky_, model.precisions_cholesky)
    proba = estimator.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_array_equal(estimator.predict(X), np.argmax(proba, axis=1))
    np.testing.assert_allclose(estimator.score_samples(X), model.log_marginal(X), rtol=1e-15)
    assert estimator.converged_ and estimator.n_iter_ < 100
    x, z = estimator.sample(7, rng=0)
    assert x.shape == (7, 3) and z.shape == (7,)
    n_parameters = 2 + 3 * 3 + 3 * 6  # weights, means, full covariances
    log_likelihood = estimator.score(X) * len(X)
    np.testing.assert_allclose(estimator.bic(X), -2 * log_likelihood + n_parameters * np.log(len(X)))
    np.testing.assert_allclose(estimator.aic(X), -2 * log_likelihood + 2 * n_parameters)


# free parameters for K = 3 components in D = 3 dimensions, counted by hand: 2 weights
# (they sum to 1), 9 means, and the covariances: full 3 × 6 (symmetric 3 × 3), tied 6,
# diag 3 × 3 variances, spherical 3 variances
FREE_PARAMETERS = {"full": 2 + 9 + 18, "tied": 2 + 9 + 6, "diag": 2 + 9 + 9, "spherical": 2 + 9 + 3}


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_bic_and_aic_count_the_free_parameters_of_each_covariance_type(covariance_type):
    """BIC = −2 log p(X) + p log N and AIC = −2 log p(X) + 2p, log p(X) by scipy.stats
    and p from FREE_PARAMETERS, on data other than the training set."""
    X, _ = three_clusters(n=200, seed=9)
    X_test, _ = three_clusters(n=50, seed=10)
    estimator = fit(X, 3, covariance_type=covariance_type, rng=2)
    log_likelihood = scipy.special.logsumexp(scipy_log_joint(estimator.model_, X_test), axis=1).sum()
    n_parameters = FREE_PARAMETERS[covariance_type]
    np.testing.assert_allclose(estimator.bic(X_test), -2 * log_likelihood + n_parameters * np.log(50), rtol=1e-12)
    np.testing.assert_allclose(estimator.aic(X_test), -2 * log_likelihood + 2 * n_parameters, rtol=1e-12)


def test_same_seed_gives_bit_identical_fits():
    X, _ = three_clusters(seed=10)
    first = fit(X, 3, n_init=2, init_params="random", rng=5)
    second = fit(X, 3, n_init=2, init_params="random", rng=np.random.default_rng(5))
    np.testing.assert_array_equal(first.means_, second.means_)
    np.testing.assert_array_equal(first.elbo_history_, second.elbo_history_)


@pytest.mark.filterwarnings("ignore::vi_ref.em.ConvergenceWarning")
def test_a_generator_is_advanced_by_each_fit_and_an_int_seed_is_not():
    """As the rng argument says: a Generator is used as it is, so a second fit given
    the same object starts elsewhere (and the object has moved on), while an int seed
    repeats the fit; a fit from a fresh Generator of that seed equals the first."""
    X, _ = three_clusters(seed=10)

    def means(rng):
        return GaussianMixtureEM(3, init_params="random", max_iter=1, tol=0.0, rng=rng).fit(X).means_

    shared = np.random.default_rng(5)
    first, second = means(shared), means(shared)
    assert not np.array_equal(first, second)
    seeded = [means(5) for _ in range(2)]
    np.testing.assert_array_equal(seeded[0], seeded[1])
    np.testing.assert_array_equal(seeded[0], first)


def test_more_starts_never_give_a_lower_bound():
    X, _ = three_clusters(n=200, seed=11)
    one = fit(X, 4, n_init=1, init_params="random", rng=3)
    several = fit(X, 4, n_init=4, init_params="random", rng=3)  # its first start is the same
    assert several.lower_bound_ >= one.lower_bound_


def test_user_start_is_used_exactly():
    X, _ = three_clusters(seed=12)
    weights, means = np.array([0.1, 0.3, 0.6]), X[[7, 8, 9]]
    precisions = np.stack([np.eye(3), 2 * np.eye(3), [[2.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 3.0]]])
    estimator = fit(X, 3, max_iter=0, weights_init=weights, means_init=means, precisions_init=precisions)
    assert estimator.n_iter_ == 0 and not estimator.converged_
    np.testing.assert_array_equal(estimator.weights_, weights)
    np.testing.assert_array_equal(estimator.means_, means)
    factor = estimator.precisions_cholesky_
    np.testing.assert_allclose(factor @ np.swapaxes(factor, 1, 2), precisions, rtol=1e-14)
    # one of the three given: it overrides what init_params made
    only_means = fit(X, 3, max_iter=0, means_init=means, rng=0)
    np.testing.assert_array_equal(only_means.means_, means)
    only_weights = fit(X, 3, max_iter=0, weights_init=weights, rng=0)
    np.testing.assert_array_equal(only_weights.weights_, weights)
    only_precisions = fit(X, 3, max_iter=0, precisions_init=precisions, rng=0)
    factor = only_precisions.precisions_cholesky_
    np.testing.assert_allclose(factor @ np.swapaxes(factor, 1, 2), precisions, rtol=1e-14)


def test_max_iter_0_keeps_the_start_without_a_convergence_warning():
    """No iteration was asked for, so none failed to converge (scikit-learn warns only
    when max_iter > 0 iterations ran out)."""
    X, _ = three_clusters(n=60, seed=12)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        estimator = GaussianMixtureEM(3, max_iter=0, rng=0).fit(X)
    assert estimator.n_iter_ == 0 and not estimator.converged_


def test_convergence_warning_when_max_iter_ends_the_run():
    X, _ = three_clusters(seed=13)
    with pytest.warns(ConvergenceWarning, match="max_iter = 2"):
        estimator = GaussianMixtureEM(3, max_iter=2, tol=0.0, rng=0).fit(X)
    assert not estimator.converged_ and estimator.n_iter_ == 2


def test_lower_bound_is_the_final_log_likelihood():
    X, _ = three_clusters(seed=14)
    estimator = fit(X, 3, rng=0)
    log_evidence = scipy.special.logsumexp(scipy_log_joint(estimator.model_, X), axis=1)
    assert abs(estimator.lower_bound_ - log_evidence.mean()) <= 1e-12 * abs(log_evidence.mean())


# ----- degenerate data: no NaN ------------------------------------------------------------


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_duplicate_points(covariance_type):
    rng = np.random.default_rng(15)
    X = np.repeat(rng.standard_normal((5, 2)), 40, axis=0)
    # within-cluster variances are reg_covar itself: the penalty bound is what holds
    fit(X, 3, covariance_type=covariance_type, rng=0)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_zero_variance_column(covariance_type):
    X, _ = three_clusters(seed=16)
    X[:, 1] = 2.5
    estimator = fit(X, 3, covariance_type=covariance_type, rng=0)
    np.testing.assert_allclose(estimator.means_[:, 1], 2.5, rtol=1e-15)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_far_outliers(covariance_type):
    X, _ = three_clusters(seed=17)
    X[:3] = [[1e10, 0.0, 0.0], [0.0, -1e10, 0.0], [0.0, 0.0, 1e10]]
    estimator = fit(X, 3, covariance_type=covariance_type, rng=0)
    assert np.all(np.isfinite(estimator.score_samples(X)))


@pytest.mark.parametrize("scale, reg_covar", [(1e-8, 1e-6), (1e-100, 0.0)])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_tiny_scales(covariance_type, scale, reg_covar):
    X, labels = three_clusters(seed=18)
    estimator = fit(scale * X, 3, covariance_type=covariance_type, reg_covar=reg_covar, rng=0)
    if reg_covar == 0.0:  # scale-free: the clusters are found as at scale 1
        assert len(np.unique(estimator.predict(scale * X))) == 3


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_component_losing_all_its_points_keeps_its_parameters(covariance_type):
    X, _ = three_clusters(seed=19)
    means = np.vstack([X[:2], [[1e4, 1e4, 1e4]]])  # the third is too far to get any point
    precisions = identity_precisions(covariance_type, 3, 3)
    estimator = fit(X, 3, covariance_type=covariance_type, max_iter=20, weights_init=np.full(3, 1 / 3),
                    means_init=means, precisions_init=precisions)
    assert estimator.weights_[2] == 0.0
    np.testing.assert_array_equal(estimator.means_[2], means[2])
    if covariance_type != "tied":
        start = GaussianMixture.from_precisions(np.full(3, 1 / 3), means, precisions,
                                                covariance_type=covariance_type)
        np.testing.assert_array_equal(estimator.covariances_[2], start.covariances[2])
    assert np.all(estimator.predict_proba(X)[:, 2] == 0.0)


def test_m_step_refuses_an_empty_component_without_previous():
    X, _ = three_clusters(n=10)
    responsibilities = np.zeros((10, 2))
    responsibilities[:, 0] = 1.0
    with pytest.raises(ValueError, match="component 1 .* pass previous="):
        m_step(X, responsibilities)


def test_m_step_component_of_exactly_the_empty_count_is_live():
    # "less than EMPTY_COMPONENT_COUNT" (the smallest normal float) is empty; exactly it
    # is not: the one point it holds is its mean (closed form), its variance reg_covar
    tiny = np.finfo(float).tiny
    X = np.array([[3.0, -2.0], [0.0, 1.0], [-1.0, 5.0], [2.0, 2.0]])
    responsibilities = np.array([[1.0, tiny], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    model = m_step(X, responsibilities, "diag", reg_covar=1e-6)
    np.testing.assert_allclose(model.means, [[1.0, 1.5], X[0]], rtol=1e-15)
    np.testing.assert_allclose(model.covariances[1], [1e-6, 1e-6], rtol=1e-12)
    with pytest.raises(ValueError, match="component 1 .* pass previous="):
        m_step(X, responsibilities * [1.0, 0.5], "diag", reg_covar=1e-6)


def test_data_whose_covariance_overflows_are_refused_as_such():
    # the error said "a component has collapsed ... increase reg_covar"
    X = np.random.default_rng(0).standard_normal((40, 2)) * 1e200
    with pytest.raises(ValueError, match="the covariances overflow float64 .* rescale X"), \
            np.errstate(over="ignore", invalid="ignore"):
        fit(X, 2, reg_covar=0.0, rng=0)


def test_collapsed_component_without_regularisation_is_a_clear_error():
    X, _ = three_clusters(n=10)
    responsibilities = np.zeros((10, 2))
    responsibilities[0, 1] = responsibilities[1:, 0] = 1.0  # one point alone: zero covariance
    with pytest.raises(ValueError, match="increase reg_covar"):
        m_step(X, responsibilities, "full", reg_covar=0.0)


# ----- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "X, match",
    [
        ([[0.0, np.nan], [1.0, 2.0], [3.0, 4.0]], "X must be finite"),
        ([[0.0, np.inf], [1.0, 2.0], [3.0, 4.0]], "X must be finite"),
        ([0.0, 1.0, 2.0, 3.0], "X must be 2-dimensional"),
        (np.zeros((0, 2)), "X must have at least one sample"),
        (np.zeros((5, 0)), "X must have at least one feature"),
        ([[1.0, 1.0], [2.0, 2.0]], r"at least max\(2, n_components\) = 3 samples; got n_samples = 2"),
    ],
)
def test_fit_refuses_bad_data(X, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixtureEM(3).fit(X)


def test_sparse_data_are_refused_as_such():
    """The message names sparse input and the cure (scikit-learn's check_estimator looks
    for "sparse"), at fit and after it, rather than "X must be real numbers"."""
    sparse = scipy.sparse.csr_matrix(np.eye(4))
    with pytest.raises(TypeError, match=r"sparse input is not supported \(got csr_matrix\); convert it"):
        GaussianMixtureEM(2).fit(sparse)
    estimator = fit(np.random.default_rng(0).standard_normal((20, 4)), 2, rng=0)
    with pytest.raises(TypeError, match="sparse input is not supported"):
        estimator.predict(sparse)


def test_fit_refuses_a_single_sample_even_for_one_component():
    # one point has no spread: its covariance would be reg_covar alone, not an estimate
    with pytest.raises(ValueError, match=r"at least max\(2, n_components\) = 2 samples; got n_samples = 1"):
        GaussianMixtureEM(1).fit([[1.0, 2.0]])


@pytest.mark.parametrize(
    "options, match",
    [
        ({"n_components": 0}, "n_components must be >= 1"),
        ({"covariance_type": "blocked"}, "covariance_type must be one of"),
        ({"init_params": "kmeans+"}, "init_params must be one of"),
        ({"tol": -1.0}, r"tol must be >= 0; got -1\.0"),
        ({"tol": np.nan}, "tol must be finite; got nan"),
        ({"reg_covar": -1e-6}, "reg_covar must be >= 0; got -1e-06"),
        ({"reg_covar": np.inf}, "reg_covar must be finite; got inf"),
        ({"reg_covar": np.array([1e-6])}, r"reg_covar must be 0-dimensional; got shape \(1,\)"),
        ({"max_iter": -1}, "max_iter must be >= 0"),
        ({"n_init": 0}, "n_init must be >= 1"),
        ({"n_init": 10**12}, "n_init must be <= 1000000; got 1000000000000"),
        ({"verbose_interval": 0}, "verbose_interval must be >= 1"),
        ({"verbose": -1}, "verbose must be >= 0"),
        ({"rng": 0, "random_state": 0}, "give rng or random_state"),
        ({"weights_init": [0.5, 0.5]}, r"weights_init must have shape \(3,\)"),
        ({"weights_init": [0.5, 0.5, 0.5]}, "weights_init must sum to 1"),
        ({"means_init": np.zeros((3, 3))}, r"means_init must have shape \(3, 2\)"),
        ({"precisions_init": np.ones((3, 2))}, "precisions_init must have shape"),
        ({"precisions_init": np.stack([np.eye(2), np.eye(2), -np.eye(2)])},
         "precisions_init must be positive definite"),
        ({"covariance_type": "diag", "precisions_init": -np.ones((3, 2))},
         "precisions_init must be positive"),
    ],
)
def test_fit_refuses_bad_settings(options, match):
    X = np.random.default_rng(0).standard_normal((30, 2))
    options = {"n_components": 3, **options}
    with pytest.raises(ValueError, match=match):
        GaussianMixtureEM(**options).fit(X)


@pytest.mark.parametrize(
    "options, match",
    [
        ({"n_components": True}, "n_components must be an integer; got bool"),
        ({"n_components": 2.0}, "n_components must be an integer; got float"),
        ({"max_iter": np.bool_(True)}, "max_iter must be an integer; got bool"),
        ({"n_init": "3"}, "n_init must be an integer; got str"),
        ({"tol": True}, "tol must be real numbers; got bool True"),
        ({"tol": "1e-3"}, "tol must be real numbers; got str '1e-3'"),
        ({"rng": True}, "rng must be a numpy.random.Generator, an integer seed or None; got bool"),
        ({"random_state": False}, "random_state must be a numpy.random.Generator"),
        ({"rng": np.random.RandomState(0)}, "rng must be a numpy.random.Generator"),
        ({"rng": 1.5}, "rng must be a numpy.random.Generator"),
        ({"warm_start": 1}, "warm_start must be True or False; got 1"),
        ({"verbose": 0.5}, "verbose must be an integer; got float"),
    ],
)
def test_fit_refuses_settings_of_the_wrong_type(options, match):
    X = np.random.default_rng(0).standard_normal((30, 2))
    estimator = GaussianMixtureEM(**options)  # stored unchanged: refused by fit only
    assert all(estimator.get_params()[name] is value for name, value in options.items())
    with pytest.raises(TypeError, match=match):
        estimator.fit(X)


def test_parameters_are_stored_unchanged_and_set_by_name():
    weights = [0.5, 0.5]
    estimator = GaussianMixtureEM(2, weights_init=weights, tol="not checked yet")
    params = estimator.get_params()
    assert params["weights_init"] is weights and params["tol"] == "not checked yet"
    assert set(params) == {
        "n_components", "covariance_type", "tol", "reg_covar", "max_iter", "n_init",
        "init_params", "weights_init", "means_init", "precisions_init", "rng",
        "random_state", "warm_start", "verbose", "verbose_interval",
    }
    assert estimator.get_params(deep=False) == params
    assert estimator.set_params(n_components=3, covariance_type="diag") is estimator
    assert (estimator.n_components, estimator.covariance_type) == (3, "diag")
    with pytest.raises(ValueError, match="Invalid parameter 'n_component' for estimator"):
        estimator.set_params(n_component=3)
    clone = type(estimator)(**estimator.get_params())
    assert clone.get_params() == estimator.get_params()
    assert repr(GaussianMixtureEM()) == "GaussianMixtureEM()"
    assert repr(clone) == (
        "GaussianMixtureEM(n_components=3, covariance_type='diag', tol='not checked yet',"
        " weights_init=[0.5, 0.5])"
    )


def test_convergence_is_a_change_strictly_below_tol():
    """scikit-learn's rule, |change| < tol: with one component every M-step repeats
    the first, so the change is exactly 0; tol = 0 still runs to max_iter (and warns),
    and any positive tol stops at the second iteration. (The peer test compares this
    with scikit-learn; this one holds without it installed.)"""
    X = np.random.default_rng(0).standard_normal((30, 2))
    with pytest.warns(ConvergenceWarning):
        never = GaussianMixtureEM(1, tol=0.0, max_iter=5).fit(X)
    assert (never.converged_, never.n_iter_) == (False, 5)
    at_once = GaussianMixtureEM(1, tol=1e-300, max_iter=5).fit(X)
    assert (at_once.converged_, at_once.n_iter_) == (True, 2)


def test_defaults_are_scikit_learns():
    estimator = GaussianMixtureEM()
    assert (estimator.n_components, estimator.init_params, estimator.warm_start) == (1, "kmeans", False)
    assert (estimator.verbose, estimator.verbose_interval) == (0, 10)
    X, _ = three_clusters(n=60)
    assert GaussianMixtureEM().fit(X).means_.shape == (1, 3)


def test_not_fitted_error_is_a_value_and_an_attribute_error():
    X, _ = three_clusters(n=50)
    for method in ("predict", "predict_proba", "score_samples", "score", "bic", "aic"):
        with pytest.raises(NotFittedError, match="not fitted yet; call fit"):
            getattr(GaussianMixtureEM(2), method)(X)
    with pytest.raises(NotFittedError):
        GaussianMixtureEM(2).sample(3)
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)
    assert issubclass(ConvergenceWarning, UserWarning)
    assert not any(name.endswith("_") for name in vars(GaussianMixtureEM(2)))


def test_using_an_unfitted_or_mismatched_estimator_is_refused():
    X, _ = three_clusters(n=50)
    with pytest.raises(ValueError, match="not fitted"):
        GaussianMixtureEM(2).predict(X)
    estimator = fit(X, 2, rng=0)
    with pytest.raises(ValueError, match="X has 2 features, but GaussianMixtureEM is expecting 3 features"):
        estimator.score(X[:, :2])
    with pytest.raises(ValueError, match="n_samples must be >= 1"):
        estimator.sample(0)
    far = np.concatenate([X[:2], [[1e160, 0.0, 0.0]]])
    with pytest.raises(ValueError, match="X has a point so far from every component .* at index 2"):
        estimator.predict_proba(far)  # the error named log_joint, which the caller never passed
    with pytest.raises(ValueError, match="X has a point so far from every component .* at index 2"):
        estimator.predict(far)  # argmax over all −∞ gave the arbitrary label 0
    assert estimator.score_samples(far)[2] == -np.inf


def test_steps_refuse_bad_arguments():
    X, _ = three_clusters(n=20)
    model = fit(X, 2, rng=0).model_
    with pytest.raises(TypeError, match="model must be a models.GaussianMixture"):
        e_step("not a model", X)
    with pytest.raises(ValueError, match="X has 2 features, but GaussianMixture is expecting 3 features"):
        e_step(model, X[:, :2])
    with pytest.raises(ValueError, match="responsibilities must have one row per sample"):
        m_step(X, np.full((19, 2), 0.5))
    with pytest.raises(ValueError, match="responsibilities must sum to 1"):
        m_step(X, np.full((20, 2), 0.6))
    with pytest.raises(ValueError, match="previous must have"):
        m_step(X, np.full((20, 2), 0.5), "diag", previous=model)
    with pytest.raises(ValueError, match="reg_covar must be >= 0; got -1e-06"):
        m_step(X, np.full((20, 2), 0.5), "full", reg_covar=-1e-6)


# ----- scikit-learn's interface, without scikit-learn ------------------------------------


def test_warm_start_continues_exactly_where_the_last_fit_stopped():
    X, _ = three_clusters(n=300, seed=25)
    start = dict(weights_init=np.full(3, 1 / 3), means_init=X[:3],
                 precisions_init=identity_precisions("full", 3, 3), tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cold = GaussianMixtureEM(3, max_iter=6, **start).fit(X)
        warm = GaussianMixtureEM(3, max_iter=2, warm_start=True, **start)
        bounds = np.concatenate([warm.fit(X).lower_bounds_ for _ in range(3)])
    np.testing.assert_array_equal(warm.means_, cold.means_)
    np.testing.assert_array_equal(bounds, cold.lower_bounds_)
    assert warm.n_iter_ == 2 and cold.n_iter_ == 6
    # the convergence test compares with the last E-step of the previous call
    converged = GaussianMixtureEM(3, warm_start=True, tol=1e-3, rng=0).fit(X)
    assert converged.converged_
    again = converged.fit(X)
    assert again.converged_ and again.n_iter_ == 1
    with pytest.raises(ValueError, match="warm_start: the fitted model has"):
        converged.set_params(n_components=2).fit(X)


@pytest.mark.filterwarnings("ignore::vi_ref.em.ConvergenceWarning")
def test_verbose_prints_each_start_and_every_interval(capsys):
    X, _ = three_clusters(n=200, seed=26)
    GaussianMixtureEM(3, n_init=2, tol=1e-8, max_iter=25, verbose=1, verbose_interval=10,
                      rng=0).fit(X)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Initialization 0" and "Initialization 1" in lines
    assert "  Iteration 10" in lines and "  Iteration 5" not in lines
    assert lines[-1] in ("Initialization converged.", "Initialization did not converge.")
    GaussianMixtureEM(3, tol=1e-8, max_iter=4, verbose=2, verbose_interval=2, rng=0).fit(X)
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("  Iteration 2\t time lapse ") and "\t ll change " in lines[1]
    assert lines[-1].startswith("Initialization did not converge. time lapse ")
    GaussianMixtureEM(3, rng=0).fit(X)
    assert capsys.readouterr().out == ""


def test_lower_bounds_precisions_and_fit_predict():
    X, _ = three_clusters(n=300, seed=27)
    for covariance_type in COVARIANCE_TYPES:
        estimator = fit(X, 3, covariance_type=covariance_type, rng=4)
        assert estimator.lower_bounds_.shape == (estimator.n_iter_,)
        np.testing.assert_allclose(estimator.lower_bounds_, estimator.elbo_history_[0:-1:2], rtol=1e-12)
        covariances = full_covariances(estimator.model_)
        precisions = estimator.precisions_
        if covariance_type == "tied":
            precisions = np.repeat(precisions[None], 3, axis=0)
        elif covariance_type in ("diag", "spherical"):
            precisions = full_covariances(GaussianMixture(
                estimator.weights_, estimator.means_, estimator.precisions_,
                covariance_type=covariance_type))
        np.testing.assert_allclose(precisions @ covariances, np.broadcast_to(np.eye(3), (3, 3, 3)),
                                   atol=1e-12)
        labels = GaussianMixtureEM(3, covariance_type=covariance_type, rng=4).fit_predict(X)
        np.testing.assert_array_equal(labels, estimator.predict(X))


def test_random_state_is_an_alias_of_rng():
    X, _ = three_clusters(n=200, seed=28)
    by_rng = fit(X, 3, init_params="random", n_init=2, rng=7)
    by_random_state = GaussianMixtureEM(3, init_params="random", n_init=2, random_state=7).fit(X)
    np.testing.assert_array_equal(by_rng.means_, by_random_state.means_)
    legacy = np.random.RandomState(0)
    first = GaussianMixtureEM(3, random_state=legacy).fit(X).means_
    second = GaussianMixtureEM(3, random_state=legacy).fit(X)  # the RandomState advanced
    assert second.converged_ and first.shape == second.means_.shape


def test_sample_defaults_to_the_estimators_own_seed():
    X, _ = three_clusters(n=200, seed=29)
    estimator = fit(X, 3, rng=3)
    first, second = estimator.sample(5), estimator.sample(5)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(estimator.sample(5, rng=3)[0], first[0])
    unseeded = GaussianMixtureEM(3).fit(X)
    assert not np.array_equal(unseeded.sample(5)[0], unseeded.sample(5)[0])


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "kmeans++", "random", "random_from_data"])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_more_components_than_distinct_rows_with_regularisation(init_params, covariance_type):
    """Two distinct rows, ten components: the surplus components get weight 0 (or
    share a row); the fit is the two-point mixture with variances reg_covar."""
    X = np.vstack((np.ones((5, 5)), np.zeros((5, 5))))
    estimator = fit(X, 10, covariance_type=covariance_type, init_params=init_params, rng=0)
    two_points = 5 * np.log(2 * np.pi * 1e-6) / -2 - np.log(2)  # log(½ N(x | x, 1e-6 I))
    if init_params == "random":  # may stop at the saddle where all components are alike
        assert estimator.score(X) <= two_points + 1e-9 * abs(two_points)
    else:
        np.testing.assert_allclose(estimator.score(X), two_points, rtol=1e-6)
    with pytest.raises(ValueError, match="increase reg_covar"):
        GaussianMixtureEM(10, covariance_type=covariance_type, reg_covar=0.0, init_params=init_params,
                          rng=0).fit(X)


def test_kmeans_start_is_a_lloyd_fixed_point_and_k_means_plus_plus_uses_the_seeds():
    X, _ = three_clusters(n=300, seed=30)
    start = fit(X, 3, init_params="kmeans", max_iter=0, rng=5)
    labels = np.argmin(((X[:, None, :] - start.means_) ** 2).sum(axis=-1), axis=1)
    np.testing.assert_allclose(start.means_, [X[labels == k].mean(axis=0) for k in range(3)],
                               rtol=1e-12)
    seeds = fit(X, 3, init_params="k-means++", max_iter=0, rng=5).means_
    lloyd = fit(X, 3, init_params="kmeans", max_iter=0, rng=5).means_
    assert not np.array_equal(seeds, lloyd)  # the seeds' labels are not yet a fixed point


def test_float32_input_is_computed_in_float64():
    X, _ = three_clusters(n=200, seed=31)
    X32 = X.astype(np.float32)
    weights = np.array([0.2, 0.3, 0.5], dtype=np.float32)  # sums to 1 + 1.5e-8
    ours = fit(X32, 3, weights_init=weights, rng=0)
    same = fit(X32.astype(np.float64), 3, weights_init=weights.astype(np.float64) / weights.sum(dtype=np.float64),
               rng=0)
    assert ours.means_.dtype == ours.score_samples(X32).dtype == np.float64
    np.testing.assert_array_equal(ours.means_, same.means_)
    with pytest.raises(ValueError, match="weights_init must sum to 1"):
        GaussianMixtureEM(3, weights_init=np.array([0.2, 0.3, 0.5 + 2e-8])).fit(X)
    with pytest.raises(ValueError, match="weights_init must sum to 1"):
        GaussianMixtureEM(3, weights_init=np.array([0.2, 0.3, 0.5 + 2e-6], dtype=np.float32)).fit(X)


# ----- the fast kernels against the model's formulas ------------------------------------


@pytest.mark.parametrize("offset", [0.0, 1e7])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_e_step_kernel_equals_the_models_log_joint(covariance_type, offset):
    """With and without a grouping of the points (by their most responsible component,
    or at random: a stale grouping costs digits only through the distances between
    the means, never through the offset)."""
    from vi_ref.em_steps import _centre, _group_by_mode, _log_joint_into

    X, _ = three_clusters(n=500, seed=32, offset=offset)
    model = fit(X, 3, covariance_type=covariance_type, rng=0).model_
    expected = scipy_log_joint(model, X).T
    posterior = model.posterior(X).probs.T
    random_labels = np.random.default_rng(35).dirichlet(np.ones(3), size=500).T
    for grouping in (None, _group_by_mode(posterior), _group_by_mode(random_labels)):
        kernel = _log_joint_into(model, X, np.empty((3, 500)), _centre(X), grouping)
        # absolute in log-density units: the rounding is eps times squared distances
        np.testing.assert_allclose(kernel, expected, rtol=1e-12, atol=1e-11)
        np.testing.assert_allclose(kernel, model.log_joint_components(X).T, rtol=1e-13, atol=1e-12)


@pytest.mark.parametrize("offset", [0.0, 1e7])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_m_step_scatter_equals_the_centred_sums_in_exact_arithmetic(covariance_type, offset):
    """Σₙ rₖₙ (xₙ − μₖ)(xₙ − μₖ)ᵀ (and its diagonal, trace, sum over k) against rational
    arithmetic on the stored numbers, soft responsibilities far from the origin."""
    from vi_ref.em_steps import _scatter

    X, _ = three_clusters(n=30, seed=33, offset=offset)
    rng = np.random.default_rng(34)
    responsibilities = rng.dirichlet(np.full(3, 0.3), size=30).T  # soft and hard mixed
    means = offset + CENTRES + rng.normal(scale=0.1, size=(3, 3))
    found = _scatter(X, np.ascontiguousarray(responsibilities), means, range(3), covariance_type)
    exact = np.zeros((3, 3, 3))
    for k in range(3):
        for n in range(30):
            d = [Fraction(x) - Fraction(m) for x, m in zip(X[n].tolist(), means[k].tolist())]
            r = Fraction(responsibilities[k, n])
            exact[k] += np.array([[float(r * a * b) for b in d] for a in d])
    expected = {"full": exact, "tied": exact.sum(axis=0),
                "diag": np.diagonal(exact, axis1=1, axis2=2),
                "spherical": np.trace(exact, axis1=1, axis2=2)}[covariance_type]
    scale = np.max(np.abs(expected))
    np.testing.assert_allclose(found, expected, rtol=1e-12, atol=1e-13 * scale)


@pytest.mark.parametrize("offset", [0.0, 1e7])
def test_grouped_kernels_equal_the_centred_sums_for_any_grouping(offset):
    """The tied/diag/spherical kernels used from GROUPED_MIN_FEATURES features on, tested
    here at D = 3 against the model's distances and the per-component centred sums,
    for the grouping by mode and for a random one (offsets cancel either way)."""
    from vi_ref.em_steps import (
        _diagonal_distances_into,
        _diagonal_scatter,
        _group_by_mode,
        _tied_scatter,
    )
    from vi_ref.models.gaussian_mixture import centred_moments

    X, _ = three_clusters(n=400, seed=36, offset=offset)
    model = fit(X, 3, covariance_type="diag", rng=0).model_
    posterior = np.ascontiguousarray(model.posterior(X).probs.T)
    random_weights = np.random.default_rng(37).dirichlet(np.ones(3), size=400).T
    expected_distances = model.squared_mahalanobis(X).T
    _, expected_scatter = centred_moments(X, posterior, model.means, range(3), False)
    expected_tied = centred_moments(X, posterior, model.means, range(3), True)[1].sum(axis=0)
    for grouping in (_group_by_mode(posterior), _group_by_mode(random_weights)):
        distances = np.empty((3, 400))
        _diagonal_distances_into(X, model.means, model.precisions_cholesky**2, grouping, distances)
        np.testing.assert_allclose(distances, expected_distances, rtol=1e-12, atol=1e-11)
        scatter = _diagonal_scatter(X, posterior, model.means, grouping)
        np.testing.assert_allclose(scatter, expected_scatter, rtol=1e-12)
        tied = _tied_scatter(X, posterior, model.means, grouping)
        np.testing.assert_allclose(tied, expected_tied, rtol=1e-12, atol=1e-12 * np.abs(expected_tied).max())


@pytest.mark.parametrize("offset", [0.0, 1e7])
def test_grouped_spherical_kernels_equal_rational_arithmetic_for_any_grouping(offset):
    """The spherical kernels that sum ‖x̃ₙ‖² once (used from GROUPED_MIN_FEATURES
    features on), at D = 3: p²ₖ ‖xₙ − μₖ‖² and Σₙ rₖₙ ‖xₙ − μₖ‖² against rational
    arithmetic on the stored numbers, for the grouping by mode and a random one."""
    from vi_ref.em_steps import _group_by_mode, _spherical_distances_into, _spherical_scatter

    X, _ = three_clusters(n=40, seed=39, offset=offset)
    rng = np.random.default_rng(40)
    responsibilities = np.ascontiguousarray(rng.dirichlet(np.full(3, 0.3), size=40).T)
    means = offset + CENTRES + rng.normal(scale=0.1, size=(3, 3))
    precisions = np.array([0.5, 2.0, 1.25])
    squared = np.array([[float(sum((Fraction(x) - Fraction(m)) ** 2
                                   for x, m in zip(X[n].tolist(), means[k].tolist())))
                         for n in range(40)] for k in range(3)])
    exact_scatter = [float(sum(Fraction(responsibilities[k, n]) * sum(
        (Fraction(x) - Fraction(m)) ** 2 for x, m in zip(X[n].tolist(), means[k].tolist()))
        for n in range(40))) for k in range(3)]
    random_weights = rng.dirichlet(np.ones(3), size=40).T
    for grouping in (_group_by_mode(responsibilities), _group_by_mode(random_weights)):
        distances = np.empty((3, 40))
        _spherical_distances_into(X, means, precisions, grouping, distances)
        # rounding eps·(‖x̃‖² + ‖δ‖²): absolute, in units of the squared distances
        np.testing.assert_allclose(distances, precisions[:, None] * squared, rtol=1e-12,
                                   atol=1e-12 * squared.max())
        np.testing.assert_allclose(_spherical_scatter(X, responsibilities, means, grouping),
                                   exact_scatter, rtol=1e-12)


@pytest.mark.parametrize("n_features", [1, 3, 20])
def test_fit_leaves_the_data_unchanged(n_features):
    """For D = 1 a transposed chunk of rows is a view of X: no kernel may write to it."""
    X = np.random.default_rng(38).standard_normal((200, n_features)) + 5.0
    original = X.copy()
    scores = {}
    for covariance_type in COVARIANCE_TYPES:
        estimator = fit(X, 1, covariance_type=covariance_type, rng=0)
        np.testing.assert_array_equal(X, original)
        np.testing.assert_allclose(estimator.means_[0], original.mean(axis=0), rtol=1e-13)
        scores[covariance_type] = estimator.score(X)
    if n_features == 1:  # one component in one dimension: the four types are one model
        np.testing.assert_allclose(list(scores.values()), scores["full"], rtol=1e-13)


# ----- the estimator's plumbing: starts, convergence, warm starts, refusals ---------------


def single_start(X, n_components, seed, index, **options):
    """The fit of start ``index`` alone: ``n_init`` starts get the children
    SeedSequence(seed).spawn(n_init) (documented), and an estimator given a SeedSequence
    that has already spawned ``index`` children spawns exactly that child next."""
    generator = np.random.SeedSequence(seed, n_children_spawned=index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return GaussianMixtureEM(n_components, rng=generator, **options).fit(X)


def test_n_init_keeps_the_start_with_the_highest_final_log_likelihood():
    """Five random starts, each also fitted alone: the estimator must be the one of
    the highest lower_bound_ — here the fourth, neither the first nor the last — with
    its parameters, its converged_, and no ConvergenceWarning since that start
    converged (the last one did not). Keeping the first or the last start, or warning
    for the last, fails."""
    X, _ = three_clusters(n=200, seed=11)
    options = dict(init_params="random", max_iter=29)
    alone = [single_start(X, 4, 3, index, **options) for index in range(5)]
    best = int(np.argmax([start.lower_bound_ for start in alone]))
    assert 0 < best < 4 and alone[best].converged_ and not alone[-1].converged_
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        estimator = GaussianMixtureEM(4, n_init=5, rng=3, **options).fit(X)
    assert estimator.lower_bound_ == alone[best].lower_bound_
    assert estimator.converged_ and estimator.n_iter_ == alone[best].n_iter_
    np.testing.assert_array_equal(estimator.means_, alone[best].means_)
    np.testing.assert_array_equal(estimator.elbo_history_, alone[best].elbo_history_)


def test_convergence_warning_points_at_the_caller_of_fit():
    """stacklevel: the warning names the line that called fit, not a line of em.py, so
    that a user sees which of their fits did not converge."""
    X, _ = three_clusters(n=60, seed=13)
    with pytest.warns(ConvergenceWarning) as record:
        GaussianMixtureEM(3, max_iter=1, tol=0.0, rng=0).fit(X)
    assert record[0].filename == __file__


def test_refit_without_warm_start_starts_afresh():
    """warm_start=False: a second fit, on other data, is the fit a new estimator makes;
    continuing from the first fit's parameters gives other ones."""
    X, _ = three_clusters(n=200, seed=40)
    other, _ = three_clusters(n=200, seed=41, offset=3.0)
    estimator = fit(X, 3, rng=0)
    estimator.fit(other)
    fresh = fit(other, 3, rng=0)
    np.testing.assert_array_equal(estimator.means_, fresh.means_)
    np.testing.assert_array_equal(estimator.lower_bounds_, fresh.lower_bounds_)


def test_warm_start_from_max_iter_0_continues_with_the_convergence_test_of_one_run():
    """A start kept by max_iter = 0, then fits of one iteration each: the
    log-likelihoods and the iteration at which |change| < tol are those of one run of
    the same start (converged at its 4th iteration). Comparing the first E-step of a
    call with the final E-step of the previous one (the same value: change 0) would
    stop at once."""
    X, _ = three_clusters(n=300, seed=25)
    start = dict(weights_init=np.full(3, 1 / 3), means_init=X[:3],
                 precisions_init=identity_precisions("full", 3, 3))
    cold = GaussianMixtureEM(3, **start).fit(X)
    assert cold.converged_ and cold.n_iter_ == 4
    warm = GaussianMixtureEM(3, max_iter=0, warm_start=True, **start).fit(X)
    warm.set_params(max_iter=1)
    bounds, flags = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(4):
            warm.fit(X)
            bounds.extend(warm.lower_bounds_)
            flags.append(warm.converged_)
    np.testing.assert_array_equal(bounds, cold.lower_bounds_)
    assert flags == [False, False, False, True]
    np.testing.assert_array_equal(warm.means_, cold.means_)


def test_a_fall_of_the_log_likelihood_larger_than_tol_is_not_convergence():
    """One component started at its maximum-likelihood estimate, reg_covar = 0.1: the
    first M-step moves Σ off the maximiser, so the log-likelihood falls (by 1.8e-3);
    the next M-step repeats it (change exactly 0). |change| < tol stops at the third
    iteration; a test without |·| would take the fall for convergence."""
    X, _ = three_clusters(n=100, seed=21)
    covariance = np.cov(X, rowvar=False, bias=True)
    estimator = GaussianMixtureEM(
        1, reg_covar=0.1, tol=1e-6, weights_init=[1.0], means_init=X.mean(axis=0)[None],
        precisions_init=np.linalg.inv(covariance)[None],  # the oracle may invert
    ).fit(X)
    changes = np.diff(estimator.lower_bounds_)
    assert changes[0] < -1e-3 and changes[1] == 0.0
    assert estimator.converged_ and estimator.n_iter_ == 3


def test_sample_defaults_to_random_state_as_to_rng():
    """random_state is the estimator's seed too: sample() repeats its draws."""
    X, _ = three_clusters(n=200, seed=29)
    estimator = GaussianMixtureEM(3, random_state=3).fit(X)
    first, second = estimator.sample(5), estimator.sample(5)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[0], estimator.sample(5, rng=3)[0])


@pytest.mark.parametrize("seed, error", [
    *((seed, ValueError) for seed in (-1, -(2**70), np.int64(-3), [-1])),
    *((seed, TypeError) for seed in (True, np.bool_(False), 1.5, np.float64(2.0), "3")),
])
def test_a_bad_seed_gives_the_error_it_gives_everywhere_else(seed, error):
    """A negative seed is a wrong value (ValueError), as for validation.as_generator and
    NumPy (it was a TypeError here); a bool, float or string a wrong type (TypeError)."""
    with pytest.raises(error):
        as_generator(seed)
    X, _ = three_clusters(n=60, seed=3)
    for name in ("rng", "random_state"):
        with pytest.raises(error, match=f"^{name} must be a numpy.random.Generator, an integer seed"):
            GaussianMixtureEM(3, **{name: seed}).fit(X)
    estimator = GaussianMixtureEM(3, rng=0).fit(X)
    with pytest.raises(error, match="^rng must be a numpy.random.Generator, an integer seed"):
        estimator.sample(2, rng=seed)


def test_n_init_of_a_million_is_the_largest_accepted():
    """n_init = 10⁶ passes the settings' check (the fit then stops at the data's)."""
    with pytest.raises(ValueError, match=r"at least max\(2, n_components\) = 3 samples"):
        GaussianMixtureEM(3, n_init=10**6).fit(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="n_init must be <= 1000000; got 1000001"):
        GaussianMixtureEM(3, n_init=10**6 + 1).fit(np.zeros((2, 2)))


def test_warm_start_refuses_data_of_another_width_and_another_covariance_type():
    """The fitted model cannot continue on X with other columns or as another covariance
    type: refused by name, not by a shape error deep inside (with K = D, the M-step's
    misleading "a component has collapsed ... increase reg_covar")."""
    X, _ = three_clusters(n=100, seed=42)
    estimator = GaussianMixtureEM(2, warm_start=True, rng=0).fit(X)
    with pytest.raises(ValueError, match=r"warm_start: the fitted model has .* = \(2, 3, 'full'\)"
                                         r" but the settings and X ask for \(2, 2, 'full'\)"):
        estimator.fit(X[:, :2])
    with pytest.raises(ValueError, match=r"but the settings and X ask for \(2, 3, 'diag'\)"):
        estimator.set_params(covariance_type="diag").fit(X)


def test_numpy_and_python_booleans_are_flags(capsys):
    """verbose=True is level 1 and warm_start=np.bool_(True) is True, as in scikit-learn
    (whose tools may pass NumPy booleans from a parameter grid)."""
    X, _ = three_clusters(n=100, seed=43)
    GaussianMixtureEM(2, verbose=True, max_iter=20, verbose_interval=1, rng=0).fit(X)
    as_true = capsys.readouterr().out
    GaussianMixtureEM(2, verbose=1, max_iter=20, verbose_interval=1, rng=0).fit(X)
    assert as_true == capsys.readouterr().out and as_true.startswith("Initialization 0\n  Iteration 1\n")
    estimator = GaussianMixtureEM(2, warm_start=np.bool_(True), rng=0).fit(X)
    assert estimator.converged_ and estimator.fit(X).n_iter_ == 1  # continued: converged at once


def test_repr_shows_arguments_equal_to_a_default_but_of_another_type():
    """As scikit-learn's repr (which compares reprs): n_components=1.0 is not the default
    1 (fit refuses it), so it is shown."""
    assert repr(GaussianMixtureEM(1.0, max_iter=100.0)) == "GaussianMixtureEM(n_components=1.0, max_iter=100.0)"
    assert repr(GaussianMixtureEM(1, max_iter=100)) == "GaussianMixtureEM()"


def test_random_from_data_finds_distinct_rows_however_rare():
    """60 copies of one point (with zeros of either sign: one point) and two other
    points once each, three components: every start takes the three distinct points as
    means, for every seed, although the first rows drawn are nearly always copies."""
    zeros = [[0.0, 0.0], [-0.0, 0.0], [0.0, -0.0], [-0.0, -0.0]] * 15
    X = np.array(zeros + [[1.0, 0.0], [0.0, 1.0]])
    for seed in range(10):
        start = fit(X, 3, init_params="random_from_data", max_iter=0, rng=seed)
        assert {tuple(mean) for mean in start.means_} == {(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)}, seed


def test_random_from_data_draws_the_means_uniformly_in_random_order():
    """Ten distinct points in one dimension, two components, 200 seeds: each point is
    a mean with probability 2/10 and the two means are in increasing order with
    probability ½. Each of the 11 frequencies is checked to 5 standard errors
    (binomial): a false alarm has probability below 1e-5 (swept: the seeds 200j …
    200j + 199 pass for j = 0 … 29, the largest deviation 2.8 standard errors). Taking
    the smallest rows among the candidates gives point 0 in 80 % of the starts and the
    means always in order."""
    X = np.arange(10.0)[:, None]
    seeds = 200
    means = np.array([GaussianMixtureEM(2, init_params="random_from_data", max_iter=0, rng=seed)
                      .fit(X).means_[:, 0] for seed in range(seeds)])
    frequencies = np.array([np.mean(np.any(means == value, axis=1)) for value in range(10)])
    assert np.all(np.abs(frequencies - 0.2) <= 5 * np.sqrt(0.2 * 0.8 / seeds)), frequencies
    increasing = np.mean(means[:, 0] < means[:, 1])
    assert abs(increasing - 0.5) <= 5 * np.sqrt(0.25 / seeds), increasing


def test_kmeans_plus_plus_takes_lloyd_steps_to_the_fixed_point():
    """Unseparated data (one Gaussian, four components), where Lloyd's iteration needs
    several steps: for these seeds "kmeans++" reaches the fixed point within its 10
    steps, so its start is that of "kmeans" (the same seeds), each centre its
    cluster's mean; the seeds alone ("k-means++") are not."""
    X = np.random.default_rng(41).standard_normal((200, 2))

    def is_lloyd_fixed_point(means):
        labels = np.argmin(((X[:, None, :] - means) ** 2).sum(axis=-1), axis=1)
        cluster_means = [X[labels == k].mean(axis=0) for k in range(len(means))]
        return np.allclose(means, cluster_means, rtol=1e-12, atol=1e-14)

    for seed in (0, 1, 3):
        starts = {init: fit(X, 4, init_params=init, max_iter=0, rng=seed).means_
                  for init in ("kmeans++", "kmeans", "k-means++")}
        assert is_lloyd_fixed_point(starts["kmeans++"]) and not is_lloyd_fixed_point(starts["k-means++"])
        np.testing.assert_array_equal(starts["kmeans++"], starts["kmeans"])


def test_m_step_weights_are_the_counts_over_their_sum():
    """πₖ = Nₖ / Σⱼ Nⱼ, the argmax of Σₖ Nₖ log πₖ on the simplex: for responsibilities
    whose rows sum to 1 + 1e-10 (within the accepted tolerance) the weights still sum
    to 1, not to 1 + 1e-10 as Nₖ / N would."""
    X, _ = three_clusters(n=50, seed=44)
    responsibilities = np.random.default_rng(45).dirichlet(np.ones(2), size=50) * (1 + 1e-10)
    counts = [sum(map(Fraction, column)) for column in responsibilities.T.tolist()]  # exact
    model = m_step(X, responsibilities, "diag")
    # the sums of 50 terms round at 50 eps at most; the factor 1 + 1e-10 would be far above
    np.testing.assert_allclose(model.weights, [float(c / sum(counts)) for c in counts], rtol=1e-14)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_m_step_leaves_previous_unchanged(covariance_type):
    """The M-step returns a new mixture: previous (kept by the caller, e.g. a fitted
    estimator's covariances_ before a warm start) is not overwritten."""
    X, _ = three_clusters(n=60, seed=46)
    previous = fit(X, 3, covariance_type=covariance_type, max_iter=1, rng=0).model_
    means, covariances = previous.means.copy(), previous.covariances.copy()
    responsibilities = np.random.default_rng(47).dirichlet(np.ones(3), size=60)
    new = m_step(X, responsibilities, covariance_type, previous=previous)
    assert not np.array_equal(new.covariances, covariances)
    np.testing.assert_array_equal(previous.means, means)
    np.testing.assert_array_equal(previous.covariances, covariances)


def test_m_step_refuses_a_previous_with_another_number_of_components():
    """previous must match the responsibilities' K, which its parameters fill in for
    empty components; otherwise an IndexError came from inside the M-step."""
    X, _ = three_clusters(n=20)
    previous = fit(X, 2, rng=0).model_
    with pytest.raises(ValueError, match=r"previous must have .* = \(3, 3, 'full'\); got \(2, 3, 'full'\)"):
        m_step(X, np.full((20, 3), 1 / 3), previous=previous)


def test_predict_proba_predict_and_score_samples_by_enumerating_the_components():
    """A start with unequal weights and covariances (max_iter = 0), on points between
    the components: responsibilities, labels and log p(x) from scipy.stats densities
    and log-sum-exp over k. The most responsible component is not always the nearest
    in Mahalanobis distance here (the weights and determinants decide)."""
    weights, means = np.array([0.7, 0.2, 0.1]), np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    precisions = np.array([0.25, 4.0, 1.0])  # spherical: variances 4, 1/4, 1
    X = np.random.default_rng(48).uniform(-1.0, 4.0, size=(40, 2))
    estimator = GaussianMixtureEM(3, covariance_type="spherical", max_iter=0, weights_init=weights,
                                  means_init=means, precisions_init=precisions).fit(X)
    log_joint = np.stack([np.log(w) + scipy.stats.multivariate_normal(m, np.eye(2) / p).logpdf(X)
                          for w, m, p in zip(weights, means, precisions)], axis=1)
    log_evidence = scipy.special.logsumexp(log_joint, axis=1)
    np.testing.assert_allclose(estimator.predict_proba(X), np.exp(log_joint - log_evidence[:, None]), rtol=1e-12)
    labels = estimator.predict(X)
    np.testing.assert_array_equal(labels, np.argmax(log_joint, axis=1))
    nearest = np.argmin(((X[:, None, :] - means) ** 2 * precisions[:, None]).sum(axis=-1), axis=1)
    assert np.any(labels != nearest)
    np.testing.assert_allclose(estimator.score_samples(X), log_evidence, rtol=1e-13)
    assert estimator.score(X) == pytest.approx(log_evidence.mean(), rel=1e-13)
