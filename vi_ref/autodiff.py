"""A tiny reverse-mode automatic differentiator on NumPy arrays.

A ``Tensor`` wraps an ndarray and remembers the primitive that made it. Calling a
primitive on Tensors runs the NumPy function forward and records, for each Tensor
argument, how to pull a cotangent back through it: the vector–Jacobian product
(VJP) ``ḡ ↦ ḡ · ∂ans/∂arg``. ``grad`` seeds the scalar output with 1 and walks the
recorded graph backwards once, in topological order, summing the contributions that
reach each node (derivation 01: the chain rule as vector–Jacobian products).

Rules are a table below: each line is one primitive, its NumPy forward function and
its VJP side by side, written in broadcast shape. One helper,
``numerics.sum_to_shape``, undoes NumPy broadcasting for every rule, because a value
broadcast to many entries receives the sum of their cotangents.

Convention: a zero cotangent is a *strong* zero. For elementwise rules (and
``logsumexp``) a VJP entry whose incoming cotangent is exactly 0 is 0, even where
the local derivative is infinite or NaN, so ``where(x > 0, sqrt(x), 0.0)`` has
gradient 0 (not NaN) at x ≤ 0: the branch not taken contributes nothing.

Non-differentiable arguments (a ``where`` condition, an index, an axis, a shape,
``solve_triangular``'s ``trans`` and ``lower``) may be given positionally or by
keyword, as in NumPy and SciPy; Tensors must be given positionally.
"""

import numbers

import numpy as np
import scipy.special

from . import numerics
from .numerics import sum_to_shape

__all__ = [
    "Tensor",
    "Primitive",
    "PRIMITIVES",
    "grad",
    "value_and_grad",
    # primitives
    "add", "subtract", "multiply", "divide", "power", "negative", "matmul",
    "exp", "log", "log1p", "expm1", "sqrt", "square", "abs", "tanh", "sigmoid",
    "softplus", "gammaln", "digamma", "maximum", "where",
    "sum", "logsumexp", "reshape", "transpose", "getitem", "concatenate", "stack",
    "diagonal", "solve_triangular", "cholesky",
    # derived from primitives
    "mean", "log_sigmoid", "log_softmax",
]

# ---------------------------------------------------------------------------
# The graph: Tensor, Primitive, and the backward pass
# ---------------------------------------------------------------------------


class Tensor:
    """An ndarray that records the primitive that computed it.

    Arithmetic operators, indexing, ``.T``, ``.sum`` and ``.mean`` build the graph;
    ``ndarray``/float operands work on either side. Comparisons return plain boolean
    arrays (they are not differentiable). ``==`` is identity, as for any object.
    """

    __slots__ = ("value", "_node")
    # Make ``ndarray <op> Tensor`` call Tensor's reflected operator instead of NumPy
    # broadcasting over a Tensor treated as an object scalar.
    __array_ufunc__ = None

    def __init__(self, value, _node=None):
        self.value = _as_differentiable(value, "value")
        self._node = _node

    shape = property(lambda self: self.value.shape)
    ndim = property(lambda self: self.value.ndim)
    size = property(lambda self: self.value.size)
    T = property(lambda self: transpose(self))

    def __len__(self):
        return len(self.value)

    def __repr__(self):
        return f"Tensor({self.value!r})"

    def sum(self, axis=None, keepdims=False):
        return sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return mean(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape):
        return reshape(self, shape[0] if len(shape) == 1 else shape)

    def __getitem__(self, index):
        return getitem(self, index=index)

    def __neg__(self):
        return negative(self)

    def __pos__(self):
        return self

    def __lt__(self, other):
        return self.value < _plain(other)

    def __le__(self, other):
        return self.value <= _plain(other)

    def __gt__(self, other):
        return self.value > _plain(other)

    def __ge__(self, other):
        return self.value >= _plain(other)

    __hash__ = object.__hash__


def _binary_operator(primitive):
    """Tensor operator methods (forward and reflected) for a binary primitive."""

    def forward(self, other):
        return primitive(self, other) if _is_operand(other) else NotImplemented

    def reflected(self, other):
        return primitive(other, self) if _is_operand(other) else NotImplemented

    return forward, reflected


def _is_operand(value):
    if isinstance(value, (Tensor, np.ndarray)):
        return isinstance(value, Tensor) or value.dtype.kind in "biuf"
    return isinstance(value, (numbers.Real, np.bool_)) and not isinstance(value, np.complexfloating)


