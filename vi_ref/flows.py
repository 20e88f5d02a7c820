"""Normalizing flows as a variational family: planar flows on a Gaussian base.

Rezende & Mohamed (2015), "Variational inference with normalizing flows". A draw
of q is the base noise ε ~ N(0, I_D) pushed through an affine base layer and K
planar layers,

    z₀ = μ + σ ⊙ ε                                  (diagonal Gaussian base)
    z_k = z_{k−1} + û_k h(w_kᵀ z_{k−1} + b_k),  h = tanh,   k = 1, …, K

and by the change of variables, with ψ_k = h′(a_k) w_k and a_k = w_kᵀ z_{k−1} + b_k,

    log q(z_K) = log N(ε | 0, I) − Σ_d log σ_d − Σ_k log |1 + û_kᵀ ψ_k|.

The matrix determinant lemma gives det(I + û ψᵀ) = 1 + ûᵀψ, so each layer's
log-determinant is exact and O(D). A layer is invertible when wᵀû ≥ −1 (then
1 + h′(a) wᵀû ≥ 0 for every a, since 0 < h′ ≤ 1, so a ↦ a + wᵀû h(a) is
increasing), with a nonsingular Jacobian everywhere when wᵀû > −1 (at wᵀû = −1 the
determinant is 0 where h′(a) = 1, at a = 0). That constraint is enforced by the
usual reparameterisation of u (Rezende & Mohamed, appendix A): the free parameter is
u, and the layer uses

    û = u + (m(wᵀu) − wᵀu) w / ‖w‖²,    m(s) = −1 + softplus(s),

so that wᵀû = m(wᵀu) > −1 for every real u. (m(s) − s = softplus(−s) − 1, which is
how it is computed: no cancellation for large s.)

The log-determinant is not computed from wᵀû: below wᵀu ≈ −37 the margin
wᵀû + 1 = softplus(wᵀu) < 2⁻⁵³ is lost when wᵀû is rounded, and 1 + h′(a) wᵀû
would cancel to 0 (a singular layer, log-det −∞) near a = 0. With h′ = 1 − t²,
t = tanh a, the factor is instead written as a sum of two non-negative terms,

    1 + h′(a) m(wᵀu) = t² + h′(a) softplus(wᵀu),

which never cancels (it is exact to rounding for every wᵀu above ≈ −745, where
softplus(wᵀu) underflows). Where the layer saturates (t² ≥ ½) the factor is
1 + h′(a) (softplus(wᵀu) − 1) with h′(a) small, and its logarithm is taken with
log1p; h′(a) itself is sech² a = 4e/(1 + e)², e = e^(−2|a|) (``_tanh_slope``), not
1 − t², which loses relative accuracy as t → ±1 and is 0 beyond |a| ≈ 19.

The formulas are written once, with ``vi_ref.autodiff`` operations
(``planar_u_hat``, ``planar_layer``, ``planar_flow_transform``): on ndarrays they
are the values the class returns, on Tensors they give the autodiff gradients that
check the hand-written ones (``PlanarFlow.transform_vjp``,
``PlanarFlow.log_det_jacobian_grad``, ``PlanarFlow.transform_and_log_det_vjp``). Derivation:
``derivations/06-stochastic-variational-inference.md``, "Flows as a family".
"""

import numpy as np

from . import autodiff as ad
from .distributions import REAL_VECTOR
from .numerics import LOG_2PI, sigmoid, softplus
from .validation import as_float_array, as_generator, check_count, check_positive, check_size, first_bad_index

__all__ = ["PlanarFlow", "planar_u_hat", "planar_layer", "planar_flow_transform"]

# Newton steps before bisection (from a fixed-point start they bring a root within a
# few ulps in 4–6), and halvings at most: bisection halves a bracket (of width up to
# 2|wᵀû| + 2 where Newton's root is not confirmed) until it is two adjacent floats;
# from [0, 1.8e308] to the smallest subnormal that takes 1024 + 1074 halvings
_NEWTON_STEPS = 8
_BISECTION_STEPS = 2200
_LARGEST = np.finfo(float).max


