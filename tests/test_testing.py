"""vi_ref.testing: one-line tests of another implementation against the reference cases."""

import numpy as np
import pytest
import scipy.stats

from vi_ref.testing import assert_matches_reference, reference_cases, reference_inputs, reference_outputs


def _normal_kl(inputs):
    """KL(N(μq, σq²) ‖ N(μp, σp²)) written here independently, as a user's code would be."""
    mq, sq, mp, sp = (inputs[k] for k in ("q_loc", "q_scale", "p_loc", "p_scale"))
    return np.log(sp / sq) + (sq**2 + (mq - mp) ** 2) / (2 * sp**2) - 0.5


def test_an_independent_implementation_passes():
    inputs = reference_inputs("kl.Normal-Normal")
    assert_matches_reference("kl.Normal-Normal", {"value": _normal_kl(inputs)}, inputs=inputs)
    gamma = reference_inputs("distribution.Gamma", seed=4)
    log_prob = scipy.stats.gamma.logpdf(gamma["x"], gamma["concentration"], scale=1 / gamma["rate"])
    assert_matches_reference("distribution.Gamma", {"log_prob": log_prob}, seed=4)


def test_the_default_inputs_are_the_seed_zero_inputs():
    inputs = reference_inputs("kl.Normal-Normal", seed=0)
    assert_matches_reference("kl.Normal-Normal", {"value": _normal_kl(inputs)})
    with pytest.raises(AssertionError):
        assert_matches_reference("kl.Normal-Normal", {"value": _normal_kl(inputs)}, seed=1)


def test_reference_outputs_of_a_seed_are_those_of_its_inputs():
    inputs = reference_inputs("kl.Normal-Normal", seed=3)
    outputs = reference_outputs("kl.Normal-Normal", seed=3)
    np.testing.assert_allclose(outputs["value"], _normal_kl(inputs), rtol=1e-12)


def test_a_wrong_field_fails_with_a_message_naming_case_field_and_numbers():
    inputs = reference_inputs("kl.Normal-Normal")
    outputs = reference_outputs("kl.Normal-Normal", inputs)
    wrong = dict(outputs, grad_q_scale=outputs["grad_q_scale"] * inputs["q_scale"])  # d/d log σ
    with pytest.raises(AssertionError) as error:
        assert_matches_reference("kl.Normal-Normal", wrong, inputs=inputs)
    message = str(error.value)
    assert message.startswith("1 of 5 field(s) of reference case 'kl.Normal-Normal' do not match vi_ref:")
    assert "field 'grad_q_scale': MISMATCH: max abs error" in message
    assert "worst at index" in message and "expected" in message and "got" in message


def test_tolerance_and_its_override():
    inputs = reference_inputs("gmm.tied")
    outputs = reference_outputs("gmm.tied", inputs)
    assert_matches_reference("gmm.tied", {"em_means": outputs["em_means"] * (1 + 1e-11)}, inputs=inputs)
    nudged = {"em_means": outputs["em_means"] * (1 + 1e-6)}
    with pytest.raises(AssertionError, match="em_means"):
        assert_matches_reference("gmm.tied", nudged, inputs=inputs)
    assert_matches_reference("gmm.tied", nudged, inputs=inputs, rtol=1e-5)


def test_a_shape_convention_difference_fails():
    inputs = reference_inputs("linear_gaussian.isotropic")
    outputs = reference_outputs("linear_gaussian.isotropic", inputs)
    with pytest.raises(AssertionError, match=r"shape \(1, 3\), but vi_ref's has shape \(3,\)"):
        assert_matches_reference("linear_gaussian.isotropic", {"elbo": outputs["elbo"][None]}, inputs=inputs)


@pytest.mark.parametrize(
    "arguments, error, message",
    [
        (("kl.Normal-Cauchy", {"value": 0.0}), KeyError, "unknown reference case"),
        (("kl.Normal-Normal", {"kl": 0.0}), ValueError, "has no output field"),
        (("kl.Normal-Normal", {}), TypeError, "non-empty dict"),
    ],
)
def test_bad_use_is_refused(arguments, error, message):
    with pytest.raises(error, match=message):
        assert_matches_reference(*arguments)


