"""Registry entries for the hand-written derivatives of ``vi_ref.distributions``:
every family's score ``log_prob_grad``, ``entropy_grad``, the pathwise
``transform_vjp`` of the reparameterisable families, and ∇_x log q(x)
(``log_prob_x_grad``) of the continuous ones.

Each value function is the family's module-level formula (``normal_log_prob``, ...),
contracted with random weights to a scalar; it is written with ``vi_ref.autodiff``
operations, so ``tests/test_distributions.py`` also differentiates it automatically
(the three-way check). Parameters are drawn with broadcast batch shapes and kept
away from the boundaries of their domains.
"""

import numpy as np

from .. import autodiff as ad
from .. import distributions as dist
from ..gradcheck import GradientCase, GradientProblem
from ..numerics import sum_to_shape
from . import gradient_name


def _lower_factor(rng, size, batch=()):
    """A Cholesky factor with diagonal in [1, 2] and small off-diagonal entries."""
    factor = np.tril(0.4 * rng.standard_normal(batch + (size, size)), k=-1)
    return factor + np.eye(size) * rng.uniform(1.0, 2.0, batch + (size,))[..., None, :]


# Each family: how to draw parameters with broadcast shapes, its class, and its
# formulas; a hard family may add how strictly it is checked (``check``, and
# ``check_x`` for ∇ₓ log q where that differs). (Categorical probs are drawn
# normalised: the formula reads them as p/Σp, so finite differences may leave the
# simplex.)
FAMILIES = {
    "Normal": dict(
        family=dist.Normal,
        draw=lambda rng: {"loc": rng.standard_normal((2, 1)), "scale": rng.uniform(0.5, 2.0, 3)},
        log_prob=dist.normal_log_prob,
        entropy=lambda loc, scale: dist.normal_entropy(scale),
        transform=dist.normal_transform,
    ),
    "MultivariateNormal": dict(
        family=lambda loc, scale_tril: dist.MultivariateNormal(loc, scale_tril=scale_tril),
        draw=lambda rng: {"loc": rng.standard_normal((2, 3)), "scale_tril": _lower_factor(rng, 3)},
        log_prob=dist.mvn_log_prob,
        entropy=lambda loc, scale_tril: dist.mvn_entropy(scale_tril),
        transform=dist.mvn_transform,
    ),
    "MultivariateNormal-batched-factor": dict(
        family=lambda loc, scale_tril: dist.MultivariateNormal(loc, scale_tril=scale_tril),
        draw=lambda rng: {"loc": rng.standard_normal(2), "scale_tril": _lower_factor(rng, 2, (3,))},
        log_prob=dist.mvn_log_prob,
        entropy=lambda loc, scale_tril: dist.mvn_entropy(scale_tril),
        transform=dist.mvn_transform,
    ),
    "Exponential": dict(
        family=dist.Exponential,
        draw=lambda rng: {"rate": rng.uniform(0.5, 2.0, 3)},
        log_prob=dist.exponential_log_prob,
        entropy=dist.exponential_entropy,
        transform=dist.exponential_transform,
    ),
    "Gamma": dict(
        family=dist.Gamma,
        draw=lambda rng: {"concentration": rng.uniform(0.8, 3.0, (2, 1)), "rate": rng.uniform(0.5, 2.0, 3)},
        log_prob=dist.gamma_log_prob,
        entropy=dist.gamma_entropy,
    ),
    "LogNormal": dict(
        family=dist.LogNormal,
        draw=lambda rng: {"loc": 0.5 * rng.standard_normal(3), "scale": rng.uniform(0.5, 1.0, (2, 1))},
        log_prob=dist.lognormal_log_prob,
        entropy=dist.lognormal_entropy,
        transform=dist.lognormal_transform,
    ),
    "Categorical-logits": dict(
        family=lambda logits: dist.Categorical(logits=logits),
        draw=lambda rng: {"logits": rng.standard_normal((2, 4))},
        log_prob=dist.categorical_log_prob,
        entropy=dist.categorical_entropy,
    ),
    "Categorical-probs": dict(
        family=lambda probs: dist.Categorical(probs=probs),
        draw=lambda rng: {"probs": _normalised(rng.uniform(0.2, 1.0, (2, 4)))},
        log_prob=lambda x, probs: dist.categorical_log_prob(x, ad.log(probs)),
        entropy=lambda probs: dist.categorical_entropy(ad.log(probs)),
    ),
}


