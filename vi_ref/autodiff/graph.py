"""The graph: ``Tensor``, ``Primitive``, the backward pass, ``grad`` and ``value_and_grad``.

A primitive call on Tensors runs the NumPy function forward and records one node:
the primitive, its Tensor parents, the argument values and keywords. ``backward``
visits the recorded nodes once, output first, each before the nodes it was computed
from, and pulls the cotangent back through each rule (derivation 01: the chain rule
as vector–Jacobian products).

The per-call bookkeeping is on the path of every operation of a log-joint, so it is
kept to exact type tests (no abstract ``numbers.Real`` checks), one tuple per node,
one ``np.errstate`` per backward pass (not per node), and the finiteness test of the
strong-zero convention only for the rules whose local derivative can be infinite or
NaN (``Primitive(..., strong_zero=...)``). None of this changes a gradient: the
traversal order, and so the order in which contributions are summed, is the same.
"""

import inspect
import sys

import numpy as np

from ..numerics import sum_to_shape

__all__ = ["Tensor", "Primitive", "backward", "grad", "value_and_grad"]

_FLOAT64 = np.dtype(float)
_REAL_KINDS = "biuf"
# A rule's new array is owned (updated in place later) from this many entries up:
# for smaller ones an allocation costs less than the bookkeeping. (The seed, sums
# of contributions and ḡ passed on unchanged are owned at any size.)
_OWNED_SIZE = 1 << 12


class Tensor:
    """An ndarray that records the primitive that computed it.

    Arithmetic operators, indexing, ``.T`` and the ndarray methods a log-joint
    reaches for (``.sum``, ``.mean``, ``.max``, ``.dot``, ``.reshape``, ...; see the
    package docstring) build the graph; ``ndarray``/float operands work on either
    side. Comparisons return plain boolean arrays (they are not differentiable).
    ``==`` is identity, as for any object; ``x in t`` is the ndarray's answer. ``float(t)``, ``int(t)``, ``t.item()``,
    ``t.tolist()`` and ``t.value`` are plain numbers: what is computed from them is a
    constant to the differentiation.
    """

    __slots__ = ("value", "_node")
    # Make ``ndarray <op> Tensor`` call Tensor's reflected operator instead of NumPy
    # broadcasting over a Tensor treated as an object scalar, and make NumPy's
    # ufuncs (np.exp(t)) refuse a Tensor with a TypeError instead of computing
    # something detached from the graph (``total += t`` on an ndarray ``total`` is
    # refused too: write ``total = total + t``).
    __array_ufunc__ = None

    def __init__(self, value, _node=None):
        self.value = _as_differentiable(value, "value")
        self._node = _node

    shape = property(lambda self: self.value.shape, doc="The shape of the value.")
    ndim = property(lambda self: self.value.ndim, doc="The number of axes of the value.")
    size = property(lambda self: self.value.size, doc="The number of entries of the value.")
    dtype = property(lambda self: self.value.dtype, doc="Always float64.")

    def __len__(self):
        return len(self.value)

    def __repr__(self):
        return f"Tensor({self.value!r})"

    def __float__(self):
        if self.value.size != 1:
            raise TypeError(f"only a Tensor with one entry converts to float; got shape {self.shape}")
        return float(self.value.reshape(()))

    def __int__(self):
        return int(float(self))  # truncated, as int() of a one-entry ndarray

    def item(self, *index):
        """The entry at ``index`` (none for a one-entry Tensor) as a Python float, as
        ``ndarray.item``: a plain number, constant to the differentiation."""
        return self.value.item(*index)

    def tolist(self):
        """The value as nested Python lists of floats, as ``ndarray.tolist``: constant
        to the differentiation."""
        return self.value.tolist()

    def __pos__(self):
        return self

    def __bool__(self):
        # NumPy's truth value: that of the one entry, or ValueError for several
        return bool(self.value)

    def __lt__(self, other):
        return self.value < value_of(other)

    def __le__(self, other):
        return self.value <= value_of(other)

    def __gt__(self, other):
        return self.value > value_of(other)

    def __ge__(self, other):
        return self.value >= value_of(other)

    def __contains__(self, entry):
        # the ndarray's answer, (value == entry).any(); without this, `in` iterated
        # and compared with ==, which is identity, so 2.0 in Tensor([2.0]) was False
        return value_of(entry) in self.value

    __hash__ = object.__hash__


