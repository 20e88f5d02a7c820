"""gradcheck: each finite-difference method reaches its promised accuracy on smooth
functions with known gradients, wrong gradients are caught, bad input is refused."""

import numpy as np
import pytest

from vi_ref.gradcheck import (
    GradientCase,
    GradientProblem,
    assert_gradient,
    check_case,
    check_gradient,
    directional_derivative,
    numerical_gradient,
)
from vi_ref.numerics import softplus


def _smooth_functions():
    """(name, f, exact gradient, point): analytic functions written so that complex
    input propagates, with gradients derived by hand."""
    rng = np.random.default_rng(0)
    A = rng.normal(size=(5, 5))
    A = A @ A.T
    return [
        ("quadratic", lambda x: 0.5 * x @ A @ x, lambda x: A @ x, rng.normal(size=5)),
        (
            "sin-exp",
            lambda x: np.sum(np.sin(x) * np.exp(x / 3)),
            lambda x: (np.cos(x) + np.sin(x) / 3) * np.exp(x / 3),
            rng.normal(size=6) * 2,
        ),
        ("log-cosh", lambda x: np.sum(np.log(np.cosh(x))), np.tanh, rng.normal(size=(2, 3))),
        (
            "rosenbrock",
            lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2,
            lambda x: np.array(
                [-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)]
            ),
            np.array([-1.2, 1.0]),
        ),
        ("large-scale", lambda x: np.sum(np.log1p(x**2)), lambda x: 2 * x / (1 + x**2), rng.normal(size=4) * 50),
    ]


FUNCTIONS = _smooth_functions()
PROMISED = {"central": 1e-8, "richardson": 1e-10, "complex": 1e-13}