def planar_u_hat(w, u):
    """û = u + (m(wᵀu) − wᵀu) w/‖w‖² with m(s) − s = softplus(−s) − 1, row by row
    (w, u of shape (K, D)); then wᵀû = −1 + softplus(wᵀu) > −1."""
    inner = ad.sum(w * u, axis=-1)
    shift = (ad.softplus(-inner) - 1.0) / ad.sum(ad.square(w), axis=-1)
    return u + ad.reshape(shift, (-1, 1)) * w


def _tanh_slope(a):
    """h′(a) = 1 − tanh² a = sech² a = 4e/(1 + e)² with e = e^(−2|a|): full relative
    precision also where tanh a rounds to ±1 (1 − t² is 0 at a = 19 for 1.26e-16)."""
    with np.errstate(over="ignore"):  # |a| > 9e307: e = e^(−∞) = 0, as it should be
        decay = ad.exp(-2.0 * ad.abs(a))
    return 4.0 * decay / ad.square(1.0 + decay)


def planar_layer(z, w, u_hat, b, inner):
    """One planar layer on samples z (S, D): (z + û t, log(1 + h′(a) wᵀû)) with
    a = wᵀz + b, t = tanh a, h′ = sech² a, for one layer's w, û (D,), b () and
    ``inner`` = wᵀu of its free u; with p = softplus(wᵀu) the log-determinant is
    log(t² + h′ p) where t² < ½ and log1p(h′ (p − 1)) where t² ≥ ½, neither of
    which cancels (module docstring).

    h′ comes from ``_tanh_slope``, exact where tanh a rounds to ±1; at saturation
    the factor is 1 + a small term, whose logarithm log1p keeps."""
    preactivation = ad.matmul(z, w) + b
    activation = ad.tanh(preactivation)
    moved = z + ad.reshape(activation, (-1, 1)) * u_hat
    squared, slope, pushed = ad.square(activation), _tanh_slope(preactivation), ad.softplus(inner)
    saturated = ad.value_of(squared) >= 0.5
    # the log1p branch sees h′ = 0 where it is not selected: its argument stays above −1
    near_one = ad.log1p(ad.where(saturated, slope, 0.0) * (pushed - 1.0))
    log_det = ad.where(saturated, near_one, ad.log(squared + slope * pushed))
    return moved, log_det


def planar_flow_transform(eps, loc, scale, w, u, b):
    """(z, log|det ∂z/∂ε|) for base noise ``eps`` (S, D): the affine base layer
    z₀ = μ + σ ε (log-determinant Σ_d log σ_d) followed by the K planar layers."""
    z = loc + scale * eps
    log_det = ad.sum(ad.log(scale)) + np.zeros(np.shape(eps)[0])
    u_hat = planar_u_hat(w, u)
    inner = ad.sum(w * u, axis=-1)
    for k in range(np.shape(ad.value_of(b))[0]):
        z, layer_log_det = planar_layer(z, w[k], u_hat[k], b[k], inner[k])
        log_det = log_det + layer_log_det
    return z, log_det


