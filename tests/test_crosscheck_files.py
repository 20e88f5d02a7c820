"""Reading reference files safely: every malformed or hostile file is refused with an
error naming the file, the case and the field; nothing in a file is executed; the
example files and the torch example behave as documented."""

import json
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from vi_ref import cli, reference
from vi_ref.reference import ReferenceFileError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
KL = "kl.Normal-Normal"
CATEGORICAL = "distribution.CategoricalLogits"
INFINITE_KL = "kl.Normal-Gamma"


@pytest.fixture
def document(tmp_path):
    """A valid document of two cases (one with an int64 field), as plain JSON data."""
    generated = reference.generate(0, only="Normal-Normal")
    generated["cases"].update(reference.generate(0, only=CATEGORICAL)["cases"])
    path = tmp_path / "valid.json"
    reference.write(path, generated)
    return json.loads(path.read_text())


def _write_json(tmp_path, data, **dumps):
    path = tmp_path / "file.json"
    path.write_text(json.dumps(data, **dumps))
    return path


def _refused(path, *fragments):
    with pytest.raises(ReferenceFileError) as error:
        reference.read(path)
    message = str(error.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message
    return message


def _write_npz(tmp_path, members):
    path = tmp_path / "file.npz"
    with open(path, "wb") as handle:
        np.savez(handle, **members)
    return path


def _valid_npz_members():
    return reference._npz_members(reference.generate(0, only="Normal-Normal"))


class Marker:
    """A pickle payload: unpickling it would create a directory."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


# ----- JSON: one mutation of a valid document per hostile file ----------------------


def _set(path_in_document, value):
    def mutate(data):
        target = data
        for key in path_in_document[:-1]:
            target = target[key]
        target[path_in_document[-1]] = value

    return mutate


def _delete(path_in_document):
    def mutate(data):
        target = data
        for key in path_in_document[:-1]:
            target = target[key]
        del target[path_in_document[-1]]

    return mutate


def _nest(depth):
    def mutate(data):
        value = 0
        for _ in range(depth):
            value = {"x": value}
        data["producer"] = value

    return mutate


JSON_MUTATIONS = {
    "missing top-level version": (_delete(["version"]), ["missing 'version'"]),
    "extra top-level field": (_set(["run_me"], "import os"), ["unexpected 'run_me'"]),
    "wrong format": (_set(["format"], "something.else"), ["format must be 'vi_ref.reference'"]),
    "newer schema version": (_set(["version"], 2), ["schema version 2", "newer"]),
    "version as text": (_set(["version"], "1"), ["version must be an integer"]),
    "version as true": (_set(["version"], True), ["version must be an integer; got True"]),  # True == 1
    "seed beyond int64": (_set(["seed"], 2**63), ["seed must be a non-negative integer below 2**63"]),
    "no cases": (_set(["cases"], {}), ["non-empty"]),
    "unknown case": (lambda d: d["cases"].update({"kl.Normal-Cauchy": d["cases"][KL]}), ["case 'kl.Normal-Cauchy'", "unknown case"]),
    "case name with a path": (lambda d: d["cases"].update({"../../etc": {}}), ["'../../etc'", "not a valid name"]),
    "missing input field": (_delete(["cases", KL, "inputs", "q_scale"]), [f"case '{KL}'", "missing 'q_scale'"]),
    "extra input field": (_set(["cases", KL, "inputs", "q_df"], {"dtype": "float64", "shape": [], "data": [1.0]}), [f"case '{KL}'", "unexpected 'q_df'"]),
    "extra output field": (_set(["cases", KL, "outputs", "grad_q_df"], {"dtype": "float64", "shape": [], "data": [1.0]}), [f"case '{KL}'", "unexpected 'grad_q_df'"]),
    "no outputs": (_set(["cases", KL, "outputs"], {}), [f"case '{KL}'", "at least one"]),
    "missing tolerance": (_delete(["cases", KL, "tolerance"]), [f"case '{KL}'", "missing 'tolerance'"]),
    "negative tolerance": (_set(["cases", KL, "tolerance", "rtol"], -1.0), [f"case '{KL}'", "field 'tolerance.rtol'"]),
    "tolerance as true": (_set(["cases", KL, "tolerance", "atol"], True), [f"case '{KL}'", "field 'tolerance.atol'"]),
    "description as a number": (_set(["cases", KL, "description"], 5), [f"case '{KL}'", "description must be a string"]),
    "float32 dtype": (_set(["cases", KL, "inputs", "q_loc", "dtype"], "float32"), [f"case '{KL}'", "field 'q_loc'", "dtype must be one of"]),
    "float where int64 is required": (
        lambda d: d["cases"][CATEGORICAL]["inputs"]["x"].update(dtype="float64"),
        [f"case '{CATEGORICAL}'", "field 'x'", "dtype must be int64"],
    ),
    "fractional int64 data": (
        lambda d: d["cases"][CATEGORICAL]["inputs"]["x"]["data"].__setitem__(0, 1.5),
        [f"case '{CATEGORICAL}'", "field 'x'", "must be integers"],
    ),
    "int64 data beyond int64": (
        lambda d: d["cases"][CATEGORICAL]["inputs"]["x"]["data"].__setitem__(0, 2**63),
        [f"case '{CATEGORICAL}'", "field 'x'", "must be integers"],
    ),
    "boolean in int64 data": (
        lambda d: d["cases"][CATEGORICAL]["inputs"]["x"]["data"].__setitem__(0, True),
        [f"case '{CATEGORICAL}'", "field 'x'", "must be integers"],
    ),
    "NaN input as a string": (_set(["cases", KL, "inputs", "p_loc", "data", 1], "nan"), [f"case '{KL}'", "field 'p_loc'", "NaN at index (1,)"]),
    "inf where finite is required": (_set(["cases", KL, "outputs", "value", "data", 0], "-inf"), [f"case '{KL}'", "field 'value'", "must be finite"]),
    "text in the data": (_set(["cases", KL, "inputs", "q_loc", "data", 0], "__import__('os')"), [f"case '{KL}'", "field 'q_loc'", "must be numbers"]),
    "integer beyond the float range": (
        _set(["cases", KL, "inputs", "q_loc", "data", 0], 10**400),
        [f"case '{KL}'", "field 'q_loc'", "outside the float64 range"],
    ),
    "boolean in the data": (_set(["cases", KL, "inputs", "q_loc", "data", 0], True), [f"case '{KL}'", "field 'q_loc'", "must be numbers"]),
    "data shorter than the shape": (_set(["cases", KL, "inputs", "q_loc", "shape"], [4]), [f"case '{KL}'", "field 'q_loc'", "flat list of 4"]),
    "data longer than the shape": (_set(["cases", KL, "inputs", "q_loc", "shape"], [2]), [f"case '{KL}'", "field 'q_loc'", "flat list of 2"]),
    "oversized array": (
        _set(["cases", KL, "inputs", "q_loc", "shape"], [1 << 11, 1 << 11]),
        [f"case '{KL}'", "field 'q_loc'", "more than the limit"],
    ),
    "negative shape": (_set(["cases", KL, "inputs", "q_loc", "shape"], [-3]), [f"case '{KL}'", "field 'q_loc'", "non-negative integers"]),
    "shapes that contradict each other": (
        lambda d: d["cases"][KL]["inputs"]["q_scale"].update(shape=[2], data=[1.0, 2.0]),
        [f"case '{KL}'", "field 'q_scale'", "does not fit (B,)", "B = 3"],
    ),
    "wrong number of dimensions": (
        lambda d: d["cases"][KL]["outputs"]["value"].update(shape=[3, 1]),
        [f"case '{KL}'", "field 'value'", "1 dimension(s)"],
    ),
    "array with an extra key": (_set(["cases", KL, "inputs", "q_loc", "eval"], "1"), [f"case '{KL}'", "field 'q_loc'", "exactly the keys"]),
    "array as a bare list": (_set(["cases", KL, "inputs", "q_loc"], [1.0, 2.0, 3.0]), [f"case '{KL}'", "field 'q_loc'", "exactly the keys"]),
    "deep nesting": (_nest(200), ["nested"]),
}


@pytest.mark.parametrize("label", list(JSON_MUTATIONS))
def test_hostile_json_is_refused_naming_case_and_field(tmp_path, document, label):
    mutate, fragments = JSON_MUTATIONS[label]
    mutate(document)
    _refused(_write_json(tmp_path, document), *fragments)


def test_nan_literal_is_refused(tmp_path, document):
    document["cases"][KL]["inputs"]["q_loc"]["data"][0] = float("nan")
    _refused(_write_json(tmp_path, document, allow_nan=True), "literal NaN")


def test_the_json_nesting_limit_is_max_nesting_levels(tmp_path, document):
    """The top-level object is level 0 and its values level 1, so a producer wrapped in
    15 objects puts its innermost value at level 16, the limit: read, then refused as a
    producer that is not a string; one object more is refused as nested too deeply."""
    assert reference.MAX_NESTING == 16
    _nest(15)(document)
    _refused(_write_json(tmp_path, document), "producer must be a string")
    _nest(16)(document)
    _refused(_write_json(tmp_path, document), "nested deeper than 16 levels")


def test_a_tolerance_of_zero_is_read(tmp_path, document):
    """A file may state rtol = atol = 0 (it asks for bit-identical values); only negative
    and non-finite tolerances are refused."""
    document["cases"][KL]["tolerance"] = {"rtol": 0, "atol": 0.0}
    assert reference.read(_write_json(tmp_path, document))["cases"][KL]["tolerance"] == {"rtol": 0, "atol": 0.0}


def _infinite_kl_json(tmp_path, value_data):
    """A JSON file of the case kl.Normal-Gamma (whose value is +inf) with this value data."""
    path = tmp_path / "infinite.json"
    reference.write(path, reference.generate(0, only=INFINITE_KL))
    data = json.loads(path.read_text())
    data["cases"][INFINITE_KL]["outputs"]["value"]["data"] = value_data
    return _write_json(tmp_path, data)


def test_nan_is_refused_where_inf_is_allowed(tmp_path):
    """A KL value may be inf, never NaN."""
    _refused(_infinite_kl_json(tmp_path, ["inf", "nan", "inf"]), f"case '{INFINITE_KL}'", "field 'value'", "NaN at index (1,)")


def test_minus_inf_reads_as_minus_inf_and_fails_against_plus_inf(tmp_path):
    """A file claiming KL = −inf is read as it says, and the crosscheck fails it."""
    document = reference.read(_infinite_kl_json(tmp_path, ["inf", "-inf", "inf"]))
    np.testing.assert_array_equal(document["cases"][INFINITE_KL]["outputs"]["value"], [np.inf, -np.inf, np.inf])
    result, = reference.check(document)
    assert not result.ok and result.worst_index == (1,)


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"[1, 2, 3]", "top level must be a JSON object"),
        (b"{\"format\": ", "not valid JSON"),
        (b"\xff\xfe{\x00}", "not UTF-8"),
        (b"PK\x03\x04 zip bytes", "zip (NPZ) archive, not JSON"),
    ],
)
def test_non_json_is_refused(tmp_path, content, fragment):
    path = tmp_path / "file.json"
    path.write_bytes(content)
    _refused(path, fragment)


def test_a_json_number_beyond_the_float_range_is_refused(tmp_path, document):
    text = json.dumps(document).replace('"data": [', '"data": [' + "9" * 5000 + ", ", 1)
    path = tmp_path / "file.json"
    path.write_text(text)
    _refused(path, "not readable JSON", "5000 digits")


# ----- pickles and NPZ ----------------------------------------------------------------


def test_a_duplicated_json_key_is_refused(tmp_path, document):
    text = json.dumps(document).replace('"q_loc": {', '"q_loc": {"dtype": "int64", "shape": [], "data": [0]}, "q_loc": {', 1)
    path = tmp_path / "file.json"
    path.write_text(text)
    _refused(path, "'q_loc' appear more than once")


def test_a_duplicated_npz_member_is_refused(tmp_path):
    path = _write_npz(tmp_path, _valid_npz_members())
    with zipfile.ZipFile(path, "a") as archive, pytest.warns(UserWarning, match="Duplicate name"):
        archive.writestr(f"cases/{KL}/inputs/q_loc.npy", b"\x93NUMPY")
    _refused(path, f"'cases/{KL}/inputs/q_loc.npy' appear more than once")


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_a_pickle_is_refused_and_never_executed(tmp_path, suffix):
    marker = tmp_path / "executed"
    path = tmp_path / f"file{suffix}"
    path.write_bytes(pickle.dumps({"format": "vi_ref.reference", "payload": Marker(str(marker))}))
    _refused(path, "pickle")
    assert not marker.exists()


def test_an_object_array_in_an_npz_is_refused_before_unpickling(tmp_path):
    marker = tmp_path / "executed"
    members = _valid_npz_members()
    members[f"cases/{KL}/inputs/q_loc"] = np.array([Marker(str(marker))] * 3, dtype=object)
    _refused(_write_npz(tmp_path, members), f"case '{KL}'", "field 'q_loc'", "object array")
    assert not marker.exists()


def test_npz_with_wrong_dtype_is_refused(tmp_path):
    members = _valid_npz_members()
    members[f"cases/{KL}/inputs/q_scale"] = members[f"cases/{KL}/inputs/q_scale"].astype(np.float32)
    _refused(_write_npz(tmp_path, members), f"case '{KL}'", "field 'q_scale'", "float64 or int64")


@pytest.mark.parametrize("key, value", [("version", np.array(1, dtype=np.uint64)), ("format", np.array(b"vi_ref.reference"))])
def test_npz_with_a_wrong_dtype_of_a_top_level_member_names_the_member(tmp_path, key, value):
    members = _valid_npz_members()
    members[key] = value
    _refused(_write_npz(tmp_path, members), f"field {key!r}", "dtype must be")


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("version", np.array([1]), "version must be an int64 scalar; got dtype int64, shape (1,)"),
        (f"cases/{KL}/tolerance/rtol", np.array([1e-9]), "tolerance rtol must be a float64 scalar"),
    ],
)
def test_npz_with_a_one_element_array_for_a_scalar_is_refused(tmp_path, key, value, message):
    members = _valid_npz_members()
    members[key] = value
    _refused(_write_npz(tmp_path, members), message)


def test_npz_with_int_where_float_is_required_is_refused(tmp_path):
    members = _valid_npz_members()
    members[f"cases/{KL}/inputs/q_loc"] = np.array([1, 2, 3])
    _refused(_write_npz(tmp_path, members), f"case '{KL}'", "field 'q_loc'", "dtype must be float64; got int64")


def test_npz_with_an_oversized_array_is_refused(tmp_path):
    members = _valid_npz_members()
    members[f"cases/{KL}/outputs/value"] = np.zeros(reference.MAX_ARRAY_ELEMENTS + 1)
    path = tmp_path / "file.npz"
    with open(path, "wb") as handle:
        np.savez_compressed(handle, **members)
    _refused(path, f"case '{KL}'", "field 'value'", "more than the limit")


def test_a_big_endian_npz_is_read_as_the_same_numbers(tmp_path):
    """numpy.savez keeps a big-endian array's byte order (an NPZ from a big-endian
    machine, or one written so): its values are converted to native order, not its
    bytes reinterpreted."""
    document = reference.generate(0, only="Normal-Normal")
    document["cases"].update(reference.generate(0, only=CATEGORICAL)["cases"])
    members = {
        key: value.astype(value.dtype.newbyteorder(">")) if value.dtype.kind in "fi" else value
        for key, value in reference._npz_members(document).items()
    }
    assert members[f"cases/{KL}/inputs/q_loc"].dtype.str == ">f8" and members[f"cases/{CATEGORICAL}/inputs/x"].dtype.str == ">i8"
    back = reference.read(_write_npz(tmp_path, members))
    for name, case in document["cases"].items():
        for part in ("inputs", "outputs"):
            for key, array in case[part].items():
                read = back["cases"][name][part][key]
                assert read.dtype == array.dtype and np.array_equal(read, array), (name, key)


def test_an_npz_that_unpacks_beyond_the_limit_is_refused_before_reading(tmp_path, monkeypatch):
    """A small archive of a large array (a zip bomb) is refused by the members'
    uncompressed sizes, 4 × MAX_FILE_BYTES in all, before any member is read."""
    members = _valid_npz_members()
    members[f"cases/{KL}/outputs/value"] = np.zeros(200_000)  # 1.6 MB, compressed to a few kB
    path = tmp_path / "file.npz"
    with open(path, "wb") as handle:
        np.savez_compressed(handle, **members)
    monkeypatch.setattr(reference, "MAX_FILE_BYTES", 100_000)
    assert path.stat().st_size < 100_000
    _refused(path, "the archive unpacks to", "more than the limit of 400000")


def test_npz_with_a_non_finite_output_is_refused(tmp_path):
    members = _valid_npz_members()
    members[f"cases/{KL}/outputs/grad_q_loc"] = np.array([0.0, np.inf, 1.0])
    _refused(_write_npz(tmp_path, members), f"case '{KL}'", "field 'grad_q_loc'", "must be finite")


def test_npz_with_a_member_outside_the_schema_is_refused(tmp_path):
    members = _valid_npz_members()
    members["cases/../../run"] = np.array(1.0)
    _refused(_write_npz(tmp_path, members), "not a field of the schema")


def test_npz_with_a_missing_field_is_refused(tmp_path):
    members = _valid_npz_members()
    del members[f"cases/{KL}/inputs/p_scale"]
    _refused(_write_npz(tmp_path, members), f"case '{KL}'", "missing 'p_scale'")


def test_npz_with_a_non_npy_member_is_refused(tmp_path):
    path = _write_npz(tmp_path, _valid_npz_members())
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("payload.py", b"import os")
    _refused(path, "member 'payload.py' is not a .npy array")


def test_npz_with_a_truncated_npy_member_is_refused(tmp_path):
    path = tmp_path / "file.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("format.npy", b"\x93NUMPY")  # a truncated header
    _refused(path, "member 'format' is not a readable .npy array")


def test_a_truncated_npz_is_refused(tmp_path):
    members = _valid_npz_members()
    good = _write_npz(tmp_path, members)
    path = tmp_path / "truncated.npz"
    path.write_bytes(good.read_bytes()[:200])
    _refused(path, "not a readable NPZ")


def test_a_size_setting_integer_beyond_its_bound_is_refused_before_computing(tmp_path):
    document = reference.generate(0, only="estimators.dimension")
    document["cases"]["estimators.dimension"]["inputs"]["dimension"] = np.array(10**12)
    path = tmp_path / "file.npz"
    reference.write(path, document)
    _refused(path, "case 'estimators.dimension'", "field 'dimension'", "must be in [1, 100000]")


def test_the_lower_ends_of_the_size_bounds_are_read(tmp_path):
    """The bounds are inclusive: n = 2 (the least sample size with a leave-one-out
    baseline) and dimension = 1 are read, and vi_ref's outputs for them pass."""
    document = reference.generate(0, only="estimators.")
    for name, key, least in (("estimators.quadratic", "n", 2), ("estimators.dimension", "dimension", 1)):
        case = document["cases"][name]
        case["inputs"][key] = np.array(least)
        case["outputs"] = reference.compute_outputs(name, case["inputs"])
    path = tmp_path / "file.json"
    reference.write(path, document)
    back = reference.read(path)
    assert back["cases"]["estimators.quadratic"]["inputs"]["n"] == 2
    assert back["cases"]["estimators.dimension"]["outputs"]["gradient_scale"].shape == (1,)
    assert all(result.ok for result in reference.check(back))