@pytest.mark.parametrize("method", sorted(PROMISED))
@pytest.mark.parametrize("name, f, gradient, x", FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_numerical_gradient_reaches_promised_accuracy(method, name, f, gradient, x):
    exact = gradient(x)
    numerical = numerical_gradient(f, x, method=method)
    relative = np.max(np.abs(numerical - exact)) / np.max(np.abs(exact))
    assert relative <= PROMISED[method]


def test_default_central_step_beats_smaller_and_larger_steps():
    # truncation error grows like h², round-off like ε/h: the default ε^(1/3) sits between
    f, gradient = np.exp, np.exp
    x = np.array(0.7)
    error = lambda step: abs(numerical_gradient(lambda v: f(v), x, step=step) - gradient(x))  # noqa: E731
    default = abs(numerical_gradient(f, x) - gradient(x))
    assert default < error(1e-3) and default < error(1e-10)


def test_step_scales_with_magnitude_of_x():
    # at |x| = 1e8 a fixed step of ε^(1/3) would be lost in rounding of x + h (the
    # negative entry: a step scaled by max(1, x) rather than max(1, |x|) is ε^(1/3) there)
    x = np.array([1e8, -1e8])
    numerical = numerical_gradient(lambda v: np.sum(v**2) / 1e8, x)
    np.testing.assert_allclose(numerical, 2 * x / 1e8, rtol=1e-8)


@pytest.mark.parametrize("method", ["central", "richardson"])
def test_differences_of_a_linear_function_are_exact(method):
    """f(x) = 2x: the difference quotient is exact when it divides by the step actually
    taken, (x + h) − (x − h) in floating point, and not by 2h (which x + h rounds:
    off by 2e-11 at x = 1e8, 2e-12 at x = 0.1)."""
    for x in (0.1, -3.7, 1e-3, 1e8, -2.5e-300):
        assert numerical_gradient(lambda v: 2.0 * v[0], np.array([x]), method=method)[0] == 2.0


def test_a_gradient_exactly_at_the_tolerance_passes():
    """A coordinate passes when |analytic − numerical| ≤ atol + rtol·|numerical|, with
    equality: an exact gradient passes at zero tolerance, and one off by exactly the
    allowance passes (the numerical gradient of 2x is exactly 2, see above)."""
    f, exact = (lambda v: 2.0 * v[0]), (lambda v: np.array([2.0]))
    x = np.array([0.1])
    assert check_gradient(f, exact, x, rtol=0.0, atol=0.0).ok
    off_by_one = lambda v: np.array([3.0])  # noqa: E731
    assert check_gradient(f, off_by_one, x, rtol=0.0, atol=1.0).ok
    assert check_gradient(f, off_by_one, x, rtol=0.5, atol=0.0).ok  # rtol times |numerical| = 2
    assert not check_gradient(f, off_by_one, x, rtol=0.0, atol=0.75).ok


def test_the_allowance_grows_with_the_numerical_gradient_only():
    """The allowance is rtol·|numerical|, not rtol times the larger of both gradients:
    a claimed 3 against the exact 2 is off by 1, beyond 0.4·2 = 0.8 (a claim that set
    its own allowance, 0.4·3 = 1.2, would pass because it is too large); and the
    allowance is the same for a negative gradient, −2 claimed as −2.5 passing at
    rtol 0.5 as 2 claimed as 2.5 does (numerical gradients of ±2x are exactly ±2)."""
    x = np.array([0.1])
    assert not check_gradient(lambda v: 2.0 * v[0], lambda v: np.array([3.0]), x, rtol=0.4, atol=0.0).ok
    for sign in (1.0, -1.0):
        result = check_gradient(lambda v: sign * 2.0 * v[0], lambda v: np.array([sign * 2.5]), x, rtol=0.5, atol=0.0)
        assert result.ok, sign


def test_up_to_max_coordinates_entries_are_checked_coordinate_by_coordinate():
    """An x of at most ``max_coordinates`` entries (default 256) is checked at every
    coordinate, a larger one along 8 random directions: a wrong entry is then seen
    only through projections, so the boundary decides which check a user gets."""
    for size, directional in ((256, False), (257, True)):
        x = np.linspace(-1.0, 1.0, size)
        result = check_gradient(lambda v: np.sum(np.sin(v)), np.cos, x, rng=0)
        assert result.ok and result.directional is directional, size
        assert result.analytic.shape == ((8,) if directional else (size,))
    assert not check_gradient(lambda v: np.sum(np.sin(v)), np.cos, np.ones(4), max_coordinates=4).directional


def test_a_nan_in_the_gradient_fails_the_check():
    """A NaN compares false with everything: the check must fail on it, not pass it
    because no entry is seen to exceed the tolerance."""
    name, f, gradient, x = FUNCTIONS[1]
    with_nan = lambda v: np.where(np.arange(v.size) == 2, np.nan, gradient(v))  # noqa: E731
    result = check_gradient(f, with_nan, x)
    assert not result.ok and result.worst_index == (2,)


def test_the_worst_coordinate_is_the_one_furthest_beyond_its_tolerance():
    """f = 2²⁰ x₀ + x₁: an error of 0.5 in ∂f/∂x₀ is within rtol·2²⁰ ≈ 1.05, an error of
    1e-3 in ∂f/∂x₁ is not; the report points at x₁, not at the larger absolute error."""
    f = lambda v: 2.0**20 * v[0] + v[1]  # noqa: E731
    claimed = lambda v: np.array([2.0**20 + 0.5, 1.0 + 1e-3])  # noqa: E731
    result = check_gradient(f, claimed, np.array([0.3, -0.7]))
    assert not result.ok and result.worst_index == (1,)
    assert result.max_abs_error == pytest.approx(0.5, rel=1e-6)


def test_relative_error_is_normalised_by_the_larger_of_both_gradients():
    """max_rel_error is |a − n| / max(|a|, |n|), 0 where both are 0: a gradient twice
    or half the true one (here n = (4, 0), exactly) is off by ½ either way."""
    f = lambda v: 4.0 * v[0]  # noqa: E731
    x = np.array([0.3, -0.7])
    for claimed in ([8.0, 0.0], [2.0, 0.0]):
        result = check_gradient(f, lambda v: np.array(claimed), x)
        assert result.max_rel_error == 0.5 and result.max_abs_error == abs(claimed[0] - 4.0)
    assert check_gradient(f, lambda v: np.array([4.0, 0.0]), x).max_rel_error == 0.0


def test_check_gradient_accepts_right_and_catches_wrong_gradient():
    name, f, gradient, x = FUNCTIONS[1]
    assert check_gradient(f, gradient, x).ok
    wrong = lambda v: gradient(v) + np.eye(v.size)[3] * 1e-4  # noqa: E731
    result = check_gradient(f, wrong, x)
    assert not result.ok
    assert result.worst_index == (3,)
    assert result.max_abs_error == pytest.approx(1e-4, rel=1e-3)
    with pytest.raises(AssertionError, match=r"FAILED.*worst coordinate \(3,\)"):
        assert_gradient(f, wrong, x)


def test_directional_checks_for_large_inputs():
    rng = np.random.default_rng(1)
    x = rng.normal(size=2000)
    f = lambda v: np.sum(np.sin(v) ** 2)  # noqa: E731
    gradient = lambda v: 2 * np.sin(v) * np.cos(v)  # noqa: E731
    result = check_gradient(f, gradient, x, rng=0)
    assert result.ok and result.directional and result.analytic.shape == (8,)
    wrong = lambda v: gradient(v) * (1 + 1e-3 * (np.arange(v.size) == 17))  # noqa: E731
    assert not check_gradient(f, wrong, x, directions=4, rng=0).ok


def test_directional_derivative_matches_gradient_projection():
    name, f, gradient, x = FUNCTIONS[0]
    v = np.arange(5.0)
    assert directional_derivative(f, x, v) == pytest.approx(gradient(x) @ v, rel=1e-8)


@pytest.mark.parametrize("length", [1e-6, 1.0, 1e3, 1e6])
def test_directional_derivative_step_scales_with_the_direction(length):
    # the default step moves the largest coordinate of x by the same relative amount
    # as numerical_gradient would, however long the direction is
    name, f, gradient, x = FUNCTIONS[1]
    v = length * np.linspace(-1.0, 2.0, x.size)
    for method in ("central", "richardson"):
        assert directional_derivative(f, x, v, method=method) == pytest.approx(gradient(x) @ v, rel=1e-8)


def test_directional_step_is_relative_to_the_scale_of_x():
    """At |x| ~ 1e8 the step in t is ~1e3 (it moves x by ε^(1/3) relative to x); a step
    of ε^(1/3) unscaled would leave only f's round-off, ~10 in a derivative of ~1."""
    x = np.array([1e8, -2e8, 3e8])
    f = lambda v: np.sum(v**2) / 1e8  # noqa: E731
    v = np.array([0.6, 0.0, -0.8])
    assert directional_derivative(f, x, v) == pytest.approx(2 * x @ v / 1e8, rel=1e-8)


def test_zero_direction_is_refused():
    with pytest.raises(ValueError, match="direction must not be zero"):
        directional_derivative(np.sum, np.ones(2), np.zeros(2))


def test_a_direction_of_another_shape_is_refused():
    """A direction that merely broadcasts against x (shape (1, 3) against (2, 3)) would
    move every row of x at once: the derivative of another line than the user asked."""
    with pytest.raises(ValueError, match=r"direction must have the shape of x \(2, 3\); got \(1, 3\)"):
        directional_derivative(np.sum, np.ones((2, 3)), np.ones((1, 3)))


def test_check_case_checks_every_input():
    def build(rng):
        return GradientProblem(
            value=lambda a, b: float(np.sum(a * np.exp(b))),
            gradient=lambda a, b: {"a": np.exp(b), "b": a * np.exp(b)},
            inputs={"a": rng.normal(size=3), "b": rng.normal(size=3)},
        )

    checks = check_case(GradientCase("example", ("none",), build), rng=0)
    assert [c.name for c in checks] == ["example[a]", "example[b]"]
    assert all(c.ok for c in checks)


def test_check_case_takes_the_cases_relative_step():
    """f(x) = sin(200x) varies on a scale of 1/200: Richardson's default step (5.8e-3,
    halved twice) leaves a relative error of 7e-6 (its O((200h)⁶) term), beyond the
    case's rtol 1e-7; a relative step of 1e-4 brings it to 1e-13."""

    def build(rng):
        return GradientProblem(
            value=lambda x: float(np.sum(np.sin(200 * x))),
            gradient=lambda x: {"x": 200 * np.cos(200 * x)},
            inputs={"x": np.array([0.3])},
        )

    default, = check_case(GradientCase("wave", ("none",), build), rng=0)
    small, = check_case(GradientCase("wave", ("none",), build, relative_step=1e-4), rng=0)
    assert not default.ok and default.max_rel_error > 1e-6
    assert small.ok and small.max_rel_error < 1e-9


def test_check_case_scales_the_relative_step_with_x():
    """relative_step is relative to max(1, |xᵢ|): at x ~ 1e6 the step is ~100 and
    Richardson's differences of x² are exact; taken as an absolute step, 1e-4, they
    would be off by 3e-6 relative (f's round-off ε·1e13 over 1e-4)."""

    def build(rng):
        return GradientProblem(
            value=lambda x: float(np.sum(x**2)),
            gradient=lambda x: {"x": 2 * x},
            inputs={"x": np.array([1e6, -3e6, 2.5e6])},
        )

    check, = check_case(GradientCase("square", ("none",), build, relative_step=1e-4), rng=0)
    assert check.ok and check.max_rel_error < 1e-12


def test_check_case_uses_the_cases_tolerances():
    """The case's rtol and atol, not check_gradient's defaults (rtol 1e-6, atol 1e-8):
    a gradient 5e-7 too large relative fails at the case's default rtol 1e-7, and one
    1e-4 off passes at an atol of 1e-3 with rtol 0."""

    def build_with(error):
        def build(rng):
            return GradientProblem(
                value=lambda x: float(np.sum(np.exp(x))),
                gradient=lambda x: {"x": np.exp(x) * (1 + error[0]) + error[1]},
                inputs={"x": np.array([0.3, -1.2])},
            )

        return build

    relative, = check_case(GradientCase("exp", ("none",), build_with((5e-7, 0.0))), rng=0)
    assert not relative.ok
    absolute, = check_case(GradientCase("exp", ("none",), build_with((0.0, 1e-4)), rtol=0.0, atol=1e-3), rng=0)
    assert absolute.ok


def test_check_case_refuses_a_gradient_missing_an_input():
    def build(rng):
        return GradientProblem(
            value=lambda a, b: float(np.sum(a * b)),
            gradient=lambda a, b: {"a": b},  # ∂/∂b left out
            inputs={"a": np.ones(2), "b": np.ones(2)},
        )

    with pytest.raises(ValueError, match=r"partial: gradient returned no entry for \['b'\]"):
        check_case(GradientCase("partial", ("none",), build), rng=0)


# ----- refusals ---------------------------------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_x_is_refused(bad):
    with pytest.raises(ValueError, match="x must be finite"):
        numerical_gradient(np.sum, np.array([1.0, bad]))


def test_non_scalar_f_is_refused():
    with pytest.raises(ValueError, match=r"f must return a scalar; got shape \(2,\)"):
        numerical_gradient(lambda x: x, np.ones(2))


def test_f_leaving_its_domain_is_reported():
    with pytest.raises(ValueError, match="pass a smaller step"), np.errstate(invalid="ignore"):
        numerical_gradient(lambda x: np.sum(np.log(x)), np.array([1e-9]))


def test_complex_step_needs_complex_f():
    with pytest.raises(ValueError, match="propagate complex input"):
        numerical_gradient(lambda x: float(np.real(np.sum(x**2))), np.ones(2), method="complex")
    with pytest.raises(ValueError, match="accept complex input"):
        numerical_gradient(lambda x: float(np.sum(softplus(x))), np.ones(2), method="complex")


def test_unknown_method_and_bad_step_are_refused():
    with pytest.raises(ValueError, match="method must be one of"):
        numerical_gradient(np.sum, np.ones(2), method="forward")
    with pytest.raises(ValueError, match="step must be positive"):
        numerical_gradient(np.sum, np.ones(2), step=0.0)
    with pytest.raises(TypeError, match="x must be real numbers"):
        numerical_gradient(np.sum, "abc")


def test_gradient_of_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="grad_f"):
        check_gradient(np.sum, lambda x: np.ones(3), np.ones(2))


def test_richardson_extrapolation_cancels_the_h2_and_h4_terms():
    # central differences of exp at x = 1 with h = 0.1 err by h² e/6 ≈ 5e-3; cancelling
    # the h² and h⁴ terms leaves O(h⁶) ≈ 1e-9 (a wrong extrapolation factor leaves 1e-3)
    for method, bound in (("central", 1e-2), ("richardson", 1e-8)):
        estimate = numerical_gradient(lambda x: float(np.exp(x[0])), np.array([1.0]), method=method, step=0.1)
        assert abs(estimate[0] - np.e) < bound
    central = numerical_gradient(lambda x: float(np.exp(x[0])), np.array([1.0]), method="central", step=0.1)
    assert abs(central[0] - np.e) > 1e-3  # the check above is not vacuous