class PlanarFlow:
    """q(z): K planar layers on a diagonal Gaussian base N(loc, diag(scale²)) over ℝ^D.

    Args:
        loc: (D,) base mean μ.
        scale: (D,) base standard deviations σ > 0.
        w: (K, D) layer directions, no row zero.
        u: (K, D) free layer parameters (the layers use ``u_hat``, see the module).
        b: (K,) layer offsets.
        K = 0 layers is the diagonal Gaussian itself.

    Attributes:
        loc, scale, w, u, b (float64), ``u_hat`` (K, D), ``params``,
        ``parameter_names``, ``n_layers``, ``batch_shape`` (), ``event_shape`` (D,),
        ``support``.

    Methods mirror the reparameterisable families of ``vi_ref.distributions``:
    ``rsample(n, rng) -> (z, eps)``, ``sample``, ``transform(eps)``,
    ``log_prob(z)`` (any z, by inverting each layer), ``log_prob_of_noise(eps)``
    (log q(T(ε)) exactly, without inverting), ``log_det_jacobian(eps)``, and the
    hand-written per-sample gradients ``transform_vjp(eps, cotangent)`` and
    ``log_det_jacobian_grad(eps)``.

    Raises:
        ValueError: naming the argument, for non-finite entries, a non-positive
            scale, a zero row of w, or shapes that do not fit.
    """

    parameter_names = ("loc", "scale", "w", "u", "b")
    parameter_event_ndims = {"loc": 1, "scale": 1, "w": 2, "u": 2, "b": 1}
    support = REAL_VECTOR
    batch_shape = ()

    def __init__(self, loc, scale, w, u, b):
        self.loc = as_float_array(loc, "loc", ndim=1)
        size = self.loc.shape[0]
        if size == 0:
            raise ValueError("loc must have at least one entry")
        self.scale = check_positive(as_float_array(scale, "scale", ndim=1), "scale")
        if self.scale.shape != (size,):
            raise ValueError(f"scale must have shape ({size},) like loc; got {self.scale.shape}")
        self.w = as_float_array(w, "w", ndim=2)
        self.u = as_float_array(u, "u", ndim=2)
        self.b = as_float_array(b, "b", ndim=1)
        n_layers = self.b.shape[0]
        for name in ("w", "u"):
            if getattr(self, name).shape != (n_layers, size):
                raise ValueError(
                    f"{name} must have shape (K, D) = ({n_layers}, {size}) for b of shape"
                    f" {self.b.shape} and loc of shape {self.loc.shape}; got {getattr(self, name).shape}"
                )
        with np.errstate(over="ignore", invalid="ignore"):
            squared_norms = np.sum(np.square(self.w), axis=-1)
            # û divides by ‖w‖²: a zero row, or one whose ‖w‖² is subnormal or
            # underflows (entries ≲ 1e-154), gives û = ±∞ or digits lost
            zero_rows = ~(squared_norms >= np.finfo(float).tiny)
            if zero_rows.any():
                raise ValueError(f"w must have no zero row (û divides by ‖w‖², which must be a normal float,"
                                 f" >= 2.2e-308); row {int(np.argmax(zero_rows))} is {self.w[np.argmax(zero_rows)]}")
            # ‖w‖², wᵀu and wᵀû are sums of products of entries: one beyond the floats
            # (entries ≳ 1e154) made log_prob NaN
            overflowing = ~(np.isfinite(squared_norms) & np.isfinite(np.sum(self.w * self.u, axis=-1))
                            & np.isfinite(np.sum(self.w * self.u_hat, axis=-1)))
        if overflowing.any():
            raise ValueError(f"w and u must keep ‖w‖², wᵀu and wᵀû (entries' products) within the float range;"
                             f" row {int(np.argmax(overflowing))} overflows")
        self.event_shape = (size,)

    @classmethod
    def initial(cls, dim, n_layers, rng=None, *, loc=None, scale=None, spread=0.1):
        """A flow close to its base: w, u ~ N(0, spread²) entries, b = 0, base
        N(loc, diag(scale²)) (default N(0, I))."""
        dim = check_size(check_count(dim, "dim", minimum=1), "dim")
        n_layers = check_size(check_count(n_layers, "n_layers"), "n_layers", per_unit=dim)
        spread = float(check_positive(as_float_array(spread, "spread", ndim=0), "spread"))
        generator = as_generator(rng)
        loc = np.zeros(dim) if loc is None else loc
        scale = np.ones(dim) if scale is None else scale
        w = spread * generator.standard_normal((n_layers, dim))
        u = spread * generator.standard_normal((n_layers, dim))
        return cls(loc, scale, w, u, np.zeros(n_layers))

    n_layers = property(lambda self: self.b.shape[0], doc="Number K of planar layers.")

    @property
    def params(self):
        """Dict parameter name → array, in the constructor's names."""
        return {name: getattr(self, name) for name in self.parameter_names}

    @property
    def u_hat(self):
        """The constrained û (K, D) the layers use, with wᵀû > −1 (``planar_u_hat``)."""
        return planar_u_hat(self.w, self.u)

    @property
    def _inner(self):
        """wᵀu (K,) of the free u, from which the log-determinant is computed."""
        return np.sum(self.w * self.u, axis=-1)

    def __repr__(self):
        return f"PlanarFlow(dim={self.event_shape[0]}, n_layers={self.n_layers})"

    # ----- sampling and densities --------------------------------------------

    def rsample(self, n, rng=None):
        """(z, ε): ε ~ N(0, I) of shape (n, D) and z = T(ε)."""
        n = check_size(check_count(n, "n"), "n", per_unit=self.event_shape[0])
        eps = as_generator(rng).standard_normal((n,) + self.event_shape)
        return self._transform(eps)[0], eps

    def sample(self, n, rng=None):
        """n draws, shape (n, D) (the z of ``rsample``)."""
        return self.rsample(n, rng)[0]

    def _check_noise(self, eps, name="eps"):
        eps = as_float_array(eps, name, ndim=2)
        if eps.shape[1:] != self.event_shape:
            raise ValueError(f"{name} must have shape (n, {self.event_shape[0]}); got {eps.shape}")
        return eps

    def _transform(self, eps):
        return planar_flow_transform(eps, self.loc, self.scale, self.w, self.u, self.b)

    def transform(self, eps):
        """z = T(ε) for ``eps`` of shape (n, D)."""
        return self._transform(self._check_noise(eps))[0]

    def log_det_jacobian(self, eps):
        """log |det ∂T/∂ε| = Σ_d log σ_d + Σ_k log(1 + h′(a_k) w_kᵀû_k), shape (n,)."""
        return self._transform(self._check_noise(eps))[1]

    def log_prob_of_noise(self, eps):
        """log q(T(ε)) = log N(ε | 0, I) − log |det ∂T/∂ε|: the density of the flow's
        own samples, exactly and without inverting the layers. Shape (n,)."""
        eps = self._check_noise(eps)
        return _standard_normal_log_prob(eps) - self._transform(eps)[1]

    def log_prob(self, z):
        """log q(z) for any z (…, D): each layer is inverted, then the change of
        variables is applied as in ``log_prob_of_noise``.

        Inverting z = y + û tanh(wᵀy + b): with α = wᵀy, wᵀz = α + (wᵀû) tanh(α + b),
        which is strictly increasing in α when wᵀû > −1, and α lies within |wᵀû| of
        wᵀz; bisection finds it, and y = z − û tanh(α + b).
        """
        z = as_float_array(z, "z", min_ndim=1)
        if z.shape[-1:] != self.event_shape:
            raise ValueError(f"z must end with the event shape {self.event_shape}; got shape {z.shape}")
        points = z.reshape(-1, self.event_shape[0])
        u_hat, inner = self.u_hat, self._inner
        log_det = np.zeros(points.shape[0])
        for k in reversed(range(self.n_layers)):
            points = _invert_planar_layer(points, self.w[k], u_hat[k], self.b[k])
            log_det += planar_layer(points, self.w[k], u_hat[k], self.b[k], inner[k])[1]
        eps = (points - self.loc) / self.scale
        log_density = _standard_normal_log_prob(eps) - np.sum(np.log(self.scale)) - log_det
        return log_density.reshape(z.shape[:-1])[()]

    # ----- hand-written gradients --------------------------------------------

    def transform_vjp(self, eps, cotangent):
        """Per-sample ∂⟨c_s, T(ε_s)⟩/∂φ for every parameter, shapes (n, *param shape):
        ``transform_and_log_det_vjp`` with no log-determinant cotangent."""
        eps, cotangent = self._check_vjp_arguments(eps, cotangent)
        return self._vjp(eps, cotangent, np.zeros(eps.shape[0]))

    def log_det_jacobian_grad(self, eps):
        """Per-sample ∂ log|det ∂T/∂ε_s| / ∂φ, shapes (n, *param shape):
        ``transform_and_log_det_vjp`` with cotangents c_s = 0, λ_s = 1."""
        eps = self._check_noise(eps)
        return self._vjp(eps, np.zeros_like(eps), np.ones(eps.shape[0]))

    def transform_and_log_det_vjp(self, eps, cotangent, log_det_cotangent):
        """Per-sample ∂/∂φ [⟨c_s, T(ε_s)⟩ + λ_s log|det ∂T/∂ε_s|], shapes (n, *param shape):
        the vector–Jacobian product of the pair (z, log-det) that ``log_det_jacobian``
        and ``transform`` return, with cotangents c (n, D) and λ (n,). With c = ∇_z log p
        and λ = 1 it is the reparameterisation gradient of the ELBO
        E_ε[log p(T(ε)) − log N(ε | 0, I) + log|det ∂T/∂ε|], in one backward pass.

        Backward through the layers from c, with y = z_{k−1}, a = wᵀy + b, t = tanh a,
        h′ = 1 − t², s = wᵀu, p = softplus(s), the layer's log-det ℓ = log D,
        D = t² + h′ p (module docstring), and g = cᵀû:

            ∂ℓ/∂a = 2 t h′ (1 − p) / D,      ∂ℓ/∂s = h′ σ(s) / D
            ā = g h′ + λ ∂ℓ/∂a,    s̄ = λ ∂ℓ/∂s
            b̄ += ā,   w̄ += ā y + s̄ u,   ū += s̄ w,   ū_hat += c t,   c ← c + ā w

        then through the base: μ̄ = c, σ̄ = c ⊙ ε + λ/σ; ū_hat is pulled back to (u, w)
        through ``planar_u_hat`` (see ``_pull_back_u_hat``). No term divides by
        1 + h′ wᵀû computed from a rounded wᵀû, so the gradients stay finite below
        wᵀu ≈ −37.
        """
        eps, cotangent = self._check_vjp_arguments(eps, cotangent)
        log_det_cotangent = as_float_array(log_det_cotangent, "log_det_cotangent")
        if log_det_cotangent.shape != eps.shape[:1]:
            raise ValueError(
                f"log_det_cotangent must have shape ({eps.shape[0]},), one per row of eps; got {log_det_cotangent.shape}"
            )
        return self._vjp(eps, cotangent, log_det_cotangent)

    def _check_vjp_arguments(self, eps, cotangent):
        eps = self._check_noise(eps)
        cotangent = as_float_array(cotangent, "cotangent")
        if cotangent.shape != eps.shape:
            raise ValueError(f"cotangent must have the shape of eps {eps.shape}; got {cotangent.shape}")
        return eps, cotangent

    def _vjp(self, eps, cotangent, log_det_cotangent):
        """``transform_and_log_det_vjp`` on checked arguments (formulas there)."""
        u_hat, inner = self.u_hat, self._inner
        inputs = [self.loc + self.scale * eps]
        for k in range(self.n_layers - 1):
            inputs.append(planar_layer(inputs[-1], self.w[k], u_hat[k], self.b[k], inner[k])[0])
        n = eps.shape[0]
        weight = log_det_cotangent
        grad_w = np.zeros((n,) + self.w.shape)
        grad_u = np.zeros((n,) + self.w.shape)
        grad_u_hat = np.zeros((n,) + self.w.shape)
        grad_b = np.zeros((n, self.n_layers))
        c = cotangent
        for k in reversed(range(self.n_layers)):
            y, w, u, b = inputs[k], self.w[k], u_hat[k], self.b[k]
            preactivation = y @ w + b
            t, slope = np.tanh(preactivation), _tanh_slope(preactivation)
            pushed = softplus(inner[k])
            denominator = t**2 + slope * pushed
            grad_activation = c @ u * slope + weight * (2.0 * t * slope * (1.0 - pushed) / denominator)
            grad_inner = weight * slope * sigmoid(inner[k]) / denominator
            grad_b[:, k] = grad_activation
            grad_w[:, k] = grad_activation[:, None] * y + grad_inner[:, None] * self.u[k]
            grad_u[:, k] = grad_inner[:, None] * w
            grad_u_hat[:, k] = c * t[:, None]
            c = c + grad_activation[:, None] * w
        grad_u_from_u_hat, grad_w_from_u_hat = self._pull_back_u_hat(grad_u_hat)
        return {
            "loc": c,
            "scale": c * eps + weight[:, None] / self.scale,
            "w": grad_w + grad_w_from_u_hat,
            "u": grad_u + grad_u_from_u_hat,
            "b": grad_b,
        }

    def _pull_back_u_hat(self, grad_u_hat):
        """(ū, w̄) from ū_hat for û = u + s(wᵀu) w/‖w‖², s(x) = softplus(−x) − 1,
        s′(x) = −σ(−x):

            ū = ū_hat + (ū_hatᵀw/‖w‖²) s′ w
            w̄ = (ū_hatᵀw/‖w‖²) s′ u + s ū_hat/‖w‖² − 2 s (ū_hatᵀw) w/‖w‖⁴
        """
        w, u = self.w, self.u
        inner = np.sum(w * u, axis=-1)
        norm2 = np.sum(w**2, axis=-1)
        shift = softplus(-inner) - 1.0
        shift_slope = -sigmoid(-inner)
        projection = np.sum(grad_u_hat * w, axis=-1) / norm2  # (n, K)
        grad_u = grad_u_hat + (projection * shift_slope)[..., None] * w
        grad_w = (
            (projection * shift_slope)[..., None] * u
            + (shift / norm2)[..., None] * grad_u_hat
            - (2.0 * shift * projection / norm2)[..., None] * w
        )
        return grad_u, grad_w


