"""The linear-Gaussian latent variable model: probabilistic PCA and factor analysis.

    z ~ N(0, I_L),    x | z ~ N(W z + b, Ψ),    Ψ = diag(noise_var)

Everything is Gaussian, so the evidence and the posterior are exact:

    p(x)     = N(x | b, C),                        C = W Wᵀ + Ψ
    p(z | x) = N(M⁻¹ Wᵀ Ψ⁻¹ (x − b), M⁻¹),          M = I_L + Wᵀ Ψ⁻¹ W

C is D × D, but only the D × L matrix A = Ψ^(−½) W and two small stacked matrices,
[I_k; R₁ᵀ] ((k + L) × k, k = min(D, L)) and, for the posterior, [I_L; R₁]
((k + L) × L), are ever factorised, all by Householder QR: with A = Q [R₁; 0],
Ψ^(−½) C Ψ^(−½) = I + A Aᵀ = Q diag(I_k + R₁R₁ᵀ, I) Qᵀ, so a data point costs O(D L)
after one O(D L²) factorisation, and no D × D matrix is formed, inverted or
factorised. (The same identity is the Woodbury identity and the matrix determinant
lemma det C = det M · det Ψ for the capacitance matrix M = I_L + Wᵀ Ψ⁻¹ W = I + R₁ᵀR₁;
M itself is never factorised, since forming it squares A.)

A scalar ``noise_var`` σ² (Ψ = σ² I) is probabilistic PCA (Tipping & Bishop 1999);
a vector of D noise variances is factor analysis. The closed-form ELBO for a Gaussian
q(z) = N(m, S) and its hand-written gradient sit side by side below
(``linear_gaussian_elbo``, ``LinearGaussian.elbo_grad``).
Derivation: ``derivations/03-latent-variable-models-and-the-elbo.md``.
"""

import numpy as np
from scipy.linalg import lapack

from .. import autodiff as ad
from .. import numerics
from ..distributions import REAL, MultivariateNormal, Normal, _lower_triangle
from ..numerics import LOG_2PI, sum_to_shape
from ..validation import as_float_array, as_generator, check_count, check_positive, check_size
from ._checks import data_batch_shape, require_family

__all__ = [
    "LinearGaussian",
    "linear_gaussian_elbo",
    "linear_gaussian_log_prior",
    "linear_gaussian_log_likelihood",
]


def linear_gaussian_log_prior(z):
    """log p(z) = log N(z | 0, I_L) = −½ ‖z‖² − (L/2) log 2π, for z of shape (..., L).

    Written with ``vi_ref.autodiff`` operations, like every formula of this module: on
    ndarrays it is the value ``LinearGaussian.log_prior`` returns, on Tensors it builds
    the graph that checks ``LinearGaussian.log_joint_grad``."""
    return -0.5 * ad.sum(ad.square(z), axis=-1) - 0.5 * np.shape(ad.value_of(z))[-1] * LOG_2PI


def linear_gaussian_log_likelihood(x, z, W, b, noise_var):
    """log p(x | z) = −½ Σ_d [log 2π ψ_d + (x_d − (W z + b)_d)² / ψ_d], for x (..., D),
    z (..., L) with broadcasting batch shapes, W (D, L), b (D,), noise_var () or (D,)."""
    residual = x - ad.matmul(z, ad.transpose(W)) - b
    return -0.5 * ad.sum(LOG_2PI + ad.log(noise_var) + ad.square(residual) / noise_var, axis=-1)