# Parameters far below 1 (a probability 0.02, a shape 0.05): Richardson's step
# ε^(1/7)·max(1, |x|) ≈ 6e-3 is not small against them, and its truncation error,
# ∝ (h/x)⁶, reached 1.6e-6 relative in 7 of 60 seeds. Central differences step
# ε^(1/3) ≈ 6e-6, so (h/x)² ≈ 1e-7 and the usual tolerance holds for every seed.
TINY_PARAMETER_CHECK = {"method": "central"}
# A Gamma shape of 0.05 draws x as small as 1e-30, so the log-density holds terms
# α log x of size ~70 whose rounding central differences amplify by 1/h; Richardson's
# larger step suits it, but its truncation error reaches 2e-7 relative (1 seed in 60):
# the tolerance is 1e-6 there (a wrong formula is off by O(1)).
TINY_SHAPE_CHECK = {"rtol": 1e-6}
# At huge shapes the entropy's gradient is about 1e-3, which the default atol of 1e-9
# would check only to about 1e-6 relative; the four gradients of the family were at
# most 1.2 % of atol 1e-11 + rtol·|g| over 200 seeds, so they are held to that.
SMALL_GRADIENT_CHECK = {"atol": 1e-11}
# Below 1 a parameter's step is absolute, ε^(1/7) · max(1, |x|) ≈ 5.8e-3: a rate of
# 1e-3 would step out of the domain. The parameters of the family with rates in
# [1e-3, 1] are stepped by 3e-5 (h/β from 3e-5 to 0.03), which balances Richardson's
# truncation error, largest at the smallest rate, against its rounding error, largest
# at the largest: each was at most 3.3 % of the tolerance over 200 seeds (2e-5 and
# 5e-5 gave 12 % and 70 %). Its values x (log_prob_x_grad, ``check_x``) are all
# above 1 and keep the default step, which is relative there.
SMALL_RATE_CHECK = {**SMALL_GRADIENT_CHECK, "relative_step": 3e-5}


def _huge_shapes(lowest_rate_decade):
    """Gamma shapes in [20, 2e3] (Stirling's series) and three rates, one drawn
    log-uniformly in each decade from 10^lowest_rate_decade: each draw reaches both
    ends of the three decades (uniform on them it would hardly reach the lower)."""
    decades = lowest_rate_decade + np.arange(3)
    return lambda rng: {"concentration": rng.uniform(20.0, 2e3, (2, 1)),
                        "rate": 10.0 ** (decades + rng.uniform(0.0, 1.0, 3))}


# Hard regions: the branches the formulas take at the extremes (Stirling's series for
# Gamma shapes ≥ 10, the series of u − log(1 + u) near u = 0), shapes straddling that
# threshold, tiny shapes, wide and narrow scales, an ill-conditioned Cholesky factor,
# categories of small probability and tied logits. The parameters stay where a finite
# difference step (ε^(1/7) · max(1, |x|) ≈ 6e-3 · max(1, |x|)) is small against the
# scale of the function: that, not the formulas, bounds how extreme a registry input
# can be (tests/test_extremes.py checks the values themselves down to 1e-300).
HARD_FAMILIES = {
    "Gamma-huge-shape": dict(FAMILIES["Gamma"], draw=_huge_shapes(0), check=SMALL_GRADIENT_CHECK),
    "Gamma-huge-shape-small-rates": dict(
        FAMILIES["Gamma"], draw=_huge_shapes(-3), check=SMALL_RATE_CHECK, check_x=SMALL_GRADIENT_CHECK
    ),
    "Gamma-shape-straddling-10": dict(
        FAMILIES["Gamma"],
        draw=lambda rng: {"concentration": np.array([[9.5], [10.5]]) + rng.uniform(-0.2, 0.2, (2, 1)),
                          "rate": rng.uniform(0.5, 2.0, 3)},
    ),
    "Gamma-tiny-shape": dict(
        FAMILIES["Gamma"],
        draw=lambda rng: {"concentration": rng.uniform(0.05, 0.2, (2, 1)), "rate": rng.uniform(0.5, 2.0, 3)},
        check=TINY_SHAPE_CHECK,
    ),
    "Normal-wide-and-narrow": dict(
        FAMILIES["Normal"],
        draw=lambda rng: {"loc": 1e3 * rng.standard_normal((2, 1)), "scale": np.array([0.3, 1.0, 300.0])},
    ),
    "MultivariateNormal-ill-conditioned": dict(
        FAMILIES["MultivariateNormal"],
        draw=lambda rng: {"loc": rng.standard_normal((2, 3)),
                          "scale_tril": np.diag([0.3, 1.0, 40.0]) + np.tril(0.02 * rng.standard_normal((3, 3)), k=-1)},
    ),
    "Categorical-tiny-probability": dict(
        FAMILIES["Categorical-probs"],
        draw=lambda rng: {"probs": _normalised(np.array([[0.02, 0.48, 0.3, 0.2], [0.25, 0.25, 0.25, 0.25]]))},
        check=TINY_PARAMETER_CHECK,
    ),
    "Categorical-tied-logits": dict(
        FAMILIES["Categorical-logits"],
        draw=lambda rng: {"logits": np.array([[0.5, 0.5, 0.5, -2.0], [30.0, 30.0, -30.0, 0.0]])},
    ),
}


