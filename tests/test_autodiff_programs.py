"""Property test: random programs composed from the rule table, differentiated by autodiff
and by finite differences of the same program evaluated on plain arrays.

A program is a short list of steps on a pool of variables (the inputs first); each step
applies one operation to pool members, so variables are reused along paths of different
lengths. Operations broadcast, reduce over negative and tuple axes with and without
keepdims, index (basic, negative steps, None, repeated integer arrays, boolean masks),
reshape, transpose, concatenate, stack, and cover every elementwise rule. The output is
⟨w₁, last⟩ + ⟨w₂, an earlier variable⟩ with random weights.

Programs are drawn with their inputs: a step whose value is not finite or large is
redrawn, and so is a step that comes within 0.1 of a kink (abs, relu, maximum, minimum,
max, min, clip, std at zero variance), where the finite difference would straddle it. Domain-limited rules
(log, sqrt, gammaln, power, division) get arguments mapped into their domains.
"""

import numpy as np

from vi_ref import autodiff as ad
from vi_ref.gradcheck import numerical_gradient

PROGRAMS = 320
SHAPES = [(3,), (2, 3), (3, 1), (1, 3), (2, 1, 3), (4, 3), ()]
KINK_MARGIN = 0.1


def _positive(v):
    return ad.softplus(v) + 0.5


UNARY = {
    "tanh": ad.tanh, "sigmoid": ad.sigmoid, "softplus": ad.softplus, "negative": lambda v: -v,
    "exp": lambda v: ad.exp(ad.tanh(v)), "log": lambda v: ad.log(_positive(v)),
    "log1p": lambda v: ad.log1p(ad.square(v)), "expm1": lambda v: ad.expm1(ad.sin(v)),
    "sqrt": lambda v: ad.sqrt(ad.square(v) + 1.0), "square": ad.square, "sin": ad.sin, "cos": ad.cos,
    "arctan": ad.arctan, "erf": ad.erf, "ndtr": ad.ndtr, "log_ndtr": ad.log_ndtr,
    "gammaln": lambda v: ad.gammaln(_positive(v)), "digamma": lambda v: ad.digamma(_positive(v)),
    "trigamma": lambda v: ad.trigamma(_positive(v)), "power": lambda v: _positive(v) ** 1.7,
    "log_sigmoid": ad.log_sigmoid, "abs": ad.abs, "relu": ad.relu,
}
KINKED_UNARY = {"abs", "relu"}

BINARY = {
    "add": lambda x, y: x + y, "subtract": lambda x, y: x - y, "multiply": lambda x, y: x * y,
    "divide": lambda x, y: x / (1.0 + ad.square(y)), "reflected-divide": lambda x, y: 2.0 / _positive(y) + x,
    "power": lambda x, y: _positive(x) ** ad.tanh(y), "logaddexp": ad.logaddexp,
    "xlogy": lambda x, y: ad.xlogy(ad.softplus(x), _positive(y)), "betaln": lambda x, y: ad.betaln(_positive(x), _positive(y)),
    "maximum": ad.maximum, "minimum": ad.minimum,
    "where": lambda x, y: _checkerboard_where(x, y),
}
KINKED_BINARY = {"maximum", "minimum"}
REDUCTIONS = ["sum", "mean", "max", "min", "prod", "logsumexp", "var", "std", "cumsum", "softmax", "log_softmax"]
KINKED_REDUCTIONS = {"max", "min"}


def _checkerboard_where(x, y):
    shape = np.broadcast_shapes(np.shape(ad.value_of(x)), np.shape(ad.value_of(y)))
    return ad.where(np.arange(int(np.prod(shape))).reshape(shape) % 2 == 0, x, y)


def _random_axis(rng, ndim, allow_tuple=True):
    choice = rng.integers(4)
    if choice == 0 or ndim == 0:
        return None
    axes = rng.permutation(ndim)[: rng.integers(1, ndim + 1)] if allow_tuple and choice == 1 else [rng.integers(ndim)]
    axes = [int(a) - ndim if rng.uniform() < 0.5 else int(a) for a in axes]  # negative axes too
    return tuple(axes) if len(axes) > 1 or choice == 1 else axes[0]


def _gap_to_runner_up(values, axis, largest):
    """The distance between the extremum and the next entry along ``axis`` (∞ for one entry)."""
    flat = np.moveaxis(values, _axes_tuple(axis, values.ndim), tuple(range(-len(_axes_tuple(axis, values.ndim)), 0)))
    flat = flat.reshape(flat.shape[: values.ndim - len(_axes_tuple(axis, values.ndim))] + (-1,))
    if flat.shape[-1] < 2:
        return np.inf
    ordered = np.sort(flat if largest else -flat, axis=-1)
    return float(np.min(ordered[..., -1] - ordered[..., -2]))


