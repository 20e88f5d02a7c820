"""EM for Gaussian mixtures: coordinate ascent on the ELBO.

The lecture ("EM Algorithm and Variational Inference") writes EM as alternating
maximisation of

    ELBO(θ, q) = (1/N) Σₙ E_q(zₙ)[log p(xₙ, zₙ | θ) − log q(zₙ)]
               = (1/N) Σₙ [log p(xₙ | θ) − KL(q(zₙ) ‖ p(zₙ | xₙ, θ))]

    E-step:  q(zₙ) = p(zₙ | xₙ, θ): the KL term vanishes, the bound is tight;
    M-step:  θ ← argmax_θ E_q[log p(X, Z | θ)] with q held fixed.

``e_step`` and ``m_step`` are those two steps for ``models.GaussianMixture``, and
``GaussianMixtureEM`` alternates them with scikit-learn's interface and meanings
(``elbo_history_`` records the ELBO after every E-step and every M-step, so the
pattern "tight, then raised" can be inspected). Everything is derived in
``derivations/04-em-for-gaussian-mixtures.md``.

Arrays inside the loop are component-major, (K, N): the sums over components of the
E-step and the per-component sums over samples of the M-step then both run over
contiguous memory. Covariances are always computed from data centred at each
component's mean, Σₙ rₙₖ (xₙ − μₖ)(xₙ − μₖ)ᵀ, never as E[x xᵀ] − μ μᵀ, which loses
every digit when the data sit far from the origin.
"""

import inspect
import numbers
import time
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse

from .models.gaussian_mixture import (
    LOG_2PI,
    GaussianMixture,
    check_covariance_type,
    parameter_shape,
    posterior_from_log_joint,
    row_chunks,
    squared_mahalanobis,
)
from .numerics import cholesky
from .validation import (
    as_float_array,
    check_positive,
    check_probability_vector,
    first_bad_index,
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
# A component whose responsibilities sum to less than the smallest normal float has
# lost its points: its mean Σ rₙ xₙ / Nₖ is 0/0 or made of subnormal numbers.
EMPTY_COMPONENT_COUNT = np.finfo(float).tiny
# diag and spherical kernels group the points by mode from this many features on
GROUPED_MIN_FEATURES = 16
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


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


def _check_data(X):
    """X as a float64 (N, D) array, N, D ≥ 1, finite; messages worded as scikit-learn's
    where its tools look for them (sparse, NaN, 0 samples or features)."""
    if scipy.sparse.issparse(X):
        raise TypeError("X must be a dense array; sparse input is not supported"
                        f" (got {type(X).__name__}); convert it with X.toarray()")
    if np.ndim(X) != 2:
        raise ValueError(f"X must be 2-dimensional (samples × features); got shape"
                         f" {np.shape(X)}. Reshape your data: X.reshape(-1, 1) for a single"
                         " feature, X.reshape(1, -1) for a single sample")
    X = as_float_array(X, "X", finite=False)
    bad = ~np.isfinite(X)
    if bad.any():
        raise ValueError(f"X must be finite (no NaN or inf); got {X[bad][0]}{first_bad_index(bad)}")
    for axis, name in enumerate(("sample", "feature")):
        if X.shape[axis] == 0:
            raise ValueError(f"X must have at least one {name}; got 0 {name}(s)"
                             f" (shape={X.shape}) while a minimum of 1 is required.")
    return X


def _check_columns(X, n_features, owner="GaussianMixture"):
    X = _check_data(X)
    if X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features, but {owner} is expecting {n_features}"
                         f" features as input (X must have {n_features} columns)")
    return X


def _check_real(value, name, *, minimum=0.0):
    """``value`` as a float: a real number (not a bool), finite and >= ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    value = float(value)
    if not value >= minimum or value == np.inf:  # NaN fails the first comparison
        raise ValueError(f"{name} must be a finite number >= {minimum:g}; got {value}")
    return value


def _check_integer(value, name, *, minimum, maximum=None):
    """``value`` as an int (a Python or NumPy integer, not a bool) in [minimum, maximum]."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {type(value).__name__}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}; got {value}")
    return value


