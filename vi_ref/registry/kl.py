"""Registry entries for the hand-written gradients of the closed-form KL divergences.

Each entry differentiates the KL (summed over a broadcast batch) with respect to the
parameters of both q and p, named ``q_<name>`` and ``p_<name>``. The value function
is the registered formula itself, written with ``vi_ref.autodiff`` operations, and
the gradient goes through the dispatcher ``kl_divergence_grad``, so every entry
covers it as well as the pair's own ``*_grad`` function.
"""

import numpy as np
import scipy.special

from .. import autodiff as ad
from .. import kl
from ..distributions import Categorical, Exponential, Gamma, LogNormal, MultivariateNormal, Normal
from ..gradcheck import GradientCase, GradientProblem
from . import gradient_name
from .distributions import _lower_factor, _normalised


def _mvn(loc, scale_tril):
    return MultivariateNormal(loc, scale_tril=scale_tril)


def _positive(low, high, *shape):
    return lambda rng: rng.uniform(low, high, shape)


def _normal(*shape, scale=1.0):
    return lambda rng: scale * rng.standard_normal(shape)


def _shift(rng, size):
    """1e-3 · (±0.5..1.5) per entry: a shift of about 1e-3 that no entry draws near 0."""
    return 1e-3 * rng.choice([-1.0, 1.0], size) * rng.uniform(0.5, 1.5, size)


def _log_ratio_shift(rng, logits):
    """A shift c of ``logits`` of about 1e-3 with Σₖ pₖ cₖ = 0 (p = softmax(logits)), no cₖ near 0.

    Between q = softmax(logits + c) and p the KL's gradients are, to first order,
    ±pₖ dₖ with dₖ = log qₖ − log pₖ = cₖ − Σⱼ pⱼ cⱼ + O(c²). Shifts bounded away
    from 0 can still cancel in d (c = 1e-3·(1, …, 1) gives d = 0), so c is drawn with
    zero p-mean: every category but the likeliest, m, is shifted by s·1e-3·(0.5..1.5)
    with one random sign s, and cₘ = −Σ₍ₖ≠ₘ₎ pₖ cₖ / pₘ, of sign −s, lies in
    1e-3·(0.5..1.5)·(1 − pₘ)/pₘ.
    """
    probabilities = scipy.special.softmax(logits)
    likeliest = np.argmax(probabilities)
    shift = 1e-3 * rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.5, logits.shape)
    shift[likeliest] = 0.0
    shift[likeliest] = -np.dot(probabilities, shift) / probabilities[likeliest]
    return shift


# probabilities 0.32, 0.21, 0.47 and 3.5e-5
TINY_CATEGORY_LOGITS = np.array([0.1, -0.3, 0.5, -9.0])


