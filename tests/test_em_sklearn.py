"""``GaussianMixtureEM`` as a scikit-learn estimator: scikit-learn's own tools use it
(clone, Pipeline, GridSearchCV, check_estimator), and each behaviour scikit-learn's
``GaussianMixture`` has is matched, from identical starts. Skipped without scikit-learn;
vi_ref itself never imports it."""

import io
import re
import warnings
from contextlib import redirect_stdout

import numpy as np
import pytest

from vi_ref import em
from vi_ref.em import GaussianMixtureEM

sklearn = pytest.importorskip("sklearn")
from sklearn import exceptions  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.mixture import GaussianMixture  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

pytestmark = pytest.mark.peer

TYPES = ("full", "tied", "diag", "spherical")
ATTRIBUTES = ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_")


def clusters(n=300, seed=0, offset=0.0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0, 0.0], [4.0, 0.0, 1.0], [0.0, 5.0, -2.0]])
    return offset + centres[rng.integers(3, size=n)] + rng.standard_normal((n, 3)) * [1.0, 0.5, 1.5]


def identical_start(X, covariance_type, n_components=3):
    """All three *_init: both estimators start from exactly these parameters."""
    D = X.shape[1]
    precisions = {
        "full": np.tile(np.eye(D), (n_components, 1, 1)),
        "tied": np.eye(D),
        "diag": np.ones((n_components, D)),
        "spherical": np.ones(n_components),
    }[covariance_type]
    return dict(n_components=n_components, covariance_type=covariance_type,
                weights_init=np.full(n_components, 1 / n_components),
                means_init=X[:n_components], precisions_init=precisions)


def both(**options):
    """(ours, scikit-learn's) with the same constructor arguments."""
    return GaussianMixtureEM(**options), GaussianMixture(**options)


