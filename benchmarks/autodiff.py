"""Time vi_ref.autodiff against HIPS autograd and a hand-written value-and-gradient.

Cases (each a value and its gradient with respect to every parameter):

- ``nodes``: a chain of small operations on a 4-entry array, timed per graph node
  (forward and backward), against autograd on the same program and a plain NumPy
  forward pass of it (no gradient) — the per-node overhead;
- ``logistic``: Bayesian-logistic-regression log-likelihood Σ yₙzₙ − log(1 + e^zₙ),
  z = X w (D = 10);
- ``gmm``: isotropic Gaussian-mixture log-likelihood Σₙ logsumexp_k(…) (K = 8, D = 10);
- ``decoder``: two-layer tanh decoder, log N(X | tanh(Z W₁ + b₁) W₂ + b₂, I) +
  log N(Z | 0, I), gradient with respect to Z, W₁, b₁, W₂, b₂ (L = 2, H = 32, D = 10);

at N = 400 (per-node overhead dominates) and N = 1e5 (array work dominates). The
vi_ref and autograd sides run the same program, written once against a NumPy-like
namespace (``vi_ref.autodiff`` or ``autograd.numpy``); the hand side computes value
and gradient together, sharing the forward pass, as an optimiser would.

The decoder has two more sides. The ``tape floor`` is its value and gradient written
by hand the way any reverse-mode tape has to compute them (every forward intermediate
kept as its own array, where ``decoder_hand`` lets NumPy reuse temporaries in place),
with the least backward work we know (tanh' as g·(1 − t²) in cache-sized blocks,
written into the cotangent, without vi_ref's exact tails; bias gradients by
``einsum``). No autodiff built on NumPy's kernels can be faster than it, so ``tape
floor/autograd`` bounds the ratio any autodiff can reach against autograd on that
case. The ``exact floor`` is the same with tanh' computed by vi_ref's rule (exact
where 1 − t² < 2.2e-4, about 1 % of this layer's entries): the bound for an autodiff
whose tanh' keeps its relative accuracy in the tails, as vi_ref's and autograd's do.

Timing: every gradient is checked against the hand-written one first. Then, in one
process, the sides run in alternation (their order rotated every round), each round
timing a batch of calls per side; the table gives the median time per call over the
rounds, the spread (the interquartile range relative to the median), and the median
of the per-round ratios with its own interquartile range, and the ratio of the
fastest rounds (on a loaded machine a batch longer than a scheduler slice is often
preempted, so the minima are the better estimate of the intrinsic cost; the spread
is the honest error bar of the medians).

Environment: BLAS runs on one thread (on a loaded 2-core machine a threaded OpenBLAS
made a 1e5 × 10 matrix-vector product 30× slower and its timings erratic), and glibc's
malloc keeps freed memory instead of returning it to the system after every call
(reverse mode keeps every intermediate alive until the backward pass; returning and
re-faulting those pages can cost more than the arithmetic on a virtual machine). The
script re-executes itself with these settings unless ``--environment as-is``.

Usage: python benchmarks/autodiff.py [--rounds 15] [--sizes 400 100000] [--cases ...]
       [--decoder-shape LATENT HIDDEN DIMENSION]
"""

import os
import sys

SETTINGS = {
    "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    "MALLOC_TRIM_THRESHOLD_": str(2**30), "MALLOC_MMAP_THRESHOLD_": str(2**30),
}
if __name__ == "__main__" and "--environment" not in sys.argv and any(os.environ.get(k) != v for k, v in SETTINGS.items()):
    os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, **SETTINGS})

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from vi_ref import autodiff as ad  # noqa: E402
from vi_ref import numerics  # noqa: E402

try:
    import autograd
    import autograd.numpy as anp
    import autograd.scipy.special as autograd_special
except ImportError:  # the peer is optional
    autograd = None

DIMENSION, COMPONENTS, LATENT, HIDDEN = 10, 8, 2, 32
LOG_2PI = np.log(2 * np.pi)


def _logsumexp(ops):
    return ad.logsumexp if ops is ad else autograd_special.logsumexp


# ---------------------------------------------------------------------------
# The programs, written once for both differentiators
# ---------------------------------------------------------------------------


def chain_program(ops, length):
    """``length`` rounds of four operations (multiply, exp, add, log) on a small array."""

    def program(x):
        for _ in range(length):
            x = ops.log(ops.exp(x * 0.5) + 1.0)
        return ops.sum(x)

    return program


def logistic_program(ops, X, y):
    def program(w):
        z = X @ w
        return ops.sum(y * z - ops.logaddexp(0.0, z))

    return program


def gmm_program(ops, X):
    squared_norms = np.sum(X**2, axis=1)[:, None]

    def program(logits, means, log_scales):
        squared = squared_norms - 2 * (X @ means.T) + ops.sum(means**2, axis=1)
        log_weights = logits - _logsumexp(ops)(logits)
        joint = log_weights - DIMENSION * (log_scales + 0.5 * LOG_2PI) - 0.5 * squared * ops.exp(-2 * log_scales)
        return ops.sum(_logsumexp(ops)(joint, axis=1))

    return program


