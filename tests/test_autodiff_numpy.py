"""autodiff speaks NumPy: each operation's value equals its NumPy/SciPy namesake's with the
same arguments, its gradient equals finite differences, Tensor has ndarray's methods, and
NumPy's own functions either dispatch here or refuse. (Each rule's VJP, with hard regions,
is also in the registry: test_registry.py.)"""

import mpmath
import numpy as np
import pytest
import scipy.special

from vi_ref import autodiff as ad
from vi_ref.autodiff import rules
from vi_ref.gradcheck import numerical_gradient

RNG = np.random.default_rng(20261201)
X34 = RNG.normal(size=(3, 4))
X234 = RNG.normal(size=(2, 3, 4))
SQUARE = RNG.normal(size=(3, 3)) + 3 * np.eye(3)
POSITIVE = RNG.uniform(0.5, 2.0, size=(3, 4))


def _weights_like(value):
    return np.random.default_rng(1).normal(size=np.shape(value))


# (label, our function, NumPy/SciPy reference, input): same arguments on both sides
SAME_AS_NUMPY = [
    ("dot-matrix-vector", lambda a: ad.dot(a, X34[0]), lambda a: np.dot(a, X34[0]), X34),
    ("dot-nd", lambda a: ad.dot(a, X234), lambda a: np.dot(a, X234), X34[:, :3]),
    ("dot-scalar", lambda a: ad.dot(a, 2.5), lambda a: np.dot(a, 2.5), X34),
    ("dot-scalar-first", lambda a: ad.dot(2.5, a), lambda a: np.dot(2.5, a), X34),
    ("einsum-quadratic", lambda a: ad.einsum("ni,ij,nj->n", a, SQUARE[:, :3][:3], a[:, :3]),
     lambda a: np.einsum("ni,ij,nj->n", a, SQUARE[:, :3][:3], a[:, :3]), X34[:, :3]),
    ("einsum-implicit", lambda a: ad.einsum("ij,jk", a, X34), lambda a: np.einsum("ij,jk", a, X34), X34[:, :3]),
    ("einsum-spaces", lambda a: ad.einsum(" ij, jk -> ik", a, X34), lambda a: np.einsum(" ij, jk -> ik", a, X34), X34[:, :3]),
    ("einsum-ellipsis", lambda a: ad.einsum("...ij,...j->...i", X234, a), lambda a: np.einsum("...ij,...j->...i", X234, a), X34[:2]),
    ("max", lambda a: ad.max(a, axis=1), lambda a: np.max(a, axis=1), X34),
    ("amax-keepdims", lambda a: ad.amax(a, axis=(0, 2), keepdims=True), lambda a: np.amax(a, axis=(0, 2), keepdims=True), X234),
    ("min-where-initial", lambda a: ad.min(a, axis=0, where=a > -1, initial=3.0),
     lambda a: np.min(a, axis=0, where=a > -1, initial=3.0), X34),
    ("amin", lambda a: ad.amin(a), lambda a: np.amin(a), X34),
    ("minimum", lambda a: ad.minimum(a, X34[0]), lambda a: np.minimum(a, X34[0]), X34),
    ("clip", lambda a: ad.clip(a, -0.5, 0.7), lambda a: np.clip(a, -0.5, 0.7), X34),
    ("clip-keywords", lambda a: ad.clip(a, min=-0.2), lambda a: np.clip(a, min=-0.2), X34),
    ("clip-max-keyword", lambda a: ad.clip(a, max=0.3), lambda a: np.clip(a, max=0.3), X34),
    ("clip-at-zero", lambda a: ad.clip(a, 0.0, 0.7), lambda a: np.clip(a, 0.0, 0.7), X34),  # a bound that is falsy
    ("tril", lambda a: ad.tril(a, -1), lambda a: np.tril(a, -1), X234),
    ("triu", lambda a: ad.triu(a, k=1), lambda a: np.triu(a, k=1), X34),
    ("diag-vector", lambda a: ad.diag(a[0], 1), lambda a: np.diag(a[0], 1), X34),
    ("diag-matrix", lambda a: ad.diag(a, -1), lambda a: np.diag(a, -1), X34),
    ("cumsum", lambda a: ad.cumsum(a, axis=0), lambda a: np.cumsum(a, axis=0), X34),
    ("cumsum-flat", lambda a: ad.cumsum(a), lambda a: np.cumsum(a), X34),
    ("prod", lambda a: ad.prod(a, axis=-1), lambda a: np.prod(a, axis=-1), X34),
    ("var", lambda a: ad.var(a, axis=1, ddof=1), lambda a: np.var(a, axis=1, ddof=1), X34),
    ("var-where", lambda a: ad.var(a, axis=1, where=a > -1), lambda a: np.var(a, axis=1, where=a > -1), X34),
    ("std", lambda a: ad.std(a, axis=(0, 1), correction=1), lambda a: np.std(a, axis=(0, 1), correction=1), X234),
    ("std-keepdims", lambda a: ad.std(a, axis=-1, keepdims=True), lambda a: np.std(a, axis=-1, keepdims=True), X34),
    ("mean-where", lambda a: ad.mean(a, axis=0, where=X34 > X34.min()),
     lambda a: np.mean(a, axis=0, where=X34 > X34.min()), X34),
    ("mean-where-broadcast", lambda a: ad.mean(a, axis=1, where=np.array([True, False, True, True])),
     lambda a: np.mean(a, axis=1, where=np.array([True, False, True, True])), X34),  # a mask of fewer axes
    ("softmax", lambda a: ad.softmax(a), lambda a: scipy.special.softmax(a), X34),
    ("softmax-axis", lambda a: ad.softmax(a, axis=1), lambda a: scipy.special.softmax(a, axis=1), X34),
    ("log_softmax", lambda a: ad.log_softmax(a), lambda a: scipy.special.log_softmax(a), X34),
    ("logaddexp", lambda a: ad.logaddexp(a, X34[1]), lambda a: np.logaddexp(a, X34[1]), X34),
    ("sin", ad.sin, np.sin, X34),
    ("cos", ad.cos, np.cos, X34),
    ("arctan", ad.arctan, np.arctan, X34),
    ("erf", ad.erf, scipy.special.erf, X34),
    ("ndtr", ad.ndtr, scipy.special.ndtr, X34),
    ("log_ndtr", ad.log_ndtr, scipy.special.log_ndtr, 5 * X34),
    ("xlogy", lambda a: ad.xlogy(a, POSITIVE), lambda a: scipy.special.xlogy(a, POSITIVE), X34),
    ("betaln", lambda a: ad.betaln(a, 1.5), lambda a: scipy.special.betaln(a, 1.5), POSITIVE),
    ("polygamma", lambda a: ad.polygamma(2, a), lambda a: scipy.special.polygamma(2, a), POSITIVE),
    ("trigamma", ad.trigamma, lambda a: scipy.special.polygamma(1, a), POSITIVE),
    ("solve", lambda a: ad.solve(a, X34[:, :2]), lambda a: np.linalg.solve(a, X34[:, :2]), SQUARE),
    ("solve-vector", lambda a: ad.solve(SQUARE, a[0, :3]), lambda a: np.linalg.solve(SQUARE, a[0, :3]), X34),
    ("inv", ad.inv, np.linalg.inv, SQUARE),
    ("slogdet", lambda a: ad.slogdet(a)[1], lambda a: np.linalg.slogdet(a)[1], SQUARE),
    ("relu", ad.relu, lambda a: np.maximum(a, 0.0), X34),
    ("squeeze", lambda a: ad.squeeze(a[:, None, :1]), lambda a: np.squeeze(a[:, None, :1]), X34),
    ("squeeze-axis", lambda a: ad.squeeze(a[:, None], axis=1), lambda a: np.squeeze(a[:, None], axis=1), X34),
    ("squeeze-one-of-two", lambda a: ad.squeeze(a[:, None, :1], axis=1), lambda a: np.squeeze(a[:, None, :1], axis=1), X34),
    ("swapaxes", lambda a: ad.swapaxes(a, 0, -1), lambda a: np.swapaxes(a, 0, -1), X234),
    ("swapaxes-adjacent", lambda a: ad.swapaxes(a, 0, 1), lambda a: np.swapaxes(a, 0, 1), X234),  # not the reversal
    ("ravel-F", lambda a: ad.ravel(a, order="F"), lambda a: np.ravel(a, order="F"), X34),
    ("outer", lambda a: ad.outer(a[0], a[1:]), lambda a: np.outer(a[0], a[1:]), X34),
    ("trace", lambda a: ad.trace(a, 1), lambda a: np.trace(a, 1), X234),
    ("repeat", lambda a: ad.repeat(a, [1, 0, 2, 3], axis=1), lambda a: np.repeat(a, [1, 0, 2, 3], axis=1), X34),
    ("repeat-flat", lambda a: ad.repeat(a, 2), lambda a: np.repeat(a, 2), X34),
    ("repeat-negative-axis", lambda a: ad.repeat(a, [2, 1, 0], axis=-2), lambda a: np.repeat(a, [2, 1, 0], axis=-2), X234),
    ("repeat-0d-axis", lambda a: ad.repeat(a[0, 0], 3, axis=-1), lambda a: np.repeat(a[0, 0], 3, axis=-1), X34),
    ("diagonal", lambda a: ad.diagonal(a, 1), lambda a: np.diagonal(a, 1), X234),
    ("concatenate-none", lambda a: ad.concatenate([a, a[0]], axis=None), lambda a: np.concatenate([a, a[0]], axis=None), X34),
]


