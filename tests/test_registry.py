"""Every registered gradient against finite differences, and the registry's coverage."""

import functools
import importlib
import inspect
from dataclasses import replace

import numpy as np
import pytest
import scipy.special

from vi_ref import autodiff
from vi_ref.distributions import STIRLING_THRESHOLD
from vi_ref.gradcheck import GradientCase, check_case
from vi_ref.registry import (
    CASES,
    DRIVERS,
    gradient_name,
    missing_gradients,
    public_gradients,
    unknown_gradients,
)


SEED = 20261124


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_registered_gradient_matches_finite_differences(case):
    for check in check_case(case, rng=SEED):
        assert check.ok, str(check)


def _gradient_scaled_by(case, factor):
    """``case`` with its hand-written gradient multiplied by ``factor``."""

    def build(rng):
        problem = case.build(rng)

        def gradient(**inputs):
            return {name: factor * np.asarray(value) for name, value in problem.gradient(**inputs).items()}

        return replace(problem, gradient=gradient)

    return replace(case, build=build)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_every_registered_check_catches_a_small_relative_error(case):
    """A gradient off by the relative δ = min(10·rtol, 1e-5) fails the entry's check at
    every input whose gradient is not zero (the same draws as the test above, which
    passes them unperturbed): no entry's atol masks its gradients (an atol of 1e-9
    against gradients of 1e-4 lets an error of 1e-5 relative through), and no entry is
    checked more loosely than 1e-5 relative, so a formula wrong by a small correction
    term cannot pass. Inputs whose gradient is exactly zero (an entropy's in the
    location) cannot be perturbed relatively and are skipped. (It held at seeds 1–30
    too: the finite-difference error is within rtol, ten times below δ.)"""
    delta = min(10 * case.rtol, 1e-5)
    checks = check_case(_gradient_scaled_by(case, 1 + delta), rng=SEED)
    for check in checks:
        assert not check.ok or not np.any(check.analytic), check.name
    assert any(np.any(check.analytic) for check in checks)


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


def test_a_rule_only_in_the_rule_table_is_a_public_gradient(monkeypatch):
    """autodiff.PRIMITIVES is the table the engine differentiates by: a rule entered
    there and bound to no module attribute (as a rule wrapped by a public function of
    another name may be) is still a public gradient, and unregistered it is missing."""
    rule = autodiff.Primitive("tabled", lambda x: x, (lambda g, ans, x: g,), elementwise=True)
    monkeypatch.setitem(autodiff.PRIMITIVES, "tabled", rule)
    assert missing_gradients(CASES) == {"autodiff.tabled"}


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

        @functools.cached_property
        def cached_grad(self):
            pass

        class Nested:
            def nested_grad(self):
                pass

    functions = (Family.method_grad, Family.static_grad, Family.class_vjp.__func__,
                 Family.property_jvp.fget, vars(Family)["cached_grad"].func, Family.Nested.nested_grad)
    for owner in (Family, Family.Nested) + functions:
        owner.__module__ = linear_gaussian.__name__
    monkeypatch.setattr(linear_gaussian, "Family", Family, raising=False)
    expected = {gradient_name(function) for function in functions}
    assert len(expected) == 6 and all(".Family." in name for name in expected)
    assert missing_gradients(CASES) == expected


@pytest.mark.parametrize("module_name", ["vi_ref.registry.kl", "vi_ref.tour.gradient_engine"])
def test_gradient_helpers_of_the_registry_and_the_tour_are_not_public_gradients(monkeypatch, module_name):
    """The registry's modules check gradients, and the tour presents the gradients
    that the formulas' modules define: neither defines one, so a helper there named
    like a gradient (a reference written for a check, a chapter's helper) is not
    asked to be registered."""
    module = importlib.import_module(module_name)

    def helper_grad(x):
        return {"x": x}

    helper_grad.__module__ = module.__name__
    helper_grad.__qualname__ = "helper_grad"
    monkeypatch.setattr(module, "helper_grad", helper_grad, raising=False)
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