def linear_gaussian_elbo(x, W, b, noise_var, loc, *, scale_tril=None, scale=None):
    """The ELBO of the linear-Gaussian model for a Gaussian q(z) = N(m, S), in closed form:

        ELBO = E_q[log p(z)] + E_q[log p(x | z)] + H[q]
        E_q[log p(z)]     = −½ (‖m‖² + tr S) − (L/2) log 2π
        E_q[log p(x | z)] = −½ Σ_d [log 2π ψ_d + ((x_d − b_d − w_dᵀ m)² + w_dᵀ S w_d) / ψ_d]
        H[q]              = (L/2)(1 + log 2π) + ½ log det S

    using E_q[(x_d − w_dᵀ z − b_d)²] = (x_d − w_dᵀ m − b_d)² + w_dᵀ S w_d (a squared
    mean plus a variance), where w_dᵀ is row d of W. With S = R Rᵀ (``scale_tril`` R)
    tr S = ‖R‖²_F, w_dᵀ S w_d = ‖(W R)_d‖² and ½ log det S = Σᵢ log Rᵢᵢ; a diagonal q
    (``scale`` s, S = diag(s²)) is the case R = diag(s).

    Written with ``vi_ref.autodiff`` operations: on ndarrays it is the value
    ``LinearGaussian.elbo`` returns, on Tensors it builds the graph whose gradient
    checks ``LinearGaussian.elbo_grad``. Derivation 03, "Closed-form ELBOs".

    Args:
        x: (..., D) data points. W: (D, L). b: (D,). noise_var: () or (D,).
        loc: (..., L) means m of q.
        scale_tril: (..., L, L) lower Cholesky factors R of S (only the lower
            triangle is read), or
        scale: (..., L) standard deviations of a diagonal q.

    Returns:
        array of the broadcast batch shape of x and q, one ELBO per data point.
    """
    n_latent = np.shape(ad.value_of(loc))[-1]
    if scale_tril is not None:
        factor = _lower_triangle(scale_tril)
        projected_factor = ad.matmul(W, factor)  # (..., D, L): rows (W R)_d
        trace = ad.sum(ad.square(factor), axis=(-2, -1))
        half_log_det = ad.sum(ad.log(ad.diagonal(factor, axis1=-2, axis2=-1)), axis=-1)
    else:
        projected_factor = W * ad.reshape(scale, np.shape(ad.value_of(scale))[:-1] + (1, n_latent))
        trace = ad.sum(ad.square(scale), axis=-1)
        half_log_det = ad.sum(ad.log(scale), axis=-1)
    residual = x - b - ad.matmul(W, loc[..., None])[..., 0]
    expected_square = ad.square(residual) + ad.sum(ad.square(projected_factor), axis=-1)
    expected_log_likelihood = -0.5 * ad.sum(LOG_2PI + ad.log(noise_var) + expected_square / noise_var, axis=-1)
    expected_log_prior = -0.5 * (ad.sum(ad.square(loc), axis=-1) + trace) - 0.5 * n_latent * LOG_2PI
    entropy = 0.5 * n_latent * (1.0 + LOG_2PI) + half_log_det
    return expected_log_prior + expected_log_likelihood + entropy


def _scalar_if_0d(value):
    """A 0-d ndarray as a NumPy scalar (as the other methods return); Tensors unchanged."""
    return value if isinstance(value, ad.Tensor) else np.asarray(value)[()]


def _householder_qr(matrix):
    """The Householder QR of a (rows, columns) matrix, as LAPACK stores it: the
    reflectors below the diagonal of ``factored``, R on and above it (R = triu of its
    first min(rows, columns) rows), and their scalar factors ``tau``."""
    factored, tau, _, info = lapack.dgeqrf(np.asfortranarray(matrix, dtype=float))
    if info != 0:  # pragma: no cover - only for an argument LAPACK rejects
        raise RuntimeError(f"LAPACK dgeqrf failed (info = {info})")
    return factored, tau


def _apply_householder(factored, tau, columns, *, transpose):
    """Qᵀ columns (``transpose``) or Q columns, for the Q of ``_householder_qr``
    (rows × rows, applied reflector by reflector, never formed); ``columns`` is
    (rows, n) and is overwritten."""
    if columns.shape[1] == 0:
        return columns
    reflectors = factored[:, : tau.shape[0]]
    work = max(1, columns.shape[1]) * 32
    result, _, info = lapack.dormqr(
        "L", "T" if transpose else "N", reflectors, tau, np.asfortranarray(columns), work, overwrite_c=1
    )
    if info != 0:  # pragma: no cover
        raise RuntimeError(f"LAPACK dormqr failed (info = {info})")
    return result


def _log_abs_product(values):
    """log Πᵢ |vᵢ| without the rounding of each log |vᵢ|: the binary exponents are
    summed as integers (exactly) and only the mantissas, in [√½, √2), go through log.
    Σᵢ log |vᵢ| rounds every term of size |log vᵢ| (≈ 690 at 1e-300), and when the
    terms cancel (det C = Π ψ_d · Π Uᵢᵢ² ≈ 1 with ψ = 1e-300) that is the whole error."""
    mantissa, exponent = np.frexp(np.abs(values))
    low = mantissa < np.sqrt(0.5)
    mantissa, exponent = np.where(low, 2 * mantissa, mantissa), np.where(low, exponent - 1, exponent)
    return float(np.sum(np.log(mantissa)) + float(np.sum(exponent, dtype=np.int64)) * np.log(2.0))


