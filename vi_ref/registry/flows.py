"""Registry entries for the hand-written gradients of ``vi_ref.flows``: the planar
flow's per-sample ``transform_vjp`` and ``log_det_jacobian_grad``.

The value functions are the module's formula ``planar_flow_transform`` contracted
with random weights, written with ``vi_ref.autodiff``, so the autodiff gradient is
the third check (``tests/test_flows.py``). Inputs reach the hard regions: layers
with wᵀu negative (û pushed towards the constraint wᵀû = −1), large
offsets b (tanh saturated, h′ ≈ 0), and small and large base scales.
"""

import numpy as np

from .. import autodiff as ad
from ..flows import PlanarFlow, planar_flow_transform
from ..gradcheck import GradientCase, GradientProblem
from . import gradient_name


def _draw(rng, regime):
    dim, n_layers = 3, 4
    params = {
        "loc": rng.standard_normal(dim),
        "scale": rng.uniform(0.5, 1.5, dim),
        "w": rng.standard_normal((n_layers, dim)),
        "u": rng.standard_normal((n_layers, dim)),
        "b": 0.5 * rng.standard_normal(n_layers),
    }
    if regime == "near-constraint":  # wᵀu = −2: wᵀû = −1 + softplus(−2) ≈ −0.87, 1 + h′wᵀû ≥ 0.13
        # (closer to −1 the log-determinant is too steep for finite differences to check)
        params["u"] = -2.0 * params["w"] / np.sum(params["w"] ** 2, axis=-1, keepdims=True)
    elif regime == "saturated":  # |a| large: tanh ≈ ±1, h′ tiny
        params["b"] = np.array([6.0, -6.0, 4.0, -4.0])
        params["u"] = params["w"] + 0.3 * params["u"]  # wᵀu > 0 mostly: the steepness is tanh's alone
    elif regime == "scales":
        params["scale"] = np.array([0.2, 1.0, 8.0])  # the Richardson step is ~5e-3 · max(1, |x|)
    return params


def _case(method, regime):
    def build(rng):
        params = _draw(rng, regime)
        eps = rng.standard_normal((5, params["loc"].shape[0]))
        cotangent = rng.standard_normal(eps.shape) if method == "transform_vjp" else np.zeros(eps.shape)
        weights = rng.standard_normal(eps.shape[0]) if method == "log_det_jacobian_grad" else np.zeros(eps.shape[0])

        def value(**arrays):
            z, log_det = planar_flow_transform(eps, **arrays)
            return ad.sum(cotangent * z) + ad.sum(weights * log_det)

        def gradient(**arrays):
            flow = PlanarFlow(**arrays)
            if method == "transform_vjp":
                per_sample = flow.transform_vjp(eps, cotangent)
            else:
                per_sample = flow.log_det_jacobian_grad(eps)
                per_sample = {name: np.tensordot(weights, g, axes=(0, 0)) for name, g in per_sample.items()}
                return per_sample
            return {name: g.sum(axis=0) for name, g in per_sample.items()}

        return GradientProblem(value, gradient, params)

    name = gradient_name(getattr(PlanarFlow, method))
    # the log-determinant is steep where 1 + h′(a) wᵀû is small, and Richardson
    # differences keep up to ~1e-6 relative error there (autodiff agrees to 1e-10)
    return GradientCase(f"{name}[{regime}]", (name,), build, rtol=1e-6)


CASES = [
    _case(method, regime)
    for method in ("transform_vjp", "log_det_jacobian_grad")
    for regime in ("generic", "near-constraint", "saturated", "scales")
]
