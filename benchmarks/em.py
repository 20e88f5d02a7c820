"""Benchmark: ``vi_ref.em.GaussianMixtureEM`` against ``sklearn.mixture.GaussianMixture``.

Both estimators start from the same parameters (``weights_init``, ``means_init``,
``precisions_init``) and run the same number of EM iterations (``tol=0``, fixed
``max_iter``); the fitted parameters and the score are asserted equal before any
time is reported. Times are the best of ``--repeats`` runs, alternating the two
libraries with a short pause before each run (so that BLAS worker threads left
spinning by one run do not slow the next); peak memory is measured separately with
``tracemalloc`` (NumPy reports its allocations to it; BLAS-internal buffers are not
included). Without scikit-learn only vi_ref is timed.

Usage::

    python benchmarks/em.py               # the whole grid, including N = 1e6
    python benchmarks/em.py --quick       # N <= 1e5 only
    python benchmarks/em.py --case 1e5,8,8,full
"""

import argparse
import time
import tracemalloc
import warnings

import numpy as np

from vi_ref.em import GaussianMixtureEM

try:
    from sklearn.mixture import GaussianMixture as SklearnGaussianMixture
except ImportError:  # the comparison is optional: scikit-learn is in the "bench" extra
    SklearnGaussianMixture = None

# (N, D, K, covariance_type); the target case is (100_000, 8, 8, "full")
GRID = [
    (10_000, 2, 3, "full"),
    (100_000, 8, 8, "full"),
    (100_000, 8, 8, "tied"),
    (100_000, 8, 8, "diag"),
    (100_000, 8, 8, "spherical"),
    (100_000, 32, 4, "full"),
    (100_000, 2, 32, "full"),
    (1_000_000, 8, 8, "full"),
    (1_000_000, 2, 16, "diag"),
]
RTOL = 1e-8
PAUSE_SECONDS = 0.3


def make_problem(n_samples, n_features, n_components, covariance_type, seed=0):
    """Data from a K-component mixture with unit-variance clusters, and a start:
    equal weights, K distinct data points as means, identity precisions."""
    rng = np.random.default_rng(seed)
    centres = 3.0 * rng.standard_normal((n_components, n_features))
    labels = rng.integers(n_components, size=n_samples)
    X = centres[labels] + rng.standard_normal((n_samples, n_features))
    start = {
        "weights_init": np.full(n_components, 1.0 / n_components),
        "means_init": X[rng.choice(n_samples, n_components, replace=False)],
        "precisions_init": {
            "full": np.tile(np.eye(n_features), (n_components, 1, 1)),
            "tied": np.eye(n_features),
            "diag": np.ones((n_components, n_features)),
            "spherical": np.ones(n_components),
        }[covariance_type],
    }
    return X, start


def fit(library, X, n_components, covariance_type, iterations, start):
    estimator_class = GaussianMixtureEM if library == "vi_ref" else SklearnGaussianMixture
    estimator = estimator_class(
        n_components, covariance_type=covariance_type, tol=0.0, max_iter=iterations, **start
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol = 0 never converges: the warning is expected
        return estimator.fit(X)


def relative_difference(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), np.finfo(float).tiny))


def assert_equal_results(ours, theirs, X):
    differences = {
        name: relative_difference(getattr(ours, name), getattr(theirs, name))
        for name in ("weights_", "means_", "covariances_", "precisions_cholesky_")
    }
    differences["score"] = abs(ours.score(X) - theirs.score(X)) / abs(theirs.score(X))
    worst = max(differences, key=differences.get)
    assert differences[worst] <= RTOL, f"results differ: {differences}"
    return differences[worst]


def timed(run):
    time.sleep(PAUSE_SECONDS)
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def peak_memory(run):
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def benchmark(case, iterations, repeats):
    n_samples, n_features, n_components, covariance_type = case
    X, start = make_problem(*case)
    libraries = ["vi_ref"] + (["sklearn"] if SklearnGaussianMixture is not None else [])
    runs = {
        library: (lambda library=library: fit(library, X, n_components, covariance_type,
                                              iterations, start))
        for library in libraries
    }
    results = {library: run() for library, run in runs.items()}  # warm-up and results
    difference = (
        assert_equal_results(results["vi_ref"], results["sklearn"], X)
        if "sklearn" in results else float("nan")
    )
    times = {library: np.inf for library in libraries}
    for _ in range(repeats):  # alternate the libraries, keep each one's best time
        for library, run in runs.items():
            times[library] = min(times[library], timed(run))
    memory = {library: peak_memory(run) for library, run in runs.items()}
    return times, memory, difference


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the N = 1e6 cases")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per library (best kept)")
    parser.add_argument("--iterations", type=int, default=10, help="EM iterations per fit")
    parser.add_argument("--case", metavar="N,D,K,TYPE",
                        help="run this one case instead of the grid")
    arguments = parser.parse_args(argv)
    if arguments.case:
        n_samples, n_features, n_components, covariance_type = arguments.case.split(",")
        grid = [(int(float(n_samples)), int(n_features), int(n_components), covariance_type)]
    else:
        grid = [case for case in GRID if not (arguments.quick and case[0] > 100_000)]
    header = (
        f"{'N':>9} {'D':>3} {'K':>3} {'type':>9} | {'vi_ref s':>9} {'sklearn s':>9}"
        f" {'speed-up':>8} | {'vi_ref MB':>9} {'sklearn MB':>10} | {'max rel diff':>12}"
    )
    print(f"{arguments.iterations} EM iterations from the same start; best of {arguments.repeats}")
    print(header)
    print("-" * len(header))
    for case in grid:
        times, memory, difference = benchmark(case, arguments.iterations, arguments.repeats)
        theirs = times.get("sklearn", np.nan)
        theirs_memory = memory.get("sklearn", np.nan) / 2**20
        print(
            f"{case[0]:>9} {case[1]:>3} {case[2]:>3} {case[3]:>9} | {times['vi_ref']:>9.3f}"
            f" {theirs:>9.3f} {theirs / times['vi_ref']:>7.2f}x |"
            f" {memory['vi_ref'] / 2**20:>9.1f} {theirs_memory:>10.1f} | {difference:>12.1e}",
            flush=True,
        )


if __name__ == "__main__":
    main()
