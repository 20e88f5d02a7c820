"""numerics: naive formulas agree in the safe range; known limits hold at the extremes."""

import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.special

from vi_ref import numerics
from vi_ref.estimators import mean_and_standard_error

SAFE = np.linspace(-30.0, 30.0, 601)
EXTREMES = np.array([-1e300, -1e20, -800.0, -40.0, 40.0, 800.0, 1e20, 1e300])


# ----- logsumexp --------------------------------------------------------------


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_matches_naive_formula_and_scipy(axis, keepdims):
    a = np.random.default_rng(0).normal(size=(3, 4, 5)) * 5
    naive = np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims))
    result = numerics.logsumexp(a, axis=axis, keepdims=keepdims)
    assert np.shape(result) == np.shape(naive)
    np.testing.assert_allclose(result, naive, rtol=1e-14)
    np.testing.assert_allclose(result, scipy.special.logsumexp(a, axis=axis, keepdims=keepdims), rtol=1e-14)


def test_logsumexp_limits():
    inf = np.inf
    assert numerics.logsumexp([-inf, -inf]) == -inf
    assert numerics.logsumexp([inf, 1.0]) == inf
    assert numerics.logsumexp([inf, -inf]) == inf
    assert np.isnan(numerics.logsumexp([np.nan, 1.0]))
    assert numerics.logsumexp([]) == -inf
    assert numerics.logsumexp([1e300, 1e300]) == 1e300
    assert numerics.logsumexp([-1e300, 1e300]) == 1e300
    assert numerics.logsumexp([-1e300, -1e300]) == -1e300
    assert numerics.logsumexp([1000.0, 1000.0]) == pytest.approx(1000 + np.log(2), rel=1e-15)
    rows = numerics.logsumexp(np.array([[-inf, -inf], [0.0, -inf]]), axis=1)
    np.testing.assert_array_equal(rows, [-inf, 0.0])


def test_logsumexp_keeps_relative_accuracy_when_the_result_is_near_zero():
    # log(1 + δ) for a tiny δ: the largest term is kept out of the sum and log1p sees δ
    assert numerics.logsumexp([0.0, -40.0]) == pytest.approx(np.log1p(np.exp(-40.0)), rel=1e-15)
    assert numerics.logsumexp([-50.0, 1e-20]) == pytest.approx(1e-20 + np.log1p(np.exp(-50.0 - 1e-20)), rel=1e-15)
    rows = numerics.logsumexp(np.array([[0.0, -40.0, -40.0], [0.0, 0.0, -40.0]]), axis=-1)
    np.testing.assert_allclose(rows, [np.log1p(2 * np.exp(-40.0)), np.log(2 + np.exp(-40.0))], rtol=1e-15)


def test_logsumexp_returns_numpy_scalar_for_full_reduction():
    assert np.ndim(numerics.logsumexp(np.ones((2, 2)))) == 0


@pytest.mark.parametrize("axis, keepdims", [(0, False), (1, False), (0, True), (-1, True)])
def test_logsumexp_of_an_empty_array_is_minus_infinity_in_the_reduced_shape(axis, keepdims):
    """An empty sum is 0 and its log −∞, one per reduced row: (0, 3) summed along
    axis 0 gives three −∞, along axis 1 no entry at all; SciPy's shapes and values."""
    empty = np.zeros((0, 3))
    result = numerics.logsumexp(empty, axis=axis, keepdims=keepdims)
    expected = scipy.special.logsumexp(empty, axis=axis, keepdims=keepdims)
    assert np.shape(result) == np.shape(expected)
    np.testing.assert_array_equal(result, expected)


def test_logsumexp_refuses_an_axis_beyond_the_last_by_name():
    with pytest.raises(ValueError, match=r"axis must be < a.ndim = 2; got 2"):
        numerics.logsumexp(np.ones((2, 3)), axis=2)
    with pytest.raises(ValueError, match=r"axis must be < a.ndim = 2; got \(0, 2\)"):
        numerics.logsumexp(np.ones((2, 3)), axis=(0, 2))