def _standard_normal_log_prob(eps):
    with np.errstate(over="ignore"):  # ε² beyond the floats: log N(ε) = −∞, rounded correctly
        return -0.5 * np.sum(eps**2, axis=-1) - 0.5 * eps.shape[-1] * LOG_2PI


def _invert_planar_layer(z, w, u_hat, b):
    """y with y + û tanh(wᵀy + b) = z, for rows z (n, D) (see ``PlanarFlow.log_prob``):
    y = z − û tanh(α + b) with α = wᵀy the root of ``_planar_preimage``."""
    with np.errstate(over="ignore", invalid="ignore"):
        target = z @ w
    if not np.all(np.isfinite(target)):
        bad = ~np.isfinite(target)
        raise ValueError(f"z must be finite, and wᵀz within the float range; got wᵀz = {target[bad][0]}"
                         f" for this layer{first_bad_index(bad)}")
    alpha = _planar_preimage(target, w @ u_hat, b)
    return z - np.tanh(alpha + b)[:, None] * u_hat


def _planar_preimage(target, inner, b):
    """The root α of f(α) = α + s tanh(α + b) − wᵀz, s = wᵀû ≥ −1, for each finite wᵀz
    in ``target`` (n,); f increases, and α lies within |s| + 1 of wᵀz.

    Each root is bisected until its bracket is two adjacent floats (or α is hit
    exactly), so α has full relative precision also near 0: a fixed number of
    halvings (80) left roots of size 1e-25 entirely wrong. The bracket starts narrow:
    Newton's method brings α within about an ulp in 4–6 steps, and where the sign of
    f confirms the root inside α(1 ± 2⁻⁴⁷) bisection starts from there (6 halvings
    instead of 55: 0.49 against 0.2 s for the tour's 481² grid of a 3-layer flow).
    Where Newton's method has not converged (s near −1, where f is flat near its
    root) bisection starts from [wᵀz − |s| − 1, wᵀz + |s| + 1], clipped to the
    floats (α is finite: s ≥ −1). Only the rows still open are carried on, so a few
    slow rows cost little. Near the largest float the midpoints are taken without
    overflow (``_midpoint_of_huge``).

    Where f cannot be resolved in floats (s ≈ 1e308 and tanh(α + b) rounding to 1)
    the root is one of the rounded f's, not the true one."""
    with np.errstate(over="ignore"):  # α is finite (wᵀû ≥ −1): an end beyond the floats is clipped
        low = np.maximum(target - abs(inner) - 1.0, -_LARGEST)
        high = np.minimum(target + abs(inner) + 1.0, _LARGEST)
    alpha = target - inner * np.tanh(target + b)  # one fixed-point step from α = wᵀz
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for _ in range(_NEWTON_STEPS):
            t = np.tanh(alpha + b)
            step = (alpha + inner * t - target) / (1.0 + inner * (1.0 - t * t))
            alpha = alpha - step
            if np.all(np.abs(step) <= 2.0**-50 * np.abs(alpha)):  # every row within about an ulp
                break
        width = np.abs(alpha) * 2.0**-47 + np.finfo(float).smallest_subnormal
        near_low, near_high = np.maximum(alpha - width, -_LARGEST), np.minimum(alpha + width, _LARGEST)
        # f(low) ≤ 0 ≤ f(high), the bisection's invariant (a NaN from a wild step fails it)
        confirmed = ((near_low + inner * np.tanh(near_low + b) <= target)
                     & (near_high + inner * np.tanh(near_high + b) >= target))
    low, high = np.where(confirmed, near_low, low), np.where(confirmed, near_high, high)
    huge = np.max(np.maximum(np.abs(low), np.abs(high)), initial=0.0) >= 2.0**1023  # low + high may overflow
    midpoint = _midpoint_of_huge if huge else _midpoint
    rows = np.arange(target.size)
    with np.errstate(over="ignore"):  # f(α) near the largest float may overflow: it is then above wᵀz
        for _ in range(_BISECTION_STEPS):
            middle = midpoint(low[rows], high[rows])
            rows = rows[(middle != low[rows]) & (middle != high[rows])]  # brackets not yet closed
            if not rows.size:
                break
            middle = midpoint(low[rows], high[rows])
            value = middle + inner * np.tanh(middle + b)
            above, hit = value > target[rows], value == target[rows]
            high[rows] = np.where(above | hit, middle, high[rows])
            low[rows] = np.where(above, low[rows], middle)
    alpha = midpoint(low, high)
    bad = ~np.isfinite(alpha)
    if bad.any():
        raise ValueError(f"the layer could not be inverted: α + s tanh(α + b) = wᵀz has no finite root"
                         f" for s = {inner}{first_bad_index(bad)}")
    return alpha


def _midpoint(low, high):
    """(low + high)/2 correctly rounded, for |low + high| below the largest float."""
    return 0.5 * (low + high)


def _midpoint_of_huge(low, high):
    """(low + high)/2 without overflow where |low|, |high| ≥ 1 (halving them is exact;
    the sum is then rounded once, as ``_midpoint``'s is), and as ``_midpoint`` elsewhere."""
    with np.errstate(over="ignore"):
        return np.where((np.abs(low) >= 1.0) | (np.abs(high) >= 1.0), 0.5 * low + 0.5 * high, 0.5 * (low + high))