def _has_a_kink(problem, input_name, step=1e-6):
    """Whether the value's one-sided difference quotients at ``input_name`` differ by
    more than 1e-3 at some coordinate: the point sits on a kink (smooth, they differ
    by about step·f″ ≈ 1e-6)."""
    point = np.asarray(problem.inputs[input_name], dtype=float)

    def value(x):
        return problem.value(**{**problem.inputs, input_name: x})

    centre = value(point)
    for index in np.ndindex(*point.shape):
        moved = np.zeros(point.shape)
        moved[index] = step
        forward, backward = (value(point + moved) - centre) / step, (centre - value(point - moved)) / step
        if abs(forward - backward) > 1e-3:
            return True
    return False


def test_tie_cases_with_fixed_inputs_sit_on_their_kinks():
    """clip's entries at its bounds and max/min's initial value tying a row's extremum
    are checked where the one-sided derivatives differ (the documented half-cotangent
    convention is what is checked there); an entry moved off the bound, or an initial
    moved off the entries, leaves a smooth point that any rule passes."""
    for name in ("autodiff.maximum[clip-at-the-bounds]", "autodiff.max[initial-tie]", "autodiff.min[initial-tie]"):
        assert _has_a_kink(CASE_NAMED[name].build(np.random.default_rng(SEED)), "x"), name


def test_rule_cases_with_fixed_inputs_reach_the_zeros_and_tails_they_name():
    """power at base 0 with exponent 1 (∂/∂x = 1) and above (∂/∂x = 0, ∂/∂y = 0 by the
    0·log 0 convention); prod over rows with no zero, one zero and two zeros (the three
    branches of its VJP); log_ndtr down to x = −100 (the asymptotic tail); logaddexp
    tied at 0 and at −700 (exp underflows: the tie must still split the cotangent);
    tanh beyond |x| = 4.9, where 1 − tanh² < 2.2e-4 and its rule switches to the exact
    tail, out to ±19, where 1 − tanh² rounds to 0; expm1 at −40, where (eˣ − 1) + 1 is 0."""
    power = _drawn("autodiff.power[zero-base]", SEED)
    exponents_at_zero = power["y"][power["x"] == 0.0]
    assert np.any(exponents_at_zero == 1.0) and np.any(exponents_at_zero > 1.0)
    zeros_per_row = np.sum(_drawn("autodiff.prod[zeros]", SEED)["x"] == 0.0, axis=-1)
    assert set(zeros_per_row) == {0, 1, 2}
    assert np.min(_drawn("autodiff.log_ndtr[tails]", SEED)["x"]) <= -100.0
    pair = _drawn("autodiff.logaddexp[ties-and-scales]", SEED)
    tied = pair["x"][pair["x"] == pair["y"]]
    assert np.any(tied == 0.0) and np.any(tied <= -700.0)
    tanh_inputs = np.abs(_drawn("autodiff.tanh[tails]", SEED)["x"])
    assert np.any((tanh_inputs > 4.9) & (tanh_inputs < 10)) and np.max(tanh_inputs) >= 19.0
    assert np.min(_drawn("autodiff.expm1[lower-tail]", SEED)["x"]) <= -40.0


def test_broadcast_rule_cases_draw_inputs_that_broadcast():
    """An entry named "broadcast" checks the un-broadcasting of the VJP (summing the
    cotangent over stretched axes) only if its inputs' shapes differ: matmul in its
    batch axes, the elementwise rules in their whole shapes."""
    names = [name for name in CASE_NAMED
             if name.startswith("autodiff.") and name.endswith("broadcast]") and not name.startswith("autodiff.einsum")]
    assert len(names) >= 10
    for name in names:
        arrays = _drawn(name, SEED).values()
        shapes = {np.shape(a)[:-2] if name.startswith("autodiff.matmul") else np.shape(a) for a in arrays}
        assert len(shapes) > 1, name


def _parameter_batch_shapes(family, params):
    """The batch part of each parameter's shape (a scale_tril's last two axes, a
    vector family's loc's last axis are its event)."""
    event = len(family.event_shape)
    return {name: np.shape(value)[: np.ndim(value) - event - (name == "scale_tril")] for name, value in params.items()}