def _plain(value):
    return value.value if isinstance(value, Tensor) else value


def _as_differentiable(value, what):
    """A float64 ndarray for a differentiable argument, or a TypeError."""
    if isinstance(value, Tensor):
        return value.value
    if isinstance(value, (list, tuple)):
        value = np.asarray(value)
    if not _is_operand(value):
        raise TypeError(
            f"{what} must be a Tensor, an ndarray of reals or a real number;"
            f" got {type(value).__name__}"
            + (f" with dtype {value.dtype}" if isinstance(value, np.ndarray) else "")
        )
    return np.asarray(value, dtype=float)


class _Node:
    """What backward needs from one primitive call: the rule, its inputs, its output."""

    __slots__ = ("primitive", "parents", "args", "kwargs", "ans")

    def __init__(self, primitive, parents, args, kwargs, ans):
        self.primitive = primitive
        self.parents = parents  # tuple of (argument number, Tensor)
        self.args = args
        self.kwargs = kwargs
        self.ans = ans


class Primitive:
    """A NumPy function with hand-written vector–Jacobian products.

    Args:
        name: the public name (also the gradient-registry key ``"autodiff.<name>"``).
        forward: the NumPy function computing the value.
        vjps: one rule per positional argument, ``rule(g, ans, *args, **kwargs)``
            returning the cotangent of that argument, in broadcast shape; ``None``
            for an argument that is not differentiable (it is then never a Tensor's
            parent). For a variadic primitive, a single rule taking the argument
            number first: ``rule(i, g, ans, *args, **kwargs)``.
        elementwise: the output entry k depends only on entry k of each (broadcast)
            input, which is what makes the strong-zero convention applicable.
    """

    def __init__(self, name, forward, vjps, *, elementwise=False):
        self.name = name
        self.forward = forward
        self.variadic = callable(vjps)
        self.vjps = vjps
        self.elementwise = elementwise

    def __repr__(self):
        return f"<autodiff primitive {self.name}>"

    def differentiable(self, argnum):
        return self.variadic or (argnum < len(self.vjps) and self.vjps[argnum] is not None)

    def vjp(self, argnum, g, ans, args, kwargs):
        if self.variadic:
            return self.vjps(argnum, g, ans, *args, **kwargs)
        return self.vjps[argnum](g, ans, *args, **kwargs)

    def __call__(self, *args, **kwargs):
        # non-differentiable arguments (a condition, an index, an axis, a shape) reach
        # the NumPy function as given: np.asarray would turn an index tuple (0, 1)
        # into the array [0, 1], which indexes something else
        by_keyword = [key for key, value in kwargs.items() if isinstance(value, Tensor)]
        if by_keyword:  # keywords are options (axis, lower, ...), never differentiated
            raise TypeError(f"{self.name}: pass Tensors positionally; got keyword(s) {by_keyword}")
        values = tuple(
            _as_differentiable(a, f"{self.name} argument {i}")
            if self.differentiable(i)
            else _plain(a)
            for i, a in enumerate(args)
        )
        ans = self.forward(*values, **kwargs)
        parents = tuple(
            (i, a) for i, a in enumerate(args) if isinstance(a, Tensor) and self.differentiable(i)
        )
        if not parents:
            return ans
        return Tensor(ans, _Node(self, parents, values, kwargs, np.asarray(ans)))


def _topological_order(output):
    """Nodes reachable from ``output``, each before all of the nodes it was computed from.

    Iterative depth-first search (a chain of 10,000 operations would overflow
    Python's recursion limit) emitting each node after all of its inputs: the
    reversed emission order lists every node before its inputs. A node is marked
    when it is *expanded*, not when it is pushed, so that a node reachable along
    several paths is expanded once, from the first path that pops it, and is still
    emitted after everything it depends on.
    """
    order, expanded = [], set()
    stack = [(output, False)]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:
            order.append(tensor)
            continue
        if id(tensor) in expanded:
            continue
        expanded.add(id(tensor))
        stack.append((tensor, True))
        if tensor._node is not None:
            stack.extend(
                (parent, False) for _, parent in tensor._node.parents if id(parent) not in expanded
            )
    return order[::-1]


def _strong_zero(contribution, g):
    """Zero the entries of an elementwise VJP whose incoming cotangent is zero."""
    if np.all(np.isfinite(contribution)):
        return contribution
    return np.where(np.broadcast_to(g, np.shape(contribution)) == 0, 0.0, contribution)