def _axes_tuple(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    return tuple(a % ndim for a in (axis if isinstance(axis, tuple) else (axis,)))


# ----- steps: (kind, operand numbers, options); apply(step, pool) -> value ------------------


def apply_step(step, pool):
    kind, operands, options = step
    args = [pool[i] for i in operands]
    if kind == "unary":
        return UNARY[options["name"]](args[0])
    if kind == "binary":
        return BINARY[options["name"]](*args)
    if kind == "reduce":
        name, axis, keepdims = options["name"], options["axis"], options["keepdims"]
        x = args[0]
        if name == "cumsum":
            return ad.cumsum(x, axis=None if axis is None else (axis if not isinstance(axis, tuple) else axis[0]))
        if name in ("softmax", "log_softmax"):
            return getattr(ad, name)(x, axis=axis)
        if name == "prod":
            return ad.prod(ad.tanh(x) + 1.5, axis=axis, keepdims=keepdims)
        return getattr(ad, name)(x, axis=axis, keepdims=keepdims)
    if kind == "index":
        return args[0][options["index"]]
    if kind == "reshape":
        return ad.reshape(args[0], options["shape"], order=options["order"])
    if kind == "transpose":
        return ad.transpose(args[0], options["axes"])
    if kind == "join":
        joined = ad.concatenate if options["name"] == "concatenate" else ad.stack
        return joined(args, axis=options["axis"])
    if kind == "matmul":
        return args[0] @ ad.swapaxes(args[1], -1, -2) if options["transposed"] else args[0] @ args[1]
    if kind == "clip":
        return ad.clip(args[0], -0.5, 0.7)
    raise AssertionError(kind)


def _index_for(rng, shape):
    ndim = len(shape)
    kind = rng.integers(4)
    if kind == 0:  # basic: a slice with a negative step, an int, a new axis
        parts = [slice(None, None, -1), rng.integers(shape[1]) if ndim > 1 else slice(None), None][: max(ndim, 1)]
        return tuple(parts[:ndim]) + (None,)
    if kind == 1:  # repeated integer array on the first axis
        return (rng.integers(shape[0], size=4),)
    if kind == 2:  # boolean mask on the first axis, at least one True
        mask = rng.uniform(size=shape[0]) < 0.6
        mask[rng.integers(shape[0])] = True
        return (mask,)
    return (Ellipsis, slice(1, None))


def draw_step(rng, pool):
    """A step applicable to the pool's shapes, or None."""
    shapes = [np.shape(v) for v in pool]
    kind = rng.choice(["unary", "unary", "binary", "binary", "reduce", "index", "reshape", "transpose",
                       "join", "matmul", "clip"])
    first = int(rng.integers(len(pool)))
    shape = shapes[first]
    if kind == "unary":
        return ("unary", (first,), {"name": rng.choice(list(UNARY))})
    if kind == "binary":
        second = int(rng.integers(len(pool)))
        try:
            np.broadcast_shapes(shape, shapes[second])
        except ValueError:
            return None
        return ("binary", (first, second), {"name": rng.choice(list(BINARY))})
    if kind == "reduce":
        if not shape:
            return None
        name = rng.choice(REDUCTIONS)
        axis = _random_axis(rng, len(shape), allow_tuple=name not in ("cumsum",))
        return ("reduce", (first,), {"name": name, "axis": axis, "keepdims": bool(rng.integers(2))})
    if kind == "index":
        if not shape or 0 in shape:
            return None
        return ("index", (first,), {"index": _index_for(rng, shape)})
    if kind == "reshape":
        size = int(np.prod(shape))
        factors = [d for d in (1, 2, 3, 4, 6) if size % d == 0]
        rows = int(rng.choice(factors))
        return ("reshape", (first,), {"shape": (rows, -1) if size else (0,), "order": rng.choice(["C", "F"])})
    if kind == "transpose":
        if len(shape) < 2:
            return None
        axes = tuple(int(a) for a in rng.permutation(len(shape)))
        return ("transpose", (first,), {"axes": axes})
    if kind == "join":
        others = [i for i, s in enumerate(shapes) if s == shape]
        if not shape:
            return None
        second = int(rng.choice(others))
        name = rng.choice(["concatenate", "stack"])
        axis = int(rng.integers(-len(shape), len(shape))) if name == "concatenate" else int(rng.integers(-len(shape) - 1, len(shape) + 1))
        return ("join", (first, second, first), {"name": name, "axis": axis})
    if kind == "matmul":
        candidates = [i for i, s in enumerate(shapes) if len(shape) >= 1 and len(s) >= 2 and s[-2] == shape[-1]]
        transposed = [i for i, s in enumerate(shapes) if len(shape) >= 1 and len(s) >= 2 and s[-1] == shape[-1]]
        if candidates:
            return ("matmul", (first, int(rng.choice(candidates))), {"transposed": False})
        if transposed:
            return ("matmul", (first, int(rng.choice(transposed))), {"transposed": True})
        return None
    return ("clip", (first,), {})


def kink_margin(step, pool):
    """How far the step's arguments are from a kink of the step (∞ if it has none)."""
    kind, operands, options = step
    args = [np.asarray(pool[i]) for i in operands]
    if kind == "unary" and options["name"] in KINKED_UNARY:
        return float(np.min(np.abs(args[0]), initial=np.inf))
    if kind == "binary" and options["name"] in KINKED_BINARY:
        return float(np.min(np.abs(args[0] - args[1]), initial=np.inf))
    if kind == "reduce" and options["name"] in KINKED_REDUCTIONS and args[0].size:
        return _gap_to_runner_up(args[0], options["axis"], options["name"] == "max")
    if kind == "reduce" and options["name"] == "std":  # √ has a kink where the variance is 0
        return float(np.min(np.std(args[0], axis=options["axis"]), initial=np.inf))
    if kind == "clip":
        return float(np.min(np.minimum(np.abs(args[0] + 0.5), np.abs(args[0] - 0.7)), initial=np.inf))
    return np.inf


def random_program(rng):
    """(steps, inputs, weights): a program whose every step is finite, moderate in size
    and at least KINK_MARGIN from a kink at its inputs."""
    inputs = [rng.normal(size=SHAPES[rng.integers(len(SHAPES))]) for _ in range(rng.integers(1, 4))]
    pool, steps = list(inputs), []
    with np.errstate(all="ignore"):
        for _ in range(rng.integers(3, 9)):
            for _attempt in range(30):
                step = draw_step(rng, pool)
                if step is None or kink_margin(step, pool) < KINK_MARGIN:
                    continue
                try:
                    value = np.asarray(apply_step(step, pool))
                except ValueError:
                    continue
                if value.size == 0 or value.size > 60 or not np.all(np.isfinite(value)) or np.max(np.abs(value)) > 50:
                    continue
                pool.append(value)
                steps.append(step)
                break
    earlier = int(rng.integers(len(pool)))
    weights = (rng.normal(size=np.shape(pool[-1])), earlier, rng.normal(size=np.shape(pool[earlier])))
    return steps, inputs, weights


def run(steps, weights, *inputs):
    pool = list(inputs)
    for step in steps:
        pool.append(apply_step(step, pool))
    last_weights, earlier, earlier_weights = weights
    return ad.sum(last_weights * pool[-1]) + ad.sum(earlier_weights * pool[earlier])


def failing_programs(count, seed=20261201):
    """The programs (number, input, steps) whose autodiff gradient differs from Richardson
    finite differences by more than 1e-6 relative (1e-7 absolute)."""
    rng = np.random.default_rng(seed)
    failures = []
    for number in range(count):
        steps, inputs, weights = random_program(rng)
        argnums = tuple(range(len(inputs)))
        gradients = ad.grad(lambda *xs: run(steps, weights, *xs), argnums)(*inputs)
        for i, (x, gradient) in enumerate(zip(inputs, gradients)):
            def restricted(v, i=i):
                return float(run(steps, weights, *inputs[:i], v, *inputs[i + 1:]))

            numerical = numerical_gradient(restricted, x, method="richardson")
            if not np.allclose(gradient, numerical, rtol=1e-6, atol=1e-7):
                failures.append((number, i, [s[0] + ":" + str(s[2].get("name", "")) for s in steps]))
    return failures


def test_random_programs_match_finite_differences():
    failures = failing_programs(PROGRAMS)
    assert not failures, failures[:5]


def test_programs_cover_every_kind_of_step():
    rng = np.random.default_rng(20261201)
    kinds, names = set(), set()
    for _ in range(PROGRAMS):
        steps, _, _ = random_program(rng)
        kinds.update(step[0] for step in steps)
        names.update(step[2].get("name") for step in steps if "name" in step[2])
    assert kinds == {"unary", "binary", "reduce", "index", "reshape", "transpose", "join", "matmul", "clip"}
    assert set(UNARY) | set(BINARY) | set(REDUCTIONS) | {"concatenate", "stack"} <= names


def test_a_broken_rule_is_caught(monkeypatch):
    """The property test is not vacuous: a sign error in one rule makes it fail."""
    broken = (lambda g, ans, x: -g * np.cos(x),)  # sin' = cos, not −cos
    monkeypatch.setattr(ad.PRIMITIVES["sin"], "vjps", broken)
    assert failing_programs(60)