def test_distribution_families_draw_parameters_of_broadcasting_batch_shapes():
    """Every family of two parameters is drawn with batch shapes that broadcast (one
    parameter stretched against the other), so that each gradient is summed back to
    its parameter's shape, not merely returned in the batch's."""
    from vi_ref.registry.distributions import FAMILIES

    for label, spec in FAMILIES.items():
        params = spec["draw"](np.random.default_rng(SEED))
        if len(params) > 1:
            family = spec["family"](**params)
            shapes = _parameter_batch_shapes(family, params)
            assert any(shape != family.batch_shape for shape in shapes.values()), label


def test_every_hard_distribution_family_has_every_entry_of_its_family():
    """The hard regions are checked for each derivative the family has: the score,
    the entropy's gradient, the pathwise VJP (reparameterisable families) and ∇ₓ log q
    (continuous families); a list comprehension over the easy families alone would
    drop them silently."""
    from vi_ref.registry.distributions import HARD_FAMILIES

    for label, spec in HARD_FAMILIES.items():
        methods = ["log_prob_grad", "entropy_grad"] + ["transform_vjp"] * ("transform" in spec)
        methods += [] if label.startswith("Categorical") else ["log_prob_x_grad"]
        for method in methods:
            assert f"distributions.{label}.{method}" in CASE_NAMED, (label, method)


@pytest.mark.parametrize("seed", range(30))
def test_hard_distribution_and_kl_cases_draw_in_their_regions(seed):
    """The Gamma entries past Stirling's threshold, straddling it and at tiny shapes;
    a Normal scale range of 1e3; an ill-conditioned Cholesky factor (condition ≥ 100);
    a category of probability ≤ 0.02; tied logits up to ±30; KL pairs with both
    shapes ≥ 10 and pairs within 1e-2 of each other (the series of u − log(1 + u)).
    The huge-shape rates reach both ends of [1e-3, 1e3]: one in each decade (drawn
    uniformly on the interval, a rate fell below 1 with probability 1e-3, and none of
    the 93 drawn at the registry's seed and seeds 0–29 was below 2)."""
    for family, (lowest, highest) in (("Gamma-huge-shape", (1.0, 1e3)), ("Gamma-huge-shape-small-rates", (1e-3, 1.0))):
        gamma = _drawn(f"distributions.{family}.log_prob_grad", seed)
        assert np.all(gamma["concentration"] >= STIRLING_THRESHOLD), family
        assert lowest <= np.min(gamma["rate"]) <= 10 * lowest and highest / 10 <= np.max(gamma["rate"]) <= highest, family
    straddling = _drawn("distributions.Gamma-shape-straddling-10.log_prob_grad", seed)["concentration"]
    assert np.min(straddling) < STIRLING_THRESHOLD <= np.max(straddling)
    assert np.max(_drawn("distributions.Gamma-tiny-shape.log_prob_grad", seed)["concentration"]) <= 0.2
    scale = _drawn("distributions.Normal-wide-and-narrow.log_prob_grad", seed)["scale"]
    assert np.max(scale) / np.min(scale) >= 1e3
    assert np.linalg.cond(_drawn("distributions.MultivariateNormal-ill-conditioned.entropy_grad", seed)["scale_tril"]) >= 100
    assert np.min(_drawn("distributions.Categorical-tiny-probability.log_prob_grad", seed)["probs"]) <= 0.02
    logits = _drawn("distributions.Categorical-tied-logits.log_prob_grad", seed)["logits"]
    assert np.all(np.sum(logits == np.max(logits, axis=-1, keepdims=True), axis=-1) >= 2)
    assert np.max(np.abs(logits)) >= 30.0
    huge = _drawn("kl.Gamma||Gamma-huge-shapes", seed)
    assert np.all(huge["q_concentration"] >= STIRLING_THRESHOLD) and np.all(huge["p_concentration"] >= STIRLING_THRESHOLD)
    for name in ("kl.Gamma||Gamma-near-equal", "kl.Exponential||Gamma-near-equal",
                 "kl.MultivariateNormal||MultivariateNormal-near-equal"):
        pair = _drawn(name, seed)
        for parameter in (key[2:] for key in pair if key.startswith("q_") and "p_" + key[2:] in pair):
            q, p = pair["q_" + parameter], pair["p_" + parameter]
            assert np.all(np.abs(q - p) <= 1e-2 * np.maximum(1.0, np.abs(p))) and np.any(q != p), (name, parameter)