def backward(output, leaves):
    """Gradient of the scalar Tensor ``output`` with respect to each of ``leaves``."""
    cotangents = {id(output): np.ones(output.shape)}
    for tensor in _topological_order(output):
        g = cotangents.pop(id(tensor), None)
        if g is None or tensor._node is None:
            if g is not None:
                cotangents[id(tensor)] = g  # a leaf keeps its gradient
            continue
        node = tensor._node
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for argnum, parent in node.parents:
                contribution = node.primitive.vjp(argnum, g, node.ans, node.args, node.kwargs)
                if node.primitive.elementwise:
                    contribution = _strong_zero(contribution, g)
                contribution = sum_to_shape(contribution, parent.shape)
                previous = cotangents.get(id(parent))
                cotangents[id(parent)] = contribution if previous is None else previous + contribution
    return [cotangents.get(id(leaf), np.zeros(leaf.shape)) for leaf in leaves]


def _normalise_argnums(argnums, count):
    single = not isinstance(argnums, tuple)
    numbers_ = (argnums,) if single else argnums
    for argnum in numbers_:
        if isinstance(argnum, bool) or not isinstance(argnum, (int, np.integer)):
            raise TypeError(f"argnums must be an int or a tuple of ints; got {argnums!r}")
        if not -count <= argnum < count:
            raise ValueError(f"argnums {argnum} is out of range for {count} argument(s)")
    selected = tuple(int(a) % count for a in numbers_)
    if len(set(selected)) < len(selected):
        # a second leaf for the same argument would replace the first, whose
        # gradient would then silently be zero
        raise ValueError(f"argnums must not repeat an argument; got {argnums!r}")
    return selected, single


def value_and_grad(f, argnums=0):
    """Return a function computing ``(f(*args), ∇f)`` by one forward and one backward pass.

    Args:
        f: function of arrays returning a scalar; the arguments selected by
            ``argnums`` arrive wrapped as ``Tensor``, so ``f`` must compute with
            this module's functions and operators.
        argnums: an int, or a tuple of ints for several gradients.

    Returns:
        function ``(*args, **kwargs) -> (value, gradient)``; ``value`` is a float,
        ``gradient`` an ndarray shaped like the argument (a tuple of them when
        ``argnums`` is a tuple).

    Raises:
        ValueError: if ``f`` returns a non-scalar (the message names the shape).
        TypeError: if a differentiated argument is not an array of reals.
    """

    def value_and_gradient(*args, **kwargs):
        selected, single = _normalise_argnums(argnums, len(args))
        args = list(args)
        leaves = []
        for argnum in selected:
            leaf = Tensor(_as_differentiable(args[argnum], f"argument {argnum}"))
            args[argnum] = leaf
            leaves.append(leaf)
        output = f(*args, **kwargs)
        shape = np.shape(_plain(output))
        if shape != ():
            raise ValueError(f"f must return a scalar to be differentiated; got shape {shape}")
        if isinstance(output, Tensor):
            gradients = backward(output, leaves)
        else:  # f did not use its differentiated arguments
            gradients = [np.zeros(leaf.shape) for leaf in leaves]
        value = float(_plain(output))
        return value, (gradients[0] if single else tuple(gradients))

    return value_and_gradient


def grad(f, argnums=0):
    """Return a function computing only the gradient part of ``value_and_grad(f)``."""
    both = value_and_grad(f, argnums)
    return lambda *args, **kwargs: both(*args, **kwargs)[1]


# ---------------------------------------------------------------------------
# Helpers used by the rules
# ---------------------------------------------------------------------------


def _expand_reduced(g, shape, axis, keepdims):
    """Broadcast the cotangent of a reduction back to the reduced array's shape."""
    if axis is not None and not keepdims:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        g = np.expand_dims(g, tuple(a % len(shape) for a in axes))
    return np.broadcast_to(g, shape)


def _sum_vjp(g, ans, x, axis=None, keepdims=False):
    return _expand_reduced(g, x.shape, axis, keepdims)


def _logsumexp_vjp(g, ans, x, axis=None, keepdims=False):
    # ∂/∂xᵢ log Σⱼ exp xⱼ = exp(xᵢ − logsumexp x), the softmax. A row of −∞ has
    # no softmax (−∞ − (−∞) is NaN); with a zero cotangent it contributes nothing,
    # the strong-zero convention of the elementwise rules.
    g = _expand_reduced(g, x.shape, axis, keepdims)
    softmax = np.exp(x - _expand_reduced(ans, x.shape, axis, keepdims))
    return _strong_zero(g * softmax, g)


