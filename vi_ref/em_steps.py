"""The E-step and the M-step of EM for Gaussian mixtures, and the kernels that make
them fast: the model's maths for ``vi_ref.em`` (which holds the estimator's loop and
re-exports ``e_step`` and ``m_step``), as scikit-learn keeps ``_gaussian_mixture.py``
apart from ``_base.py``. Derived in ``derivations/04-em-for-gaussian-mixtures.md``.

Arrays inside the loop are component-major, (K, N): the sums over components of the
E-step and the per-component sums over samples of the M-step then both run over
contiguous memory. Second moments are never formed as E[x xᵀ] − μ μᵀ, which loses
every digit when the data sit far from the origin: each point is centred at a
component's mean (or, in the grouped kernels, at the mean of its most responsible
component) before anything is summed.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse

from .models.gaussian_mixture import (
    LOG_2PI,
    GaussianMixture,
    centred_chunks,
    check_covariance_type,
    parameter_shape,
    posterior_from_log_joint,
    row_chunks,
)
from .validation import as_float_array, check_probability_vector, check_tolerance, first_bad_index

__all__ = ["e_step", "m_step"]

# A component whose responsibilities sum to less than the smallest normal float has
# lost its points: its mean Σ rₙ xₙ / Nₖ is 0/0 or made of subnormal numbers.
EMPTY_COMPONENT_COUNT = np.finfo(float).tiny
# tied, diag and spherical kernels group the points by mode from this many features on
GROUPED_MIN_FEATURES = 16


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


def _check_model(model):
    if not isinstance(model, GaussianMixture):
        raise TypeError(f"model must be a models.GaussianMixture; got {type(model).__name__}")
    return model


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
    if grouping is not None and kind == "diag" and _grouped(kind, n_features):
        _diagonal_distances_into(X, means, factors**2, grouping, out)
    elif grouping is not None and kind == "spherical" and _grouped(kind, n_features):
        _spherical_distances_into(X, means, factors**2, grouping, out)
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
        centred = np.take(X, group, axis=0) - means[j]
        differences = means - means[j]
        scaled = precisions * differences
        distances = precisions @ np.square(centred).T
        distances -= 2 * (scaled @ centred.T)
        distances += np.sum(scaled * differences, axis=1)[:, None]
        out[:, group] = distances


def _spherical_distances_into(X, means, precisions, grouping, out):
    """p²ₖ ‖xₙ − μₖ‖² for spherical precisions p² (K,), into the (K, N) ``out``, by one
    product per group: with x̃ₙ = xₙ − μⱼ and δₖ = μₖ − μⱼ for the points of group j,

        ‖x̃ₙ − δₖ‖² = ‖x̃ₙ‖² − 2 δₖ·x̃ₙ + ‖δₖ‖²,

    ‖x̃ₙ‖² summed once for all K components, the precision applied after the sum."""
    for j, group in _groups(grouping, X.shape[1]):
        centred = np.take(X, group, axis=0) - means[j]
        differences = means - means[j]
        distances = differences @ centred.T
        distances *= -2
        distances += np.einsum("nd,nd->n", centred, centred)
        distances += np.einsum("kd,kd->k", differences, differences)[:, None]
        distances *= precisions[:, None]
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
    elif kind == "diag":
        precisions = factors**2  # λₖd = p²ₖd
    for start, stop in row_chunks(n_samples, n_features):
        # a copy (for D = 1 the transpose is already contiguous: a view of X)
        columns = X[start:stop].T - centre[:, None] if kind == "tied" else (
            np.ascontiguousarray(X[start:stop].T))
        work = np.empty_like(columns)
        if kind == "tied":
            shared = transposed @ columns
        for k, mean in enumerate(means):
            if kind == "diag":  # Σ_d λₖd (xₙd − μₖd)²: centre, square, one product
                squared = np.square(np.subtract(columns, mean[:, None], out=work), out=work)
                np.matmul(precisions[k], squared, out=out[k, start:stop])
                continue
            centred = (np.subtract(shared, offsets[k][:, None], out=work) if kind == "tied"
                       else np.subtract(columns, mean[:, None], out=work))
            np.einsum("dn,dn->n", centred, centred, out=out[k, start:stop])
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


def _weighted_sums(X, responsibilities, centre=None):
    """Σₙ rₖₙ (xₙ − c) for (K, N) responsibilities: (K, D), the numerators of the
    means about a centre c (the origin if ``None``).

    Summed over chunks of rows: cache-sized products stay below OpenBLAS's threshold
    for waking worker threads, whose spinning would slow the elementwise work after.
    """
    sums = np.zeros((responsibilities.shape[0], X.shape[1]))
    for start, stop in row_chunks(*X.shape):
        rows = X[start:stop] if centre is None else X[start:stop] - centre
        sums += responsibilities[:, start:stop] @ rows
    return sums


def _scatter(X, responsibilities, means, components, covariance_type, grouping=None):
    """The M-step's second moments about the new means, for validated X (N, D),
    (K, N) responsibilities r and means (K, D), over the listed ``components``:

        full:      Sₖ = Σₙ rₖₙ (xₙ − μₖ)(xₙ − μₖ)ᵀ      (K, D, D), only ``components``
        diag:      Sₖ = Σₙ rₖₙ (xₙ − μₖ)²                (K, D)
        spherical: Sₖ = Σₙ rₖₙ ‖xₙ − μₖ‖²               (K,)
        tied:      S  = Σₖ Σₙ rₖₙ (xₙ − μₖ)(xₙ − μₖ)ᵀ   (D, D), the sum of the full Sₖ.

    Each chunk of rows is centred at μₖ before anything is summed (the centred
    moments of derivation 04, section 5; ``centred_moments`` computes the same sums
    with the first moments, for the gradient, from the same ``centred_chunks``): no digit is lost far from the origin.
    Where ``_grouped``, each point is centred at the mean of its most responsible
    component instead (``_group_by_mode``), which lets BLAS do the work.
    """
    if _grouped(covariance_type, X.shape[1]):
        grouping = _group_by_mode(responsibilities) if grouping is None else grouping
        if covariance_type == "tied":
            return _tied_scatter(X, responsibilities, means, grouping)
        if covariance_type == "spherical":
            return _spherical_scatter(X, responsibilities, means, grouping)
        return _diagonal_scatter(X, responsibilities, means, grouping)
    matrix = covariance_type in ("full", "tied")
    scatter = np.zeros(parameter_shape("full" if matrix else covariance_type, len(means), X.shape[1]))
    for k, centred, weights in centred_chunks(X, responsibilities, means, components, matrix):
        if matrix:
            scatter[k] += centred @ centred.T  # a symmetric rank-rows update
        elif covariance_type == "diag":
            np.square(centred, out=centred)
            scatter[k] += centred @ weights
        else:
            scatter[k] += np.einsum("dn,dn->n", centred, centred) @ weights
    return scatter.sum(axis=0) if covariance_type == "tied" else scatter


def _grouped(covariance_type, n_features):
    """Whether the kernels group the points by mode (``_group_by_mode``): for tied,
    diag and spherical from ``GROUPED_MIN_FEATURES`` features on. Below, the gathers
    cost more than the products save (measured on benchmarks/em.py's problems: the
    tied M-step 2× slower at D = 8, 2.3× faster at D = 32; diag 2× slower at D = 8,
    1.5–2× faster at D = 32)."""
    return covariance_type in ("tied", "diag", "spherical") and n_features >= GROUPED_MIN_FEATURES


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
        weights = np.take(responsibilities, group, axis=1)
        shift = (means - means[j]).T @ weights  # eₙ as columns
        centred = np.take(X, group, axis=0).T - means[j][:, None]
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
        weights = np.take(responsibilities, group, axis=1)
        centred = np.take(X, group, axis=0) - means[j]
        differences = means - means[j]
        scatter += weights @ np.square(centred)
        scatter -= 2 * differences * (weights @ centred)
        scatter += differences**2 * weights.sum(axis=1)[:, None]
    return scatter


def _spherical_scatter(X, responsibilities, means, grouping):
    """Sₖ = Σₙ rₖₙ ‖xₙ − μₖ‖² (K,) with ‖x̃ₙ‖² summed once per point: with x̃ₙ = xₙ − μⱼ
    and δₖ = μₖ − μⱼ for the points of group j,

        Σₙ∈Gⱼ rₖₙ ‖x̃ₙ − δₖ‖² = Σₙ rₖₙ ‖x̃ₙ‖² − 2 δₖ·Σₙ rₖₙ x̃ₙ + ‖δₖ‖² Σₙ rₖₙ,

    one product and one matrix-vector product per group instead of the (K, D)
    moments of ``_diagonal_scatter``; rounding as there."""
    scatter = np.zeros(len(means))
    for j, group in _groups(grouping, means.shape[1]):
        weights = np.take(responsibilities, group, axis=1)
        centred = np.take(X, group, axis=0) - means[j]
        differences = means - means[j]
        scatter += weights @ np.einsum("nd,nd->n", centred, centred)
        scatter -= 2 * np.einsum("kd,kd->k", differences, weights @ centred)
        scatter += np.einsum("kd,kd->k", differences, differences) * weights.sum(axis=1)
    return scatter


def _maximization(X, responsibilities, covariance_type, reg_covar, previous, grouping=None, centre=None):
    """M-step from (K, N) responsibilities: the argmax of E_q[log p(X, Z | θ)]
    (derivation 04), with ``reg_covar`` added to the diagonal of each covariance.
    ``grouping``: the points grouped by their most responsible component, if known;
    ``centre``: the data's median (``_centre``), if known.

    The means are μₖ = c + Σₙ rₖₙ (xₙ − c) / Nₖ about the data's median c: Σₙ rₖₙ xₙ / Nₖ
    is off by rounding in the last digit of x (0.1 + 0.1 + 0.1 ≠ 0.3), which the
    scatter then reads as spread: a constant feature at 1e100 got a variance of 4e168.
    About c, a feature constant over the data has mean c exactly and variance 0, and
    a mean's rounding is relative to the data's spread, not to their offset.

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
    centre = _centre(X) if centre is None else centre
    means[live] = centre + _weighted_sums(X, responsibilities, centre)[live] / counts[live, None]
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
    if not np.all(np.isfinite(covariances)):
        raise ValueError(
            "M-step failed: the covariances overflow float64 (squared deviations of X beyond 1.8e308:"
            " a spread of about 1e154 or more); rescale X"
        )
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
    reg_covar = check_tolerance(reg_covar, "reg_covar")
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
