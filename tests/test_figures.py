"""``vi-ref figures`` renders every figure headless, each with a caption that names
its claim and its derivation section; skipped without matplotlib (the plots extra)."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vi_ref import cli, figures

ROOT = Path(__file__).parent.parent


def test_every_caption_names_an_existing_derivation_section_and_figures_import_no_matplotlib():
    code = "import sys, vi_ref.figures, vi_ref.cli; print('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
    assert len(figures.FIGURES) >= 7


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    pytest.importorskip("matplotlib")
    out = tmp_path_factory.mktemp("figures")
    return out, figures.write_figures(out, seed=0)


def test_every_figure_is_written_as_a_png(written):
    out, files = written
    assert [path.name for path, _ in files] == [f"{name}.png" for name in figures.FIGURES]
    for path, caption in files:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000, path
        for number, part in re.findall(r"derivation (\d\d) §(\d+)", caption):
            derivation, = (ROOT / "derivations").glob(f"{number}-*.md")
            assert re.search(rf"^## {part}\.", derivation.read_text(encoding="utf-8"), re.MULTILINE), caption
        assert "derivation" in caption


def test_the_command_writes_the_chosen_figures_and_refuses_unknown_names(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert cli.main(["figures", "--out", str(tmp_path), "--only", "mean-field"]) == 0
    assert (tmp_path / "mean-field.png").exists() and "mean-field.png" in capsys.readouterr().out
    with pytest.raises(ValueError, match="unknown figures"):
        figures.write_figures(tmp_path, only="no-such-figure")


@pytest.mark.parametrize("only", ["no-such-figure", "", " , "])
def test_names_are_checked_before_matplotlib_is_needed(only, tmp_path, capsys):
    # `--only ""` rendered every figure (an empty selection read as no selection),
    # where `vi-ref tour --only ""` matches nothing; both now refuse it
    assert cli.main(["figures", "--out", str(tmp_path / "out"), "--only", only]) == 2
    assert "the figures are" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_only_must_be_a_string_of_names(tmp_path):
    """A list of names (as the command line never passes) failed with AttributeError:
    'list' object has no attribute 'split'."""
    with pytest.raises(TypeError, match="only must be a string of comma-separated figure names; got list"):
        figures.write_figures(tmp_path / "out", only=["gmm"])
    assert not (tmp_path / "out").exists()


def test_a_figure_is_the_same_whichever_others_are_chosen(tmp_path):
    """`--only svi-trace,gmm` drew each figure from the generator of its place in
    the list, so neither matched the full run's figure of the same seed."""
    pytest.importorskip("matplotlib")
    figures.write_figures(tmp_path / "alone", only="gmm,svi-trace", seed=3)
    figures.write_figures(tmp_path / "swapped", only="svi-trace,gmm", seed=3)
    for name in ("gmm.png", "svi-trace.png"):
        assert (tmp_path / "alone" / name).read_bytes() == (tmp_path / "swapped" / name).read_bytes(), name
    # a name given twice is drawn once (it was drawn, written and listed twice)
    assert [path.name for path, _ in figures.write_figures(tmp_path / "twice", only="gmm,gmm", seed=3)] == ["gmm.png"]


def test_the_seed_changes_the_random_figures(tmp_path):
    """`vi-ref figures --seed` never changed a figure in a test: a seed dropped on its
    way (by the command line or by write_figures) drew every figure from seed 0."""
    pytest.importorskip("matplotlib")
    for seed in ("0", "4"):
        assert cli.main(["figures", "--out", str(tmp_path / seed), "--only", "elbo-plus-kl", "--seed", seed]) == 0
    assert (tmp_path / "0" / "elbo-plus-kl.png").read_bytes() != (tmp_path / "4" / "elbo-plus-kl.png").read_bytes()


def test_an_empty_out_is_refused_by_name(tmp_path, monkeypatch, capsys):
    """`--out ""` wrote the PNG files into the working directory, with status 0."""
    monkeypatch.chdir(tmp_path)
    assert cli.main(["figures", "--out", "", "--only", "mean-field"]) == 2
    assert "out must name a directory" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_the_numbers_in_the_captions_are_recomputed_independently(tmp_path, stub_matplotlib):
    """No test read a caption's numbers: a wrong KL or log p(x) in a caption passed. The
    figures' own code computes them, drawing on a stand-in for matplotlib, so they are
    checked where the plots extra is not installed."""
    import scipy.special

    files = figures.write_figures(tmp_path, only="mean-field,good-and-bad-q")
    captions = {path.stem: caption for path, caption in files}
    # mean-field: posterior precision I + WᵀW/σ² of LinearGaussian([[1.5, 1.2]], 0, 0.2)
    precision = np.eye(2) + np.array([[1.5], [1.2]]) @ np.array([[1.5, 1.2]]) / 0.2
    rho = -precision[0, 1] / np.sqrt(precision[0, 0] * precision[1, 1])  # 2×2: correlation of Λ⁻¹ is −that of Λ
    assert f"(ρ = {rho:.2f})" in captions["mean-field"]
    assert f"= {-0.5 * np.log(1 - rho**2):.3f} (derivation" in captions["mean-field"]
    # good-and-bad-q: Gamma(2.5, rate 1.5)–Poisson evidence, the negative-binomial closed form
    a, b, x = 2.5, 1.5, np.array([1.0, 3.0, 2.0, 2.0, 0.0, 4.0])
    evidence = (scipy.special.gammaln(a + x.sum()) - scipy.special.gammaln(a) + a * np.log(b)
                - (a + x.sum()) * np.log(b + x.size) - scipy.special.gammaln(x + 1).sum())
    assert f"log p(x) = {evidence:.2f} = ELBO + KL" in captions["good-and-bad-q"]


def _stand_in_figure(fig, rng):
    return "a caption"


def test_a_name_given_twice_is_drawn_once_and_out_may_be_a_new_path(tmp_path, monkeypatch, stub_matplotlib):
    """Without matplotlib too (test_a_figure_is_the_same_whichever_others_are_chosen
    renders): `--only gmm,gmm` draws gmm once, and an --out whose parent does not exist
    yet is created with it."""
    monkeypatch.setitem(figures.FIGURES, "gmm", _stand_in_figure)
    out = tmp_path / "new" / "below"
    written = figures.write_figures(out, only="gmm, gmm")
    assert written == [(out / "gmm.png", "a caption")]
    assert out.is_dir()
