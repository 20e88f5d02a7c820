"""The tour's data and its two printers.

A section is a function ``check(rng) -> iterable of Row``: each ``Row`` is one claim
of the lecture with what was measured, the independent value it was compared with,
the criterion and the verdict. The checks only compute rows; ``run`` walks them and
hands each to a printer (text for people, JSON for machines) as soon as it exists,
and the tests call the same section functions and assert on the same rows, so a
check is written once.
"""

import json
import time
import zlib
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np

__all__ = ["Row", "Section", "SECTIONS", "section", "section_rng", "select", "run_section", "run"]


@dataclass(frozen=True)
class Row:
    """One claim and its verdict.

    Attributes:
        claim: the claim, in words.
        measured: what the check measured.
        oracle: the independent value the measurement is compared with.
        criterion: when the row passes (with its false-alarm probability if random).
        ok: the verdict.
        label: a lecture question this row answers (``"VI2.3"``), or "".
        detail: shown only with ``--verbose``; a summary row stands for it.
    """

    claim: str
    measured: str
    oracle: str
    criterion: str
    ok: bool
    label: str = ""
    detail: bool = False

    def __post_init__(self):
        # a verdict is a comparison's result: bool(nan) or bool(0.3) would pass silently
        if not isinstance(self.ok, (bool, np.bool_)):
            raise TypeError(f"Row.ok must be a bool (a comparison's result); got {type(self.ok).__name__} {self.ok!r}")
        object.__setattr__(self, "ok", bool(self.ok))


@dataclass(frozen=True)
class Section:
    """A part of the lecture: its key for ``--only``, the lecture's own title, the
    derivation section that derives it, the question labels it answers, its check."""

    key: str
    title: str
    derivation: str
    check: Callable = field(repr=False)
    labels: tuple = ()
    order: float = 0.0


SECTIONS = []


def section(key, title, derivation, *, order, labels=()):
    """Register ``check(rng) -> iterable of Row`` as a section of the tour; ``order``
    is its place in the lecture (the slide it follows), so sections written in
    different modules still run in the lecture's order."""

    def register(check):
        if any(existing.key.lower() == key.lower() for existing in SECTIONS):
            raise RuntimeError(f"tour section key {key!r} is registered twice")
        SECTIONS.append(Section(key, title, derivation, check, tuple(labels), order))
        SECTIONS.sort(key=lambda candidate: candidate.order)
        return check

    return register


def section_rng(seed, key):
    """The section's own generator: ``default_rng([seed, crc32(key)])``.

    Each section's inputs depend only on the seed and the section's key, so
    ``--only KEY --seed s`` reproduces the rows of the full tour with ``--seed s``.
    """
    return np.random.default_rng([int(seed), zlib.crc32(key.encode("utf-8"))])


def _matches(token, candidate):
    token = token.strip().lower()
    return (token == candidate.key.lower()
            or token in (label.lower() for label in candidate.labels)
            or (len(token) > 2 and token in candidate.title.lower()))


def select(only=None, sections=None):
    """The sections named by ``only``: comma-separated keys, question labels or
    words of a title (case-insensitive); all sections when ``only`` is None (an
    empty ``only`` names none)."""
    sections = SECTIONS if sections is None else sections
    if only is None:
        return list(sections)
    if not isinstance(only, str):
        raise TypeError(f"only must be a string of comma-separated names, or None; got {type(only).__name__}")
    tokens = [token for token in only.split(",") if token.strip()]
    return [candidate for candidate in sections if any(_matches(t, candidate) for t in tokens)]


def unmatched(only, sections=None):
    """The comma-separated names in ``only`` that match no section (none when
    ``only`` is None): a typo beside a valid name must not be ignored."""
    if only is None:
        return []
    return [token.strip() for token in only.split(",") if token.strip() and not select(token, sections)]


def run_section(candidate, seed=0):
    """All rows of one section, as a list (the tests use this)."""
    return list(candidate.check(section_rng(seed, candidate.key)))


