"""Regressions from fuzzing the modules added after the first fuzz table (estimators,
iwae_bound, vi, flows, cavi, em): each case below hung, raised a MemoryError,
OverflowError, AttributeError, KeyError or IndexError, read a non-boolean as a flag,
or refused without naming the argument before it was fixed at the public boundary."""

import numpy as np
import pytest

from vi_ref import elbo, estimators, vi
from vi_ref.autodiff import functions as ad
from vi_ref.cavi import BayesianGaussianMixtureCAVI, UnitVarianceMixtureCAVI, exact_log_evidence
from vi_ref.distributions import MultivariateNormal, Normal
from vi_ref.em import GaussianMixtureEM
from vi_ref.flows import PlanarFlow
from vi_ref.models import LinearGaussian

MODEL = LinearGaussian(np.array([[1.0, 0.2], [0.5, -1.0], [0.3, 0.4]]), np.zeros(3), 0.5)
X = np.array([[0.1, 0.2, -0.3], [1.0, -0.5, 0.2], [0.0, 0.3, 0.9], [-1.0, 0.4, 0.1]])
Q_BATCH = MultivariateNormal(np.zeros((4, 2)), scale_tril=np.tile(np.eye(2), (4, 1, 1)))
Q = MultivariateNormal(np.zeros(2), scale_tril=np.eye(2))
X_MIXTURE = np.array([[0.0, 0.1], [0.2, -0.1], [3.0, 3.1], [2.9, 3.2], [0.1, 0.0], [3.1, 2.8]])


def _log_joint(z):
    return -0.5 * ad.sum(ad.square(z), axis=-1)


def _fit(**options):
    return vi.fit(_log_joint, Normal(np.zeros(2), 1.0), **{"steps": 2, "learning_rate": 0.1, "rng": 0, **options})


def _fit_dataset(**options):
    return vi.fit_dataset(MODEL, X, Q_BATCH, **{"steps": 1, "learning_rate": 0.1, "rng": 0, **options})


def _minibatch(**options):
    arguments = {"model": MODEL, "q": Q_BATCH, "X": X, "rows": np.array([0, 2]), "n_samples": 2, "rng": 0, **options}
    return vi.minibatch_elbo_gradient(**arguments)


CASES = [
    # hangs (days-long loops)
    ("fit steps", lambda: _fit(steps=10**15), ValueError, "steps"),
    ("fit_dataset steps", lambda: _fit_dataset(steps=10**15), ValueError, "steps"),
    # refusals naming an internal argument
    ("fit n_samples", lambda: _fit(n_samples=10**15), ValueError, "n_samples"),
    ("fit elbo_samples", lambda: _fit(elbo_samples=10**15), ValueError, "elbo_samples"),
    ("iwae_bound k", lambda: elbo.iwae_bound(MODEL, Q, np.zeros(3), 10**15, 3), ValueError, "k"),
    ("iwae_gradient k", lambda: estimators.iwae_gradient(MODEL, Q, np.zeros(3), 10**15, 3), ValueError, "k"),
    ("EM sample", lambda: GaussianMixtureEM(2, rng=0).fit(X_MIXTURE).sample(10**15), ValueError, "n_samples"),
    ("exact_log_evidence", lambda: exact_log_evidence(X_MIXTURE, 10**15, 1.0), ValueError, "n_components"),
    # MemoryError, OverflowError
    ("PlanarFlow.initial dim", lambda: PlanarFlow.initial(10**15, 1), ValueError, "dim"),
    ("PlanarFlow.initial n_layers", lambda: PlanarFlow.initial(2, 10**15), ValueError, "n_layers"),
    ("PlanarFlow.rsample", lambda: PlanarFlow.initial(2, 1, 0).rsample(10**15), ValueError, "n"),
    ("unit CAVI n_components", lambda: UnitVarianceMixtureCAVI(10**15).fit(X_MIXTURE), ValueError, "n_components"),
    ("Bayesian CAVI n_init", lambda: BayesianGaussianMixtureCAVI(2, n_init=2**70).fit(X_MIXTURE), ValueError,
     "n_init"),
    # AttributeError, KeyError, IndexError
    ("iwae_bound model", lambda: elbo.iwae_bound(None, Q, np.zeros(3), 2, 3), TypeError, "model"),
    ("minibatch q", lambda: _minibatch(q=None), TypeError, "q"),
    ("minibatch X", lambda: _minibatch(X=np.float64(0.5)), ValueError, "X"),
    ("minibatch rows out of range", lambda: _minibatch(rows=np.array([0, 7])), ValueError, "rows"),
    ("minibatch rows not integers", lambda: _minibatch(rows=np.array([0.5, 1.0])), TypeError, "rows"),  # a wrong dtype is a wrong type
    ("minibatch rows empty", lambda: _minibatch(rows=np.array([], dtype=int)), ValueError, "rows"),
    ("minibatch n_samples", lambda: _minibatch(n_samples=0), ValueError, "n_samples"),
    # non-booleans read as flags, a spread that made a wrong flow, empty data accepted
    ("fit stop_when_converged", lambda: _fit(stop_when_converged="no"), TypeError, "stop_when_converged"),
    ("fit track_gradient_variance", lambda: _fit(track_gradient_variance=1), TypeError, "track_gradient_variance"),
    ("fit_dataset learn_model", lambda: _fit_dataset(learn_model=None), TypeError, "learn_model"),
    ("PlanarFlow.initial spread", lambda: PlanarFlow.initial(2, 1, 0, spread=-1.0), ValueError, "spread"),
    ("unit CAVI empty X", lambda: UnitVarianceMixtureCAVI(2).fit(np.zeros((0, 2))), ValueError, "X"),
    ("exact_log_evidence empty X", lambda: exact_log_evidence(np.zeros((0, 2)), 2, 1.0), ValueError, "X"),
]


@pytest.mark.parametrize("call, error, name", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_refused_by_name(call, error, name):
    with pytest.raises(error, match=rf"(?<![A-Za-z_]){name}(?![A-Za-z_])"):
        call()
