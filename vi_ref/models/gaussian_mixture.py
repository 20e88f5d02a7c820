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

from .. import numerics
from ..validation import (
    as_float_array,
    as_generator,
    check_count,
    check_positive,
    check_probability_vector,
    first_bad_index,
)

__all__ = [
    "GaussianMixture",
    "COVARIANCE_TYPES",
    "squared_mahalanobis",
    "posterior_from_log_joint",
    "lower_triangular_inverse",
    "row_chunks",
]

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
LOG_2PI = np.log(2 * np.pi)
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


def lower_triangular_inverse(factor):
    """L⁻¹ for a (batch of) lower-triangular factors L (..., D, D) with non-zero
    diagonal, by forward substitution on L Y = I, one row of Y per step and
    vectorised over the batch:

        Yᵢ = (eᵢ − Σⱼ₍ⱼ₌₀..ᵢ₋₁₎ Lᵢⱼ Yⱼ) / Lᵢᵢ

    It gives Pₖ = Lₖ⁻ᵀ without a LAPACK call per component: SciPy's triangular
    solver runs on a second OpenBLAS, whose worker threads cost milliseconds per
    small call when the cores are busy (measured on 2 cores).
    """
    size = factor.shape[-1]
    inverse = np.zeros(factor.shape)
    for i in range(size):
        row = -np.einsum("...j,...jk->...k", factor[..., i, :i], inverse[..., :i, :])
        row[..., i] += 1.0
        inverse[..., i, :] = row / factor[..., i, i, None]
    return inverse