# ----- softplus family ----------------------------------------------------------


def test_softplus_matches_naive_formula():
    np.testing.assert_allclose(numerics.softplus(SAFE), np.log1p(np.exp(SAFE)), rtol=1e-14)


def test_softplus_extremes():
    result = numerics.softplus(EXTREMES)
    assert np.all(np.isfinite(result))
    big = EXTREMES > 30
    np.testing.assert_array_equal(result[big], EXTREMES[big])  # softplus(x) = x + e^(−x)
    np.testing.assert_allclose(result[EXTREMES == -40.0], np.exp(-40.0), rtol=1e-14)
    assert np.all(result[EXTREMES < -700] == 0.0)  # e^x underflows below the smallest subnormal


def test_inv_softplus_inverts_softplus_everywhere():
    y = np.concatenate([np.geomspace(1e-300, 1e300, 200)])
    np.testing.assert_allclose(numerics.softplus(numerics.inv_softplus(y)), y, rtol=1e-13)
    np.testing.assert_allclose(numerics.inv_softplus(numerics.softplus(SAFE)), SAFE, rtol=1e-9, atol=1e-12)


def test_inv_softplus_matches_naive_and_limits():
    y = np.linspace(0.01, 30, 300)
    np.testing.assert_allclose(numerics.inv_softplus(y), np.log(np.expm1(y)), rtol=1e-13)
    assert numerics.inv_softplus(1e300) == 1e300
    assert numerics.inv_softplus(1e-300) == pytest.approx(np.log(1e-300), rel=1e-15)


def test_inv_softplus_refuses_non_positive():
    with pytest.raises(ValueError, match="y must be positive"):
        numerics.inv_softplus([1.0, 0.0])


def test_log1mexp_matches_naive_formula():
    # the naive formula is itself accurate only where 1 − e^(−|x|) is not tiny or close to 1
    x = np.concatenate([-np.geomspace(1e-3, 5, 100), np.geomspace(1e-3, 5, 100)])
    np.testing.assert_allclose(numerics.log1mexp(x), np.log(1 - np.exp(-np.abs(x))), rtol=1e-10)


def test_log1mexp_is_accurate_where_naive_formula_fails():
    tiny = np.array([1e-20, 1e-300])
    np.testing.assert_allclose(numerics.log1mexp(tiny), np.log(tiny), rtol=1e-15)
    np.testing.assert_allclose(numerics.log1mexp(-tiny), np.log(tiny), rtol=1e-15)
    np.testing.assert_allclose(numerics.log1mexp(40.0), -np.exp(-40.0), rtol=1e-15)
    assert numerics.log1mexp(0.0) == -np.inf
    np.testing.assert_array_equal(numerics.log1mexp(np.array([1e300, -1e300])), [0.0, 0.0])


def test_log_sigmoid_and_sigmoid():
    # the naive formula loses relative accuracy for large x, where log σ(x) ≈ −e^(−x)
    x = np.linspace(-30, 5, 351)
    np.testing.assert_allclose(numerics.log_sigmoid(x), np.log(1 / (1 + np.exp(-x))), rtol=1e-13)
    np.testing.assert_allclose(numerics.log_sigmoid(40.0), -np.exp(-40.0), rtol=1e-15)
    np.testing.assert_allclose(numerics.sigmoid(SAFE), 1 / (1 + np.exp(-SAFE)), rtol=1e-14)
    np.testing.assert_array_equal(numerics.log_sigmoid(np.array([-1e300, 1e300])), [-1e300, 0.0])
    assert numerics.log_sigmoid(-800.0) == -800.0


@pytest.mark.parametrize(
    "function",
    [
        numerics.softplus,
        numerics.log1mexp,
        numerics.log_sigmoid,
        numerics.sigmoid,
        lambda x: numerics.inv_softplus(np.abs(x) + 1e-300),
        lambda x: numerics.logsumexp(np.stack([x, -x, np.zeros_like(x)]), axis=0),
    ],
    ids=["softplus", "log1mexp", "log_sigmoid", "sigmoid", "inv_softplus", "logsumexp"],
)
def test_no_warnings_or_nans_over_the_whole_range(function):
    x = np.concatenate([-np.geomspace(1e-300, 1e300, 301), [0.0], np.geomspace(1e-300, 1e300, 301)])
    with np.errstate(all="raise", under="ignore"):
        result = function(x)
    assert not np.any(np.isnan(result))


