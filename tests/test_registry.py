"""Every registered gradient against finite differences, and the registry's coverage."""

import pytest

from vi_ref import autodiff
from vi_ref.gradcheck import check_case
from vi_ref.registry import (
    CASES,
    DRIVERS,
    gradient_name,
    missing_gradients,
    public_gradients,
    unknown_gradients,
)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_registered_gradient_matches_finite_differences(case):
    for check in check_case(case, rng=20261124):
        assert check.ok, str(check)


def test_every_public_gradient_is_registered():
    assert missing_gradients(CASES) == set()


def test_registry_names_only_existing_gradients():
    assert unknown_gradients(CASES) == set()


def test_every_autodiff_rule_is_a_public_gradient():
    defined = {obj.name for obj in vars(autodiff).values() if isinstance(obj, autodiff.Primitive)}
    assert defined == set(autodiff.PRIMITIVES)  # the table lists every rule of the module
    names = public_gradients()
    assert {f"autodiff.{name}" for name in defined} <= names
    assert not DRIVERS & names


def test_a_primitive_defined_outside_autodiff_is_a_public_gradient(monkeypatch):
    from vi_ref import distributions

    trigamma = autodiff.Primitive("trigamma", lambda x: x, (lambda g, ans, x: g,), elementwise=True)
    monkeypatch.setattr(distributions, "trigamma", trigamma, raising=False)
    assert missing_gradients(CASES) == {"autodiff.trigamma"}


@pytest.mark.parametrize("name", sorted(public_gradients()))
def test_unregistering_a_gradient_is_detected(name):
    remaining = [case for case in CASES if name not in case.covers]
    assert name in missing_gradients(remaining)


def test_a_new_unregistered_gradient_is_detected(monkeypatch):
    from vi_ref import likelihoods

    def extra_grad(x):
        return {"x": x}

    extra_grad.__module__ = likelihoods.__name__
    extra_grad.__qualname__ = "extra_grad"
    monkeypatch.setattr(likelihoods, "extra_grad", extra_grad, raising=False)
    assert missing_gradients(CASES) == {gradient_name(extra_grad)}


def test_gradients_in_every_kind_of_class_member_are_found(monkeypatch):
    from vi_ref.models import linear_gaussian

    class Family:
        def method_grad(self):
            pass

        @staticmethod
        def static_grad():
            pass

        @classmethod
        def class_vjp(cls):
            pass

        @property
        def property_jvp(self):
            pass

        class Nested:
            def nested_grad(self):
                pass

    functions = (Family.method_grad, Family.static_grad, Family.class_vjp.__func__,
                 Family.property_jvp.fget, Family.Nested.nested_grad)
    for owner in (Family, Family.Nested) + functions:
        owner.__module__ = linear_gaussian.__name__
    monkeypatch.setattr(linear_gaussian, "Family", Family, raising=False)
    expected = {gradient_name(function) for function in functions}
    assert len(expected) == 5 and all(".Family." in name for name in expected)
    assert missing_gradients(CASES) == expected


def test_gradient_name_of_methods_and_primitives():
    from vi_ref import likelihoods

    assert gradient_name(autodiff.exp) == "autodiff.exp"
    assert (
        gradient_name(likelihoods.logistic_regression_log_likelihood_grad)
        == "likelihoods.logistic_regression_log_likelihood_grad"
    )


def test_duplicate_case_names_are_refused(monkeypatch):
    import vi_ref.registry
    from vi_ref.registry import likelihoods as entries

    monkeypatch.setattr(entries, "CASES", entries.CASES + entries.CASES[:1])
    with pytest.raises(RuntimeError, match="duplicate case names"):
        vi_ref.registry._collect()