@pytest.mark.parametrize("ours, theirs, x", [case[1:] for case in SAME_AS_NUMPY], ids=[case[0] for case in SAME_AS_NUMPY])
def test_value_equals_numpy_and_gradient_equals_finite_differences(ours, theirs, x):
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(ours(ad.Tensor(x)).value, theirs(x), rtol=1e-13, atol=1e-15)
    w = _weights_like(theirs(x))
    numerical = numerical_gradient(lambda v: np.sum(w * theirs(v)), x, method="richardson")
    np.testing.assert_allclose(ad.grad(lambda t: ad.sum(w * ours(t)))(x), numerical, rtol=1e-7, atol=1e-9)


def test_logaddexp_agrees_with_numpy_at_infinities_and_extremes():
    inf = np.inf
    x = np.array([0.0, -inf, inf, -inf, inf, 3.0, 1e308, -745.0, 40.0])
    y = np.array([0.0, -inf, inf, 2.0, -inf, -40.0, 1e308, -745.0, -1e-300])
    np.testing.assert_allclose(ad.logaddexp(x, y), np.logaddexp(x, y), rtol=4e-16, atol=0)
    assert type(ad.logaddexp(0.0, 1.0)) is type(np.logaddexp(0.0, 1.0))  # a float64, not a 0-d array
    z = np.random.default_rng(2).normal(size=1000) * 30
    np.testing.assert_allclose(ad.logaddexp(0.0, z), np.logaddexp(0.0, z), rtol=4e-16, atol=0)


def test_symmetric_positive_definite_shortcuts_through_cholesky():
    rng = np.random.default_rng(3)
    factor = rng.normal(size=(2, 4, 4))
    a = factor @ np.swapaxes(factor, -1, -2) + 4 * np.eye(4)
    b = rng.normal(size=(2, 4, 3))
    np.testing.assert_allclose(ad.solve(a, b, assume_a="pos"), np.linalg.solve(a, b), rtol=1e-12)
    np.testing.assert_allclose(ad.solve(a[0], b[0, :, 0], assume_a="pos"), np.linalg.solve(a[0], b[0, :, 0]), rtol=1e-12)
    w = rng.normal(size=b.shape)

    def general(m):  # the symmetric part, as the Cholesky route reads it
        return np.sum(w * np.linalg.solve((m + np.swapaxes(m, -1, -2)) / 2, b))

    numerical = numerical_gradient(general, a, method="richardson")
    gradient = ad.grad(lambda m: ad.sum(w * ad.solve(m, b, assume_a="pos")))(a)
    np.testing.assert_allclose(gradient, numerical, rtol=1e-7, atol=1e-9)
    log_det = 2 * ad.sum(ad.log(ad.diagonal(ad.cholesky(a), axis1=-2, axis2=-1)), axis=-1)
    np.testing.assert_allclose(log_det, np.linalg.slogdet(a)[1], rtol=1e-13)
    with pytest.raises(ValueError, match="assume_a must be"):
        ad.solve(a, b, assume_a="sym")


