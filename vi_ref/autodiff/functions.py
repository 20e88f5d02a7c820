"""Operations composed of primitives: they need no rule of their own.

Each keeps the NumPy/SciPy name, defaults and keywords; its gradient is whatever the
chain rule makes of the primitives it is written with (so, e.g., ``clip`` and
``relu`` inherit the tie convention of ``maximum``/``minimum``). At the end, the
ndarray methods and NumPy's function protocol are attached to ``Tensor``.
"""

import operator

import numpy as np

from .graph import Tensor, _is_real_operand, as_operand, value_of
from .rules import (
    _UNSET,
    _refuse_out_and_dtype,
    abs,
    add,
    cumsum,
    diagonal,
    divide,
    einsum,
    exp,
    getitem,
    logsumexp,
    matmul,
    max,
    maximum,
    min,
    minimum,
    multiply,
    negative,
    polygamma,
    power,
    prod,
    reshape,
    softplus,
    sqrt,
    square,
    subtract,
    sum,
    transpose,
)
from .rules import where as where_  # mean, var and std take a keyword named where

__all__ = [
    "mean", "var", "std", "amax", "amin", "clip", "relu", "softmax", "log_softmax", "log_sigmoid",
    "trigamma", "dot", "outer", "trace", "squeeze", "swapaxes", "ravel", "repeat",
]

amax = max
amin = min


def _axes(axis, ndim):
    """``axis`` (an int or a tuple of ints) as non-negative ints, or NumPy's AxisError
    (TypeError for a non-integer)."""
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    normalised = []
    for a in axes:
        a = operator.index(a)
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(a, ndim)
        normalised.append(a % ndim)
    return tuple(normalised)


def _axis(axis, ndim):
    """One axis (an integer, not a tuple) as a non-negative int, or NumPy's
    AxisError (TypeError for anything else)."""
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim)
    return axis % ndim


def _count(shape, axis, keepdims, where):
    """How many entries a reduction over ``axis`` averages: an int, or (with a
    ``where`` mask) an array of counts shaped like the reduction."""
    if where is True:
        axes = range(len(shape)) if axis is None else _axes(axis, len(shape))
        return int(np.prod([shape[a] for a in axes]))
    return np.sum(np.broadcast_to(where, shape), axis=axis, keepdims=keepdims)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    """Arithmetic mean: the sum divided by the number of entries summed (those
    where ``where`` is True). ``a`` may be a list of Tensors, as for NumPy."""
    _refuse_out_and_dtype("mean", out, dtype)
    a = as_operand(a, "mean argument")
    count = _count(np.shape(value_of(a)), axis, keepdims, where)
    if where is True:
        return sum(a, axis=axis, keepdims=keepdims) / count
    return sum(a, axis=axis, keepdims=keepdims, where=where) / count


_mean = mean


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True, mean=_UNSET,
        correction=_UNSET):
    """Variance Σ (aᵢ − ā)² / (n − ddof) over ``axis`` (``correction`` is NumPy's
    other name for ``ddof``). A precomputed ``mean=`` is refused: the gradient must
    see the mean's dependence on ``a``."""
    _refuse_out_and_dtype("var", out, dtype)
    if mean is not _UNSET:
        raise TypeError("var: mean= is not supported; the mean is computed (and differentiated) here")
    if correction is not _UNSET:
        if ddof != 0:
            raise ValueError("var: give ddof or correction, not both")
        ddof = correction
    a = as_operand(a, "var argument")
    centred = a - _mean(a, axis=axis, keepdims=True, where=where)
    count = _count(np.shape(value_of(a)), axis, keepdims, where)
    options = {} if where is True else {"where": where}
    return sum(square(centred), axis=axis, keepdims=keepdims, **options) / np.maximum(count - ddof, 0)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True, mean=_UNSET,
        correction=_UNSET):
    """Standard deviation √var. Where the variance is 0 the entries are equal, and
    std(c + t h) = |t| std(h) is a kink, like |x| at 0: the derivative there is 0,
    what the central difference gives (√'s infinite slope times the variance's zero
    one would be NaN)."""
    variance = var(a, axis, dtype, out, ddof, keepdims, where=where, mean=mean, correction=correction)
    nonzero = value_of(variance) != 0  # NaN stays on the √ branch
    return where_(nonzero, sqrt(where_(nonzero, variance, 1.0)), 0.0)


def clip(a, a_min=_UNSET, a_max=_UNSET, out=None, *, min=_UNSET, max=_UNSET):  # noqa: A002
    """``np.clip``: minimum(maximum(a, a_min), a_max); ``None`` leaves a side open.

    At a bound the value is a tie of ``maximum``/``minimum``, so ``a`` and the bound
    each receive half of the cotangent (the central finite difference).
    """
    _refuse_out_and_dtype("clip", out)
    if a_min is not _UNSET and min is not _UNSET:
        raise TypeError("clip: give a_min or min, not both")
    if a_max is not _UNSET and max is not _UNSET:
        raise TypeError("clip: give a_max or max, not both")
    lower = a_min if a_min is not _UNSET else (None if min is _UNSET else min)
    upper = a_max if a_max is not _UNSET else (None if max is _UNSET else max)
    result = as_operand(a, "clip argument")
    if lower is not None:
        result = maximum(result, lower)
    if upper is not None:
        result = minimum(result, upper)
    return result


