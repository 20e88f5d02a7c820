"""Run every Python code block of every derivation, in order, in one namespace per file.

A derivation is a walk through the mathematics in which each step is confirmed by
code; if the package drifts from what a derivation says, its blocks fail here.
"""

import re
from pathlib import Path

import pytest

DERIVATIONS = sorted((Path(__file__).parent.parent / "derivations").glob("*.md"))
BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def python_blocks(path):
    """(first line number, source) of each ```python block of a Markdown file."""
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, match.start()) + 2, match.group(1)) for match in BLOCK.finditer(text)]


def test_there_are_derivations():
    assert DERIVATIONS, "derivations/ holds no Markdown files"


@pytest.mark.parametrize("path", DERIVATIONS, ids=[path.name for path in DERIVATIONS])
def test_derivation_code_blocks_run(path):
    blocks = python_blocks(path)
    assert blocks, f"{path.name} has no python code blocks"
    namespace = {"__name__": f"derivation_{path.stem}"}
    for line, source in blocks:
        # pad with blank lines so that a traceback names the line in the Markdown file
        code = compile("\n" * (line - 1) + source, str(path), "exec")
        exec(code, namespace)  # noqa: S102 - executing our own documentation is the point