def _text_printer(out, verbose):
    def emit(event, payload):
        if event == "start":
            number, candidate = payload
            out(f"{number}. {candidate.title}   [derivation {candidate.derivation}; --only {candidate.key}]")
        elif event == "row":
            row = payload
            if row.detail and not verbose:
                return
            label = f"[{row.label}] " if row.label else ""
            verdict = "pass" if row.ok else "FAIL"
            out(f"  {verdict}  {label}{row.claim}: {row.measured}; oracle {row.oracle}; {row.criterion}")
        elif event == "end":
            candidate, rows, seconds = payload
            if not rows:
                out("  FAIL  this section checked nothing")
            if verbose:
                out(f"  ({sum(r.ok for r in rows)}/{len(rows)} in {seconds:.2f} s)")

    return emit


def _guarded(candidate, seed):
    """The section's rows; an exception inside a check becomes a failing row that
    names it, and the tour goes on with the next section."""
    try:
        yield from candidate.check(section_rng(seed, candidate.key))
    except Exception as error:  # noqa: BLE001 - reported as a failed claim, not hidden
        yield Row(f"section {candidate.key} raised {type(error).__name__}", str(error), "no exception",
                  "the check runs to the end", False)


def run(seed=0, *, only=None, verbose=False, as_json=False, out=print, err=None, sections=None):
    """Run the selected sections with their own generators, print with ``out``, and
    return True if every row passed (False if a row failed, a section checked
    nothing, or a name in ``only`` matched no section: a mistyped ``--only`` must
    not report success; that is said with ``err``, by default ``out``, so that
    ``--json`` keeps stdout for JSON)."""
    chosen, missing = select(only, sections), unmatched(only, sections)
    if not chosen or missing:
        names = ", ".join(repr(token) for token in missing) if chosen else repr(only)
        (err or out)(f"There is no section matching {names}; nothing was checked. "
                     "`vi-ref tour --list` names them.")
        return False
    start = time.perf_counter()
    report = []
    emit = None if as_json else _text_printer(out, verbose)
    if emit:
        out(f"vi-ref tour, seed {seed}. Each line: claim: measured; oracle; criterion. Random rows fail on correct"
            " code with probability ≤ 1e-6 each (vi_ref.tour.policy).")
    all_ok = True
    for number, candidate in enumerate(chosen, 1):
        if emit:
            emit("start", (number, candidate))
        section_start, rows = time.perf_counter(), []
        for row in _guarded(candidate, seed):
            rows.append(row)
            if emit:
                emit("row", row)
        seconds = time.perf_counter() - section_start
        if emit:
            emit("end", (candidate, rows, seconds))
        all_ok &= bool(rows) and all(row.ok for row in rows)
        report.append({"key": candidate.key, "title": candidate.title, "derivation": candidate.derivation,
                       "labels": list(candidate.labels), "seconds": round(seconds, 3),
                       "rows": [asdict(row) for row in rows]})
    elapsed = time.perf_counter() - start
    rows = [row for entry in report for row in entry["rows"]]
    failed = [row for row in rows if not row["ok"]]
    if as_json:
        out(json.dumps({"seed": seed, "passed": all_ok, "seconds": round(elapsed, 3),
                        "sections": report}, indent=1, ensure_ascii=False))
        return all_ok
    shown = (f"{len(rows)} check{'s' if len(rows) != 1 else ''} in {len(report)}"
             f" section{'s' if len(report) != 1 else ''}, {elapsed:.1f} s, seed {seed}")
    if all_ok:
        out(f"\nAll {shown}: passed.")
    else:
        out(f"\nFAILED: {len(failed)} of {shown}:")
        for row in failed:
            out(f"  {row['claim']}: {row['measured']} ({row['criterion']})")
        for entry in report:
            if not entry["rows"]:
                out(f"  section {entry['key']} checked nothing")
    return all_ok
