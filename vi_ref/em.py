"""EM for Gaussian mixtures: coordinate ascent on the ELBO.

The lecture ("EM Algorithm and Variational Inference") writes EM as alternating
maximisation of

    ELBO(θ, q) = (1/N) Σₙ E_q(zₙ)[log p(xₙ, zₙ | θ) − log q(zₙ)]
               = (1/N) Σₙ [log p(xₙ | θ) − KL(q(zₙ) ‖ p(zₙ | xₙ, θ))]

    E-step:  q(zₙ) = p(zₙ | xₙ, θ): the KL term vanishes, the bound is tight;
    M-step:  θ ← argmax_θ E_q[log p(X, Z | θ)] with q held fixed.

``e_step`` and ``m_step`` are those two steps for ``models.GaussianMixture``
(defined, with the kernels that make them fast, in ``vi_ref.em_steps``), and
``GaussianMixtureEM`` alternates them: the estimator's loop, its initialisation and
scikit-learn's interface and meanings (``elbo_history_`` records the ELBO after every
E-step and every M-step, so the pattern "tight, then raised" can be inspected).
Everything is derived in ``derivations/04-em-for-gaussian-mixtures.md``; the
differences from scikit-learn are listed in ``docs/em-vs-scikit-learn.md``.
"""

import inspect
import time
import warnings
from dataclasses import dataclass

import numpy as np

from .em_steps import (
    _centre,
    _check_columns,
    _check_data,
    _elbo_after_m_step,
    _expectation,
    _group_by_mode,
    _grouped,
    _live,
    _log_joint,
    _log_joint_into,
    _maximization,
    _weighted_sums,
    e_step,
    m_step,
)
from .models.gaussian_mixture import (
    GaussianMixture,
    check_covariance_type,
    most_responsible,
    parameter_shape,
    posterior_from_log_joint,
    squared_mahalanobis,
)
from .numerics import cholesky
from .validation import (
    as_float_array,
    as_generator,
    check_count,
    check_flag,
    check_positive,
    check_probability_vector,
    check_size,
    check_tolerance,
)

__all__ = [
    "e_step",
    "m_step",
    "GaussianMixtureEM",
    "ConvergenceWarning",
    "NotFittedError",
    "INIT_PARAMS",
]

# Lloyd steps after the k-means++ seeding, by init_params: "kmeans" runs k-means to a
# fixed point (at most 300 steps, scikit-learn's KMeans default), "k-means++" uses the
# seeds alone, and vi_ref's own "kmeans++" takes a few steps.
LLOYD_STEPS = {"kmeans": 300, "k-means++": 0, "kmeans++": 10}
INIT_PARAMS = (*LLOYD_STEPS, "random", "random_from_data")
# Every start is a full EM run: more than this many is a mistake, not a request.
MAX_N_INIT = 10**6


class ConvergenceWarning(UserWarning):
    """EM stopped at ``max_iter`` before the log-likelihood changed by less than ``tol``.

    A ``UserWarning``, as scikit-learn's ``sklearn.exceptions.ConvergenceWarning``,
    and of the same name, so that filters written by name for it also apply here."""


class NotFittedError(ValueError, AttributeError):
    """The estimator is used before ``fit``. Subclasses ``ValueError`` and
    ``AttributeError``, as scikit-learn's ``sklearn.exceptions.NotFittedError`` does,
    so that code catching either (or ``hasattr``) behaves the same."""


def _first_distinct_rows(X, count, order):
    """The first ``count`` indices in ``order`` (fewer if there are fewer) whose rows
    of X are pairwise different, −0.0 and 0.0 counting as equal. The first 4·count
    indices are tried before all of them, so that the usual case sorts no more."""
    for candidates in (order[: 4 * count], order):
        # + 0.0 turns −0.0 into 0.0, which np.unique would otherwise tell apart
        _, first = np.unique(X[candidates] + 0.0, axis=0, return_index=True)
        if len(first) >= count:
            break
    return candidates[np.sort(first)[:count]]