def quiet_fit(estimator, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(X)


# ----- scikit-learn's tools ----------------------------------------------------------------


def test_clone_round_trips_the_parameters_and_not_the_fit():
    weights = np.array([0.25, 0.75])
    estimator = GaussianMixtureEM(2, covariance_type="diag", weights_init=weights, rng=3, tol=1e-5)
    copy = clone(estimator)
    assert copy is not estimator and type(copy) is GaussianMixtureEM
    for name, value in estimator.get_params().items():
        np.testing.assert_array_equal(copy.get_params()[name], value, err_msg=name)
    fitted = estimator.fit(clusters())
    assert not hasattr(clone(fitted), "means_")
    np.testing.assert_array_equal(clone(fitted).fit(clusters()).means_, fitted.means_)


def test_parameter_names_and_defaults_are_scikit_learns_plus_rng():
    ours, theirs = GaussianMixtureEM().get_params(), GaussianMixture().get_params()
    assert set(ours) == set(theirs) | {"rng"}
    for name, default in theirs.items():
        assert ours[name] == default, name


def test_pipeline_with_a_scaler_scores_as_fitting_the_scaled_data():
    X = clusters(offset=100.0) * [1.0, 10.0, 0.1]
    pipeline = make_pipeline(StandardScaler(), GaussianMixtureEM(3, rng=0)).fit(X)
    scaled = StandardScaler().fit_transform(X)
    alone = GaussianMixtureEM(3, rng=0).fit(scaled)
    assert pipeline.score(X) == pytest.approx(alone.score(scaled), rel=1e-12)
    np.testing.assert_array_equal(pipeline.predict(X), alone.predict(scaled))


def test_grid_search_over_n_components_and_covariance_type_scored_by_score():
    X = clusters(n=240, seed=1)
    grid = {"n_components": [1, 2, 3, 4], "covariance_type": list(TYPES)}
    search = GridSearchCV(GaussianMixtureEM(rng=0), grid, cv=3).fit(X)
    assert len(search.cv_results_["params"]) == 16
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_params_
    assert best["n_components"] >= 3  # three clusters: fewer components score worse
    # the best score is the mean held-out score() of that setting over the folds
    scores = []
    for train, test in search.cv.split(X) if hasattr(search.cv, "split") else []:
        scores.append(GaussianMixtureEM(rng=0, **best).fit(X[train]).score(X[test]))
    if scores:
        assert search.best_score_ == pytest.approx(np.mean(scores), rel=1e-12)
    assert isinstance(search.best_estimator_, GaussianMixtureEM)


# the checks that fail, and why (docs/em-vs-scikit-learn.md)
EXPECTED_FAILED_CHECKS = {
    # scikit-learn's NotFittedError class cannot be raised without importing it; ours
    # has the same bases (ValueError, AttributeError)
    "check_estimators_unfitted",
    # complex and object arrays are refused by vi_ref's rule for every input (TypeError)
    "check_complex_data",
    "check_dtype_object",
}


def test_check_estimator_passes_all_but_the_documented_checks():
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(GaussianMixtureEM(), on_fail=None)
    failed = {result["check_name"] for result in results if result["status"] == "failed"}
    passed = [result for result in results if result["status"] == "passed"]
    assert failed == EXPECTED_FAILED_CHECKS
    assert len(passed) >= 35


# ----- the behaviours of the issue, each as scikit-learn's ----------------------------------


def test_exception_and_warning_classes_have_scikit_learns_names_and_bases():
    for ours, theirs in [(em.NotFittedError, exceptions.NotFittedError),
                         (em.ConvergenceWarning, exceptions.ConvergenceWarning)]:
        assert ours.__name__ == theirs.__name__ and ours.__bases__ == theirs.__bases__
    X = clusters(n=50)
    for estimator in both(n_components=2):
        for method in ("predict", "predict_proba", "score_samples", "score"):
            with pytest.raises(ValueError):
                getattr(estimator, method)(X)
            with pytest.raises(AttributeError):
                getattr(estimator, method)(X)
        with pytest.warns(UserWarning, match="converge"):
            estimator.set_params(max_iter=1, tol=0.0).fit(X)


@pytest.mark.parametrize("covariance_type", TYPES)
def test_fit_attributes_and_predictions_equal_scikit_learns(covariance_type):
    X, X_test = clusters(seed=2), clusters(n=50, seed=3)
    ours, theirs = both(**identical_start(X, covariance_type), tol=1e-6)
    ours.fit(X), theirs.fit(X)
    assert ours.converged_ and theirs.converged_ and ours.n_iter_ == theirs.n_iter_
    assert ours.n_features_in_ == theirs.n_features_in_ == 3
    for name in ATTRIBUTES:
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-8, err_msg=name)
    np.testing.assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=1e-10)
    # scikit-learn's lower_bound_ is the bound before the last M-step; ours is after
    # a final E-step, tight at the returned parameters, and never lower
    assert ours.lower_bound_ >= theirs.lower_bound_ - 1e-12 * abs(theirs.lower_bound_)
    assert ours.lower_bound_ == pytest.approx(theirs.score(X), rel=1e-12)
    np.testing.assert_array_equal(ours.fit_predict(X), theirs.fit_predict(X))
    np.testing.assert_allclose(ours.predict_proba(X_test), theirs.predict_proba(X_test), atol=1e-8)
    np.testing.assert_allclose(ours.score_samples(X_test), theirs.score_samples(X_test), rtol=1e-8)
    for criterion in ("bic", "aic"):
        assert getattr(ours, criterion)(X_test) == pytest.approx(getattr(theirs, criterion)(X_test),
                                                                 rel=1e-8)


def test_warm_start_continues_as_scikit_learns():
    X = clusters(seed=4)
    ours, theirs = both(**identical_start(X, "full"), max_iter=2, tol=0.0, warm_start=True)
    for _ in range(3):
        quiet_fit(ours, X), quiet_fit(theirs, X)
        assert ours.n_iter_ == theirs.n_iter_ == 2
        np.testing.assert_allclose(ours.means_, theirs.means_, rtol=1e-8)
        np.testing.assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=1e-10)
    for estimator in (ours, theirs):
        estimator.set_params(tol=1e-3, max_iter=100)
    ours.fit(X), theirs.fit(X)
    assert ours.converged_ and theirs.converged_ and ours.n_iter_ == theirs.n_iter_


