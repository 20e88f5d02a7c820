"""The Gaussian mixture model: the lecture's example of a latent variable model.

    p(z = k) = πₖ,    p(x | z = k) = N(x | μₖ, Σₖ),    p(x) = Σₖ πₖ N(x | μₖ, Σₖ)

z is discrete, so the evidence is a finite sum (evaluated with log-sum-exp) and the
posterior p(z | x) — the responsibilities — is exact (the model in
``derivations/03-latent-variable-models-and-the-elbo.md``). That makes the mixture
the model on which EM (``vi_ref.em``) runs: derivation
``derivations/04-em-for-gaussian-mixtures.md``.

Covariances are shaped as in scikit-learn, by ``covariance_type``:
``full`` (K, D, D), ``tied`` (D, D) shared by every component, ``diag`` (K, D) and
``spherical`` (K,). Densities are evaluated through the Cholesky factor of each
precision, Σₖ⁻¹ = Pₖ Pₖᵀ with Pₖ = Lₖ⁻ᵀ upper triangular (Lₖ Lₖᵀ = Σₖ), exactly
scikit-learn's ``precisions_cholesky_``:

    log N(x | μ, Σ) = −(D/2) log 2π + Σᵢ log Pᵢᵢ − ½ ‖Pᵀ (x − μ)‖²

since det P = det(Σ)^(−1/2). Pᵀ(x − μ) is computed from the centred x − μ, so the
result keeps its precision when the data sit far from the origin; no covariance is
ever inverted or its determinant formed.
"""

import numpy as np

from .. import autodiff as ad
from .. import numerics
from ..distributions import Categorical, integer_interval
from ..numerics import LOG_2PI
from ..validation import (
    as_float_array,
    as_generator,
    check_count,
    check_positive,
    check_probability_vector,
    check_size,
    first_bad_index,
)
from ._checks import data_batch_shape, require_family

__all__ = [
    "GaussianMixture",
    "COVARIANCE_TYPES",
    "squared_mahalanobis",
    "posterior_from_log_joint",
    "most_responsible",
    "row_chunks",
    "centred_moments",
    "centred_chunks",
    "gaussian_mixture_log_joint",
]

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
LOG_SMALLEST_NORMAL = np.log(np.finfo(float).tiny)
# Rows per chunk are chosen so that one (D, rows) temporary holds about 2¹⁷ doubles
# (1 MiB, the fastest of 2¹⁴…2¹⁸ in benchmarks/em.py): it stays in cache while the K
# components reuse it, and the working memory does not grow with N beyond the
# (K, N) result.
CHUNK_ELEMENTS = 1 << 17


def check_covariance_type(covariance_type):
    """Return ``covariance_type`` if it is one of ``COVARIANCE_TYPES``, else ValueError."""
    if covariance_type not in COVARIANCE_TYPES:
        raise ValueError(
            f"covariance_type must be one of {COVARIANCE_TYPES}; got {covariance_type!r}"
        )
    return covariance_type


def parameter_shape(covariance_type, n_components, n_features):
    """Shape of the covariances (or precisions) of a mixture of this type, as in scikit-learn."""
    return {
        "full": (n_components, n_features, n_features),
        "tied": (n_features, n_features),
        "diag": (n_components, n_features),
        "spherical": (n_components,),
    }[covariance_type]


def _per_component(array, covariance_type, n_components, n_features):
    """One factor per component: (K, D, D) for full/tied (tied broadcast, no copy),
    (K, D) for diag/spherical (spherical broadcast along D)."""
    if covariance_type == "tied":
        return np.broadcast_to(array, (n_components, n_features, n_features))
    if covariance_type == "spherical":
        return np.broadcast_to(array[:, None], (n_components, n_features))
    return array