# label: (formula, its gradient, q's class, p's class, q's parameter makers, p's)
PAIRS = {
    "Normal||Normal": (
        kl.kl_normal_normal, kl.kl_normal_normal_grad, Normal, Normal,
        {"loc": _normal(3), "scale": _positive(0.5, 2.0, 2, 3)}, {"loc": _normal(), "scale": _positive(0.5, 2.0, 3)},
    ),
    "MultivariateNormal||MultivariateNormal": (
        kl.kl_mvn_mvn, kl.kl_mvn_mvn_grad, _mvn, _mvn,
        {"loc": _normal(2, 3), "scale_tril": lambda rng: _lower_factor(rng, 3)},
        {"loc": _normal(3), "scale_tril": lambda rng: _lower_factor(rng, 3, (2,))},
    ),
    "MultivariateNormal||MultivariateNormal-batched-q-factor": (
        kl.kl_mvn_mvn, kl.kl_mvn_mvn_grad, _mvn, _mvn,
        {"loc": _normal(2), "scale_tril": lambda rng: _lower_factor(rng, 2, (3,))},
        {"loc": _normal(3, 2), "scale_tril": lambda rng: _lower_factor(rng, 2)},
    ),
    "Exponential||Exponential": (
        kl.kl_exponential_exponential, kl.kl_exponential_exponential_grad, Exponential, Exponential,
        {"rate": _positive(0.5, 2.0, 3)}, {"rate": _positive(0.5, 2.0)},
    ),
    "Gamma||Gamma": (
        kl.kl_gamma_gamma, kl.kl_gamma_gamma_grad, Gamma, Gamma,
        {"concentration": _positive(0.8, 3.0, 2, 1), "rate": _positive(0.5, 2.0, 3)},
        {"concentration": _positive(0.8, 3.0, 3), "rate": _positive(0.5, 2.0)},
    ),
    "Exponential||Gamma": (
        kl.kl_exponential_gamma, kl.kl_exponential_gamma_grad, Exponential, Gamma,
        {"rate": _positive(0.5, 2.0, 3)}, {"concentration": _positive(0.8, 3.0, 2, 1), "rate": _positive(0.5, 2.0)},
    ),
    "Gamma||Exponential": (
        kl.kl_gamma_exponential, kl.kl_gamma_exponential_grad, Gamma, Exponential,
        {"concentration": _positive(0.8, 3.0, 3), "rate": _positive(0.5, 2.0, 2, 1)}, {"rate": _positive(0.5, 2.0, 3)},
    ),
    "LogNormal||LogNormal": (
        kl.kl_lognormal_lognormal, kl.kl_lognormal_lognormal_grad, LogNormal, LogNormal,
        {"loc": _normal(2, 1), "scale": _positive(0.5, 2.0, 3)}, {"loc": _normal(3), "scale": _positive(0.5, 2.0)},
    ),
    "Categorical(logits)||Categorical(logits)": (
        kl.kl_categorical_categorical, kl.kl_categorical_categorical_grad,
        lambda logits: Categorical(logits=logits), lambda logits: Categorical(logits=logits),
        {"logits": _normal(2, 4)}, {"logits": _normal(4)},
    ),
    "Categorical(probs)||Categorical(logits)": (
        kl.kl_categorical_categorical, kl.kl_categorical_categorical_grad,
        lambda probs: Categorical(probs=probs), lambda logits: Categorical(logits=logits),
        {"probs": lambda rng: _normalised(rng.uniform(0.2, 1.0, 4))}, {"logits": _normal(3, 4)},
    ),
    "Categorical(logits)||Categorical(probs)": (
        kl.kl_categorical_categorical, kl.kl_categorical_categorical_grad,
        lambda logits: Categorical(logits=logits), lambda probs: Categorical(probs=probs),
        {"logits": _normal(3, 4)}, {"probs": lambda rng: _normalised(rng.uniform(0.2, 1.0, (3, 4)))},
    ),
    # hard regions: both Gamma shapes ≥ 10 (Stirling's series in lnΓ's Bregman
    # divergence), q much more concentrated than p (the cross-entropy form), pairs a
    # relative 1e-3 apart (the series of u − log(1 + u)), scales 60 apart
    "Gamma||Gamma-huge-shapes": (
        kl.kl_gamma_gamma, kl.kl_gamma_gamma_grad, Gamma, Gamma,
        {"concentration": _positive(20.0, 500.0, 2, 1), "rate": _positive(0.5, 2.0, 3)},
        {"concentration": _positive(20.0, 500.0, 3), "rate": _positive(0.5, 2.0)},
    ),
    "Gamma||Gamma-concentrated-q": (
        kl.kl_gamma_gamma, kl.kl_gamma_gamma_grad, Gamma, Gamma,
        {"concentration": _positive(50.0, 200.0, 3), "rate": _positive(0.5, 2.0, 3)},
        {"concentration": _positive(0.5, 5.0, 3), "rate": _positive(0.5, 2.0)},
    ),
    "Gamma||Gamma-near-equal": (
        kl.kl_gamma_gamma, kl.kl_gamma_gamma_grad, Gamma, Gamma,
        {"concentration": lambda rng: 2.0 + 1e-3 * rng.standard_normal(3),
         "rate": lambda rng: 1.0 + 1e-3 * rng.standard_normal(3)},
        {"concentration": lambda rng: np.full(3, 2.0), "rate": lambda rng: np.ones(3)},
    ),
    "Exponential||Gamma-near-equal": (
        kl.kl_exponential_gamma, kl.kl_exponential_gamma_grad, Exponential, Gamma,
        {"rate": lambda rng: 1.0 + 1e-3 * rng.standard_normal(3)},
        {"concentration": lambda rng: 1.0 + 1e-3 * rng.standard_normal(3), "rate": lambda rng: np.ones(3)},
    ),
    "Normal||Normal-near-equal-and-far-scales": (
        kl.kl_normal_normal, kl.kl_normal_normal_grad, Normal, Normal,
        {"loc": _normal(3), "scale": lambda rng: np.array([1.0 + 1e-3 * rng.standard_normal(), 0.3, 30.0])},
        {"loc": _normal(3), "scale": lambda rng: np.array([1.0, 3.0, 0.5])},
    ),
    "MultivariateNormal||MultivariateNormal-near-equal": (
        kl.kl_mvn_mvn, kl.kl_mvn_mvn_grad, _mvn, _mvn,
        {"loc": lambda rng: _shift(rng, 3), "scale_tril": lambda rng: np.diag([1.0, 2.0, 0.5]) * (1 + _shift(rng, 3))},
        {"loc": lambda rng: np.zeros(3), "scale_tril": lambda rng: np.diag([1.0, 2.0, 0.5])},
    ),
    "Categorical||Categorical-near-equal-with-a-tiny-category": (
        kl.kl_categorical_categorical, kl.kl_categorical_categorical_grad,
        lambda logits: Categorical(logits=logits), lambda logits: Categorical(logits=logits),
        {"logits": lambda rng: TINY_CATEGORY_LOGITS + _log_ratio_shift(rng, TINY_CATEGORY_LOGITS)},
        {"logits": lambda rng: TINY_CATEGORY_LOGITS.copy()},
    ),
}