def _check_model(model):
    if not isinstance(model, GaussianMixture):
        raise TypeError(f"model must be a models.GaussianMixture; got {type(model).__name__}")
    return model


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
# The ELBO, the E-step and the M-step (component-major arrays)
# ---------------------------------------------------------------------------


@dataclass
class _Expectation:
    """What the E-step leaves for the M-step and the ELBO, all from (K, N) arrays."""

    responsibilities: np.ndarray  # (K, N), q(zₙ = k) = p(zₙ = k | xₙ, θ)
    mean_log_likelihood: float  # (1/N) Σₙ log p(xₙ | θ)
    elbo: float  # ELBO(θ, q) from its definition; equals mean_log_likelihood
    negative_entropy: float  # Σₙ Σₖ qₙₖ log qₙₖ, reused by the ELBO after the M-step


def _expected_log_joint(log_joint, responsibilities, components):
    """Σₙ Σₖ qₙₖ log p(xₙ, k) over the listed components (the others have q ≡ 0 and
    may have log p = −∞, a weight of 0, where 0 · log p would be NaN)."""
    if len(components) < len(log_joint):
        log_joint, responsibilities = log_joint[components], responsibilities[components]
    # einsum rather than np.vdot: BLAS's dot wakes worker threads whose spinning then
    # slows the elementwise work that follows (measured on 2 cores)
    return float(np.einsum("kn,kn->", responsibilities, log_joint))


def _expectation(log_joint, components, out=None):
    """E-step from log p(xₙ, k) as (K, N), for a model whose components of positive
    weight are ``components``: q = posterior, and the ELBO at q from its definition

        ELBO(θ, q) = (1/N) Σₙ Σₖ qₙₖ [log p(xₙ, k | θ) − log qₙₖ],

    which equals (1/N) Σₙ log p(xₙ) since KL(q ‖ p(z | x)) = 0. Computed on blocks
    of columns that stay in cache; the responsibilities are written into ``out`` (a
    (K, N) buffer) if given.
    """
    n_components, n_samples = log_joint.shape
    responsibilities = np.empty_like(log_joint) if out is None else out
    log_evidence = np.empty(n_samples)
    expected = negative_entropy = 0.0
    for start, stop in row_chunks(n_samples, n_components):
        block = log_joint[:, start:stop]
        posterior, log_evidence[start:stop] = posterior_from_log_joint(block, axis=0)
        responsibilities[:, start:stop] = posterior
        expected += _expected_log_joint(block, posterior, components)
        # log qₙₖ = log p(xₙ, k) − log p(xₙ)
        log_q = block - log_evidence[start:stop]
        negative_entropy += _expected_log_joint(log_q, posterior, components)
    return _Expectation(
        responsibilities=responsibilities,
        mean_log_likelihood=float(np.mean(log_evidence)),
        elbo=(expected - negative_entropy) / n_samples,
        negative_entropy=negative_entropy,
    )


def _elbo_after_m_step(log_joint, expectation, components):
    """ELBO(θ_new, q) = (1/N) [Σₙ Σₖ qₙₖ log p(xₙ, k | θ_new) − Σₙ Σₖ qₙₖ log qₙₖ]."""
    expected = _expected_log_joint(log_joint, expectation.responsibilities, components)
    return (expected - expectation.negative_entropy) / log_joint.shape[1]


def _live(model):
    """Indices of the components of positive weight."""
    return np.flatnonzero(model.weights > 0)


def _log_joint(model, X):
    """log p(xₙ, k) as a contiguous (K, N) array (the transpose is a view, no copy)."""
    return np.ascontiguousarray(model.log_joint_components(X).T)


