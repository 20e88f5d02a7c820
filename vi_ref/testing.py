"""One-line tests of another implementation against vi_ref's reference cases.

For a PyTorch, JAX or NumPy project's test suite (pytest or any other)::

    from vi_ref.testing import reference_inputs, assert_matches_reference

    def test_my_kl():
        inputs = reference_inputs("kl.Normal-Normal")
        value = my_kl(inputs["q_loc"], inputs["q_scale"], inputs["p_loc"], inputs["p_scale"])
        assert_matches_reference("kl.Normal-Normal", {"value": value}, inputs=inputs)

The case names, their fields and shapes are those of the reference files
(``vi-ref crosscheck --list``, ``docs/reference-files.md``); the conventions that
relate each field to torch.distributions, NumPyro and TFP are in
``docs/conventions.md``. Outputs may be NumPy arrays, Python numbers, or any array
type ``np.asarray`` understands (a torch tensor is detached and moved to the CPU).
"""

import numpy as np

from . import reference

__all__ = ["reference_cases", "reference_inputs", "reference_outputs", "assert_matches_reference"]


def reference_cases():
    """Names of every reference case."""
    return reference.case_names()


def reference_inputs(case, seed=0):
    """The inputs of ``case`` for ``seed`` (as ``vi-ref reference --seed`` writes them):
    a dict field → float64 or int64 ndarray."""
    return reference.case_inputs(case, seed)


def reference_outputs(case, inputs=None, seed=0):
    """vi_ref's outputs of ``case`` for ``inputs`` (default: ``reference_inputs(case, seed)``)."""
    return reference.compute_outputs(case, _inputs(case, inputs, seed))


def _inputs(case, inputs, seed):
    """The given inputs as ndarrays (checked by ``reference.compute_outputs``), or the
    case's own for ``seed``."""
    if inputs is None:
        return reference.case_inputs(case, seed)
    if not isinstance(inputs, dict):
        raise TypeError(f"inputs must be a dict of field name to array; got {type(inputs).__name__}")
    return {key: _as_array(value) for key, value in inputs.items()}


def _as_array(value):
    """An ndarray from a NumPy/JAX array, a number, or a torch tensor (detached)."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def assert_matches_reference(case, outputs, *, inputs=None, seed=0, rtol=None, atol=None):
    """Assert that ``outputs`` (someone else's values of some of ``case``'s output
    fields) match vi_ref's for the same inputs.

    Args:
        case: a reference case name, e.g. ``"kl.Normal-Normal"``.
        outputs: dict field name → array; any non-empty subset of the case's outputs.
        inputs: the inputs the outputs were computed from (dict of every input
            field); default ``reference_inputs(case, seed)``.
        seed: the seed of the default inputs.
        rtol, atol: override the case's tolerance (|actual − expected| ≤ atol +
            rtol |expected| elementwise; shapes must be equal): finite numbers ≥ 0.

    Raises:
        AssertionError: naming the case and every field that does not match, with the
            largest absolute and relative error, the worst index and both values.
        ValueError, TypeError, KeyError: for an unknown case or field, inputs that
            are not the case's, or a tolerance that is not a finite number ≥ 0.
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not this helper's
    spec = reference.get_case(case)
    if not isinstance(outputs, dict) or not outputs:
        raise TypeError(f"outputs must be a non-empty dict of field name to array; got {outputs!r}")
    unknown = [key for key in outputs if key not in spec.outputs]
    if unknown:
        raise ValueError(f"case {case!r} has no output field(s) {unknown}; its outputs are {list(spec.outputs)}")
    expected = reference.compute_outputs(case, _inputs(case, inputs, seed))
    results = [
        reference.compare(
            case, key, expected[key], _as_array(value),
            rtol=spec.rtol if rtol is None else rtol, atol=spec.atol if atol is None else atol,
        )
        for key, value in outputs.items()
    ]
    failures = [result for result in results if not result.ok]
    if failures:
        details = "\n".join(f"  field {result.field!r}: {result.detail}" for result in failures)
        raise AssertionError(
            f"{len(failures)} of {len(results)} field(s) of reference case {case!r} do not match vi_ref:\n{details}"
        )