def row_chunks(n_rows, n_features):
    """(start, stop) ranges covering ``n_rows`` rows, each small enough that a
    (n_features, rows) temporary holds about ``CHUNK_ELEMENTS`` doubles."""
    rows = max(1, CHUNK_ELEMENTS // n_features)
    return [(start, min(start + rows, n_rows)) for start in range(0, n_rows, rows)]


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


def posterior_from_log_joint(log_joint, axis=-1):
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

    Returns:
        (responsibilities of the shape of ``log_joint``, log evidence with ``axis`` removed).
    """
    shift = np.max(log_joint, axis=axis, keepdims=True)
    responsibilities = np.subtract(log_joint, shift)
    kept = responsibilities >= LOG_SMALLEST_NORMAL
    # clamp, exponentiate, then zero what was clamped: exp is slow on arguments
    # whose result underflows, and a masked exp is slower still
    np.maximum(responsibilities, LOG_SMALLEST_NORMAL, out=responsibilities)
    np.exp(responsibilities, out=responsibilities)
    responsibilities *= kept
    total = np.sum(responsibilities, axis=axis, keepdims=True)
    responsibilities /= total
    log_evidence = np.log(total)
    log_evidence += shift
    return responsibilities, np.squeeze(log_evidence, axis=axis)


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
        n_components (K), n_features (D).

    Raises:
        ValueError: naming the argument, for weights that are negative or do not sum
            to 1, shapes that do not fit together, non-finite entries, covariance
            matrices that are not symmetric positive definite, non-positive variances,
            an unknown covariance_type.
    """

    def __init__(self, weights, means, covariances, *, covariance_type="full"):
        weights, means = _check_weights_and_means(weights, means)
        check_covariance_type(covariance_type)
        shape = parameter_shape(covariance_type, *means.shape)
        covariances = as_float_array(covariances, "covariances")
        if covariances.shape != shape:
            raise ValueError(
                f"covariances must have shape {shape} for covariance_type={covariance_type!r}"
                f" with K = {means.shape[0]}, D = {means.shape[1]}; got {covariances.shape}"
            )
        if covariance_type in ("full", "tied"):
            scale = numerics.cholesky(covariances, "covariances")
            # Pₖ = Lₖ⁻ᵀ by triangular substitution Lₖ Y = I, as scikit-learn computes it
            precisions_cholesky = np.swapaxes(lower_triangular_inverse(scale), -1, -2)
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
        shape = parameter_shape(covariance_type, *means.shape)
        precisions = as_float_array(precisions, "precisions")
        if precisions.shape != shape:
            raise ValueError(
                f"precisions must have shape {shape} for covariance_type={covariance_type!r}"
                f" with K = {means.shape[0]}, D = {means.shape[1]}; got {precisions.shape}"
            )
        if covariance_type in ("full", "tied"):
            flipped = numerics.cholesky(precisions[..., ::-1, ::-1], "precisions")
            precisions_cholesky = np.ascontiguousarray(flipped[..., ::-1, ::-1])
            # L = U⁻ᵀ = (J C⁻¹ J)ᵀ: the inverse of the lower factor C, flipped back
            scale = np.swapaxes(lower_triangular_inverse(flipped)[..., ::-1, ::-1], -1, -2)
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
                    f"z must be integer component labels; got {z[bad].flat[0]}{first_bad_index(bad)}"
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
        log_joint = _squared_mahalanobis_by_component(rows, self.means, self._precision_factors)
        log_joint *= -0.5
        log_joint += (
            self._log_weights
            + self._log_det_precision_cholesky
            - 0.5 * self.n_features * LOG_2PI
        )[:, None]
        return log_joint.T.reshape(batch + (self.n_components,))

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
        from ..distributions import Categorical

        responsibilities, _ = posterior_from_log_joint(self.log_joint_components(x))
        return Categorical(probs=responsibilities)

    def sample(self, n, rng=None):
        """n draws of (x, z): z ~ Categorical(π), then x = μ_z + L_z ε with ε ~ N(0, I)
        and L_z L_zᵀ = Σ_z (ancestral sampling of the LVM, derivation 03).

        Returns:
            x (n, D) and z (n,) integer labels.
        """
        n = check_count(n, "n")
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
        """(data rows broadcast to the batch, log p(x, z = k), q's probs and normalised
        logits), all of the broadcast batch shape of x and q, plus (..., K)."""
        from ..distributions import Categorical

        if not isinstance(q, Categorical):
            raise TypeError(
                f"q must be a Categorical over the K = {self.n_components} components;"
                f" got {type(q).__name__}"
            )
        if q.probs.shape[-1] != self.n_components:
            raise ValueError(
                f"q must be a Categorical over the K = {self.n_components} components;"
                f" got {q.probs.shape[-1]} categories"
            )
        log_joint = self.log_joint_components(x)
        try:
            shape = np.broadcast_shapes(log_joint.shape, q.probs.shape)
        except ValueError:
            raise ValueError(
                f"q has batch shape {q.batch_shape}, which does not broadcast with the"
                f" {log_joint.shape[:-1]} data points of x"
            ) from None
        rows = np.broadcast_to(np.asarray(x, dtype=float), shape[:-1] + (self.n_features,))
        return (rows, np.broadcast_to(log_joint, shape), np.broadcast_to(q.probs, shape),
                np.broadcast_to(q.logits, shape))

    def elbo(self, x, q):
        """ELBO(x, q) = Σₖ qₖ [log πₖ + log N(x | μₖ, Σₖ) − log qₖ], with 0 log 0 = 0:
        the expectation over a Categorical q(z) is a finite sum (derivation 03).

        Args:
            x: (D,) or (..., D). q: a ``Categorical`` over the K components, one per
                data point (batch (...)) or broadcasting against them.

        Returns:
            one ELBO per data point (a float for one point).

        Raises:
            TypeError: if q is not a Categorical. ValueError: for K or batch shapes
                that do not fit, or x of the wrong dimension or with NaNs.
        """
        _, log_joint, probs, log_probs = self._categorical_q(q, x)
        with np.errstate(invalid="ignore"):
            terms = np.where(probs > 0, probs * (log_joint - log_probs), 0.0)
        return np.sum(terms, axis=-1)[()]

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
        covariance derivative is the symmetric one (of the ELBO at (Σ + Σᵀ)/2).

        Returns:
            (grads_theta, grads_phi): {"weights", "means", "covariances"} shaped like
            the parameters, and {"probs"} or {"logits"} shaped like q's.
        """
        rows, log_joint, probs, log_probs = self._categorical_q(q, x)
        rows = rows.reshape(-1, self.n_features)
        r = probs.reshape(-1, self.n_components)
        counts = r.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(probs > 0, probs * (log_joint - log_probs), 0.0)
            advantage = log_joint - log_probs - np.sum(terms, axis=-1, keepdims=True)
            grad_weights = np.divide(counts, self.weights, out=np.zeros(self.n_components),
                                     where=counts > 0) - rows.shape[0]
        centred = rows[None, :, :] - self.means[:, None, :]  # (K, M, D)
        weighted_sums = np.einsum("mk,kmd->kd", r, centred)
        factors = self._precision_factors
        if factors.ndim == 3:  # full and tied: Λₖ = Pₖ Pₖᵀ
            precisions = factors @ np.swapaxes(factors, -1, -2)
            scatter = np.einsum("mk,kmi,kmj->kij", r, centred, centred)
            grad_means = np.einsum("kij,kj->ki", precisions, weighted_sums)
            grad_cov = 0.5 * (precisions @ scatter @ precisions - counts[:, None, None] * precisions)
            grad_cov = grad_cov.sum(axis=0) if self.covariance_type == "tied" else grad_cov
        else:  # diag and spherical: Λₖ is diagonal
            precisions = factors**2
            scatter = np.einsum("mk,kmd->kd", r, centred**2)
            grad_means = precisions * weighted_sums
            grad_cov = 0.5 * (precisions**2 * scatter - counts[:, None] * precisions)
            grad_cov = grad_cov.sum(axis=1) if self.covariance_type == "spherical" else grad_cov
        name = q.parameter_names[0]
        with np.errstate(invalid="ignore"):
            grad_q = advantage if name == "probs" else np.where(probs > 0, probs * advantage, 0.0)
        grads_theta = {"weights": grad_weights, "means": grad_means, "covariances": grad_cov}
        return grads_theta, {name: numerics.sum_to_shape(grad_q, np.shape(getattr(q, name)))}


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