def _log_joint_into(model, X, out, centre, grouping=None):
    """The E-step's kernel: log p(xₙ, k) = log πₖ + log det Pₖ − (D/2) log 2π
    − ½ ‖Pₖᵀ(xₙ − μₖ)‖² written into the (K, N) buffer ``out``, for validated X. The
    formula is ``GaussianMixture.log_joint_components``'s (its independent check in
    the tests); this kernel specialises the work per covariance type, on chunks of
    rows transposed to (D, rows):

        full:       one product per chunk with the K factors stacked
                    (``_stacked_distances_into``), about the data's median c;
        diag:       each chunk centred at each μₖ, then multiplied by Pₖᵀ;
        spherical:  ‖xₙ − μₖ‖² from the centred chunk, times p²ₖ after the sum over d;
        tied:       one product Pᵀ(xₙ − c), shared by the K components, minus
                    Pᵀ(μₖ − c), with c the data's median: K times fewer flops. c removes
                    any common offset exactly; the rounding is eps·‖Pᵀ(xₙ − c)‖
                    rather than eps·‖Pᵀ(xₙ − μₖ)‖;
        diag, spherical with a ``grouping`` (the points grouped by their most
                    responsible component, ``_group_by_mode``): products by BLAS with
                    each point centred at its group's mean (``_diagonal_distances_into``).
    """
    n_samples, n_features = X.shape
    kind, means, factors = model.covariance_type, model.means, model.precisions_cholesky
    if grouping is not None and kind in ("diag", "spherical") and _grouped(kind, n_features):
        precisions = np.broadcast_to((factors**2).reshape(len(means), -1), means.shape)
        _diagonal_distances_into(X, means, precisions, grouping, out)
    else:
        _distances_into(X, kind, means, factors, centre, out)
    out *= -0.5
    out += (model._log_weights + model._log_det_precision_cholesky
            - 0.5 * n_features * LOG_2PI)[:, None]
    return out


def _diagonal_distances_into(X, means, precisions, grouping, out):
    """‖Pₖᵀ(xₙ − μₖ)‖² = Σ_d λₖd (xₙd − μₖd)² for diagonal precisions λ (K, D), into
    the (K, N) ``out``, by two products per group: with x̃ₙ = xₙ − μⱼ and δₖ = μₖ − μⱼ
    for the points of group j (``_group_by_mode`` of the last responsibilities),

        Σ_d λₖd (x̃ₙd − δₖd)² = λₖ·x̃ₙ² − 2 (λₖ ∘ δₖ)·x̃ₙ + λₖ·δₖ².

    Rounding eps·(‖x̃ₙ‖² + ‖δₖ‖²) in the metric of k, from the mode, not the origin.
    """
    for j, group in _groups(grouping, X.shape[1]):
        centred = X[group] - means[j]
        differences = means - means[j]
        scaled = precisions * differences
        distances = precisions @ np.square(centred).T
        distances -= 2 * (scaled @ centred.T)
        distances += np.sum(scaled * differences, axis=1)[:, None]
        out[:, group] = distances


