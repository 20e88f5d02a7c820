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
1 + h′(a) wᵀû > 0 for every a, since 0 < h′ ≤ 1). That constraint is enforced by the
usual reparameterisation of u (Rezende & Mohamed, appendix A): the free parameter is
u, and the layer uses

    û = u + (m(wᵀu) − wᵀu) w / ‖w‖²,    m(s) = −1 + softplus(s),

so that wᵀû = m(wᵀu) > −1 for every real u. (m(s) − s = softplus(−s) − 1, which is
how it is computed: no cancellation for large s.)

The formulas are written once, with ``vi_ref.autodiff`` operations
(``planar_u_hat``, ``planar_layer``, ``planar_flow_transform``): on ndarrays they
are the values the class returns, on Tensors they give the autodiff gradients that
check the hand-written ones (``PlanarFlow.transform_vjp``,
``PlanarFlow.log_det_jacobian_grad``). Derivation:
``derivations/06-stochastic-variational-inference.md``, "Flows as a family".
"""

import numpy as np

from . import autodiff as ad
from .distributions import LOG_2PI, REAL_VECTOR
from .numerics import sigmoid, softplus
from .validation import as_float_array, as_generator, check_count, check_positive, check_size, first_bad_index

__all__ = ["PlanarFlow", "planar_u_hat", "planar_layer", "planar_flow_transform"]

# bisection halves a bracket of width ≤ 2|wᵀû| + 2; 80 halvings reach float64 spacing
# for brackets up to ~1e8 wide relative to the root
_BISECTION_STEPS = 80


def planar_u_hat(w, u):
    """û = u + (m(wᵀu) − wᵀu) w/‖w‖² with m(s) − s = softplus(−s) − 1, row by row
    (w, u of shape (K, D)); then wᵀû = −1 + softplus(wᵀu) > −1."""
    inner = ad.sum(w * u, axis=-1)
    shift = (ad.softplus(-inner) - 1.0) / ad.sum(ad.square(w), axis=-1)
    return u + ad.reshape(shift, (-1, 1)) * w


def planar_layer(z, w, u_hat, b):
    """One planar layer on samples z (S, D): (z + û tanh(a), log(1 + h′(a) wᵀû)) with
    a = wᵀz + b, h′ = 1 − tanh², for one layer's w, û (D,) and b ()."""
    activation = ad.tanh(ad.matmul(z, w) + b)
    moved = z + ad.reshape(activation, (-1, 1)) * u_hat
    log_det = ad.log1p((1.0 - ad.square(activation)) * ad.sum(w * u_hat))
    return moved, log_det


