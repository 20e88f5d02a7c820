"""Finite-difference gradients, and the checks that hold every gradient to them.

Three estimators of ∂f/∂xᵢ for a scalar f (derived, with their errors, in
``derivations/01-finite-differences-and-reverse-mode.md``):

- central:    [f(x + h eᵢ) − f(x − h eᵢ)] / 2h, error O(h²) + O(ε/h), so the
  default step is h = ε^(1/3) · max(1, |xᵢ|) and the error about ε^(2/3) ≈ 4e-11.
- richardson: central differences at h, h/2, h/4 combined so that the h² and h⁴
  terms cancel; error O(h⁶) + O(ε/h), default h = ε^(1/7) · max(1, |xᵢ|).
- complex:    Im f(x + i h eᵢ) / h, no subtraction and so no cancellation: exact
  to round-off for any tiny h, for an f that is analytic and accepts complex input.

``check_gradient`` compares a hand-written gradient with one of them; gradients of
functions of many variables are compared along random directions instead of every
coordinate. ``GradientCase`` is the entry type of the package's gradient registry
(``vi_ref.registry``), which lists every hand-written gradient and autodiff rule.
"""

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .validation import (
    as_float_array,
    as_generator,
    check_count,
    check_methods,
    check_size,
    check_tolerance,
    first_bad_index,
)

__all__ = [
    "numerical_gradient",
    "directional_derivative",
    "check_gradient",
    "assert_gradient",
    "GradientCheck",
    "GradientProblem",
    "GradientCase",
    "check_case",
]

EPS = np.finfo(float).eps
METHODS = ("central", "richardson", "complex")
DEFAULT_RELATIVE_STEP = {"central": EPS ** (1 / 3), "richardson": EPS ** (1 / 7), "complex": 1e-20}
# Richardson table for halving steps: row k cancels the h^(2k) error term.
RICHARDSON_LEVELS = 2


def _scalar_value(value, where):
    """The real scalar that f returned, or a ValueError saying what it was."""
    array = np.asarray(value)
    if array.size != 1:
        raise ValueError(f"f must return a scalar; got shape {array.shape} at {where}")
    scalar = array.reshape(())[()]
    if not np.isfinite(scalar):
        raise ValueError(
            f"f is not finite ({scalar}) at {where}; a step may have left f's domain,"
            " pass a smaller step"
        )
    return scalar


def _check_callable(function, name):
    if not callable(function):
        raise TypeError(f"{name} must be callable; got {type(function).__name__}")


def _check_method(method):
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")


def _default_steps(x, method):
    return DEFAULT_RELATIVE_STEP[method] * np.maximum(1.0, np.abs(x))


def _central_difference(f, x, index, h):
    """[f(x + h eᵢ) − f(x − h eᵢ)] / 2h with a step that is exact in floating point."""
    forward, backward = x.copy(), x.copy()
    forward[index] = x[index] + h
    backward[index] = x[index] - h
    # the step actually taken is (x + h) - (x - h), which can differ from 2h by round-off
    taken = forward[index] - backward[index]
    f_forward = _scalar_value(f(forward), f"x + h e_{index}")
    f_backward = _scalar_value(f(backward), f"x - h e_{index}")
    return (f_forward - f_backward) / taken


def _richardson_difference(f, x, index, h):
    """Central differences at h, h/2, h/4 with the h² and h⁴ error terms cancelled."""
    row = [_central_difference(f, x, index, h / 2**k) for k in range(RICHARDSON_LEVELS + 1)]
    for level in range(1, RICHARDSON_LEVELS + 1):
        factor = 4.0**level
        row = [(factor * fine - coarse) / (factor - 1) for coarse, fine in zip(row, row[1:])]
    return row[0]


def _complex_step_derivative(f, x, index, h):
    """Im f(x + i h eᵢ) / h: the derivative with no subtractive cancellation."""
    shifted = x.astype(complex)
    shifted[index] += 1j * h
    try:
        value = np.asarray(f(shifted))
    except TypeError as error:
        raise ValueError(
            f"method='complex' needs f to accept complex input; f raised TypeError: {error}"
        ) from error
    if not np.iscomplexobj(value):
        raise ValueError(
            "method='complex' needs f to propagate complex input, but f returned a real "
            "value; use method='central' or 'richardson'"
        )
    return _scalar_value(value.imag, f"x + i h e_{index}") / h


_DIFFERENCES = {
    "central": _central_difference,
    "richardson": _richardson_difference,
    "complex": _complex_step_derivative,
}