def relu(x):
    """max(x, 0); at x = 0 the derivative is ½, the tie convention of ``maximum``."""
    return maximum(x, 0.0)


def softmax(x, axis=None):
    """SciPy's ``softmax``: exp(x − logsumexp(x)) along ``axis`` (all entries for None).

    With a +∞ entry the result is NaN there and 0 at the finite entries (exp of
    ``log_softmax``'s NaN and −∞, which are SciPy's ``log_softmax`` too); SciPy's
    ``softmax`` gives NaN at every entry of that slice."""
    return exp(log_softmax(x, axis=axis))


def log_softmax(x, axis=None):
    """SciPy's ``log_softmax``: x − logsumexp(x) along ``axis`` (all entries for None,
    as in SciPy; pass ``axis=-1`` for a batch of logit vectors).

    Computed as (x − m) − logsumexp(x − m), m the largest entry along ``axis``
    where it is finite (0 where it is not: a row of −∞, or one holding +∞), as
    SciPy does. The shift is a constant, so the function and its gradient are
    unchanged, but logsumexp(x − m) ∈ [0, log K] carries a rounding error of an ulp
    of log K, not of x: unshifted, the log-softmax of (1000, 975, 970, −3) near 0
    had a relative error of 1e-4, and softmax of (1e15, 1e15) was 0.47 each.
    """
    x = as_operand(x, "log_softmax argument")
    value = value_of(x)
    if value.size:
        largest = np.max(value, axis=axis, keepdims=True)
        x = x - np.where(np.isfinite(largest), largest, 0.0)
    return x - logsumexp(x, axis=axis, keepdims=True)


def log_sigmoid(x):
    """log σ(x) = −softplus(−x)."""
    return negative(softplus(negative(x)))


def trigamma(x):
    """ψ₁(x) = polygamma(1, x), the derivative of ``digamma``."""
    return polygamma(1, x)


_LETTERS = "abcdefghijklmnopqrstuvwxy"


def dot(a, b, out=None):
    """``np.dot``: a product for a scalar, ``matmul`` up to a 2-D ``b``, and for an
    N-D ``b`` the sum over the last axis of ``a`` and the second-to-last of ``b``."""
    _refuse_out_and_dtype("dot", out)
    a, b = as_operand(a, "dot argument 0"), as_operand(b, "dot argument 1")
    a_ndim, b_ndim = np.ndim(value_of(a)), np.ndim(value_of(b))
    if a_ndim == 0 or b_ndim == 0:
        return multiply(a, b)
    if b_ndim <= 2:
        return matmul(a, b)
    left = _LETTERS[: a_ndim - 1] + "z"
    right = _LETTERS[a_ndim - 1: a_ndim + b_ndim - 3] + "zY"
    return einsum(f"{left},{right}->{left[:-1]}{right[:-2]}Y", a, b)


def outer(a, b, out=None):
    """``np.outer``: aᵢ bⱼ of the flattened arguments."""
    _refuse_out_and_dtype("outer", out)
    return reshape(as_operand(a), (-1, 1)) * reshape(as_operand(b), (1, -1))


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """``np.trace``: the sum of ``diagonal(a, offset, axis1, axis2)``."""
    _refuse_out_and_dtype("trace", out, dtype)
    return sum(diagonal(a, offset, axis1, axis2), axis=-1)


def squeeze(a, axis=None):
    """``np.squeeze``: drop axes of length one (those in ``axis``, or all)."""
    a = as_operand(a)
    return reshape(a, np.squeeze(np.broadcast_to(0.0, np.shape(value_of(a))), axis=axis).shape)