_new_tensor = Tensor.__new__


def value_of(x):
    """The ndarray a Tensor holds, or ``x`` itself (an ndarray, a number, a list):
    the one way to read a value that may be a Tensor (its shape, a mask, a branch
    to take) without recording it in the graph.

    >>> value_of(Tensor([1.0, 2.0])), value_of(3.0)
    (array([1., 2.]), 3.0)
    """
    return x.value if type(x) is Tensor else x


def _is_real_operand(value):
    """A Tensor, a real ndarray, or a real Python/NumPy number (not bool-like objects
    such as strings, not complex)."""
    if isinstance(value, (Tensor, np.ndarray, np.generic)):
        return type(value) is Tensor or value.dtype.kind in _REAL_KINDS
    return type(value) in (float, int, bool)


def _contains_tensor(value):
    if type(value) is Tensor:
        return True
    return isinstance(value, (list, tuple)) and any(_contains_tensor(item) for item in value)


def as_operand(value, what="argument"):
    """A Tensor stays a Tensor, a (nested) list holding Tensors is stacked into one
    (as NumPy stacks a list of arrays), anything else becomes a float64 ndarray."""
    if type(value) is Tensor:
        return value
    if isinstance(value, (list, tuple)) and _contains_tensor(value):
        from .rules import stack  # the graph module sits below the rule table

        return stack([as_operand(item, what) for item in value])
    return _as_differentiable(value, what)


def _as_differentiable(value, what):
    """A float64 ndarray for a differentiable argument, or a TypeError."""
    if type(value) is Tensor:
        return value.value
    if isinstance(value, (list, tuple)):
        if _contains_tensor(value):
            raise TypeError(f"{what}: a list holding Tensors is not a value; stack it first")
        value = np.asarray(value)
    if not _is_real_operand(value):
        raise TypeError(
            f"{what} must be a Tensor, an ndarray of reals or a real number;"
            f" got {type(value).__name__}"
            + (f" with dtype {value.dtype}" if isinstance(value, (np.ndarray, np.generic)) else "")
        )
    return np.asarray(value, dtype=float)


