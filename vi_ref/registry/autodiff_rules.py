"""Registry entries for every autodiff primitive, with broadcasting variants.

Each entry checks the VJP of one primitive through the scalar ⟨w, op(inputs)⟩ with
random weights w: its autodiff gradient is exactly the VJP applied to w.

Inputs reach the hard regions, not only the easy middle: exact ties in
``maximum``/``minimum``/``max``/``min`` and at ``clip``'s bounds (where the
documented convention, half of the cotangent to each side of a two-way tie, is what
the central difference gives), zeros of ``abs``, ``power`` and ``prod``, the tails
of ``tanh``, ``log_ndtr`` (to x = −100), ``logaddexp`` and ``xlogy`` at x = 0.
"""

import numpy as np

from .. import autodiff as ad
from ..gradcheck import GradientCase, GradientProblem
from . import gradient_name


def rule_case(primitive, label, make_inputs, apply, **options):
    """A registry entry for ``primitive`` (or a tuple of primitives that ``apply``
    composes), evaluated as ``apply(**inputs)``."""

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

    primitives = primitive if isinstance(primitive, tuple) else (primitive,)
    names = tuple(gradient_name(p) for p in primitives)
    return GradientCase(f"{names[0]}[{label}]", names, build, **options)


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
    """Inputs x, y whose entries differ by at least 0.375, so max(x, y) has no ties."""

    def make(rng):
        x = rng.standard_normal(shape)
        return {"x": x, "y": x + away_from_zero(*shape)(rng) * 0.75}

    return make


def tied(*shape):
    """Inputs x, y equal at every other entry (exact ties) and at least 0.375 apart
    elsewhere: at a tie each receives half of the cotangent, the central difference."""

    def make(rng):
        pair = separated(*shape)(rng)
        ties = np.arange(int(np.prod(shape))).reshape(shape) % 2 == 0
        pair["y"] = np.where(ties, pair["x"], pair["y"])
        return pair

    return make


def rows_with_a_tied_extremum(rows, columns, largest=True):
    """A (rows, columns) matrix whose extremum in each row occurs exactly twice and
    whose other entries are at least 0.5 away from it."""

    def make(rng):
        x = rng.uniform(-2.0, 1.5, (rows, columns)) if largest else rng.uniform(-1.5, 2.0, (rows, columns))
        extremum = 2.5 if largest else -2.5
        for row in range(rows):
            x[row, rng.choice(columns, 2, replace=False)] = extremum + 0.1 * row
        return x

    return make


def with_zeros(*shape, low=0.5, high=2.0, signed=True):
    """Every third entry exactly 0, the others with |x| in [low, high] (of either sign
    if ``signed``), so that no step of the finite difference crosses 0 except at 0."""

    def make(rng):
        x = rng.uniform(low, high, shape) * (rng.choice([-1.0, 1.0], shape) if signed else 1.0)
        x.reshape(-1)[::3] = 0.0
        return x

    return make


def spaced(*shape):
    """Distinct entries at least 0.5 apart, in random order: no near-ties for max/min."""

    def make(rng):
        count = int(np.prod(shape))
        return ((rng.permutation(count) - count / 2) * 0.5 + rng.uniform(-0.1, 0.1)).reshape(shape)

    return make


def separated_broadcast(x_shape, y_shape):
    """x of ``x_shape`` and y of ``y_shape`` (one broadcasting to the other) whose
    broadcast entries differ by at least 0.375: the larger is the smaller plus offsets."""

    def make(rng):
        x_is_smaller = np.prod(x_shape) <= np.prod(y_shape)
        smaller = rng.standard_normal(x_shape if x_is_smaller else y_shape)
        larger = smaller + away_from_zero(*np.broadcast_shapes(x_shape, y_shape))(rng) * 0.75
        return {"x": smaller, "y": larger} if x_is_smaller else {"x": larger, "y": smaller}

    return make


def invertible(size, batch=()):
    """General (non-symmetric) square matrices, well conditioned (size·I plus a
    perturbation of 0.3 normal entries): rows 0 and 1 swapped in the matrix, or in
    the batch's even entries, so the determinant is negative there and positive in
    the odd entries."""

    def make(rng):
        matrix = rng.standard_normal(batch + (size, size)) * 0.3 + size * np.eye(size)
        flat = matrix.reshape((-1, size, size))  # a view: the draw is C-contiguous
        flat[::2, [0, 1], :] = flat[::2, [1, 0], :]
        return matrix

    return make


