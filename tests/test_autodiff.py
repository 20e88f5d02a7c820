"""autodiff: the engine's promises (each rule's VJP is checked in test_registry.py)."""

import re

import numpy as np
import pytest

from vi_ref import autodiff as ad
from vi_ref.gradcheck import numerical_gradient


def test_operators_accept_arrays_and_floats_on_either_side():
    x = np.array([0.5, 1.5, 2.0])
    c = np.array([2.0, -1.0, 3.0])

    def f(t):
        terms = [t + c, c + t, t - 2.0, 2.0 - t, t * c, c * t, t / c, c / t, t**2.0, 2.0**t, -t]
        return ad.sum(ad.stack(terms)) + (c @ t) + (t @ c)

    def plain(v):
        terms = [v + c, c + v, v - 2, 2 - v, v * c, c * v, v / c, c / v, v**2, 2**v, -v]
        return np.sum(terms) + 2 * (c @ v)

    value, gradient = ad.value_and_grad(f)(x)
    assert value == pytest.approx(plain(x), rel=1e-14)
    np.testing.assert_allclose(gradient, numerical_gradient(plain, x, method="richardson"), rtol=1e-9)


def test_chain_of_ten_thousand_operations():
    def chain(x):
        for _ in range(10_000):
            x = x * 1.0001
        return ad.sum(x)

    np.testing.assert_allclose(ad.grad(chain)(np.ones(3)), np.full(3, 1.0001**10_000), rtol=1e-12)


def test_reused_nodes_accumulate_gradients():
    # f(x) = y·y + y with y = exp(x): df/dx = (2y + 1) y
    def f(x):
        y = ad.exp(x)
        return ad.sum(y * y + y)

    x = np.array([0.1, -0.3])
    np.testing.assert_allclose(ad.grad(f)(x), (2 * np.exp(x) + 1) * np.exp(x), rtol=1e-14)


def test_intermediate_reused_along_paths_of_different_lengths():
    # l reaches the output directly and through a reduction: the backward pass must
    # not pass l's cotangent on before both contributions have arrived
    def f(q):
        l = q * 1.0
        return ad.sum(l - ad.sum(l, axis=-1, keepdims=True))

    np.testing.assert_array_equal(ad.grad(f)(np.zeros(3)), [-2.0, -2.0, -2.0])


def test_a_node_is_pulled_back_once_with_its_summed_cotangent():
    """s = √t reaches the output directly and through s·1: its two cotangents, +1 and
    −1, must be summed before √'s rule sees them. √t − 1·√t is identically 0, so its
    derivative at t = 0 is 0 (the strong zero of 0·∞); pulled back path by path,
    ∞ − ∞ = NaN."""

    def f(t):
        s = ad.sqrt(t)
        return ad.sum(s - s * 1.0)

    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(ad.grad(f)(np.array([0.0, 4.0])), [0.0, 0.0])