class Primitive:
    """A NumPy function with hand-written vector–Jacobian products.

    Args:
        name: the public name (also the gradient-registry key ``"autodiff.<name>"``).
        forward: the NumPy function computing the value. Its keyword parameters are
            the keywords the primitive accepts; any other keyword is refused before
            anything is computed, and so is a NumPy ufunc's positional out (an
            argument after its ``nin`` inputs).
        vjps: one rule per positional argument, ``rule(g, ans, *args, **kwargs)``
            returning the cotangent of that argument, in broadcast shape; ``None``
            for an argument that is not differentiable (it is then never a Tensor's
            parent). For a variadic primitive, a single rule taking the argument
            number first: ``rule(i, g, ans, *args, **kwargs)``. Every rule takes
            the forward function's keywords.
        commutative: a binary primitive with f(x, y) = f(y, x), whose second rule
            is its first with the arguments swapped: where one Tensor is both
            arguments (``x * x``) the two cotangents are equal, so the backward
            pass computes the first and adds it to itself (2c is exactly c + c).
            Under ḡ = ±½ broadcast (−½ Σ x², a Gaussian's exponent) the sum is
            ±x bit for bit wherever ½x is exact, which one pass over x² checks:
            x itself is then the cotangent, the sign deferred (see ``signs``).
        elementwise: the output entry k depends only on entry k of each (broadcast)
            input, which is what makes the strong-zero convention applicable.
        strong_zero: apply the strong-zero convention (default: ``elementwise``);
            ``False`` for elementwise rules whose local derivative is finite
            wherever the cotangent is finite (add, subtract, negative, where, the
            maximum/minimum shares), which need no finiteness test.
        fresh_results: every rule returns ḡ itself, a view, or an array it has
            just allocated (never an argument, the forward value or an array kept
            elsewhere, and it keeps no reference to ḡ), so the backward pass may
            update those new arrays, and a ḡ passed on unchanged, in place
            (summing a second contribution into the first, or handing one to an
            ``in_place_vjps`` rule) instead of allocating more.
        in_place_vjps: optional rules like ``vjps`` that may write their result
            into ḡ and return it. The backward pass calls one instead of its
            ``vjps`` rule only when it owns ḡ (an array it allocated, referred to
            by nothing else), ḡ has the strides of a new C-order array, and the
            argument is the node's only Tensor (no other rule needs ḡ). The result
            must have the shape and strides the ``vjps`` rule's would have. The
            primitive must be ``strong_zero=False``: the convention needs ḡ, which
            the rule overwrites, so the rule applies it itself where it is needed.
        signs: for a primitive whose every rule is +ḡ or −ḡ (add, subtract,
            negative), the sign of each, e.g. ``(1, -1)``. The backward pass then
            calls no rule: it passes ḡ on, holding −ḡ as ḡ with the sign deferred
            until a rule needs the cotangent itself (or the gradient is returned),
            where the array is negated. Negation is exact, so every entry gets the
            bits it would get with −ḡ computed at once; a chain of subtractions
            and negations costs nothing.
    """

    def __init__(self, name, forward, vjps, *, commutative=False, elementwise=False, strong_zero=None,
                 fresh_results=False, in_place_vjps=None, signs=None):
        self.name = name
        self.forward = forward
        self.variadic = callable(vjps)
        self.vjps = vjps
        self.elementwise = elementwise
        self.strong_zero = elementwise if strong_zero is None else strong_zero
        if in_place_vjps is not None and self.strong_zero:
            raise ValueError(f"{name}: in_place_vjps needs strong_zero=False (the rules apply the convention)")
        self.fresh_results = fresh_results
        self.in_place_vjps = in_place_vjps
        self.commutative = commutative
        if signs is not None and (callable(vjps) or len(signs) != len(vjps) or any(s not in (1, -1) for s in signs)):
            raise ValueError(f"{name}: signs must give +1 or -1 for each of the rules; got {signs!r}")
        self.signs = None if signs is None else tuple(signs)
        # argument numbers that are differentiable; None: all of them (variadic)
        self._differentiable = (
            None if self.variadic else frozenset(i for i, rule in enumerate(vjps) if rule is not None)
        )
        parameters = _parameters(forward)
        self.keywords = _keyword_parameters(parameters, self.differentiable)
        self._argument_positions = _differentiable_names(parameters, self.differentiable)
        self._inputs = _input_count(forward)
        self._undifferentiated = _positions_of(parameters, _UNDIFFERENTIATED_OPTIONS)

    def __repr__(self):
        return f"<autodiff primitive {self.name}>"

    def differentiable(self, argnum):
        """Whether positional argument ``argnum`` has a VJP rule (all of a variadic primitive's do)."""
        return self._differentiable is None or argnum in self._differentiable

    def _bind_keywords(self, args, kwargs):
        """Move differentiable arguments given by name (``sum(a=x)``, as NumPy
        allows) to their positions, where they are recorded; refuse keywords the
        forward function does not take, and Tensors given as options."""
        positions = self._argument_positions
        named = sorted((positions[key], key) for key in kwargs if key in positions)
        if named:
            args, kwargs = list(args), dict(kwargs)
            for position, key in named:
                if position < len(args):
                    raise TypeError(f"{self.name}() got multiple values for argument '{key}'")
                if position > len(args):
                    raise TypeError(f"{self.name}() got {key}= but not the argument(s) before it")
                args.append(kwargs.pop(key))
        by_keyword = [key for key, value in kwargs.items() if type(value) is Tensor]
        for key in by_keyword:
            if key in _UNDIFFERENTIATED_OPTIONS:
                self._refuse_undifferentiated(key)
        if by_keyword:  # the remaining keywords are options (axis, lower, ...), never differentiated
            raise TypeError(f"{self.name}: {by_keyword} are options, not differentiated; got Tensor(s) there")
        unknown = [key for key in kwargs if key not in self.keywords]
        if unknown:
            supported = ", ".join(sorted(self.keywords)) or "none"
            raise TypeError(f"{self.name}() does not take the keyword(s) {unknown}; it takes: {supported}")
        return args, kwargs

    def _refuse_undifferentiated(self, option):
        raise TypeError(
            f"{self.name}: {option}= is not differentiated, so a Tensor there would get no gradient;"
            " combine it with the result instead (as in sum(a) + c or maximum(max(a), c))"
        )

    def _refuse_positional_out(self, argnum):
        raise TypeError(
            f"{self.name}() takes {self._inputs} positional argument(s); NumPy would read argument"
            f" {argnum} as out=, and out= is not supported (a Tensor's value is never written in place)"
        )

    def __call__(self, *args, **kwargs):
        if kwargs:
            args, kwargs = self._bind_keywords(args, kwargs)
        differentiable = self._differentiable
        values = []
        parents = []
        for i, arg in enumerate(args):
            kind = type(arg)
            if differentiable is not None and i not in differentiable:
                # a condition, an index, an axis, a shape reaches NumPy as given:
                # np.asarray would turn an index tuple (0, 1) into an index array
                if i >= self._inputs:  # checked here, off the path of the differentiable arguments
                    self._refuse_positional_out(i)
                if kind is Tensor:
                    if i in self._undifferentiated:
                        self._refuse_undifferentiated(self._undifferentiated[i])
                    arg = arg.value
                values.append(arg)
            elif kind is Tensor:
                values.append(arg.value)
                parents.append((i, arg))
            elif kind is np.ndarray and arg.dtype is _FLOAT64:
                values.append(arg)
            elif kind is float and self.elementwise:
                values.append(arg)
            else:  # a list, an int, an ndarray of another dtype: converted or refused
                operand = as_operand(arg, f"{self.name} argument {i}")
                if type(operand) is Tensor:  # a list holding Tensors, now stacked
                    values.append(operand.value)
                    parents.append((i, operand))
                else:
                    values.append(operand)
        ans = self.forward(*values, **kwargs)
        if not parents:
            return ans
        if type(ans) is not np.ndarray:
            ans = np.asarray(ans, dtype=float)
        result = _new_tensor(Tensor)
        result.value = ans
        result._node = (self, tuple(parents), tuple(values), kwargs)
        return result