concatenate_rule, stack_rule = ad.PRIMITIVES["concatenate"], ad.PRIMITIVES["stack"]
solve_rule, slogdet_rule, einsum_rule = ad.PRIMITIVES["solve"], ad.PRIMITIVES["slogdet"], ad.PRIMITIVES["einsum"]
BOOL_MASK = np.array([[True, False, True, True], [False, True, True, False], [True, True, False, True]])

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
    rule_case(ad.maximum, "broadcast", separated_broadcast((3, 4), (4,)), lambda x, y: ad.maximum(x, y)),
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
    rule_case(ad.diagonal, "numpy-default-axes", inputs(x=normal(2, 3, 4)), lambda x: ad.diagonal(x, offset=1)),
    rule_case(
        ad.diagonal, "batched-offset", inputs(x=normal(2, 3, 4)), lambda x: ad.diagonal(x, -1, axis1=-2, axis2=-1)
    ),
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
    # ----- hard regions of the elementwise rules ----------------------------------------
    rule_case(ad.maximum, "ties", tied(3, 4), lambda x, y: ad.maximum(x, y)),
    rule_case(ad.minimum, "ties", tied(3, 4), lambda x, y: ad.minimum(x, y)),
    rule_case(ad.minimum, "broadcast", separated_broadcast((3, 1), (3, 4)), lambda x, y: ad.minimum(x, y)),
    rule_case(
        (ad.maximum, ad.minimum), "clip-at-the-bounds",
        lambda rng: {"x": np.array([-1.0, -0.5, 0.3, 1.2, 2.0, 3.1]), "low": np.array(-0.5), "high": np.array(2.0)},
        lambda x, low, high: ad.clip(x, low, high),
    ),
    rule_case(ad.abs, "zeros", inputs(x=with_zeros(7)), lambda x: ad.abs(x)),
    rule_case(
        ad.power, "zero-base",
        lambda rng: {"x": np.array([0.0, 0.0, 0.0, 0.7, 1.3, 0.0]), "y": np.array([1.0, 2.0, 3.0, 0.5, 2.5, 4.0])},
        lambda x, y: x**y,
    ),
    rule_case(
        ad.power, "negative-base-integer-exponent", inputs(x=away_from_zero(6)), lambda x: x ** np.arange(-2.0, 4.0),
    ),
    rule_case(ad.tanh, "tails", lambda rng: {"x": np.array([-20.0, -6.0, -1.5, -0.3, 0.0, 0.8, 1.46, 3.0, 19.0])},
              lambda x: ad.tanh(x)),
    rule_case(ad.expm1, "lower-tail", lambda rng: {"x": np.array([-40.0, -20.0, -5.0, -1e-8, 1e-3])},
              lambda x: ad.expm1(x)),
    rule_case(ad.logaddexp, "broadcast", inputs(x=normal(3, 4), y=normal(4)), lambda x, y: ad.logaddexp(x, y)),
    rule_case(ad.logaddexp, "ties-and-scales",
              lambda rng: {"x": np.array([0.0, 3.0, -700.0, 40.0]), "y": np.array([0.0, -40.0, -700.0, 38.0])},
              lambda x, y: ad.logaddexp(x, y)),
    rule_case(ad.xlogy, "zeros", inputs(x=with_zeros(6, signed=False), y=positive(6)), lambda x, y: ad.xlogy(x, y)),
    rule_case(ad.sin, "plain", inputs(x=lambda rng: rng.uniform(-6, 6, 5)), lambda x: ad.sin(x)),
    rule_case(ad.cos, "plain", inputs(x=lambda rng: rng.uniform(-6, 6, 5)), lambda x: ad.cos(x)),
    rule_case(ad.arctan, "scales", lambda rng: {"x": np.array([-1e3, -2.0, 0.0, 0.5, 30.0])}, lambda x: ad.arctan(x)),
    rule_case(ad.erf, "plain", inputs(x=lambda rng: rng.uniform(-4, 4, 6)), lambda x: ad.erf(x)),
    rule_case(ad.ndtr, "plain", inputs(x=lambda rng: rng.uniform(-6, 6, 6)), lambda x: ad.ndtr(x)),
    rule_case(ad.log_ndtr, "tails", lambda rng: {"x": np.array([-100.0, -40.0, -30.0, -20.0, -8.0, -1.0, 0.0, 2.0, 6.0])},
              lambda x: ad.log_ndtr(x)),
    rule_case(ad.polygamma, "orders", inputs(x=positive(4, low=0.5, high=5.0)),
              lambda x: ad.polygamma(np.array([0, 1, 2, 3]), x)),
    rule_case(ad.betaln, "broadcast", inputs(a=positive(3, 1, low=0.3, high=5.0), b=positive(4, low=0.3, high=5.0)),
              lambda a, b: ad.betaln(a, b)),
    # ----- reductions ------------------------------------------------------------------------
    rule_case(ad.sum, "where-initial", inputs(x=normal(3, 4)),
              lambda x: ad.sum(x, axis=1, where=BOOL_MASK, initial=2.0, dtype=float)),
    rule_case(ad.prod, "zeros", lambda rng: {"x": np.array([[0.5, 0.0, 2.0, -1.5], [0.0, 1.2, 0.0, 3.0], [1.1, -0.7, 0.9, 2.0]])},
              lambda x: ad.prod(x, axis=-1)),
    rule_case(ad.prod, "axes-keepdims-where", inputs(x=normal(3, 4, 2)),
              lambda x: ad.prod(x, axis=(0, 2), keepdims=True, where=BOOL_MASK[:, :, None], initial=1.5)),
    rule_case(ad.prod, "all", inputs(x=positive(2, 3)), lambda x: ad.prod(x)),
    rule_case(ad.max, "ties", inputs(x=rows_with_a_tied_extremum(3, 5)), lambda x: ad.max(x, axis=1)),
    rule_case(ad.max, "all-keepdims", inputs(x=spaced(3, 4)), lambda x: ad.max(x, axis=(0, 1), keepdims=True)),
    rule_case(ad.max, "where-initial", inputs(x=spaced(3, 4)), lambda x: ad.max(x, axis=-1, where=BOOL_MASK, initial=-5.0)),
    # the initial value ties a row's largest entry: that entry gets half of the cotangent
    # (the central difference moves the maximum only upwards), as a two-way tie of entries;
    # only two-way ties: at a k-way tie the convention's 1/k is not the central difference's ½
    rule_case(ad.max, "initial-tie", lambda rng: {"x": np.array([[0.3, 1.5, -0.2], [2.0, -1.0, 0.7], [1.5, 0.4, 0.1]])},
              lambda x: ad.max(x, axis=1, initial=1.5)),
    rule_case(ad.min, "initial-tie", lambda rng: {"x": np.array([[0.3, -0.5, 1.2], [-2.0, 1.0, 0.7]])},
              lambda x: ad.min(x, axis=-1, initial=-0.5)),
    rule_case(ad.min, "ties", inputs(x=rows_with_a_tied_extremum(3, 5, largest=False)), lambda x: ad.min(x, axis=-1)),
    rule_case(ad.min, "axis-0", inputs(x=spaced(4, 3)), lambda x: x.min(axis=0)),
    rule_case(ad.cumsum, "axis", inputs(x=normal(3, 4)), lambda x: ad.cumsum(x, axis=-1)),
    rule_case(ad.cumsum, "flattened", inputs(x=normal(2, 3)), lambda x: ad.cumsum(x)),
    # ----- shapes --------------------------------------------------------------------------------
    rule_case(ad.reshape, "fortran-order", inputs(x=normal(3, 4)), lambda x: ad.reshape(x, (2, 6), order="F")),
    rule_case(ad.diag, "vector-offset", inputs(v=normal(3)), lambda v: ad.diag(v, k=-1)),
    rule_case(ad.diag, "matrix-offset", inputs(v=normal(3, 4)), lambda v: ad.diag(v, 1)),
    rule_case(ad.tril, "batched-offset", inputs(m=normal(2, 3, 4)), lambda m: ad.tril(m, k=1)),
    rule_case(ad.triu, "plain", inputs(m=normal(4, 3)), lambda m: ad.triu(m)),
    # ----- linear algebra --------------------------------------------------------------------
    rule_case(solve_rule, "vector", inputs(a=invertible(4), b=normal(4)), lambda a, b: ad.solve(a, b)),
    rule_case(solve_rule, "batched-matrix", inputs(a=invertible(3, batch=(2,)), b=normal(2, 3, 2)),
              lambda a, b: ad.solve(a, b)),
    rule_case(solve_rule, "batched-vector", inputs(a=invertible(3, batch=(2,)), b=normal(3)), lambda a, b: ad.solve(a, b)),
    rule_case(ad.inv, "batched", inputs(a=invertible(3, batch=(2,))), lambda a: ad.inv(a)),
    rule_case(slogdet_rule, "negative-determinant", inputs(a=invertible(4)), lambda a: ad.slogdet(a)[1]),
    rule_case(slogdet_rule, "batched", inputs(a=invertible(3, batch=(2,))), lambda a: ad.slogdet(a)[1]),
    rule_case(einsum_rule, "batched-quadratic-form", inputs(x=normal(5, 3), a=normal(3, 3)),
              lambda x, a: ad.einsum("ni,ij,nj->n", x, a, x)),
    rule_case(einsum_rule, "ellipsis-broadcast", inputs(a=normal(2, 1, 3, 4), b=normal(5, 4)),
              lambda a, b: ad.einsum("...ij,...j->...i", a, b)),
    rule_case(einsum_rule, "implicit-contraction", inputs(a=normal(3, 4), b=normal(4, 2)), lambda a, b: ad.einsum("ij,jk", a, b)),
    rule_case(einsum_rule, "summed-label-and-outer", inputs(a=normal(3, 4), b=normal(2)),
              lambda a, b: ad.einsum("ij,k->ik", a, b)),
]
