"""The rule table: each primitive's NumPy forward function and its VJPs, side by side.

Every rule is written in broadcast shape; the backward pass sums a contribution back
over the axes that broadcasting added (``numerics.sum_to_shape``). Each primitive
takes NumPy's (or SciPy's) name, defaults and keywords; its rules take the same
keywords, so that whatever the forward pass accepts the backward pass accepts too
(``tests/test_autodiff.py`` checks the signatures). Keywords a rule cannot honour
(``out=``, a dtype other than float64) are refused before anything is computed.

Conventions at the points where a function is not differentiable (each is a
subgradient, and at kinks and two-way ties it is what the central finite difference
gives, which is how the registry checks it; at a k-way tie of k ≥ 3 entries the
central difference of each entry alone is ½, so the registry's tie cases are
two-way):

- ties: ``maximum``/``minimum`` give each argument half of the cotangent, and the
  reductions ``max``/``min`` share it equally among the tied entries (1/k each for a
  k-way tie), so the shares always sum to 1;
- NaN: where NaN makes the value of ``maximum``/``minimum``/``max``/``min`` NaN (as
  NumPy propagates it), the derivative with respect to every argument or entry
  taking part is NaN too (never a silent 0), except where the cotangent is 0;
- ``abs`` has derivative sign(x), 0 at x = 0;
- ``power`` xʸ: ∂/∂x = y xʸ⁻¹, which is 0 at x = 0 for y > 1 or y = 0, 1 for
  y = 1 and +∞ for 0 < y < 1 (the one-sided limit); ∂/∂y = xʸ log x, taken as its
  limit 0 at x = 0 (for y > 0); for x < 0 it is NaN, as the forward value is for
  non-integer y.
"""

import builtins
import collections

import numpy as np
import scipy.special

from .. import numerics
from .graph import Primitive, strong_zero_where_unused, value_of

__all__ = [
    # arithmetic
    "add", "subtract", "multiply", "divide", "power", "negative", "matmul",
    "maximum", "minimum", "where", "logaddexp", "xlogy",
    # elementwise functions
    "exp", "log", "log1p", "expm1", "sqrt", "square", "abs", "tanh", "sigmoid", "softplus",
    "sin", "cos", "arctan", "erf", "ndtr", "log_ndtr", "gammaln", "digamma", "polygamma", "betaln",
    # reductions
    "sum", "prod", "max", "min", "cumsum", "logsumexp",
    # shapes
    "reshape", "transpose", "getitem", "concatenate", "stack", "diagonal", "diag", "tril", "triu",
    # linear algebra
    "solve_triangular", "cholesky", "solve", "inv", "slogdet", "einsum",
    "PRIMITIVES",
]

_FLOAT64 = np.dtype(float)


class _Unset:
    """NumPy's "no value given" for a keyword whose absence differs from any value."""

    def __repr__(self):
        return "<no value>"


_UNSET = _Unset()


def _refuse_out_and_dtype(name, out=None, dtype=None):
    if out is not None:
        raise TypeError(f"{name}: out= is not supported (a Tensor's value is never written in place)")
    if dtype is not None and np.dtype(dtype) != _FLOAT64:
        raise TypeError(f"{name}: dtype must be float64 (vi_ref.autodiff computes in float64); got {np.dtype(dtype)}")


def _given(**options):
    """The options that were given (NumPy's no-value defaults left out)."""
    return {key: value for key, value in options.items() if value is not _UNSET}


def _reduced_axes(axis, ndim):
    """The reduced axes as a tuple of non-negative ints (all of them for None; none
    for a 0-d array, whose reductions NumPy allows with axis 0 or −1)."""
    if axis is None or ndim == 0:
        return tuple(range(ndim))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return tuple(int(a) % ndim for a in axes)


def _with_reduced_dims(value, ndim, axis, keepdims):
    """A reduction's output (or cotangent) with its reduced axes back as length one."""
    if axis is not None and not keepdims:
        value = np.expand_dims(value, _reduced_axes(axis, ndim))
    elif axis is None and not keepdims:
        value = np.reshape(value, (1,) * ndim)
    return value