@pytest.mark.parametrize("seed", range(30))
def test_flow_model_and_likelihood_cases_draw_in_their_regions(seed):
    """The flow's base scales 40 apart; the LinearGaussian log-joint's samples z on an
    axis of their own before the data points' (samples against points, broadcast); the
    Gamma–Poisson rates over e^±3: ten uniform exponents on [−3, 3] span less than 2
    with probability 10·(1/3)⁹ − 9·(1/3)¹⁰ ≈ 4e-4; the mixture of two identical
    components (tied responsibilities) and a third 40 away (saturated ones)."""
    scale = _drawn("flows.PlanarFlow.transform_vjp[scales]", seed)["scale"]
    assert np.max(scale) / np.min(scale) >= 40.0
    assert _drawn("models.linear_gaussian.LinearGaussian.log_joint_grad[diagonal noise, samples against points]", seed)["z"].ndim == 3
    rates = _drawn("models.gamma_poisson.GammaPoisson.log_joint_grad[rates e^-3..e^3, zero counts]", seed)["z"]
    assert np.log(np.max(rates) / np.min(rates)) >= 2.0
    mixture = _drawn("likelihoods.isotropic_gmm_log_likelihood_grad-tied-and-far", seed)
    for parameter in ("logits", "means", "log_scales"):
        np.testing.assert_array_equal(mixture[parameter][0], mixture[parameter][1])
    assert np.linalg.norm(mixture["means"][2] - mixture["means"][0]) >= 30.0


def test_rule_cases_contract_the_output_with_random_weights():
    """A rule's check differentiates Σ w ⊙ f(x) with w drawn at random: a VJP that
    ignores its cotangent (returns the gradient of Σ f for every ḡ) is right for
    w = 1 and must fail here. The same rule written correctly passes."""
    from vi_ref.registry.autodiff_rules import inputs, normal, rule_case

    def square_ignoring_cotangent(g, ans, x):
        return 2.0 * x

    def square_vjp(g, ans, x):
        return 2.0 * x * g

    for vjp, expected in ((square_ignoring_cotangent, False), (square_vjp, True)):
        square = autodiff.Primitive("square_under_test", lambda x: x * x, (vjp,))
        case = rule_case(square, "random weights", inputs(x=normal(5)), lambda x: square(x))
        assert all(check.ok for check in check_case(case, rng=SEED)) is expected


# ----- the entries' shapes, regions and wiring (audit Z) ------------------------------------


def _problem(name, seed=SEED):
    return CASE_NAMED[name].build(np.random.default_rng(seed))


def _closed_over(function, name):
    """The value a problem's function closes over (data, cotangents, weights: what the
    entry fixes rather than perturbs)."""
    return inspect.getclosurevars(function).nonlocals[name]


def _kl_pair(label, seed=SEED):
    """(q, p) as the KL entry ``label`` draws them."""
    from vi_ref.registry.kl import PAIRS, _split

    _, _, make_q, make_p, _, _ = PAIRS[label]
    q_params, p_params = _split(_drawn(f"kl.{label}", seed))
    return make_q(**q_params), make_p(**p_params)


def test_every_kl_entry_covers_the_gradient_its_pair_dispatches_to():
    """An entry's value is its pair's formula and its gradient goes through
    kl_divergence_grad, so it checks the gradient registered for (type(q), type(p)):
    that is the name it must claim to cover (a wrong name would leave the real one
    counted as covered by this entry when no entry checks it)."""
    from vi_ref import kl
    from vi_ref.registry.kl import PAIRS

    for label in PAIRS:
        q, p = _kl_pair(label)
        registered = kl._RULES[(type(q), type(p))].gradient
        assert gradient_name(registered) in CASE_NAMED[f"kl.{label}"].covers, label


