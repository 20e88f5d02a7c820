"""The command line: exit statuses say whether every check passed; the tour's flags
(--list, --only, --verbose, --json, --seed) and their refusals; a broken pipe ends
quietly; ``figures`` without matplotlib says so."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from pathlib import Path

from vi_ref import __version__, cli, tour
from vi_ref.tour import framework

ROOT = Path(__file__).parent.parent


def fake_sections(*rows_per_section):
    return [framework.Section(f"s{i}", f"Section {i}", "03 §1", lambda rng, rows=rows: iter(rows), order=i)
            for i, rows in enumerate(rows_per_section)]


def test_exit_status_is_0_only_when_every_row_passes(monkeypatch, capsys):
    good, bad = tour.Row("exact", "0", "0", "== 0", True), tour.Row("wrong", "1", "0", "== 0", False)
    monkeypatch.setattr(framework, "SECTIONS", fake_sections([good], [good, bad]))
    assert cli.main(["tour"]) == 1
    assert "FAIL  wrong" in capsys.readouterr().out
    monkeypatch.setattr(framework, "SECTIONS", fake_sections([good], []))
    assert cli.main(["tour"]) == 1  # a section that checks nothing cannot pass
    monkeypatch.setattr(framework, "SECTIONS", fake_sections([good]))
    assert cli.main(["tour"]) == 0


def test_json_exit_status_and_document_say_a_row_failed(monkeypatch, capsys):
    """With --json a failing tour exited 0 as long as the text path was right."""
    good, bad = tour.Row("exact", "0", "0", "== 0", True), tour.Row("wrong", "1", "0", "== 0", False)
    monkeypatch.setattr(framework, "SECTIONS", fake_sections([good, bad], [good]))
    assert cli.main(["tour", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["passed"] is False


def test_seed_0_the_default_is_accepted_and_reported(monkeypatch, capsys):
    monkeypatch.setattr(framework, "SECTIONS", fake_sections([tour.Row("exact", "0", "0", "== 0", True)]))
    assert cli.main(["tour", "--json", "--seed", "0"]) == 0
    assert json.loads(capsys.readouterr().out)["seed"] == 0


def test_verbose_prints_the_detail_rows(monkeypatch, capsys):
    """--verbose never reached the printer through the command line."""
    rows = [tour.Row("summary", "1", "1", "==", True), tour.Row("one case", "1", "1", "==", True, detail=True)]
    monkeypatch.setattr(framework, "SECTIONS", fake_sections(rows))
    assert cli.main(["tour"]) == 0
    assert "one case" not in capsys.readouterr().out
    assert cli.main(["tour", "--verbose"]) == 0
    assert "  pass  one case: 1; oracle 1; ==" in capsys.readouterr().out


def test_list_names_every_section_in_order(capsys):
    assert cli.main(["tour", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [candidate.key for candidate in tour.SECTIONS]
    assert any(line.startswith("VI3.3") for line in lines)


def test_help_lists_the_sections_and_the_commands(capsys):
    with pytest.raises(SystemExit):
        cli.main(["tour", "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps the epilog
    assert "VI2.3" in text and "gradient-engine" in text
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    assert "tour" in text and "figures" in text


def test_only_a_question_label_and_json(capsys):
    assert cli.main(["tour", "--only", "VI2.3", "--json", "--seed", "4"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["passed"] and document["seed"] == 4
    assert [s["key"] for s in document["sections"]] == ["VI2.3"]
    assert all(row["label"] == "VI2.3" for row in document["sections"][0]["rows"])


@pytest.mark.parametrize("only", ["no such section", ""])
def test_only_with_no_matching_section_is_a_usage_error_naming_the_option(only, capsys):
    """Status 2 (usage), as `figures --only` and `reference --only` give: it was 1, the
    status of a failed claim, though no claim was checked."""
    assert cli.main(["tour", "--only", only]) == 2
    assert "--only: no section" in capsys.readouterr().err


def test_only_with_one_unmatched_name_fails_and_names_it(capsys):
    """A typo in one of several comma-separated names must not pass silently
    (the matched section alone was run and the tour exited 0)."""
    assert cli.main(["tour", "--only", "VI2.3,VI9.9"]) == 2
    captured = capsys.readouterr()
    assert "'VI9.9'" in captured.err and "nothing was checked" in captured.err
    assert captured.out == ""
    assert cli.main(["tour", "--list", "--only", "VI2.3,VI9.9"]) == 2  # --list exited 0
    assert "no section matches 'VI9.9'" in capsys.readouterr().err


def test_json_output_keeps_stdout_for_json(capsys):
    assert cli.main(["tour", "--json", "--only", "no such section"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "no section" in captured.err


def test_list_with_json_is_refused_by_name(capsys):
    """--list --json printed the text listing with status 0: a reader expecting JSON got text."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["tour", "--list", "--json"])
    captured = capsys.readouterr()
    assert exit_info.value.code == 2 and captured.out == ""
    assert "--json" in captured.err and "--list" in captured.err


