"""The backward pass's memory reuse: owned cotangents updated in place.

``autodiff.graph.backward`` adds a second contribution into an owned first one, and
hands an owned ḡ to a rule that writes into it (``tanh``), instead of allocating a
new array per rule. That is only a saving if it never changes a gradient and never
writes into an array that something else holds; these tests check both, against the
same pass with the reuse switched off. The pass's other shortcuts are switched off
with it: ``x * x`` pulled back once and added to itself (``commutative``), and held
as ±x under ḡ = ±½; signs deferred, so that add, subtract and negative call no rule
(``signs``); and no strong-zero finiteness pass under a ḡ that is one nonzero number
broadcast.
"""

import sys
import tracemalloc

import numpy as np
import pytest

from test_autodiff_programs import random_program, run
from vi_ref import autodiff as ad
from vi_ref import registry
from vi_ref.autodiff import graph


def _without_reuse(monkeypatch):
    for primitive in ad.PRIMITIVES.values():
        monkeypatch.setattr(primitive, "fresh_results", False)
        monkeypatch.setattr(primitive, "in_place_vjps", None)
        monkeypatch.setattr(primitive, "commutative", False)
        monkeypatch.setattr(primitive, "signs", None)
    monkeypatch.setattr(graph, "_nonzero_constant", lambda g: False)


def _gradients_of_programs(count, seed):
    rng = np.random.default_rng(seed)
    results = []
    for _ in range(count):
        steps, inputs, weights = random_program(rng)
        argnums = tuple(range(len(inputs)))
        results.append(ad.grad(lambda *xs: run(steps, weights, *xs), argnums)(*inputs))
    return results


def _assert_bit_identical(ours, theirs):
    for mine, other in zip(ours, theirs):
        for a, b in zip(mine, other):
            assert a.shape == b.shape and a.strides == b.strides
            assert a.tobytes() == b.tobytes()


def test_reuse_leaves_random_programs_gradients_bit_identical(monkeypatch):
    # every array owned, however small, so that the programs' 60-entry arrays take
    # the in-place paths (the reuse counted below shows they do)
    monkeypatch.setattr(graph, "_OWNED_SIZE", 1)
    calls = {"in place": 0}
    for primitive in ad.PRIMITIVES.values():
        if primitive.in_place_vjps is not None:
            counted = tuple(None if rule is None else _counting(rule, calls) for rule in primitive.in_place_vjps)
            monkeypatch.setattr(primitive, "in_place_vjps", counted)
    reused = _gradients_of_programs(300, seed=7)
    assert calls["in place"] >= 30
    with monkeypatch.context() as switched_off:
        _without_reuse(switched_off)
        plain = _gradients_of_programs(300, seed=7)
    _assert_bit_identical(reused, plain)


def test_random_programs_take_both_shortcuts():
    """The 300 programs the test above compares include products of a value with
    itself and strong-zero rules under a broadcast constant ḡ."""
    rng = np.random.default_rng(7)
    squares = 0
    for _ in range(300):
        steps, _, _ = random_program(rng)
        squares += sum(kind == "binary" and operands[0] == operands[1] and options["name"] == "multiply"
                       for kind, operands, options in steps)
    assert squares >= 5
    skipped = {"count": 0}

    def counted(g):
        answer = _nonzero_constant(g)
        skipped["count"] += answer
        return answer

    _nonzero_constant = graph._nonzero_constant
    graph._nonzero_constant = counted
    try:
        _gradients_of_programs(300, seed=7)
    finally:
        graph._nonzero_constant = _nonzero_constant
    assert skipped["count"] >= 30