def test_the_strong_zero_applies_entry_by_entry_before_a_broadcast_is_summed():
    """A scalar t broadcast against c: the entry that ``where`` drops contributes 0
    although ∂(t/c)/∂t = 1/c is infinite there. The convention needs the entry's own
    cotangent, so it applies before the broadcast is summed back onto t; after, the
    NaN of 0·∞ is already in the sum."""
    c = np.array([2.0, 0.0, 4.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        gradient = ad.grad(lambda t: ad.sum(ad.where(c != 0, t / c, 0.0)))(np.array(1.5))
    assert gradient == 1 / 2 + 1 / 4


def test_the_strong_zero_keeps_an_infinite_derivative_whose_cotangent_is_not_zero():
    """√′(0) = +∞ is the derivative, not an entry to zero: only an entry whose own
    cotangent is 0 becomes 0. The weights make ḡ vary, so the backward pass runs the
    finiteness test (a constant nonzero ḡ, as from a plain sum, skips it)."""
    weights = np.array([1.0, 2.0, 0.0])
    with np.errstate(divide="ignore"):
        gradient = ad.grad(lambda x: ad.sum(weights * ad.sqrt(x)))(np.array([0.0, 4.0, 0.0]))
    np.testing.assert_array_equal(gradient, [np.inf, 0.5, 0.0])


def test_densely_reused_graph_matches_finite_differences():
    def f(x):  # every intermediate feeds several later ones
        a = ad.exp(x)
        b = a * x
        c = ad.sum(b, axis=-1, keepdims=True)
        d = a - c
        e = d * b + c
        return ad.sum(ad.tanh(e) * a) + ad.sum(ad.log_softmax(d) * b)

    x = np.random.default_rng(2).normal(size=(2, 3)) * 0.5
    numerical = numerical_gradient(f, x, method="richardson")
    np.testing.assert_allclose(ad.grad(f)(x), numerical, rtol=1e-9)


def test_broadcast_gradients_are_sums_over_the_broadcast_axes():
    bias = np.array([[1.0], [2.0]])  # (2, 1) broadcast against (2, 3)
    matrix = np.arange(6.0).reshape(2, 3)
    gradient = ad.grad(lambda b: ad.sum((b + matrix) ** 2))(bias)
    np.testing.assert_allclose(gradient, np.sum(2 * (bias + matrix), axis=1, keepdims=True))


def test_argnums_int_negative_and_tuple():
    f = lambda x, y, z: ad.sum(x * y) + ad.sum(ad.exp(z))  # noqa: E731
    x, y, z = np.ones(2), np.array([2.0, 3.0]), np.zeros(2)
    np.testing.assert_array_equal(ad.grad(f)(x, y, z), y)
    np.testing.assert_array_equal(ad.grad(f, argnums=-1)(x, y, z), np.ones(2))
    value, (gx, gz) = ad.value_and_grad(f, argnums=(0, 2))(x, y, z)
    assert value == 7.0
    np.testing.assert_array_equal(gx, y)
    np.testing.assert_array_equal(gz, np.ones(2))
    assert type(ad.grad(f, argnums=(0, 2))(x, y, z)) is tuple  # as documented (and as JAX's)
    np.testing.assert_array_equal(ad.grad(f, argnums=np.int64(2))(x, y, z), np.ones(2))  # one array, not a 1-tuple


def test_function_ignoring_its_argument_has_zero_gradient():
    np.testing.assert_array_equal(ad.grad(lambda x: 3.0)(np.ones((2, 2))), np.zeros((2, 2)))
    # one argument unused while another is: its zeros have its shape
    unused, used = ad.grad(lambda x, y: ad.sum(y), (0, 1))(np.ones((2, 2)), np.ones(3))
    np.testing.assert_array_equal(unused, np.zeros((2, 2)))
    np.testing.assert_array_equal(used, np.ones(3))


def test_mean_log_softmax_and_log_sigmoid_match_finite_differences():
    x = np.random.default_rng(0).normal(size=(3, 4))
    w = np.random.default_rng(1).normal(size=(3, 4))
    f = lambda t: ad.sum(w * ad.log_softmax(t, axis=0)) + ad.mean(t, axis=1).sum() + ad.sum(ad.log_sigmoid(t) * w)  # noqa: E731
    numerical = numerical_gradient(lambda v: f(v), x, method="richardson")
    np.testing.assert_allclose(ad.grad(f)(x), numerical, rtol=1e-9)
    assert float(ad.mean(x, axis=(0, 1))) == pytest.approx(np.mean(x), rel=1e-15)


def test_primitives_on_plain_arrays_return_plain_arrays():
    result = ad.exp(np.zeros(2))
    assert type(result) is np.ndarray
    np.testing.assert_array_equal(result, np.ones(2))


def test_where_does_not_leak_nan_from_the_branch_not_taken():
    x = np.array([-1.0, 0.0, 4.0])
    with np.errstate(invalid="ignore", divide="ignore"):
        gradient = ad.grad(lambda t: ad.sum(ad.where(t > 0, ad.sqrt(t), 0.0)))(x)
        log_gradient = ad.grad(lambda t: ad.sum(ad.where(t > 0, ad.log(t), t)))(x)
        # tanh applies the convention inside its rule: tanh(log x) is NaN at x < 0
        tanh_gradient = ad.grad(lambda t: ad.sum(ad.where(t > 0, ad.tanh(ad.log(t)), 0.0)))(x)
    np.testing.assert_array_equal(gradient, [0.0, 0.0, 0.25])
    np.testing.assert_array_equal(log_gradient, [1.0, 1.0, 0.25])
    np.testing.assert_allclose(tanh_gradient, [0.0, 0.0, (1 - np.tanh(np.log(4.0)) ** 2) / 4], rtol=1e-15)


def test_sqrt_and_log_at_the_boundary_behave_as_numpy():
    with np.errstate(divide="ignore"):
        value, gradient = ad.value_and_grad(lambda t: ad.sum(ad.sqrt(t)))(np.array([0.0, 4.0]))
        log_value, log_gradient = ad.value_and_grad(lambda t: ad.sum(ad.log(t)))(np.array([0.0, 1.0]))
    assert value == 2.0 and log_value == -np.inf
    np.testing.assert_array_equal(gradient, [np.inf, 0.25])
    np.testing.assert_array_equal(log_gradient, [np.inf, 1.0])


def test_comparisons_return_plain_boolean_arrays():
    t = ad.Tensor([1.0, 2.0])
    mask = t > 1.5
    assert mask.dtype == bool and list(mask) == [False, True]
    assert list(t <= np.array([1.0, 1.0])) == [True, False]
    # at a tie (t equals the other entry by entry) the strict comparisons are False
    tie = np.array([1.0, 2.0])
    assert list(t < tie) == [False, False] and list(t > tie) == [False, False]
    assert list(t <= tie) == [True, True] and list(t >= tie) == [True, True]
    assert list(t < 1.5) == [True, False] and list(t >= 1.5) == [False, True]


def test_integer_inputs_are_computed_in_float64():
    """Integers become float64 before anything is computed, as a Tensor's dtype promises.
    Kept as int64, 4·10⁹ squared wrapped round (1.6·10¹⁹ > 2⁶³) and 2⁻¹ was refused;
    the expected values are exact in float64."""
    assert ad.Tensor([1, 2]).dtype == np.float64
    assert ad.square(np.array([4_000_000_000]))[0] == 1.6e19
    np.testing.assert_array_equal(ad.power(np.array([2, 4]), -1), [0.5, 0.25])
    value, gradient = ad.value_and_grad(lambda t: ad.sum(t * t))(np.array([4_000_000_000]))
    assert (value, gradient[0]) == (1.6e19, 8e9)


def test_a_tensor_made_from_a_tensor_or_a_list_of_tensors():
    """Tensor(t) holds t's value (as np.asarray(a) of an ndarray); a list holding
    Tensors is not a value, in Tensor() or as a differentiated argument: the message
    says to stack it (NumPy's conversion would only say a Tensor is not an ndarray)."""
    t = ad.Tensor([1.0, 2.0])
    np.testing.assert_array_equal(ad.Tensor(t).value, [1.0, 2.0])
    with pytest.raises(TypeError, match="value: a list holding Tensors is not a value; stack it first"):
        ad.Tensor([t, 3.0])
    with pytest.raises(TypeError, match="argument 0: a list holding Tensors is not a value; stack it first"):
        ad.grad(lambda x: ad.sum(x))([t[0], 1.0])


def test_value_of_reads_a_tensors_array_and_passes_anything_else_through():
    t, array, items = ad.Tensor([1.0, 2.0]), np.ones(2), [1.0, 2.0]
    assert ad.value_of(t) is t.value and ad.value_of(array) is array and ad.value_of(items) is items
    assert ad.value_of(3.0) == 3.0


def test_tensor_attributes():
    t = ad.Tensor(np.ones((2, 3)))
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and len(t) == 2
    assert t.T.shape == (3, 2) and t.reshape(3, 2).shape == (3, 2) and t.reshape((6,)).shape == (6,)
    assert "Tensor" in repr(t)


def _check_against_richardson(f, x, rtol=1e-9):
    numerical = numerical_gradient(lambda v: float(f(v)), x, method="richardson")
    np.testing.assert_allclose(ad.grad(f)(x), numerical, rtol=rtol, atol=1e-12)


def test_transpose_with_negative_axes():
    x = np.random.default_rng(3).normal(size=(2, 3, 4))
    w = np.random.default_rng(4).normal(size=(4, 2, 3))
    _check_against_richardson(lambda t: ad.sum(w * ad.transpose(t, (-1, 0, 1))), x)


def test_shape_arguments_may_be_passed_positionally_as_in_numpy():
    x = np.random.default_rng(5).normal(size=(2, 3, 4))
    assert ad.getitem(x, (0, 1)).shape == (4,)  # an index tuple, not an array of indices
    np.testing.assert_array_equal(ad.getitem(ad.Tensor(x), (slice(None), 0)).value, x[:, 0])
    w = np.random.default_rng(6).normal(size=(3, 4))
    _check_against_richardson(lambda t: ad.sum(w * ad.sum(t, 0)), x)
    _check_against_richardson(lambda t: ad.sum(w[0] * ad.sum(t, (0, 1))), x)
    _check_against_richardson(lambda t: ad.sum(w * ad.logsumexp(t, 0)), x)
    _check_against_richardson(lambda t: ad.sum(w.T * ad.transpose(t, None)[:, :, 0]), x)
    _check_against_richardson(lambda t: ad.sum(w[:2, :3] * ad.diagonal(t, 1, 1, 2)), x)


@pytest.mark.parametrize(
    "trans, transposed", [(0, False), ("N", False), (1, True), ("T", True), (2, True), ("C", True)]
)
def test_solve_triangular_takes_scipy_trans_codes(trans, transposed):
    rng = np.random.default_rng(7)
    a = np.tril(rng.normal(size=(3, 3))) + 3 * np.eye(3)
    b = rng.normal(size=3)
    solution = ad.solve_triangular(a, b, trans=trans, lower=True)
    np.testing.assert_allclose((a.T if transposed else a) @ solution, b, rtol=1e-13)


def test_solve_triangular_refuses_unknown_trans():
    with pytest.raises(ValueError, match="trans must be"):
        ad.solve_triangular(np.eye(2), np.ones(2), trans="X")


def test_solve_triangular_batch_of_matrices_with_one_vector_rhs():
    rng = np.random.default_rng(8)
    a = np.tril(rng.normal(size=(3, 3, 3))) * 0.3 + 2 * np.eye(3)
    b = rng.normal(size=3)
    w = rng.normal(size=(3, 3))
    f = lambda a_, b_: ad.sum(w * ad.solve_triangular(a_, b_, lower=True))  # noqa: E731
    _check_against_richardson(lambda t: f(t, b), a)
    _check_against_richardson(lambda t: f(a, t), b)


def test_power_with_zero_exponent_has_zero_derivative_at_zero():
    # x⁰ = 1 for every x (NumPy: 0⁰ = 1), so d/dx is 0, not 0 · 0⁻¹ = NaN
    np.testing.assert_array_equal(ad.grad(lambda t: ad.sum(t**0.0))(np.array([0.0, 2.0])), [0.0, 0.0])
    gradient = ad.grad(lambda t, y: ad.sum(t**y), argnums=0)(np.array([0.0]), np.array([0.0]))
    np.testing.assert_array_equal(gradient, [0.0])
    # also at ±∞ and NaN, where x⁰ = 1 (the derivative was 0 · ∞ = NaN there)
    special = np.array([np.inf, -np.inf, np.nan, -3.0])
    with np.errstate(invalid="raise"):
        np.testing.assert_array_equal(ad.grad(lambda t: ad.sum(t**0.0))(special), np.zeros(4))


def test_logsumexp_row_of_minus_infinity_not_taken_contributes_nothing():
    x = np.array([[0.5, -1.0], [-np.inf, -np.inf]])
    keep = np.array([True, False])
    with np.errstate(invalid="ignore"):
        gradient = ad.grad(lambda t: ad.sum(ad.where(keep, ad.logsumexp(t, axis=1), 0.0)))(x)
    softmax = np.exp(x[0] - np.logaddexp(*x[0]))
    np.testing.assert_allclose(gradient, [softmax, [0.0, 0.0]], rtol=1e-15)


def test_sigmoid_and_tanh_derivatives_keep_relative_accuracy_in_the_tails():
    x = np.array([-40.0, -20.0, 20.0, 40.0])
    # σ'(x) = e^(−|x|) / (1 + e^(−|x|))², tanh'(x) = 4 e^(−2|x|) / (1 + e^(−2|x|))²
    small = np.exp(-np.abs(x))
    sigmoid_derivative = ad.grad(lambda t: ad.sum(ad.sigmoid(t)))(x)
    tanh_derivative = ad.grad(lambda t: ad.sum(ad.tanh(t)))(x)
    np.testing.assert_allclose(sigmoid_derivative, small / (1 + small) ** 2, rtol=1e-14)
    np.testing.assert_allclose(tanh_derivative, 4 * small**2 / (1 + small**2) ** 2, rtol=1e-14)


# ----- refusals ---------------------------------------------------------------------------


def test_non_scalar_output_is_refused_with_its_shape():
    with pytest.raises(ValueError, match=r"scalar.*shape \(3, 2\)"):
        ad.grad(lambda x: x * 2)(np.ones((3, 2)))
    for shape in [(1,), (1, 1)]:  # one entry, but not a scalar
        with pytest.raises(ValueError, match=rf"scalar.*shape {re.escape(str(shape))}"):
            ad.grad(lambda x: x * 2)(np.ones(shape))


@pytest.mark.parametrize("operand", ["text", None, {"a": 1}, 1 + 2j, np.array([1j])])
def test_unsupported_operands_are_refused(operand):
    t = ad.Tensor(np.ones(1))
    with pytest.raises(TypeError):
        t + operand
    with pytest.raises(TypeError):
        operand * t
    with pytest.raises(TypeError, match="exp argument 0 must be"):
        ad.exp(operand)


def test_a_result_that_is_not_a_real_scalar_is_refused():
    """float() of the result would read the string "3.0" as 3, and drop the imaginary part
    of a NumPy complex with only a warning: both are refused, as None is."""
    for result in ("3.0", np.complex128(1 + 2j), None):
        with pytest.raises(TypeError, match="must return a scalar"):
            ad.value_and_grad(lambda z: result)(np.ones(2))


def test_an_operand_this_package_cannot_use_gets_to_try_its_own_operator():
    """Python's protocol: Tensor's operator returns NotImplemented for a foreign operand,
    so the operand's reflected method runs (here it says so); raising at once skipped it."""

    class Symbol:
        def __radd__(self, other):
            return "Symbol.__radd__"

        def __rmul__(self, other):
            return "Symbol.__rmul__"

    t = ad.Tensor([1.0])
    assert t + Symbol() == "Symbol.__radd__" and t * Symbol() == "Symbol.__rmul__"


def test_arrays_may_be_given_by_their_numpy_names_and_are_differentiated():
    # np.sum(a=x) and np.linalg.cholesky(a=m) are valid NumPy; they used to be refused
    x, m = np.array([0.5, -1.0, 2.0]), np.array([[4.0, 1.0], [1.0, 3.0]])
    assert ad.sum(a=x) == np.sum(a=x)
    np.testing.assert_array_equal(ad.grad(lambda t: ad.sum(a=t * t, axis=0))(x), 2 * x)
    by_name = ad.grad(lambda t: ad.sum(ad.cholesky(a=t) * [[1.0, 0.0], [2.0, 3.0]]))(m)
    positional = ad.grad(lambda t: ad.sum(ad.cholesky(t) * [[1.0, 0.0], [2.0, 3.0]]))(m)
    np.testing.assert_array_equal(by_name, positional)
    np.testing.assert_array_equal(ad.grad(lambda b: ad.sum(ad.solve_triangular(m, b=b, lower=True)), 0)(x[:2]),
                                  ad.grad(lambda b: ad.sum(ad.solve_triangular(m, b, lower=True)), 0)(x[:2]))
    # keywords in any order, as Python binds them (b= before a= was refused)
    np.testing.assert_array_equal(ad.solve_triangular(b=x[:2], a=m, lower=True), ad.solve_triangular(m, x[:2], lower=True))


def test_arguments_by_name_that_numpy_would_refuse_are_refused():
    x = np.ones(3)
    with pytest.raises(TypeError, match=r"sum\(\) got multiple values for argument 'a'"):
        ad.sum(x, a=x)
    with pytest.raises(TypeError, match=r"solve_triangular\(\) got b= but not the argument\(s\) before it"):
        ad.solve_triangular(b=x)
    with pytest.raises(TypeError, match=r"exp\(\) does not take the keyword\(s\) \['x'\]"):
        ad.exp(x=x)  # NumPy's ufuncs take their inputs positionally only
    with pytest.raises(TypeError, match=r"sum: \['axis'\] are options, not differentiated; got Tensor"):
        ad.sum(x, axis=ad.Tensor(np.array(0.0)))


def test_numpy_functions_on_tensors_are_refused_rather_than_silently_wrong():
    with pytest.raises(TypeError):
        np.exp(ad.Tensor(np.ones(2)))


def test_bad_argnums_and_arguments_are_refused():
    f = lambda x: ad.sum(x)  # noqa: E731
    with pytest.raises(TypeError, match="argnums"):
        ad.grad(f, argnums=1.5)(np.ones(2))
    with pytest.raises(ValueError, match="out of range"):
        ad.grad(f, argnums=3)(np.ones(2))
    with pytest.raises(ValueError, match="out of range"):  # one past the end: wrapped round to argument 0
        ad.grad(lambda x, y: ad.sum(x * y), argnums=2)(np.ones(2), np.ones(2))
    with pytest.raises(TypeError, match="argnums"):  # a bool is not an argument number
        ad.grad(lambda x, y: ad.sum(x * y), argnums=True)(np.ones(2), np.ones(2))
    with pytest.raises(TypeError, match="argument 0 must be"):
        ad.grad(f)("abc")
    with pytest.raises(ValueError, match="argnums.*repeat"):
        ad.grad(lambda x, y: ad.sum(x * y), argnums=(0, -2))(np.ones(2), np.ones(2))


# ----- the six divergences of issue 10, each failing before its fix ----------------------


def test_diagonal_defaults_to_numpy_axes_0_and_1():
    x = np.arange(18.0).reshape(2, 3, 3)
    np.testing.assert_array_equal(ad.diagonal(x), np.diagonal(x))
    np.testing.assert_array_equal(ad.diagonal(ad.Tensor(x)).value, np.diagonal(x))
    _check_against_richardson(lambda t: ad.sum(ad.diagonal(t) ** 2), np.random.default_rng(9).normal(size=(2, 3, 3)))


def test_gradients_are_fresh_arrays_never_aliases():
    c = np.array([1.0, 2.0, 3.0])
    gx, gy = ad.grad(lambda a, b: ad.sum((a + b) * c), (0, 1))(np.zeros(3), np.ones(3))
    assert gx is not gy and not np.shares_memory(gx, gy)
    gx *= 0.5
    np.testing.assert_array_equal(gy, c)
    g = ad.grad(lambda x: ad.sum(x))(np.ones(3))  # a broadcast of the seed before
    g *= 0.5
    np.testing.assert_array_equal(g, [0.5, 0.5, 0.5])
    x = np.ones(3)
    identity = ad.grad(lambda t: ad.sum(t * 1.0), argnums=0)(x)
    assert identity.flags.writeable and identity.flags.owndata and not np.shares_memory(identity, x)
    pieces = ad.grad(lambda a, b: ad.sum(ad.concatenate([a, b]) * 2.0), (0, 1))(np.ones(2), np.ones(2))
    assert all(p.flags.owndata for p in pieces)


def test_a_gradient_is_never_an_array_a_user_rule_returned():
    """A Primitive made outside the rule table (no ``fresh_results``) may return an
    array it keeps: handed to the caller as the gradient itself, scaling the
    gradient rescaled the rule's constant, and every later gradient with it."""
    kept = np.full(3, 0.25)
    constant_cotangent = ad.Primitive("kept", lambda x: 2.0 * x, (lambda g, ans, x: kept,))
    gradient = ad.grad(lambda t: ad.sum(constant_cotangent(t)))(np.ones(3))
    assert not np.shares_memory(gradient, kept)
    gradient *= 4.0
    np.testing.assert_array_equal(kept, [0.25, 0.25, 0.25])


def test_numpy_keywords_reach_the_backward_pass():
    rng = np.random.default_rng(10)
    x = rng.normal(size=(3, 4))
    mask = rng.uniform(size=(3, 4)) < 0.6
    _check_against_richardson(lambda t: ad.sum(ad.sum(t**2, axis=1, where=mask, initial=1.5, dtype=float)), x)
    assert float(ad.sum(x, where=mask, initial=1.5)) == np.sum(x, where=mask, initial=1.5)
    w = rng.normal(size=(6, 2))
    _check_against_richardson(lambda t: ad.sum(w * ad.reshape(t, (6, 2), order="F")), x)
    np.testing.assert_array_equal(ad.reshape(ad.Tensor(x), (6, 2), order="F").value, np.reshape(x, (6, 2), order="F"))
    _check_against_richardson(lambda t: ad.sum(t.reshape(2, 6, order="F")[0] ** 3), x)


def test_mean_of_a_list_of_tensors_stacks_it_as_numpy_does():
    x = np.array([0.5, -1.0, 2.0])
    value, gradient = ad.value_and_grad(lambda t: ad.sum(ad.mean([t, t + 2], axis=0) ** 2))(x)
    assert value == pytest.approx(np.sum(np.mean([x, x + 2], axis=0) ** 2), rel=1e-15)
    np.testing.assert_allclose(gradient, 2 * (x + 1), rtol=1e-15)
    assert float(ad.mean([x, x + 2])) == np.mean([x, x + 2])
    # nested lists too: [[t, 2t], [3, t²]] has mean (3t + 3 + t²)/4
    t = np.array(0.7)
    value, derivative = ad.value_and_grad(lambda s: ad.mean([[s, 2 * s], [3.0, s * s]]))(t)
    assert value == pytest.approx((3 * t + 3 + t * t) / 4, rel=1e-15)
    assert derivative == pytest.approx((3 + 2 * t) / 4, rel=1e-15)


def test_expm1_derivative_keeps_its_relative_accuracy_in_the_lower_tail():
    x = np.array([-745.0, -40.0, -20.0, -1e-10, 0.0, 3.0])
    np.testing.assert_allclose(ad.grad(lambda t: ad.sum(ad.expm1(t)))(x), np.exp(x), rtol=1e-15, atol=0)


def test_nested_differentiation_is_refused_not_silently_wrong():
    x = np.array([0.3, -0.2])

    def outer_through_closure(t):
        inner = ad.grad(lambda s: ad.sum(s * t * t))(np.ones(2))  # d/ds = t²: depends on t
        return ad.sum(inner)

    def outer_through_argument(t):
        return ad.sum(ad.grad(lambda s: ad.sum(s**3))(t))

    for outer in (outer_through_closure, outer_through_argument):
        with pytest.raises(ValueError, match="nested differentiation is not supported"):
            ad.grad(outer)(x)


# ----- NumPy-faithful keywords: refused up front, or honoured by every rule -------------


def test_every_rule_takes_the_keywords_its_forward_function_takes():
    import inspect

    for primitive in ad.PRIMITIVES.values():
        rules = [primitive.vjps] if primitive.variadic else [r for r in primitive.vjps if r is not None]
        for rule in rules:
            parameters = inspect.signature(rule).parameters
            takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
            missing = set(primitive.keywords) - set(parameters)
            assert takes_any or not missing, f"{primitive.name}: a rule lacks keyword(s) {missing}"


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda t: ad.sum(t, out=np.zeros(())), "out= is not supported"),
        (lambda t: ad.sum(t, dtype=np.float32), "dtype must be float64"),
        (lambda t: ad.exp(t, out=np.zeros(2)), r"exp\(\) does not take the keyword"),
        (lambda t: ad.maximum(t, 0.0, where=True), r"maximum\(\) does not take the keyword"),
        (lambda t: ad.logsumexp(t, b=np.ones(2)), r"logsumexp: b= \(weights\) is not supported"),
        (lambda t: ad.logsumexp(t, 0, np.ones(2)), r"logsumexp: b= \(weights\) is not supported"),  # SciPy's order
        (lambda t: ad.logsumexp(t, return_sign=True), r"logsumexp: return_sign= is not supported"),
        (lambda t: ad.mean(t, out=np.zeros(())), "out= is not supported"),
        (lambda t: ad.var(t, mean=0.0), "mean= is not supported"),
        (lambda t: ad.var(t, ddof=1, correction=1), "give ddof or correction, not both"),  # as NumPy
        (lambda t: ad.ravel(t, order="K"), "order must be 'C' or 'F'"),
        (lambda t: ad.clip(t, a_min=0.0, min=0.5), "give a_min or min, not both"),  # NumPy refuses it too
        (lambda t: ad.clip(t, None, a_max=1.0, max=0.5), "give a_max or max, not both"),
        (lambda t: ad.einsum("ii->i", ad.reshape(t, (1, 2)) * np.ones((2, 1))), "repeated within one operand"),
        # every reduction, and the variadic and contraction faces, refuse out= and dtype= as sum does
        (lambda t: ad.max(t, out=np.zeros(())), "out= is not supported"),
        (lambda t: ad.cumsum(t, dtype=np.float32), "dtype must be float64"),
        (lambda t: ad.prod(t, dtype=np.float32), "dtype must be float64"),
        (lambda t: ad.concatenate([t, t], out=np.zeros(4)), "out= is not supported"),
        (lambda t: ad.stack([t, t], dtype=np.float32), "dtype must be float64"),
        (lambda t: ad.einsum("i->i", t, out=np.zeros(2)), "out= is not supported"),
        # a Tensor initial value would get no gradient: refused by keyword and positionally
        # (the keyword's refusal said "pass Tensors positionally", which gave a zero gradient)
        (lambda t: ad.sum(t, initial=ad.sum(t)), "initial= is not differentiated"),
        (lambda t: ad.sum(t, None, None, None, False, ad.sum(t)), "initial= is not differentiated"),
        (lambda t: ad.prod(t, 0, None, None, False, ad.sum(t)), "initial= is not differentiated"),
        (lambda t: ad.max(t, None, None, False, ad.sum(t)), "initial= is not differentiated"),
        (lambda t: ad.amin(t, initial=ad.sum(t)), "initial= is not differentiated"),
    ],
)
def test_unsupported_keywords_are_refused_before_anything_is_computed(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        ad.grad(lambda t: ad.sum(call(t)))(np.ones(2))


def test_an_output_array_given_positionally_is_refused_and_nothing_is_written():
    """A NumPy ufunc reads a positional argument after its inputs as out=: exp(t, buffer)
    wrote eˣ into the buffer (and sqrt(t, u) into the Tensor u's value, changing the graph)."""
    buffer, other = np.zeros(2), ad.Tensor([5.0, 5.0])
    calls = [
        lambda t: ad.exp(t, buffer), lambda t: ad.sqrt(t, other), lambda t: ad.add(t, 1.0, buffer),
        lambda t: ad.maximum(t, 0.0, buffer), lambda t: ad.xlogy(t, 2.0, buffer), lambda t: ad.erf(t, buffer),
        lambda t: ad.matmul(ad.reshape(t, (1, 2)), np.ones((2, 2)), np.zeros((1, 2))),
    ]
    for call in calls:
        with pytest.raises(TypeError, match="out= is not supported"):
            ad.grad(lambda t: ad.sum(call(t)))(np.ones(2))
    assert buffer.tolist() == [0.0, 0.0] and other.value.tolist() == [5.0, 5.0]
