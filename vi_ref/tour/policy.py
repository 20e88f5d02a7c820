"""The false-alarm policy of every random row of the tour.

A random row compares Monte Carlo estimates with exact values. It passes when every
standardised error |estimate − exact| / SE is below a limit z chosen so that, for
correct code, the row fails with probability at most ``FALSE_ALARM`` = 1e-6:

    z = Φ⁻¹(1 − α / (2m))        (two-sided, Bonferroni over the m compared entries)

Two conditions make the stated probability honest:

1. The standard error cannot collapse. It is the exact one (√(Var/S) from a known
   variance) where the variance is known in closed form; otherwise it is the sample
   standard error of S ≥ 4000 draws of a statistic whose inputs are kept away from
   degenerate laws (no category with probability below 1/(2K), scales bounded away
   from 0, light-tailed statistics), so that P(SE ≤ SE_true / 2) is negligible
   (the relative error of a sample standard deviation is ≈ √((κ − 1) / 4S) for
   kurtosis κ, below 5% here).
2. The estimate is a mean of S ≥ 4000 independent terms, so the normal approximation
   holds in the tail that matters; the 50-seed sweep in ``tests/test_tour.py``
   (``pytest -m slow``) is the empirical check: with ≈ 20 random rows per tour, a
   rate of 1e-6 predicts no failure in 1,000 row-runs, and a standard error 2× too
   small (a rate near 1e-2 an entry) would fail many.

Deterministic rows (round-off comparisons) have no false alarms by construction;
their tolerances are stated with their reason at each row.
"""

import numpy as np
import scipy.stats

from ..validation import as_float_array, check_count
from .framework import Row

__all__ = ["FALSE_ALARM", "z_limit", "standard_errors_off", "monte_carlo_row"]

FALSE_ALARM = 1e-6


def z_limit(comparisons=1, false_alarm=FALSE_ALARM):
    """The two-sided normal limit for ``comparisons`` entries at family-wise
    false-alarm probability ``false_alarm`` (Bonferroni)."""
    comparisons = check_count(comparisons, "comparisons", minimum=1)
    false_alarm = float(as_float_array(false_alarm, "false_alarm", ndim=0))
    if not 0 < false_alarm < 1:
        raise ValueError(f"false_alarm must be a probability in (0, 1); got {false_alarm}")
    return float(scipy.stats.norm.isf(false_alarm / (2 * comparisons)))


def standard_errors_off(estimate, standard_error, exact):
    """max over entries of |estimate − exact| / standard_error, and the entry count.

    An entry whose estimate equals the exact value counts 0 (such as a score entry
    that is constant, e.g. above a Cholesky factor's diagonal); a standard error that
    is 0 or not finite while the estimate is off is infinitely off: the row fails,
    loudly, rather than dividing by zero.
    """
    estimate, standard_error = np.asarray(estimate, float), np.asarray(standard_error, float)
    difference = np.abs(estimate - exact)
    difference, standard_error = np.broadcast_arrays(difference, standard_error)
    exact_entries = difference == 0
    usable = (standard_error > 0) & np.isfinite(standard_error)
    ratio = np.where(exact_entries, 0.0,
                     np.where(usable, difference / np.where(usable, standard_error, 1.0), np.inf))
    return float(np.max(ratio)), int(ratio.size)


def sample_mean_and_error(values):
    """Mean over axis 0 and its sample standard error std/√S."""
    values = np.asarray(values, float)
    return values.mean(axis=0), values.std(axis=0, ddof=1) / np.sqrt(values.shape[0])


def monte_carlo_row(claim, estimate, standard_error, exact, oracle, *, label="", detail=False):
    """A row: every entry of ``estimate`` within the false-alarm limit of ``exact``."""
    off, count = standard_errors_off(estimate, standard_error, exact)
    limit = z_limit(count)
    return Row(claim, f"max |error| {off:.2f} SE over {count}", oracle,
               f"≤ {limit:.2f} SE (P(false alarm) ≤ 1e-6)", off <= limit, label, detail)