def _expand_reduced(g, shape, axis, keepdims):
    """Broadcast the cotangent of a reduction back to the reduced array's shape."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, _reduced_axes(axis, len(shape)))
    return np.broadcast_to(g, shape)


# ---------------------------------------------------------------------------
# Elementwise rules that need a helper
# ---------------------------------------------------------------------------


def _power_vjp_base(g, ans, x, y):
    # ∂xʸ/∂x = y xʸ⁻¹; for y = 0 it is 0 everywhere (x⁰ = 1 in NumPy for every x,
    # also 0, ±∞ and NaN), computed as 0 · x⁰, not 0 · 0⁻¹ or 0 · ∞
    return g * y * x ** np.where(y == 0, 0.0, y - 1)


def _power_vjp_exponent(g, ans, x, y):
    # ∂xʸ/∂y = xʸ log x; at x = 0 the limit is 0 (for y > 0); negative x gives NaN
    # as it does in the forward function for non-integer y.
    log_x = np.where(x == 0, 0.0, np.log(np.where(x == 0, 1.0, x)))
    return g * ans * log_x


def _maximum_vjp(g, x, y):
    """ḡ ∂max(x, y)/∂x: ḡ where x wins, 0 where y wins, ḡ/2 at ties.

    Where x or y is NaN the value is NaN whichever argument moves, and so is the
    derivative (as the central difference is); 0 where ḡ is 0 (the strong zero).
    """
    contribution = g * ((x > y) + 0.5 * (x == y))
    if np.isnan(np.sum(x)) or np.isnan(np.sum(y)):  # one pass each finds a NaN (or ∞ − ∞)
        unordered = np.isnan(x) | np.isnan(y)
        contribution = np.where(unordered & (g != 0), np.nan, contribution)
    return contribution


# Entries per block of a blocked elementwise rule: a block of each operand (three
# float64 blocks of 512 KiB) stays in a core's L2 cache (2 MiB on the machine it was
# measured on) through the rule's passes. On a 1e5 × 32 layer, 2¹⁶ entries took 7.7
# ms against 8.5 for 2¹⁵ (fewer calls per entry) and 8.2 for 2¹⁷.
_BLOCK_ENTRIES = 1 << 16
_TANH_TAIL = 2.2e-4  # below this, 1 − t² has lost relative accuracy: recomputed from x


def _tanh_vjp(g, ans, x):
    """ḡ · tanh'(x) with tanh' = 1 − t² computed from the forward value t. The
    textbook ḡ / cosh²x made cosh the most expensive step of a tanh network's
    backward pass: NumPy vectorises float64 cosh only on AVX-512 machines (its
    SVML kernels); elsewhere it runs at scalar speed. Even vectorised and blocked
    like this rule, ḡ / cosh²x took as long (8.5 ms on a 1e5 × 32 layer).

    t is within ε/2 of tanh x, so 1 − t² has absolute error about ε, and relative
    error below 1e-12 while 1 − t² ≥ 2.2e-4 (|x| ≲ 4.9). Beyond, where it loses its
    relative accuracy (at |x| = 20 it rounds to 0; the true value is 4e-18), the
    entries are recomputed as 4e/(1 + e)² with e = exp(−2|x|). The test that finds
    them also finds a NaN x, the only way this derivative can be non-finite, so the
    rule applies the strong-zero convention itself.

    The passes (t², 1 − t², the tail test, the product with ḡ) run block by block,
    so that each block is read from memory once and the passes work in cache: this
    nearly halves the rule's time on a 1e5 × 32 hidden layer. Where a block has
    many tails they are fixed in the block; where it has a few, their derivative is
    set to 1 for the product, which leaves ḡ there exactly, and one gather after the
    loop multiplies those entries by 4e/(1 + e)². Either way every entry gets the
    single product ḡ · tanh' it would get unblocked. The result has t's memory
    layout, as the unblocked product would.
    """
    return _tanh_vjp_into(np.empty_like(ans), g, ans, x)


def _tanh_vjp_in_place(g, ans, x):
    """``_tanh_vjp`` written into ḡ (which the backward pass owns) when ḡ has t's
    layout: no new array of the hidden layer's size."""
    if g.strides != ans.strides:
        return _tanh_vjp(g, ans, x)
    return _tanh_vjp_into(g, g, ans, x)


def _tanh_vjp_into(result, g, ans, x):
    axes = _memory_order(result)
    out = result.transpose(axes).reshape(-1)  # a view: transposed, result is C-contiguous
    t, x_flat, g_flat = (
        (a if np.shape(a) == ans.shape else np.broadcast_to(a, ans.shape)).transpose(axes).reshape(-1)
        for a in (ans, x, g)
    )
    size = builtins.min(_BLOCK_ENTRIES, out.size)
    derivatives, accurate = np.empty(size), np.empty(size, dtype=bool)
    deferred = []  # indices of the blocks' few tails
    for start in range(0, out.size, _BLOCK_ENTRIES):
        block = slice(start, start + _BLOCK_ENTRIES)
        t_block = t[block]
        derivative, fine = derivatives[: t_block.size], accurate[: t_block.size]
        np.multiply(t_block, t_block, out=derivative)
        np.subtract(1.0, derivative, out=derivative)
        np.greater_equal(derivative, _TANH_TAIL, out=fine)
        g_block = g_flat[block]
        if not fine.all():  # tails, or a NaN
            in_block = np.logical_not(fine, out=fine).nonzero()[0]
            # many (≥ 1/64 of the block, where one index array costs about as much
            # as a block's pass): fixed while the block is in cache; a few: later
            if 64 * in_block.size >= derivative.size:
                derivative[in_block] = _tanh_derivative_in_tail(x_flat[block], g_block, in_block)
            else:
                derivative[in_block] = 1.0
                deferred.append(start + in_block)
        np.multiply(g_block, derivative, out=out[block])
    if deferred:
        tails = np.concatenate(deferred)
        out[tails] = out[tails] * _tanh_derivative_in_tail(x_flat, out, tails)  # out is ḡ there
    return result


def _memory_order(array):
    """The axes of a contiguous ``array`` from the largest stride to the smallest:
    transposed to them the array is C-contiguous, so ``reshape(-1)`` is a view that
    walks its memory in order."""
    return tuple(sorted(range(array.ndim), key=lambda axis: -array.strides[axis]))


