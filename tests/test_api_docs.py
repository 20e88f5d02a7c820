"""docs/api.md, the public API reference, is tested against the code: every public
name (each module's ``__all__``) is documented with its current signature, and every
documented name exists. Regenerate with ``python docs/generate_api.py``."""

import importlib
import inspect
import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
API = ROOT / "docs" / "api.md"
GENERATOR = runpy.run_path(str(ROOT / "docs" / "generate_api.py"))
HEADING = re.compile(r"^### (?:class )?`(vi_ref\.[\w.]+?)\.(\w+)((?:\(.*)?)`$", re.MULTILINE)
DOCUMENTED = {(module, name): signature or "" for module, name, signature in HEADING.findall(API.read_text(encoding="utf-8"))}
REGENERATE = "docs/api.md is out of date: run `python docs/generate_api.py`"


def public_modules():
    for short in GENERATOR["MODULES"]:
        try:
            yield importlib.import_module(f"vi_ref.{short}")
        except ModuleNotFoundError as error:
            if error.name != f"vi_ref.{short}":
                raise


@pytest.mark.parametrize("module", list(public_modules()), ids=lambda module: module.__name__)
def test_every_public_name_is_documented_with_its_signature(module):
    for name in module.__all__:
        key = (module.__name__, name)
        assert key in DOCUMENTED, f"{module.__name__}.{name} is not in docs/api.md; {REGENERATE}"
        assert DOCUMENTED[key] == GENERATOR["signature"](getattr(module, name)), f"{module.__name__}.{name}: {REGENERATE}"


def test_every_documented_name_exists():
    for module_name, name in DOCUMENTED:
        module = importlib.import_module(module_name)
        assert name in module.__all__, f"docs/api.md names {module_name}.{name}, which is not public; {REGENERATE}"


def test_the_readme_points_to_the_reference_and_names_only_files_that_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/api.md" in readme
    for path in re.findall(r"\]\(([^)#:]+)\)", readme) + re.findall(r"`((?:docs|derivations|benchmarks|tests|vi_ref|\.ci)/[\w./-]*)`", readme):
        assert (ROOT / path).exists(), f"README names {path}, which is not in the repository"
