"""Run every Python code block of every derivation (and of the README), in order, in
one namespace per file.

A derivation is a walk through the mathematics in which each step is confirmed by
code; if the package drifts from what a derivation or the README says, its blocks
fail here.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
DERIVATIONS = sorted((ROOT / "derivations").glob("*.md"))
DOCUMENTS = DERIVATIONS + [ROOT / "README.md"]
BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def python_blocks(path):
    """(first line number, source) of each ```python block of a Markdown file."""
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, match.start()) + 2, match.group(1)) for match in BLOCK.finditer(text)]


def test_there_are_derivations():
    assert DERIVATIONS, "derivations/ holds no Markdown files"


@pytest.mark.parametrize("path", DOCUMENTS, ids=[path.name for path in DOCUMENTS])
def test_code_blocks_run(path):
    blocks = python_blocks(path)
    assert blocks, f"{path.name} has no python code blocks"
    namespace = {"__name__": f"document_{path.stem}"}
    for line, source in blocks:
        # pad with blank lines so that a traceback names the line in the Markdown file
        code = compile("\n" * (line - 1) + source, str(path), "exec")
        exec(code, namespace)  # noqa: S102 - executing our own documentation is the point
