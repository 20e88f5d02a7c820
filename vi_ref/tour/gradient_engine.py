"""Appendix: the machinery under every section — each hand-written gradient and each
autodiff rule against finite differences (the registry), one line per module."""

from collections import defaultdict

import numpy as np

from ..gradcheck import check_case
from .framework import Row, section


def _share_of_tolerance(case, checks):
    """max over the checked entries of |analytic − numerical| / (atol + rtol·|numerical|):
    below 1 passes; it says how close a case came to failing, which a relative error
    alone does not (an entry near 0 has a large relative error and a tiny absolute one)."""
    shares = [np.max(np.abs(c.analytic - c.numerical) / (case.atol + case.rtol * np.abs(c.numerical)), initial=0.0)
              for c in checks]
    return float(max(shares, default=0.0))


@section("gradient-engine", "Appendix: every hand-written gradient and autodiff rule vs finite differences",
         "01", order=1000)
def gradient_engine(rng):
    from ..registry import CASES, missing_gradients, unknown_gradients

    by_module = defaultdict(list)
    for case in CASES:
        checks = check_case(case, rng)
        share = _share_of_tolerance(case, checks)
        ok = all(check.ok for check in checks)
        row = Row(case.name, f"rel err {max(c.max_rel_error for c in checks):.1e}, {share:.1e} of the tolerance",
                  f"{case.method} finite differences", f"within rtol {case.rtol:.0e}, atol {case.atol:.0e}", ok,
                  detail=True)
        by_module[case.name.split(".")[0]].append((row, share, case.method))
        yield row
    for module, entries in by_module.items():
        passed = sum(row.ok for row, _, _ in entries)
        worst_row, worst, _ = max(entries, key=lambda entry: entry[1])
        methods = " or ".join(sorted({method for _, _, method in entries}, reverse=True))
        yield Row(f"vi_ref.{module}: {len(entries)} gradient{'s' if len(entries) > 1 else ''}", f"{passed}/{len(entries)} pass; the closest came to "
                  f"{worst:.1e} of its tolerance ({worst_row.claim})", f"{methods} finite differences",
                  "each within atol + rtol·|numerical|", passed == len(entries))
    missing, unknown = sorted(missing_gradients(CASES)), sorted(unknown_gradients(CASES))
    yield Row("the registry covers every public gradient and names only existing ones",
              f"{len(missing)} missing, {len(unknown)} unknown" + (f": {', '.join(missing + unknown)}" if missing or unknown else ""),
              "a scan of the package", "0 and 0", not missing and not unknown)