# ----- conventions at kinks ---------------------------------------------------------------


def test_ties_share_the_cotangent_equally():
    x = np.array([[1.0, 3.0, 3.0, 3.0], [2.0, 0.5, 2.0, -1.0]])
    np.testing.assert_allclose(ad.grad(lambda t: ad.sum(ad.max(t, axis=1)))(x),
                               [[0, 1 / 3, 1 / 3, 1 / 3], [0.5, 0, 0.5, 0]], rtol=1e-15)
    gx, gy = ad.grad(lambda a, b: ad.sum(ad.maximum(a, b)), (0, 1))(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    np.testing.assert_array_equal(gx, [0.5, 1.0])
    np.testing.assert_array_equal(gy, [0.5, 0.0])
    np.testing.assert_array_equal(ad.grad(lambda t: ad.sum(ad.relu(t)))(np.array([-1.0, 0.0, 2.0])), [0, 0.5, 1])
    np.testing.assert_array_equal(ad.grad(lambda t: ad.sum(ad.abs(t)))(np.array([-1.0, 0.0, 2.0])), [-1, 0, 1])


NAN = np.nan


@pytest.mark.parametrize("f, expected", [
    (lambda t: ad.sum(ad.max(t, axis=1) * np.array([1.0, 2.0])), [[NAN, NAN, NAN], [1, 0, 1]]),
    (lambda t: ad.sum(ad.amin(t, axis=-1, keepdims=True)), [[NAN, NAN, NAN], [0, 1, 0]]),
    (lambda t: ad.sum(ad.maximum(t, np.array([1.5, -np.inf, 0.0]))), [[0, NAN, 1], [1, 1, 1]]),
    (lambda t: ad.sum(ad.minimum(np.array([[NAN], [0.5]]), t)), [[NAN, NAN, NAN], [0, 0, 0]]),
    (lambda t: ad.sum(ad.clip(t, 0.0, 2.5)), [[1, NAN, 1], [0, 1, 0]]),
    (lambda t: ad.sum(ad.relu(t)), [[1, NAN, 1], [1, 1, 1]]),
], ids=["max", "amin", "maximum", "minimum", "clip", "relu"])
def test_a_nan_that_makes_the_value_nan_makes_its_derivative_nan(f, expected):
    # was 0: a NaN entry never equals the extremum nor beats the other argument, so
    # it got no share, silently. NumPy propagates the NaN to the value; moving any
    # entry the value depends on leaves it NaN, so the central difference is NaN
    # there, and the derivative is. Elsewhere the usual shares (ties: ½ each).
    x = np.array([[1.0, NAN, 2.0], [3.0, 1.0, 3.0]])
    np.testing.assert_array_equal(ad.grad(f)(x), expected)


def test_nan_derivatives_of_max_keep_the_strong_zero():
    x = np.array([1.0, np.nan, 2.0])
    keep = ~np.isnan(x)
    np.testing.assert_array_equal(ad.grad(lambda t: ad.sum(ad.where(keep, ad.relu(t), 0.0)))(x), [1, 0, 1])
    np.testing.assert_array_equal(ad.grad(lambda t: ad.max(t, where=keep, initial=-np.inf))(x), [0, 0, 1])
    np.testing.assert_array_equal(ad.grad(lambda t: ad.max(t) * 0.0)(x), [0, 0, 0])


def test_max_gives_entries_outside_where_nothing_at_a_tie_or_a_nan():
    """np.max never reads an entry outside where=, so moving it changes nothing: its
    derivative is 0 even where it equals the maximum (the oracle: the central
    difference of NumPy's own max) or where a NaN entry taking part makes the value
    NaN (then the entries taking part get NaN, the documented convention)."""
    keep = np.array([True, False, True])

    def numpy_max(v):
        return np.max(v, where=keep, initial=-np.inf)

    tied_outside = np.array([3.0, 3.0, 1.0])
    gradient = ad.grad(lambda t: ad.max(t, where=keep, initial=-np.inf))(tied_outside)
    np.testing.assert_array_equal(gradient, numerical_gradient(numpy_max, tied_outside))
    np.testing.assert_array_equal(gradient, [1.0, 0.0, 0.0])
    nan_inside = np.array([np.nan, 5.0, 1.0])
    np.testing.assert_array_equal(ad.grad(lambda t: ad.max(t, where=keep, initial=-np.inf))(nan_inside), [NAN, 0, NAN])


def test_logsumexp_of_a_nan_row_keeps_the_strong_zero():
    # a NaN entry makes its row's logsumexp NaN, and the row's derivative NaN where the
    # cotangent is not 0; a row the result does not use (cotangent 0) contributes 0
    x = np.array([[0.5, -1.0], [np.nan, 0.0]])
    keep = np.array([True, False])
    gradient = ad.grad(lambda t: ad.sum(ad.where(keep, ad.logsumexp(t, axis=1), 0.0)))(x)
    np.testing.assert_allclose(gradient, [scipy.special.softmax(x[0]), [0.0, 0.0]], rtol=1e-15)
    np.testing.assert_array_equal(ad.grad(lambda t: ad.sum(ad.logsumexp(t, axis=1)))(x)[1], [NAN, NAN])


def test_prod_gradient_is_exact_at_zeros():
    x = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0]])
    np.testing.assert_array_equal(ad.grad(lambda t: ad.sum(ad.prod(t, axis=1)))(x), [[0, 6, 0], [0, 0, 0]])


