"""Benchmark: ``vi_ref.cavi.BayesianGaussianMixtureCAVI`` against scikit-learn's
``BayesianGaussianMixture``, per iteration, from the same start.

Both start from the same responsibilities (scikit-learn through a subclass whose
``_initialize_parameters`` calls its own ``_initialize(X, resp)``) and run the same
number of iterations (``tol=0``, ``max_iter`` fixed); the fitted parameters are
asserted equal (1e-8 relative) before any time is reported. The time per iteration is
(time of a fit with ``2M`` iterations − time with ``M``) / M, which removes the set-up
and the initial update common to both; each is the median of ``--repeats`` runs,
alternating the libraries, with the spread (max − min) / median reported as noise.
Both run with one BLAS thread (unless the environment sets the thread counts).
vi_ref's iteration does more work than scikit-learn's: it evaluates the exact ELBO
after each of its three coordinate updates (scikit-learn evaluates its bound once).

Usage::

    python benchmarks/cavi.py            # the grid
    python benchmarks/cavi.py --quick    # the two smallest cases
"""

import argparse
import os
import time
import warnings

# one BLAS thread on both sides (set before NumPy loads BLAS): on a shared machine,
# worker threads spinning between small products dominate and swamp the comparison
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402

from vi_ref.cavi import BayesianGaussianMixtureCAVI  # noqa: E402

try:
    from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
    from sklearn.mixture import BayesianGaussianMixture
except ImportError:  # the comparison is optional: scikit-learn is in the "bench" extra
    BayesianGaussianMixture = None

# (N, D, K, covariance_type, weight_concentration_prior_type)
GRID = [
    (2_000, 2, 5, "full", "dirichlet_process"),
    (2_000, 2, 5, "diag", "dirichlet_distribution"),
    (20_000, 4, 8, "full", "dirichlet_process"),
    (20_000, 4, 8, "tied", "dirichlet_process"),
    (20_000, 4, 8, "diag", "dirichlet_distribution"),
    (20_000, 4, 8, "spherical", "dirichlet_distribution"),
    (100_000, 8, 8, "full", "dirichlet_process"),
]
ATTRIBUTES = ("means_", "covariances_", "degrees_of_freedom_", "mean_precision_", "weights_")


if BayesianGaussianMixture is not None:

    class FromResponsibilities(BayesianGaussianMixture):
        def __init__(self, responsibilities=None, **options):
            super().__init__(**options)
            self.responsibilities = responsibilities

        def _initialize_parameters(self, X, random_state, xp=None):
            self._initialize(X, self.responsibilities)


def make_problem(n_samples, n_features, n_components, seed=0):
    rng = np.random.default_rng(seed)
    centres = 3.0 * rng.standard_normal((n_components, n_features))
    X = centres[rng.integers(n_components, size=n_samples)] + rng.standard_normal((n_samples, n_features))
    return X, rng.dirichlet(np.ones(n_components), size=n_samples)


def fitter(library, X, start, kind, prior_type, max_iter):
    options = dict(n_components=start.shape[1], covariance_type=kind, weight_concentration_prior_type=prior_type,
                   max_iter=max_iter, tol=0.0, reg_covar=0.0)
    if library == "vi_ref":
        return lambda: BayesianGaussianMixtureCAVI(responsibilities_init=start, **options).fit(X)
    return lambda: FromResponsibilities(start, **options).fit(X)


def timed(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        begin = time.perf_counter()
        model = fit()
        return time.perf_counter() - begin, model


def run_case(n_samples, n_features, n_components, kind, prior_type, iterations, repeats):
    X, start = make_problem(n_samples, n_features, n_components)
    libraries = ["vi_ref"] + (["sklearn"] if BayesianGaussianMixture is not None else [])
    models = {lib: timed(fitter(lib, X, start, kind, prior_type, 40))[1] for lib in libraries}
    if "sklearn" in models:
        for name in ATTRIBUTES:
            ours, theirs = getattr(models["vi_ref"], name), getattr(models["sklearn"], name)
            error = np.max(np.abs(ours - theirs)) / np.max(np.abs(theirs))
            assert error <= 1e-8, f"{name} differs by {error:.2g}"
    per_iteration = {lib: [] for lib in libraries}
    for repeat in range(repeats):
        for lib in libraries if repeat % 2 == 0 else libraries[::-1]:
            short, _ = timed(fitter(lib, X, start, kind, prior_type, iterations))
            long, _ = timed(fitter(lib, X, start, kind, prior_type, 2 * iterations))
            per_iteration[lib].append((long - short) / iterations)
    return {lib: np.array(times) for lib, times in per_iteration.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--iterations", type=int, default=20)
    args = parser.parse_args(argv)
    grid = GRID[:2] if args.quick else GRID
    print(f"{'N':>7} {'D':>2} {'K':>2} {'type':>9} {'weights':>22}  {'vi_ref ms/it':>12} {'noise':>6}"
          f"  {'sklearn ms/it':>13} {'noise':>6}  {'sklearn/vi_ref':>14}")
    for case in grid:
        times = run_case(*case, args.iterations, args.repeats)
        row = f"{case[0]:>7} {case[1]:>2} {case[2]:>2} {case[3]:>9} {case[4]:>22}"
        for lib in ("vi_ref", "sklearn"):
            if lib in times:
                median = np.median(times[lib])
                noise = (times[lib].max() - times[lib].min()) / median
                row += f"  {1e3 * median:>12.3f} {noise:>6.0%}" if lib == "vi_ref" else f"  {1e3 * median:>13.3f} {noise:>6.0%}"
        if "sklearn" in times:
            row += f"  {np.median(times['sklearn']) / np.median(times['vi_ref']):>14.2f}"
        print(row, flush=True)


if __name__ == "__main__":
    main()