class LinearGaussian:
    """z ~ N(0, I_L), x | z ~ N(W z + b, diag(noise_var)): PPCA / factor analysis.

    Args:
        W: (D, L) loading matrix.
        b: (D,) offset (the mean of x).
        noise_var: the noise variances ψ_d > 0: a scalar σ² for isotropic noise
            (probabilistic PCA) or a (D,) vector (factor analysis).

    Attributes:
        W, b, noise_var: as given (float64). n_features (D), n_latent (L),
        latent_shape (L,), params (dict of the three parameters).

    Raises:
        ValueError: naming the argument, for shapes that do not fit together,
            non-finite entries, noise variances that are not positive, or
            W / √noise_var overflowing.
    """

    parameter_names = ("W", "b", "noise_var")

    def __init__(self, W, b, noise_var):
        W = as_float_array(W, "W", ndim=2)
        n_features, n_latent = W.shape
        if n_features == 0 or n_latent == 0:
            raise ValueError(f"W must have at least one row and one column; got shape {W.shape}")
        b = as_float_array(b, "b", ndim=1)
        if b.shape != (n_features,):
            raise ValueError(f"b must have shape ({n_features},) to match W of shape {W.shape}; got {b.shape}")
        noise_var = check_positive(as_float_array(noise_var, "noise_var"), "noise_var")
        if noise_var.shape not in ((), (n_features,)):
            raise ValueError(
                f"noise_var must be a scalar (isotropic noise, PPCA) or have shape ({n_features},)"
                f" (factor analysis); got shape {noise_var.shape}"
            )
        self.W, self.b, self.noise_var = W, b, noise_var
        self._noise = np.broadcast_to(noise_var, (n_features,))
        self._root_noise = np.sqrt(self._noise)
        # M = I + Wᵀ Ψ⁻¹ W, the capacitance matrix, for elbo_grad's ∂/∂R = tril(−M R) + …
        with np.errstate(over="ignore"):
            self._capacitance = np.eye(n_latent) + (W.T / self._noise) @ W
        scaled = W / self._root_noise[:, None]  # A = Ψ^(−½) W
        if not np.all(np.isfinite(scaled)):
            raise ValueError("W / sqrt(noise_var) must be finite; it overflows (noise_var too small for W)")
        # Householder QR is backward stable column by column; with the rows in
        # decreasing order of size (and, in the theorem, the columns pivoted) it is so
        # row by row too (Powell & Reid 1969; Cox & Higham 1998), which factor analysis
        # needs: rows of A scaled by ψ_d^(−½) from 1 to 1e150 gave relative errors up to
        # 75 in unsorted order; sorted, without column pivoting, tests/test_extremes.py
        # checks them. Permuting the rows
        # of A and of c̃ alike leaves c̃ᵀ (I + A Aᵀ)⁻¹ c̃ unchanged.
        self._row_order = np.argsort(-np.max(np.abs(scaled), axis=1), kind="stable")
        self._loadings_qr = _householder_qr(scaled[self._row_order])  # A = Q [R₁; 0]
        rank = min(n_features, n_latent)
        self._loadings_r = np.triu(self._loadings_qr[0][:rank])  # R₁, k × L
        # I_k + R₁R₁ᵀ = Bᵀ B for B = [I_k; R₁ᵀ] = Q_B [U; 0]: its factor U without
        # forming R₁R₁ᵀ (which would square R₁'s condition number)
        self._stacked_qr = _householder_qr(np.vstack([np.eye(rank), self._loadings_r.T]))
        self._stacked_r = np.triu(self._stacked_qr[0][:rank])  # U, k × k
        # log det C = log det Ψ + log det(I_k + R₁R₁ᵀ) = log(Π_d ψ_d · Πᵢ Uᵢᵢ²)
        self._log_det_covariance = _log_abs_product(
            np.concatenate([self._noise, np.diagonal(self._stacked_r), np.diagonal(self._stacked_r)])
        )

    n_features = property(lambda self: self.W.shape[0], doc="Dimension D of x.")
    n_latent = property(lambda self: self.W.shape[1], doc="Dimension L of z.")
    latent_shape = property(lambda self: (self.W.shape[1],), doc="Shape (L,) of one z.")
    latent_support = REAL  # every coordinate of z

    @property
    def params(self):
        """Dict parameter name → array: W, b, noise_var."""
        return {name: getattr(self, name) for name in self.parameter_names}

    @property
    def marginal_covariance(self):
        """C = W Wᵀ + Ψ, the covariance of p(x) (D × D; the evidence never forms it)."""
        return self.W @ self.W.T + np.diag(self._noise)

    def __repr__(self):
        kind = "isotropic" if self.noise_var.ndim == 0 else "diagonal"
        return f"LinearGaussian(n_features={self.n_features}, n_latent={self.n_latent}, noise={kind})"

    # ----- validation -----------------------------------------------------

    def _check_points(self, x):
        x = as_float_array(x, "x", min_ndim=1)
        if x.shape[-1] != self.n_features:
            raise ValueError(f"x must have D = {self.n_features} entries in its last axis; got shape {x.shape}")
        return x

    def _check_latents(self, z):
        """z as a float array (..., L); a ``vi_ref.autodiff.Tensor`` is checked and kept."""
        value = as_float_array(ad.value_of(z), "z", min_ndim=1)
        if value.shape[-1] != self.n_latent:
            raise ValueError(f"z must have L = {self.n_latent} entries in its last axis; got shape {value.shape}")
        return z if isinstance(z, ad.Tensor) else value

    def _gaussian_q(self, q, x_batch):
        """(loc, scale_tril or None, scale or None, batch shape) of a Gaussian q over z."""
        require_family(
            q,
            (MultivariateNormal, Normal),
            f"a Gaussian over the L = {self.n_latent} latent variables; a Normal with"
            f" parameters of shape (..., {self.n_latent}) is a diagonal one",
        )
        if isinstance(q, MultivariateNormal):
            event, q_batch = q.event_shape, q.batch_shape
        else:
            event, q_batch = q.batch_shape[-1:], q.batch_shape[:-1]
        if event != self.latent_shape:
            raise ValueError(
                f"q must be a distribution over the L = {self.n_latent} latent variables;"
                f" got event shape {event}"
            )
        batch = data_batch_shape(x_batch, q_batch)
        if isinstance(q, MultivariateNormal):
            return q.loc, q.scale_tril, None, batch
        # a Normal's loc and scale broadcast to its batch (..., L) only jointly
        return np.broadcast_to(q.loc, q.batch_shape), None, np.broadcast_to(q.scale, q.batch_shape), batch

    # ----- the model --------------------------------------------------------

    def log_prior(self, z):
        """log p(z) = log N(z | 0, I) = −½ ‖z‖² − (L/2) log 2π, for z of shape (..., L)
        (``linear_gaussian_log_prior``; z may be a ``vi_ref.autodiff.Tensor``)."""
        return _scalar_if_0d(linear_gaussian_log_prior(self._check_latents(z)))

    def log_likelihood(self, x, z):
        """log p(x | z) = −½ Σ_d [log 2π ψ_d + (x_d − (W z + b)_d)² / ψ_d].

        Args:
            x: (..., D). z: (..., L); the batch shapes broadcast (e.g. samples
                z of shape (S, N, L) against data x of shape (N, D)).
        """
        x, z = self._check_points(x), self._check_latents(z)
        return _scalar_if_0d(linear_gaussian_log_likelihood(x, z, self.W, self.b, self.noise_var))

    def log_joint(self, x, z):
        """log p(x, z) = log p(z) + log p(x | z); z may be a ``vi_ref.autodiff.Tensor``
        (then so is the result), and the module-level formulas take Tensors for the
        parameters W, b and noise_var too."""
        return self.log_prior(z) + self.log_likelihood(x, z)

    def log_joint_grad(self, x, z):
        """Per-sample gradient of log p(x, z), by hand. With r = x − W z − b, Ψ = diag(ψ):

            ∂/∂z = −z + Wᵀ Ψ⁻¹ r          ∂/∂W = Ψ⁻¹ r zᵀ          ∂/∂b = Ψ⁻¹ r
            ∂/∂ψ_d = ½ (r_d²/ψ_d − 1)/ψ_d     (summed over d for a scalar noise_var)

        Args:
            x: (..., D). z: (..., L); the batch shapes broadcast to B.

        Returns:
            dict with "z" (*B, L), "W" (*B, D, L), "b" (*B, D) and "noise_var" (*B) or
            (*B, D): one gradient per pair (x, z) of the broadcast batch, not summed.
        """
        x, z = self._check_points(x), self._check_latents(z)
        batch = np.broadcast_shapes(x.shape[:-1], z.shape[:-1])
        z = np.broadcast_to(z, batch + (self.n_latent,))
        weighted_residual = (x - z @ self.W.T - self.b) / self._noise
        residual_term = 0.5 * (weighted_residual**2 - 1 / self._noise)
        return {
            "z": -z + weighted_residual @ self.W,
            "W": weighted_residual[..., :, None] * z[..., None, :],
            "b": weighted_residual,
            "noise_var": residual_term if self.noise_var.ndim else np.sum(residual_term, axis=-1),
        }

    def sample(self, n, rng=None):
        """n draws of (x, z): z ~ N(0, I_L), then x = W z + b + √ψ ⊙ ε with ε ~ N(0, I_D).

        Returns:
            x (n, D) and z (n, L).
        """
        n = check_size(check_count(n, "n"), "n", per_unit=self.n_features + self.n_latent)
        generator = as_generator(rng)
        z = generator.standard_normal((n, self.n_latent))
        noise = generator.standard_normal((n, self.n_features)) * np.sqrt(self._noise)
        return z @ self.W.T + self.b + noise, z

    def _rotated(self, centred):
        """(scale, y): y = Qᵀ Ψ^(−½) (c / scale) as columns (D, n) for rows c = x − b of
        shape (..., D) (n = their number), in the row order of the QR of A; scale (..., 1)
        is max_d |c_d| (1 where that is 0 or not finite), so that the entries are ≤ 1
        and a quadratic form of x = 1e200 overflows to ∞, not to ∞ − ∞ = NaN."""
        scale = np.max(np.abs(centred), axis=-1, keepdims=True)
        scale = np.where((scale > 0) & np.isfinite(scale), scale, 1.0)
        whitened = (centred / scale / self._root_noise)[..., self._row_order]
        columns = whitened.reshape(-1, self.n_features).T  # Fortran order: no copy
        return scale, _apply_householder(*self._loadings_qr, columns, transpose=True)

    def _whitened_projection(self, rotated):
        """t = U⁻ᵀ y₁ for columns y = Qᵀ c̃ (y₁ its first k rows): ‖t‖² = y₁ᵀ (I + R₁R₁ᵀ)⁻¹ y₁."""
        rank = self._stacked_r.shape[0]
        return numerics.solve_triangular(self._stacked_r, rotated[:rank], lower=False, transpose=True)

    def _posterior_mean(self, centred):
        """m = M⁻¹ Wᵀ Ψ⁻¹ c for rows c = x − b (..., D), without M: with y = Qᵀ Ψ^(−½) c,

            m = argmin_z ‖z‖² + ‖y₁ − R₁ z‖² = R₁ᵀ λ,    λ = (I + R₁R₁ᵀ)⁻¹ y₁,

        and [λ; m] = B (Bᵀ B)⁻¹ y₁ = Q_B [t; 0], t = U⁻ᵀ y₁: the minimum-norm solution of
        Bᵀ [λ; m] = λ + R₁ m = y₁, from the QR of B = [I_k; R₁ᵀ] and not by solving
        with M (whose condition number is that of A squared)."""
        scale, rotated = self._rotated(centred)
        projection = self._whitened_projection(rotated)
        rank = projection.shape[0]
        padded = np.zeros((rank + self.n_latent, projection.shape[1]), order="F")
        padded[:rank] = projection
        solution = _apply_householder(*self._stacked_qr, padded, transpose=False)
        mean = solution[rank:].T.reshape(centred.shape[:-1] + (self.n_latent,))
        with np.errstate(over="ignore"):
            return mean * scale

    def log_marginal(self, x):
        """The evidence log p(x) = log N(x | b, C), C = W Wᵀ + Ψ, from the Householder QR
        A = Ψ^(−½) W = Q [R₁; 0] (k = min(D, L) rows of R₁) and the QR of the stacked
        B = [I_k; R₁ᵀ] = Q_B [U; 0], so that Uᵀ U = I_k + R₁R₁ᵀ. With c̃ = Ψ^(−½)(x − b)
        and y = Qᵀ c̃ = [y₁; y₂] (y₂ the last D − k entries; none when D ≤ L):

            Ψ^(−½) C Ψ^(−½) = I + A Aᵀ = Q diag(I_k + R₁R₁ᵀ, I_(D−k)) Qᵀ
            (x − b)ᵀ C⁻¹ (x − b) = c̃ᵀ (I + A Aᵀ)⁻¹ c̃ = ‖U⁻ᵀ y₁‖² + ‖y₂‖²
            log det C            = Σ_d log ψ_d + 2 Σᵢ log |Uᵢᵢ|
            log p(x)             = −½ [D log 2π + log det C + (x − b)ᵀ C⁻¹ (x − b)]

        Both terms of the quadratic form are non-negative and neither is a difference:
        Qᵀ c̃ is applied reflector by reflector (the D × D Q is never formed), so y₂ is
        not the residual c̃ − A m of the posterior mean m, which cancels to an error
        ε ‖c̃‖ that is then squared (with ψ = 1e-300 and W = 3, x − b = 1 that gave
        −2.5e268 for −2.0731). Equivalently, by Woodbury, (x − b)ᵀ C⁻¹ (x − b) =
        ‖m‖² + ‖Ψ^(−½)(x − b − W m)‖² with the posterior mean m (derivation 03). The
        log-determinant is the log of one product, its binary exponents added as
        integers: Σ log ψ_d and 2 Σ log |Uᵢᵢ| cancel when ψ ≪ W Wᵀ.

        Args:
            x: (D,) gives a float, (..., D) gives (...).
        """
        x = self._check_points(x)
        # the quadratic form is homogeneous of degree 2 in x − b: evaluated on x − b
        # scaled to entries ≤ 1 and scaled back (x = 1e200 gives −∞, not NaN)
        scale, rotated = self._rotated(x - self.b)
        projection = self._whitened_projection(rotated)
        rank = projection.shape[0]
        with np.errstate(over="ignore"):
            quadratic = scale[..., 0] ** 2 * (
                np.sum(projection**2, axis=0) + np.sum(rotated[rank:] ** 2, axis=0)
            ).reshape(scale.shape[:-1])
        return (-0.5 * (self.n_features * LOG_2PI + self._log_det_covariance + quadratic))[()]

    def _posterior_scale_tril(self):
        """A lower-triangular R with R Rᵀ = M⁻¹, without forming or inverting M.

        M = I_L + R₁ᵀR₁ = Bᵀ B for B = [I_L; R₁], and with the columns reversed,
        B J = Q' [R'; 0] gives J M J = R'ᵀ R' (J the exchange matrix), so
        M⁻¹ = (J R'⁻¹ J)(J R'⁻¹ J)ᵀ, and J R'⁻¹ J is lower triangular (its diagonal made
        positive by the signs of R' rows): one QR and one triangular solve.
        """
        stacked = np.vstack([np.eye(self.n_latent), self._loadings_r])[:, ::-1]
        # rows in decreasing order of size, as for A (R₁'s may be 1e150 beside I's 1)
        stacked = stacked[np.argsort(-np.max(np.abs(stacked), axis=1), kind="stable")]
        upper = np.triu(_householder_qr(stacked)[0][: self.n_latent])
        upper *= np.sign(np.diagonal(upper))[:, None]
        inverse = numerics.solve_triangular(upper, np.eye(self.n_latent), lower=False)
        return np.ascontiguousarray(inverse[::-1, ::-1])

    def posterior(self, x):
        """p(z | x) = N(M⁻¹ Wᵀ Ψ⁻¹ (x − b), M⁻¹) as a ``MultivariateNormal``: loc of
        shape (..., L) for x of shape (..., D), one shared scale_tril (L, L).

        (Complete the square in log p(z) + log p(x | z): the quadratic term in z is
        −½ zᵀ (I + Wᵀ Ψ⁻¹ W) z = −½ zᵀ M z, the linear term zᵀ Wᵀ Ψ⁻¹ (x − b).)
        """
        x = self._check_points(x)
        return MultivariateNormal(self._posterior_mean(x - self.b), scale_tril=self._posterior_scale_tril())

    # ----- the closed-form ELBO and its gradient -----------------------------

    def elbo(self, x, q):
        """ELBO(x, q) = E_q[log p(x, z) − log q(z)] in closed form (``linear_gaussian_elbo``).

        Args:
            x: (D,) or (..., D) data points.
            q: a ``MultivariateNormal`` over the L latents, or a diagonal ``Normal``
                with parameters of shape (..., L); its batch is one q per data point
                (mean field) or broadcasts against them.

        Returns:
            one ELBO per data point, of the broadcast batch shape (a float for one).

        Raises:
            TypeError: if q is not a MultivariateNormal or a Normal.
            ValueError: if q is not over L latent variables, its batch does not fit
                the data points, or x has the wrong last dimension or NaNs.
        """
        x = self._check_points(x)
        loc, scale_tril, scale, batch = self._gaussian_q(q, x.shape[:-1])
        value = linear_gaussian_elbo(x, self.W, self.b, self.noise_var, loc, scale_tril=scale_tril, scale=scale)
        return np.broadcast_to(value, batch)[()]

    def elbo_grad(self, x, q):
        """Gradient of Σₙ ELBO(xₙ, qₙ) (the sum over the data points of ``elbo``), by hand.

        With m, S = R Rᵀ the mean and covariance of q, r = x − b − W m, Ψ = diag(ψ)
        and M = I + Wᵀ Ψ⁻¹ W:

            ∂/∂W = Ψ⁻¹ (r mᵀ − W S)           ∂/∂b = Ψ⁻¹ r
            ∂/∂ψ_d = ½ [(r_d² + (W S Wᵀ)_dd) / ψ_d − 1] / ψ_d   (summed over d for a scalar noise_var)
            ∂/∂m = Wᵀ Ψ⁻¹ r − m
            ∂/∂R = tril(−M R) + diag(1/Rᵢᵢ)     (MultivariateNormal q)
            ∂/∂s = −diag(M) ⊙ s + 1/s          (diagonal Normal q, S = diag(s²))

        since the terms in S collect to −½ tr(M S) + ½ log det S, and
        d tr(M R Rᵀ) = 2 ⟨M R, dR⟩. Setting ∂/∂m = 0 and ∂/∂R = 0 gives m = M⁻¹ Wᵀ Ψ⁻¹ (x − b),
        S = M⁻¹: the posterior (derivation 03).

        Returns:
            (grads_theta, grads_phi): {"W", "b", "noise_var"} and {"loc",
            "scale_tril"} or {"loc", "scale"}, each of its parameter's shape (entries
            shared by several data points receive the sum over them).
        """
        x = self._check_points(x)
        loc, scale_tril, scale, batch = self._gaussian_q(q, x.shape[:-1])
        W, noise = self.W, self._noise
        x = np.broadcast_to(x, batch + (self.n_features,))
        mean = np.broadcast_to(loc, batch + (self.n_latent,))
        residual = x - self.b - mean @ W.T
        weighted_residual = residual / noise
        grads_phi = {"loc": sum_to_shape(weighted_residual @ W - mean, np.shape(q.loc))}
        if scale_tril is not None:
            factor = np.broadcast_to(scale_tril, batch + (self.n_latent, self.n_latent))
            projected_factor = W @ factor
            W_times_S = projected_factor @ np.swapaxes(factor, -1, -2)
            inverse_diagonal = 1 / np.diagonal(factor, axis1=-2, axis2=-1)
            grad_factor = np.tril(-(self._capacitance @ factor))
            grad_factor += np.eye(self.n_latent) * inverse_diagonal[..., None, :]
            grads_phi["scale_tril"] = sum_to_shape(grad_factor, np.shape(q.scale_tril))
        else:
            deviation = np.broadcast_to(scale, batch + (self.n_latent,))
            projected_factor = W * deviation[..., None, :]
            W_times_S = W * (deviation**2)[..., None, :]
            grad_scale = -np.diagonal(self._capacitance) * deviation + 1 / deviation
            grads_phi["scale"] = sum_to_shape(grad_scale, np.shape(q.scale))
        expected_square = residual**2 + np.sum(projected_factor**2, axis=-1)
        grad_W = weighted_residual[..., :, None] * mean[..., None, :] - W_times_S / noise[:, None]
        grads_theta = {
            "W": sum_to_shape(grad_W, W.shape),
            "b": sum_to_shape(weighted_residual, self.b.shape),
            "noise_var": sum_to_shape(0.5 * (expected_square / noise - 1) / noise, self.noise_var.shape),
        }
        return grads_theta, grads_phi