def _matmul_vjp_left(g, ans, a, b):
    if a.ndim == 1 and b.ndim == 1:
        return g * b
    if b.ndim == 1:
        return g[..., :, None] * b
    if a.ndim == 1:
        return (g[..., None, :] @ np.swapaxes(b, -1, -2))[..., 0, :]
    return g @ np.swapaxes(b, -1, -2)


def _matmul_vjp_right(g, ans, a, b):
    if a.ndim == 1 and b.ndim == 1:
        return g * a
    if a.ndim == 1:
        return a[:, None] * g[..., None, :]
    if b.ndim == 1:  # aᵀ g, written g a so that a row-major a is read row by row
        return (g[..., None, :] @ a)[..., 0, :]
    return np.swapaxes(a, -1, -2) @ g


def _transpose_vjp(g, ans, x, axes=None):
    # the inverse permutation; negative axes are counted from the end first
    return np.transpose(g, None if axes is None else np.argsort(np.asarray(axes) % x.ndim))


def _is_basic_index(index):
    parts = index if isinstance(index, tuple) else (index,)
    return all(
        isinstance(part, (slice, int, np.integer, type(None), type(Ellipsis)))
        and not isinstance(part, bool)
        for part in parts
    )


def _getitem_vjp(g, ans, x, index):
    result = np.zeros(x.shape)
    if _is_basic_index(index):  # basic indexing selects every entry at most once
        result[index] = g
    else:  # advanced indexing may repeat entries; np.add.at sums their cotangents
        np.add.at(result, index, g)
    return result


def _concatenate_vjp(i, g, ans, *xs, axis=0):
    # argument i's block of the cotangent: the slice where x_i was copied to
    if axis is None:  # np.concatenate flattens every argument first
        start = np.sum([x.size for x in xs[:i]], dtype=int)
        return g[start:start + xs[i].size].reshape(xs[i].shape)
    start = np.sum([x.shape[axis] for x in xs[:i]], dtype=int)
    block = [slice(None)] * g.ndim
    block[axis] = slice(start, start + xs[i].shape[axis])
    return g[tuple(block)]


def _stack_vjp(i, g, ans, *xs, axis=0):
    return np.take(g, i, axis=axis)


def _diagonal_forward(x, offset=0, axis1=-2, axis2=-1):
    return np.diagonal(x, offset=offset, axis1=axis1, axis2=axis2)


def _diagonal_vjp(g, ans, x, offset=0, axis1=-2, axis2=-1):
    moved = np.zeros(np.moveaxis(np.zeros(x.shape, bool), (axis1, axis2), (-2, -1)).shape)
    count = g.shape[-1]
    rows = np.arange(count) + max(-offset, 0)
    columns = np.arange(count) + max(offset, 0)
    moved[..., rows, columns] = g
    return np.moveaxis(moved, (-2, -1), (axis1, axis2))


def _is_transposed(trans):
    """SciPy's ``trans`` code: 0 or 'N' solves a x = b; 1, 'T' (and, for real a, 2, 'C')
    solve aᵀ x = b."""
    codes = {0: False, "N": False, 1: True, "T": True, 2: True, "C": True}
    if not isinstance(trans, (str, numbers.Integral)) or trans not in codes:
        raise ValueError(f"trans must be 0, 1, 2, 'N', 'T' or 'C' (as in SciPy); got {trans!r}")
    return codes[trans]


def _triangular_solve(a, b, trans=0, lower=False):
    return numerics.solve_triangular(a, b, lower=lower, transpose=_is_transposed(trans))


def _solve_triangular_vjp_rhs(g, ans, a, b, trans=0, lower=False):
    # x = A⁻¹ b with A = a or aᵀ, so b̄ = A⁻ᵀ x̄: the solve with the other orientation.
    # A vector b gives one column per batch entry of a: solve g as (..., D, 1).
    transpose = not _is_transposed(trans)
    if b.ndim == 1:
        return numerics.solve_triangular(a, g[..., None], lower=lower, transpose=transpose)[..., 0]
    return numerics.solve_triangular(a, g, lower=lower, transpose=transpose)


def _solve_triangular_vjp_matrix(g, ans, a, b, trans=0, lower=False):
    # dx = −A⁻¹ dA x, so Ā = −b̄ xᵀ (transposed when A = aᵀ), then only the
    # triangle that the solve reads can receive a gradient.
    b_bar = _solve_triangular_vjp_rhs(g, ans, a, b, trans, lower)
    x, b_bar = (ans[..., :, None], b_bar[..., :, None]) if b.ndim == 1 else (ans, b_bar)
    outer = -(b_bar @ np.swapaxes(x, -1, -2))
    if _is_transposed(trans):
        outer = np.swapaxes(outer, -1, -2)
    return np.tril(outer) if lower else np.triu(outer)