def test_power_at_zero_base_follows_the_documented_convention():
    x, y = np.zeros(4), np.array([0.0, 1.0, 2.0, 0.5])
    gx, gy = ad.grad(lambda a, b: ad.sum(a**b), (0, 1))(x, y)
    np.testing.assert_array_equal(gx, [0.0, 1.0, 0.0, np.inf])
    np.testing.assert_array_equal(gy[1:], [0.0, 0.0, 0.0])  # lim x→0 xʸ log x = 0 for y > 0


@pytest.mark.parametrize("x", [-1e4, -100.0, -40.0, -30.0, -20.0, -10.0, -3.0, -1.0, 0.0, 1.0, 5.0, 10.0, 30.0])
def test_log_ndtr_and_its_derivative_against_high_precision(x):
    with mpmath.workdps(50):  # local precision: other test files rely on their own
        value = mpmath.log(mpmath.ncdf(x)) if x <= 0 else mpmath.log1p(-mpmath.ncdf(-x))
        derivative = mpmath.npdf(x) / mpmath.ncdf(x)
    ours, gradient = ad.value_and_grad(lambda t: ad.sum(ad.log_ndtr(t)))(np.array([x]))
    assert ours == pytest.approx(float(value), rel=1e-13)  # SciPy's value: 6e-14 at x = 30
    assert gradient[0] == pytest.approx(float(derivative), rel=1e-13)


def test_tanh_derivative_keeps_relative_accuracy_on_both_branches():
    # and far out, where exp(2|x|) would overflow (x = −200: 7.7e-174, not 0; x = −300: 1.1e-260, not NaN)
    x = np.concatenate([np.linspace(-25, 25, 1001), [4.9, 4.95, 5.0, -4.93, -200.0, -300.0, 300.0]])
    with mpmath.workdps(40):
        exact = np.array([float(1 / mpmath.cosh(mpmath.mpf(v)) ** 2) for v in x])
    gradient = ad.grad(lambda t: ad.sum(ad.tanh(t)))(x)
    np.testing.assert_allclose(gradient, exact, rtol=1e-12)
    tails = np.abs(x) > 5
    np.testing.assert_allclose(gradient[tails], exact[tails], rtol=4e-15)


# ----- Tensor methods and NumPy's protocols ---------------------------------------------------


def test_tensor_has_the_ndarray_methods_a_log_joint_reaches_for():
    t = ad.Tensor(X234)
    assert t.dtype == np.float64 and t.ndim == 3
    checks = {
        "dot": (t[0].dot(X34.T), X234[0].dot(X34.T)),
        "max": (t.max(axis=1), X234.max(axis=1)),
        "min": (t.min(), X234.min()),
        "ravel": (t.ravel(), X234.ravel()),
        "flatten": (t.flatten(), X234.flatten()),
        "squeeze": (t[:, :1].squeeze(), X234[:, :1].squeeze()),
        "transpose()": (t.transpose(), X234.transpose()),
        "transpose(*axes)": (t.transpose(1, 0, 2), X234.transpose(1, 0, 2)),
        "transpose(axes)": (t.transpose((2, 0, 1)), X234.transpose((2, 0, 1))),
        "abs": (abs(t), abs(X234)),
        "prod": (t.prod(axis=0), X234.prod(axis=0)),
        "cumsum": (t.cumsum(axis=2), X234.cumsum(axis=2)),
        "var": (t.var(), X234.var()),
        "mean": (t.mean(axis=1), X234.mean(axis=1)),
        "trace": (t.trace(1), X234.trace(1)),
        "diagonal": (t.diagonal(), X234.diagonal()),
        "std": (t.std(axis=0), X234.std(axis=0)),
        "clip": (t.clip(-1, 1), X234.clip(-1, 1)),
        "swapaxes": (t.swapaxes(0, 2), X234.swapaxes(0, 2)),
        "reshape-order": (t.reshape(4, 6, order="F"), X234.reshape(4, 6, order="F")),
    }
    for name, (ours, theirs) in checks.items():
        np.testing.assert_array_equal(ours.value, theirs, err_msg=name)
    assert float(t[0, 1, 2]) == X234[0, 1, 2] and float(t.sum(keepdims=True)) == pytest.approx(X234.sum())
    with pytest.raises(TypeError, match="one entry"):
        float(t)
    # plain numbers, as the ndarray's (a PyTorch habit: loss.item())
    assert t[0, 1, 2].item() == X234[0, 1, 2] and t.item(5) == X234.item(5) and t.item(1, 2, 3) == X234.item(1, 2, 3)
    assert t.tolist() == X234.tolist() and int(ad.Tensor([-2.7])) == int(np.array(-2.7)) == -2  # size 1, as float(t)
    with pytest.raises((TypeError, ValueError)):
        t.item()
    with pytest.raises(TypeError, match="one entry"):
        int(t)
    # an explicit empty tuple of axes is not "no axes given": it was read as the reversal
    with pytest.raises(ValueError, match="axes don't match array"):
        t.transpose(())
    assert ad.grad(lambda z: z.transpose(()) * 3.0)(2.0) == 3.0  # a 0-d array's one permutation
    with pytest.raises(TypeError, match="reshape"):
        ad.Tensor([2.0]).reshape()  # was reshaped to ()


def test_numpy_functions_dispatch_to_autodiff_or_refuse():
    x = np.array([0.5, 1.5, -2.0])
    gradient = ad.grad(lambda t: np.sum(np.dot(X34[:, :3], t) ** 2) + np.mean(np.concatenate([t, t])))(x)
    expected = 2 * X34[:, :3].T @ (X34[:, :3] @ x) + 2 / 6
    np.testing.assert_allclose(gradient, expected, rtol=1e-14)
    t = ad.Tensor(x)
    assert np.shape(t) == (3,) and np.ndim(t) == 1 and np.size(t) == 3
    table = ad.Tensor(X234)
    assert np.size(table, 1) == 3 and np.size(table, axis=-1) == 4  # were 24: the axis was ignored
    with pytest.raises(TypeError, match="does not support ufuncs"):
        np.exp(t)
    with pytest.raises(TypeError, match="numpy.round is not differentiable"):
        np.round(t)
    with pytest.raises(TypeError, match="not converted to an ndarray"):
        np.asarray(t)