def decoder_program(ops, X):
    def program(Z, W1, b1, W2, b2):
        hidden = ops.tanh(Z @ W1 + b1)
        residual = X - (hidden @ W2 + b2)
        return -0.5 * ops.sum(residual * residual) - 0.5 * ops.sum(Z * Z)

    return program


# ---------------------------------------------------------------------------
# Hand-written values and gradients (one forward pass shared by both)
# ---------------------------------------------------------------------------


def logistic_hand(X, y):
    def value_and_gradient(w):
        z = X @ w
        value = np.sum(y * z - numerics.softplus(z))
        return value, (X.T @ (y - numerics.sigmoid(z)),)

    return value_and_gradient


def gmm_hand(X):
    squared_norms = np.sum(X**2, axis=1)[:, None]

    def value_and_gradient(logits, means, log_scales):
        squared = squared_norms - 2 * (X @ means.T) + np.sum(means**2, axis=1)
        precisions = np.exp(-2 * log_scales)
        log_weights = logits - np.logaddexp.reduce(logits)
        joint = log_weights - DIMENSION * (log_scales + 0.5 * LOG_2PI) - 0.5 * squared * precisions
        largest = np.max(joint, axis=1, keepdims=True)
        shifted = np.exp(joint - largest)
        totals = np.sum(shifted, axis=1, keepdims=True)
        value = np.sum(np.log(totals) + largest)
        responsibilities = shifted / totals
        counts = responsibilities.sum(axis=0)
        gradient_means = (responsibilities.T @ X - counts[:, None] * means) * precisions[:, None]
        gradient_log_scales = np.sum(responsibilities * squared, axis=0) * precisions - DIMENSION * counts
        return value, (counts - X.shape[0] * np.exp(log_weights), gradient_means, gradient_log_scales)

    return value_and_gradient


def decoder_hand(X):
    def value_and_gradient(Z, W1, b1, W2, b2):
        hidden = np.tanh(Z @ W1 + b1)
        residual = X - (hidden @ W2 + b2)
        value = -0.5 * np.sum(residual * residual) - 0.5 * np.sum(Z * Z)
        pre = (residual @ W2.T) * (1 - hidden * hidden)
        return value, (pre @ W1.T - Z, Z.T @ pre, pre.sum(axis=0), hidden.T @ residual, residual.sum(axis=0))

    return value_and_gradient


def decoder_tape_floor(X, block=1 << 16, exact_tails=False):  # vi_ref's tanh block
    def value_and_gradient(Z, W1, b1, W2, b2):
        product = Z @ W1  # named: NumPy must not reuse it in place, as a tape keeps it
        pre_activation = product + b1
        hidden = np.tanh(pre_activation)
        output = hidden @ W2
        mean = output + b2
        residual = X - mean
        squares = residual * residual
        value = -0.5 * np.sum(squares) - 0.5 * np.sum(Z * Z)
        pre = residual @ W2.T  # becomes the pre-activation cotangent, in place, block by block
        if exact_tails:
            ad.tanh.in_place_vjps[0](pre, hidden, pre_activation)
        else:
            flat_pre, flat_hidden, derivative = pre.reshape(-1), hidden.reshape(-1), np.empty(block)
            for start in range(0, flat_pre.size, block):
                t = flat_hidden[start:start + block]
                d = derivative[: t.size]
                np.multiply(t, t, out=d)
                np.subtract(1.0, d, out=d)
                flat_pre[start:start + block] *= d
        gradient_Z = pre @ W1.T
        gradient_Z -= Z
        return value, (gradient_Z, Z.T @ pre, np.einsum("nh->h", pre), hidden.T @ residual,
                       np.einsum("nd->d", residual))

    return value_and_gradient


# ---------------------------------------------------------------------------
# Cases: (label, N, params, {side: value_and_gradient}, nodes or None)
# ---------------------------------------------------------------------------


def _differentiators(make_program, params):
    argnums = tuple(range(len(params)))
    sides = {"vi_ref": ad.value_and_grad(make_program(ad), argnums)}
    if autograd is not None:
        program = make_program(anp)  # built once, as vi_ref's is (gmm's precomputes ‖xₙ‖²)
        both = autograd.value_and_grad(lambda packed: program(*packed))
        sides["autograd"] = lambda *p: (lambda v, g: (v, tuple(g)))(*both(list(p)))
    return sides


