"""Appendix: the machinery under every section — each hand-written gradient and each
autodiff rule against finite differences (the registry), one line per module."""

from collections import defaultdict

from ..gradcheck import check_case
from .framework import Row, section


@section("gradient-engine", "Appendix: every hand-written gradient and autodiff rule vs finite differences",
         "01", order=1000)
def gradient_engine(rng):
    from ..registry import CASES, missing_gradients, unknown_gradients

    by_module = defaultdict(list)
    for case in CASES:
        checks = check_case(case, rng)
        worst = max(check.max_rel_error for check in checks)
        ok = all(check.ok for check in checks)
        row = Row(case.name, f"rel err {worst:.1e}", f"{case.method} finite differences",
                  f"rtol {case.rtol:.0e}", ok, detail=True)
        by_module[case.name.split(".")[0]].append((row, worst))
        yield row
    for module, entries in by_module.items():
        passed = sum(row.ok for row, _ in entries)
        worst_row, worst = max(entries, key=lambda entry: entry[1])
        yield Row(f"vi_ref.{module}: {len(entries)} gradients", f"{passed}/{len(entries)} pass, worst rel err {worst:.1e}"
                  f" ({worst_row.claim})", "finite differences (Richardson or complex step)",
                  "each within its case's rtol", passed == len(entries))
    missing, unknown = sorted(missing_gradients(CASES)), sorted(unknown_gradients(CASES))
    yield Row("the registry covers every public gradient and names only existing ones",
              f"{len(missing)} missing, {len(unknown)} unknown" + (f": {', '.join(missing + unknown)}" if missing or unknown else ""),
              "a scan of the package", "0 and 0", not missing and not unknown)
