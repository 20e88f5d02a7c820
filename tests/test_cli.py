"""The command line and the tour's framework: exit statuses say whether every check passed."""

import subprocess
import sys

import pytest

from vi_ref import __version__, cli, tour


def _sections(*rows_per_section):
    return [(f"section {i}", lambda rng, rows=rows: rows) for i, rows in enumerate(rows_per_section)]


def test_tour_passes_only_when_every_row_passes(monkeypatch):
    good = tour.Row("exact", "0", "== 0", True)
    bad = tour.Row("wrong", "1", "== 0", False)
    monkeypatch.setattr(tour, "SECTIONS", _sections([good], [good, bad]))
    lines = []
    assert not tour.run(out=lines.append)
    assert "FAIL" in "\n".join(lines) and "Some checks FAILED." in lines[-1]
    assert cli.main(["tour"]) == 1
    monkeypatch.setattr(tour, "SECTIONS", _sections([good], []))
    assert cli.main(["tour"]) == 1  # a section that checks nothing cannot pass
    monkeypatch.setattr(tour, "SECTIONS", _sections([good]))
    assert cli.main(["tour"]) == 0


def test_tour_with_no_section_matching_only_fails(monkeypatch):
    monkeypatch.setattr(tour, "SECTIONS", _sections([tour.Row("exact", "0", "== 0", True)]))
    lines = []
    assert not tour.run(only="no such section", out=lines.append)
    assert "no section" in lines[-1]


def test_command_line_without_a_command_prints_help(capsys):
    assert cli.main([]) == 2
    assert "tour" in capsys.readouterr().out


def test_python_dash_m_runs_the_command_line():
    result = subprocess.run([sys.executable, "-m", "vi_ref", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == f"vi-ref {__version__}"


def test_unknown_command_is_refused():
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["tuor"])
    assert exit_info.value.code == 2