# The near-equal pairs have gradients of about 1e-4 (the pair is 1e-3 apart), where
# the default atol of 1e-9 would check them only to about 1e-5 relative; Richardson's
# error on them was at most 3e-13 over 200 seeds, so they are held to 1e-11.
SMALL_GRADIENT_ATOL = {
    label: 1e-11 for label in ("Gamma||Gamma-near-equal", "Exponential||Gamma-near-equal")
}
# Between the near-equal normals (diagonal factors, Δ = μp − μq), the off-diagonal
# ∂/∂Rp,ᵢⱼ = −ΔᵢΔⱼ / (Rp,ᵢᵢ² Rp,ⱼⱼ) is second order in the 1e-3 shift: ≥ 6e-8 with
# |Δᵢ| ≥ 5e-4, where atol 1e-11 would accept an error of 1.6e-4 relative (11 % at the
# 9e-11 that a normal draw of Δ gave). The KL is quadratic in each off-diagonal entry
# and in μ, so there Richardson's only error is rounding: ≤ 6.6 δKL / h with
# δKL ≤ 10 ε KL, KL ≤ 2e-5 and h ≥ 5.8e-3, i.e. 5e-17, which atol 1e-16 bounds. On
# the diagonal its truncation error f⁽⁷⁾ h⁶ / (5040 · 64) ≤ 3e-13 (Rp,ᵢᵢ = 0.5), with
# the rounding of Mᵢᵢ − 1 amplified by 1/h to ≤ 3e-15, stays below 1e-9 of the
# gradients there (≥ 2 |δ| / Rp,ᵢᵢ ≥ 5e-4): every coordinate is checked to rtol = 1e-7.
SMALL_GRADIENT_ATOL["MultivariateNormal||MultivariateNormal-near-equal"] = 1e-16
# The near-equal Categorical pair's gradients are ±pₖ dₖ to first order; its tiny
# category's (p₄ = 3.5e-5, |d₄| ≥ 5e-4) are ≥ 1.76e-8, where atol 1e-11 would accept
# an error of 5.7e-4 relative (1.2 % at the 8e-10 that a normal draw of the shift
# gave). Its KL is a sum of qₖ (dₖ + expm1(−dₖ)), whose terms of size |dₖ| cancel to
# dₖ²/2, so its rounding is δKL ≤ 3 ε Σₖ qₖ|dₖ| ≤ 3 ε (h/2 + 1.7e-3) = 3.1e-18 at the
# step h = 5.8e-3 (dₖ's own rounding is second order: a common error cancels in
# Σₖ qₖ(1 − e^(−dₖ)) = 0), and Richardson's error ≤ 6.6 δKL / h = 3.5e-15, which atol
# 4e-15 bounds. Its truncation error f⁽⁷⁾ h⁶ / (5040 · 64), with f⁽⁷⁾ a cumulant of
# order 7 or 8 of a category's indicator (≤ 3, and ≤ 8 p₄ for the tiny one's step
# h = 0.052), is ≤ 4e-19 (2e-17 for the tiny one): every coordinate is checked to
# ≤ 1e-7 + 4e-15 / 1.76e-8 = 3.3e-7 relative.
SMALL_GRADIENT_ATOL["Categorical||Categorical-near-equal-with-a-tiny-category"] = 4e-15


def _split(arrays):
    """{'q_loc': a, 'p_loc': b} -> ({'loc': a}, {'loc': b})."""
    return tuple({name[2:]: value for name, value in arrays.items() if name[:2] == side} for side in ("q_", "p_"))


def _case(label, formula, pair_gradient, make_q, make_p, q_makers, p_makers):
    def build(rng):
        inputs = {f"q_{name}": make(rng) for name, make in q_makers.items()}
        inputs.update({f"p_{name}": make(rng) for name, make in p_makers.items()})

        def value(**arrays):
            return ad.sum(formula(*_split(arrays)))

        def gradient(**arrays):
            q_params, p_params = _split(arrays)
            grads_q, grads_p = kl.kl_divergence_grad(make_q(**q_params), make_p(**p_params))
            return {**{f"q_{k}": v for k, v in grads_q.items()}, **{f"p_{k}": v for k, v in grads_p.items()}}

        return GradientProblem(value, gradient, inputs)

    return GradientCase(
        f"kl.{label}", (gradient_name(kl.kl_divergence_grad), gradient_name(pair_gradient)), build,
        atol=SMALL_GRADIENT_ATOL.get(label, GradientCase.atol),
    )


CASES = [_case(label, *spec) for label, spec in PAIRS.items()]
