"""Registry entries for every autodiff primitive, with broadcasting variants.

Each entry checks the VJP of one primitive through the scalar ⟨w, op(inputs)⟩ with
random weights w: its autodiff gradient is exactly the VJP applied to w.
"""

import numpy as np

from .. import autodiff as ad
from ..gradcheck import GradientCase, GradientProblem
from . import gradient_name


def rule_case(primitive, label, make_inputs, apply, **options):
    """A registry entry for ``primitive``, evaluated as ``apply(**inputs)``."""

    def build(rng):
        inputs = make_inputs(rng)
        weights = rng.standard_normal(np.shape(apply(**inputs)))

        def value(**arrays):
            return float(np.sum(weights * apply(**arrays)))

        def gradient(**arrays):
            names = tuple(arrays)
            contracted = lambda *tensors: ad.sum(weights * apply(**dict(zip(names, tensors))))  # noqa: E731
            grads = ad.grad(contracted, argnums=tuple(range(len(names))))(*arrays.values())
            return dict(zip(names, grads))

        return GradientProblem(value, gradient, inputs)

    name = gradient_name(primitive)
    return GradientCase(f"{name}[{label}]", (name,), build, **options)


def normal(*shape):
    return lambda rng: rng.standard_normal(shape)


def positive(*shape, low=0.5, high=2.0):
    return lambda rng: rng.uniform(low, high, shape)


def inputs(**makers):
    return lambda rng: {name: make(rng) for name, make in makers.items()}


def spd(size, batch=()):
    """Symmetric positive definite matrices, well conditioned (eigenvalues >= size)."""

    def make(rng):
        factor = rng.standard_normal(batch + (size, size))
        return factor @ np.swapaxes(factor, -1, -2) + size * np.eye(size)

    return make


def triangular(size, lower, batch=()):
    """Triangular matrices with a diagonal in [1, 2], far from singular."""

    def make(rng):
        matrix = rng.standard_normal(batch + (size, size)) * 0.3
        matrix = np.tril(matrix) if lower else np.triu(matrix)
        diagonal = np.arange(size)
        matrix[..., diagonal, diagonal] = rng.uniform(1.0, 2.0, batch + (size,))
        return matrix

    return make


def away_from_zero(*shape):
    """Entries of either sign with |x| in [0.5, 2], away from the kink of |x|."""
    return lambda rng: rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)


def separated(*shape):
    """Inputs x, y whose entries differ by at least 0.5, so max(x, y) has no ties."""

    def make(rng):
        x = rng.standard_normal(shape)
        return {"x": x, "y": x + away_from_zero(*shape)(rng) * 0.75}

    return make


concatenate_rule, stack_rule = ad.PRIMITIVES["concatenate"], ad.PRIMITIVES["stack"]