# ---------------------------------------------------------------------------
# Initialisation
# ---------------------------------------------------------------------------


def _squared_distances(X, centres):
    """‖xₙ − cⱼ‖², (N, J): the squared Mahalanobis distance of unit-variance components."""
    return squared_mahalanobis(X, centres, np.ones(len(centres)), "spherical")


def _kmeans_plusplus(X, n_clusters, generator):
    """k-means++ seeding (Arthur & Vassilvitskii 2007), greedy variant: each new centre
    is the best, by the resulting Σₙ minⱼ ‖xₙ − cⱼ‖², of 2 + ⌊log K⌋ candidates drawn
    with probability ∝ the squared distance to the nearest centre so far. Points at
    distance 0 are never drawn, so the centres are distinct points."""
    n_samples = X.shape[0]
    trials = 2 + int(np.log(n_clusters))
    first = generator.integers(n_samples)
    centres = [X[first]]
    closest = _squared_distances(X, X[first][None])[:, 0]
    for _ in range(1, n_clusters):
        cumulative = np.cumsum(closest)
        draws = generator.uniform(size=trials) * cumulative[-1]
        candidates = np.minimum(np.searchsorted(cumulative, draws, side="right"), n_samples - 1)
        distances = np.minimum(closest[:, None], _squared_distances(X, X[candidates]))
        best = int(np.argmin(distances.sum(axis=0)))
        centres.append(X[candidates[best]])
        closest = distances[:, best]
    return np.array(centres)


def _one_hot(labels, n_components):
    """(K, N) responsibilities putting all of each sample on its label."""
    responsibilities = np.zeros((n_components, len(labels)))
    responsibilities[labels, np.arange(len(labels))] = 1.0
    return responsibilities


def _kmeans(X, n_clusters, generator, max_steps):
    """k-means++ seeds, then up to ``max_steps`` Lloyd steps, stopping at a fixed
    point: (labels (N,), centres (K, D)). A step that would empty a cluster that has
    points is not taken. Clusters are empty only when X has fewer than K distinct rows
    (the seeds are then repeated); their centres stay at their seeds."""
    centres = _kmeans_plusplus(X, n_clusters, generator)
    labels = np.argmin(_squared_distances(X, centres), axis=1)
    for _ in range(max_steps):
        counts = np.bincount(labels, minlength=n_clusters)
        filled = counts > 0
        # each centre is the mean of its cluster, μₖ = Σₙ rₖₙ xₙ / Nₖ with hard r
        sums = _weighted_sums(X, _one_hot(labels, n_clusters))
        centres[filled] = sums[filled] / counts[filled, None]
        new_labels = np.argmin(_squared_distances(X, centres), axis=1)
        emptied = np.count_nonzero(np.bincount(new_labels, minlength=n_clusters)) < filled.sum()
        if emptied or np.array_equal(new_labels, labels):
            break
        labels = new_labels
    return labels, centres


def _distinct_sample_indices(X, count, generator):
    """Indices of ``count`` rows drawn uniformly without replacement, in random order,
    keeping only the first of equal rows while there are enough distinct ones (when
    X has fewer than ``count`` distinct rows, repeated rows fill the rest)."""
    order = generator.permutation(X.shape[0])
    chosen = _first_distinct_rows(X, count, order)
    if len(chosen) < count:
        others = order[~np.isin(order, chosen)]
        chosen = np.concatenate([chosen, others[: count - len(chosen)]])
    return chosen


def _pooled_covariances(X, covariance_type, n_components, reg_covar):
    """Every component gets the covariance of the whole data set (one-component M-step)."""
    pooled = _maximization(X, np.ones((1, X.shape[0])), covariance_type, reg_covar, None)
    if covariance_type == "tied":
        return pooled.covariances
    return np.repeat(pooled.covariances, n_components, axis=0)


# ---------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------


