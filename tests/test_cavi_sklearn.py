"""Peer tests: BayesianGaussianMixtureCAVI equals scikit-learn's BayesianGaussianMixture
from identical initial responsibilities (both weight priors, four covariance types),
its bound differs from scikit-learn's by a constant, and it stays exact for data far
from the origin, where scikit-learn's E[x²] − x̄² statistics lose digits."""

import warnings

import numpy as np
import pytest

from vi_ref.cavi import BayesianGaussianMixtureCAVI
from vi_ref.em import ConvergenceWarning

mixture = pytest.importorskip("sklearn.mixture")
sklearn_exceptions = pytest.importorskip("sklearn.exceptions")

pytestmark = pytest.mark.peer

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
PRIOR_TYPES = ("dirichlet_process", "dirichlet_distribution")
CONFIGURATIONS = [(kind, prior) for prior in PRIOR_TYPES for kind in COVARIANCE_TYPES]
ATTRIBUTES = ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_",
              "mean_precision_", "degrees_of_freedom_")


class FromResponsibilities(mixture.BayesianGaussianMixture):
    """scikit-learn's estimator started from given responsibilities (its ``_initialize``
    is the M-step from them, as ours)."""

    def __init__(self, responsibilities=None, **options):
        super().__init__(**options)
        self.responsibilities = responsibilities

    def _initialize_parameters(self, X, random_state, xp=None):
        self._initialize(X, self.responsibilities)


def data(seed=0, offset=0.0):
    rng = np.random.default_rng(seed)
    centres = np.array([[4.0, 0.0, 1.0], [0.0, 0.0, 0.0], [0.0, -4.0, 2.0]])
    X = np.concatenate([c + rng.standard_normal((n, 3)) * s for c, n, s in zip(centres, (60, 50, 40), (1.0, 0.5, 0.8))])
    return offset + X, rng.dirichlet(np.ones(4), size=len(X))


def fit(library, X, start, kind, prior_type, max_iter=40, tol=0.0, reg_covar=0.0, mean_prior=None):
    options = dict(n_components=4, covariance_type=kind, weight_concentration_prior_type=prior_type,
                   max_iter=max_iter, tol=tol, reg_covar=reg_covar, mean_prior=mean_prior)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", sklearn_exceptions.ConvergenceWarning)
        if library == "sklearn":
            return FromResponsibilities(start, **options).fit(X)
        return BayesianGaussianMixtureCAVI(responsibilities_init=start, **options).fit(X)


def both(*args, **options):
    return fit("vi_ref", *args, **options), fit("sklearn", *args, **options)


def relative_error(ours, theirs):
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    return float(np.max(np.abs(ours - theirs)) / np.max(np.abs(theirs)))


@pytest.mark.parametrize("reg_covar", [0.0, 1e-6])
@pytest.mark.parametrize("kind, prior_type", CONFIGURATIONS)
def test_equals_sklearn_after_40_iterations_from_the_same_start(kind, prior_type, reg_covar):
    X, start = data()
    ours, theirs = both(X, start, kind, prior_type, reg_covar=reg_covar)
    assert ours.n_iter_ == theirs.n_iter_ == 40
    for name in ATTRIBUTES:
        assert relative_error(getattr(ours, name), getattr(theirs, name)) <= 1e-8, name
    assert relative_error(np.array(ours.weight_concentration_), np.array(theirs.weight_concentration_)) <= 1e-8


@pytest.mark.parametrize("kind, prior_type", CONFIGURATIONS)
def test_sklearn_bound_is_the_elbo_up_to_a_constant(kind, prior_type):
    """scikit-learn drops the terms of the bound that are constant after its M-step; the
    exact ELBO after each of our iterations minus its ``lower_bounds_`` is one number."""
    X, start = data(1)
    ours, theirs = both(X, start, kind, prior_type, max_iter=25)
    difference = ours.elbo_history_[3::3] - np.ravel(theirs.lower_bounds_)
    np.testing.assert_allclose(difference, difference[0], rtol=0, atol=1e-9 * abs(ours.lower_bound_))


@pytest.mark.parametrize("kind, prior_type", CONFIGURATIONS)
def test_same_stopping_iteration_as_sklearn(kind, prior_type):
    X, start = data(2)
    ours, theirs = both(X, start, kind, prior_type, max_iter=500, tol=1e-3)
    assert ours.converged_ and theirs.converged_
    assert ours.n_iter_ == theirs.n_iter_


@pytest.mark.parametrize("kind, prior_type", CONFIGURATIONS)
def test_exact_far_from_the_origin_where_sklearn_loses_digits(kind, prior_type):
    """Data at 10⁶ from the origin (exactly X + c): ours equals scikit-learn's fit of the
    centred data, translated, to 1e-8. scikit-learn's own fit of the far data (its
    tied/diag/spherical covariances from E[x²] − x̄²) moves by about 1e-3 relative
    (derivation 07, §5); that is its behaviour, not asserted here."""
    X, start = data(3)
    X = np.round(X * 2**20) / 2**20
    mean_prior = np.round(X.mean(axis=0) * 2**20) / 2**20
    shift = np.array([2.0**20, -(2.0**19), 2.0**20])
    ours = fit("vi_ref", X + shift, start, kind, prior_type, mean_prior=mean_prior + shift)
    theirs_near = fit("sklearn", X, start, kind, prior_type, mean_prior=mean_prior)
    assert relative_error(ours.means_ - shift, theirs_near.means_) <= 1e-8
    for name in ATTRIBUTES[2:]:
        assert relative_error(getattr(ours, name), getattr(theirs_near, name)) <= 1e-8, name
