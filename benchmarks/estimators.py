"""Benchmark: the Monte Carlo gradient estimators on the exact suite.

For every problem of ``vi_ref.estimators.suite`` and every estimator it supports, one
call with n samples is made and the table shows, per parameter (the first coordinate
of a vector parameter):

    bias/SE      (mean − exact gradient) / reported standard error; |·| < 4.5 expected
    var          measured per-sample variance (ddof = 1)
    exact var    the suite's closed-form / quadrature variance
    ratio        var / exact var
    SNR          |exact gradient| / √(exact var): the signal-to-noise ratio of one sample
    µs/sample    wall time of the call divided by n (median of --repeats calls,
                 estimators interleaved, their order rotated every repeat, so that
                 machine load and warm-up affect all alike)

A second table measures the O(1/n) bias of the estimated optimal baseline on the
quadratic (many repeated estimates at small n) against its leading term, and a third
the importance-weighted bound L_K against log p(x) − χ²/(2K).

Usage::

    python benchmarks/estimators.py            # n = 4e5 (D = 100 at 4e4)
    python benchmarks/estimators.py --quick    # n = 1e5
"""

import argparse
import time

import numpy as np

from vi_ref.estimators import mean_and_standard_error, suite


def _first(value):
    return float(np.ravel(value)[0])


def measure(problem, n, repeats, seed):
    """{estimator: (terms, median seconds)} with the estimators interleaved per repeat."""
    times = {estimator: [] for estimator in problem.estimators}
    terms = {}
    names = list(problem.estimators)
    for repeat in range(repeats):
        shift = repeat % len(names)  # the order rotated, so that no estimator always runs first
        for estimator in names[shift:] + names[:shift]:
            start = time.perf_counter()
            result = problem.estimate(estimator, n, seed + repeat)
            times[estimator].append(time.perf_counter() - start)
            if repeat == 0:
                terms[estimator] = result
    return {estimator: (terms[estimator], float(np.median(times[estimator]))) for estimator in problem.estimators}


def estimator_table(n, repeats, seed):
    header = (f"{'problem':22s} {'estimator':30s} {'param':6s} {'bias/SE':>8s} {'var':>12s} "
              f"{'exact var':>12s} {'ratio':>7s} {'SNR':>8s} {'µs/sample':>10s}")
    print(header)
    print("-" * len(header))
    for problem in suite.problems():
        size = n if problem.name != "dimension D=100" else n // 10
        for estimator, (terms, seconds) in measure(problem, size, repeats, seed).items():
            means, errors = mean_and_standard_error(terms)
            exact = problem.variance(estimator, size)
            for name in terms:
                gradient, variance = _first(problem.gradient[name]), _first(exact[name])
                error = _first(errors[name])
                deviation = _first(means[name]) - gradient
                # terms that are exactly constant (zero variance) have a round-off SE
                bias = deviation / error if variance > 0 else 0.0 if abs(deviation) < 1e-10 else float("inf")
                measured = _first(np.var(terms[name], axis=0, ddof=1))
                ratio = measured / variance if variance > 0 else float("nan")
                snr = abs(gradient) / np.sqrt(variance) if variance > 0 else float("inf")
                print(f"{problem.name:22s} {estimator:30s} {name:6s} {bias:8.2f} {measured:12.5g} "
                      f"{variance:12.5g} {ratio:7.4f} {snr:8.3g} {1e6 * seconds / size:10.3f}")
        print()


def optimal_baseline_bias_table(seed, repeats=40_000):
    problem = suite.quadratic_problem()
    print("Estimated optimal baseline on the quadratic, μ coordinate: bias = E[estimate] − ∇")
    print(f"{'n':>5s} {'measured bias':>14s} {'± SE':>8s} {'leading term −6a/n':>19s} {'n·bias':>8s}")
    generator = np.random.default_rng(seed)
    shift = problem.gradient["loc"] / 2  # a = μ − k
    for n in (5, 10, 20, 40, 80):
        eps = generator.standard_normal((repeats, n))
        values = (shift + problem.scale * eps) ** 2
        score = eps / problem.scale
        coefficient = np.sum(values * score**2, axis=1, keepdims=True) / np.sum(score**2, axis=1, keepdims=True)
        estimates = np.mean((values - coefficient) * score, axis=1)
        bias = estimates.mean() - problem.gradient["loc"]
        error = estimates.std(ddof=1) / np.sqrt(repeats)
        predicted = problem.optimal_baseline_bias(n)["loc"]
        print(f"{n:5d} {bias:14.4f} {error:8.4f} {predicted:19.4f} {n * bias:8.3f}")
    print()


def iwae_table(seed, groups=20_000):
    problem = suite.iwae_problem()
    print(f"IWAE bound, log p(x) = {problem.log_marginal:.5f}, ELBO = {problem.elbo:.5f}, "
          f"χ² = {problem.chi_square:.5f}")
    print(f"{'K':>5s} {'L_K':>10s} {'± SE':>8s} {'gap':>9s} {'χ²/(2K)':>9s}")
    for k in (1, 2, 4, 16, 64, 256):
        estimate, error = problem.bound(k, groups if k <= 64 else groups // 4, seed + k)
        print(f"{k:5d} {estimate:10.5f} {error:8.5f} {problem.log_marginal - estimate:9.5f} "
              f"{problem.asymptotic_gap(k):9.5f}")
    print()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="n = 1e5 instead of 4e5")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per estimator (median)")
    parser.add_argument("--seed", type=int, default=20261201)
    arguments = parser.parse_args(argv)
    n = 100_000 if arguments.quick else 400_000
    estimator_table(n, arguments.repeats, arguments.seed)
    optimal_baseline_bias_table(arguments.seed)
    iwae_table(arguments.seed)


if __name__ == "__main__":
    main()