def test_augmented_assignment_onto_an_ndarray_is_refused_and_the_spelled_out_sum_works():
    def in_place(t):
        total = np.zeros(3)
        total += ad.exp(t)  # would have to write a Tensor into an ndarray
        return ad.sum(total)

    def spelled_out(t):
        total = np.zeros(3)
        total = total + ad.exp(t)
        return ad.sum(total)

    with pytest.raises(TypeError, match="does not support ufuncs"):
        ad.grad(in_place)(np.zeros(3))
    np.testing.assert_allclose(ad.grad(spelled_out)(np.zeros(3)), np.ones(3))


def _namesake(name):
    """The NumPy or SciPy function that an autodiff function is named after, or None."""
    for namespace in (np, np.linalg, scipy.special):
        candidate = getattr(namespace, name, None)
        if callable(candidate) and not isinstance(candidate, np.ufunc):
            return candidate
    return None


def _signature(function):
    import inspect

    target = function.forward if isinstance(function, ad.Primitive) else function
    try:
        return inspect.signature(target).parameters
    except (TypeError, ValueError):
        return None


def test_every_namesake_default_is_numpys_or_the_keyword_is_refused():
    """Same defaults as NumPy/SciPy for every keyword both take (diagonal's axes were
    (-2, -1), NumPy's are (0, 1)); a keyword only NumPy takes is not in the signature,
    so Python or the primitive refuses it before anything is computed."""
    import inspect

    compared = 0
    for name in ad.__all__:
        theirs = _namesake(name)
        ours = _signature(getattr(ad, name))
        if theirs is None or ours is None or _signature(theirs) is None:
            continue
        for parameter in _signature(theirs).values():
            default = parameter.default
            if default is inspect.Parameter.empty or repr(default) == "<no value>":
                continue
            if parameter.name in ours:
                assert ours[parameter.name].default == default, f"{name}({parameter.name}=...) default"
                compared += 1
    assert compared >= 40


def test_every_namesake_takes_its_positional_arguments_in_numpys_order():
    """A positional argument means what it means for NumPy/SciPy: logsumexp(a, 0, w)
    was read as keepdims=w where SciPy reads it as weights b."""
    import inspect

    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    compared = 0
    for name in ad.__all__:
        theirs, ours = _namesake(name), _signature(getattr(ad, name))
        if theirs is None or ours is None or _signature(theirs) is None:
            continue
        mine = [p.name for p in ours.values() if p.kind in positional]
        numpys = [p.name for p in _signature(theirs).values() if p.kind in positional]
        common = min(len(mine), len(numpys))
        if name != "matmul":  # np.matmul is a ufunc: its third positional is out=, refused here
            assert mine[:common] == numpys[:common], name
        compared += 1
    assert compared >= 35


def _tanh_vjp_unblocked(g, t, x):
    """The tanh rule in one pass over whole arrays, as it was before it ran in blocks."""
    derivative = 1.0 - t * t
    tails = derivative < 2.2e-4
    e = np.exp(-2.0 * np.abs(x[tails]))
    derivative[tails] = 4.0 * e / (1.0 + e) ** 2
    product = derivative * g
    return np.where(np.isnan(product) & (g == 0), 0.0, product)


@pytest.mark.parametrize("scale", [0.5, 1.7, 6.0, 30.0])  # no tails, a few per block, many, nearly all
def test_tanh_rule_in_blocks_gives_the_unblocked_products_bit_for_bit(scale):
    rng = np.random.default_rng(int(scale * 10))
    x = scale * rng.normal(size=(2500, 40))  # 100,000 entries: more than one block, the last partial
    assert x.size > rules._BLOCK_ENTRIES and x.size % rules._BLOCK_ENTRIES
    x[7, 3], x[2000, 0] = np.nan, np.nan  # a NaN x: the strong zero where its cotangent is 0
    g = rng.normal(size=x.shape)
    g[7, 3] = 0.0
    t = np.tanh(x)
    cube = x.reshape(50, 40, 50).transpose(2, 0, 1)  # memory in neither C nor F order
    cases = [(g, t, x), (g.T, t.T, x.T), (np.broadcast_to(-0.5, x.shape), t, x), (g[5], t[5], x[5]),
             (g.reshape(cube.shape), np.tanh(cube), cube)]
    for g_, t_, x_ in cases:
        expected = _tanh_vjp_unblocked(g_, t_, x_)
        ours = ad.tanh.vjps[0](g_, t_, x_)
        np.testing.assert_array_equal(ours, expected)
        assert ours.strides == t_.strides  # t's layout, as an unblocked product would have:
        # a later sum over it then adds in the same order
        owned = np.array(np.broadcast_to(g_, t_.shape), order="C")  # as the backward pass would own it
        in_place = ad.tanh.in_place_vjps[0](owned, t_, x_)
        np.testing.assert_array_equal(in_place, expected)
        assert in_place.strides == t_.strides and (in_place is owned) == (owned.strides == t_.strides)
    assert ad.tanh.vjps[0](np.float64(2.0), np.tanh(30.0), np.array(30.0)).shape == ()
    assert ad.tanh.vjps[0](np.ones((0, 3)), np.ones((0, 3)), np.ones((0, 3))).shape == (0, 3)


def test_tanh_derivative_stays_accurate_across_blocks():
    # the accuracy test above, on an input long enough to be split into blocks
    base = np.linspace(-25, 25, 1001)
    with mpmath.workdps(40):
        exact = np.array([float(1 / mpmath.cosh(mpmath.mpf(v)) ** 2) for v in base])
    gradient = ad.grad(lambda t: ad.sum(ad.tanh(t)))(np.tile(base, 90).reshape(90, 1001))
    np.testing.assert_allclose(gradient, np.broadcast_to(exact, (90, 1001)), rtol=1e-12)