def test_every_kl_pair_is_checked_on_a_broadcast_batch():
    """Each pair gradient is checked at least once where q's and p's parameters have
    different batch shapes: the gradient must then be summed back to each parameter's
    own shape, not merely returned in the pair's broadcast batch."""
    from vi_ref.registry.kl import PAIRS

    from vi_ref.registry.kl import _split

    broadcast = {}
    for label, spec in PAIRS.items():
        q, p = _kl_pair(label)
        q_params, p_params = _split(_drawn(f"kl.{label}", SEED))
        shapes = [*_parameter_batch_shapes(q, q_params).values(), *_parameter_batch_shapes(p, p_params).values()]
        pair_batch = np.broadcast_shapes(q.batch_shape, p.batch_shape)
        broadcast[spec[1]] = broadcast.get(spec[1], False) or any(shape != pair_batch for shape in shapes)
    assert all(broadcast.values()), [gradient_name(g) for g, seen in broadcast.items() if not seen]
    batched_q = _drawn("kl.MultivariateNormal||MultivariateNormal-batched-q-factor", SEED)
    assert np.ndim(batched_q["q_scale_tril"]) == 3 and np.ndim(batched_q["q_loc"]) == 1


@pytest.mark.parametrize("seed", range(30))
def test_hard_kl_pairs_draw_in_their_regions(seed):
    """Normal scales 60 apart (σq = 30 against σp = 0.5); a Gamma q at least 10 times
    more concentrated than p (αq ≥ 50 against αp ≤ 5); the near-equal Categorical pair
    within 1e-2 and with a category of probability below 1e-3 (logit −9) under both,
    log q − log p between 4.9e-4 and 1.7e-3 in size in every category (its gradients
    are ±pₖ(log qₖ − log pₖ) to first order); the near-equal normals 5e-4 to 1.5e-3 apart (relatively, in the scales) in every
    entry, so that no gradient coordinate, first order in the shift or second order
    (∂/∂Rp,ᵢⱼ ∝ ΔᵢΔⱼ), falls near 0, below the finite differences' error."""
    pair = _drawn("kl.MultivariateNormal||MultivariateNormal-near-equal", seed)
    shifts = (pair["q_loc"] - pair["p_loc"], np.diagonal(pair["q_scale_tril"]) / np.diagonal(pair["p_scale_tril"]) - 1)
    for shift in shifts:
        assert np.all((np.abs(shift) >= 5e-4 - 1e-12) & (np.abs(shift) <= 1.5e-3 + 1e-12))
    q, p = _kl_pair("Normal||Normal-near-equal-and-far-scales", seed)
    assert np.max(q.params["scale"] / p.params["scale"]) >= 50.0
    q, p = _kl_pair("Gamma||Gamma-concentrated-q", seed)
    assert np.min(q.params["concentration"]) >= 10.0 * np.max(p.params["concentration"])
    q, p = _kl_pair("Categorical||Categorical-near-equal-with-a-tiny-category", seed)
    assert np.max(np.abs(q.params["logits"] - p.params["logits"])) <= 1e-2
    log_ratio = scipy.special.log_softmax(q.params["logits"]) - scipy.special.log_softmax(p.params["logits"])
    assert np.all((np.abs(log_ratio) >= 4.9e-4) & (np.abs(log_ratio) <= 1.7e-3))
    for distribution in (q, p):
        probabilities = np.exp(distribution.params["logits"] - scipy.special.logsumexp(distribution.params["logits"]))
        assert np.min(probabilities) <= 1e-3


def _gradient_shifted_by(case, shift):
    """``case`` with ``shift`` added to every coordinate of its hand-written gradient."""

    def build(rng):
        problem = case.build(rng)

        def gradient(**inputs):
            return {name: np.asarray(value) + shift for name, value in problem.gradient(**inputs).items()}

        return replace(problem, gradient=gradient)

    return replace(case, build=build)


# the pairs drawn 1e-3 apart, whose gradients are all small (not the Normal pair that
# is near-equal in one scale only); listed here, not read from the registry's own table
NEAR_EQUAL_KL_PAIRS = ("Gamma||Gamma-near-equal", "Exponential||Gamma-near-equal",
                       "MultivariateNormal||MultivariateNormal-near-equal",
                       "Categorical||Categorical-near-equal-with-a-tiny-category")


@pytest.mark.parametrize("label", NEAR_EQUAL_KL_PAIRS)
def test_near_equal_kl_pairs_catch_an_error_of_5e_10(label):
    """The near-equal pairs' gradients are 1e-8 to 4e-3: an error of 5e-10 in every
    coordinate (1600 times Richardson's worst error there, 3e-13) must fail each input's
    check; at the default atol of 1e-9 it would pass unseen."""
    for check in check_case(_gradient_shifted_by(CASE_NAMED[f"kl.{label}"], 5e-10), rng=SEED):
        assert not check.ok, check.name