@pytest.mark.parametrize("function", [numerics.softplus, numerics.logsumexp, numerics.log1mexp])
def test_refuses_non_numeric_input(function):
    with pytest.raises(TypeError, match="must be real numbers"):
        function("abc")


# ----- Cholesky helpers ------------------------------------------------------------


def _spd(rng, size, batch=()):
    a = rng.normal(size=batch + (size, size))
    return a @ np.swapaxes(a, -1, -2) + size * np.eye(size)


def test_cholesky_and_log_det_match_scipy():
    rng = np.random.default_rng(1)
    matrices = _spd(rng, 4, (3,))
    factors = numerics.cholesky(matrices, "covariance")
    np.testing.assert_allclose(factors @ np.swapaxes(factors, -1, -2), matrices, rtol=1e-13)
    expected = [np.linalg.slogdet(m)[1] for m in matrices]
    np.testing.assert_allclose(numerics.log_det_from_cholesky(factors), expected, rtol=1e-13)


@pytest.mark.parametrize(
    "matrix, message",
    [
        (np.ones((2, 3)), "covariance must be square"),
        (np.array([[1.0, 0.5], [0.0, 1.0]]), "covariance must be symmetric"),
        (np.array([[1.0, 2.0], [2.0, 1.0]]), "covariance must be positive definite"),
        (np.array([[1.0, np.nan], [np.nan, 1.0]]), "covariance must be finite"),
        (np.ones(3), "covariance must have at least 2 dimension"),
    ],
)
def test_cholesky_refuses_invalid_matrices(matrix, message):
    with pytest.raises(ValueError, match=message):
        numerics.cholesky(matrix, "covariance")



def test_cholesky_symmetry_tolerance_is_relative_to_the_largest_entry():
    # symmetry_rtol = 1e-10 of max|A|: at scale 1e6 an asymmetry of 1e-7 (5e-14 relative,
    # rounding) is accepted; at scale 1e-12 an asymmetry of 5e-13 (25 % relative) is not
    spd = np.array([[2.0, 1.0], [1.0, 2.0]])
    factor = numerics.cholesky(1e6 * spd + [[0.0, 1e-7], [0.0, 0.0]], "covariance")
    np.testing.assert_allclose(factor @ factor.T, 1e6 * spd, rtol=1e-15)
    with pytest.raises(ValueError, match="covariance must be symmetric"):
        numerics.cholesky(1e-12 * np.array([[2.0, 1.0], [0.5, 2.0]]), "covariance")


def test_cholesky_symmetry_tolerance_is_1e_10_of_the_largest_entry_by_default():
    """|A − Aᵀ| = 2e-8 beside entries of 2 (1e-8 relative) is a wrong matrix, not
    rounding; 2e-11 (1e-11 relative) is accepted and read from the lower triangle."""
    spd = np.array([[2.0, 1.0], [1.0, 2.0]])
    with pytest.raises(ValueError, match="covariance must be symmetric"):
        numerics.cholesky(spd + [[0.0, 2e-8], [0.0, 0.0]], "covariance")
    factor = numerics.cholesky(spd + [[0.0, 2e-11], [0.0, 0.0]], "covariance")
    np.testing.assert_allclose(factor @ factor.T, spd, rtol=1e-15)


def test_cholesky_symmetry_tolerance_is_relative_to_each_matrix_of_a_batch():
    """A batch of a matrix at scale 1e6 and one at scale 1e-6 whose asymmetry is 25 %
    of its own entries: refused, naming the second, although 5e-7 is far below 1e-10
    of the batch's largest entry."""
    spd = np.array([[2.0, 1.0], [1.0, 2.0]])
    batch = np.stack([1e6 * spd, 1e-6 * np.array([[2.0, 1.0], [0.5, 2.0]])])
    with pytest.raises(ValueError, match=r"covariance must be symmetric.* at index 1"):
        numerics.cholesky(batch, "covariance")