def _as_generator(value, name):
    """A ``np.random.Generator`` from ``value``: a Generator, SeedSequence or
    BitGenerator, a non-negative integer seed or None (SPEC 7). For ``random_state``
    only, also a legacy ``np.random.RandomState``: a seed is drawn from it, so that it
    advances as scikit-learn's estimators advance it. A bool, float or string is a
    TypeError, a negative seed a ValueError (``validation.as_generator``), both naming
    ``name``."""
    if isinstance(value, np.random.RandomState):
        if name != "random_state":
            raise TypeError(f"{name} must be a numpy.random.Generator, an integer seed or"
                            " None; got a legacy RandomState (pass it as random_state)")
        value = value.randint(np.iinfo(np.int32).max, size=4)
    generator = as_generator(value, name)
    # the starts' generators are spawned from it (SeedSequence.spawn)
    if not isinstance(generator.bit_generator.seed_seq, np.random.SeedSequence):
        raise TypeError(f"{name} must be a Generator whose bit generator has a SeedSequence"
                        " (one made by np.random.default_rng or from a seed)")
    return generator


def _estimator_generator(rng, random_state):
    """The generator of an estimator given ``rng`` or scikit-learn's ``random_state``
    (at most one of them)."""
    if rng is not None and random_state is not None:
        raise ValueError("give rng or random_state (scikit-learn's name for it), not both")
    return (_as_generator(random_state, "random_state") if rng is None
            else _as_generator(rng, "rng"))


def _check_n_init(n_init):
    """The number of starts as an ``int`` in [1, MAX_N_INIT]."""
    n_init = check_count(n_init, "n_init", minimum=1)
    if n_init > MAX_N_INIT:
        raise ValueError(f"n_init must be <= {MAX_N_INIT}; got {n_init}")
    return n_init


def _check_progress(warm_start, verbose, verbose_interval):
    """(warm_start, verbose, verbose_interval) checked: a bool, a level ≥ 0 (which
    scikit-learn also accepts as a bool) and an interval ≥ 1."""
    verbose = (int(verbose) if isinstance(verbose, (bool, np.bool_))
               else check_count(verbose, "verbose", minimum=0))
    return (check_flag(warm_start, "warm_start"), verbose,
            check_count(verbose_interval, "verbose_interval", minimum=1))


def _check_weights_init(weights, n_components):
    """Starting weights, shape (K,), non-negative, summing to 1 within scikit-learn's
    tolerance for their dtype (1e-6 for float32, 1e-8 otherwise), renormalised."""
    tolerance = 1e-6 if np.asarray(weights).dtype == np.float32 else 1e-8
    weights = as_float_array(weights, "weights_init", ndim=1)
    if weights.shape != (n_components,):
        raise ValueError(f"weights_init must have shape ({n_components},); got {weights.shape}")
    check_probability_vector(weights, "weights_init", rtol=tolerance / n_components)
    return weights / weights.sum()


def _check_precisions_init(precisions, covariance_type, n_components, n_features):
    precisions = as_float_array(precisions, "precisions_init")
    shape = parameter_shape(covariance_type, n_components, n_features)
    if precisions.shape != shape:
        raise ValueError(
            f"precisions_init must have shape {shape} for covariance_type="
            f"{covariance_type!r}; got {precisions.shape}"
        )
    if covariance_type in ("full", "tied"):
        cholesky(precisions, "precisions_init")
    else:
        check_positive(precisions, "precisions_init")
    return precisions


def _is_default(value, default):
    """Whether a parameter still has its default value (for the repr)."""
    if value is default:
        return True
    try:
        return type(value) is type(default) and bool(value == default)
    except (TypeError, ValueError):  # an array compared with a scalar
        return False


def _precisions(model):
    """Λₖ = Pₖ Pₖᵀ from the precision Cholesky factors, shaped like the covariances."""
    factor = model.precisions_cholesky
    if model.covariance_type in ("full", "tied"):
        return factor @ np.swapaxes(factor, -1, -2)
    return factor**2