def test_the_upper_ends_of_the_size_bounds_are_read_and_n_1_is_refused(tmp_path):
    """dimension = 100,000 and n = 2**31 are inside their inclusive bounds and read
    (a file may hold only some outputs, so no 100,000-entry gradient is needed);
    n = 1, a leave-one-out baseline with no other sample, is refused naming the bounds."""
    document = reference.generate(0, only="estimators.")
    dimension, quadratic = document["cases"]["estimators.dimension"], document["cases"]["estimators.quadratic"]
    dimension["inputs"]["dimension"] = np.array(100_000)
    dimension["outputs"] = {"expectation": np.array(100_000 * dimension["inputs"]["loc"])}
    quadratic["inputs"]["n"] = np.array(2**31)
    path = tmp_path / "file.npz"
    reference.write(path, document)
    back = reference.read(path)["cases"]
    assert back["estimators.dimension"]["inputs"]["dimension"] == 100_000
    assert back["estimators.quadratic"]["inputs"]["n"] == 2**31
    quadratic["inputs"]["n"] = np.array(1)
    reference.write(path, document)
    _refused(path, "case 'estimators.quadratic'", "field 'n'", "must be in [2, 2147483648]; got 1")


def test_a_file_larger_than_the_limit_is_refused_before_parsing(tmp_path, monkeypatch, document):
    path = _write_json(tmp_path, document)
    monkeypatch.setattr(reference, "MAX_FILE_BYTES", 100)
    _refused(path, "more than the limit of 100")