def test_list_shows_the_sections_only_selects(capsys):
    assert cli.main(["tour", "--only", "VI2.3", "--list"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == ["VI2.3"]
    assert cli.main(["tour", "--only", "no such section", "--list"]) == 2


def test_one_section_is_counted_in_the_singular(capsys):
    assert cli.main(["tour", "--only", "VI2.3"]) == 0
    assert "in 1 section," in capsys.readouterr().out


def test_figures_refuse_unknown_names_and_an_unusable_directory_without_a_traceback(tmp_path, capsys):
    assert cli.main(["figures", "--out", str(tmp_path), "--only", "nosuch"]) == 2
    assert "unknown figures ['nosuch']" in capsys.readouterr().err
    a_file = tmp_path / "taken"
    a_file.write_text("")
    assert cli.main(["figures", "--out", str(a_file), "--only", "gmm"]) == 2
    # it said "[Errno 17] File exists: '...'", as if an existing --out were the fault
    assert f"out must name a directory; {str(a_file)!r} is a file" in capsys.readouterr().err


def test_figures_with_an_out_it_cannot_create_exits_2_with_the_reason(tmp_path, capsys, stub_matplotlib):
    """An --out below a file cannot be made (NotADirectoryError): status 2 and the
    reason, not a traceback."""
    a_file = tmp_path / "taken"
    a_file.write_text("")
    assert cli.main(["figures", "--out", str(a_file / "below"), "--only", "mean-field"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("vi-ref figures: ") and "taken" in error


def test_figures_seed_reaches_the_figures_generator(tmp_path, monkeypatch, stub_matplotlib):
    """--seed picks the random inputs: a figure drawn with --seed 4 gets the generator
    of [4, its index], whatever --only lists (a seed dropped on its way drew from 0)."""
    from vi_ref import figures

    draws = []
    index = list(figures.FIGURES).index("elbo-plus-kl")
    monkeypatch.setitem(figures.FIGURES, "elbo-plus-kl", lambda fig, rng: draws.append(rng.random()) or "caption")
    for seed in ("0", "4"):
        assert cli.main(["figures", "--out", str(tmp_path / seed), "--only", "elbo-plus-kl", "--seed", seed]) == 0
    assert draws == [np.random.default_rng([seed, index]).random() for seed in (0, 4)]


def test_crosscheck_rtol_and_atol_override_the_tolerance_of_their_own_kind(tmp_path, capsys):
    """--rtol and --atol were never given to a crosscheck that compares. An entry whose
    expected value is 0, off by 1, is within atol 2 (allowed atol + rtol·0 = 2) and not
    within rtol 2 (allowed 1e-12 + 2·0)."""
    from vi_ref import reference

    document = reference.generate(seed=7, only="linear_gaussian.isotropic")
    outputs = document["cases"]["linear_gaussian.isotropic"]["outputs"]
    assert np.all(outputs["elbo_grad_q_scale_tril"][..., 0, 1] == 0.0)  # above a lower-triangular gradient's diagonal
    outputs["elbo_grad_q_scale_tril"] = outputs["elbo_grad_q_scale_tril"] + np.triu(np.ones((2, 2)), k=1)
    path = tmp_path / "off-by-one.json"
    reference.write(path, document)
    assert cli.main(["crosscheck", str(path)]) == 1
    assert cli.main(["crosscheck", str(path), "--atol", "2"]) == 0
    assert cli.main(["crosscheck", str(path), "--rtol", "2"]) == 1
    capsys.readouterr()


@pytest.mark.parametrize(
    "options, message",
    [
        (["--only", "Gamma"], "only='Gamma' matches no case of the file"),
        (["--rtol", "-1"], "rtol must be >= 0"),
        (["--atol", "nan"], "atol must be finite"),
    ],
)
def test_crosscheck_refusals_of_its_options_exit_2_with_the_reason(tmp_path, capsys, options, message):
    """An --only that matches no case of the file (it matches some of vi_ref's) and a
    tolerance that is no tolerance: usage errors, status 2 and the reason, no traceback."""
    from vi_ref import reference

    path = tmp_path / "reference.json"
    reference.write(path, reference.generate(0, only="kl.Normal-Normal"))
    assert cli.main(["crosscheck", str(path), *options]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("vi-ref crosscheck: ") and message in captured.err


def test_reference_into_a_directory_that_does_not_exist_exits_2_with_the_reason(tmp_path, capsys):
    path = tmp_path / "missing" / "reference.json"
    assert cli.main(["reference", "--out", str(path), "--only", "kl.Normal-Normal"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("vi-ref reference: ") and "No such file or directory" in error
    assert not path.parent.exists()


@pytest.mark.parametrize("extra", [["cases.json"], ["--only", "kl"], ["--rtol", "1e-3"], ["--atol", "0"]])
def test_crosscheck_list_refuses_what_it_would_ignore(extra, capsys):
    """`crosscheck --list --only kl` listed all cases, `--list FILE` listed vi_ref's table
    rather than the file's, both with status 0."""
    assert cli.main(["crosscheck", "--list", *extra]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and (extra[0] if extra[0].startswith("--") else "FILE") in captured.err


def test_reference_refuses_a_seed_an_npz_file_cannot_hold_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "cases.npz"
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["reference", "--out", str(path), "--seed", str(2**70)])
    assert exit_info.value.code == 2 and "below 2**63" in capsys.readouterr().err
    assert not path.exists()


@pytest.mark.parametrize("seed", ["-1", "x", "1.5", str(2**63)])
def test_a_bad_seed_is_refused_by_name(seed, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["tour", "--seed", seed])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "--seed" in error and "Traceback" not in error


def test_a_seed_of_thousands_of_digits_is_refused_as_too_large(capsys):
    """int() refuses more than 4300 digits: the message said 'must be an integer' of an
    integer and echoed all 5000 digits."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["tour", "--seed", "1" * 5000])
    error = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert "--seed: must be a non-negative integer below 2**63; got an integer of 5000 digits" in error
    assert len(error) < 1000


def test_a_broken_pipe_ends_quietly():
    """`vi-ref tour | head -1`: no traceback, the conventional status 141."""
    process = subprocess.Popen([sys.executable, "-m", "vi_ref", "tour", "--only", "lvm,VI1.1,VI1.2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    process.stdout.readline()
    process.stdout.close()  # the reader goes away
    error = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141
    assert "Traceback" not in error and "BrokenPipe" not in error, error


def test_figures_without_matplotlib_says_so(monkeypatch, tmp_path, capsys):
    from vi_ref import figures

    def missing(*args, **kwargs):
        raise ImportError("vi-ref figures needs matplotlib: pip install 'vi-ref[plots]'")

    monkeypatch.setattr(figures, "write_figures", missing)
    assert cli.main(["figures", "--out", str(tmp_path)]) == 2
    assert "matplotlib" in capsys.readouterr().err


def test_figures_without_matplotlib_says_how_to_install_it(monkeypatch, tmp_path):
    """The real write_figures, with matplotlib unimportable (the test above replaces
    write_figures itself, so it could not see the message go)."""
    import sys

    from vi_ref import figures

    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install 'vi-ref\[plots\]'"):
        figures.write_figures(tmp_path / "out", only="gmm")
    assert not (tmp_path / "out").exists()  # refused before anything is written


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