# ---------------------------------------------------------------------------
# A user's audit: each of these failed before its fix
# ---------------------------------------------------------------------------


def test_positive_definite_solve_of_a_batch_with_one_vector():
    rng = np.random.default_rng(11)
    factors = rng.normal(size=(2, 3, 3))
    spd = factors @ np.swapaxes(factors, -1, -2) + 3 * np.eye(3)
    b = rng.normal(size=3)
    ours = ad.solve(ad.Tensor(spd), b, assume_a="pos").value
    assert ours.shape == (2, 3)
    np.testing.assert_allclose(ours, np.linalg.solve(spd, b), rtol=1e-13)
    weights = rng.normal(size=(2, 3))
    gradient = ad.grad(lambda v: ad.sum(weights * ad.solve(spd, v, assume_a="pos")))(b)
    numerical = numerical_gradient(lambda v: np.sum(weights * np.linalg.solve(spd, v)), b, method="richardson")
    np.testing.assert_allclose(gradient, numerical, rtol=1e-9)


def test_numpy_functions_dispatch_only_to_namesakes_of_the_same_meaning():
    x = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(np.trace(ad.Tensor(x)).value, np.trace(x))  # axes (0, 1)
    for linalg_function in (np.linalg.trace, np.linalg.diagonal, np.linalg.norm):  # the last two axes, or no rule
        with pytest.raises(TypeError, match=f"numpy.linalg.{linalg_function.__name__} is not differentiable"):
            linalg_function(ad.Tensor(x))
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    np.testing.assert_allclose(np.linalg.solve(ad.Tensor(a), np.ones(2)).value, np.linalg.solve(a, np.ones(2)))
    # by hand: [[4, 2], [2, 2]] = L Lᵀ with L = [[2, 0], [1, 1]]; a⁻¹ = [[3, −1], [−1, 2]] / 5
    np.testing.assert_array_equal(np.linalg.cholesky(ad.Tensor([[4.0, 2.0], [2.0, 2.0]])).value, [[2, 0], [1, 1]])
    np.testing.assert_allclose(np.linalg.inv(ad.Tensor(a)).value, [[0.6, -0.2], [-0.2, 0.4]], rtol=1e-15)
    result = ad.slogdet(ad.Tensor(a))
    assert result.sign == 1.0 and float(result.logabsdet) == pytest.approx(np.log(5.0), rel=1e-15)


def test_reductions_of_empty_and_zero_dimensional_arrays_have_gradients():
    np.testing.assert_array_equal(ad.grad(lambda z: ad.prod(z))(np.zeros((0, 3))), np.zeros((0, 3)))
    np.testing.assert_array_equal(ad.grad(lambda z: ad.sum(ad.prod(z, axis=1)))(np.zeros((2, 0))), np.zeros((2, 0)))
    scalar = np.array(2.0)
    for function in (ad.logsumexp, lambda z: ad.sum(ad.softmax(z)), lambda z: ad.sum(ad.log_softmax(z))):
        assert np.isfinite(ad.grad(function)(scalar))
    assert ad.grad(ad.logsumexp)(scalar) == 1.0
    for reduction in (ad.sum, ad.max, ad.prod, ad.logsumexp):
        for axis in (0, -1):  # NumPy's reductions allow these on a 0-d array
            assert ad.grad(lambda z: reduction(z, axis=axis))(scalar) == 1.0
    with pytest.raises(np.exceptions.AxisError):
        ad.mean(ad.Tensor(scalar), axis=0)  # as np.mean


def test_gradients_at_infinite_inputs_are_the_limits():
    with np.errstate(invalid="ignore"):
        assert ad.grad(lambda z: ad.sum(ad.softplus(z)))(np.array([np.inf]))[0] == 1.0
        assert ad.grad(lambda z: ad.sum(ad.log_sigmoid(z)))(np.array([-np.inf]))[0] == 1.0
        gz, g0 = ad.grad(lambda z, w: ad.sum(ad.logaddexp(z, w)), (0, 1))(np.array([np.inf]), np.array([0.0]))
        assert (gz[0], g0[0]) == (1.0, 0.0)
        both = ad.grad(lambda z, w: ad.sum(ad.logaddexp(z, w)), (0, 1))(np.array([np.inf]), np.array([np.inf]))
        assert (both[0][0], both[1][0]) == (0.5, 0.5)  # a tie, shared as maximum's
        np.testing.assert_array_equal(ad.grad(ad.logsumexp)(np.array([np.inf, 0.0])), [1.0, 0.0])
        np.testing.assert_array_equal(ad.grad(ad.logsumexp)(np.array([np.inf, np.inf, 0.0])), [0.5, 0.5, 0.0])
        np.testing.assert_array_equal(ad.grad(ad.logsumexp)(np.full(4, -np.inf)), np.full(4, 0.25))
        rows = np.array([[np.inf, 1.0], [0.0, 1.0]])
        expected = np.array([[1.0, 0.0], scipy.special.softmax([0.0, 1.0])])
        np.testing.assert_allclose(ad.grad(lambda z: ad.sum(ad.logsumexp(z, axis=1)))(rows), expected, rtol=1e-15)
        # a NaN input still gives NaN
        assert np.isnan(ad.grad(lambda z: ad.sum(ad.softplus(z)))(np.array([np.nan]))[0])