CASES = [
    # arithmetic, with every broadcasting pattern: equal, stretched, prepended, scalar
    rule_case(ad.add, "same", inputs(x=normal(3, 4), y=normal(3, 4)), lambda x, y: ad.add(x, y)),
    rule_case(ad.add, "broadcast", inputs(x=normal(3, 1), y=normal(4)), lambda x, y: x + y),
    rule_case(ad.subtract, "broadcast", inputs(x=normal(2, 3), y=normal(2, 1)), lambda x, y: x - y),
    rule_case(ad.subtract, "scalar", inputs(x=normal(), y=normal(5)), lambda x, y: ad.subtract(x, y)),
    rule_case(ad.multiply, "broadcast", inputs(x=normal(2, 1, 3), y=normal(4, 1)), lambda x, y: x * y),
    rule_case(ad.divide, "broadcast", inputs(x=normal(3, 4), y=positive(4)), lambda x, y: x / y),
    rule_case(ad.divide, "reflected", inputs(y=positive(3)), lambda y: 2.0 / y),
    rule_case(ad.power, "broadcast", inputs(x=positive(3, 2), y=normal(2)), lambda x, y: x**y),
    rule_case(ad.power, "constant-exponent", inputs(x=normal(4)), lambda x: x**3),
    rule_case(ad.negative, "plain", inputs(x=normal(2, 3)), lambda x: -x),
    rule_case(ad.matmul, "matrix-matrix", inputs(a=normal(3, 4), b=normal(4, 2)), lambda a, b: a @ b),
    rule_case(ad.matmul, "batched-broadcast", inputs(a=normal(2, 3, 4), b=normal(4, 5)), lambda a, b: ad.matmul(a, b)),
    rule_case(ad.matmul, "matrix-vector", inputs(a=normal(2, 3, 4), b=normal(4)), lambda a, b: a @ b),
    rule_case(ad.matmul, "vector-matrix", inputs(a=normal(4), b=normal(2, 4, 3)), lambda a, b: a @ b),
    rule_case(ad.matmul, "vector-vector", inputs(a=normal(4), b=normal(4)), lambda a, b: a @ b),
    # elementwise functions, inside their domains
    rule_case(ad.exp, "plain", inputs(x=normal(3, 2)), lambda x: ad.exp(x)),
    rule_case(ad.log, "plain", inputs(x=positive(3, 2)), lambda x: ad.log(x)),
    rule_case(ad.log1p, "plain", inputs(x=positive(4, low=-0.5, high=3.0)), lambda x: ad.log1p(x)),
    rule_case(ad.expm1, "plain", inputs(x=normal(4)), lambda x: ad.expm1(x)),
    rule_case(ad.sqrt, "plain", inputs(x=positive(4)), lambda x: ad.sqrt(x)),
    rule_case(ad.square, "plain", inputs(x=normal(2, 2)), lambda x: ad.square(x)),
    rule_case(ad.abs, "plain", inputs(x=away_from_zero(5)), lambda x: ad.abs(x)),
    rule_case(ad.tanh, "plain", inputs(x=normal(4)), lambda x: ad.tanh(x)),
    rule_case(ad.sigmoid, "plain", inputs(x=normal(4)), lambda x: ad.sigmoid(x)),
    rule_case(ad.softplus, "plain", inputs(x=lambda rng: 5 * rng.standard_normal(6)), lambda x: ad.softplus(x)),
    rule_case(ad.gammaln, "plain", inputs(x=positive(5, low=0.3, high=6.0)), lambda x: ad.gammaln(x)),
    rule_case(ad.digamma, "plain", inputs(x=positive(5, low=0.5, high=6.0)), lambda x: ad.digamma(x)),
    rule_case(ad.maximum, "broadcast", separated(3, 4), lambda x, y: ad.maximum(x, y[0])),
    rule_case(ad.maximum, "plain", separated(5), lambda x, y: ad.maximum(x, y)),
    rule_case(
        ad.where, "broadcast", inputs(x=normal(3, 4), y=normal(4)),
        lambda x, y: ad.where(np.arange(12).reshape(3, 4) % 3 == 0, x, y),
    ),
    # reductions
    rule_case(ad.sum, "all", inputs(x=normal(3, 4)), lambda x: ad.sum(x)),
    rule_case(ad.sum, "axis", inputs(x=normal(3, 4, 2)), lambda x: x.sum(axis=1)),
    rule_case(ad.sum, "axes-keepdims", inputs(x=normal(3, 4, 2)), lambda x: x.sum(axis=(0, -1), keepdims=True)),
    rule_case(ad.logsumexp, "all", inputs(x=normal(3, 4)), lambda x: ad.logsumexp(x)),
    rule_case(ad.logsumexp, "axis", inputs(x=normal(3, 4)), lambda x: ad.logsumexp(x, axis=-1)),
    rule_case(ad.logsumexp, "keepdims", inputs(x=normal(3, 4, 2)), lambda x: ad.logsumexp(x, 1, keepdims=True)),
    # shapes and indexing
    rule_case(ad.reshape, "plain", inputs(x=normal(3, 4)), lambda x: ad.reshape(x, (2, 6))),
    rule_case(ad.transpose, "reverse", inputs(x=normal(3, 4)), lambda x: x.T),
    rule_case(ad.transpose, "axes", inputs(x=normal(2, 3, 4)), lambda x: ad.transpose(x, (1, 2, 0))),
    rule_case(ad.transpose, "negative-axes", inputs(x=normal(2, 3, 4)), lambda x: ad.transpose(x, (-1, 0, 1))),
    rule_case(ad.getitem, "basic", inputs(x=normal(4, 5)), lambda x: x[1:3, None, ::2]),
    rule_case(ad.getitem, "ellipsis-negative-step", inputs(x=normal(2, 3, 4)), lambda x: x[..., ::-2, -1]),
    rule_case(ad.getitem, "advanced-repeated", inputs(x=normal(4, 3)), lambda x: x[np.array([0, 2, 0, 0]), 1:]),
    rule_case(ad.getitem, "boolean", inputs(x=normal(5)), lambda x: x[np.array([True, False, True, True, False])]),
    rule_case(
        concatenate_rule, "three", inputs(x=normal(2, 3), y=normal(4, 3), z=normal(1, 3)),
        lambda x, y, z: ad.concatenate([x, y, z], axis=0),
    ),
    rule_case(
        concatenate_rule, "axis", inputs(x=normal(2, 3), y=normal(2, 1)),
        lambda x, y: ad.concatenate([x, np.ones((2, 2)), y], axis=-1),
    ),
    rule_case(
        concatenate_rule, "flattened", inputs(x=normal(2, 3), y=normal(4)),
        lambda x, y: ad.concatenate([y, x], axis=None),
    ),
    rule_case(stack_rule, "axis", inputs(x=normal(2, 3), y=normal(2, 3)), lambda x, y: ad.stack([x, y, x], axis=1)),
    rule_case(stack_rule, "negative-axis", inputs(x=normal(2, 3)), lambda x: ad.stack([x, 2 * x], axis=-2)),
    rule_case(ad.diagonal, "matrix", inputs(x=normal(4, 4)), lambda x: ad.diagonal(x)),
    rule_case(ad.diagonal, "batched-offset", inputs(x=normal(2, 3, 4)), lambda x: ad.diagonal(x, offset=1)),
    rule_case(ad.diagonal, "axes", inputs(x=normal(3, 2, 3)), lambda x: ad.diagonal(x, -1, axis1=2, axis2=0)),
    # linear algebra (SciPy's signature: lower=False and trans=0 by default)
    rule_case(
        ad.solve_triangular, "lower-vector", inputs(a=triangular(4, lower=True), b=normal(4)),
        lambda a, b: ad.solve_triangular(a, b, lower=True),
    ),
    rule_case(
        ad.solve_triangular, "upper-matrix", inputs(a=triangular(3, lower=False), b=normal(3, 2)),
        lambda a, b: ad.solve_triangular(a, b),
    ),
    rule_case(
        ad.solve_triangular, "lower-transposed", inputs(a=triangular(3, lower=True), b=normal(3, 2)),
        lambda a, b: ad.solve_triangular(a, b, trans=1, lower=True),
    ),
    rule_case(
        ad.solve_triangular, "batched", inputs(a=triangular(3, lower=True, batch=(2,)), b=normal(2, 3, 2)),
        lambda a, b: ad.solve_triangular(a, b, lower=True),
    ),
    rule_case(
        ad.solve_triangular, "batched-vector-transposed",
        inputs(a=triangular(3, lower=False, batch=(2,)), b=normal(3)),
        lambda a, b: ad.solve_triangular(a, b, trans="T"),
    ),
    rule_case(ad.cholesky, "matrix", inputs(a=spd(4)), lambda a: ad.cholesky(a)),
    rule_case(ad.cholesky, "batched", inputs(a=spd(3, batch=(2,))), lambda a: ad.cholesky(a)),
]
