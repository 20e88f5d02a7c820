"""``vi-ref tour``: run every verification the package can make, and show it.

Each section checks one part of the lecture against an independent value and
returns rows ``(check, measured, criterion, ok)``; the tour prints one table per
section and fails (exit status 1) if any row fails. Sections are registered with
``@section`` in the order of the lecture.
"""

import time
from dataclasses import dataclass

import numpy as np

from .gradcheck import check_case

__all__ = ["Row", "SECTIONS", "section", "run"]


@dataclass
class Row:
    check: str
    measured: str
    criterion: str
    ok: bool


SECTIONS = []


def section(title):
    """Register ``function(rng) -> list[Row]`` as a tour section titled ``title``."""

    def register(function):
        SECTIONS.append((title, function))
        return function

    return register


def _table(rows):
    headers = ("check", "measured", "criterion", "")
    cells = [headers] + [(r.check, r.measured, r.criterion, "pass" if r.ok else "FAIL") for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def run(rng=0, out=print, only=None):
    """Run the sections (those whose title contains ``only``, if given).

    Returns:
        True if every row passed.
    """
    generator = np.random.default_rng(rng)
    all_ok = True
    for title, function in SECTIONS:
        if only and only.lower() not in title.lower():
            continue
        start = time.perf_counter()
        rows = function(generator)
        elapsed = time.perf_counter() - start
        passed = sum(row.ok for row in rows)
        out(f"\n== {title} ==")
        out(_table(rows))
        out(f"{passed}/{len(rows)} passed in {elapsed:.2f} s")
        all_ok &= passed == len(rows)
    out("\nAll checks passed." if all_ok else "\nSome checks FAILED.")
    return all_ok


@section("Gradients: every hand-written gradient and autodiff rule against finite differences")
def gradients(rng):
    from .registry import CASES, missing_gradients

    rows = []
    for case in CASES:
        checks = check_case(case, rng)
        worst = max(check.max_rel_error for check in checks)
        rows.append(
            Row(case.name, f"rel err {worst:.1e}", f"{case.method}, rtol {case.rtol:.0e}",
                all(check.ok for check in checks))
        )
    missing = sorted(missing_gradients(CASES))
    rows.append(
        Row("registry covers every public gradient",
            f"{len(missing)} missing" + (f": {', '.join(missing)}" if missing else ""),
            "0 missing", not missing)
    )
    return rows
