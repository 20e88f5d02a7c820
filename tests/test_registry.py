"""Every registered gradient against finite differences, and the registry's coverage."""

import numpy as np
import pytest

from vi_ref import autodiff
from vi_ref.gradcheck import GradientCase, check_case
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


def test_a_name_that_is_no_gradient_is_reported_as_unknown():
    bogus = GradientCase("bogus", ("kl.no_such_grad",), build=None)
    assert unknown_gradients(CASES + (bogus,)) == {"kl.no_such_grad"}


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


def test_gradient_helpers_of_the_registry_itself_are_not_public_gradients(monkeypatch):
    """The registry's modules check gradients, they define none: a helper there named
    like a gradient (a reference written for a check) is not asked to be registered."""
    from vi_ref.registry import kl as entries

    def reference_grad(x):
        return {"x": x}

    reference_grad.__module__ = entries.__name__
    reference_grad.__qualname__ = "reference_grad"
    monkeypatch.setattr(entries, "reference_grad", reference_grad, raising=False)
    assert missing_gradients(CASES) == set()


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


def test_an_entry_that_is_not_a_gradient_case_is_refused(monkeypatch):
    import vi_ref.registry
    from vi_ref.registry import likelihoods as entries

    monkeypatch.setattr(entries, "CASES", entries.CASES + [("likelihoods.extra", ("likelihoods.extra_grad",))])
    with pytest.raises(RuntimeError, match="must be GradientCase instances"):
        vi_ref.registry._collect()


# ----- the hard regions the registry claims to reach -------------------------------------

CASE_NAMED = {case.name: case for case in CASES}


def _drawn(name, seed):
    return CASE_NAMED[name].build(np.random.default_rng(seed)).inputs


@pytest.mark.parametrize("seed", range(30))
def test_hard_region_cases_draw_inputs_in_their_hard_regions(seed):
    """The entries for the kinks and ties (autodiff_rules) and for the planar flow's
    constraint (flows) check what their names say only if their draws land there: a
    draw that silently missed (zeros written into a copy, a tie's two columns drawn
    with replacement, a row swap applied to the batch axis) would leave every check
    passing on easy inputs."""
    for name in ("autodiff.abs[zeros]", "autodiff.xlogy[zeros]"):
        x = _drawn(name, seed)["x"].ravel()
        assert np.all(x[::3] == 0.0) and np.all(np.abs(np.delete(x, np.s_[::3])) >= 0.5), name
    for name in ("autodiff.maximum[ties]", "autodiff.minimum[ties]"):
        pair = _drawn(name, seed)
        assert np.sum(pair["x"] == pair["y"]) == pair["x"].size // 2, name
    for name, extremum in (("autodiff.max[ties]", np.max), ("autodiff.min[ties]", np.min)):
        x = _drawn(name, seed)["x"]
        assert np.all(np.sum(x == extremum(x, axis=1, keepdims=True), axis=1) == 2), name
    assert np.linalg.det(_drawn("autodiff.slogdet[negative-determinant]", seed)["a"]) < 0
    np.testing.assert_array_equal(np.sign(np.linalg.det(_drawn("autodiff.slogdet[batched]", seed)["a"])), [-1, 1])
    for regime, product in (("near-constraint", -2.0), ("past-rounding", -40.0)):  # wᵀu per layer
        params = _drawn(f"flows.PlanarFlow.transform_vjp[{regime}]", seed)
        np.testing.assert_allclose(np.sum(params["w"] * params["u"], axis=-1), product, rtol=1e-12)