def test_verbose_output_is_scikit_learns():
    X = clusters(seed=5)
    printed = []
    for estimator in both(**identical_start(X, "diag"), tol=1e-6, verbose=1, verbose_interval=3):
        with redirect_stdout(io.StringIO()) as output:
            estimator.fit(X)
        printed.append(output.getvalue())
    assert printed[0] == printed[1]
    assert "  Iteration 3\n" in printed[0]
    lines = []
    for estimator in both(**identical_start(X, "diag"), tol=1e-6, verbose=2, verbose_interval=3):
        with redirect_stdout(io.StringIO()) as output:
            estimator.fit(X)
        # the same lines, times and values aside
        lines.append(re.sub(r"-?\d+\.\d+", "#", output.getvalue()))
    assert lines[0] == lines[1]
    assert "  Iteration 3\t time lapse #s\t ll change #\n" in lines[0]


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random", "random_from_data"])
def test_every_init_params_of_scikit_learn_is_accepted_and_finds_the_clusters(init_params):
    X = 3 * clusters(n=300, seed=6)  # well separated: every start finds them
    ours, theirs = both(n_components=3, init_params=init_params, random_state=0, tol=1e-9,
                        max_iter=300)
    ours.fit(X), theirs.fit(X)
    # run to convergence from different random draws: maxima of (nearly) equal height
    assert ours.converged_ and theirs.converged_
    assert ours.score(X) == pytest.approx(theirs.score(X), rel=1e-3)


def test_float32_probability_vectors_are_accepted_as_by_scikit_learn():
    X = clusters(seed=7)
    weights = np.array([0.2, 0.3, 0.5], dtype=np.float32)
    start = {**identical_start(X, "full"), "weights_init": weights}
    ours, theirs = both(**start)
    ours.fit(X), theirs.fit(X)
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=1e-7)
    # float32 data: scikit-learn computes in float32, vi_ref in float64
    ours32, theirs32 = both(**start)
    ours32.fit(X.astype(np.float32)), theirs32.fit(X.astype(np.float32))
    assert ours32.means_.dtype == ours32.score_samples(X).dtype == np.float64
    np.testing.assert_allclose(ours32.means_, theirs32.means_, rtol=1e-4)


@pytest.mark.parametrize("covariance_type", TYPES)
def test_more_components_than_distinct_rows_fit_as_in_scikit_learn(covariance_type):
    X = np.vstack((np.ones((5, 5)), np.zeros((5, 5))))
    ours, theirs = both(n_components=10, covariance_type=covariance_type, random_state=0)
    quiet_fit(ours, X), quiet_fit(theirs, X)
    assert ours.score(X) == pytest.approx(theirs.score(X), rel=1e-6)


BAD_SETTINGS = [
    {"n_components": 0}, {"n_components": 1.5}, {"tol": -1.0}, {"tol": "x"},
    {"reg_covar": -1e-6}, {"max_iter": -1}, {"n_init": 0}, {"init_params": "kmeans+"},
    {"covariance_type": "blocked"}, {"verbose_interval": 0}, {"warm_start": "yes"},
    {"random_state": "seed"},
]


@pytest.mark.parametrize("setting", BAD_SETTINGS, ids=lambda setting: str(setting))
def test_settings_scikit_learn_refuses_are_refused_at_fit(setting):
    X = clusters(n=40)
    for estimator in both(**{"n_components": 2, **setting}):
        with pytest.raises((ValueError, TypeError)):
            estimator.fit(X)


def test_too_few_samples_are_refused_as_by_scikit_learn():
    for X, n_components in [(np.zeros((1, 2)), 1), (np.arange(6.0).reshape(3, 2), 4)]:
        for estimator in both(n_components=n_components):
            with pytest.raises(ValueError):
                estimator.fit(X)


def test_exact_where_scikit_learn_loses_digits_far_from_the_origin():
    X = clusters(n=200, seed=8)
    far = X + 1e7
    start = identical_start(X, "full", n_components=1)
    near_fit = GaussianMixtureEM(**start, reg_covar=0.0).fit(X)
    far_fit = GaussianMixtureEM(**{**start, "means_init": start["means_init"] + 1e7},
                                reg_covar=0.0).fit(far)
    # the covariance of data 1e7 from the origin is that of the same data near it
    np.testing.assert_allclose(far_fit.covariances_, near_fit.covariances_, rtol=1e-7)


def test_tol_zero_never_converges_as_in_scikit_learn():
    # convergence is |change| < tol, strictly: with one component every iteration repeats
    # the same M-step, change is exactly 0, and tol = 0 still runs to max_iter
    X = np.random.default_rng(0).standard_normal((30, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = GaussianMixtureEM(1, tol=0.0, max_iter=5).fit(X)
        theirs = GaussianMixture(1, tol=0.0, max_iter=5).fit(X)
    assert (ours.converged_, ours.n_iter_) == (theirs.converged_, theirs.n_iter_) == (False, 5)