def test_logsumexp_weights_at_huge_values_sum_to_one():
    """The weights e^(a − ans) carried ans's rounding error: at a = (1e15, 1e15) they
    were 0.47 each (sum 0.94), at 1e17 1 each (sum 2). Rows with |ans| < 2^12 keep
    the old formula's bits."""
    for value in (5e3, 1e15, 1e17, -1e300):
        np.testing.assert_array_equal(ad.grad(ad.logsumexp)(np.array([value, value])), [0.5, 0.5])
    rows = np.array([[1e15, 1e15, 1e15 - 3.0], [1.0, 2.0, 3.0], [np.inf, np.inf, 0.0], [-np.inf] * 3])
    with np.errstate(invalid="ignore"):
        gradient = ad.grad(lambda z: ad.sum(ad.logsumexp(z, axis=1)))(rows)
    expected = np.exp(np.array([0.0, 0.0, -3.0]) - scipy.special.logsumexp([0.0, 0.0, -3.0]))
    np.testing.assert_allclose(gradient[0], expected, rtol=1e-15)
    np.testing.assert_array_equal(gradient[1], np.exp(rows[1] - ad.logsumexp(rows[1])))  # bits as before
    np.testing.assert_array_equal(gradient[2:], [[0.5, 0.5, 0.0], [1 / 3] * 3])
    assert np.sum(ad.grad(lambda z: ad.sum(ad.log_softmax(z)[0]))(np.array([4e15, 4e15]))) == 0.0


def test_logaddexp_weights_at_huge_values_are_exact():
    """e^(x − ans) carried ans's rounding: at x = y = 1e300 both weights were 1, at
    4e15 both 0.61. Beyond |ans| ≥ 2^12 they are σ(x − y); below, bits as before."""
    both = ad.grad(lambda a, b: ad.logaddexp(a, b), (0, 1))
    for value in (4e15, 1e300, -1e300):
        assert both(value, value) == (0.5, 0.5)
    x, y = np.array([1e17, 1e17 + 64.0, 7e3, 1.0]), np.array([1e17 + 64.0, 1e17, 7e3 - 2.0, 2.0])
    gx, gy = ad.grad(lambda a, b: ad.sum(ad.logaddexp(a, b)), (0, 1))(x, y)
    np.testing.assert_allclose(gx, scipy.special.expit(x - y), rtol=1e-15)
    np.testing.assert_allclose(gx + gy, 1.0, rtol=1e-15)
    assert gx[3] == np.exp(1.0 - ad.logaddexp(1.0, 2.0))  # bits as before
    assert both(np.inf, 3e5) == (1.0, 0.0) and both(-np.inf, -np.inf) == (0.5, 0.5)


def test_logaddexp_weight_of_minus_infinity_beside_a_tie_of_infinities():
    """The tie of +∞ in one entry (e^(∞ − ∞), fixed up to ½ each) must leave another
    entry's −∞ alone: ∂/∂x log(eˣ + e⁰) = σ(x) → 0 as x → −∞, and ∂/∂y = σ(−x) → 1."""
    x, y = np.array([np.inf, -np.inf]), np.array([np.inf, 0.0])
    with np.errstate(invalid="ignore"):
        gx, gy = ad.grad(lambda a, b: ad.sum(ad.logaddexp(a, b)), (0, 1))(x, y)
    np.testing.assert_array_equal(gx, [0.5, 0.0])
    np.testing.assert_array_equal(gy, [0.5, 1.0])


def test_xlogy_derivative_in_y_where_x_is_zero_is_zero_also_at_y_zero():
    # the oracle: SciPy's xlogy(0, y) is 0 for every y (y = 0 and y < 0 too), so its
    # central difference in y is 0; x/y would be 0/0 at y = 0
    x, y = np.zeros(3), np.array([0.0, 1e-300, 2.0])
    gradient = ad.grad(lambda b: ad.sum(ad.xlogy(x, b)))(y)
    np.testing.assert_array_equal(gradient, numerical_gradient(lambda b: np.sum(scipy.special.xlogy(x, b)), y))
    np.testing.assert_array_equal(gradient, [0.0, 0.0, 0.0])


def test_xlogy_derivative_in_y_at_x_zero_and_y_nan_is_nan_like_its_value():
    """SciPy's xlogy(0, NaN) is NaN (no number to differentiate), so ∂/∂y there is NaN,
    not the strong zero of x = 0 at numeric y."""
    x, y = np.zeros(2), np.array([np.nan, 2.0])
    assert np.isnan(scipy.special.xlogy(0.0, np.nan))
    with np.errstate(invalid="ignore"):
        value, gradient = ad.value_and_grad(lambda b: ad.xlogy(x, b)[0])(y)
    assert np.isnan(value)
    np.testing.assert_array_equal(gradient, [np.nan, 0.0])


def test_log_sigmoid_takes_what_the_other_elementwise_functions_take():
    expected = -np.logaddexp(0.0, -np.array([1.0, 0.0, -2.0]))
    np.testing.assert_array_equal(ad.log_sigmoid([1, 0, -2]), expected)  # was TypeError
    np.testing.assert_array_equal(ad.log_sigmoid(np.array([True, False])), expected[:2])
    assert ad.log_sigmoid(1.0) == expected[0]
    assert ad.log_sigmoid(True) == expected[0]  # a Python bool, as NumPy takes it


def test_softmax_and_log_softmax_at_huge_logits_are_scipys():
    """x − logsumexp(x) kept logsumexp's rounding: softmax((1e15, 1e15)) was 0.47 each."""
    for x in (np.array([1e15, 1e15]), np.array([[1e15, 1e15 - 2.0, -np.inf], [5e3, 5e3 + 1.0, 5e3 - 40.0]])):
        np.testing.assert_allclose(ad.softmax(x, axis=-1), scipy.special.softmax(x, axis=-1), rtol=1e-14, atol=0)
        np.testing.assert_allclose(ad.log_softmax(x, axis=-1), scipy.special.log_softmax(x, axis=-1), rtol=1e-15)
        weights = np.arange(x.size, dtype=float).reshape(x.shape)
        gradient = ad.grad(lambda z: ad.sum(weights * ad.softmax(z, axis=-1)))(x)
        p = scipy.special.softmax(x, axis=-1)
        expected = p * (weights - np.sum(weights * p, axis=-1, keepdims=True))
        np.testing.assert_allclose(gradient, expected, rtol=1e-12, atol=1e-300)
    np.testing.assert_array_equal(ad.softmax([1e15, 1e15]), [0.5, 0.5])