def numerical_gradient(f, x, *, method="central", step=None):
    """Gradient of a scalar function by finite differences, one coordinate at a time.

    Args:
        f: function of an array shaped like ``x`` returning a real scalar.
        x: point (array_like, any shape, finite).
        method: ``"central"``, ``"richardson"`` or ``"complex"`` (see module docstring).
        step: absolute step, a scalar or an array broadcastable to ``x``; default
            ``c · max(1, |xᵢ|)`` with c = ε^(1/3) (central), ε^(1/7) (richardson) or
            1e-20 (complex).

    Returns:
        ndarray of the shape of ``x``.

    Raises:
        ValueError: for an unknown method, non-finite ``x`` or step, a non-positive
            step, an ``f`` that is not scalar or not finite at the points it is
            evaluated at, or (complex step) an ``f`` that drops the imaginary part.
    """
    _check_callable(f, "f")
    _check_method(method)
    x = as_float_array(x, "x")
    steps = _default_steps(x, method) if step is None else as_float_array(step, "step")
    if np.any(steps <= 0):
        raise ValueError(f"step must be positive; got {steps[steps <= 0].flat[0]}{first_bad_index(steps <= 0)}")
    steps = np.broadcast_to(steps, x.shape)
    difference = _DIFFERENCES[method]
    gradient = np.empty(x.shape)
    for index in np.ndindex(*x.shape):
        gradient[index] = difference(f, x, index, steps[index])
    return gradient


def directional_derivative(f, x, direction, *, method="central", step=None):
    """d/dt f(x + t v) at t = 0, by the finite difference ``method``.

    Checking ∇f · v for a few random v costs a few evaluations of f however large x
    is, which is how gradients of many-variable functions are verified.

    The default step in t is c / maxᵢ(|vᵢ| / max(1, |xᵢ|)), with c as in
    ``numerical_gradient``: the coordinate that moves most relative to its own scale
    moves by the same relative step as in a coordinate-wise difference, whatever
    the length of v.

    Raises:
        ValueError: for a ``direction`` of another shape than ``x``, or zero.
    """
    _check_callable(f, "f")
    _check_method(method)
    x = as_float_array(x, "x")
    direction = as_float_array(direction, "direction")
    if direction.shape != x.shape:
        raise ValueError(f"direction must have the shape of x {x.shape}; got {direction.shape}")
    if not np.any(direction):
        raise ValueError("direction must not be zero")
    if step is None:
        relative_move = np.max(np.abs(direction) / np.maximum(1.0, np.abs(x)))
        step = DEFAULT_RELATIVE_STEP[method] / relative_move
    along = lambda t: f(x + t[()] * direction)  # noqa: E731 - a one-line restriction to a line
    return numerical_gradient(along, np.zeros(()), method=method, step=step)[()]


@dataclass
class GradientCheck:
    """Outcome of comparing an analytic gradient with a numerical one.

    ``worst_index`` is the coordinate (or, for a directional check, the direction
    number) that is furthest outside ``atol + rtol·|numerical|``. ``max_rel_error`` is
    the largest |analytic − numerical| / max(|analytic|, |numerical|), 0 where both are 0.
    """

    ok: bool
    max_abs_error: float
    max_rel_error: float
    worst_index: tuple
    analytic: np.ndarray
    numerical: np.ndarray
    method: str
    directional: bool = False
    name: str = "gradient"

    def __str__(self):
        status = "ok" if self.ok else "FAILED"
        where = "direction" if self.directional else "coordinate"
        index = self.worst_index
        return (
            f"{self.name}: {status} ({self.method}); max abs error {self.max_abs_error:.3g},"
            f" max rel error {self.max_rel_error:.3g}; worst {where} {index}:"
            f" analytic {float(self.analytic[index]):.17g}"
            f" vs numerical {float(self.numerical[index]):.17g}"
        )


def _compare(analytic, numerical, rtol, atol, method, directional, name):
    abs_error = np.abs(analytic - numerical)
    scale = np.maximum(np.abs(analytic), np.abs(numerical))
    with np.errstate(invalid="ignore", divide="ignore"):
        rel_error = np.where(abs_error == 0, 0.0, abs_error / scale)
    excess = abs_error - (atol + rtol * np.abs(numerical))
    worst = np.unravel_index(int(np.argmax(excess)), excess.shape) if excess.size else ()
    return GradientCheck(
        ok=bool(np.all(excess <= 0)),
        max_abs_error=float(np.max(abs_error, initial=0.0)),
        max_rel_error=float(np.max(rel_error, initial=0.0)),
        worst_index=tuple(int(i) for i in worst),
        analytic=analytic,
        numerical=numerical,
        method=method,
        directional=directional,
        name=name,
    )