def _cholesky_forward(a):
    # the factor of the symmetric part, so that the function (and its finite
    # differences) depends on every entry and the gradient is symmetric
    return np.linalg.cholesky((a + np.swapaxes(a, -1, -2)) / 2)


def _cholesky_vjp(g, L, a):
    # Murray (2016), arXiv:1602.07527: Ā = sym(L⁻ᵀ Φ(Lᵀ L̄) L⁻¹), where Φ keeps the
    # lower triangle and halves the diagonal; sym(S) = (S + Sᵀ)/2 because the
    # forward function reads the symmetric part of its argument.
    inner = np.swapaxes(L, -1, -2) @ g
    phi = np.tril(inner) - 0.5 * np.eye(L.shape[-1]) * inner
    left = numerics.solve_triangular(L, phi, lower=True, transpose=True)
    s = np.swapaxes(
        numerics.solve_triangular(L, np.swapaxes(left, -1, -2), lower=True, transpose=True),
        -1,
        -2,
    )
    return (s + np.swapaxes(s, -1, -2)) / 2


def _sigmoid_from_softplus(x, softplus_x):
    """σ(x) = eˣ / (1 + eˣ) = e^(x − softplus(x)): one exponential, reusing the forward value."""
    return np.exp(x - softplus_x)


def _maximum_share(x, y):
    """∂max(x, y)/∂x: 1 where x wins, 0 where y wins, 1/2 at ties."""
    return (x > y) + 0.5 * (x == y)


def _power_vjp_base(g, ans, x, y):
    # ∂xʸ/∂x = y xʸ⁻¹; for y = 0 it is 0 everywhere (x⁰ = 1, also 0⁰ in NumPy), not 0 · 0⁻¹
    return g * y * x ** np.where(y == 0, 1.0, y - 1)


def _power_vjp_exponent(g, ans, x, y):
    # ∂xʸ/∂y = xʸ log x; at x = 0 the limit is 0 (for y > 0); negative x gives NaN
    # as it does in the forward function for non-integer y.
    with np.errstate(divide="ignore", invalid="ignore"):
        log_x = np.where(x == 0, 0.0, np.log(np.where(x == 0, 1.0, x)))
    return g * ans * log_x


# ---------------------------------------------------------------------------
# The rule table: name, forward, and one VJP per argument, side by side
# ---------------------------------------------------------------------------

_E = dict(elementwise=True)

# ----- arithmetic ----------------------------------------------------------
add = Primitive("add", np.add, (lambda g, ans, x, y: g, lambda g, ans, x, y: g), **_E)
subtract = Primitive("subtract", np.subtract, (lambda g, ans, x, y: g, lambda g, ans, x, y: -g), **_E)
multiply = Primitive("multiply", np.multiply, (lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x), **_E)
divide = Primitive("divide", np.divide, (lambda g, ans, x, y: g / y, lambda g, ans, x, y: -g * ans / y), **_E)
power = Primitive("power", np.power, (_power_vjp_base, _power_vjp_exponent), **_E)
negative = Primitive("negative", np.negative, (lambda g, ans, x: -g,), **_E)
matmul = Primitive("matmul", np.matmul, (_matmul_vjp_left, _matmul_vjp_right))

