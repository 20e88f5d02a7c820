"""derivations/README.md: every derivation section, function, test and tour row named
in the traceability table exists, and every lecture question has a row."""

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

from vi_ref import tour

ROOT = Path(__file__).parent.parent
README = ROOT / "derivations" / "README.md"


def table_rows():
    text = README.read_text(encoding="utf-8")
    body = text[text.index("| lecture | derivation |"):].split("\n\n")[0].splitlines()[2:]
    rows = []
    for line in body:
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        assert len(cells) == 5, line
        rows.append([cell.replace("\\|", "|") for cell in cells])
    return rows


ROWS = table_rows()


def resolve(dotted):
    """The object named ``vi_ref.module.Class.attribute``: the longest importable module
    prefix, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ModuleNotFoundError(dotted)


def test_the_table_covers_the_lecture_and_all_eight_questions():
    lectures = " ".join(row[0] for row in ROWS)
    for label in ("VI1.1", "VI1.2", "VI2.1", "VI2.2", "VI2.3", "VI3.1", "VI3.2", "VI3.3"):
        assert f"Questions {label}" in lectures
    for title in ("Latent Variable Models", "Kullback-Leibler Divergence", "EM Algorithm", "Reparametrization Trick",
                  "Putting Everything Together", "Mean Field Assumption", "Gradients of the ELBO"):
        assert title in lectures


@pytest.mark.parametrize("row", ROWS, ids=[row[0][:40] for row in ROWS])
def test_every_derivation_section_exists(row):
    links = re.findall(r"\[(\d\d) §(\d+)\]\(([^)]+)\)", row[1])
    assert links, f"no derivation section for {row[0]!r}"
    for number, part, target in links:
        path = README.parent / target
        assert path.name.startswith(number) and path.exists(), target
        assert re.search(rf"^## {part}\.", path.read_text(encoding="utf-8"), re.MULTILINE), f"{target} §{part}"


@pytest.mark.parametrize("row", ROWS, ids=[row[0][:40] for row in ROWS])
def test_every_named_function_exists(row):
    names = re.findall(r"`(vi_ref\.[\w.]+)`", row[2])
    assert names, f"no code for {row[0]!r}"
    for name in names:
        assert callable(resolve(name)) or resolve(name) is not None, name


@pytest.mark.parametrize("row", ROWS, ids=[row[0][:40] for row in ROWS])
def test_every_named_test_exists(row):
    tests = re.findall(r"`(test_\w+\.py)::(test_\w+)`", row[3])
    assert tests, f"no test for {row[0]!r}"
    for filename, function in tests:
        tree = ast.parse((ROOT / "tests" / filename).read_text(encoding="utf-8"))
        defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        assert function in defined, f"{filename}::{function}"


@pytest.mark.parametrize("row", ROWS, ids=[row[0][:40] for row in ROWS])
def test_every_named_tour_row_exists(row):
    """The section exists and one of its claims starts with the quoted words (claims
    are literal strings in the section's source, so no tour has to run)."""
    named = re.findall(r"`([\w.\-]+)` \"([^\"]+)\"", row[4])
    assert named, f"no tour row for {row[0]!r}"
    for key, start in named:
        section, = [candidate for candidate in tour.SECTIONS if candidate.key == key]
        source = inspect.getsource(inspect.getmodule(section.check))
        claims = re.findall(r"(?:Row|_?\w*_row)\(\s*f?\"([^\"]+)\"", source)
        assert any(claim.startswith(start) for claim in claims), f"{key}: no claim starting {start!r}"