def row_chunks(n_rows, n_features):
    """(start, stop) ranges covering ``n_rows`` rows, each small enough that a
    (n_features, rows) temporary holds about ``CHUNK_ELEMENTS`` doubles.

    A lazy sequence (a generator), so that a huge ``n_rows`` costs nothing until
    iterated. Raises TypeError/ValueError for counts that are not integers ≥ 0
    (``n_features`` ≥ 1)."""
    n_rows = check_count(n_rows, "n_rows")
    n_features = check_count(n_features, "n_features", minimum=1)
    rows = max(1, CHUNK_ELEMENTS // n_features)
    return ((start, min(start + rows, n_rows)) for start in range(0, n_rows, rows))


def _squared_mahalanobis_by_component(X, means, factors):
    """(K, N) array of ‖Fₖᵀ (xₙ − μₖ)‖², for validated X (N, D) and means (K, D).

    ``factors`` is (K, D, D) (upper-triangular precision Cholesky factors) or (K, D)
    (diagonal ones). Each chunk of rows is transposed once to (D, rows), centred at
    each μₖ, multiplied by Fₖᵀ (one BLAS call per component and chunk), and its
    squares summed over D. The result is component-major so
    that reductions over components (log-sum-exp, responsibilities) are contiguous too.
    """
    n_samples, n_features = X.shape
    matrix = factors.ndim == 3
    transposed_factors = np.ascontiguousarray(np.swapaxes(factors, -1, -2)) if matrix else None
    out = np.empty((means.shape[0], n_samples))
    for start, stop in row_chunks(n_samples, n_features):
        columns = np.ascontiguousarray(X[start:stop].T)
        centred = np.empty_like(columns)
        projected = np.empty_like(columns)
        for k, mean in enumerate(means):
            np.subtract(columns, mean[:, None], out=centred)
            if matrix:
                np.matmul(transposed_factors[k], centred, out=projected)
            else:
                np.multiply(centred, factors[k][:, None], out=projected)
            np.einsum("dn,dn->n", projected, projected, out=out[k, start:stop])
    return out


def centred_moments(X, responsibilities, means, components, matrix):
    """First and second moments of each component's weighted data about its mean:

        sₖ = Σₙ rₖₙ (xₙ − μₖ)                        (K, D)
        Sₖ = Σₙ rₖₙ (xₙ − μₖ)(xₙ − μₖ)ᵀ              (K, D, D), or its diagonal
             Σₙ rₖₙ (xₙ − μₖ)²                        (K, D) when ``matrix`` is false,

    for the listed ``components`` (the other rows are 0), from validated X (N, D),
    non-negative (K, N) weights r and means (K, D). They are the sufficient statistics
    of the M-step of EM and of ``GaussianMixture.elbo_grad`` (derivation 04, section 5).

    Each chunk of rows is transposed to (D, rows) and centred at μₖ before anything is
    summed, so both keep their precision when the data sit far from the origin (never
    Σ r x xᵀ − Nₖ μ μᵀ). Sₖ is the Gram matrix of √rₖₙ (xₙ − μₖ): one symmetric rank-k
    update per component and chunk (exactly symmetric, half the work of a general
    product). Working memory O(K·D²) beyond the inputs.
    """
    X = as_float_array(X, "X", ndim=2)
    n_samples, n_features = X.shape
    means = as_float_array(means, "means", ndim=2)
    if means.shape[1] != n_features or n_features == 0:
        raise ValueError(
            f"means must have shape (K, D) with the D >= 1 columns of X {X.shape}; got {means.shape}"
        )
    responsibilities = as_float_array(responsibilities, "responsibilities", ndim=2)
    if responsibilities.shape != (means.shape[0], n_samples):
        raise ValueError(
            f"responsibilities must have shape (K, N) = {(means.shape[0], n_samples)}; got {responsibilities.shape}"
        )
    first = np.zeros(means.shape)
    second = np.zeros(means.shape + ((n_features,) if matrix else ()))
    for k, centred, weights in centred_chunks(X, responsibilities, means, components, matrix):
        first[k] += centred @ weights
        if matrix:
            second[k] += centred @ centred.T
        else:
            np.square(centred, out=centred)
            second[k] += centred @ weights
    return first, second


def centred_chunks(X, responsibilities, means, components, matrix):
    """For each chunk of rows and each listed component k: (k, cₖ, wₖ), the chunk's
    columns (D, rows) centred at μₖ, cₖ = xₙ − μₖ, with their weights wₖ = rₖₙ; for a
    ``matrix`` second moment both as square roots instead, cₖ = √rₖₙ (xₙ − μₖ) and
    wₖ = √rₖₙ, so that cₖ cₖᵀ is the weighted outer product and cₖ wₖ the weighted
    sum. cₖ is a buffer reused for the next component: the caller may overwrite it."""
    for start, stop in row_chunks(*X.shape):
        columns = np.ascontiguousarray(X[start:stop].T)
        weights = responsibilities[:, start:stop]
        if matrix:
            weights = np.sqrt(weights)
        centred = np.empty_like(columns)
        for k in components:
            np.subtract(columns, means[k][:, None], out=centred)
            if matrix:
                centred *= weights[k]
            yield k, centred, weights[k]


def squared_mahalanobis(X, means, precisions_cholesky, covariance_type="full"):
    """‖Pₖᵀ (xₙ − μₖ)‖² = (xₙ − μₖ)ᵀ Σₖ⁻¹ (xₙ − μₖ) for every sample and component.

    Computed from the centred xₙ − μₖ, vectorised over samples in chunks of rows
    (working memory O(N·K + K·D²)); derivation 04. With ``covariance_type=
    "spherical"`` and ``precisions_cholesky = 1`` it is the squared Euclidean
    distance, which k-means uses.

    Args:
        X: (N, D) points. means: (K, D).
        precisions_cholesky: shaped by ``covariance_type`` as in scikit-learn.

    Returns:
        (N, K) array.
    """
    X = as_float_array(X, "X", ndim=2)
    means = as_float_array(means, "means", ndim=2)
    check_covariance_type(covariance_type)
    n_components, n_features = means.shape
    if X.shape[1] != n_features:
        raise ValueError(f"X must have {n_features} columns like means; got shape {X.shape}")
    expected = parameter_shape(covariance_type, n_components, n_features)
    factors = as_float_array(precisions_cholesky, "precisions_cholesky")
    if factors.shape != expected:
        raise ValueError(
            f"precisions_cholesky must have shape {expected} for covariance_type="
            f"{covariance_type!r}; got {factors.shape}"
        )
    factors = _per_component(factors, covariance_type, n_components, n_features)
    return _squared_mahalanobis_by_component(X, means, factors).T


def most_responsible(log_joint, axis=-1, *, points="x"):
    """argmaxₖ log p(x, z = k) along ``axis``: the label of largest responsibility.

    Raises:
        ValueError: naming ``points`` where every log p(x, z = k) is −∞ (a point so far
            from every component that they all underflow): there every label ties,
            and argmax's 0 would be an arbitrary answer, not the most responsible one.
        TypeError: for a log_joint that is not real numbers.
    """
    log_joint = as_float_array(log_joint, "log_joint", finite=False)
    far = np.all(log_joint == -np.inf, axis=axis)
    if np.any(far):
        raise ValueError(
            f"{points} has a point so far from every component that every log p(x, z = k)"
            f" underflows to -inf: its most responsible component is undefined in float64{first_bad_index(far)}"
        )
    return np.argmax(log_joint, axis=axis)


def posterior_from_log_joint(log_joint, axis=-1, *, points=None):
    """Responsibilities and evidence from log p(x, z = k), normalising along ``axis``:

        log p(x) = log Σₖ exp(log p(x, k)),    rₖ = p(z = k | x) = exp(log p(x, k) − log p(x))

    Both come from one pass of exp(log p(x, k) − m) with m the maximum over k, which
    is 1 for the largest term, so nothing overflows and the sum is at least 1.
    Terms below the smallest normal float (2.2e-308, relative to the largest) are
    set to 0 instead of being computed as subnormal numbers: they change nothing
    representable, and exp is several times slower on them. A component of weight 0
    (log p = −∞) gets responsibility 0.

    Args:
        log_joint: array of log p(x, z = k), at least one finite entry along ``axis``.
        points: the name of the data the caller computed ``log_joint`` from (``"x"``,
            ``"X"``), to name in the error for a point too far from every component.

    Returns:
        (responsibilities of the shape of ``log_joint``, log evidence with ``axis`` removed).
    """
    log_joint = as_float_array(log_joint, "log_joint", finite=False, min_ndim=1)
    shift = np.max(log_joint, axis=axis, keepdims=True)
    if not np.all(np.isfinite(shift)):
        bad = ~np.isfinite(shift)
        where = first_bad_index(np.squeeze(bad, axis=axis))
        if points is not None and np.all(shift[bad] == -np.inf):
            raise ValueError(
                f"{points} has a point so far from every component that every log p(x, z = k)"
                f" underflows to -inf: its responsibilities are undefined in float64{where}"
            )
        raise ValueError(
            "log_joint must have a finite entry along the components axis (a NaN or +inf, or a"
            " point so far from every component that every log p(x, z = k) underflows to -inf,"
            f" leaves the responsibilities undefined in float64); got {shift[bad].flat[0]}{where}"
        )
    responsibilities = np.subtract(log_joint, shift)
    # one pass (the minimum) instead of three where nothing underflows
    if responsibilities.size == 0 or np.min(responsibilities) >= LOG_SMALLEST_NORMAL:
        np.exp(responsibilities, out=responsibilities)
    else:
        _exp_zeroing_subnormal(responsibilities)
    total = np.sum(responsibilities, axis=axis, keepdims=True)
    responsibilities /= total
    log_evidence = np.log(total)
    log_evidence += shift
    return responsibilities, np.squeeze(log_evidence, axis=axis)


def _exp_zeroing_subnormal(shifted):
    """exp of ``shifted`` (≤ 0) in place, with the terms below the smallest normal float
    set to 0: clamp, exponentiate, then zero what was clamped (exp is slow on arguments
    whose result underflows, and a masked exp is slower still)."""
    kept = shifted >= LOG_SMALLEST_NORMAL
    np.maximum(shifted, LOG_SMALLEST_NORMAL, out=shifted)
    np.exp(shifted, out=shifted)
    shifted *= kept
    return shifted


def _check_parameter_shape(value, name, covariance_type, means):
    """``value`` as a float array of the shape ``covariance_type`` gives K × D means."""
    shape = parameter_shape(covariance_type, *means.shape)
    value = as_float_array(value, name)
    if value.shape != shape:
        raise ValueError(
            f"{name} must have shape {shape} for covariance_type={covariance_type!r}"
            f" with K = {means.shape[0]}, D = {means.shape[1]}; got {value.shape}"
        )
    return value


def gaussian_mixture_log_joint(x, z, weights, means, covariances, covariance_type="full"):
    """log p(x, z) = log π_z + log N(x | μ_z, Σ_z) for integer labels z, written with
    ``vi_ref.autodiff`` operations so that the parameters may be Tensors (the graph
    that checks ``GaussianMixture.log_joint_grad``).

    The parameters are read as the hand-written gradients read them: weights as w/Σw,
    full and tied covariances by their symmetric part (Σ + Σᵀ)/2, factorised Σ = L Lᵀ:

        log N(x | μ, Σ) = −(D/2) log 2π − Σᵢ log Lᵢᵢ − ½ ‖L⁻¹(x − μ)‖²

    Args:
        x: (..., D) points. z: integer labels broadcasting with x's leading axes.
        weights (K,), means (K, D), covariances shaped by ``covariance_type``.
    """
    z = np.asarray(z, dtype=np.intp)
    dimension = np.shape(x)[-1]
    log_weight = ad.log(weights) - ad.log(ad.sum(weights))
    residual = x - ad.getitem(means, z)
    if covariance_type in ("full", "tied"):
        symmetric = 0.5 * (covariances + ad.transpose(covariances, axes=_swap_last_two(covariances)))
        factor = ad.cholesky(symmetric)
        factor = ad.getitem(factor, z) if covariance_type == "full" else factor
        batch = np.broadcast_shapes(np.shape(z), np.shape(x)[:-1])
        factor = factor + np.zeros(batch + (dimension, dimension))  # one factor per point
        whitened = ad.solve_triangular(factor, (residual + np.zeros(batch + (dimension,)))[..., None], lower=True)[..., 0]
        squared = ad.sum(ad.square(whitened), axis=-1)
        half_log_det = ad.sum(ad.log(ad.diagonal(factor, axis1=-2, axis2=-1)), axis=-1)
    else:
        variances = ad.getitem(covariances, z)
        variances = variances[..., None] if covariance_type == "spherical" else variances
        variances = variances + np.zeros(dimension)
        squared = ad.sum(ad.square(residual) / variances, axis=-1)
        half_log_det = 0.5 * ad.sum(ad.log(variances), axis=-1)
    return ad.getitem(log_weight, z) - 0.5 * dimension * LOG_2PI - half_log_det - 0.5 * squared


def _swap_last_two(array):
    ndim = len(np.shape(ad.value_of(array)))
    return tuple(range(ndim - 2)) + (ndim - 1, ndim - 2)


class GaussianMixture:
    """p(z = k) = πₖ, p(x | z = k) = N(x | μₖ, Σₖ) with K components in D dimensions.

    Args:
        weights: (K,) mixing weights πₖ ≥ 0 summing to 1 (a weight of 0 is allowed:
            that component is never drawn and has responsibility 0).
        means: (K, D) component means μₖ.
        covariances: Σₖ shaped by ``covariance_type``: full (K, D, D), tied (D, D),
            diag (K, D) variances, spherical (K,) variances.
        covariance_type: ``"full"``, ``"tied"``, ``"diag"`` or ``"spherical"``.

    Attributes:
        weights, means, covariances, covariance_type: as given.
        precisions_cholesky: Pₖ with Σₖ⁻¹ = Pₖ Pₖᵀ, shaped like ``covariances``
            (upper triangular for full/tied; 1/√variance for diag/spherical), exactly
            scikit-learn's ``precisions_cholesky_``.
        n_components (K), n_features (D); latent_shape (): one z is a label.

    Raises:
        ValueError: naming the argument, for weights that are negative or do not sum
            to 1, shapes that do not fit together, non-finite entries, covariance
            matrices that are not symmetric positive definite, non-positive variances,
            an unknown covariance_type.
    """

    latent_shape = ()
    latent_support = property(lambda self: integer_interval(self.n_components), doc="The labels {0, …, K − 1}.")

    def __init__(self, weights, means, covariances, *, covariance_type="full"):
        weights, means = _check_weights_and_means(weights, means)
        check_covariance_type(covariance_type)
        covariances = _check_parameter_shape(covariances, "covariances", covariance_type, means)
        if covariance_type in ("full", "tied"):
            scale = numerics.cholesky(covariances, "covariances")
            # Pₖ = Lₖ⁻ᵀ by triangular substitution Lₖ Y = I, as scikit-learn computes it
            precisions_cholesky = np.swapaxes(numerics.lower_triangular_inverse(scale), -1, -2)
        else:
            check_positive(covariances, "covariances")
            scale = np.sqrt(covariances)
            precisions_cholesky = 1.0 / scale
        self._set_parameters(
            weights, means, covariances, scale, precisions_cholesky, covariance_type
        )

    @classmethod
    def from_precisions(cls, weights, means, precisions, *, covariance_type="full"):
        """The mixture with precisions Λₖ = Σₖ⁻¹ (scikit-learn's ``precisions_init``).

        The precision Cholesky factor is taken from Λ itself, as scikit-learn does:
        with J the exchange matrix (reversing rows), J Λ J = C Cᵀ gives Λ = U Uᵀ with
        U = J C J upper triangular, so ``precisions_cholesky`` is exactly U and a fit
        started here starts from exactly these parameters. Σ = L Lᵀ with L = U⁻ᵀ
        (a triangular solve; Λ is never inverted).

        Raises:
            ValueError: as the constructor, naming ``precisions``.
        """
        weights, means = _check_weights_and_means(weights, means)
        check_covariance_type(covariance_type)
        precisions = _check_parameter_shape(precisions, "precisions", covariance_type, means)
        if covariance_type in ("full", "tied"):
            flipped = numerics.cholesky(precisions[..., ::-1, ::-1], "precisions")
            precisions_cholesky = np.ascontiguousarray(flipped[..., ::-1, ::-1])
            # L = U⁻ᵀ = (J C⁻¹ J)ᵀ: the inverse of the lower factor C, flipped back
            scale = np.swapaxes(numerics.lower_triangular_inverse(flipped)[..., ::-1, ::-1], -1, -2)
            covariances = scale @ np.swapaxes(scale, -1, -2)
            covariances = (covariances + np.swapaxes(covariances, -1, -2)) / 2
        else:
            check_positive(precisions, "precisions")
            precisions_cholesky = np.sqrt(precisions)
            scale = 1.0 / precisions_cholesky
            covariances = 1.0 / precisions
        model = cls.__new__(cls)
        model._set_parameters(
            weights, means, covariances, scale, precisions_cholesky, covariance_type
        )
        return model

    def _set_parameters(self, weights, means, covariances, scale, precisions_cholesky,
                        covariance_type):
        self.weights = weights
        self.means = means
        self.covariances = covariances
        self.covariance_type = covariance_type
        self.precisions_cholesky = precisions_cholesky
        n_components, n_features = means.shape
        self._scale_factors = _per_component(scale, covariance_type, n_components, n_features)
        self._precision_factors = _per_component(
            precisions_cholesky, covariance_type, n_components, n_features
        )
        diagonals = (
            np.diagonal(self._precision_factors, axis1=-2, axis2=-1)
            if self._precision_factors.ndim == 3
            else self._precision_factors
        )
        # log det Pₖ = −½ log det Σₖ, from the diagonal of the triangular factor
        self._log_det_precision_cholesky = np.sum(np.log(diagonals), axis=-1)
        with np.errstate(divide="ignore"):  # a weight of 0 has log weight −∞
            self._log_weights = np.log(weights)

    n_components = property(lambda self: self.means.shape[0], doc="Number of components K.")
    n_features = property(lambda self: self.means.shape[1], doc="Dimension D of x.")

    def __repr__(self):
        return (
            f"GaussianMixture(n_components={self.n_components}, n_features={self.n_features},"
            f" covariance_type={self.covariance_type!r})"
        )

    # ----- validation of x and z ------------------------------------------

    def _check_points(self, x):
        """x (..., D) as a float array (M, D) of rows, and the batch shape (...)."""
        x = as_float_array(x, "x", min_ndim=1)
        if x.shape[-1] != self.n_features:
            raise ValueError(
                f"x must have D = {self.n_features} entries in its last axis; got shape {x.shape}"
            )
        return x.reshape(-1, self.n_features), x.shape[:-1]

    def _check_labels(self, z):
        """z as an integer array of component labels in 0..K−1."""
        z = np.asarray(z)
        if z.dtype.kind not in "iuf":
            raise TypeError(f"z must be integer component labels; got dtype {z.dtype}")
        if z.dtype.kind == "f":
            bad = ~np.isfinite(z) | (z != np.round(z))
            if bad.any():
                raise ValueError(
                    "z must be integer component labels; got"
                    f" {z[bad].flat[0]}{first_bad_index(bad)}"
                )
        bad = (z < 0) | (z >= self.n_components)
        if bad.any():
            raise ValueError(
                f"z must be component labels in 0..{self.n_components - 1}; got"
                f" {z[bad].flat[0]}{first_bad_index(bad)}"
            )
        return z.astype(np.intp)

    # ----- the model ----------------------------------------------------------

    def log_prior(self, z):
        """log p(z) = log π_z for integer labels z (any shape); derivation 03."""
        return self._log_weights[self._check_labels(z)][()]

    def _component_log_density(self, rows, component):
        """log N(x | μₖ, Σₖ) for validated rows (M, D) and one component k."""
        selected = slice(component, component + 1)
        squared = _squared_mahalanobis_by_component(
            rows, self.means[selected], self._precision_factors[selected]
        )[0]
        constant = self._log_det_precision_cholesky[component] - 0.5 * self.n_features * LOG_2PI
        return constant - 0.5 * squared

    def log_likelihood(self, x, z):
        """log p(x | z) = log N(x | μ_z, Σ_z) = −(D/2) log 2π + log det P_z − ½ ‖P_zᵀ(x − μ_z)‖²
        (the precision-Cholesky form of derivation 04, section 3).

        Args:
            x: (..., D) points. z: integer labels; the batch shapes broadcast.

        Returns:
            array of the broadcast batch shape (a float for one point).
        """
        rows, batch = self._check_points(x)
        z = self._check_labels(z)
        shape = np.broadcast_shapes(batch, z.shape)
        rows = np.broadcast_to(rows.reshape(batch + (self.n_features,)), shape + (self.n_features,))
        rows = rows.reshape(-1, self.n_features)
        labels = np.broadcast_to(z, shape).ravel()
        out = np.empty(labels.shape)
        # grouped by component, so that no (M, D, D) array of gathered factors is formed
        for component in np.unique(labels):
            selected = np.flatnonzero(labels == component)
            out[selected] = self._component_log_density(rows[selected], component)
        return out.reshape(shape)[()]

    def log_joint(self, x, z):
        """log p(x, z) = log π_z + log N(x | μ_z, Σ_z) (derivation 03)."""
        return self.log_prior(z) + self.log_likelihood(x, z)

    def log_joint_grad(self, x, z):
        """Per-sample gradient of log p(x, z) = log π_z + log N(x | μ_z, Σ_z), by hand,
        with d = x − μ_z and Λ = Σ_z⁻¹ (the labels are discrete: no "z" entry):

            ∂/∂πₖ = [k = z]/πₖ − 1                      (weights read as w/Σw)
            ∂/∂μₖ = [k = z] Λ d
            ∂/∂Σₖ = [k = z] ½ (Λ d dᵀ Λ − Λ)            (full; tied: without [k = z];
                                                       diag: ½ (λ² d² − λ); spherical:
                                                       the sum of the diag one over D)

        Args:
            x: (..., D) points. z: integer labels; the batch shapes broadcast to B.

        Returns:
            dict "weights" (*B, K), "means" (*B, K, D), "covariances" (*B, *covariances
            shape): one gradient per pair, not summed.
        """
        rows, x_batch = self._check_points(x)
        z = self._check_labels(z)
        batch = np.broadcast_shapes(x_batch, z.shape)
        points = np.broadcast_to(rows.reshape(x_batch + (self.n_features,)), batch + (self.n_features,))
        labels = np.broadcast_to(z, batch)
        one_hot = (labels[..., None] == np.arange(self.n_components)).astype(float)
        residual = points - self.means[labels]
        factors = self._precision_factors[labels]  # (*B, D, D) upper, or (*B, D)
        if factors.ndim == len(batch) + 2:
            precision_times_residual = (factors @ (np.swapaxes(factors, -1, -2) @ residual[..., None]))[..., 0]
            precision = factors @ np.swapaxes(factors, -1, -2)
            covariance = 0.5 * (precision_times_residual[..., :, None] * precision_times_residual[..., None, :]
                                - precision)
        else:
            precision = factors**2
            precision_times_residual = precision * residual
            covariance = 0.5 * (precision_times_residual**2 - precision)
            if self.covariance_type == "spherical":
                covariance = np.sum(covariance, axis=-1)
        if self.covariance_type != "tied":  # a tied covariance is every component's
            covariance = _scatter_to_component(covariance, one_hot, batch)
        with np.errstate(divide="ignore"):  # a weight of 0 is never a sampled label
            weights = np.where(one_hot > 0, one_hot / self.weights, 0.0) - 1.0
        return {
            "weights": weights,
            "means": one_hot[..., None] * precision_times_residual[..., None, :],
            "covariances": covariance,
        }

    def log_joint_components(self, x):
        """log p(x, z = k) = log πₖ + log N(x | μₖ, Σₖ) for every component k.

        Vectorised over components and computed in chunks of rows: working memory
        O(N·K + K·D²). The E-step of EM normalises these over k (derivation 04,
        section 2).

        Args:
            x: (D,) or (..., D).

        Returns:
            array (..., K).
        """
        rows, batch = self._check_points(x)
        return self._log_joint_of_rows(rows).T.reshape(batch + (self.n_components,))

    def _log_joint_of_rows(self, rows):
        """log p(xₘ, z = k) as a component-major (K, M) array, for validated rows (M, D)."""
        log_joint = _squared_mahalanobis_by_component(rows, self.means, self._precision_factors)
        log_joint *= -0.5
        log_joint += (
            self._log_weights
            + self._log_det_precision_cholesky
            - 0.5 * self.n_features * LOG_2PI
        )[:, None]
        return log_joint

    def squared_mahalanobis(self, x):
        """(x − μₖ)ᵀ Σₖ⁻¹ (x − μₖ) = ‖Pₖᵀ(x − μₖ)‖² for every component: (..., K),
        from the centred x − μₖ (derivation 04, section 5)."""
        rows, batch = self._check_points(x)
        squared = _squared_mahalanobis_by_component(rows, self.means, self._precision_factors)
        return squared.T.reshape(batch + (self.n_components,))

    def log_marginal(self, x):
        """The evidence log p(x) = log Σₖ πₖ N(x | μₖ, Σₖ), by log-sum-exp over k: the
        finite case of p(x) = ∫ p(x, z) dz (derivation 03).

        Args:
            x: (D,) gives a float, (N, D) gives (N,), (..., D) gives (...).
        """
        return numerics.logsumexp(self.log_joint_components(x), axis=-1)

    def posterior(self, x):
        """p(z | x) as a ``distributions.Categorical`` with probabilities the
        responsibilities r_k(x) = πₖ N(x | μₖ, Σₖ) / Σⱼ πⱼ N(x | μⱼ, Σⱼ), batch shape (...)
        (Bayes' rule; the E-step of derivation 04, section 2)."""
        responsibilities, _ = posterior_from_log_joint(self.log_joint_components(x), points="x")
        return Categorical(probs=responsibilities)

    def sample(self, n, rng=None):
        """n draws of (x, z): z ~ Categorical(π), then x = μ_z + L_z ε with ε ~ N(0, I)
        and L_z L_zᵀ = Σ_z (ancestral sampling of the LVM, derivation 03).

        Returns:
            x (n, D) and z (n,) integer labels.
        """
        n = check_size(check_count(n, "n"), "n", per_unit=self.n_features + 1)
        generator = as_generator(rng)
        z = generator.choice(self.n_components, size=n, p=self.weights)
        x = generator.standard_normal((n, self.n_features))
        for component in range(self.n_components):
            selected = np.flatnonzero(z == component)
            scale = self._scale_factors[component]
            noise = x[selected] @ scale.T if scale.ndim == 2 else x[selected] * scale
            x[selected] = self.means[component] + noise
        return x, z

    # ----- the closed-form ELBO and its gradient (derivation 03) -----------------

    def _categorical_q(self, q, x):
        """Validate q against the model and x; return (data rows (M, D), and log p(x, z = k),
        q's probs and q's normalised logits as (M, K)) over the broadcast batch of x and
        q's batch, M its size, and that batch shape."""
        require_family(q, (Categorical,), f"over the K = {self.n_components} components")
        if q.probs.shape[-1] != self.n_components:
            raise ValueError(
                f"q must be a Categorical over the K = {self.n_components} components;"
                f" got {q.probs.shape[-1]} categories"
            )
        rows, x_batch = self._check_points(x)
        batch = data_batch_shape(x_batch, q.batch_shape)
        log_joint = self._log_joint_of_rows(rows).T.reshape(x_batch + (self.n_components,))

        def as_rows(array):
            return np.broadcast_to(array, batch + array.shape[-1:]).reshape(-1, array.shape[-1])

        rows = as_rows(rows.reshape(x_batch + (self.n_features,)))
        return rows, as_rows(log_joint), as_rows(q.probs), as_rows(q.logits), batch

    def elbo(self, x, q):
        """ELBO(x, q) = Σₖ qₖ [log πₖ + log N(x | μₖ, Σₖ) − log qₖ]: the expectation over a
        Categorical q(z) is a finite sum (derivation 03). A component q does not pick
        (qₖ = 0) contributes nothing (0 log 0 = 0, and 0 · log πₖ = 0 even for πₖ = 0);
        q > 0 on a component of weight 0 gives −∞.

        Args:
            x: (D,) or (..., D). q: a ``Categorical`` over the K components, one per
                data point (batch (...)) or broadcasting against them.

        Returns:
            one ELBO per data point (a float for one point).

        Raises:
            TypeError: if q is not a Categorical. ValueError: for K or batch shapes
                that do not fit, or x of the wrong dimension or with NaNs.
        """
        _, log_joint, probs, log_probs, batch = self._categorical_q(q, x)
        return np.sum(_elbo_terms(log_joint, probs, log_probs), axis=-1).reshape(batch)[()]

    def elbo_grad(self, x, q):
        """Gradient of Σₙ ELBO(xₙ, qₙ), by hand. With rₙₖ = qₙ(k), Nₖ = Σₙ rₙₖ,
        dₙₖ = xₙ − μₖ, Λₖ = Σₖ⁻¹ and ℓₙₖ = log πₖ + log N(xₙ | μₖ, Σₖ):

            ∂/∂πₖ = Nₖ/πₖ − N                       (weights read as w/Σw)
            ∂/∂μₖ = Λₖ Σₙ rₙₖ dₙₖ
            ∂/∂Σₖ = ½ Λₖ (Σₙ rₙₖ dₙₖ dₙₖᵀ) Λₖ − ½ Nₖ Λₖ   (full; tied: summed over k;
                                                      diag: its diagonal; spherical: its trace)
            ∂/∂probsₙₖ = ℓₙₖ − log rₙₖ − ELBOₙ       (probs read as r/Σr)
            ∂/∂logitsₙₖ = rₙₖ (ℓₙₖ − log rₙₖ − ELBOₙ)

        Weights and q's probs are read, as ``Categorical`` reads probs, as normalised
        w/Σw, so their derivatives are those of the ELBO at the normalised point; the
        covariance derivative is the symmetric one (of the ELBO at (Σ + Σᵀ)/2). The
        sums over n are centred at μₖ and taken in chunks of rows (``centred_moments``):
        working memory O(N·K + K·D²).

        On the boundary, where rₙₖ = 0, the derivatives are one-sided (rₙₖ can only
        grow), with 0 log 0 = 0:
            ∂/∂probsₙₖ = +∞ if πₖ > 0 (the slope of −t log t at t = 0⁺),
                         −∞ if πₖ = 0 (any mass there makes the ELBO −∞);
            ∂/∂logitsₙₖ = 0 for a logit of −∞ (a finite change leaves it −∞);
            ∂/∂πₖ = −N when Nₖ = 0, also for πₖ = 0.

        Returns:
            (grads_theta, grads_phi): {"weights", "means", "covariances"} shaped like
            the parameters, and {"probs"} or {"logits"} shaped like q's.

        Raises:
            ValueError: where q gives positive probability to a component of weight 0:
                the ELBO is −∞ around that q and has no gradient. And as ``elbo``.
        """
        rows, log_joint, probs, log_probs, batch = self._categorical_q(q, x)
        elbo = np.sum(_elbo_terms(log_joint, probs, log_probs), axis=-1, keepdims=True)
        impossible = elbo[:, 0] == -np.inf
        if impossible.any():
            point = int(np.argmax(impossible))
            component = int(np.argmax((log_joint[point] == -np.inf) & (log_probs[point] > -np.inf)))
            raise ValueError(
                f"q gives positive probability to component {component}, whose weight is 0"
                f" (data point {point} of the broadcast batch): the ELBO is -inf there and"
                " has no gradient"
            )
        responsibilities = np.ascontiguousarray(probs.T)  # (K, M)
        counts = responsibilities.sum(axis=1)
        # Nₖ > 0 implies πₖ > 0 here (else the ELBO would be −∞, refused above)
        grad_weights = np.divide(counts, self.weights, out=np.zeros(self.n_components),
                                 where=counts > 0) - rows.shape[0]
        factors = self._precision_factors
        matrix = factors.ndim == 3
        first, second = centred_moments(
            rows, responsibilities, self.means, range(self.n_components), matrix
        )
        if matrix:  # full and tied: Λₖ = Pₖ Pₖᵀ
            precisions = factors @ np.swapaxes(factors, -1, -2)
            grad_means = np.einsum("kij,kj->ki", precisions, first)
            grad_cov = 0.5 * (precisions @ second @ precisions
                              - counts[:, None, None] * precisions)
            grad_cov = grad_cov.sum(axis=0) if self.covariance_type == "tied" else grad_cov
        else:  # diag and spherical: Λₖ is diagonal
            precisions = factors**2
            grad_means = precisions * first
            grad_cov = 0.5 * (precisions**2 * second - counts[:, None] * precisions)
            grad_cov = grad_cov.sum(axis=1) if self.covariance_type == "spherical" else grad_cov
        with np.errstate(invalid="ignore"):  # −∞ − (−∞) where rₙₖ = 0 and πₖ = 0
            advantage = log_joint - log_probs - elbo
        # one-sided derivatives where rₙₖ = 0: +∞ from the formula if πₖ > 0, −∞ if πₖ = 0
        advantage[log_joint == -np.inf] = -np.inf
        name = q.parameter_names[0]
        if name == "probs":
            grad_q = advantage
        else:
            with np.errstate(invalid="ignore"):  # 0 · ±∞ for a logit of −∞, masked
                grad_q = np.where(log_probs > -np.inf, probs * advantage, 0.0)
        grad_q = grad_q.reshape(batch + (self.n_components,))
        grads_theta = {"weights": grad_weights, "means": grad_means, "covariances": grad_cov}
        return grads_theta, {name: numerics.sum_to_shape(grad_q, np.shape(getattr(q, name)))}


def _scatter_to_component(values, one_hot, batch):
    """Per-point values (*B, *shape) placed in the row of each point's component:
    (*B, K, *shape), zero in the other rows."""
    extra = values.ndim - len(batch)
    return one_hot.reshape(one_hot.shape + (1,) * extra) * values.reshape(batch + (1,) + values.shape[len(batch):])


def _elbo_terms(log_joint, probs, log_probs):
    """qₖ [log p(x, k) − log qₖ] for each component: 0 where qₖ = 0 (0 log 0 = 0 and
    0 · log p(x, k) = 0, also for log p(x, k) = −∞), −∞ where qₖ > 0 and log p(x, k) = −∞.

    qₖ > 0 is read from log qₖ > −∞, not from qₖ itself: a logits q can give a
    component a probability that is positive but rounds to 0."""
    with np.errstate(invalid="ignore"):  # −∞ − (−∞) and 0 · ∞, both masked
        terms = probs * (log_joint - log_probs)
    terms = np.where(log_joint == -np.inf, -np.inf, terms)
    return np.where(log_probs == -np.inf, 0.0, terms)


def _check_weights_and_means(weights, means):
    weights = as_float_array(weights, "weights", ndim=1)
    if weights.shape[0] == 0:
        raise ValueError("weights must have at least one component; got shape (0,)")
    check_probability_vector(weights, "weights")
    means = as_float_array(means, "means", ndim=2)
    if means.shape[0] != weights.shape[0]:
        raise ValueError(
            f"means must have one row per component (K = {weights.shape[0]} weights);"
            f" got shape {means.shape}"
        )
    if means.shape[1] == 0:
        raise ValueError("means must have at least one column (D >= 1); got shape "
                         f"{means.shape}")
    return weights, means