def test_a_file_of_exactly_the_size_limit_is_read(tmp_path, monkeypatch, document):
    path = _write_json(tmp_path, document)
    size = path.stat().st_size
    monkeypatch.setattr(reference, "MAX_FILE_BYTES", size)
    assert set(reference.read(path)["cases"]) == {KL, CATEGORICAL}
    monkeypatch.setattr(reference, "MAX_FILE_BYTES", size - 1)
    _refused(path, f"the file has {size} bytes, more than the limit of {size - 1}")


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_an_array_of_exactly_the_element_limit_is_read(tmp_path, monkeypatch, suffix):
    """Every array of kl.Normal-Normal has 3 entries: read at a limit of 3, refused at 2
    (by the decoder of each encoding and by validate)."""
    path = tmp_path / f"file{suffix}"
    document = reference.generate(0, only=KL)
    reference.write(path, document)
    monkeypatch.setattr(reference, "MAX_ARRAY_ELEMENTS", 3)
    assert set(reference.read(path)["cases"]) == {KL}
    monkeypatch.setattr(reference, "MAX_ARRAY_ELEMENTS", 2)
    _refused(path, f"case '{KL}'", "3 elements, more than the limit of 2")
    with pytest.raises(ReferenceFileError, match="field 'q_loc': 3 elements, more than the limit of 2"):
        reference.validate(document)