def _parameters(function):
    """The parameters of a primitive's forward function, read once for the tables
    below; none for a NumPy ufunc (its inputs are positional only, and its
    out=/where=/dtype= keywords are refused) or a builtin without a signature."""
    if isinstance(function, np.ufunc):
        return ()
    try:
        return tuple(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return ()


def _keyword_parameters(parameters, differentiable):
    """Names accepted by keyword, except the differentiable arguments (bound to
    their positions by ``_bind_keywords``)."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return frozenset(
        p.name
        for i, p in enumerate(parameters)
        if p.kind in kinds and not (p.kind is not inspect.Parameter.KEYWORD_ONLY and differentiable(i))
    )


def _differentiable_names(parameters, differentiable):
    """{name: position} of the differentiable arguments that may also be given by
    name (a ufunc's and a variadic function's are positional only)."""
    return {
        p.name: i
        for i, p in enumerate(parameters)
        if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and differentiable(i)
    }


# Options that enter the value smoothly but that no rule differentiates: a Tensor
# given there (by keyword or positionally) is refused, as it would get no gradient.
_UNDIFFERENTIATED_OPTIONS = ("initial",)


def _positions_of(parameters, names):
    """{position: name} of the positional parameters named in ``names``."""
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return {i: p.name for i, p in enumerate(parameters) if p.kind in positional and p.name in names}


def _input_count(function):
    """How many positional arguments ``function`` reads as inputs: a ufunc's ``nin``
    (it would read the next one as out= and write its result there); unbounded for a
    Python function, which refuses extra arguments itself."""
    return function.nin if isinstance(function, np.ufunc) else sys.maxsize


def _topological_order(output, leaf_ids):
    """Tensors reachable from ``output``, each before all of the Tensors it was computed from.

    Iterative depth-first search (a chain of 10,000 operations would overflow
    Python's recursion limit) emitting each node after all of its inputs: the
    reversed emission order lists every node before its inputs. A node is marked
    when it is *expanded*, not when it is pushed, so that a node reachable along
    several paths is expanded once, from the first path that pops it, and is still
    emitted after everything it depends on.

    A Tensor without a node must be one of ``leaf_ids``: any other is a variable of
    an enclosing differentiation (or a hand-made ``Tensor``), whose gradient this
    pass would silently drop; that is refused.
    """
    order, expanded = [], set()
    stack = [(output, False)]
    pop, push, emit, mark = stack.pop, stack.append, order.append, expanded.add
    while stack:
        tensor, inputs_done = pop()
        if inputs_done:
            emit(tensor)
            continue
        key = id(tensor)
        if key in expanded:
            continue
        mark(key)
        push((tensor, True))
        node = tensor._node
        if node is not None:
            for _, parent in node[1]:
                if id(parent) not in expanded:
                    push((parent, False))
        elif key not in leaf_ids:
            raise ValueError(
                "nested differentiation is not supported: the function depends on a Tensor"
                " that is not one of the arguments being differentiated (a variable of an"
                " enclosing grad, or a hand-made Tensor); pass constants as ndarrays"
            )
    return order[::-1]


def backward(output, leaves):
    """Gradient of the scalar Tensor ``output`` with respect to each of ``leaves``.

    Returns fresh, writable float64 arrays, one per leaf, none sharing memory with
    another, with an input, with a value of the graph, or with an array a rule
    returned (a user's ``Primitive`` without ``fresh_results`` may return one it
    keeps, or its argument). A ValueError if a leaf was computed by a primitive
    (its gradient is not kept: it would be zeros).

    Memory: a cotangent the pass allocated and nothing else refers to is *owned*:
    the seed; a new array (of ``_OWNED_SIZE`` entries or more) from a
    ``fresh_results`` rule; a sum of two contributions; an owned ḡ that a
    ``fresh_results`` primitive passed on unchanged to one argument (add, an
    in-place rule) while giving no other argument a view of it. A second
    contribution is added into an owned first one in place, and an
    ``in_place_vjps`` rule may write into an owned ḡ, so that a deep network's
    backward pass does not allocate a new layer-sized array per rule. Every entry
    gets the same operations in the same order either way, and every array has
    the shape and strides it would have without the reuse: the gradients are
    bit-identical.

    Signs: a primitive with ``signs`` (add, subtract, negative) calls no rule; −ḡ
    is held as ḡ with its sign deferred, and negated where a rule needs the
    cotangent (or a gradient is returned); sums with a held negation are taken as
    differences. x · x under ḡ = ±½ holds x itself (see ``Primitive``). Negation
    is exact, so the bits are those of the negated arrays (a NaN's sign bit
    aside: IEEE 754 gives it no meaning, and NumPy's −NaN flips it).
    """
    computed = [leaf for leaf in leaves if leaf._node is not None]
    if computed:
        raise ValueError(
            "backward: leaves must be the Tensors being differentiated, not Tensors computed"
            f" from them (one was computed by {computed[0]._node[0].name})"
        )
    leaf_ids = {id(leaf) for leaf in leaves}
    seed = np.ones(output.value.shape)
    cotangents = {id(output): seed}
    owned = {id(seed)}  # ids of the owned arrays among the cotangents
    # ids of the arrays that rules without fresh_results returned: one may be held
    # elsewhere (a constant the rule keeps, its argument), so a leaf's is copied
    foreign = set()
    # ids of the Tensors whose cotangent is held negated: the array stored is −ḡ
    # (a subtract's or a negative's rule, or x · x under ḡ = −½), negated where a
    # rule needs ḡ itself
    negated = set()
    get, isfinite, ndarray = cotangents.get, np.isfinite, np.ndarray
    # Local derivatives may be infinite or NaN where the forward value is (log at 0,
    # a division by 0); the strong-zero convention decides what survives, so the
    # warnings are noise.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for tensor in _topological_order(output, leaf_ids):
            node = tensor._node
            if node is None:
                continue  # a leaf keeps its gradient
            # every node in the order has its cotangent by now: the output has the
            # seed, and each other node was reached from one visited before it, whose
            # rules gave it a contribution
            g = cotangents.pop(id(tensor))
            primitive, parents, args, kwargs = node
            signs = primitive.signs
            flipped = id(tensor) in negated
            if flipped:
                negated.remove(id(tensor))
                if signs is None:  # a rule needs the cotangent itself
                    g, flipped = _negate(g, owned), False
            if signs is not None and _is_broadcast(g):
                signs = None  # −ḡ of a broadcast ḡ is a new full array, as the rule makes it
            ans = tensor.value
            rules, variadic, strong_zero = primitive.vjps, primitive.variadic, primitive.strong_zero
            if strong_zero and _nonzero_constant(g):
                strong_zero = False  # the convention zeroes entries whose ḡ is 0: there are none
            fresh_results, in_place = primitive.fresh_results, primitive.in_place_vjps
            # the rule may overwrite ḡ if the pass owns it and ḡ has no other use here
            was_owned = id(g) in owned
            overwritable = False
            if was_owned:
                owned.remove(id(g))
                overwritable = in_place is not None and len(parents) == 1 and _has_c_strides(g)
            holder, viewed = None, False  # the argument given ḡ itself; one given a view
            # x ∘ x of a commutative ∘: the second cotangent is the first
            repeated = primitive.commutative and len(parents) == 2 and parents[0][1] is parents[1][1]
            if repeated and _is_half(g) and _exactly_halved(args[0], ans):
                # ∓½ · 2x = ∓x exactly: x itself, its sign deferred where ḡ = −½
                x, key = args[0], id(parents[0][1])
                foreign.add(id(x))
                _store(cotangents, owned, negated, key, x, g.item(0) < 0)
                continue
            for argnum, parent in parents:
                key = id(parent)
                if repeated and argnum == 1:
                    _accumulate(cotangents, owned, negated, key, cotangents[key], contribution, contribution_flipped)
                    continue
                contribution_flipped = False
                if signs is not None:  # the rule is ±ḡ: ḡ itself, the sign deferred
                    contribution, contribution_flipped = g, flipped != (signs[argnum] < 0)
                elif variadic:
                    contribution = rules(argnum, g, ans, *args, **kwargs)
                elif overwritable and in_place[argnum] is not None:
                    contribution = in_place[argnum](g, ans, *args, **kwargs)
                else:
                    contribution = rules[argnum](g, ans, *args, **kwargs)
                if strong_zero and not isfinite(contribution).all():
                    contribution = strong_zero_where_unused(contribution, g)
                shape = parent.value.shape
                if contribution.shape != shape:
                    contribution = sum_to_shape(contribution, shape)
                if not fresh_results:
                    foreign.add(id(contribution))
                if not _store(cotangents, owned, negated, key, contribution, contribution_flipped):
                    continue  # added to an earlier contribution
                if contribution is g:  # passed on unchanged (add, subtract, an in-place rule)
                    holder = key if holder is None else False
                elif contribution.base is not None:
                    viewed = True
                elif fresh_results and type(contribution) is ndarray and contribution.size >= _OWNED_SIZE:
                    owned.add(id(contribution))
            if holder and was_owned and fresh_results and not viewed and get(holder) is g:
                owned.add(id(g))  # ḡ still owned: one argument holds it, and no view of it
    gradients = []
    for leaf in leaves:
        gradient = get(id(leaf))
        if id(leaf) in negated:
            gradient = _negate(gradient, owned)
        gradients.append(gradient)
    return _fresh_gradients(gradients, leaves, foreign)


def _accumulate(cotangents, owned, negated, key, previous, contribution, contribution_negated):
    """Add a second contribution to the cotangent under ``key``: into the first in
    place when the pass owns it (the same sum, in the same C layout, as
    ``previous + contribution``), otherwise into a new array, owned (a 0-d sum is
    a NumPy scalar, which is never updated in place).

    Either may be held negated (``key`` in ``negated``; ``contribution_negated``).
    Negation is exact and IEEE 754 rounds symmetrically, so (−a) + (−b) = −(a + b)
    is a + b held negated, and (−a) + b = b − a, a + (−b) = a − b: the sums the
    negated arrays would have given, bit for bit (a NaN's sign aside, which IEEE
    754 gives no meaning).
    """
    previous_negated = key in negated
    if previous_negated == contribution_negated:
        combine, first, second = np.add, previous, contribution
    else:
        negated.discard(key)
        combine = np.subtract
        first, second = (contribution, previous) if previous_negated else (previous, contribution)
    if id(previous) in owned and _has_c_strides(previous) and (
        type(contribution) is not np.ndarray or contribution.flags.c_contiguous
    ):
        combine(first, second, out=previous)
        return
    owned.discard(id(previous))
    total = combine(first, second)
    cotangents[key] = total
    if type(total) is np.ndarray:
        owned.add(id(total))


def _store(cotangents, owned, negated, key, contribution, contribution_negated):
    """The first contribution under ``key`` is stored (True), a later one added to
    it (False). No reference to the earlier contribution outlives the call, so a
    sum into a new array frees it at once."""
    previous = cotangents.get(key)
    if previous is not None:
        _accumulate(cotangents, owned, negated, key, previous, contribution, contribution_negated)
        return False
    cotangents[key] = contribution
    if contribution_negated:
        negated.add(key)
    return True


def _negate(g, owned):
    """ḡ from the array held for it negated: negated in place where the pass owns
    it (with the layout ``-g`` would give), otherwise into a new array, owned."""
    if id(g) in owned and _has_c_strides(g):
        return np.negative(g, out=g)
    owned.discard(id(g))
    negative = -g
    if type(negative) is np.ndarray and negative.size >= _OWNED_SIZE:
        owned.add(id(negative))
    return negative


def _is_broadcast(g):
    """ḡ repeats entries through a zero stride (as ``sum``'s rule passes it on)."""
    if type(g) is not np.ndarray or 0 not in g.strides:  # the common case, tested in C
        return False
    return any(stride == 0 and size > 1 for stride, size in zip(g.strides, g.shape))


def _is_half(g):
    """ḡ is ±½ broadcast: the constant of −½ Σ x², the exponent of a Gaussian."""
    return _nonzero_constant(g) and abs(g.item(0)) == 0.5


def _exactly_halved(x, squares):
    """½ x is exact for every entry of x (no result below the normal range, no NaN),
    so 2 (±½ x), the cotangent of x · x under ḡ = ±½, is ±x bit for bit. One pass
    over x² = ``squares`` decides: x² > 0 everywhere puts |x| above 2⁻⁵³⁸, and a
    NaN fails the test."""
    return not _is_broadcast(x) and squares.size > 0 and np.min(squares) > 0


def _has_c_strides(array):
    """The strides of a new C-order array: what ``previous + contribution`` of two
    C-contiguous arrays returns (C-contiguity alone allows any stride on an axis of
    length one, which ``+=`` would keep)."""
    expected = array.itemsize
    for size, stride in zip(reversed(array.shape), reversed(array.strides)):
        if stride != expected:
            return False
        expected *= size
    return True


def _nonzero_constant(g):
    """ḡ is one nonzero number, broadcast (as ``sum``'s rule passes it on): an O(1)
    test that no entry is 0, which spares a strong-zero rule its finiteness pass."""
    return type(g) is np.ndarray and not any(g.strides) and g.size > 0 and g.item(0) != 0


def strong_zero_where_unused(contribution, g):
    """Zero the entries of an elementwise VJP whose incoming cotangent is zero.

    The strong-zero convention: an entry that does not reach the output (its
    cotangent is exactly 0) contributes 0, even where the local derivative is
    infinite or NaN, so ``where(x > 0, sqrt(x), 0.0)`` has gradient 0 (not NaN) at
    x ≤ 0: the branch not taken contributes nothing.
    """
    if np.isfinite(contribution).all():
        return contribution
    return np.where(np.broadcast_to(g, np.shape(contribution)) == 0, 0.0, contribution)


def _fresh_gradients(gradients, leaves, foreign):
    """Gradients the caller owns: a broadcast view, a view of a graph value, an
    array whose id is in ``foreign`` (returned by a rule that may hold it), or an
    array handed to two leaves is copied; a missing one is zeros."""
    fresh, seen = [], set()
    for gradient, leaf in zip(gradients, leaves):
        if gradient is None:
            gradient = np.zeros(leaf.value.shape)
        elif (
            type(gradient) is not np.ndarray
            or gradient.base is not None
            or not gradient.flags.writeable
            or id(gradient) in seen
            or id(gradient) in foreign
        ):
            gradient = np.array(gradient, dtype=float)
        seen.add(id(gradient))
        fresh.append(gradient)
    return fresh


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
        ``gradient`` a fresh, writable ndarray shaped like the argument (a tuple of
        them when ``argnums`` is a tuple), sharing memory with nothing else.

    Raises:
        ValueError: if ``f`` returns a non-scalar (the message names the shape); if
            the differentiation is nested in another one (a ``grad`` inside a
            differentiated function: its result would silently miss the outer
            dependence, so it is refused).
        TypeError: if a differentiated argument is not an array of reals.
    """

    def value_and_gradient(*args, **kwargs):
        selected, single = _normalise_argnums(argnums, len(args))
        args = list(args)
        leaves = []
        for argnum in selected:
            if type(args[argnum]) is Tensor:
                raise ValueError(
                    f"nested differentiation is not supported: argument {argnum} is already a"
                    " Tensor (a grad inside a differentiated function?); pass an ndarray"
                )
            leaf = Tensor(_as_differentiable(args[argnum], f"argument {argnum}"))
            args[argnum] = leaf
            leaves.append(leaf)
        output = f(*args, **kwargs)
        if not (type(output) is Tensor or _is_real_operand(output)):
            raise TypeError(f"f must return a scalar (a Tensor or a real number); got {type(output).__name__}")
        shape = np.shape(value_of(output))
        if shape != ():
            raise ValueError(f"f must return a scalar to be differentiated; got shape {shape}")
        if type(output) is Tensor:
            gradients = backward(output, leaves)
        else:  # f did not use its differentiated arguments
            gradients = [np.zeros(leaf.shape) for leaf in leaves]
        value = float(value_of(output))
        return value, (gradients[0] if single else tuple(gradients))

    return value_and_gradient


def grad(f, argnums=0):
    """Return a function computing only the gradient part of ``value_and_grad(f, argnums)``."""
    both = value_and_grad(f, argnums)

    def gradient(*args, **kwargs):
        return both(*args, **kwargs)[1]

    return gradient