def check_gradient(
    f,
    grad_f,
    x,
    *,
    rtol=1e-6,
    atol=1e-8,
    method="central",
    step=None,
    directions=None,
    max_coordinates=256,
    rng=None,
    name="gradient",
):
    """Compare ``grad_f(x)`` with the finite-difference gradient of ``f`` at ``x``.

    A coordinate passes when |analytic − numerical| ≤ atol + rtol·|numerical|.

    Args:
        f: scalar function of an array shaped like ``x``.
        grad_f: its claimed gradient, returning an array of ``x``'s shape.
        x: the point.
        rtol, atol: tolerances (finite, ≥ 0; a NaN or negative one would make
            every check pass or fail whatever the gradient).
        method, step: as in ``numerical_gradient``.
        directions: number of random unit directions v along which ∇f·v is checked
            instead of every coordinate; default: every coordinate if ``x`` has at
            most ``max_coordinates`` entries, else 8 directions.
        rng: seed or Generator for the random directions.
        name: label used in the report.

    Returns:
        GradientCheck (``.ok``, ``.max_abs_error``, ``.max_rel_error``, worst index).
    """
    _check_callable(f, "f")
    _check_callable(grad_f, "grad_f")
    x = as_float_array(x, "x")
    rtol, atol = check_tolerance(rtol, "rtol"), check_tolerance(atol, "atol")
    _check_method(method)
    max_coordinates = check_count(max_coordinates, "max_coordinates")
    analytic = as_float_array(grad_f(x), "grad_f(x)", finite=False)
    if analytic.shape != x.shape:
        raise ValueError(f"grad_f(x) must have the shape of x {x.shape}; got {analytic.shape}")
    if directions is None and x.size <= max_coordinates:
        numerical = numerical_gradient(f, x, method=method, step=step)
        return _compare(analytic, numerical, rtol, atol, method, False, name)
    count = check_size(check_count(8 if directions is None else directions, "directions", minimum=1), "directions",
                       per_unit=x.size)
    generator = as_generator(rng)
    vectors = generator.standard_normal((count,) + x.shape)
    vectors /= np.sqrt(np.sum(vectors**2, axis=tuple(range(1, vectors.ndim)), keepdims=True))
    projected = np.array([np.sum(analytic * v) for v in vectors])
    numerical = np.array(
        [directional_derivative(f, x, v, method=method, step=step) for v in vectors]
    )
    return _compare(projected, numerical, rtol, atol, method, True, name)


def assert_gradient(f, grad_f, x, **options):
    """``check_gradient`` that raises ``AssertionError`` with the report on failure."""
    result = check_gradient(f, grad_f, x, **options)
    if not result.ok:
        raise AssertionError(str(result))
    return result


# ---------------------------------------------------------------------------
# The registry's entry type
# ---------------------------------------------------------------------------


@dataclass
class GradientProblem:
    """One concrete instance of a gradient to check.

    ``value(**inputs)`` is a real scalar; ``gradient(**inputs)`` returns a dict with
    the same keys as ``inputs``, each the derivative of ``value`` with respect to that
    input. Vector-valued functions are checked through a scalar ⟨w, f⟩ with random
    weights w: its gradient is the vector–Jacobian product, which checks every entry
    of the Jacobian that w does not happen to annihilate.
    """

    value: Callable[..., float]
    gradient: Callable[..., dict]
    inputs: dict


@dataclass(frozen=True)
class GradientCase:
    """An entry of the gradient registry.

    Attributes:
        name: unique label shown in the test ids and the tour.
        covers: the public gradients this entry checks, as ``"module.qualname"``
            (e.g. ``"kl.kl_divergence_grad"``, ``"autodiff.exp"``).
        build: ``build(rng) -> GradientProblem``, drawing valid inputs (including
            broadcast shapes) from the ``np.random.Generator`` it is given.
        rtol, atol, method: how strictly the finite-difference check is made.
        relative_step: the finite-difference step relative to max(1, |xᵢ|); None
            for the method's default (ε^(1/3) central, ε^(1/7) ≈ 5.8e-3 Richardson).
    """

    name: str
    covers: tuple
    build: Callable[[np.random.Generator], GradientProblem]
    rtol: float = 1e-7
    atol: float = 1e-9
    method: str = "richardson"
    relative_step: float = None
    inputs: tuple = field(default=None)  # restrict the check to these inputs (default all)


def check_case(case, rng=None):
    """Build ``case`` with ``rng`` and check its gradient for every input.

    Returns:
        list of ``GradientCheck``, one per checked input, named ``"case[input]"``.
    """
    check_methods(case, "case", ("build",), "a GradientCase")
    problem = case.build(as_generator(rng))
    analytic = problem.gradient(**problem.inputs)
    missing = set(problem.inputs) - set(analytic)
    if missing:
        raise ValueError(f"{case.name}: gradient returned no entry for {sorted(missing)}")
    checks = []
    for input_name in case.inputs or tuple(problem.inputs):
        point = as_float_array(problem.inputs[input_name], input_name)

        def restricted(value, input_name=input_name):
            return problem.value(**{**problem.inputs, input_name: value})

        def claimed(value, input_name=input_name):
            return analytic[input_name]

        checks.append(
            check_gradient(
                restricted,
                claimed,
                point,
                rtol=case.rtol,
                atol=case.atol,
                method=case.method,
                step=None if case.relative_step is None else case.relative_step * np.maximum(1.0, np.abs(point)),
                rng=as_generator(0),
                name=f"{case.name}[{input_name}]",
            )
        )
    return checks