def planar_flow_transform(eps, loc, scale, w, u, b):
    """(z, log|det ∂z/∂ε|) for base noise ``eps`` (S, D): the affine base layer
    z₀ = μ + σ ε (log-determinant Σ_d log σ_d) followed by the K planar layers."""
    z = loc + scale * eps
    log_det = ad.sum(ad.log(scale)) + np.zeros(np.shape(eps)[0])
    u_hat = planar_u_hat(w, u)
    for k in range(np.shape(b.value if isinstance(b, ad.Tensor) else b)[0]):
        z, layer_log_det = planar_layer(z, w[k], u_hat[k], b[k])
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
        zero_rows = np.all(self.w == 0, axis=-1)
        if zero_rows.any():
            raise ValueError(f"w must have no zero row (û divides by ‖w‖²); row {int(np.argmax(zero_rows))} is 0")
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
        u_hat = self.u_hat
        log_det = np.zeros(points.shape[0])
        for k in reversed(range(self.n_layers)):
            points = _invert_planar_layer(points, self.w[k], u_hat[k], self.b[k])
            log_det += planar_layer(points, self.w[k], u_hat[k], self.b[k])[1]
        eps = (points - self.loc) / self.scale
        log_density = _standard_normal_log_prob(eps) - np.sum(np.log(self.scale)) - log_det
        return log_density.reshape(z.shape[:-1])[()]

    # ----- hand-written gradients --------------------------------------------

    def transform_vjp(self, eps, cotangent):
        """Per-sample ∂⟨c_s, T(ε_s)⟩/∂φ for every parameter, shapes (n, *param shape).

        Backward through the layers from c = c_s, with y = z_{k−1}, a = wᵀy + b,
        t = tanh a, h′ = 1 − t², g = cᵀû:

            b̄ += g h′,   w̄ += g h′ y,   ū_hat += c t,   c ← c + g h′ w

        then through the base: μ̄ = c, σ̄ = c ⊙ ε; ū_hat is pulled back to (u, w)
        through ``planar_u_hat`` (see ``_pull_back_u_hat``).
        """
        eps = self._check_noise(eps)
        cotangent = as_float_array(cotangent, "cotangent")
        if cotangent.shape != eps.shape:
            raise ValueError(f"cotangent must have the shape of eps {eps.shape}; got {cotangent.shape}")
        return self._backward(eps, cotangent, log_det_weight=0.0)

    def log_det_jacobian_grad(self, eps):
        """Per-sample ∂ log|det ∂T/∂ε_s| / ∂φ, shapes (n, *param shape).

        Layer k contributes ℓ = log(1 + h′(a) c), c = wᵀû, with h″ = −2 t h′:

            ∂ℓ/∂a = h″ c / (1 + h′ c),    ∂ℓ/∂c = h′ / (1 + h′ c)

        and a = wᵀy + b carries ∂ℓ/∂a to b, w (·y) and, through y, to every earlier
        layer and the base; c carries ∂ℓ/∂c to w (·û) and û (·w); the base adds
        ∂(Σ log σ_d)/∂σ = 1/σ.
        """
        eps = self._check_noise(eps)
        return self._backward(eps, np.zeros_like(eps), log_det_weight=1.0)

    def _backward(self, eps, cotangent, *, log_det_weight):
        """Per-sample gradient of ⟨c, T(ε)⟩ + λ log|det ∂T/∂ε| (λ = ``log_det_weight``)."""
        u_hat = self.u_hat
        inputs = [self.loc + self.scale * eps]
        for k in range(self.n_layers - 1):
            inputs.append(planar_layer(inputs[-1], self.w[k], u_hat[k], self.b[k])[0])
        n = eps.shape[0]
        grad_w = np.zeros((n,) + self.w.shape)
        grad_u_hat = np.zeros((n,) + self.w.shape)
        grad_b = np.zeros((n, self.n_layers))
        c = cotangent
        for k in reversed(range(self.n_layers)):
            y, w, u, b = inputs[k], self.w[k], u_hat[k], self.b[k]
            t = np.tanh(y @ w + b)
            slope = 1.0 - t**2
            inner = w @ u
            denominator = 1.0 + slope * inner
            grad_activation = c @ u * slope + log_det_weight * (-2.0 * t * slope * inner / denominator)
            grad_inner = log_det_weight * slope / denominator
            grad_b[:, k] = grad_activation
            grad_w[:, k] = grad_activation[:, None] * y + grad_inner[:, None] * u
            grad_u_hat[:, k] = c * t[:, None] + grad_inner[:, None] * w
            c = c + grad_activation[:, None] * w
        grad_u, grad_w_from_u_hat = self._pull_back_u_hat(grad_u_hat)
        return {
            "loc": c,
            "scale": c * eps + log_det_weight / self.scale,
            "w": grad_w + grad_w_from_u_hat,
            "u": grad_u,
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
    return -0.5 * np.sum(eps**2, axis=-1) - 0.5 * eps.shape[-1] * LOG_2PI


def _invert_planar_layer(z, w, u_hat, b):
    """y with y + û tanh(wᵀy + b) = z, for rows z (n, D) (see ``PlanarFlow.log_prob``)."""
    target = z @ w
    inner = w @ u_hat
    low, high = target - abs(inner) - 1.0, target + abs(inner) + 1.0
    for _ in range(_BISECTION_STEPS):
        middle = 0.5 * (low + high)
        above = middle + inner * np.tanh(middle + b) > target
        high = np.where(above, middle, high)
        low = np.where(above, low, middle)
    alpha = 0.5 * (low + high)
    bad = ~np.isfinite(alpha)
    if bad.any():
        raise ValueError(f"z must be finite; the layer could not be inverted{first_bad_index(bad)}")
    return z - np.tanh(alpha + b)[:, None] * u_hat