def _tanh_derivative_in_tail(x, g, tails):
    """tanh'(x) = 4e/(1 + e)² with e = exp(−2|x|) at x[tails]: accurate where 1 − tanh²x
    is not. NaN only for a NaN x, and there 0 where the cotangent g[tails] is 0 (the
    strong zero)."""
    e = np.exp(-2.0 * np.abs(x[tails]))
    derivative = 4.0 * e / (1.0 + e) ** 2
    if np.isnan(derivative.sum()):  # one pass finds a NaN: the other entries are in [0, 1]
        derivative[np.isnan(derivative) & (g[tails] == 0)] = 0.0
    return derivative


def _sigmoid_from_softplus(x, softplus_x):
    """σ(x) = eˣ / (1 + eˣ) = e^(x − softplus(x)): one exponential, reusing the forward
    value; at x = +∞, where x − softplus(x) is ∞ − ∞, the limit σ = 1."""
    sigmoid = np.exp(x - softplus_x)
    if np.isnan(np.sum(sigmoid)):  # one pass finds a NaN: the other entries are in [0, 1]
        sigmoid[np.broadcast_to(x, sigmoid.shape) == np.inf] = 1.0
    return sigmoid


_SQRT_2_OVER_PI = np.sqrt(2.0 / np.pi)
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def _log_ndtr_derivative(x):
    """d/dx log Φ(x) = φ(x)/Φ(x) = √(2/π) / erfcx(−x/√2).

    With Φ(x) = ½ erfc(−x/√2) and erfcx(u) = e^(u²) erfc(u) the two Gaussian factors
    e^(−x²/2) cancel exactly, so the ratio keeps its relative accuracy far into the
    lower tail (≈ −x there) instead of subtracting two numbers of size x²/2.
    """
    return _SQRT_2_OVER_PI / scipy.special.erfcx(-x / np.sqrt(2.0))


def _logaddexp_forward(x, y):
    """log(eˣ + eʸ) = max(x, y) + log1p(e^(−|x − y|)).

    The same formula as NumPy's ``logaddexp`` (agreeing to an ulp), but computed with
    whole-array exp and log1p, several times faster than NumPy's elementwise loop.
    Where x = y = ±∞ the difference is NaN and the answer is that infinity.
    """
    larger = np.maximum(x, y)
    result = np.empty(np.shape(larger))
    with np.errstate(invalid="ignore"):  # ∞ − ∞, handled below
        np.subtract(x, y, out=result)
    np.abs(result, out=result)
    np.negative(result, out=result)
    np.exp(result, out=result)
    np.log1p(result, out=result)
    result += larger
    if not np.isfinite(result).all():
        result = np.where(np.isinf(larger) & (x == y), larger, result)
    return result[()] if result.ndim == 0 else result


# From here on the rounding error of a log-sum-exp's value, up to ulp/2 of it, shows
# in the weights e^(x − ans): under 2^-42 relative below it.
_LARGE_LOG_SUM = 2.0**12


def _logaddexp_weight(x, y, ans):
    """∂ log(eˣ + eʸ)/∂x = e^(x − ans), the weight of x in the sum. Where x is the
    infinite answer, e^(∞ − ∞) is NaN: the limit is 1 if y is finite, and x and y
    tie (½ each, as ``maximum``'s ties) if y is the same infinity. Where the answer
    is finite and |ans| ≥ 2^12, ans's rounding would show (at x = y = 1e300 both
    weights were 1): there the weight is σ(x − y), which does not use ans."""
    weight = np.subtract(x, ans, out=np.empty(np.shape(ans)))
    np.exp(weight, out=weight)
    x, y = np.broadcast_to(x, weight.shape), np.broadcast_to(y, weight.shape)
    if np.isnan(np.sum(weight)):  # one pass finds a NaN: the other weights are in [0, 1]
        infinite = np.isinf(x) & (x == ans)
        weight[infinite] = np.where(x[infinite] == y[infinite], 0.5, 1.0)
    if weight.size and builtins.max(np.fmax.reduce(ans, axis=None), -np.fmin.reduce(ans, axis=None)) >= _LARGE_LOG_SUM:
        large = (np.abs(ans) >= _LARGE_LOG_SUM) & np.isfinite(ans)
        weight[large] = scipy.special.expit(x[large] - y[large])
    return weight


def _xlogy_vjp_y(g, ans, x, y):
    # ∂(x log y)/∂y = x / y, and 0 where x = 0: xlogy(0, y) = 0 for every y but NaN
    # (SciPy's xlogy(0, NaN) is NaN, so there the derivative x / y = NaN is kept)
    return g * np.where((x == 0) & ~np.isnan(y), 0.0, x / y)


def _betaln_vjp(g, ans, a, b):
    return g * (scipy.special.digamma(a) - scipy.special.digamma(a + b))


# ---------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------


def _sum_forward(a, axis=None, dtype=None, out=None, keepdims=False, initial=_UNSET, where=_UNSET):
    _refuse_out_and_dtype("sum", out, dtype)
    return np.sum(a, axis=axis, keepdims=keepdims, **_given(initial=initial, where=where))