def test_softmax_with_an_infinite_entry_is_exp_of_scipys_log_softmax():
    """The documented difference from SciPy: log_softmax agrees with SciPy's at ±∞;
    softmax is its exp, NaN at a +∞ entry and 0 at the finite ones (SciPy: all NaN)."""
    with np.errstate(invalid="ignore"):
        for x in ([np.inf, 0.0], [-np.inf, 0.0], [np.inf, np.inf, 1.0], [-np.inf, -np.inf]):
            np.testing.assert_array_equal(ad.log_softmax(x), scipy.special.log_softmax(x))
            np.testing.assert_array_equal(ad.softmax(x), np.exp(scipy.special.log_softmax(x)))
        np.testing.assert_array_equal(ad.softmax([np.inf, 0.0]), [np.nan, 0.0])


def test_log_softmax_near_zero_keeps_its_relative_accuracy():
    """Unshifted, logsumexp(x) ≈ 1000 was rounded to an ulp of 1000 (1e-13), and the
    largest entry's log-softmax, −1.398e-11, kept that error: 1.4e-4 relative."""
    x = [1000.0, 975.0, 970.0, -3.0]
    with mpmath.workdps(50):
        exact = [float(mpmath.mpf(v) - mpmath.log(mpmath.fsum(mpmath.exp(u) for u in x))) for v in x]
    np.testing.assert_allclose(ad.log_softmax(x), exact, rtol=4e-16)


def test_std_at_zero_variance_has_the_central_difference_gradient():
    x = np.full(4, 1.5)
    np.testing.assert_array_equal(ad.grad(ad.std)(x), np.zeros(4))
    np.testing.assert_array_equal(ad.grad(lambda z: ad.sum(ad.std(z, axis=0)))(np.ones((1, 3))), np.zeros((1, 3)))
    central = numerical_gradient(lambda v: float(np.std(v)), x, method="central")
    np.testing.assert_allclose(central, 0.0, atol=1e-12)
    y = np.random.default_rng(3).normal(size=(3, 4))
    np.testing.assert_allclose(
        ad.grad(lambda z: ad.sum(ad.std(z, axis=1, ddof=1)))(y),
        numerical_gradient(lambda v: float(np.sum(np.std(v, axis=1, ddof=1))), y, method="richardson"),
        rtol=1e-9,
    )
    assert np.isnan(float(ad.std(ad.Tensor([1.0, np.nan]))))


def test_tensors_iterate_and_have_truth_values_as_ndarrays_do():
    with pytest.raises(TypeError, match="0-d"):
        list(ad.Tensor(5.0))
    rows = list(ad.Tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert len(rows) == 2 and isinstance(rows[1], ad.Tensor)
    np.testing.assert_array_equal(rows[1].value, [3.0, 4.0])
    assert ad.grad(lambda z: sum(v * v for v in z))(np.array([1.0, 2.0])).tolist() == [2.0, 4.0]
    assert not ad.Tensor([0.0]) and not ad.Tensor(0.0) and ad.Tensor(2.0)
    with pytest.raises(ValueError, match="ambiguous"):
        bool(ad.Tensor([1.0, 2.0]))
    table = ad.Tensor([[1.0, 2.0], [3.0, 4.0]])  # `in` asks (value == entry).any(), as for an ndarray
    assert 2.0 in table and [3.0, 4.0] in table and ad.Tensor(4.0) in table and 5.0 not in table


def test_bad_axes_and_results_are_refused_as_numpy_would():
    t = ad.Tensor(np.ones((2, 3)))
    for call in (lambda: t.mean(axis=5), lambda: ad.var(t, axis=2), lambda: ad.swapaxes(t, 0, 3),
                 lambda: ad.repeat(t, 2, axis=2), lambda: t.repeat(2, -3),  # repeat wrapped them round
                 lambda: ad.repeat(ad.Tensor(2.0), 3, axis=1)):  # a 0-d array is repeated as a 1-d one
        with pytest.raises(np.exceptions.AxisError):
            call()
    for call in (lambda: ad.mean(t, axis=1.5), lambda: ad.repeat(t, 2, axis=1.0), lambda: ad.swapaxes(t, (0,), 1)):
        with pytest.raises(TypeError):
            call()
    with pytest.raises(TypeError, match="must return a scalar"):
        ad.grad(lambda z: None)(np.ones(2))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's "degrees of freedom <= 0"
def test_var_and_std_with_ddof_beyond_the_count_are_numpys():
    """n − ddof ≤ 0 divides by max(n − ddof, 0) = 0, as NumPy does: ∞ for a spread, not
    the sum of squares over a negative count (a negative variance, and a NaN std)."""
    x = np.arange(6.0).reshape(2, 3)
    for ddof in (3, 5):
        np.testing.assert_array_equal(ad.var(x, axis=1, ddof=ddof), np.var(x, axis=1, ddof=ddof))
        np.testing.assert_array_equal(ad.std(x, ddof=ddof), np.std(x, ddof=ddof))


def test_log_softmax_of_an_empty_slice_is_empty():
    """A slice of no entries has no log-probabilities: the result (and the gradient) is
    empty, as exp of an empty array is. SciPy raises here (its shift is the max of no
    entries); the shift is skipped for an empty array."""
    for x, axis in ((np.zeros((3, 0)), 1), (np.zeros(0), None)):
        assert ad.log_softmax(x, axis=axis).shape == x.shape and ad.softmax(x, axis=axis).shape == x.shape
        assert ad.grad(lambda t: ad.sum(ad.log_softmax(t, axis=axis)))(x).shape == x.shape


def test_log_softmax_of_infinite_logits_is_scipys():
    """The shift is the largest entry only where it is finite (0 elsewhere): shifted by
    +∞, a row holding +∞ was NaN throughout; SciPy's is (NaN, −∞)."""
    x = np.array([[np.inf, 1.0, -np.inf], [-np.inf, -np.inf, -np.inf], [2.0, -np.inf, 0.5]])
    with np.errstate(invalid="ignore"):
        for axis in (1, None):
            np.testing.assert_allclose(ad.log_softmax(x, axis=axis), scipy.special.log_softmax(x, axis=axis), rtol=1e-15)