def test_a_product_of_a_tensor_with_itself_is_pulled_back_once(monkeypatch):
    calls = []
    first, second = ad.multiply.vjps
    monkeypatch.setattr(ad.multiply, "vjps", (lambda *a: calls.append(0) or first(*a),
                                              lambda *a: calls.append(1) or second(*a)))
    x = np.array([3.0, -0.5, 1e-300, 1e308])
    with np.errstate(over="ignore"):
        gradient = ad.grad(lambda v: ad.sum(v * v))(x)
    assert calls == [0]
    np.testing.assert_array_equal(gradient, [6.0, -1.0, 2e-300, np.inf])  # 2x, overflowing as 2x does
    # the strong zero applies before the doubling: ∞ · 0 is 0 where the branch is not taken
    at_infinity = ad.grad(lambda v: ad.sum(ad.where(np.array([False, True]), v * v, 0.0)))(np.array([np.inf, 2.0]))
    np.testing.assert_array_equal(at_infinity, [0.0, 4.0])
    # a third use of the Tensor adds to the doubled pair, in either order
    np.testing.assert_array_equal(ad.grad(lambda v: ad.sum(v * v) + ad.sum(3.0 * v))(x[:2]), [9.0, 2.0])
    np.testing.assert_array_equal(ad.grad(lambda v: ad.sum(3.0 * v + v * v))(x[:2]), [9.0, 2.0])


def test_a_broadcast_zero_cotangent_still_gets_the_strong_zero():
    with np.errstate(divide="ignore", invalid="ignore"):
        # 0 · sum(log x): ḡ is a broadcast 0 at log, whose 1/x is ∞ at x = 0
        zeroed = ad.grad(lambda v: 0.0 * ad.sum(ad.log(v)))(np.array([0.0, 1.0]))
        # a nonzero broadcast ḡ leaves 1/0 = ∞ as it is (the convention only zeroes ḡ = 0)
        kept = ad.grad(lambda v: ad.sum(ad.log(v)))(np.array([0.0, 2.0]))
    np.testing.assert_array_equal(zeroed, [0.0, 0.0])
    np.testing.assert_array_equal(kept, [np.inf, 0.5])
    assert graph._nonzero_constant(np.broadcast_to(2.0, (3, 4)))
    assert not graph._nonzero_constant(np.broadcast_to(0.0, (3, 4)))
    assert not graph._nonzero_constant(np.array([2.0, 2.0]))  # not a broadcast: entries may differ
    assert not graph._nonzero_constant(np.broadcast_to(2.0, (0, 4)))


def _counting(rule, calls):
    def counted(*args, **kwargs):
        calls["in place"] += 1
        return rule(*args, **kwargs)

    return counted


def _decoder(Z, W1, b1, W2, b2, X):
    hidden = ad.tanh(Z @ W1 + b1)
    residual = X - (hidden @ W2 + b2)
    return -0.5 * ad.sum(residual * residual) - 0.5 * ad.sum(Z * Z) + ad.sum(-hidden[:3])


def _gradient_and_peak_memory(function, argnums, *args):
    tracemalloc.start()
    try:
        gradient = ad.grad(function, argnums)(*args)
        return gradient, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_reuse_at_layer_size_is_bit_identical_and_allocates_less(monkeypatch):
    rng = np.random.default_rng(3)
    n, hidden = 6000, 8  # the hidden layer (6000 × 8) is above the owned-size threshold
    params = (rng.normal(size=(n, 2)), 2.5 * rng.normal(size=(2, hidden)), rng.normal(size=hidden),
              rng.normal(size=(hidden, 3)), rng.normal(size=3))
    X = rng.normal(size=(n, 3))
    argnums = tuple(range(5))
    reused, reused_peak = _gradient_and_peak_memory(_decoder, argnums, *params, X)
    with monkeypatch.context() as switched_off:
        _without_reuse(switched_off)
        plain, plain_peak = _gradient_and_peak_memory(_decoder, argnums, *params, X)
    _assert_bit_identical([reused], [plain])
    # tanh' written into its owned ḡ, and no new array for the signs: at least one
    # hidden-layer array fewer at the peak (1.25 measured; NumPy reports its
    # allocations to tracemalloc). Without tanh' in place the saving drops to 0.25.
    layer_bytes = n * hidden * 8
    assert plain_peak - reused_peak >= layer_bytes


def test_a_cotangent_is_released_once_it_is_pulled_back():
    """The pass holds only the cotangents still to be pulled back: through a chain of
    60 layer-sized operations its own allocations peak near two layers (holding every
    cotangent to the end, 60)."""
    n = 20_000
    x = ad.Tensor(np.linspace(-1.0, 1.0, n))
    y = x
    for _ in range(30):
        y = ad.exp(y * 0.01)
    output = ad.sum(y)
    tracemalloc.start()  # after the forward pass: the backward pass's allocations only
    try:
        ad.backward(output, [x])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * n * 8