def _sum_vjp(g, ans, a, axis=None, dtype=None, out=None, keepdims=False, initial=_UNSET, where=_UNSET):
    g = _expand_reduced(g, a.shape, axis, keepdims)
    return g if where is _UNSET else np.where(where, g, 0.0)


def _prod_forward(a, axis=None, dtype=None, out=None, keepdims=False, initial=_UNSET, where=_UNSET):
    _refuse_out_and_dtype("prod", out, dtype)
    return np.prod(a, axis=axis, keepdims=keepdims, **_given(initial=initial, where=where))


def _product_of_the_others(factors, axes):
    """For each entry, the product of the other entries along ``axes``: the
    exclusive products from the left times those from the right, so that a zero
    factor needs no division (∂/∂xᵢ Π xⱼ = Π_{j≠i} xⱼ, exact at zeros)."""
    last = tuple(range(factors.ndim - len(axes), factors.ndim))
    moved = np.moveaxis(factors, axes, last)
    rows = moved.reshape(moved.shape[: factors.ndim - len(axes)] + (-1,))
    ones = np.ones(rows.shape[:-1] + (1,))
    left = np.cumprod(np.concatenate([ones, rows[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, rows[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return np.moveaxis((left * right).reshape(moved.shape), last, axes)


def _prod_vjp(g, ans, a, axis=None, dtype=None, out=None, keepdims=False, initial=_UNSET, where=_UNSET):
    if a.size == 0:  # no factor, nothing to differentiate (the product is 1, or initial)
        return np.zeros(a.shape)
    factors = a if where is _UNSET else np.where(where, a, 1.0)
    others = _product_of_the_others(factors, _reduced_axes(axis, a.ndim))
    if initial is not _UNSET:
        others = others * initial
    contribution = _expand_reduced(g, a.shape, axis, keepdims) * others
    return contribution if where is _UNSET else np.where(where, contribution, 0.0)


def _extremum_forward(name, reduction):
    def forward(a, axis=None, out=None, keepdims=False, initial=_UNSET, where=_UNSET):
        _refuse_out_and_dtype(name, out)
        return reduction(a, axis=axis, keepdims=keepdims, **_given(initial=initial, where=where))

    return forward


def _extremum_vjp(g, ans, a, axis=None, out=None, keepdims=False, initial=_UNSET, where=_UNSET):
    # the cotangent is shared equally among the entries equal to the extremum (and
    # the initial value, if it ties): 1/k each for a k-way tie, summing to 1
    extremum = _with_reduced_dims(ans, a.ndim, axis, keepdims)
    winners = a == extremum
    if where is not _UNSET:
        winners &= np.broadcast_to(where, a.shape)
    count = np.sum(winners, axis=_reduced_axes(axis, a.ndim), keepdims=True)
    if initial is not _UNSET:
        count = count + (extremum == initial)
    g = _expand_reduced(g, a.shape, axis, keepdims)
    contribution = g * winners / np.maximum(count, 1)
    unordered = np.isnan(extremum)  # a NaN entry (or initial) makes the extremum NaN
    if unordered.any():  # and its derivative, with respect to every entry taking part
        unordered = unordered & (g != 0)
        if where is not _UNSET:
            unordered &= np.broadcast_to(where, a.shape)
        contribution = np.where(unordered, np.nan, contribution)
    return contribution


def _cumsum_forward(a, axis=None, dtype=None, out=None):
    _refuse_out_and_dtype("cumsum", out, dtype)
    return np.cumsum(a, axis=axis)


def _cumsum_vjp(g, ans, a, axis=None, dtype=None, out=None):
    # output k sums inputs 0..k, so input i receives the cotangents of outputs i..n−1
    if axis is None:  # np.cumsum flattens first
        return np.cumsum(g[::-1])[::-1].reshape(a.shape)
    return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)


def _logsumexp_forward(a, axis=None, b=None, keepdims=False, return_sign=False):
    # SciPy's positional order, so that logsumexp(a, 0, w) cannot be read as keepdims
    if b is not None:
        raise TypeError("logsumexp: b= (weights) is not supported; add log(b) to a instead")
    if return_sign is not False:
        raise TypeError("logsumexp: return_sign= is not supported (the sum of exponentials is positive)")
    return numerics.logsumexp(a, axis=axis, keepdims=keepdims)


def _logsumexp_vjp(g, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    # ∂/∂xᵢ log Σⱼ exp xⱼ = exp(xᵢ − logsumexp x), the softmax. Where the sum is
    # infinite (entries at +∞, or a row of −∞), exp(∞ − ∞) is NaN: those entries
    # tie, and share the weight equally, as ``max``'s ties do.
    # one work array, updated in place: at N × K entries the allocations cost as
    # much as the arithmetic
    largest = _expand_reduced(ans, a.shape, axis, keepdims)
    contribution = np.subtract(a, largest, out=np.empty(a.shape))
    np.exp(contribution, out=contribution)
    if np.isnan(np.sum(contribution)):  # one pass finds a NaN: the other weights are in [0, 1]
        tied = np.isinf(a) & (a == largest)
        count = np.sum(tied, axis=_reduced_axes(axis, a.ndim), keepdims=True)
        np.copyto(contribution, 1.0 / np.maximum(count, 1), where=tied)
    # ans carries a rounding error δ of up to ulp(ans)/2, and every weight of its row
    # the common factor e^(−δ): under 2^-42 while |ans| < 2^12, but growing with
    # |ans| (at a = (1e15, 1e15) the two weights were 0.47, summing to 0.94). A
    # row's weights sum to 1, so dividing a finite |ans| ≥ 2^12 row by its sum
    # removes the factor (the test is on the reduced ans: rows below keep their bits).
    rows = _with_reduced_dims(ans, a.ndim, axis, keepdims)
    large = np.abs(rows) >= _LARGE_LOG_SUM
    if large.any():
        large &= np.isfinite(rows)  # an infinite row's weights are exact (0, or 1/k at ties)
        total = np.sum(contribution, axis=_reduced_axes(axis, a.ndim), keepdims=True)
        np.divide(contribution, total, out=contribution, where=np.broadcast_to(large, a.shape))
    g = _expand_reduced(g, a.shape, axis, keepdims)
    contribution *= g
    return strong_zero_where_unused(contribution, g)


# ---------------------------------------------------------------------------
# Shapes and indexing
# ---------------------------------------------------------------------------


def _reshape_forward(a, shape, order="C", *, copy=None):
    if order not in ("C", "F"):
        raise ValueError(f"reshape: order must be 'C' or 'F'; got {order!r}")
    return np.reshape(a, shape, order=order, copy=copy)


def _reshape_vjp(g, ans, a, shape, order="C", *, copy=None):
    return np.reshape(g, a.shape, order=order)


def _transpose_vjp(g, ans, a, axes=None):
    # the inverse permutation; negative axes are counted from the end first
    return np.transpose(g, None if axes is None else np.argsort(np.asarray(axes) % a.ndim))


def _getitem_forward(a, index):
    return a[index]


def _is_basic_index(index):
    parts = index if isinstance(index, tuple) else (index,)
    return all(
        isinstance(part, (slice, int, np.integer, type(None), type(Ellipsis)))
        and not isinstance(part, bool)
        for part in parts
    )


def _getitem_vjp(g, ans, a, index):
    result = np.zeros(a.shape)
    if _is_basic_index(index):  # basic indexing selects every entry at most once
        result[index] = g
    else:  # advanced indexing may repeat entries; np.add.at sums their cotangents
        np.add.at(result, index, g)
    return result


def _concatenate_forward(*arrays, axis=0):
    return np.concatenate(arrays, axis=axis)


def _concatenate_vjp(i, g, ans, *arrays, axis=0):
    # argument i's block of the cotangent: the slice where x_i was copied to
    if axis is None:  # np.concatenate flattens every argument first
        start = np.sum([x.size for x in arrays[:i]], dtype=int)
        return g[start:start + arrays[i].size].reshape(arrays[i].shape)
    start = np.sum([x.shape[axis] for x in arrays[:i]], dtype=int)
    block = [slice(None)] * g.ndim
    block[axis] = slice(start, start + arrays[i].shape[axis])
    return g[tuple(block)]


def _stack_forward(*arrays, axis=0):
    return np.stack(arrays, axis=axis)


def _stack_vjp(i, g, ans, *arrays, axis=0):
    return np.take(g, i, axis=axis)


def _diagonal_forward(a, offset=0, axis1=0, axis2=1):
    return np.diagonal(a, offset=offset, axis1=axis1, axis2=axis2)


def _diagonal_vjp(g, ans, a, offset=0, axis1=0, axis2=1):
    moved = np.zeros(np.moveaxis(np.zeros(a.shape, bool), (axis1, axis2), (-2, -1)).shape)
    count = g.shape[-1]
    rows = np.arange(count) + builtins.max(-offset, 0)
    columns = np.arange(count) + builtins.max(offset, 0)
    moved[..., rows, columns] = g
    return np.moveaxis(moved, (-2, -1), (axis1, axis2))


def _diag_forward(v, k=0):
    return np.diag(v, k=k)


def _diag_vjp(g, ans, v, k=0):
    # a vector placed on diagonal k reads its cotangent back from there; a
    # matrix's diagonal k sends its cotangent back onto that diagonal
    return np.diagonal(g, offset=k) if v.ndim == 1 else _diagonal_vjp(g, ans, v, offset=k)


def _tril_forward(m, k=0):
    return np.tril(m, k=k)


def _triu_forward(m, k=0):
    return np.triu(m, k=k)


# ---------------------------------------------------------------------------
# Linear algebra
# ---------------------------------------------------------------------------


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


def _is_transposed(trans):
    """SciPy's ``trans`` code: 0 or 'N' solves a x = b; 1, 'T' (and, for real a, 2, 'C')
    solve aᵀ x = b."""
    codes = {0: False, "N": False, 1: True, "T": True, 2: True, "C": True}
    if not isinstance(trans, (str, int, np.integer)) or trans not in codes:
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


def _solve_vjp_rhs(g, ans, a, b):
    # x = A⁻¹ b, so b̄ = A⁻ᵀ x̄. NumPy (≥ 2.0) reads b as a vector only when it is 1-D.
    transposed = np.swapaxes(a, -1, -2)
    if b.ndim == 1:
        return np.linalg.solve(transposed, g[..., None])[..., 0]
    return np.linalg.solve(transposed, g)


def _solve_vjp_matrix(g, ans, a, b):
    # dx = −A⁻¹ dA x, so Ā = −b̄ xᵀ
    b_bar = _solve_vjp_rhs(g, ans, a, b)
    if b.ndim == 1:
        return -(b_bar[..., :, None] * ans[..., None, :])
    return -(b_bar @ np.swapaxes(ans, -1, -2))


def _inv_vjp(g, ans, a):
    # d(A⁻¹) = −A⁻¹ dA A⁻¹, so Ā = −A⁻ᵀ Ḡ A⁻ᵀ
    transposed = np.swapaxes(ans, -1, -2)
    return -(transposed @ g @ transposed)


def _logabsdet_forward(a):
    return np.linalg.slogdet(a)[1]


def _logabsdet_vjp(g, ans, a):
    # ∂ log|det A| / ∂A = A⁻ᵀ (Jacobi's formula), for any sign of det A
    return g[..., None, None] * np.swapaxes(np.linalg.inv(a), -1, -2)


def _einsum_forward(*operands, subscripts, optimize=False):
    return np.einsum(subscripts, *operands, optimize=optimize)


def _einsum_vjp(i, g, ans, *operands, subscripts, optimize=False):
    # Operand i's cotangent is the same contraction with operand i's labels as the
    # output and ḡ in its place. Labels only operand i carries (summed in the
    # forward pass) receive the cotangent broadcast along them.
    inputs, output = subscripts.split("->")
    labels = inputs.split(",")
    others = [labels[j] for j in range(len(labels)) if j != i]
    present = set(output).union(*others)
    kept = "".join(label for label in labels[i] if label in present)
    contraction = ",".join([output] + others) + "->" + kept
    partial = np.einsum(contraction, g, *(operands[j] for j in range(len(operands)) if j != i), optimize=optimize)
    full = [label for label in labels[i]]
    shape = tuple(
        partial.shape[kept.index(label)] if label in kept else 1 for label in full
    )
    expanded = partial.reshape(shape)
    # a label of size 1 in operand i that broadcast against a longer one elsewhere
    stretched = tuple(k for k, size in enumerate(operands[i].shape) if size == 1 and expanded.shape[k] != 1)
    if stretched:
        expanded = expanded.sum(axis=stretched, keepdims=True)
    return np.broadcast_to(expanded, operands[i].shape)


# ---------------------------------------------------------------------------
# The table: name, forward, and one VJP per argument
# ---------------------------------------------------------------------------

_E = dict(elementwise=True)
# elementwise rules whose local derivative is finite wherever the cotangent is
_LINEAR = dict(elementwise=True, strong_zero=False)
special = scipy.special

# ----- arithmetic ----------------------------------------------------------
add = Primitive("add", np.add, (lambda g, ans, x, y: g, lambda g, ans, x, y: g), signs=(1, 1), **_LINEAR)
subtract = Primitive(
    "subtract", np.subtract, (lambda g, ans, x, y: g, lambda g, ans, x, y: -g), signs=(1, -1), **_LINEAR
)
multiply = Primitive(
    "multiply", np.multiply, (lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x), commutative=True, **_E
)
divide = Primitive("divide", np.divide, (lambda g, ans, x, y: g / y, lambda g, ans, x, y: -g * ans / y), **_E)
power = Primitive("power", np.power, (_power_vjp_base, _power_vjp_exponent), **_E)
negative = Primitive("negative", np.negative, (lambda g, ans, x: -g,), signs=(-1,), **_LINEAR)
matmul = Primitive("matmul", np.matmul, (_matmul_vjp_left, _matmul_vjp_right))
maximum = Primitive(
    "maximum", np.maximum, (lambda g, ans, x, y: _maximum_vjp(g, x, y), lambda g, ans, x, y: _maximum_vjp(g, y, x)),
    **_LINEAR
)
minimum = Primitive(  # min(x, y) = −max(−x, −y): x wins where x < y
    "minimum", np.minimum, (lambda g, ans, x, y: _maximum_vjp(g, y, x), lambda g, ans, x, y: _maximum_vjp(g, x, y)),
    **_LINEAR
)
where = Primitive(
    "where", np.where,
    (None, lambda g, ans, c, x, y: np.where(c, g, 0.0), lambda g, ans, c, x, y: np.where(c, 0.0, g)), **_LINEAR
)
# ∂/∂x log(eˣ + eʸ) = e^(x − ans): the weight of x in the sum
logaddexp = Primitive(
    "logaddexp", _logaddexp_forward,
    (lambda g, ans, x, y: g * _logaddexp_weight(x, y, ans), lambda g, ans, x, y: g * _logaddexp_weight(y, x, ans)),
    **_E
)
xlogy = Primitive("xlogy", special.xlogy, (lambda g, ans, x, y: g * np.log(y), _xlogy_vjp_y), **_E)

# ----- elementwise functions: d/dx written from x and from ans = f(x) ------
exp = Primitive("exp", np.exp, (lambda g, ans, x: g * ans,), **_E)
log = Primitive("log", np.log, (lambda g, ans, x: g / x,), **_E)
log1p = Primitive("log1p", np.log1p, (lambda g, ans, x: g / (1 + x),), **_E)
# expm1' = eˣ, not ans + 1: near x = −40, ans + 1 = (eˣ − 1) + 1 rounds to 0
expm1 = Primitive("expm1", np.expm1, (lambda g, ans, x: g * np.exp(x),), **_E)
sqrt = Primitive("sqrt", np.sqrt, (lambda g, ans, x: g / (2 * ans),), **_E)
square = Primitive("square", np.square, (lambda g, ans, x: 2 * g * x,), **_E)
abs = Primitive("abs", np.abs, (lambda g, ans, x: g * np.sign(x),), **_E)  # noqa: A001
tanh = Primitive(  # the strong zero is applied in the rule
    "tanh", np.tanh, (_tanh_vjp,), in_place_vjps=(_tanh_vjp_in_place,), elementwise=True, strong_zero=False
)
# σ' = σ(x) σ(−x): unlike σ(1 − σ) it keeps its relative accuracy for x ≫ 0
sigmoid = Primitive("sigmoid", numerics.sigmoid, (lambda g, ans, x: g * ans * numerics.sigmoid(-x),), **_E)
softplus = Primitive("softplus", numerics.softplus, (lambda g, ans, x: g * _sigmoid_from_softplus(x, ans),), **_E)
sin = Primitive("sin", np.sin, (lambda g, ans, x: g * np.cos(x),), **_E)
cos = Primitive("cos", np.cos, (lambda g, ans, x: -g * np.sin(x),), **_E)
arctan = Primitive("arctan", np.arctan, (lambda g, ans, x: g / (1 + x * x),), **_E)
erf = Primitive("erf", special.erf, (lambda g, ans, x: g * (2 / np.sqrt(np.pi)) * np.exp(-x * x),), **_E)
ndtr = Primitive("ndtr", special.ndtr, (lambda g, ans, x: g * _INV_SQRT_2PI * np.exp(-0.5 * x * x),), **_E)
log_ndtr = Primitive("log_ndtr", special.log_ndtr, (lambda g, ans, x: g * _log_ndtr_derivative(x),), **_E)
gammaln = Primitive("gammaln", numerics.gammaln, (lambda g, ans, x: g * special.digamma(x),), **_E)
digamma = Primitive("digamma", special.digamma, (lambda g, ans, x: g * special.polygamma(1, x),), **_E)
polygamma = Primitive("polygamma", special.polygamma, (None, lambda g, ans, n, x: g * special.polygamma(n + 1, x)), **_E)
betaln = Primitive("betaln", special.betaln, (_betaln_vjp, lambda g, ans, a, b: _betaln_vjp(g, ans, b, a)), **_E)

# ----- reductions -----------------------------------------------------------
sum = Primitive("sum", _sum_forward, (_sum_vjp,))  # noqa: A001
prod = Primitive("prod", _prod_forward, (_prod_vjp,))
max = Primitive("max", _extremum_forward("max", np.max), (_extremum_vjp,))  # noqa: A001
min = Primitive("min", _extremum_forward("min", np.min), (_extremum_vjp,))  # noqa: A001
cumsum = Primitive("cumsum", _cumsum_forward, (_cumsum_vjp,))
logsumexp = Primitive("logsumexp", _logsumexp_forward, (_logsumexp_vjp,))

# ----- shapes ----------------------------------------------------------------
reshape = Primitive("reshape", _reshape_forward, (_reshape_vjp,))
transpose = Primitive("transpose", np.transpose, (_transpose_vjp,))
getitem = Primitive("getitem", _getitem_forward, (_getitem_vjp,))
_concatenate = Primitive("concatenate", _concatenate_forward, _concatenate_vjp)
_stack = Primitive("stack", _stack_forward, _stack_vjp)
diagonal = Primitive("diagonal", _diagonal_forward, (_diagonal_vjp,))
diag = Primitive("diag", _diag_forward, (_diag_vjp,))
tril = Primitive("tril", _tril_forward, (lambda g, ans, m, k=0: np.tril(g, k=k),))
triu = Primitive("triu", _triu_forward, (lambda g, ans, m, k=0: np.triu(g, k=k),))

# ----- linear algebra -----------------------------------------------------
solve_triangular = Primitive(
    "solve_triangular", _triangular_solve, (_solve_triangular_vjp_matrix, _solve_triangular_vjp_rhs)
)
cholesky = Primitive("cholesky", _cholesky_forward, (_cholesky_vjp,))
_solve = Primitive("solve", np.linalg.solve, (_solve_vjp_matrix, _solve_vjp_rhs))
inv = Primitive("inv", np.linalg.inv, (_inv_vjp,))
_logabsdet = Primitive("slogdet", _logabsdet_forward, (_logabsdet_vjp,))
_einsum = Primitive("einsum", _einsum_forward, _einsum_vjp)

PRIMITIVES = {
    p.name: p
    for p in (
        add, subtract, multiply, divide, power, negative, matmul, maximum, minimum, where, logaddexp, xlogy,
        exp, log, log1p, expm1, sqrt, square, abs, tanh, sigmoid, softplus, sin, cos, arctan,
        erf, ndtr, log_ndtr, gammaln, digamma, polygamma, betaln,
        sum, prod, max, min, cumsum, logsumexp,
        reshape, transpose, getitem, _concatenate, _stack, diagonal, diag, tril, triu,
        solve_triangular, cholesky, _solve, inv, _logabsdet, _einsum,
    )
}
for _primitive in PRIMITIVES.values():
    # every rule above returns ḡ, a view, or an array it allocates
    # (tests/test_autodiff_memory.py checks each against the registry's inputs)
    _primitive.fresh_results = True
del _primitive


# ---------------------------------------------------------------------------
# Public faces of the variadic and tuple-valued primitives
# ---------------------------------------------------------------------------


def concatenate(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """``np.concatenate`` of a sequence of Tensors/arrays."""
    _refuse_out_and_dtype("concatenate", out, dtype)
    return _concatenate(*arrays, axis=axis)


def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """``np.stack`` of a sequence of Tensors/arrays."""
    _refuse_out_and_dtype("stack", out, dtype)
    return _stack(*arrays, axis=axis)


def solve(a, b, *, assume_a="gen"):
    """``np.linalg.solve``: x with a x = b for square, invertible a (batched; b is a
    vector only when it is 1-D, as in NumPy ≥ 2.0). b̄ = a⁻ᵀ x̄ and ā = −b̄ xᵀ.

    ``assume_a`` as in ``scipy.linalg.solve``: ``"gen"`` (LU, the default) or
    ``"pos"`` for symmetric positive definite a, solved through its Cholesky factor
    L (two triangular solves, L y = b and Lᵀ x = y). The factor is of the symmetric
    part of a (see ``cholesky``), so the gradient with respect to a is symmetric.
    """
    if assume_a == "gen":
        return _solve(a, b)
    if assume_a != "pos":
        raise ValueError(f"solve: assume_a must be 'gen' or 'pos'; got {assume_a!r}")
    factor = cholesky(a)
    vector = np.ndim(value_of(b)) == 1  # one right-hand side for every matrix of the batch
    columns = getitem(b, (slice(None), None)) if vector else b
    x = solve_triangular(factor, solve_triangular(factor, columns, lower=True), trans=1, lower=True)
    return getitem(x, (Ellipsis, 0)) if vector else x


# NumPy's result type: a named pair (``.sign``, ``.logabsdet``) that also unpacks
SlogdetResult = collections.namedtuple("SlogdetResult", ["sign", "logabsdet"])


def slogdet(a):
    """``np.linalg.slogdet``: ``(sign, logabsdet)`` of square matrices; ``sign`` is a
    plain array (it is piecewise constant), ``logabsdet`` differentiable with
    ∂ log|det a| / ∂a = a⁻ᵀ. For a symmetric positive definite a the Cholesky route
    is cheaper: log det a = 2 Σᵢ log Lᵢᵢ,
    ``2 * sum(log(diagonal(cholesky(a), axis1=-2, axis2=-1)), axis=-1)``."""
    return SlogdetResult(np.linalg.slogdet(value_of(a))[0], _logabsdet(a))


def einsum(subscripts, *operands, out=None, optimize=False):
    """``np.einsum`` with the subscripts given as a string (implicit or explicit
    output, ``...`` broadcasting); each operand's gradient is again an einsum.

    A label repeated within one operand (a diagonal, as in ``"ii->i"``) is refused:
    use ``diagonal`` or ``trace``.
    """
    _refuse_out_and_dtype("einsum", out)
    explicit = _explicit_subscripts(subscripts, [np.ndim(value_of(x)) for x in operands])
    return _einsum(*operands, subscripts=explicit, optimize=optimize)


def _explicit_subscripts(subscripts, ndims):
    """Rewrite einsum subscripts with an explicit output and ``...`` spelled out as
    letters (right-aligned across operands, as NumPy broadcasts them)."""
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a string; got {type(subscripts).__name__}")
    subscripts = subscripts.replace(" ", "")
    inputs, arrow, output = subscripts.partition("->")
    labels = inputs.split(",")
    if len(labels) != len(ndims):
        raise ValueError(f"einsum: {len(labels)} operand subscripts for {len(ndims)} operands")
    letters = set(subscripts) - set(".,->")
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in letters]
    widths = [ndim - len(label.replace("...", "")) for label, ndim in zip(labels, ndims)]
    ellipsis = "".join(spare[: builtins.max([0] + [w for w, label in zip(widths, labels) if "..." in label])])
    explicit = []
    for label, width in zip(labels, widths):
        label = label.replace("...", ellipsis[len(ellipsis) - width:] if width else "")
        if len(set(label)) != len(label):
            raise ValueError(
                f"einsum: a label repeated within one operand ({label!r}) is not supported; use diagonal or trace"
            )
        explicit.append(label)
    if arrow:
        output = output.replace("...", ellipsis)
    else:  # implicit mode: the labels used once, in alphabetical order, after the ellipsis
        counts = {c: "".join(explicit).count(c) for c in set("".join(explicit)) - set(ellipsis)}
        output = ellipsis + "".join(sorted(c for c, n in counts.items() if n == 1))
    return ",".join(explicit) + "->" + output
