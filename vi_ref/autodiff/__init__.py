"""A tiny reverse-mode automatic differentiator on NumPy arrays: a language for log-joints.

A ``Tensor`` wraps an ndarray and remembers the primitive that made it. Calling a
primitive on Tensors runs the NumPy function forward and records, for each Tensor
argument, how to pull a cotangent back through it: the vector–Jacobian product
(VJP) ``ḡ ↦ ḡ · ∂ans/∂arg``. ``grad`` seeds the scalar output with 1 and walks the
recorded graph backwards once, in topological order, summing the contributions that
reach each node (derivation 01: the chain rule as vector–Jacobian products).

Layout: ``graph`` (Tensor, Primitive, the backward pass, ``grad``), ``rules`` (the
rule table: each primitive's NumPy forward and its VJPs side by side), ``functions``
(operations composed of primitives, and Tensor's methods). Code that takes either a
Tensor or an array reads its value with ``value_of(x)`` (``x.value`` for a Tensor,
``x`` itself otherwise); ``np.shape(t)``, ``np.ndim(t)`` and ``np.size(t)`` answer
for a Tensor's value too.

Semantics are NumPy's and SciPy's: every function takes the same name, defaults and
keywords as its NumPy/SciPy namesake (``diagonal`` over axes (0, 1), ``softmax`` and
``log_softmax`` over all entries unless ``axis`` is given, ``sum(x, where=...,
initial=...)``, ``reshape(x, s, order="F")``), or refuses a keyword it cannot
honour (``out=``, a dtype other than float64) before computing anything. Lists of
Tensors are stacked as NumPy stacks lists of arrays. ``np.sum(t)``, ``np.dot(X, t)``,
``np.concatenate([t, x])`` call the functions here; a NumPy function or ufunc
without a rule here (``np.exp(t)``: use ``exp(t)``) raises TypeError.

Gradients are fresh, writable arrays that share memory with nothing else.
Nested differentiation (a ``grad`` inside a differentiated function) is refused
with a ValueError: the inner gradient would silently miss the outer dependence.

Convention: a zero cotangent is a *strong* zero. For elementwise rules (and
``logsumexp``) a VJP entry whose incoming cotangent is exactly 0 is 0, even where
the local derivative is infinite or NaN, so ``where(x > 0, sqrt(x), 0.0)`` has
gradient 0 (not NaN) at x ≤ 0: the branch not taken contributes nothing. At kinks
the derivative is a subgradient, the one the central finite difference gives at
kinks and two-way ties (a k-way tie shares equally, 1/k each; |x|' = 0 at 0;
``rules`` documents each).

Non-differentiable arguments (a ``where`` condition, an index, an axis, a shape,
``solve_triangular``'s ``trans`` and ``lower``) may be given positionally or by
keyword, as in NumPy and SciPy, and so may the arrays where NumPy names them
(``sum(a=x)``, ``cholesky(a=m)``; a ufunc's inputs are positional only, as in
NumPy); a Tensor given as an option is refused. The ``initial``
value of ``sum``, ``prod``, ``max`` and ``min`` is not differentiated: a Tensor there is
refused (combine it with the result instead: ``sum(a) + c``).
"""

from . import functions as _functions  # noqa: F401  (attaches Tensor's methods)
from .functions import (
    amax, amin, clip, dot, log_sigmoid, log_softmax, mean, outer, ravel, relu, repeat, softmax,
    squeeze, std, swapaxes, trace, trigamma, var,
)
from .graph import Primitive, Tensor, backward, grad, value_and_grad, value_of
from .rules import (
    PRIMITIVES, _concatenate, _einsum, _logabsdet, _solve, _stack,
    abs, add, arctan, betaln, cholesky, concatenate, cos, cumsum, diag, diagonal, digamma, divide,
    einsum, erf, exp, expm1, gammaln, getitem, inv, log, log1p, log_ndtr, logaddexp, logsumexp,
    matmul, max, maximum, min, minimum, multiply, ndtr, negative, polygamma, power, prod, reshape,
    sigmoid, sin, slogdet, softplus, solve, solve_triangular, sqrt, square, stack, subtract, sum,
    tanh, transpose, tril, triu, where, xlogy,
)

__all__ = [
    "Tensor", "Primitive", "PRIMITIVES", "grad", "value_and_grad", "backward",
    # arithmetic
    "add", "subtract", "multiply", "divide", "power", "negative", "matmul", "dot", "einsum", "outer",
    "maximum", "minimum", "clip", "relu", "where", "logaddexp", "xlogy",
    # elementwise functions
    "exp", "log", "log1p", "expm1", "sqrt", "square", "abs", "tanh", "sigmoid", "softplus",
    "log_sigmoid", "sin", "cos", "arctan", "erf", "ndtr", "log_ndtr",
    "gammaln", "digamma", "polygamma", "trigamma", "betaln",
    # reductions
    "sum", "prod", "mean", "var", "std", "max", "min", "amax", "amin", "cumsum",
    "logsumexp", "softmax", "log_softmax",
    # shapes
    "reshape", "ravel", "squeeze", "transpose", "swapaxes", "getitem", "concatenate", "stack",
    "repeat", "diagonal", "diag", "trace", "tril", "triu",
    # linear algebra
    "solve_triangular", "cholesky", "solve", "inv", "slogdet",
]

# the drivers are this package's face (the gradient registry names them
# "autodiff.grad" and "autodiff.value_and_grad")
for _function in (grad, value_and_grad, backward):
    _function.__module__ = __name__