@dataclass
class _Settings:
    n_components: int
    covariance_type: str
    tol: float
    reg_covar: float
    max_iter: int
    n_init: int
    init_params: str
    weights_init: np.ndarray
    means_init: np.ndarray
    precisions_init: np.ndarray
    generator: np.random.Generator
    warm_start: bool
    verbose: int
    verbose_interval: int


@dataclass
class _Run:
    model: GaussianMixture
    lower_bound: float
    lower_bounds: np.ndarray
    n_iter: int
    converged: bool
    elbo_history: np.ndarray


class _ScikitLearnParameters:
    """scikit-learn's parameter protocol for an estimator whose constructor stores its
    keyword arguments unchanged (they are validated by ``fit``): ``get_params``,
    ``set_params``, a repr of the changed arguments and scikit-learn's tags, so that
    ``sklearn.base.clone``, ``Pipeline`` and ``GridSearchCV`` work with it. Shared by
    ``GaussianMixtureEM``, ``cavi.BayesianGaussianMixtureCAVI`` and
    ``cavi.UnitVarianceMixtureCAVI``."""

    @classmethod
    def _parameter_names(cls):
        return [name for name in inspect.signature(cls.__init__).parameters if name != "self"]

    def get_params(self, deep=True):
        """The constructor's arguments as stored, {name: value}. No parameter is an
        estimator, so ``deep`` (kept for scikit-learn) changes nothing."""
        return {name: getattr(self, name) for name in self._parameter_names()}

    def set_params(self, **params):
        """Set constructor arguments by name (stored unchanged, validated by ``fit``);
        returns self. An unknown name is a ValueError, as in scikit-learn."""
        names = self._parameter_names()
        for name, value in params.items():
            if name not in names:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {type(self).__name__};"
                    f" valid parameters are: {sorted(names)}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self):
        defaults = inspect.signature(type(self).__init__).parameters
        changed = [f"{name}={value!r}" for name, value in self.get_params().items()
                   if not _is_default(value, defaults[name].default)]
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self):
        """scikit-learn's tags (called only by scikit-learn, so importing it here
        adds no run-time dependency): an unsupervised density estimator."""
        from sklearn.utils import InputTags, Tags, TargetTags

        return Tags(estimator_type="density_estimator", target_tags=TargetTags(required=False),
                    input_tags=InputTags())