def test_cholesky_of_an_empty_matrix_is_empty():
    # D = 0 is a valid (if degenerate) dimension: log det of the empty matrix is 0
    factor = numerics.cholesky(np.zeros((2, 0, 0)), "covariance")
    assert factor.shape == (2, 0, 0)
    np.testing.assert_array_equal(numerics.log_det_from_cholesky(factor), [0.0, 0.0])


def test_check_scale_tril():
    good = np.array([[2.0, 0.0], [0.3, 1.0]])
    np.testing.assert_array_equal(numerics.check_scale_tril(good), good)
    with pytest.raises(ValueError, match="lower triangular"):
        numerics.check_scale_tril(good.T)
    with pytest.raises(ValueError, match="diagonal of scale_tril must be positive"):
        numerics.check_scale_tril(np.array([[1.0, 0.0], [0.3, -1.0]]))
    tiny = np.finfo(float).tiny
    np.testing.assert_array_equal(numerics.check_scale_tril(good * tiny), good * tiny)


def test_a_subnormal_diagonal_of_scale_tril_is_refused():
    """1/Rᵢᵢ overflowed: a MultivariateNormal's log-density at a diagonal of 5e-324 was
    NaN (∞ − ∞ in the solve), and its entropy gradient NaN beside the diagonal."""
    from vi_ref.distributions import MultivariateNormal

    factor = np.array([[1.0, 0.0, 0.0], [0.3, 5e-324, 0.0], [0.2, 0.1, 1.0]])
    with pytest.raises(ValueError, match=r"diagonal of q_scale_tril must be at least 2.2e-308.*got 5e-324 at index 1"):
        numerics.check_scale_tril(factor, "q_scale_tril")
    with pytest.raises(ValueError, match="diagonal of scale_tril must be at least"):
        MultivariateNormal(np.zeros(3), scale_tril=factor)


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("transpose", [False, True])
def test_solve_triangular_matches_scipy(lower, transpose):
    rng = np.random.default_rng(2)
    factor = np.linalg.cholesky(_spd(rng, 4))
    factor = factor if lower else factor.T
    vector, matrix, stacked = rng.normal(size=4), rng.normal(size=(4, 3)), rng.normal(size=(2, 5, 4, 3))
    for rhs in (vector, matrix):
        expected = scipy.linalg.solve_triangular(factor, rhs, lower=lower, trans=int(transpose))
        result = numerics.solve_triangular(factor, rhs, lower=lower, transpose=transpose)
        np.testing.assert_allclose(result, expected, rtol=1e-12)
    result = numerics.solve_triangular(factor, stacked, lower=lower, transpose=transpose)
    matrix_of = factor.T if transpose else factor
    np.testing.assert_allclose(matrix_of @ result, stacked, rtol=1e-11, atol=1e-12)


def test_solve_triangular_batched_factors_broadcast():
    rng = np.random.default_rng(3)
    factors = np.linalg.cholesky(_spd(rng, 3, (4,)))
    rhs = rng.normal(size=(2, 1, 3, 2))
    result = numerics.solve_triangular(factors, rhs)
    assert result.shape == (2, 4, 3, 2)
    np.testing.assert_allclose(factors @ result, np.broadcast_to(rhs, result.shape), atol=1e-12)


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("count, size, columns", [(6, 4, 3), (40, 2, 1), (3, 5, 2), (2, 16, 16)])
def test_batched_solve_triangular_matches_scipy_factor_by_factor(lower, transpose, count, size, columns):
    """Both ways of solving a batch (substitution vectorised over the batch for many
    small factors, one LAPACK call per factor otherwise) agree with SciPy's solve of
    each factor, for lower and upper factors, transposed or not. Ill-conditioned
    factors (diagonal entries from 1e-3 to 1e3) make a wrong order of the substitution
    steps or a misplaced transpose visible far above round-off."""
    rng = np.random.default_rng(size)
    factor = np.linalg.cholesky(_spd(rng, size, (count,))) * np.exp(rng.uniform(-3, 3, (count, size, 1)))
    factor = factor if lower else np.swapaxes(factor, -1, -2)
    rhs = rng.normal(size=(count, size, columns))
    result = numerics.solve_triangular(factor, rhs, lower=lower, transpose=transpose)
    for k in range(count):
        expected = scipy.linalg.solve_triangular(factor[k], rhs[k], lower=lower, trans=int(transpose))
        np.testing.assert_allclose(result[k], expected, rtol=1e-9, atol=1e-12 * np.max(np.abs(expected)))
    assert numerics._substitution_is_faster(count, size, columns) == (size < 16)  # both branches are tested


