"""The gradient registry: every hand-written gradient and every autodiff rule.

Each module of this package mirrors a module of vi_ref and defines ``CASES``, a list
of ``gradcheck.GradientCase`` entries: a builder that draws valid inputs (including
broadcast shapes) and the scalar function whose gradient is checked. ``CASES`` below
collects them all; ``tests/test_registry.py`` checks every entry by finite
differences and fails when a public gradient is not covered by any entry.

A *public gradient* is every autodiff primitive (in ``autodiff.PRIMITIVES`` or
defined in any module) and every public function or method of vi_ref whose name
ends in ``_grad``, ``_vjp`` or ``_jvp`` — static and class methods, property
getters and methods of nested classes included — found by ``public_gradients``;
except the autodiff drivers in ``DRIVERS``, which differentiate other functions
rather than state a derivative of their own.
"""

import functools
import importlib
import inspect
import pkgutil

import vi_ref

from .. import autodiff
from ..gradcheck import GradientCase

__all__ = [
    "CASES",
    "DRIVERS",
    "gradient_name",
    "public_gradients",
    "missing_gradients",
    "unknown_gradients",
]

GRADIENT_SUFFIXES = ("_grad", "_vjp", "_jvp")
DRIVERS = frozenset({"autodiff.grad", "autodiff.value_and_grad"})
# modules above the formulas: they check or present gradients, they define none
_NOT_SCANNED = ("vi_ref.registry", "vi_ref.cli", "vi_ref.__main__", "vi_ref.tour")


def gradient_name(obj):
    """Registry key of a gradient: ``"autodiff.<name>"`` for a primitive, else
    ``"<module>.<qualname>"`` relative to the package, e.g.
    ``"distributions.Normal.log_prob_grad"``."""
    if isinstance(obj, autodiff.Primitive):
        return f"autodiff.{obj.name}"
    obj = inspect.unwrap(_underlying_function(obj))
    return f"{obj.__module__.removeprefix('vi_ref.')}.{obj.__qualname__}"


def _underlying_function(member):
    """The function behind a class member: a staticmethod's or classmethod's
    ``__func__``, a property's getter, a cached_property's ``func``."""
    if isinstance(member, property):
        return member.fget
    if isinstance(member, functools.cached_property):
        return member.func
    return getattr(member, "__func__", member)


def _scanned_modules():
    yield vi_ref
    for info in pkgutil.walk_packages(vi_ref.__path__, "vi_ref."):
        if not any(info.name == top or info.name.startswith(top + ".") for top in _NOT_SCANNED):
            yield importlib.import_module(info.name)


def _is_gradient(name):
    return not name.startswith("_") and name.endswith(GRADIENT_SUFFIXES)


def _class_gradients(cls):
    """Gradient functions defined in the body of ``cls`` or of a class nested in it
    (inherited ones are found in the class that defines them)."""
    for member_name, member in vars(cls).items():
        if inspect.isclass(member) and member.__qualname__ == f"{cls.__qualname__}.{member_name}":
            yield from _class_gradients(member)
        elif _is_gradient(member_name) and callable(_underlying_function(member)):
            yield _underlying_function(member)


def public_gradients():
    """The set of registry keys of every public gradient in the package."""
    names = {gradient_name(p) for p in autodiff.PRIMITIVES.values()}
    for module in _scanned_modules():
        for attribute, obj in vars(module).items():
            if isinstance(obj, autodiff.Primitive):  # a rule, wherever it is defined
                names.add(gradient_name(obj))
            elif getattr(obj, "__module__", None) != module.__name__:
                continue  # imported: counted in the module that defines it
            elif inspect.isfunction(obj) and _is_gradient(attribute):
                names.add(gradient_name(obj))
            elif inspect.isclass(obj):
                names.update(gradient_name(member) for member in _class_gradients(obj))
    return names - DRIVERS


def missing_gradients(cases):
    """Public gradients that no entry of ``cases`` covers (should be empty)."""
    covered = {name for case in cases for name in case.covers}
    return public_gradients() - covered


def unknown_gradients(cases):
    """Names that entries claim to cover but that are not public gradients."""
    return {name for case in cases for name in case.covers} - public_gradients()


def _collect():
    cases = []
    for info in pkgutil.iter_modules(__path__, __name__ + "."):
        cases.extend(importlib.import_module(info.name).CASES)
    if not all(isinstance(case, GradientCase) for case in cases):
        raise RuntimeError("gradient registry entries must be GradientCase instances")
    names = [case.name for case in cases]
    duplicated = {name for name in names if names.count(name) > 1}
    if duplicated:
        raise RuntimeError(f"gradient registry has duplicate case names: {sorted(duplicated)}")
    return tuple(cases)


CASES = _collect()
