"""Write docs/api.md, the public API reference, from the code itself.

    python docs/generate_api.py          # rewrite docs/api.md
    python docs/generate_api.py --check  # exit 1 if docs/api.md is out of date

Every name in a module's ``__all__`` is listed with its signature and the first
paragraph of its docstring (a class with its public methods and properties), so the
reference cannot drift from the code: ``tests/test_api_docs.py`` fails when the
committed file differs from what this script writes.
"""

import importlib
import inspect
import sys
from pathlib import Path

TARGET = Path(__file__).with_name("api.md")

# the public modules, bottom to top (the ones not present yet are skipped)
MODULES = ["numerics", "gradcheck", "autodiff", "distributions", "kl", "models", "elbo", "learning", "em",
           "estimators", "vi", "flows", "cavi", "reference", "testing", "likelihoods", "validation", "registry", "tour", "figures"]

INTRODUCTION = """# vi_ref — public API reference

Generated from the code by `python docs/generate_api.py` (the test suite fails if this
file is out of date). Every public name of every module: its signature and the first
paragraph of its docstring; the docstrings hold the formulas and the derivation
sections. Conventions everywhere: float64; a data set `X` is `(N, D)`; Monte Carlo
samples carry a leading sample axis `(S, ...)`; every function that draws takes `rng`
(a `numpy.random.Generator`, an int seed or `None`; no global random state); bad input
raises `ValueError` or `TypeError` naming the argument; every hand-written gradient
returns a dict keyed by parameter name and is checked by finite differences
(`vi_ref.registry`). The command line is described in the README (`vi-ref --help`).
"""


def first_paragraph(obj):
    doc = inspect.getdoc(obj) or ""
    return " ".join(doc.split("\n\n")[0].split())


def signature(obj):
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return ""


def describe(module_name, name, obj):
    lines = []
    if inspect.isclass(obj):
        lines.append(f"### class `{module_name}.{name}{signature(obj)}`\n")
        lines.append(first_paragraph(obj) + "\n")
        for member_name, member in sorted(vars(obj).items()):
            if member_name.startswith("_"):
                continue
            if isinstance(member, property) or type(member).__name__ == "cached_property":
                lines.append(f"- property `{member_name}`: {first_paragraph(member)}")
            elif callable(member) or isinstance(member, (staticmethod, classmethod)):
                function = getattr(member, "__func__", member)
                lines.append(f"- `{member_name}{signature(function)}`: {first_paragraph(function)}")
        lines.append("")
    elif callable(obj):
        lines.append(f"### `{module_name}.{name}{signature(obj)}`\n")
        lines.append(first_paragraph(obj) + "\n")
    else:
        lines.append(f"### `{module_name}.{name}`\n")
        lines.append(f"A {type(obj).__name__}.\n")
    return lines


def render():
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    parts = [INTRODUCTION]
    for short in MODULES:
        try:
            module = importlib.import_module(f"vi_ref.{short}")
        except ModuleNotFoundError as error:
            if error.name == f"vi_ref.{short}":
                continue
            raise
        parts.append(f"## `vi_ref.{short}`\n")
        parts.append(first_paragraph(module) + "\n")
        for name in getattr(module, "__all__", []):
            parts.extend(describe(f"vi_ref.{short}", name, getattr(module, name)))
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        sys.exit(0 if TARGET.read_text(encoding="utf-8") == text else 1)
    TARGET.write_text(text, encoding="utf-8")