@pytest.mark.parametrize("seed", range(30))
def test_the_near_equal_normals_check_every_coordinate_relatively(seed):
    """The near-equal normals' off-diagonal ∂/∂Rp,ᵢⱼ ∝ ΔᵢΔⱼ are 6e-8 and up, where an
    atol of 1e-11 accepted an error of 1.6e-4 relative (11 % at a coordinate of 9e-11
    that a normal draw gave): at every nonzero coordinate the entry now accepts at
    most 1e-6 relative error, atol + rtol·|g| ≤ 1e-6·|g| (Richardson's error there was
    at most 1.5e-10 relative over 200 seeds)."""
    case = CASE_NAMED["kl.MultivariateNormal||MultivariateNormal-near-equal"]
    problem = case.build(np.random.default_rng(seed))
    for gradient in problem.gradient(**problem.inputs).values():
        nonzero = np.abs(gradient[gradient != 0])
        assert np.all(case.atol + case.rtol * nonzero <= 1e-6 * nonzero)


@pytest.mark.parametrize("seed", [SEED, *range(30)])
def test_the_near_equal_categoricals_check_every_coordinate_relatively(seed):
    """The near-equal Categorical pair's tiny category (p₄ = 3.5e-5) has gradients
    ±p₄ d₄ ≥ 1.76e-8, where an atol of 1e-11 accepted an error of 5.7e-4 relative
    (1.2 % at a coordinate of 8e-10 that a normal draw of the shift gave): at every
    coordinate the entry now accepts at most 1e-6 relative error, atol + rtol·|g| ≤
    1e-6·|g| (Richardson's error there was at most 8.6e-10 relative over 200 seeds),
    so that a 1e-5 error in the tiny category's coordinate alone fails."""
    case = CASE_NAMED["kl.Categorical||Categorical-near-equal-with-a-tiny-category"]
    problem = case.build(np.random.default_rng(seed))
    for gradient in problem.gradient(**problem.inputs).values():
        assert np.all(case.atol + case.rtol * np.abs(gradient) <= 1e-6 * np.abs(gradient))


@pytest.mark.parametrize("seed", [SEED, *range(30)])
def test_the_saturated_logistic_entry_reaches_saturated_logits(seed):
    """Logits xₙᵀw beyond +40 and beyond −40, each under both labels: there σ(z) and
    1 − σ(z) round to 1 and 0 (from |z| ≈ 36.7) and the softplus to z. (Drawn as
    10·N(0, 1) rows alone, the largest |z| was 32.8 at the registry's seed and 13.8
    at one of seeds 0–29.)"""
    problem = _problem("likelihoods.logistic_regression_log_likelihood_grad-saturated", seed)
    X, y = _closed_over(problem.value, "X"), _closed_over(problem.value, "y")
    logits = X @ problem.inputs["weights"]
    for beyond in (logits >= 40.0, logits <= -40.0):
        assert set(y[beyond]) == {0.0, 1.0}


FLOW_METHODS = ("transform_vjp", "log_det_jacobian_grad", "transform_and_log_det_vjp")
FLOW_REGIMES = ("generic", "near-constraint", "saturated", "scales", "past-rounding")


def test_every_flow_gradient_is_checked_in_every_regime():
    """Each of the three flow gradients in each regime the module names, and the two
    with a log-determinant also at a = 0 past rounding."""
    for method in FLOW_METHODS:
        for regime in FLOW_REGIMES + ("past-rounding-at-a=0",) * (method != "transform_vjp"):
            assert f"flows.PlanarFlow.{method}[{regime}]" in CASE_NAMED, (method, regime)


def test_flow_entries_weight_exactly_the_outputs_their_gradient_pulls_back():
    """transform_vjp pulls back a cotangent of z only, log_det_jacobian_grad weights of
    the log-determinant only, transform_and_log_det_vjp both: each entry's value
    Σ ḡ ⊙ z + Σ w log|det J| weights the outputs its gradient pulls back (a zero ḡ or w
    would leave a part of the joint VJP unchecked)."""
    for method in FLOW_METHODS:
        for regime in FLOW_REGIMES:
            value = _problem(f"flows.PlanarFlow.{method}[{regime}]").value
            cotangent, weights = _closed_over(value, "cotangent"), _closed_over(value, "weights")
            assert np.all(cotangent != 0) == (method != "log_det_jacobian_grad"), (method, regime)
            assert np.all(weights != 0) == (method != "transform_vjp"), (method, regime)
            assert np.any(cotangent != 0) == np.all(cotangent != 0) and np.any(weights != 0) == np.all(weights != 0)