# ----- elementwise functions: d/dx written from x and from ans = f(x) ------
exp = Primitive("exp", np.exp, (lambda g, ans, x: g * ans,), **_E)
log = Primitive("log", np.log, (lambda g, ans, x: g / x,), **_E)
log1p = Primitive("log1p", np.log1p, (lambda g, ans, x: g / (1 + x),), **_E)
expm1 = Primitive("expm1", np.expm1, (lambda g, ans, x: g * (ans + 1),), **_E)
sqrt = Primitive("sqrt", np.sqrt, (lambda g, ans, x: g / (2 * ans),), **_E)
square = Primitive("square", np.square, (lambda g, ans, x: 2 * g * x,), **_E)
abs = Primitive("abs", np.abs, (lambda g, ans, x: g * np.sign(x),), **_E)  # noqa: A001
# tanh' = 1 − tanh² = 1/cosh², σ' = σ(x) σ(−x): the second forms keep their relative
# accuracy in the tails, where 1 − tanh² and 1 − σ round to 0
tanh = Primitive("tanh", np.tanh, (lambda g, ans, x: g / np.cosh(x) ** 2,), **_E)
sigmoid = Primitive("sigmoid", numerics.sigmoid, (lambda g, ans, x: g * ans * numerics.sigmoid(-x),), **_E)
softplus = Primitive("softplus", numerics.softplus, (lambda g, ans, x: g * _sigmoid_from_softplus(x, ans),), **_E)
gammaln = Primitive("gammaln", scipy.special.gammaln, (lambda g, ans, x: g * scipy.special.digamma(x),), **_E)
digamma = Primitive("digamma", scipy.special.digamma, (lambda g, ans, x: g * scipy.special.polygamma(1, x),), **_E)
maximum = Primitive(
    "maximum", np.maximum,
    (lambda g, ans, x, y: g * _maximum_share(x, y), lambda g, ans, x, y: g * _maximum_share(y, x)), **_E
)
where = Primitive(
    "where", np.where,
    (None, lambda g, ans, c, x, y: np.where(c, g, 0.0), lambda g, ans, c, x, y: np.where(c, 0.0, g)), **_E
)

# ----- reductions -----------------------------------------------------------
sum = Primitive("sum", np.sum, (_sum_vjp,))  # noqa: A001
logsumexp = Primitive("logsumexp", numerics.logsumexp, (_logsumexp_vjp,))

# ----- shapes ----------------------------------------------------------------
reshape = Primitive("reshape", np.reshape, (lambda g, ans, x, shape: np.reshape(g, x.shape),))
transpose = Primitive("transpose", np.transpose, (_transpose_vjp,))
getitem = Primitive("getitem", lambda x, index: x[index], (_getitem_vjp,))
_concatenate = Primitive("concatenate", lambda *xs, axis=0: np.concatenate(xs, axis=axis), _concatenate_vjp)
_stack = Primitive("stack", lambda *xs, axis=0: np.stack(xs, axis=axis), _stack_vjp)
diagonal = Primitive("diagonal", _diagonal_forward, (_diagonal_vjp,))

# ----- linear algebra -----------------------------------------------------
solve_triangular = Primitive(
    "solve_triangular", _triangular_solve, (_solve_triangular_vjp_matrix, _solve_triangular_vjp_rhs)
)
cholesky = Primitive("cholesky", _cholesky_forward, (_cholesky_vjp,))

PRIMITIVES = {
    p.name: p
    for p in (
        add, subtract, multiply, divide, power, negative, matmul,
        exp, log, log1p, expm1, sqrt, square, abs, tanh, sigmoid, softplus,
        gammaln, digamma, maximum, where,
        sum, logsumexp, reshape, transpose, getitem, _concatenate, _stack, diagonal,
        solve_triangular, cholesky,
    )
}

Tensor.__add__, Tensor.__radd__ = _binary_operator(add)
Tensor.__sub__, Tensor.__rsub__ = _binary_operator(subtract)
Tensor.__mul__, Tensor.__rmul__ = _binary_operator(multiply)
Tensor.__truediv__, Tensor.__rtruediv__ = _binary_operator(divide)
Tensor.__pow__, Tensor.__rpow__ = _binary_operator(power)
Tensor.__matmul__, Tensor.__rmatmul__ = _binary_operator(matmul)


# ---------------------------------------------------------------------------
# Derived operations: built from primitives, so they need no rule of their own
# ---------------------------------------------------------------------------


def concatenate(arrays, axis=0):
    """``np.concatenate`` of a sequence of Tensors/arrays."""
    return _concatenate(*arrays, axis=axis)


def stack(arrays, axis=0):
    """``np.stack`` of a sequence of Tensors/arrays."""
    return _stack(*arrays, axis=axis)


def mean(x, axis=None, keepdims=False):
    """Arithmetic mean: the sum divided by the number of entries summed."""
    shape = np.shape(_plain(x))
    axes = range(len(shape)) if axis is None else np.atleast_1d(axis)
    count = int(np.prod([shape[a] for a in axes]))
    return sum(x, axis=axis, keepdims=keepdims) / count


def log_sigmoid(x):
    """log σ(x) = −softplus(−x)."""
    return -softplus(-x)


def log_softmax(x, axis=-1):
    """x − logsumexp(x) along ``axis``: normalised log-probabilities from logits."""
    return x - logsumexp(x, axis=axis, keepdims=True)