def test_rules_declared_fresh_return_arrays_nothing_else_holds(monkeypatch):
    """``fresh_results``: each rule returns ḡ, a view, or a new array that no other
    object refers to and that shares memory with no argument (the reference count of
    a just-returned array is exactly that of a local variable)."""
    checked = {"new arrays": 0}

    def checking(rule, variadic):
        def checked_rule(*call, **kwargs):
            g, ans, args = (call[1], call[2], call[3:]) if variadic else (call[0], call[1], call[2:])
            result = rule(*call, **kwargs)
            if result is g or not isinstance(result, np.ndarray) or result.base is not None:
                return result
            assert sys.getrefcount(result) == 2, "a rule returned an array held elsewhere"
            for other in (g, ans) + tuple(a for a in args if isinstance(a, np.ndarray)):
                assert not np.shares_memory(result, other)
            checked["new arrays"] += 1
            return result

        return checked_rule

    for primitive in ad.PRIMITIVES.values():
        assert primitive.fresh_results
        if primitive.variadic:
            monkeypatch.setattr(primitive, "vjps", checking(primitive.vjps, True))
        else:
            rules = tuple(None if r is None else checking(r, False) for r in primitive.vjps)
            monkeypatch.setattr(primitive, "vjps", rules)
    rule_cases = [case for case in registry.CASES if any(name.startswith("autodiff.") for name in case.covers)]
    for case in rule_cases:
        problem = case.build(np.random.default_rng(0))
        problem.gradient(**problem.inputs)
    assert checked["new arrays"] > 150


def test_an_array_a_user_rule_keeps_is_never_written(monkeypatch):
    # a Primitive made outside the rule table is not fresh_results: what its rule
    # returns may be held elsewhere, and a tanh (in place) or a second contribution
    # (summed in place) must not write into it
    monkeypatch.setattr(graph, "_OWNED_SIZE", 1)
    kept = np.full(50, 0.25)
    kept_copy = kept.copy()
    constant_cotangent = ad.Primitive("kept", lambda x: 2.0 * x, (lambda g, ans, x: kept,))
    x = np.linspace(-3, 3, 50)
    gradient = ad.grad(lambda t: ad.sum(constant_cotangent(ad.tanh(t))) + ad.sum(3.0 * ad.tanh(t)))(x)
    np.testing.assert_array_equal(kept, kept_copy)
    np.testing.assert_allclose(gradient, (0.25 + 3.0) * (1 - np.tanh(x) ** 2), rtol=1e-14)


@pytest.mark.parametrize("shape", [(4000,), (50, 90), (3, 40, 40)])
def test_gradients_stay_fresh_when_cotangents_are_reused(shape):
    x = np.random.default_rng(1).normal(size=shape)
    gx, gy = ad.grad(lambda a, b: ad.sum(ad.tanh(a - b)) + ad.sum(-(a * b)), (0, 1))(x, 2 * x)
    assert not np.shares_memory(gx, gy) and gx.flags.writeable and gy.flags.writeable
    gx *= 0.5  # the caller owns them


def test_a_cotangent_two_arguments_receive_is_not_overwritten():
    # add passes its ḡ to both arguments unchanged: neither tanh may write into it
    # (nor may a later contribution be summed into it), or the other gets its result
    rng = np.random.default_rng(5)
    a, b, w = (rng.normal(size=(100, 50)) for _ in range(3))
    ga, gb = ad.grad(lambda u, v: ad.sum(w * (ad.tanh(u) + ad.tanh(v))) + ad.sum(ad.tanh(v)), (0, 1))(a, b)
    np.testing.assert_allclose(ga, w / np.cosh(a) ** 2, rtol=1e-12)  # the rule's stated accuracy
    np.testing.assert_allclose(gb, (w + 1) / np.cosh(b) ** 2, rtol=1e-12)