def _planar_activations(params, eps):
    """a = wₖᵀyₖ + bₖ of every layer k and sample (K, S), with y₀ = loc + scale·ε and
    yₖ₊₁ = yₖ + tanh(aₖ) ûₖ."""
    from vi_ref.flows import PlanarFlow

    u_hat = PlanarFlow(**params).u_hat
    y, activations = params["loc"] + params["scale"] * eps, []
    for w, b, direction in zip(params["w"], params["b"], u_hat):
        activations.append(y @ w + b)
        y = y + np.tanh(activations[-1])[:, None] * direction
    return np.array(activations)


@pytest.mark.parametrize("seed", range(30))
def test_saturated_and_past_rounding_flow_entries_draw_in_their_regions(seed):
    """The saturated regime's offsets |b| ≥ 4 (tanh within 7e-4 of ±1); past rounding,
    every activation a ≥ 1.5, away from the a = 0 where finite differences cannot
    follow the log-determinant; at a = 0, sample 0's activation is 0."""
    for method in FLOW_METHODS:
        assert np.all(np.abs(_drawn(f"flows.PlanarFlow.{method}[saturated]", seed)["b"]) >= 4.0), method
        problem = _problem(f"flows.PlanarFlow.{method}[past-rounding]", seed)
        activations = _planar_activations(problem.inputs, _closed_over(problem.value, "eps"))
        assert np.min(activations) >= 1.5 - 1e-9, method
    for method in FLOW_METHODS[1:]:
        problem = _problem(f"flows.PlanarFlow.{method}[past-rounding-at-a=0]", seed)
        activations = _planar_activations(problem.inputs, _closed_over(problem.value, "eps"))
        assert abs(activations[0, 0]) <= 1e-12, method


LINEAR_GAUSSIAN_ELBO = "models.linear_gaussian.LinearGaussian.elbo_grad"
MIXTURE_ELBO = "models.gaussian_mixture.GaussianMixture.elbo_grad"


def test_model_elbo_entries_draw_the_q_and_noise_shapes_their_names_say():
    """One q per point (batch of the data points) or one shared q (no batch);
    diagonal noise (D,) or isotropic (a scalar); a diagonal q's scale broadcast over the
    points; a mixture q of batch (2, 4) against 4 points, or one q shared by them; the
    Gamma–Poisson LogNormal q's scale shared by the data sets."""
    per_point = _drawn(f"{LINEAR_GAUSSIAN_ELBO}[MultivariateNormal q per point, diagonal noise]", SEED)
    assert per_point["loc"].shape == (3, 2) and per_point["scale_tril"].shape == (3, 2, 2)
    assert np.ndim(per_point["noise_var"]) == 1
    shared = _drawn(f"{LINEAR_GAUSSIAN_ELBO}[shared MultivariateNormal q, isotropic noise]", SEED)
    assert shared["loc"].shape == (2,) and shared["scale_tril"].shape == (2, 2) and np.ndim(shared["noise_var"]) == 0
    diagonal = _drawn(f"{LINEAR_GAUSSIAN_ELBO}[diagonal Normal q, broadcast scale]", SEED)
    assert diagonal["loc"].ndim == 2 and diagonal["scale"].shape == diagonal["loc"].shape[1:]
    assert _drawn(f"{MIXTURE_ELBO}[full, logits of batch (2, 4) against 4 points]", SEED)["logits"].shape == (2, 4, 3)
    assert _drawn(f"{MIXTURE_ELBO}[diag, shared probs]", SEED)["probs"].shape == (3,)
    lognormal = _drawn("models.gamma_poisson.GammaPoisson.elbo_grad[LogNormal q per data set, shared scale]", SEED)
    assert lognormal["q_loc"].shape == (3,) and np.ndim(lognormal["q_scale"]) == 0
    dataset = _drawn("elbo.dataset_elbo_grad[LinearGaussian, mean-field MultivariateNormal]", SEED)
    assert dataset["loc"].shape == (5, 2) and dataset["scale_tril"].shape == (5, 2, 2)


