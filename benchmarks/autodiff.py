"""Time vi_ref.autodiff.value_and_grad against the hand-written gradient and HIPS autograd.

For the logistic-regression and isotropic-GMM log-likelihoods of ``vi_ref.likelihoods``
at N = 1e3, 1e4, 1e5, prints the best-of-repeats time of the hand-written gradient
alone, of the hand-written value and gradient together (what an optimiser needs, and
what value_and_grad computes), of vi_ref's value_and_grad and of autograd's (only when
installed: ``pip install -e ".[bench]"``), and their ratios. Every gradient is checked
against the hand-written one before it is timed.

Reverse mode keeps every intermediate of the forward pass alive until the backward
pass, so at N = 1e5 its working set is a few MB of 800 kB arrays. glibc's malloc
returns such memory to the system after each call and takes it back, page by page,
on the next one; on a virtual machine each page fault is expensive, and this, not
arithmetic, can dominate. The script therefore prints a second table measured with
glibc's trimming switched off (MALLOC_TRIM_THRESHOLD_, MALLOC_MMAP_THRESHOLD_ set in
a child process), and the minor page faults per value_and_grad call in both.

Usage: python benchmarks/autodiff.py [--repeats 7] [--sizes 1000 10000 100000]
"""

import argparse
import os
import resource
import subprocess
import sys
import timeit

import numpy as np

from vi_ref import autodiff as ad
from vi_ref import likelihoods

try:
    import autograd
    import autograd.numpy as anp
    from autograd.scipy.special import logsumexp as autograd_logsumexp
except ImportError:  # the peer is optional
    autograd = None

DIMENSION, COMPONENTS = 10, 8


def logistic_problem(rng, n):
    X = rng.normal(size=(n, DIMENSION))
    y = (rng.uniform(size=n) < 0.5).astype(float)
    weights = rng.normal(size=DIMENSION) * 0.3
    params = (weights,)
    hand = lambda w: likelihoods.logistic_regression_log_likelihood_grad(w, X, y)["weights"]  # noqa: E731
    value = lambda w: likelihoods.logistic_regression_log_likelihood(w, X, y)  # noqa: E731
    ours = ad.value_and_grad(value)
    peer = None
    if autograd is not None:
        def peer_function(w):
            logits = anp.dot(X, w)
            return anp.sum(y * logits - anp.logaddexp(0.0, logits))
        peer = autograd.value_and_grad(peer_function)
    return params, hand, value, (lambda *p: ours(*p)[1]), peer and (lambda *p: peer(*p)[1])


def gmm_problem(rng, n):
    X = rng.normal(size=(n, DIMENSION))
    params = (rng.normal(size=COMPONENTS), rng.normal(size=(COMPONENTS, DIMENSION)), 0.1 * rng.normal(size=COMPONENTS))
    names = ("logits", "means", "log_scales")

    def hand(*p):  # one call: a generator over the keys would call the gradient once per key
        gradient = likelihoods.isotropic_gmm_log_likelihood_grad(X, *p)
        return tuple(gradient[k] for k in names)

    value = lambda *p: likelihoods.isotropic_gmm_log_likelihood(X, *p)  # noqa: E731
    ours = ad.value_and_grad(value, argnums=(0, 1, 2))
    peer = None
    if autograd is not None:
        def peer_function(logits, means, log_scales):
            squared = anp.sum(X**2, axis=1)[:, None] - 2 * anp.dot(X, means.T) + anp.sum(means**2, axis=1)
            joint = (
                logits - autograd_logsumexp(logits)
                - DIMENSION * (log_scales + 0.5 * np.log(2 * np.pi))
                - 0.5 * squared * anp.exp(-2 * log_scales)
            )
            return anp.sum(autograd_logsumexp(joint, axis=1))
        peer = _autograd_all(peer_function)
    return params, hand, value, (lambda *p: ours(*p)[1]), peer


def _autograd_all(function):
    """The gradient part of autograd's value_and_grad with respect to every argument."""
    both = autograd.value_and_grad(lambda params: function(*params))
    return lambda *params: tuple(both(params)[1])


def best_time(function, params, repeats):
    timer = timeit.Timer(lambda: function(*params))
    loops, _ = timer.autorange()
    return min(timer.repeat(repeat=repeats, number=loops)) / loops


def page_faults(function, params, calls=20):
    """Minor page faults per call, after one warm-up call."""
    function(*params)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(calls):
        function(*params)
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / calls


def _as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def agree(a, b):
    return all(np.allclose(x, y, rtol=1e-9, atol=1e-9) for x, y in zip(_as_tuple(a), _as_tuple(b)))


NO_TRIMMING = {"MALLOC_TRIM_THRESHOLD_": str(2**30), "MALLOC_MMAP_THRESHOLD_": str(2**30)}


def print_table(sizes, repeats):
    rng = np.random.default_rng(0)
    columns = ("function", "N", "hand grad", "hand value+grad", "vi_ref v&g", "autograd v&g",
               "vi_ref/hand grad", "vi_ref/hand v+g", "vi_ref/autograd", "vi_ref faults")
    print("times in ms; v&g = value_and_grad; faults = minor page faults per vi_ref call")
    print(" ".join(f"{c:>16}" for c in columns))
    for label, make in (("logistic", logistic_problem), ("gmm", gmm_problem)):
        for n in sizes:
            params, hand, value, ours, peer = make(rng, n)
            if not agree(ours(*params), hand(*params)) or (peer and not agree(peer(*params), hand(*params))):
                raise SystemExit(f"{label} N={n}: gradients disagree; refusing to time them")
            both = lambda *p: (value(*p), hand(*p))  # noqa: E731
            t_hand, t_both, t_ours = (best_time(f, params, repeats) for f in (hand, both, ours))
            t_peer = best_time(peer, params, repeats) if peer else float("nan")
            times = (1e3 * t_hand, 1e3 * t_both, 1e3 * t_ours, 1e3 * t_peer)
            ratios = (t_ours / t_hand, t_ours / t_both, t_ours / t_peer)
            print(f"{label:>16} {n:>16}" + "".join(f" {v:>16.3f}" for v in times)
                  + "".join(f" {v:>16.2f}" for v in ratios) + f" {page_faults(ours, params):>16.0f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--one-allocator", action="store_true", help="skip the second table")
    arguments = parser.parse_args(argv)
    trimming_off = all(os.environ.get(k) == v for k, v in NO_TRIMMING.items())
    print("\n== allocator: glibc " + ("with trimming off ==" if trimming_off else "defaults =="))
    print_table(arguments.sizes, arguments.repeats)
    if autograd is None:
        print("\nautograd is not installed: pip install -e '.[bench]' to compare against it")
    if not (trimming_off or arguments.one_allocator):
        child = [sys.executable, __file__, "--one-allocator", "--repeats", str(arguments.repeats), "--sizes"]
        subprocess.run(child + [str(n) for n in arguments.sizes], env={**os.environ, **NO_TRIMMING}, check=True)


if __name__ == "__main__":
    main()