def test_a_suffix_other_than_json_or_npz_is_refused(tmp_path, document):
    path = tmp_path / "file.pkl"
    path.write_text(json.dumps(document))
    _refused(path, "must end in .json or .npz")


def test_a_missing_file_is_refused(tmp_path):
    _refused(tmp_path / "absent.json", "cannot read")


# ----- the command line on hostile and example files ---------------------------------


def test_crosscheck_of_a_hostile_file_exits_2_with_the_message(tmp_path, document, capsys):
    document["cases"][KL]["inputs"]["q_loc"]["dtype"] = "object"
    path = _write_json(tmp_path, document)
    assert cli.main(["crosscheck", str(path)]) == 2
    error = capsys.readouterr().err
    assert f"case '{KL}'" in error and "field 'q_loc'" in error and "Traceback" not in error


def test_a_file_whose_fields_are_all_empty_compares_nothing_and_fails(tmp_path, document, capsys):
    """Every array of batch size 0 passed as "All 5 fields ... match", though nothing
    was compared."""
    case = document["cases"][KL]
    document["cases"] = {KL: case}
    for group in ("inputs", "outputs"):
        for field in case[group].values():
            field["shape"], field["data"] = [0], []
    path = _write_json(tmp_path, document)
    assert cli.main(["crosscheck", str(path)]) == 1
    captured = capsys.readouterr()
    assert "(0 values compared)" in captured.out and "nothing was checked" in captured.err
    reference.write(path, reference.generate(0, only=KL))
    assert cli.main(["crosscheck", str(path)]) == 0
    assert "(15 values compared)" in capsys.readouterr().out


