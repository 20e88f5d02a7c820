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
    names = public_gradients()
    assert {f"autodiff.{name}" for name in autodiff.PRIMITIVES} <= names
    assert not DRIVERS & names


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


def test_gradient_name_of_methods_and_primitives():
    from vi_ref import likelihoods

    assert gradient_name(autodiff.exp) == "autodiff.exp"
    assert (
        gradient_name(likelihoods.logistic_regression_log_likelihood_grad)
        == "likelihoods.logistic_regression_log_likelihood_grad"
    )
