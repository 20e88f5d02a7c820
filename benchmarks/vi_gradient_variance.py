"""Gradient variance of the ELBO estimators along an SVI run (``vi_ref.vi.fit``).

Target: the correlated 3-D Gaussian of ``tests/test_vi.py`` (mean m, precision Λ),
q: a mean-field ``Normal``, Adam with a decaying step. At every ELBO estimate the run
records Σⱼ Var[ĝⱼ], the total variance of a single-sample gradient estimate in the
unconstrained coordinates (loc, log scale), from 100 fresh draws
(``track_gradient_variance=True``). The table prints the medians of those
measurements over windows of the run, for the score function (leave-one-out
baseline), the reparameterisation (total derivative) and the path derivative, each
averaged over seeds; and how far each run's iterate average ends from the exact
optimum (m, 1/Λᵢᵢ).

Usage: OPENBLAS_NUM_THREADS=1 python benchmarks/vi_gradient_variance.py [--seeds 5] [--steps 1500]
"""

import argparse
import os

import numpy as np

from vi_ref import autodiff as ad
from vi_ref import vi
from vi_ref.distributions import Normal

MEAN = np.array([1.0, -2.0, 0.5])
PRECISION = np.array([[2.0, 1.2, 0.3], [1.2, 2.0, -0.5], [0.3, -0.5, 1.0]])
ESTIMATORS = {"score_function": 8, "reparameterization": 4, "path_derivative": 4}


def log_joint(z):
    residual = z - MEAN
    return -0.5 * ad.sum(residual * ad.matmul(residual, PRECISION), axis=-1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=1500)
    args = parser.parse_args(argv)
    windows = [(0, 1), (1, 10), (10, 60), (60, None)]
    labels = ["start", "steps 5-50", "steps 50-300", f"steps 300-{args.steps}"]
    optimum = np.concatenate([MEAN, -0.5 * np.log(np.diag(PRECISION))])
    load = f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "unknown"
    print(f"Σ Var of one-sample gradients (median per window, mean over {args.seeds} seeds);"
          f" load average {load} on {os.cpu_count()} cores at the start")
    print(f"{'estimator':20s} {'n':>3s} " + " ".join(f"{label:>14s}" for label in labels) + f" {'|avg - opt|':>12s}")
    for estimator, n_samples in ESTIMATORS.items():
        rows, errors = [], []
        for seed in range(args.seeds):
            result = vi.fit(
                log_joint, Normal(np.zeros(3), np.ones(3)), steps=args.steps, learning_rate=0.05,
                n_samples=n_samples, estimator=estimator, rng=seed, eval_every=5,
                schedule=vi.decay_schedule(150, 0.75), track_gradient_variance=True,
            )
            variance = result.gradient_variance
            rows.append([np.median(variance[start:stop]) for start, stop in windows])
            _, mean, _ = vi.iterate_average(result)
            errors.append(np.max(np.abs(np.concatenate([mean["loc"], mean["scale"]]) - optimum)))
        cells = " ".join(f"{value:14.2f}" for value in np.mean(rows, axis=0))
        print(f"{estimator:20s} {n_samples:3d} {cells} {np.mean(errors):12.4f}")


if __name__ == "__main__":
    main()