def _centre(X):
    """A point in the middle of the data for the kernels to centre at: the median of
    at most ~4096 evenly spaced rows (not the mean, which far outliers could move away
    from the data; not the median of all rows, which would copy X)."""
    return np.median(X[:: max(1, X.shape[0] // 4096)], axis=0)


def _distances_into(X, kind, means, factors, centre, out):
    """‖Pₖᵀ(xₙ − μₖ)‖² into the (K, N) ``out``, chunk by chunk (see ``_log_joint_into``)."""
    if kind == "full":
        return _stacked_distances_into(X, means, factors, centre, out)
    n_samples, n_features = X.shape
    if kind == "tied":
        transposed = np.ascontiguousarray(factors.T)
        offsets = (means - centre) @ factors  # row k: (Pᵀ(μₖ − c))ᵀ
    for start, stop in row_chunks(n_samples, n_features):
        columns = np.ascontiguousarray(X[start:stop].T)
        work = np.empty_like(columns)
        if kind == "tied":
            columns -= centre[:, None]
            shared = transposed @ columns
        for k, mean in enumerate(means):
            if kind == "tied":
                squared = np.subtract(shared, offsets[k][:, None], out=work)
            else:
                squared = np.subtract(columns, mean[:, None], out=work)
                if kind == "diag":
                    squared *= factors[k][:, None]
            np.einsum("dn,dn->n", squared, squared, out=out[k, start:stop])
    if kind == "spherical":
        out *= (factors**2)[:, None]
    return out


def _stacked_distances_into(X, means, factors, centre, out):
    """Full covariances: the K factors stacked into one (K·D, D) matrix of rows Pₖᵀ,
    so that each chunk takes one product, [Pₖᵀ(xₙ − c)]ₖ, minus Pₖᵀ(μₖ − c). The
    centre c (the data's median) removes any common offset exactly; the rounding is
    eps·‖Pₖᵀ(xₙ − c)‖, which matters only where it is small, near the data."""
    n_components, n_features = means.shape
    stacked = np.swapaxes(factors, -1, -2).reshape(n_components * n_features, n_features)
    offsets = np.einsum("kij,ki->kj", factors, means - centre).reshape(-1, 1)
    for start, stop in row_chunks(X.shape[0], n_components * n_features):
        columns = X[start:stop].T - centre[:, None]
        projected = stacked @ columns
        projected -= offsets
        projected = projected.reshape(n_components, n_features, -1)
        np.einsum("kdn,kdn->kn", projected, projected, out=out[:, start:stop])
    return out


def _weighted_sums(X, responsibilities):
    """Σₙ rₖₙ xₙ for (K, N) responsibilities: (K, D), the numerators of the means.

    Summed over chunks of rows: cache-sized products stay below OpenBLAS's threshold
    for waking worker threads, whose spinning would slow the elementwise work after.
    """
    sums = np.zeros((responsibilities.shape[0], X.shape[1]))
    for start, stop in row_chunks(*X.shape):
        sums += responsibilities[:, start:stop] @ X[start:stop]
    return sums


def _scatter(X, responsibilities, means, components, covariance_type, grouping=None):
    """The M-step's second moments about the new means, for validated X (N, D),
    (K, N) responsibilities r and means (K, D), over the listed ``components``:

        full:      Sₖ = Σₙ rₖₙ (xₙ − μₖ)(xₙ − μₖ)ᵀ      (K, D, D), only ``components``
        diag:      Sₖ = Σₙ rₖₙ (xₙ − μₖ)²                (K, D)
        spherical: Sₖ = Σₙ rₖₙ ‖xₙ − μₖ‖²               (K,)
        tied:      S  = Σₖ Σₙ rₖₙ (xₙ − μₖ)(xₙ − μₖ)ᵀ   (D, D), by ``_tied_scatter``.

    Each chunk of rows is centred at μₖ before anything is summed (the centred
    moments of derivation 04, section 5; ``centred_moments`` computes the same sums
    with the first moments, for the gradient): no digit is lost far from the origin.
    Where ``_grouped``, each point is centred at the mean of its most responsible
    component instead (``_group_by_mode``), which lets BLAS do the work.
    """
    if _grouped(covariance_type, X.shape[1]):
        grouping = _group_by_mode(responsibilities) if grouping is None else grouping
        if covariance_type == "tied":
            return _tied_scatter(X, responsibilities, means, grouping)
        diagonal = _diagonal_scatter(X, responsibilities, means, grouping)
        return diagonal if covariance_type == "diag" else diagonal.sum(axis=1)
    n_samples, n_features = X.shape
    scatter = np.zeros(parameter_shape(covariance_type, len(means), n_features))
    for start, stop in row_chunks(n_samples, n_features):
        columns = np.ascontiguousarray(X[start:stop].T)
        weights = responsibilities[:, start:stop]
        if covariance_type == "full":
            weights = np.sqrt(weights)
        centred = np.empty_like(columns)
        for k in components:
            np.subtract(columns, means[k][:, None], out=centred)
            if covariance_type == "full":
                centred *= weights[k]
                scatter[k] += centred @ centred.T  # a symmetric rank-rows update
            elif covariance_type == "diag":
                np.square(centred, out=centred)
                scatter[k] += centred @ weights[k]
            else:
                scatter[k] += np.einsum("dn,dn->n", centred, centred) @ weights[k]
    return scatter


def _grouped(covariance_type, n_features):
    """Whether the kernels group the points by mode (``_group_by_mode``): always for
    tied (it saves a factor K of flops), for diag and spherical from
    ``GROUPED_MIN_FEATURES`` features on (below, the gathers cost more than the
    products save: measured with benchmarks/em.py's problems, 2× slower at D = 8,
    1.5–2× faster at D = 32)."""
    return covariance_type == "tied" or (
        covariance_type in ("diag", "spherical") and n_features >= GROUPED_MIN_FEATURES
    )


def _group_by_mode(responsibilities):
    """The points grouped by their most responsible component j, as (order, bounds):
    the points of group j are order[bounds[j]:bounds[j + 1]]. Centring each point at
    the mean of its own group is what keeps the grouped kernels exact far from the
    origin."""
    n_components = responsibilities.shape[0]
    # the argmax over k, row by row (np.argmax along axis 0 would copy the (K, N)
    # array into the other order); a stable sort of 16-bit keys is a radix sort
    labels = np.zeros(responsibilities.shape[1],
                      np.uint16 if n_components <= 1 << 16 else np.intp)
    best = responsibilities[0].copy()
    for k in range(1, n_components):
        better = responsibilities[k] > best
        labels[better] = k
        np.maximum(best, responsibilities[k], out=best)
    order = np.argsort(labels, kind="stable")
    return order, np.searchsorted(labels[order], np.arange(n_components + 1))


def _groups(grouping, n_features):
    """(j, indices) for cache-sized pieces of each group of ``_group_by_mode``: pieces
    of rows for which the (D, rows) and (K, rows) temporaries both stay small."""
    order, bounds = grouping
    width = n_features + len(bounds) - 1
    for j in range(len(bounds) - 1):
        for start, stop in row_chunks(bounds[j + 1] - bounds[j], width):
            yield j, order[bounds[j] + start: bounds[j] + stop]


def _tied_scatter(X, responsibilities, means, grouping):
    """S = Σₙ Σₖ rₖₙ (xₙ − μₖ)(xₙ − μₖ)ᵀ with two products of size N·D² in all,
    instead of one per component, and no cancellation. With j the most responsible
    component of xₙ, x̃ₙ = xₙ − μⱼ (centred), δₖ = μₖ − μⱼ and eₙ = Σₖ rₖₙ δₖ
    (Σₖ rₖₙ = 1), expanding (x̃ₙ − δₖ)(x̃ₙ − δₖ)ᵀ gives the identity

        Σₖ rₖₙ (xₙ − μₖ)(xₙ − μₖ)ᵀ = (x̃ₙ − eₙ)(x̃ₙ − eₙ)ᵀ + [Σₖ rₖₙ δₖδₖᵀ − eₙeₙᵀ]:

    the first term is a Gram matrix of centred data, the bracket the covariance of δ
    under rₙ, which is small and loses at most a factor ~K to cancellation because
    δ is measured from the mode j. Within group j, δ is fixed:
    Σₙ∈Gⱼ Σₖ rₖₙ δₖδₖᵀ = Σₖ (Σₙ∈Gⱼ rₖₙ) δₖδₖᵀ.
    """
    n_features = X.shape[1]
    gram = np.zeros((n_features, n_features))
    spread = np.zeros((n_features, n_features))
    totals = np.zeros((len(means), len(means)))  # row j: Σₙ∈Gⱼ rₖₙ
    for j, group in _groups(grouping, n_features):
        weights = responsibilities[:, group]
        shift = (means - means[j]).T @ weights  # eₙ as columns
        centred = X[group].T - means[j][:, None]
        centred -= shift
        gram += centred @ centred.T
        spread += shift @ shift.T
        totals[j] += weights.sum(axis=1)
    between = sum((means - mode).T * row @ (means - mode) for mode, row in zip(means, totals))
    return gram + (between - spread)


def _diagonal_scatter(X, responsibilities, means, grouping):
    """Sₖ = Σₙ rₖₙ (xₙ − μₖ)² (K, D) by three products per group: with x̃ₙ = xₙ − μⱼ
    and δₖ = μₖ − μⱼ for the points of group j,

        Σₙ∈Gⱼ rₖₙ (x̃ₙ − δₖ)² = Σₙ rₖₙ x̃ₙ² − 2 δₖ Σₙ rₖₙ x̃ₙ + δₖ² Σₙ rₖₙ   (per d).

    For k = j it is the centred sum itself (δ = 0); for k ≠ j the expansion rounds
    at eps·(x̃² + δ²), both measured from the mode, never from the origin.
    """
    scatter = np.zeros(means.shape)
    for j, group in _groups(grouping, means.shape[1]):
        weights = responsibilities[:, group]
        centred = X[group] - means[j]
        differences = means - means[j]
        scatter += weights @ np.square(centred)
        scatter -= 2 * differences * (weights @ centred)
        scatter += differences**2 * weights.sum(axis=1)[:, None]
    return scatter


def _maximization(X, responsibilities, covariance_type, reg_covar, previous, grouping=None):
    """M-step from (K, N) responsibilities: the argmax of E_q[log p(X, Z | θ)]
    (derivation 04), with ``reg_covar`` added to the diagonal of each covariance.
    ``grouping``: the points grouped by their most responsible component, if known.

    Empty-component policy: a component whose responsibilities sum to less than
    ``EMPTY_COMPONENT_COUNT`` gets weight Nₖ/N (0 or nearly) and keeps the mean and
    covariance of ``previous``. The expected complete-data log-likelihood does not
    depend on them then, so this is still an argmax (the ELBO still rises); the
    component is never re-seeded.
    """
    n_samples, n_features = X.shape
    counts = responsibilities.sum(axis=1)
    live = counts >= EMPTY_COMPONENT_COUNT
    components = np.flatnonzero(live)
    if previous is None and not live.all():
        raise ValueError(
            f"responsibilities give component {int(np.argmin(live))} a total of"
            f" {counts[~live][0]:.3g}: its mean and covariance are undetermined; pass"
            " previous= (a GaussianMixture whose parameters it keeps)"
        )
    weights = counts / counts.sum()
    means = np.empty((len(counts), n_features)) if previous is None else np.array(previous.means)
    means[live] = _weighted_sums(X, responsibilities)[live] / counts[live, None]
    scatter = _scatter(X, responsibilities, means, components, covariance_type, grouping)
    if covariance_type == "tied":
        # Σ = (1/N) Σₖ Σₙ rₖₙ (xₙ − μₖ)(xₙ − μₖ)ᵀ: empty components add nothing
        covariances = scatter / counts.sum() + reg_covar * np.eye(n_features)
    else:
        covariances = np.array(previous.covariances) if previous is not None else np.empty(
            parameter_shape(covariance_type, len(counts), n_features)
        )
        if covariance_type == "full":
            covariances[live] = (scatter[live] / counts[live, None, None]
                                 + reg_covar * np.eye(n_features))
        elif covariance_type == "diag":
            covariances[live] = scatter[live] / counts[live, None] + reg_covar
        else:
            covariances[live] = scatter[live] / (n_features * counts[live]) + reg_covar
    try:
        return GaussianMixture(weights, means, covariances, covariance_type=covariance_type)
    except ValueError as error:
        raise ValueError(
            f"M-step failed: {error}. A component has collapsed onto fewer than D + 1"
            " distinct points, or a feature has no spread within it; increase reg_covar"
            f" (now {reg_covar})"
        ) from error


# ---------------------------------------------------------------------------
# The public steps
# ---------------------------------------------------------------------------


def e_step(model, X):
    """E-step: q(zₙ) = p(zₙ | xₙ, θ), the responsibilities

        rₙₖ = πₖ N(xₙ | μₖ, Σₖ) / Σⱼ πⱼ N(xₙ | μⱼ, Σⱼ),

    and the ELBO at that q, (1/N) Σₙ Σₖ rₙₖ [log p(xₙ, k) − log rₙₖ], which equals
    the mean log-likelihood (1/N) Σₙ log p(xₙ) because KL(q ‖ p(z | x)) = 0
    (derivation 04).

    Args:
        model: a ``models.GaussianMixture`` (the current θ).
        X: (N, D) data.

    Returns:
        (responsibilities (N, K) — probabilities, each row summing to 1 —, elbo float).
    """
    model = _check_model(model)
    X = _check_columns(X, model.n_features)
    log_joint = _log_joint_into(model, X, np.empty((model.n_components, X.shape[0])), _centre(X))
    expectation = _expectation(log_joint, _live(model))
    return expectation.responsibilities.T, expectation.elbo


def m_step(X, responsibilities, covariance_type="full", reg_covar=1e-6, *, previous=None):
    """M-step: θ = argmax_θ Σₙ Σₖ rₙₖ [log πₖ + log N(xₙ | μₖ, Σₖ)] (derivation 04):

        Nₖ = Σₙ rₙₖ,   πₖ = Nₖ / N,   μₖ = Σₙ rₙₖ xₙ / Nₖ,
        full:      Σₖ = Σₙ rₙₖ (xₙ − μₖ)(xₙ − μₖ)ᵀ / Nₖ + reg_covar · I
        tied:      Σ  = Σₖ Σₙ rₙₖ (xₙ − μₖ)(xₙ − μₖ)ᵀ / N + reg_covar · I
        diag:      σ²ₖ = Σₙ rₙₖ (xₙ − μₖ)² / Nₖ + reg_covar        (elementwise)
        spherical: σ²ₖ = mean over d of the diag variances + reg_covar

    With reg_covar = 0 this is the exact argmax. reg_covar = λ > 0 keeps the
    covariances positive definite, as in scikit-learn; it makes the M-step the argmax
    of E_q[log p(X, Z | θ)] − (λ/2) Σₖ Nₖ tr(Σₖ⁻¹) instead, so the ELBO, and with it
    the log-likelihood, can fall, by at most the decrease of that penalty (a fall that
    is rarely visible unless λ is comparable to a variance, as within a cluster of
    duplicate points).

    Args:
        X: (N, D) data.
        responsibilities: (N, K), non-negative, rows summing to 1.
        covariance_type: ``"full"``, ``"tied"``, ``"diag"`` or ``"spherical"``.
        reg_covar: non-negative number added to the diagonal of the covariances.
        previous: optional ``GaussianMixture`` (same K, D and type); a component whose
            responsibilities sum to (almost) 0 keeps its mean and covariance (the
            empty-component policy, see ``GaussianMixtureEM``). Without it such a
            component is an error.

    Returns:
        a new ``models.GaussianMixture``.
    """
    X = _check_data(X)
    responsibilities = as_float_array(responsibilities, "responsibilities", ndim=2)
    if responsibilities.shape[0] != X.shape[0]:
        raise ValueError(
            f"responsibilities must have one row per sample of X ({X.shape[0]});"
            f" got shape {responsibilities.shape}"
        )
    check_probability_vector(responsibilities, "responsibilities", axis=1)
    check_covariance_type(covariance_type)
    reg_covar = _check_real(reg_covar, "reg_covar")
    if previous is not None:
        _check_model(previous)
        expected = (responsibilities.shape[1], X.shape[1], covariance_type)
        found = (previous.n_components, previous.n_features, previous.covariance_type)
        if found != expected:
            raise ValueError(
                "previous must have (n_components, n_features, covariance_type) ="
                f" {expected}; got {found}"
            )
    return _maximization(
        X, np.ascontiguousarray(responsibilities.T), covariance_type, reg_covar, previous
    )


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
    advances as scikit-learn's estimators advance it."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a numpy.random.Generator, an integer seed or None;"
                        " got bool")
    if isinstance(value, np.random.RandomState):
        if name != "random_state":
            raise TypeError(f"{name} must be a numpy.random.Generator, an integer seed or"
                            " None; got a legacy RandomState (pass it as random_state)")
        value = value.randint(np.iinfo(np.int32).max, size=4)
    try:
        generator = np.random.default_rng(value)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name} must be a numpy.random.Generator, an integer seed or None; got {value!r}"
        ) from error
    # the starts' generators are spawned from it (SeedSequence.spawn)
    if not isinstance(generator.bit_generator.seed_seq, np.random.SeedSequence):
        raise TypeError(f"{name} must be a Generator whose bit generator has a SeedSequence"
                        " (one made by np.random.default_rng or from a seed)")
    return generator


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