def make_case(name, n, rng, decoder_shape=(LATENT, HIDDEN, DIMENSION)):
    if name == "nodes":
        length = 250
        params = (rng.normal(size=4),)
        sides = _differentiators(lambda ops: chain_program(ops, length), params)
        sides["numpy forward"] = lambda x: (chain_program(np, length)(x), None)
        return params, sides, 4 * length + 1
    latent, hidden, dimension = decoder_shape
    X = rng.normal(size=(n, dimension if name == "decoder" else DIMENSION))
    if name == "logistic":
        y = (rng.uniform(size=n) < 0.5).astype(float)
        params = (rng.normal(size=DIMENSION) * 0.3,)
        sides = _differentiators(lambda ops: logistic_program(ops, X, y), params)
        sides["hand"] = logistic_hand(X, y)
    elif name == "gmm":
        params = (rng.normal(size=COMPONENTS), rng.normal(size=(COMPONENTS, DIMENSION)),
                  0.1 * rng.normal(size=COMPONENTS))
        sides = _differentiators(lambda ops: gmm_program(ops, X), params)
        sides["hand"] = gmm_hand(X)
    elif name == "decoder":
        params = (rng.normal(size=(n, latent)), rng.normal(size=(latent, hidden)), rng.normal(size=hidden),
                  rng.normal(size=(hidden, dimension)) / np.sqrt(hidden), rng.normal(size=dimension))
        sides = _differentiators(lambda ops: decoder_program(ops, X), params)
        sides["hand"] = decoder_hand(X)
        sides["tape floor"] = decoder_tape_floor(X)
        sides["exact floor"] = decoder_tape_floor(X, exact_tails=True)
    else:
        raise ValueError(f"unknown case {name!r}")
    return params, sides, None


def check_agreement(name, n, params, sides):
    reference_side = "hand" if "hand" in sides else "vi_ref"
    value, gradient = sides[reference_side](*params)
    for side, function in sides.items():
        other_value, other_gradient = function(*params)
        if not np.isclose(other_value, value, rtol=1e-10):
            raise SystemExit(f"{name} N={n}: {side} value {other_value} differs from {value}")
        if other_gradient is None:
            continue
        if len(other_gradient) != len(gradient):
            raise SystemExit(f"{name} N={n}: {side} gives {len(other_gradient)} gradients, {reference_side}"
                             f" {len(gradient)}; not timing")
        for mine, theirs in zip(other_gradient, gradient):
            if np.shape(mine) != np.shape(theirs) or not np.allclose(mine, theirs, rtol=1e-9, atol=1e-9):
                raise SystemExit(f"{name} N={n}: {side} gradient differs from {reference_side}'s; not timing")


def calls_per_batch(function, params, target=0.02):
    """Enough calls that one batch takes about ``target`` seconds."""
    start = time.perf_counter()
    function(*params)
    once = max(time.perf_counter() - start, 1e-6)
    return max(1, int(target / once))


def alternate(sides, params, rounds):
    """Per-call times of every side, one batch per side per round, the order rotated."""
    names = list(sides)
    batches = {name: calls_per_batch(sides[name], params) for name in names}
    times = {name: [] for name in names}
    for round_number in range(rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            function, calls = sides[name], batches[name]
            start = time.perf_counter()
            for _ in range(calls):
                function(*params)
            times[name].append((time.perf_counter() - start) / calls)
    return {name: np.array(values) for name, values in times.items()}


def spread(values):
    """The interquartile range relative to the median, in percent."""
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return 100 * (q3 - q1) / median


def print_case(name, n, times, nodes):
    ours = times["vi_ref"]
    scale, unit = (1e6 / nodes, "µs/node") if nodes else (1e3, "ms")
    cells = []
    for side, values in times.items():
        cells.append(f"{side} {np.median(values) * scale:9.3f} {unit} ±{spread(values):3.0f}%")
    pairs = [("vi_ref", side) for side in ("autograd", "hand", "tape floor", "exact floor", "numpy forward")]
    for mine, side in pairs + [("tape floor", "autograd"), ("exact floor", "autograd")]:
        if mine in times and side in times:
            ratios = times[mine] / times[side]
            cells.append(f"{mine}/{side} {np.median(ratios):5.2f} (IQR {np.percentile(ratios, 25):.2f}–"
                         f"{np.percentile(ratios, 75):.2f}; of minima {times[mine].min() / times[side].min():.2f})")
    print(f"{name:>9} {'' if nodes else n:>7}  " + " | ".join(cells))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--sizes", type=int, nargs="+", default=[400, 100_000])
    parser.add_argument("--cases", nargs="+", default=["nodes", "logistic", "gmm", "decoder"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--decoder-shape", type=int, nargs=3, metavar=("LATENT", "HIDDEN", "DIMENSION"),
                        default=[LATENT, HIDDEN, DIMENSION], help="the decoder's layer widths (default: 2 32 10)")
    parser.add_argument("--environment", choices=["as-is"], help="keep BLAS threads and malloc as they are")
    arguments = parser.parse_args(argv)
    if autograd is None:
        print("autograd is not installed (pip install -e '.[bench]'): its columns are left out")
    print(f"median per call over {arguments.rounds} alternating rounds; ±: interquartile range / median")
    print("environment: " + ", ".join(f"{k}={os.environ.get(k, '(unset)')}" for k in SETTINGS))
    rng = np.random.default_rng(arguments.seed)
    for name in arguments.cases:
        for n in ([None] if name == "nodes" else arguments.sizes):
            params, sides, nodes = make_case(name, n, rng, tuple(arguments.decoder_shape))
            check_agreement(name, n, params, sides)
            print_case(name, n, alternate(sides, params, arguments.rounds), nodes)


if __name__ == "__main__":
    main()