def _reuse_matches_no_reuse(monkeypatch, function, argnums, *args):
    reused = ad.grad(function, argnums)(*args)
    with monkeypatch.context() as switched_off:
        _without_reuse(switched_off)
        plain = ad.grad(function, argnums)(*args)
    _assert_bit_identical([reused], [plain])
    return reused


def test_a_cotangent_passed_on_is_owned_only_if_it_was(monkeypatch):
    # ``+ 1.0`` passes its ḡ on unchanged: that must not make a ḡ owned that was
    # not (a user rule's kept array, a cotangent shared by add's two arguments, a
    # read-only broadcast view from sum or einsum)
    n = 5000
    kept = np.full(n, 0.25)
    constant_cotangent = ad.Primitive("kept", lambda x: 2.0 * x, (lambda g, ans, x: kept,))
    ad.grad(lambda t: ad.sum(constant_cotangent(ad.tanh(t) + 1.0)))(np.linspace(-3, 3, n))
    np.testing.assert_array_equal(kept, 0.25)
    rng = np.random.default_rng(2)
    x, y, w = (rng.normal(size=n) for _ in range(3))
    gx, gy = _reuse_matches_no_reuse(
        monkeypatch, lambda u, v: ad.sum(w * ((ad.tanh(u) + 1.0) + ad.tanh(v))), (0, 1), x, y
    )
    np.testing.assert_allclose(gx, w / np.cosh(x) ** 2, rtol=1e-12)
    np.testing.assert_allclose(gy, w / np.cosh(y) ** 2, rtol=1e-12)
    np.testing.assert_array_equal(ad.grad(lambda u: ad.sum(u + 1.0) + ad.sum(u * u))(np.array([0.3])), [1.6])
    A, B = rng.normal(size=(100, 50)), rng.normal(size=(50, 3))
    gradient = ad.grad(lambda a: ad.sum(ad.einsum("ij,jk->ik", a + 1.0, B)) + ad.sum(a * a))(A)
    np.testing.assert_allclose(gradient, B.sum(axis=1) + 2 * A, rtol=1e-13, atol=1e-13)


def test_a_cotangent_given_to_one_argument_and_viewed_by_another_is_not_owned(monkeypatch):
    # a fresh_results rule may return ḡ to one argument and a view of it to another
    twin = ad.Primitive("twin", lambda x, y: x + y, (lambda g, ans, x, y: g, lambda g, ans, x, y: g[:]),
                        fresh_results=True)
    rng = np.random.default_rng(4)
    a, b, w = (rng.normal(size=5000) for _ in range(3))
    ga, gb = _reuse_matches_no_reuse(monkeypatch, lambda u, v: ad.sum(w * twin(ad.tanh(u), ad.tanh(v))), (0, 1), a, b)
    np.testing.assert_allclose(gb, w / np.cosh(b) ** 2, rtol=1e-12)


def test_a_sum_in_place_keeps_the_strides_a_new_sum_would_have(monkeypatch):
    # np.take's result may carry any stride on an axis of length one; ``+=`` keeps
    # it where ``previous + contribution`` would not
    monkeypatch.setattr(graph, "_OWNED_SIZE", 1)
    x, w = np.arange(3.0).reshape(3, 1), np.ones((3, 3, 3))
    gradient = _reuse_matches_no_reuse(monkeypatch, lambda v: ad.sum(w * (ad.stack([v, v, v], axis=1) - v)), 0, x)
    assert gradient.strides == (8, 8)


def test_an_in_place_rule_needs_a_primitive_without_the_strong_zero_test():
    with pytest.raises(ValueError, match="strong_zero=False"):
        ad.Primitive("bad", np.exp, (lambda g, ans, x: g * ans,), elementwise=True,
                     in_place_vjps=(lambda g, ans, x: np.multiply(g, ans, out=g),))