def test_inputs_that_are_not_a_dict_are_refused_by_name():
    inputs = list(reference_inputs("kl.Normal-Normal").values())
    with pytest.raises(TypeError, match="inputs must be a dict of field name to array; got list"):
        assert_matches_reference("kl.Normal-Normal", {"value": np.zeros(3)}, inputs=inputs)
    with pytest.raises(TypeError, match="inputs must be a dict"):
        reference_outputs("kl.Normal-Normal", inputs)


class TensorStandIn:
    """What vi_ref.testing needs of a torch tensor that requires grad: ``np.asarray``
    of it fails, as torch's does, and ``.detach().cpu().numpy()`` gives its values."""

    def __init__(self, values):
        self.values = np.asarray(values)

    def __array__(self, *args, **kwargs):
        raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return self.values


def test_tensors_are_detached_without_torch():
    """The torch branch of the conversion, tested where torch is not installed (the peer
    test below needs it): inputs and outputs given as tensors that require grad."""
    inputs = reference_inputs("kl.Normal-Normal", seed=1)
    tensors = {key: TensorStandIn(value) for key, value in inputs.items()}
    assert_matches_reference("kl.Normal-Normal", {"value": TensorStandIn(_normal_kl(inputs))}, inputs=tensors)
    np.testing.assert_array_equal(reference_outputs("kl.Normal-Normal", tensors)["value"],
                                  reference_outputs("kl.Normal-Normal", inputs)["value"])


@pytest.mark.parametrize(
    "tolerance, error, message",
    [
        ({"rtol": float("nan")}, ValueError, "rtol must be finite"),
        ({"rtol": float("inf")}, ValueError, "rtol must be finite"),  # would accept any finite output
        ({"atol": -1e-12}, ValueError, "atol must be >= 0"),
        ({"rtol": "1e-9"}, TypeError, "rtol must be real numbers"),
        ({"atol": True}, TypeError, "atol must be real numbers"),
    ],
)
def test_a_tolerance_that_is_not_a_finite_non_negative_number_is_refused(tolerance, error, message):
    outputs = reference_outputs("kl.Normal-Normal")
    with pytest.raises(error, match=message):
        assert_matches_reference("kl.Normal-Normal", outputs, **tolerance)


def test_incomplete_inputs_are_refused():
    inputs = reference_inputs("kl.Normal-Normal")
    del inputs["p_scale"]
    with pytest.raises(ValueError, match="inputs is missing 'p_scale'"):
        assert_matches_reference("kl.Normal-Normal", {"value": np.zeros(3)}, inputs=inputs)


def test_every_case_is_listed_and_its_own_outputs_match():
    for case in reference_cases():
        inputs = reference_inputs(case, seed=2)
        assert_matches_reference(case, reference_outputs(case, inputs), inputs=inputs)


@pytest.mark.peer
def test_torch_tensors_are_accepted():
    torch = pytest.importorskip("torch")
    inputs = reference_inputs("kl.Normal-Normal")
    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in inputs.items()}
    q = torch.distributions.Normal(tensors["q_loc"], tensors["q_scale"])
    p = torch.distributions.Normal(tensors["p_loc"], tensors["p_scale"])
    value = torch.distributions.kl_divergence(q, p)
    grad_q_loc, = torch.autograd.grad(value.sum(), tensors["q_loc"])
    assert_matches_reference("kl.Normal-Normal", {"value": value, "grad_q_loc": grad_q_loc}, inputs=tensors)


def test_inputs_are_checked_as_a_files_are():
    """Given inputs skipped the file's checks: a dimension of 2**40 went to the
    estimator suite (MemoryError), a NaN through to the outputs."""
    inputs = reference_inputs("estimators.dimension")
    outputs = reference_outputs("estimators.dimension", inputs)
    with pytest.raises(ValueError, match=r"field 'dimension': must be in \[1, 100000\]; got 1099511627776"):
        assert_matches_reference("estimators.dimension", outputs, inputs={**inputs, "dimension": 2**40})
    kl_inputs = reference_inputs("kl.Normal-Normal")
    with pytest.raises(ValueError, match="field 'q_scale': NaN at index"):
        reference_outputs("kl.Normal-Normal", {**kl_inputs, "q_scale": np.array([1.0, np.nan, 2.0])})
    exact = {**kl_inputs, "q_loc": kl_inputs["q_loc"].astype(np.float32)}  # converted exactly
    assert_matches_reference("kl.Normal-Normal", reference_outputs("kl.Normal-Normal", exact), inputs=exact)