class GaussianMixtureEM:
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
        rng: ``np.random.Generator``, int seed or None (SPEC 7).
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

    Empty components: a component whose responsibilities sum to (almost) zero keeps
    its mean and covariance and gets the weight Nₖ/N, possibly exactly 0 (it is then
    never used again). That is still an exact M-step, so the guarantee above is
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

    # ----- scikit-learn's parameter protocol ---------------------------------------

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

    # ----- fitting --------------------------------------------------------------

    def _check_settings(self, n_features):
        n_components = _check_integer(self.n_components, "n_components", minimum=1)
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
        if self.rng is not None and self.random_state is not None:
            raise ValueError("give rng or random_state (scikit-learn's name for it), not both")
        generator = (_as_generator(self.random_state, "random_state") if self.rng is None
                     else _as_generator(self.rng, "rng"))
        if not isinstance(self.warm_start, (bool, np.bool_)):
            raise TypeError(f"warm_start must be a bool; got {type(self.warm_start).__name__}")
        # scikit-learn's verbose is a level that may also be given as a bool
        verbose = (int(self.verbose) if isinstance(self.verbose, (bool, np.bool_))
                   else _check_integer(self.verbose, "verbose", minimum=0))
        return _Settings(
            n_components=n_components,
            covariance_type=covariance_type,
            tol=_check_real(self.tol, "tol"),
            reg_covar=_check_real(self.reg_covar, "reg_covar"),
            max_iter=_check_integer(self.max_iter, "max_iter", minimum=0),
            n_init=_check_integer(self.n_init, "n_init", minimum=1, maximum=MAX_N_INIT),
            init_params=self.init_params,
            weights_init=weights_init,
            means_init=means_init,
            precisions_init=precisions_init,
            generator=generator,
            warm_start=bool(self.warm_start),
            verbose=verbose,
            verbose_interval=_check_integer(self.verbose_interval, "verbose_interval", minimum=1),
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
                                  settings.reg_covar, model, grouping)
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
        responsibilities, _ = posterior_from_log_joint(_log_joint(model, X), axis=0)
        return responsibilities.T

    def predict(self, X):
        """Most responsible component argmaxₖ log p(xₙ, k), (N,) integer labels."""
        model, X = self._check_X(X)
        return np.argmax(_log_joint(model, X), axis=0)

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
        n_samples = _check_integer(n_samples, "n_samples", minimum=1)
        if rng is None:
            if self.rng is not None and self.random_state is not None:
                raise ValueError("give rng or random_state (scikit-learn's name for it), not both")
            rng = (_as_generator(self.random_state, "random_state") if self.rng is None
                   else self.rng)
        return model.sample(n_samples, rng=_as_generator(rng, "rng"))

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