@pytest.mark.parametrize("count", [1, 8])
def test_batched_solve_triangular_refuses_a_zero_diagonal_as_scipy_does(count):
    factor = np.broadcast_to(np.eye(3), (count, 3, 3)).copy()
    factor[-1, 1, 1] = 0.0
    with pytest.raises(scipy.linalg.LinAlgError, match="singular"):
        numerics.solve_triangular(factor, np.ones((count, 3, 1)))


def test_batched_solve_triangular_propagates_non_finite_entries_without_warning():
    factor = np.broadcast_to(np.eye(2), (8, 2, 2)).copy()
    factor[3, 1, 0] = np.inf
    rhs = np.ones((8, 2, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = numerics.solve_triangular(factor, rhs)
    expected = scipy.linalg.solve_triangular(factor[3], rhs[3], lower=True, check_finite=False)
    np.testing.assert_array_equal(result[3], expected)  # 1, then 1 − ∞·1 = −∞
    np.testing.assert_array_equal(np.delete(result, 3, axis=0), 1.0)


def test_solve_triangular_of_an_empty_system_is_empty_as_scipys():
    """D = 0: SciPy returns an empty solution; the column reshape raised "cannot reshape
    array of size 0 into shape (0, newaxis)" (the autodiff's solve_triangular too)."""
    from vi_ref import autodiff as ad

    for rhs in (np.zeros(0), np.zeros((0, 2)), np.zeros((3, 0, 2))):
        solved = numerics.solve_triangular(np.zeros((0, 0)), rhs)
        assert solved.shape == rhs.shape
    assert scipy.linalg.solve_triangular(np.zeros((0, 0)), np.zeros(0)).shape == (0,)
    gradients = ad.grad(lambda L, b: ad.sum(ad.solve_triangular(L, b)), (0, 1))(np.zeros((0, 0)), np.zeros(0))
    assert [g.shape for g in gradients] == [(0, 0), (0,)]


def test_solve_triangular_refuses_mismatched_rhs():
    with pytest.raises(ValueError, match="rhs must have 3 rows"):
        numerics.solve_triangular(np.eye(3), np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"factor must be square.*\(2, 3\)"):
        numerics.solve_triangular(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match="factor must have at least 2 dimension"):
        numerics.solve_triangular(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="rhs must have at least 1 dimension"):
        numerics.solve_triangular(np.eye(3), 1.0)


@pytest.mark.parametrize("diagonal_entry", [0.0, -2.0])
def test_log_det_and_triangular_inverse_refuse_a_diagonal_that_is_not_positive(diagonal_entry):
    """A Cholesky factor has a positive diagonal: log of −2 would be NaN and 1/0 ∞."""
    factor = np.array([[1.0, 0.0], [0.5, diagonal_entry]])
    for function in (numerics.log_det_from_cholesky, numerics.lower_triangular_inverse):
        with pytest.raises(ValueError, match="the diagonal of factor must be positive"):
            function(factor)


def test_lower_triangular_inverse_solves_the_triangular_system():
    rng = np.random.default_rng(13)
    factor = np.tril(rng.standard_normal((3, 5, 5))) + 3 * np.eye(5)
    inverse = numerics.lower_triangular_inverse(factor)
    np.testing.assert_array_equal(inverse, np.tril(inverse))
    np.testing.assert_allclose(factor @ inverse, np.broadcast_to(np.eye(5), (3, 5, 5)), atol=1e-14)
    np.testing.assert_allclose(inverse, np.linalg.inv(factor), rtol=1e-13, atol=1e-15)


# ----- broadcasting --------------------------------------------------------------------


def test_sum_to_shape_is_the_adjoint_of_broadcasting():
    rng = np.random.default_rng(4)
    for shape, target in [((3, 1), (2, 3, 4)), ((), (3, 2)), ((4,), (5, 4)), ((2, 1, 3), (2, 5, 3))]:
        x, y = rng.normal(size=shape), rng.normal(size=target)
        # <broadcast(x), y> = <x, sum_to_shape(y)>
        assert np.sum(np.broadcast_to(x, target) * y) == pytest.approx(
            np.sum(x * numerics.sum_to_shape(y, shape)), rel=1e-13
        )


def test_sum_to_shape_refuses_incompatible_shapes():
    with pytest.raises(ValueError, match=r"shape \(2,\) does not broadcast to \(4,\)"):
        numerics.sum_to_shape(np.ones((3, 4)), (2,))
    with pytest.raises(ValueError, match=r"cannot sum shape \(3,\) to the larger shape \(2, 3\)"):
        numerics.sum_to_shape(np.ones(3), (2, 3))


def test_sum_to_shape_adds_in_numpys_order():
    # the leading-axis sum takes a faster loop (einsum) for C-contiguous arrays with at
    # least two kept entries; it must make NumPy's additions in NumPy's order, bit for bit
    rng = np.random.default_rng(5)
    cases = [((5000, 10), (10,)), ((400, 32), (32,)), ((300, 7, 3), (3,)), ((300, 7, 3), (7, 3)),
             ((6, 50, 4), (50, 4)), ((10, 10000), (10000,)), ((2000, 1), (1,)), ((4000,), ()),
             ((0, 5), (5,)), ((3, 0), (0,)), ((2000, 4, 6), (1, 6)), ((50, 3), (50, 3))]
    for shape, target in cases:
        scale = np.exp(3 * rng.normal(size=shape))  # magnitudes spread over 1e±8: rounding shows
        for array in (rng.normal(size=shape) * scale, np.asfortranarray(rng.normal(size=shape) * scale)):
            leading = array.ndim - len(target)
            expected = array.sum(axis=tuple(range(leading)))
            stretched = tuple(i for i, size in enumerate(target) if size == 1 and expected.shape[i] != 1)
            expected = expected.sum(axis=stretched, keepdims=True) if stretched else expected
            np.testing.assert_array_equal(numerics.sum_to_shape(array, target), expected)
    row = rng.normal(size=12)
    broadcast = np.broadcast_to(row, (3000, 12))  # a stride-0 view, as a sum's cotangent is
    np.testing.assert_array_equal(numerics.sum_to_shape(broadcast, (12,)), broadcast.sum(axis=0))


def test_standard_error_of_mean_where_the_squares_overflow():
    values = np.random.default_rng(2).standard_normal((50, 3))
    np.testing.assert_array_equal(numerics.standard_error_of_mean(values), np.std(values, axis=0, ddof=1) / np.sqrt(50))
    np.testing.assert_array_equal(numerics.standard_error_of_mean(values.T, axis=1),
                                  np.std(values, axis=0, ddof=1) / np.sqrt(50))
    for scale in (1e155, 1e200, 1e307):  # np.std squares: ∞ here (the mean-square overflows)
        expected = np.std(values, axis=0, ddof=1) / np.sqrt(50) * scale
        np.testing.assert_allclose(numerics.standard_error_of_mean(values * scale), expected, rtol=1e-14)
    assert np.isnan(numerics.standard_error_of_mean(np.array([1.0, np.inf])))  # an infinite value: no finite spread
    # the largest finite values: SE = 1.7e308 · 2/√2 / √2 = 1.7e308 (scaling by max|v| overflowed before √S)
    assert numerics.standard_error_of_mean(np.array([1.7e308, -1.7e308])) == pytest.approx(1.7e308, rel=1e-15)
    assert numerics.standard_error_of_mean(np.array([1.7e308, -1.7e308, 1.7e308]) * [1, 1, 0]) < np.inf


def test_standard_error_of_mean_where_the_squares_underflow():
    """Values below 2⁻⁴⁰⁰ have deviations whose squares underflow: the SE of
    (1e-200, 3e-200) was 0; the oracle is the exact rational SE, rounded once."""
    from fractions import Fraction

    for column in ([1e-200, 3e-200], [2e-300, -5e-300, 7e-301], [1e-130, 4e-130, -2e-130, 0.0]):
        exact = [Fraction(v) for v in column]
        mean = sum(exact) / len(exact)
        variance = sum((v - mean) ** 2 for v in exact) / (len(exact) - 1) / len(exact)
        expected = float(np.sqrt(float(variance * Fraction(2) ** 1000))) * 2.0**-500
        np.testing.assert_allclose(numerics.standard_error_of_mean(column), expected, rtol=1e-15)
    assert numerics.standard_error_of_mean([0.0, 0.0]) == 0.0  # no spread, not rescaled


def test_sample_mean_where_the_sum_overflows():
    """Finite values near the float limit have a finite mean although their sum is
    ∞; the oracle is the exact rational mean, rounded once."""
    from fractions import Fraction

    values = np.array([[1.7e308, 1.0], [1.7e308, 2.0], [1.6e308, 4.0], [-1.0e308, 8.0]])
    exact = [float(sum(Fraction(v) for v in column) / len(column)) for column in values.T]
    np.testing.assert_allclose(numerics.sample_mean(values), exact, rtol=4e-16)
    np.testing.assert_allclose(numerics.sample_mean(values.T, axis=1), exact, rtol=4e-16)
    assert numerics.sample_mean(np.array([1.0, np.inf])) == np.inf  # an infinite value: an infinite mean
    assert np.isnan(numerics.sample_mean(np.array([-np.inf, np.inf])))
    ordinary = np.random.default_rng(3).standard_normal((40, 2))
    np.testing.assert_array_equal(numerics.sample_mean(ordinary), np.mean(ordinary, axis=0))
    mean, error = mean_and_standard_error(values[:, 0])
    assert (mean, error) == (pytest.approx(exact[0], rel=4e-16), pytest.approx(np.ldexp(np.std(np.ldexp(values[:, 0], -600), ddof=1), 599), rel=1e-15))


@pytest.mark.parametrize("statistic", [numerics.sample_mean, numerics.standard_error_of_mean])
def test_sample_statistics_refuse_an_axis_beyond_the_last_by_name(statistic):
    with pytest.raises(ValueError, match="axis must be < values.ndim = 2; got 2"):
        statistic(np.ones((4, 3)), axis=2)


def test_gammaln_at_subnormal_arguments_is_minus_log():
    """SciPy's gammaln is ∞ for 0 < |x| < 5.6e-309 (its 1/x overflows); log |Γ(x)| is
    −log |x| there to within an ulp. Elsewhere the result is SciPy's, bit for bit."""
    mpmath = pytest.importorskip("mpmath")
    x = np.array([5e-324, -5e-324, 1e-310, -3e-309, 1.5e-308, 0.0, -2.0, 0.5, 1e300, np.nan])
    with mpmath.workdps(40):
        exact = [float(mpmath.log(abs(mpmath.gamma(mpmath.mpf(v))))) for v in x[:5]]
    np.testing.assert_allclose(numerics.gammaln(x[:5]), exact, rtol=2e-16)
    np.testing.assert_array_equal(numerics.gammaln(x[5:]), scipy.special.gammaln(x[5:]))
    assert numerics.gammaln(5e-324) == -np.log(5e-324) and np.ndim(numerics.gammaln(5e-324)) == 0