def test_model_log_joint_entries_draw_what_their_names_say():
    """A log_joint_grad entry for every covariance type of the mixture (with its
    covariances' shape), isotropic (scalar) and diagonal noise for LinearGaussian, zero
    counts among the Gamma–Poisson data."""
    from vi_ref.models.gaussian_mixture import COVARIANCE_TYPES

    shapes = {"full": (3, 2, 2), "tied": (2, 2), "diag": (3, 2), "spherical": (3,)}
    assert set(COVARIANCE_TYPES) == set(shapes)
    for covariance_type, shape in shapes.items():
        drawn = _drawn(f"models.gaussian_mixture.GaussianMixture.log_joint_grad[{covariance_type}]", SEED)
        assert drawn["covariances"].shape == shape, covariance_type
    name = "models.linear_gaussian.LinearGaussian.log_joint_grad"
    assert np.ndim(_drawn(f"{name}[isotropic noise]", SEED)["noise_var"]) == 0
    assert np.ndim(_drawn(f"{name}[diagonal noise, samples against points]", SEED)["noise_var"]) == 1
    problem = _problem("models.gamma_poisson.GammaPoisson.log_joint_grad[rates e^-3..e^3, zero counts]")
    assert np.any(_closed_over(problem.value, "x") == 0.0)


def test_log_joint_entries_tell_the_samples_apart(monkeypatch):
    """log_joint_grad is per sample: its θ-gradients are contracted with random weights,
    so that a log_joint_grad returning the right gradients for the wrong samples (here
    in reverse order) fails; a plain sum over the samples could not tell."""
    from vi_ref.models import GammaPoisson

    name = "models.gamma_poisson.GammaPoisson.log_joint_grad[rates e^-3..e^3, zero counts]"
    correct = GammaPoisson.log_joint_grad

    def reversed_samples(self, x, z):
        return {key: value[::-1] for key, value in correct(self, x, z).items()}

    monkeypatch.setattr(GammaPoisson, "log_joint_grad", reversed_samples)
    checks = {check.name: check for check in check_case(CASE_NAMED[name], rng=SEED)}
    assert not checks[f"{name}[concentration]"].ok and not checks[f"{name}[rate]"].ok


def test_the_vi_target_is_correlated_and_not_quadratic():
    """The target of vi's log_joint_grad entry has mixed curvature (∂²/∂z₁∂z₂ ≠ 0: a
    gradient ignoring the correlations fails) and curvature that changes from point to
    point (a gradient linear in z, right for a Gaussian only, fails). Second
    differences of the value, step 1e-3, at z = 0 and z = 1."""
    from vi_ref.registry.vi import _log_joint

    def hessian(point, step=1e-3):
        def value(z):
            return float(np.asarray(_log_joint(z[None]))[0])

        basis = step * np.eye(3)
        return np.array([[(value(point + a + b) - value(point + a - b) - value(point - a + b)
                           + value(point - a - b)) / (4 * step**2) for b in basis] for a in basis])

    at_zero, at_one = hessian(np.zeros(3)), hessian(np.ones(3))
    assert np.min(np.abs(at_zero[np.triu_indices(3, k=1)])) >= 0.05
    assert np.max(np.abs(at_one - at_zero)) >= 0.5


def test_the_learning_entries_are_isotropic_and_diagonal_at_a_generic_point():
    """The diagonal-noise entry has D − 1 = 3 more coordinates than the isotropic one
    (one log-variance per dimension), and both are checked away from the optimisers'
    initial point, where b = 0, the log-variances and q's log-diagonals are 0: there
    a missing chain-rule factor e^0 = 1 or a term proportional to b or q's mean
    would go unseen. No coordinate of the point is 0."""
    name = "learning.LinearGaussianELBO.objective_grad"
    isotropic, diagonal = (_drawn(f"{name}[{noise} noise]", SEED)["vector"] for noise in ("isotropic", "diagonal"))
    assert diagonal.size - isotropic.size == 3
    assert np.all(isotropic != 0.0) and np.all(diagonal != 0.0)