def test_an_in_place_negation_keeps_the_strides_a_new_one_would_have(monkeypatch):
    # ḡ summed to a (n, 1) shape from an F-ordered contribution has an odd stride
    # on its length-one axis: C-contiguous, but not a new array's strides
    n = 5000
    v = np.linspace(-1, 1, n).reshape(n, 1)
    W = np.asfortranarray(np.random.default_rng(0).normal(size=(n, 3)))
    for function in (lambda x: ad.sum(W * -x), lambda x: ad.sum(W * (1.0 - x))):
        gradient = _reuse_matches_no_reuse(monkeypatch, function, 0, v)
        assert gradient.strides == (8, 8)


def test_backward_refuses_a_computed_tensor_as_a_leaf():
    x = ad.Tensor(np.ones(3))
    u = ad.exp(x)
    with pytest.raises(ValueError, match="computed by exp"):
        ad.backward(ad.sum(u * u), [x, u])


# ---------------------------------------------------------------------------
# Signs deferred: add, subtract and negative call no rule; x · x under ḡ = ±½
# ---------------------------------------------------------------------------


def test_random_programs_subtract_and_negate():
    """The 300 programs the bit-identity test compares hold negated cotangents:
    subtractions (whose second argument's cotangent is −ḡ) and negations."""
    rng = np.random.default_rng(7)
    signed = 0
    for _ in range(300):
        steps, _, _ = random_program(rng)
        signed += sum(options.get("name") in ("subtract", "negative") for _, _, options in steps)
    assert signed >= 30


def test_a_gaussian_exponent_pulls_back_to_its_argument_itself(monkeypatch):
    calls = []
    first, second = ad.multiply.vjps
    monkeypatch.setattr(ad.multiply, "vjps", (lambda g, *a: calls.append(np.shape(g)) or first(g, *a),
                                              lambda g, *a: calls.append(np.shape(g)) or second(g, *a)))
    x = np.random.default_rng(5).normal(size=(40, 3))
    x[0, 0], x[1, 1] = 1e300, -np.inf  # ½x exact; x² overflows, which changes nothing
    with np.errstate(over="ignore"):
        minus = ad.grad(lambda v: -0.5 * ad.sum(v * v))(x)
        plus = ad.grad(lambda v: 0.5 * ad.sum(v * v))(x)
    assert calls == [(), ()]  # only ±½ · Σ's rule: none computed ±½ x for x · x, nothing doubled it
    assert minus.tobytes() == (-x).tobytes() and plus.tobytes() == x.tobytes()
    for gradient in (minus, plus):  # a fresh array, not the argument
        assert not np.shares_memory(gradient, x) and gradient.flags.writeable


@pytest.mark.parametrize("special", [0.0, -0.0, 5e-324, -3 * 2.0**-1023, 2.0**-1021, np.nan, -np.nan, np.inf])
def test_the_gaussian_exponent_shortcut_keeps_the_bits_where_half_x_is_inexact(monkeypatch, special):
    # ½x rounds for x below 2⁻¹⁰²¹ (and a NaN's sign is the rule's): the shortcut
    # must step aside there, and give the plain pass's bits everywhere
    x = np.random.default_rng(6).normal(size=(30, 2))
    x[3, 1] = special
    with np.errstate(invalid="ignore"):
        for function in (lambda v: -0.5 * ad.sum(v * v), lambda v: 0.5 * ad.sum(v * v),
                         lambda v: -0.5 * ad.sum((v - 1.0) * (v - 1.0)) + 0.5 * ad.sum(v.T * v.T)):
            _reuse_matches_no_reuse(monkeypatch, function, 0, x)


def test_the_half_exponent_test_reads_x_squared():
    normal = np.array([1.0, -2.0, 1e-150, np.inf])
    assert graph._exactly_halved(normal, normal * normal)
    for special in (0.0, 2.0**-1022, 5e-324, np.nan):
        x = np.append(normal, special)
        assert not graph._exactly_halved(x, x * x)
    assert not graph._exactly_halved(np.broadcast_to(1.0, (2, 3)), np.ones((2, 3)))  # one entry, repeated
    assert not graph._exactly_halved(np.ones((0, 2)), np.ones((0, 2)))
    assert graph._is_half(np.broadcast_to(-0.5, (3, 2))) and graph._is_half(np.array(0.5))
    assert not graph._is_half(np.broadcast_to(0.25, (3, 2))) and not graph._is_half(np.array([0.5, 0.5]))