def _normalised(weights):
    return weights / weights.sum(axis=-1, keepdims=True)


def _weighted(gradient, weights, shape):
    """Σ over values of w · gradient, summed to ``shape`` (the VJP of the per-value
    gradient with weights w)."""
    weights = weights.reshape(weights.shape + (1,) * (gradient.ndim - weights.ndim))
    return sum_to_shape(weights * gradient, shape)


def _score_case(label, spec):
    def build(rng):
        params = spec["draw"](rng)
        x = spec["family"](**params).sample(4, rng)
        weights = rng.standard_normal(np.shape(spec["family"](**params).log_prob(x)))

        def value(**arrays):
            return ad.sum(weights * spec["log_prob"](x, **arrays))

        def gradient(**arrays):
            score = spec["family"](**arrays).log_prob_grad(x)
            return {name: _weighted(score[name], weights, np.shape(arrays[name])) for name in arrays}

        return GradientProblem(value, gradient, params)

    family = spec["family"](**spec["draw"](np.random.default_rng(0)))
    return GradientCase(f"distributions.{label}.log_prob_grad", (gradient_name(type(family).log_prob_grad),), build, **spec.get("check", {}))


def _entropy_case(label, spec):
    def build(rng):
        params = spec["draw"](rng)
        batch_zeros = np.zeros(spec["family"](**params).batch_shape)

        def value(**arrays):
            # entropy_grad differentiates the entropy summed over the batch
            return ad.sum(spec["entropy"](**arrays) + batch_zeros)

        def gradient(**arrays):
            return spec["family"](**arrays).entropy_grad()

        return GradientProblem(value, gradient, params)

    family = spec["family"](**spec["draw"](np.random.default_rng(0)))
    return GradientCase(f"distributions.{label}.entropy_grad", (gradient_name(type(family).entropy_grad),), build, **spec.get("check", {}))


def _transform_case(label, spec):
    def build(rng):
        params = spec["draw"](rng)
        _, eps = spec["family"](**params).rsample(5, rng)
        cotangent = rng.standard_normal(eps.shape)

        def value(**arrays):
            return ad.sum(cotangent * spec["transform"](eps, **arrays))

        def gradient(**arrays):
            per_sample = spec["family"](**arrays).transform_vjp(eps, cotangent)
            return {name: per_sample[name].sum(axis=0) for name in arrays}

        return GradientProblem(value, gradient, params)

    family = spec["family"](**spec["draw"](np.random.default_rng(0)))
    return GradientCase(f"distributions.{label}.transform_vjp", (gradient_name(type(family).transform_vjp),), build, **spec.get("check", {}))


def _value_case(label, spec):
    """∇_x log q(x) at draws of q; on (0, ∞) moved 0.5 inwards, so that the finite
    difference steps (≈ 6e-3 · max(1, x)) stay inside the support and small against x."""

    def build(rng):
        params = spec["draw"](rng)
        family = spec["family"](**params)
        x = family.sample(4, rng)
        if family.support is not dist.REAL and family.support is not dist.REAL_VECTOR:
            x = x + 0.5
        weights = rng.standard_normal(np.shape(family.log_prob(x)))
        value = lambda x: ad.sum(weights * spec["log_prob"](x, **params))  # noqa: E731
        gradient = lambda x: {"x": _weighted(family.log_prob_x_grad(x)["x"], weights, np.shape(x))}  # noqa: E731
        return GradientProblem(value, gradient, {"x": x})

    family = spec["family"](**spec["draw"](np.random.default_rng(0)))
    check = spec.get("check_x", spec.get("check", {}))
    return GradientCase(f"distributions.{label}.log_prob_x_grad", (gradient_name(type(family).log_prob_x_grad),), build, **check)


ALL_FAMILIES = {**FAMILIES, **HARD_FAMILIES}
CASES = (
    [_score_case(label, spec) for label, spec in ALL_FAMILIES.items()]
    + [_entropy_case(label, spec) for label, spec in ALL_FAMILIES.items()]
    + [_transform_case(label, spec) for label, spec in ALL_FAMILIES.items() if "transform" in spec]
    + [_value_case(label, spec) for label, spec in ALL_FAMILIES.items() if not label.startswith("Categorical")]
)