def swapaxes(a, axis1, axis2):
    """``np.swapaxes``: a transpose exchanging two axes."""
    a = as_operand(a)
    ndim = np.ndim(value_of(a))
    axis1, axis2 = _axis(axis1, ndim), _axis(axis2, ndim)
    axes = list(range(ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(a, axes)


def ravel(a, order="C"):
    """``np.ravel`` in C or Fortran order (the memory-layout orders 'A' and 'K' are
    refused: a Tensor's layout is not part of its value)."""
    if order not in ("C", "F"):
        raise ValueError(f"ravel: order must be 'C' or 'F'; got {order!r}")
    return reshape(as_operand(a), (-1,), order=order)


def repeat(a, repeats, axis=None):
    """``np.repeat``: each entry copied ``repeats`` times along ``axis`` (of the
    flattened array for None; a 0-d array is repeated as a 1-d one, as NumPy does);
    the copies' cotangents are summed back."""
    a = as_operand(a)
    if axis is None or np.ndim(value_of(a)) == 0:
        a, axis = ravel(a), 0 if axis is None else axis
    shape = np.shape(value_of(a))
    axis = _axis(axis, len(shape))
    index = np.repeat(np.arange(shape[axis]), repeats)
    return getitem(a, (slice(None),) * axis + (index,))


# ---------------------------------------------------------------------------
# Tensor: operators, ndarray methods, and NumPy's function protocol
# ---------------------------------------------------------------------------


def _binary_operator(primitive):
    """Tensor operator methods (forward and reflected) for a binary primitive."""

    def forward(self, other):
        try:
            return primitive(self, other)
        except TypeError:
            if _is_foreign(other):
                return NotImplemented
            raise

    def reflected(self, other):
        try:
            return primitive(other, self)
        except TypeError:
            if _is_foreign(other):
                return NotImplemented
            raise

    return forward, reflected


def _is_foreign(value):
    """An operand this package cannot compute with (a string, None, a complex number):
    let Python try the other operand's method, then raise its own TypeError."""
    return not isinstance(value, (list, tuple)) and not _is_real_operand(value)


Tensor.__add__, Tensor.__radd__ = _binary_operator(add)
Tensor.__sub__, Tensor.__rsub__ = _binary_operator(subtract)
Tensor.__mul__, Tensor.__rmul__ = _binary_operator(multiply)
Tensor.__truediv__, Tensor.__rtruediv__ = _binary_operator(divide)
Tensor.__pow__, Tensor.__rpow__ = _binary_operator(power)
Tensor.__matmul__, Tensor.__rmatmul__ = _binary_operator(matmul)
Tensor.__neg__ = lambda self: negative(self)
Tensor.__abs__ = lambda self: abs(self)
Tensor.__getitem__ = lambda self, index: getitem(self, index)
Tensor.T = property(lambda self: transpose(self), doc="The reversed-axes transpose.")


def _as_method(function, name):
    def method(self, *args, **kwargs):
        return function(self, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"``t.{name}(...)``, as the ndarray method."
    return method


for _name, _function in {
    "sum": sum, "mean": mean, "max": max, "min": min, "prod": prod, "cumsum": cumsum, "var": var, "std": std,
    "clip": clip, "dot": dot, "ravel": ravel, "flatten": ravel, "squeeze": squeeze, "swapaxes": swapaxes,
    "diagonal": diagonal, "trace": trace, "repeat": repeat,
}.items():
    setattr(Tensor, _name, _as_method(_function, _name))


def _reshape_method(self, *shape, order="C", copy=None):
    """``t.reshape(2, 3)`` or ``t.reshape((2, 3))``, as the ndarray method."""
    if not shape:
        raise TypeError("reshape() takes the new shape; none was given")
    return reshape(self, shape[0] if len(shape) == 1 else shape, order=order)


def _transpose_method(self, *axes):
    """``t.transpose()``, ``t.transpose(1, 0, 2)`` or ``t.transpose((1, 0, 2))``
    (``t.transpose(())`` permutes no axes: only a 0-d array has none)."""
    if not axes:
        return transpose(self)
    return transpose(self, axes[0] if len(axes) == 1 else axes)


Tensor.reshape = _reshape_method
Tensor.transpose = _transpose_method


# NumPy functions outside the top-level namespace that mean what ours of the same
# name mean (np.linalg.trace and np.linalg.diagonal do not: they take the last two
# axes, where np.trace and np.diagonal take the first two)
_LINALG_NAMESAKES = ("solve", "inv", "slogdet", "cholesky")


def _array_function(self, func, types, args, kwargs):
    """NumPy's function protocol: ``np.sum(t)``, ``np.concatenate([t, x])``,
    ``np.dot(X, t)``, ``np.linalg.solve(t, b)`` call this package's function of the
    same name and meaning; any other NumPy function is refused (it would compute on
    the Tensor as an opaque object, detached from the graph)."""
    from .. import autodiff

    name = func.__name__
    if name in ("shape", "ndim", "size"):  # questions about the value, not computations
        return func(value_of(args[0]), *args[1:], **kwargs)
    namesake = getattr(np, name, None) is func or (
        name in _LINALG_NAMESAKES and getattr(np.linalg, name, None) is func
    )
    if namesake and name in autodiff.__all__:
        return getattr(autodiff, name)(*args, **kwargs)
    raise TypeError(
        f"{func.__module__}.{name} is not differentiable by vi_ref.autodiff; use the"
        " vi_ref.autodiff functions on Tensors (or .value for a plain, detached array)"
    )


def _iterate(self):
    """Iteration over the first axis, as for an ndarray (each item a Tensor)."""
    if self.ndim == 0:
        raise TypeError("iteration over a 0-d Tensor")
    return (getitem(self, i) for i in range(len(self)))


def _array(self, dtype=None, copy=None):
    raise TypeError(
        "a Tensor is not converted to an ndarray (its gradient would be lost); use the"
        " vi_ref.autodiff functions, or .value for a plain, detached array"
    )


Tensor.__array_function__ = _array_function
Tensor.__array__ = _array
Tensor.__iter__ = _iterate
