"""Registry entries for the hand-written gradients of ``vi_ref.flows``: the planar
flow's per-sample ``transform_vjp``, ``log_det_jacobian_grad`` and
``transform_and_log_det_vjp``.

The value functions are the module's formula ``planar_flow_transform`` contracted
with random weights, written with ``vi_ref.autodiff``, so the autodiff gradient is
the third check (``tests/test_flows.py``). Inputs reach the hard regions: layers
with wᵀu negative (û pushed towards the constraint wᵀû = −1), wᵀu = −40 (past the
point, ≈ −37, where wᵀû rounds to −1), large offsets b (tanh saturated, h′ ≈ 0),
and small and large base scales.
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
    elif regime in ("past-rounding", "past-rounding-at-a=0"):  # wᵀu = −40: wᵀû + 1 = 4e-18 < 2⁻⁵³
        # rows of w of norm 2, so that u = −40 w/‖w‖² (norm 20) and û, which curves in w
        # like ‖u‖/‖w‖², stay within reach of finite differences
        params["w"] = 2.0 * params["w"] / np.linalg.norm(params["w"], axis=-1, keepdims=True)
        params["u"] = -40.0 * params["w"] / np.sum(params["w"] ** 2, axis=-1, keepdims=True)
    return params


def _offsets_away_from_zero(params, eps, margin=1.5):
    """b shifted, layer by layer, so that every activation a = wᵀy + b ≥ ``margin``:
    with wᵀu = −40 the factor t² + h′ softplus(wᵀu) ≈ tanh²(a) is steep near a = 0,
    beyond what finite differences can follow (their steps in u, of ~0.1, move a by
    ~0.3 in later layers)."""
    flow = PlanarFlow(**params)
    offsets = params["b"].copy()
    y = params["loc"] + params["scale"] * eps
    for k in range(flow.n_layers):
        activation = y @ flow.w[k] + offsets[k]
        offsets[k] += max(0.0, margin - activation.min())
        y = y + np.tanh(y @ flow.w[k] + offsets[k])[:, None] * flow.u_hat[k]
    return dict(params, b=offsets)


def _singular_to_round_off(params, eps):
    """One layer at wᵀu = −40, its offset putting sample 0 at a = 0: there the factor
    t² + h′ softplus(wᵀu) = softplus(−40) ≈ 4e-18 is all softplus, and
    ∂ log-det/∂u = σ(wᵀu) w/softplus(wᵀu) ≈ w is the term checked (in u only: a,
    through w and b, is too steep there for finite differences)."""
    first = {name: params[name][:1] for name in ("w", "u")}
    offset = -(params["loc"] + params["scale"] * eps[0]) @ first["w"][0]
    return dict(params, **first, b=np.array([offset]))


def _case(method, regime):
    def build(rng):
        params = _draw(rng, regime)
        eps = rng.standard_normal((5, params["loc"].shape[0]))
        if regime == "past-rounding":
            params = _offsets_away_from_zero(params, eps)
        elif regime == "past-rounding-at-a=0":
            params = _singular_to_round_off(params, eps)
        cotangent = rng.standard_normal(eps.shape) if method != "log_det_jacobian_grad" else np.zeros(eps.shape)
        weights = rng.standard_normal(eps.shape[0]) if method != "transform_vjp" else np.zeros(eps.shape[0])

        def value(**arrays):
            z, log_det = planar_flow_transform(eps, **arrays)
            return ad.sum(cotangent * z) + ad.sum(weights * log_det)

        def gradient(**arrays):
            flow = PlanarFlow(**arrays)
            if method == "transform_vjp":
                per_sample = flow.transform_vjp(eps, cotangent)
            elif method == "transform_and_log_det_vjp":
                per_sample = flow.transform_and_log_det_vjp(eps, cotangent, weights)
            else:
                per_sample = flow.log_det_jacobian_grad(eps)
                return {name: np.tensordot(weights, g, axes=(0, 0)) for name, g in per_sample.items()}
            return {name: g.sum(axis=0) for name, g in per_sample.items()}

        return GradientProblem(value, gradient, params)

    name = gradient_name(getattr(PlanarFlow, method))
    # the log-determinant is steep where 1 + h′(a) wᵀû is small: Richardson's default
    # steps (5.8e-3 · max(1, |x|)) reach across that and failed 7 of 150 seeds × 17
    # cases, by up to 1600× the tolerance, while the gradients agreed with autodiff to
    # 1e-15; at 1e-3 none of them failed, the worst at 0.06 of the tolerance
    if regime == "past-rounding-at-a=0":
        return GradientCase(f"{name}[{regime}]", (name,), build, rtol=1e-6, relative_step=1e-3, inputs=("u",))
    return GradientCase(f"{name}[{regime}]", (name,), build, rtol=1e-6, relative_step=1e-3)


METHODS = ("transform_vjp", "log_det_jacobian_grad", "transform_and_log_det_vjp")
REGIMES = ("generic", "near-constraint", "saturated", "scales", "past-rounding")
CASES = [_case(method, regime) for method in METHODS for regime in REGIMES] + [
    _case(method, "past-rounding-at-a=0") for method in ("log_det_jacobian_grad", "transform_and_log_det_vjp")
]