def test_inputs_vi_ref_refuses_fail_the_case(tmp_path, document, capsys):
    document["cases"][KL]["inputs"]["q_scale"]["data"][0] = -1.0  # a negative scale
    path = _write_json(tmp_path, document)
    assert cli.main(["crosscheck", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"case '{KL}', field 'inputs'" in out and "scale must be positive" in out


def test_inputs_whose_moments_would_overflow_fail_the_case(tmp_path, capsys):
    """At loc = 1e300 the suite's Python float arithmetic raised OverflowError, and the
    crosscheck crashed (exit 1 with a traceback); the suite now refuses |loc| > 1e50."""
    generated = reference.generate(0, only="estimators.quadratic")
    generated["cases"]["estimators.quadratic"]["inputs"]["loc"] = np.array(1e300)  # E f = (μ − k)² + σ² ≈ 1e600
    path = tmp_path / "file.json"
    reference.write(path, generated)
    assert cli.main(["crosscheck", str(path)]) == 1
    out = capsys.readouterr().out
    assert "case 'estimators.quadratic', field 'inputs'" in out and "loc must be at most 1e50 in magnitude" in out


def test_the_good_example_passes():
    assert cli.main(["crosscheck", str(EXAMPLES / "crosscheck-good.json")]) == 0


def test_the_wrong_example_fails_naming_the_case_and_field(capsys):
    assert cli.main(["crosscheck", str(EXAMPLES / "crosscheck-wrong.json")]) == 1
    out = capsys.readouterr().out
    mismatches = [line for line in out.splitlines() if "MISMATCH" in line]
    assert len(mismatches) == 2  # its table row, and the detail naming case and field
    assert "case 'kl.Normal-Normal', field 'grad_q_scale': MISMATCH" in out
    assert "1 of 11 fields" in out


@pytest.mark.peer
def test_the_torch_example_passes_every_case_it_covers(tmp_path):
    pytest.importorskip("torch")
    out = tmp_path / "torch.json"
    environment = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "torch_crosscheck.py"), "--out", str(out)],
        capture_output=True, text=True, env=environment, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    covered = reference.read(out)["cases"]
    # every case but the one pair torch.distributions does not register and the
    # estimator suite's exact variances, which are not torch quantities
    uncovered = set(reference.case_names()) - set(covered)
    # (nor the discrete-against-continuous pairs, which torch does not register either)
    continuous = ("Normal", "Exponential", "Gamma", "LogNormal")
    discrete_continuous = {f"kl.CategoricalLogits-{c}" for c in continuous} | {
        f"kl.{c}-CategoricalLogits" for c in continuous
    }
    expected = {"kl.Normal-LogNormal"} | discrete_continuous
    assert uncovered == expected | {name for name in uncovered if name.startswith("estimators.")}
    assert "iwae.linear_gaussian" in covered
    assert "match vi_ref" in result.stdout