class GaussianMixtureEM(_ScikitLearnParameters):
    """Maximum-likelihood Gaussian mixture by EM, a scikit-learn estimator.

    Where a name is shared with ``sklearn.mixture.GaussianMixture`` the meaning is
    the same: covariance types ``full``/``tied``/``diag``/``spherical``; ``reg_covar``
    added to the diagonal in the M-step; EM stops when the mean log-likelihood changes
    by less than ``tol`` between iterations, or after ``max_iter`` iterations (with a
    ``ConvergenceWarning``); ``n_init`` starts, the one with the highest bound wins;
    given ``weights_init``, ``means_init`` and ``precisions_init`` EM starts from
    exactly those parameters (each one given overrides the one ``init_params`` makes).
    ``get_params``/``set_params`` follow scikit-learn's rules (the constructor stores
    its arguments unchanged; they are validated by ``fit``), so ``sklearn.base.clone``,
    ``Pipeline`` and ``GridSearchCV`` work with it; scikit-learn is not needed to use
    it. The remaining differences are listed in ``docs/em-vs-scikit-learn.md``.

    Args:
        n_components: K ≥ 1.
        covariance_type: ``"full"``, ``"tied"``, ``"diag"`` or ``"spherical"``.
        tol: convergence threshold (≥ 0) on the change of the mean log-likelihood.
        reg_covar: non-negative number added to the diagonal of every covariance.
        max_iter: number of EM iterations at most (0 keeps the initial parameters).
        n_init: number of starts (1 … 10⁶); their generators are spawned from ``rng``.
        init_params: how a start is made, then an M-step from the hard labels:
            ``"kmeans"`` k-means++ seeds and Lloyd steps to a fixed point;
            ``"k-means++"`` labels of the nearest k-means++ seed; ``"kmeans++"``
            (vi_ref's own) k-means++ seeds and at most 10 Lloyd steps; or ``"random"``
            (M-step from random responsibilities) or ``"random_from_data"`` (K distinct
            data points as means, equal weights, the data's covariance for every
            component).
        weights_init, means_init, precisions_init: optional starting parameters;
            precisions (inverse covariances) are shaped as the covariances. Weights
            summing to 1 within 1e-8 (1e-6 for float32) are renormalised.
        rng: ``np.random.Generator``, int seed or None (SPEC 7). A Generator is used
            as it is, not copied: each fit spawns its starts' generators from it and
            advances it, so two fits given the same Generator object start
            differently (as scikit-learn's RandomState instances do); an int seed
            gives the same fit every time.
        random_state: scikit-learn's name for ``rng``, accepted so that code written
            for scikit-learn (and its tools, which set ``random_state``) runs
            unchanged; it also accepts a legacy ``np.random.RandomState``. Give at
            most one of the two.
        warm_start: if true and the estimator is fitted, ``fit`` continues from the
            fitted parameters (one start, ``*_init`` and ``n_init`` ignored), exactly
            as if the previous run had gone on.
        verbose: 0 silent, 1 prints each start and every ``verbose_interval``-th
            iteration, 2 also the time and the change of the log-likelihood.
        verbose_interval: iterations between two printed lines (≥ 1).

    Attributes after ``fit``:
        model_: the fitted ``models.GaussianMixture``; weights_, means_,
        covariances_, precisions_, precisions_cholesky_: its parameters; converged_;
        n_iter_ (M-steps taken); lower_bound_: the mean log-likelihood of the fitted
        model on the training data — the ELBO after a final E-step, where it is tight
        (at least scikit-learn's value, which is the bound before the last M-step);
        lower_bounds_: scikit-learn's per-iteration bounds, the mean log-likelihood at
        each E-step; elbo_history_: the ELBO after each E-step and each M-step of the
        best start, [E₁, M₁, E₂, M₂, …, Eₙ, Mₙ, E_final]; n_features_in_.

    Monotonicity (derivation 04, section 4): every E-step raises the ELBO to the
    log-likelihood. With reg_covar = 0 every M-step raises it too, so the
    log-likelihood never decreases. With reg_covar = λ > 0 (scikit-learn's
    regularisation) the M-step maximises E_q[log p] − (λ/2) Σₖ Nₖ tr(Σₖ⁻¹) instead, and
    only ELBO(θ', q) − ELBO(θ, q) ≥ (λ/2N) Σₖ Nₖ [tr(Σ'ₖ⁻¹) − tr(Σₖ⁻¹)] is guaranteed:
    the log-likelihood can fall, by at most the decrease of that penalty.

    Empty components: a component whose responsibilities sum to less than the
    smallest normal number (2.2e-308) keeps its mean and covariance and gets the
    weight Nₖ/N, possibly exactly 0 (it is then never used again). That is still an
    exact M-step (exactly for Nₖ = 0; for 0 < Nₖ < 2.2e-308 it misses the argmax by a
    term of relative size Nₖ/N, below round-off), so the guarantee above is
    unchanged; the component is not re-seeded. With fewer distinct rows than
    components, k-means starts leave some components empty in this way.

    Data: float32 (or integer) X is accepted and computed in float64; the fitted
    parameters and every result are float64.

    Raises at ``fit``:
        ValueError: for X with NaN/inf, not 2-D, with fewer than 2 samples or fewer
            samples than components; invalid settings or starting parameters.
        TypeError: for settings of the wrong type (a bool where a number is expected).
    """

    def __init__(self, n_components=1, *, covariance_type="full", tol=1e-3, reg_covar=1e-6,
                 max_iter=100, n_init=1, init_params="kmeans", weights_init=None,
                 means_init=None, precisions_init=None, rng=None, random_state=None,
                 warm_start=False, verbose=0, verbose_interval=10):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.rng = rng
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval

    # ----- fitting --------------------------------------------------------------

    def _check_settings(self, n_features):
        n_components = check_count(self.n_components, "n_components", minimum=1)
        covariance_type = check_covariance_type(self.covariance_type)
        if not isinstance(self.init_params, str) or self.init_params not in INIT_PARAMS:
            raise ValueError(f"init_params must be one of {INIT_PARAMS}; got {self.init_params!r}")
        weights_init = means_init = precisions_init = None
        if self.weights_init is not None:
            weights_init = _check_weights_init(self.weights_init, n_components)
        if self.means_init is not None:
            means_init = as_float_array(self.means_init, "means_init", ndim=2)
            if means_init.shape != (n_components, n_features):
                raise ValueError(
                    f"means_init must have shape {(n_components, n_features)};"
                    f" got {means_init.shape}"
                )
        if self.precisions_init is not None:
            precisions_init = _check_precisions_init(
                self.precisions_init, covariance_type, n_components, n_features
            )
        generator = _estimator_generator(self.rng, self.random_state)
        warm_start, verbose, verbose_interval = _check_progress(
            self.warm_start, self.verbose, self.verbose_interval)
        return _Settings(
            n_components=n_components,
            covariance_type=covariance_type,
            tol=check_tolerance(self.tol, "tol"),
            reg_covar=check_tolerance(self.reg_covar, "reg_covar"),
            max_iter=check_size(check_count(self.max_iter, "max_iter", minimum=0), "max_iter"),  # sizes elbo_history_
            n_init=_check_n_init(self.n_init),
            init_params=self.init_params,
            weights_init=weights_init,
            means_init=means_init,
            precisions_init=precisions_init,
            generator=generator,
            warm_start=warm_start,
            verbose=verbose,
            verbose_interval=verbose_interval,
        )

    def _initial_model(self, X, settings, generator):
        """The starting mixture: from ``init_params``, then overridden by every
        ``*_init`` given (all three given: exactly those, nothing drawn)."""
        K, kind = settings.n_components, settings.covariance_type
        given = (settings.weights_init, settings.means_init, settings.precisions_init)
        if all(value is not None for value in given):
            return GaussianMixture.from_precisions(*given, covariance_type=kind)
        if settings.init_params == "random_from_data":
            means = X[_distinct_sample_indices(X, K, generator)]
            start = GaussianMixture(
                np.full(K, 1.0 / K), means,
                _pooled_covariances(X, kind, K, settings.reg_covar), covariance_type=kind,
            )
        elif settings.init_params == "random":
            responsibilities = generator.uniform(size=(K, X.shape[0]))
            responsibilities /= responsibilities.sum(axis=0)
            start = _maximization(X, responsibilities, kind, settings.reg_covar, None)
        else:
            labels, centres = _kmeans(X, K, generator, LLOYD_STEPS[settings.init_params])
            empty = np.bincount(labels, minlength=K) == 0
            # an empty cluster (X has fewer than K distinct rows) becomes an empty
            # component: weight 0, its seed as mean, the data's covariance
            seeds = None if not empty.any() else GaussianMixture(
                np.full(K, 1.0 / K), centres,
                _pooled_covariances(X, kind, K, settings.reg_covar), covariance_type=kind,
            )
            start = _maximization(X, _one_hot(labels, K), kind, settings.reg_covar, seeds)
        weights = start.weights if settings.weights_init is None else settings.weights_init
        means = start.means if settings.means_init is None else settings.means_init
        if settings.precisions_init is not None:
            return GaussianMixture.from_precisions(
                weights, means, settings.precisions_init, covariance_type=kind
            )
        return GaussianMixture(weights, means, start.covariances, covariance_type=kind)

    def _warm_start_model(self, n_features, settings):
        """The fitted model, to continue from; it must fit the current settings."""
        model = self.model_
        expected = (settings.n_components, n_features, settings.covariance_type)
        found = (model.n_components, model.n_features, model.covariance_type)
        if found != expected:
            raise ValueError(
                "warm_start: the fitted model has (n_components, n_features,"
                f" covariance_type) = {found} but the settings and X ask for {expected};"
                " fit with warm_start=False"
            )
        return model

    def _run(self, X, settings, model, centre, previous_log_likelihood=-np.inf):
        """One start: alternate E- and M-steps until the mean log-likelihood changes
        by less than tol (the criterion of scikit-learn: the change between the
        E-steps of successive iterations). ``previous_log_likelihood`` is that of the
        last E-step before ``model`` was made (−∞ for a new start); ``centre`` is the
        data's median (for ``_log_joint_into``)."""
        # one (K, N) buffer for log p(xₙ, k), reused by every E-step
        log_joint = _log_joint_into(model, X, np.empty((model.n_components, X.shape[0])), centre)
        responsibilities = np.empty_like(log_joint)  # the second and last (K, N) buffer
        history, lower_bounds = [], []
        converged = False
        n_iter = 0
        clock = time.perf_counter()
        for n_iter in range(1, settings.max_iter + 1):
            expectation = _expectation(log_joint, _live(model), responsibilities)
            history.append(expectation.elbo)
            lower_bounds.append(expectation.mean_log_likelihood)
            grouping = (_group_by_mode(expectation.responsibilities)
                        if _grouped(settings.covariance_type, X.shape[1]) else None)
            model = _maximization(X, expectation.responsibilities, settings.covariance_type,
                                  settings.reg_covar, model, grouping, centre)
            _log_joint_into(model, X, log_joint, centre, grouping)
            history.append(_elbo_after_m_step(log_joint, expectation, _live(model)))
            change = expectation.mean_log_likelihood - previous_log_likelihood
            if settings.verbose and n_iter % settings.verbose_interval == 0:
                now = time.perf_counter()
                print(f"  Iteration {n_iter}" + (
                    f"\t time lapse {now - clock:.5f}s\t ll change {change:.5f}"
                    if settings.verbose >= 2 else ""))
                clock = now
            if abs(change) < settings.tol:
                converged = True
                break
            previous_log_likelihood = expectation.mean_log_likelihood
        # a last E-step makes the bound tight at the returned parameters
        expectation = _expectation(log_joint, _live(model), responsibilities)
        history.append(expectation.elbo)
        return _Run(model, expectation.mean_log_likelihood, np.array(lower_bounds), n_iter,
                    converged, np.array(history))

    def fit(self, X, y=None):
        """Fit by EM from ``n_init`` starts (or, with ``warm_start``, from the fitted
        parameters); keep the start with the highest bound.

        Args:
            X: (N, D) data, finite, N ≥ max(2, n_components).
            y: ignored (scikit-learn's signature).

        Returns:
            self.
        """
        X = _check_data(X)
        settings = self._check_settings(X.shape[1])
        if X.shape[0] < max(2, settings.n_components):
            raise ValueError(
                f"X must have at least max(2, n_components) = {max(2, settings.n_components)}"
                f" samples; got n_samples = {X.shape[0]}"
            )
        if settings.warm_start and hasattr(self, "model_"):
            starts = [(self._warm_start_model(X.shape[1], settings),
                       self.lower_bounds_[-1] if len(self.lower_bounds_) else -np.inf)]
        else:
            # spawned one at a time: the same children as spawn(n_init), without
            # making n_init generators at once
            starts = ((self._initial_model(X, settings, settings.generator.spawn(1)[0]), -np.inf)
                      for _ in range(settings.n_init))
        centre = _centre(X)
        best = None
        for index, (start, previous_log_likelihood) in enumerate(starts):
            if settings.verbose:
                print(f"Initialization {index}")
            clock = time.perf_counter()
            run = self._run(X, settings, start, centre, previous_log_likelihood)
            if settings.verbose and settings.max_iter > 0:
                state = "converged" if run.converged else "did not converge"
                print(f"Initialization {state}." + (
                    f" time lapse {time.perf_counter() - clock:.5f}s\t lower bound"
                    f" {run.lower_bound:.5f}." if settings.verbose >= 2 else ""))
            if best is None or run.lower_bound > best.lower_bound:
                best = run
        self._set_fitted(best, X.shape[1])
        if not best.converged and settings.max_iter > 0:
            warnings.warn(
                f"EM did not converge: max_iter = {settings.max_iter} iterations ended the"
                f" best start before the mean log-likelihood changed by less than tol ="
                f" {settings.tol}; increase max_iter or tol, or check for degenerate data",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def _set_fitted(self, run, n_features):
        self.model_ = run.model
        self.weights_ = run.model.weights
        self.means_ = run.model.means
        self.covariances_ = run.model.covariances
        self.precisions_cholesky_ = run.model.precisions_cholesky
        self.precisions_ = _precisions(run.model)
        self.converged_ = run.converged
        self.n_iter_ = run.n_iter
        self.lower_bound_ = run.lower_bound
        self.lower_bounds_ = run.lower_bounds
        self.elbo_history_ = run.elbo_history
        self.n_features_in_ = n_features

    def fit_predict(self, X, y=None):
        """``fit(X)``, then the labels of X under the fitted model (= ``predict(X)``)."""
        return self.fit(X).predict(X)

    # ----- using the fitted model ----------------------------------------------------

    def _fitted_model(self):
        if not hasattr(self, "model_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(X) first"
            )
        return self.model_

    def _check_X(self, X):
        model = self._fitted_model()
        return model, _check_columns(X, model.n_features, type(self).__name__)

    def predict_proba(self, X):
        """Responsibilities p(z = k | xₙ) of the fitted model, (N, K)."""
        model, X = self._check_X(X)
        responsibilities, _ = posterior_from_log_joint(_log_joint(model, X), axis=0, points="X")
        return responsibilities.T

    def predict(self, X):
        """Most responsible component argmaxₖ log p(xₙ, k), (N,) integer labels."""
        model, X = self._check_X(X)
        return most_responsible(_log_joint(model, X), axis=0, points="X")

    def score_samples(self, X):
        """log p(xₙ) under the fitted model, (N,)."""
        model, X = self._check_X(X)
        return model.log_marginal(X)

    def score(self, X, y=None):
        """Mean log-likelihood (1/N) Σₙ log p(xₙ); ``y`` is ignored (scikit-learn's
        signature, so that ``Pipeline`` and ``GridSearchCV`` can score with it)."""
        return float(np.mean(self.score_samples(X)))

    def sample(self, n_samples=1, rng=None):
        """``n_samples`` draws (X (n, D), component labels (n,)) from the fitted model,
        in random order. ``rng`` defaults, as in scikit-learn, to the estimator's own
        ``rng`` (or ``random_state``): an integer seed gives the same draws each call."""
        model = self._fitted_model()
        n_samples = check_size(check_count(n_samples, "n_samples", minimum=1), "n_samples",
                               per_unit=model.n_features + 1)
        generator = (_estimator_generator(self.rng, self.random_state) if rng is None
                     else _as_generator(rng, "rng"))
        return model.sample(n_samples, rng=generator)

    def _n_parameters(self):
        """Free parameters: K − 1 weights, K·D means and the covariances' entries."""
        model = self._fitted_model()
        K, D = model.n_components, model.n_features
        covariance_parameters = {
            "full": K * D * (D + 1) // 2,
            "tied": D * (D + 1) // 2,
            "diag": K * D,
            "spherical": K,
        }[model.covariance_type]
        return covariance_parameters + K * D + K - 1

    def bic(self, X):
        """Bayesian information criterion −2 log p(X) + (free parameters) · log N."""
        _, X = self._check_X(X)
        return -2 * self.score(X) * X.shape[0] + self._n_parameters() * np.log(X.shape[0])

    def aic(self, X):
        """Akaike information criterion −2 log p(X) + 2 · (free parameters)."""
        _, X = self._check_X(X)
        return -2 * self.score(X) * X.shape[0] + 2 * self._n_parameters()