def _sign_programs():
    rng = np.random.default_rng(8)
    w, u = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    column = rng.normal(size=(6, 1))
    return [
        ("−ḡ and +ḡ summed, either first", lambda a, b: ad.sum(w * (a - b)) + ad.sum(u * (b - a))),
        ("exact cancellation: +0, not −0", lambda a, b: ad.sum(w * -a) + ad.sum(w * a)),
        ("cancellation the other way", lambda a, b: ad.sum(w * a) + ad.sum(w * -a) + ad.sum(u * (b - b))),
        ("negated three times", lambda a, b: ad.sum(w * -(-(-a))) - ad.sum(u * b)),
        ("broadcast: −ḡ summed to a column", lambda a, b: ad.sum(w * (a - column * b[:1, :1]))),
        ("transposed contributions", lambda a, b: ad.sum(w.T * (a.T - b.T)) - ad.sum(u * -(b - a))),
        ("a 0-d value", lambda a, b: -(ad.sum(w * a) - ad.sum(u * b))),
        ("the Gaussian exponent, reused", lambda a, b: -0.5 * ad.sum((a - b) * (a - b)) + ad.sum(w * (b - a))),
        ("both halves of a square", lambda a, b: 0.5 * ad.sum(a * a) - 0.5 * ad.sum(b * b) - ad.sum(a * b)),
    ]


@pytest.mark.parametrize("name, function", _sign_programs(), ids=[name for name, _ in _sign_programs()])
def test_deferred_signs_give_the_bits_of_the_negated_arrays(monkeypatch, name, function):
    rng = np.random.default_rng(9)
    a, b = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    monkeypatch.setattr(graph, "_OWNED_SIZE", 1)  # small arrays take the in-place paths too
    gradients = _reuse_matches_no_reuse(monkeypatch, function, (0, 1), a, b)
    for gradient in gradients:
        assert gradient.flags.writeable and not np.shares_memory(gradient, a) and not np.shares_memory(gradient, b)
    assert not np.shares_memory(gradients[0], gradients[1])


def test_a_value_held_as_a_cotangent_is_never_written(monkeypatch):
    # y's value is its own cotangent (−½ Σ y²); a second use adds to it: into a new array
    weights = np.linspace(-1, 1, 5000)
    kept = {}

    def function(v):
        y = 2.0 * v
        kept["y"] = y.value
        return -0.5 * ad.sum(y * y) + ad.sum(weights * y) - ad.sum(y)

    v = np.linspace(0.5, 3, 5000)
    ad.grad(function)(v)
    np.testing.assert_array_equal(kept["y"], 2.0 * v)
    gradient = _reuse_matches_no_reuse(monkeypatch, function, 0, v)
    np.testing.assert_allclose(gradient, 2.0 * (weights - 1.0 - 2.0 * v), rtol=1e-15)


def test_signs_are_one_per_rule_and_plus_or_minus_one():
    rules = (lambda g, ans, x, y: g, lambda g, ans, x, y: -g)
    for signs in [(1,), (1, -2), (1, 0)]:
        with pytest.raises(ValueError, match="signs must give"):
            ad.Primitive("bad", np.subtract, rules, signs=signs)
    with pytest.raises(ValueError, match="signs must give"):
        ad.Primitive("bad", np.add, lambda i, g, ans, *xs: g, signs=(1, 1))


def test_a_broadcast_cotangent_is_negated_where_the_rule_would_negate_it(monkeypatch):
    # ḡ of a − b is Σ's broadcast of v; b's cotangent sums −ḡ over every entry. NumPy
    # adds the entries of a broadcast view and of a full array in different orders,
    # so the sum must be taken over the full −ḡ the rule makes, not over ḡ's view
    # (this b's sum differs by an ulp when taken over the view)
    rng = np.random.default_rng(13)
    a, b, v = rng.normal(size=(2013, 5)), rng.normal(size=(1, 1)), rng.normal(size=2013)
    _reuse_matches_no_reuse(monkeypatch, lambda a, b: ad.sum(v * ad.sum(a - b, axis=1)), (0, 1), a, b)
