"""Golden reference files: vi_ref's numbers for other implementations to test against.

A reference file holds named cases (``vi_ref.reference_cases``): each case's input
arrays, the output arrays, and the tolerance within which a correct float64
implementation agrees. ``generate(seed)`` makes the document, ``write(path, document)``
writes it as JSON or NPZ (by the file's suffix), ``read(path)`` reads one back —
safely: nothing in a file is executed or unpickled, and every malformed or hostile
file is refused with a ``ReferenceFileError`` naming the file, the case and the field.
``check(document)`` recomputes every case from the file's own inputs and compares the
file's outputs with vi_ref's, field by field; ``vi-ref crosscheck`` prints that.

The schema (field names, shapes, dtypes, the encoding of arrays in JSON and NPZ) is
documented in ``docs/reference-files.md``; ``docs/conventions.md`` says how each
quantity relates to PyTorch's, JAX/NumPyro's and TensorFlow Probability's.
"""

import io
import json
import math
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import __version__
from .reference_cases import CASES
from .validation import check_tolerance

__all__ = [
    "FORMAT",
    "SCHEMA_VERSION",
    "MAX_FILE_BYTES",
    "MAX_ARRAY_ELEMENTS",
    "ReferenceFileError",
    "FieldResult",
    "case_names",
    "get_case",
    "case_inputs",
    "compute_outputs",
    "describe_cases",
    "generate",
    "write",
    "read",
    "validate",
    "check",
    "compare",
    "report",
]

FORMAT = "vi_ref.reference"
SCHEMA_VERSION = 1
MAX_FILE_BYTES = 32 * 2**20  # refused before parsing (a full reference file is ~0.1 MiB)
MAX_ARRAY_ELEMENTS = 2**20  # per array
MAX_CASES = 1000
MAX_NESTING = 16  # JSON depth; a legitimate file needs 5
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{0,99}\Z")
DTYPES = {"float64": np.float64, "int64": np.int64}
_NON_FINITE = {"inf": np.inf, "-inf": -np.inf, "nan": np.nan}
_TOP_LEVEL_REQUIRED = ("format", "version", "cases")
_TOP_LEVEL_OPTIONAL = ("vi_ref_version", "seed", "producer")
_CASE_REQUIRED = ("tolerance", "inputs", "outputs")
_CASE_OPTIONAL = ("description",)

_CASES = {case.name: case for case in CASES}


class ReferenceFileError(ValueError):
    """A reference file that cannot be read: malformed, hostile, or not this schema.
    The message names the file and, where there is one, the case and the field."""


def _where(case=None, field=None):
    parts = []
    if case is not None:
        parts.append(f"case {case!r}")
    if field is not None:
        parts.append(f"field {field!r}")
    return ", ".join(parts)


def _fail(source, problem, case=None, field=None):
    location = _where(case, field)
    raise ReferenceFileError(f"{source}: {location + ': ' if location else ''}{problem}")


# ---------------------------------------------------------------------------
# The table, and generation
# ---------------------------------------------------------------------------


def case_names():
    """Names of every case, in the table's order."""
    return list(_CASES)


def get_case(name):
    """The ``reference_cases.Case`` called ``name``.

    Raises:
        KeyError: for an unknown name.
    """
    try:
        return _CASES[name]
    except KeyError:
        raise KeyError(f"unknown reference case {name!r}; `vi-ref crosscheck --list` names them") from None


def _case_generator(seed, name):
    """One generator per case, from the seed and the case's name, so a subset of cases
    (``--only``) has the same inputs as the full file."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def _as_field_array(value, spec):
    return np.array(value, dtype=DTYPES[spec.dtype], order="C")


def case_inputs(name, seed=0):
    """The inputs of case ``name`` for ``seed``: a dict field → ndarray."""
    case = get_case(name)
    drawn = case.draw(_case_generator(_check_seed(seed), name))
    return {key: _as_field_array(drawn[key], spec) for key, spec in case.inputs.items()}


def compute_outputs(name, inputs):
    """vi_ref's outputs of case ``name`` for ``inputs`` (dict field → array).

    The inputs are checked as a file's are: exactly the case's fields, shapes that
    fit the case's symbols, sizes and bounds (``dimension`` ≤ 100,000), no NaN, and
    the field's dtype (integers and floats of fewer bits are converted exactly to a
    float64 field, integers to an int64 one; integers beyond ±2⁵³, which float64
    would round, are refused).

    Raises:
        ReferenceFileError (a ValueError): naming the field and the problem.
    """
    case = get_case(name)
    _check_keys(inputs, tuple(case.inputs), (), "inputs", "inputs", name)
    symbols, arrays = {}, {}
    for key, spec in case.inputs.items():
        array = np.asarray(inputs[key])
        if array.dtype.kind != "b" and np.can_cast(array.dtype, DTYPES[spec.dtype], "safe"):
            if array.dtype.kind in "iu" and spec.dtype == "float64" and _beyond_exact_floats(array):
                _fail("inputs", "integers beyond 2**53 in magnitude have no exact float64", name, key)
            array = array.astype(DTYPES[spec.dtype])
        arrays[key] = _validate_array(array, spec, symbols, "inputs", name, key)
    computed = case.compute(arrays)
    return {key: _as_field_array(computed[key], spec) for key, spec in case.outputs.items()}


def _beyond_exact_floats(integers):
    """Whether some entry of an integer array is beyond ±2⁵³, where float64 rounds."""
    limit = 2**53
    return bool(np.any(integers > limit) or (integers.dtype.kind == "i" and np.any(integers < -limit)))


def _check_seed(seed):
    # below 2**63: an NPZ file stores the seed as an int64
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**63:
        raise ValueError(f"seed must be a non-negative integer below 2**63; got {seed!r}")
    return int(seed)


def _selects(only, name):
    """Whether ``only`` (some text of a case name, not empty: the empty text is in
    every name) selects case ``name``."""
    if not isinstance(only, str):
        raise TypeError(f"only must be a string (some text of a case name); got {type(only).__name__}")
    if not only:
        raise ValueError("only must not be empty (the empty text is in every case name)")
    return only in name


def generate(seed=0, only=None):
    """The reference document for ``seed``: a dict with ``format``, ``version``,
    ``vi_ref_version``, ``seed`` and ``cases`` (name → ``{"description",
    "tolerance": {"rtol", "atol"}, "inputs", "outputs"}``, arrays as ndarrays).

    Args:
        seed: non-negative integer below 2**63; the same seed gives bit-identical arrays.
        only: if given, keep only the cases whose name contains this text.

    Raises:
        ValueError: for a bad seed, or ``only`` matching no case.
    """
    seed = _check_seed(seed)
    names = [name for name in _CASES if only is None or _selects(only, name)]
    if not names:
        raise ValueError(f"only={only!r} matches no case; `vi-ref crosscheck --list` names them")
    cases = {}
    for name in names:
        case = _CASES[name]
        inputs = case_inputs(name, seed)
        cases[name] = {
            "description": case.description,
            "tolerance": {"rtol": case.rtol, "atol": case.atol},
            "inputs": inputs,
            "outputs": compute_outputs(name, inputs),
        }
    return {"format": FORMAT, "version": SCHEMA_VERSION, "vi_ref_version": __version__, "seed": seed, "cases": cases}


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def _suffix(path):
    suffix = Path(path).suffix.lower()
    if suffix not in (".json", ".npz"):
        raise ValueError(f"a reference file must end in .json or .npz; got {str(path)!r}")
    return suffix


def _json_array(array):
    """{"dtype", "shape", "data"}: data flat in C order, ±inf and NaN as strings
    (JSON has no literal for them)."""
    array = np.asarray(array)
    data = array.ravel().tolist()
    if array.dtype.kind == "f":
        data = [value if math.isfinite(value) else ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")) for value in data]
    return {"dtype": array.dtype.name, "shape": list(array.shape), "data": data}


def _json_text(value, indent=""):
    """JSON with one line per array (``{"dtype", "shape", "data"}``) and per scalar,
    nested objects indented: readable, and diffable line by line."""
    if isinstance(value, dict) and value and "data" not in value:
        inner = indent + "  "
        items = [f"{inner}{json.dumps(key, ensure_ascii=False)}: {_json_text(item, inner)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    return json.dumps(value, allow_nan=False, ensure_ascii=False)


def _npz_members(document):
    members = {key: np.array(document[key]) for key in ("format", "vi_ref_version", "producer") if key in document}
    members.update({key: np.array(document[key], dtype=np.int64) for key in ("version", "seed") if key in document})
    for name, case in document["cases"].items():
        prefix = f"cases/{name}/"
        if "description" in case:
            members[prefix + "description"] = np.array(case["description"])
        for key in ("rtol", "atol"):
            members[f"{prefix}tolerance/{key}"] = np.array(float(case["tolerance"][key]))
        for part in ("inputs", "outputs"):
            for key, value in case[part].items():
                members[f"{prefix}{part}/{key}"] = np.asarray(value)
    return members


def write(path, document):
    """Write ``document`` (as ``generate`` returns, or a partial one holding someone's
    outputs) to ``path``: ``.json`` or ``.npz`` by its suffix. See
    ``docs/reference-files.md`` for both encodings."""
    suffix = _suffix(path)
    if suffix == ".json":
        encoded = dict(document)
        encoded["cases"] = {
            name: {
                **{key: case[key] for key in ("description", "tolerance") if key in case},
                "inputs": {key: _json_array(value) for key, value in case["inputs"].items()},
                "outputs": {key: _json_array(value) for key, value in case["outputs"].items()},
            }
            for name, case in document["cases"].items()
        }
        Path(path).write_text(_json_text(encoded) + "\n", encoding="utf-8")
    else:
        members = _npz_members(document)  # before the file is opened: a failure leaves no empty file
        with open(path, "wb") as handle:
            np.savez_compressed(handle, **members)


# ---------------------------------------------------------------------------
# Reading: decode (JSON or NPZ) into the document, then validate it against the table
# ---------------------------------------------------------------------------


def read(path):
    """Read and validate a reference file (``.json`` or ``.npz``).

    Nothing in the file is executed: JSON is parsed as data, NPZ members are read as
    ``.npy`` arrays with ``allow_pickle=False`` after their headers have been checked
    (object arrays, which would need unpickling, are refused before any data is read).

    Returns:
        the document, as ``generate`` returns it (``description`` and ``seed`` may be
        absent), every array of its field's dtype.

    Raises:
        ReferenceFileError: naming the file, the case and the field, for anything that
            is not this schema: pickles and object arrays, wrong dtypes or shapes,
            missing or extra fields, unknown cases, non-finite values where finite
            ones are required, arrays larger than ``MAX_ARRAY_ELEMENTS``, files
            larger than ``MAX_FILE_BYTES``.
    """
    source = str(path)
    suffix = Path(path).suffix.lower()
    if suffix not in (".json", ".npz"):
        _fail(source, "a reference file must end in .json or .npz")
    try:
        size = Path(path).stat().st_size
        if size > MAX_FILE_BYTES:
            _fail(source, f"the file has {size} bytes, more than the limit of {MAX_FILE_BYTES}")
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        _fail(source, f"cannot read the file: {error.strerror or error}")
    if raw.startswith(b"\x80"):  # the PROTO opcode that starts every pickle since protocol 2
        _fail(source, "this looks like a Python pickle; vi_ref never unpickles a file")
    document = _decode_json(raw, source) if suffix == ".json" else _decode_npz(raw, source)
    return validate(document, source)


def _decode_json(raw, source):
    if raw.startswith(b"PK"):
        _fail(source, "this is a zip (NPZ) archive, not JSON; name it .npz")

    def refuse_constant(name):
        _fail(source, f"the JSON literal {name} is not allowed; write non-finite numbers as the strings \"inf\", \"-inf\", \"nan\"")

    def refuse_duplicates(pairs):
        keys = [key for key, _ in pairs]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            _fail(source, f"the key(s) {', '.join(map(repr, repeated))} appear more than once in one JSON object")
        return dict(pairs)

    try:
        text = raw.decode("utf-8")
        document = json.loads(text, parse_constant=refuse_constant, object_pairs_hook=refuse_duplicates)
    except UnicodeDecodeError:
        _fail(source, "the file is not UTF-8 text, so not JSON")
    except RecursionError:
        _fail(source, "the JSON is nested too deeply")
    except json.JSONDecodeError as error:
        _fail(source, f"not valid JSON: {error}")
    except ReferenceFileError:
        raise
    except ValueError as error:  # an integer literal longer than Python converts (4300 digits)
        _fail(source, f"not readable JSON: {error}")
    _check_depth(document, source)
    if not isinstance(document, dict):
        _fail(source, f"the top level must be a JSON object; got {type(document).__name__}")
    cases = document.get("cases")
    if isinstance(cases, dict):
        decoded = {}
        for name, case in cases.items():
            if isinstance(case, dict):
                case = dict(case)
                for part in ("inputs", "outputs"):
                    if isinstance(case.get(part), dict):
                        case[part] = {key: _decode_json_array(value, source, name, key) for key, value in case[part].items()}
            decoded[name] = case
        document = dict(document, cases=decoded)
    return document


def _check_depth(value, source, depth=0):
    if depth > MAX_NESTING:
        _fail(source, f"the JSON is nested deeper than {MAX_NESTING} levels")
    if isinstance(value, dict):
        for item in value.values():
            _check_depth(item, source, depth + 1)
    elif isinstance(value, list):
        # arrays are flat lists of numbers; only look inside lists that nest
        for item in value:
            if isinstance(item, (dict, list)):
                _check_depth(item, source, depth + 1)


def _decode_json_array(value, source, case, field):
    if not isinstance(value, dict) or set(value) != {"dtype", "shape", "data"}:
        got = sorted(value) if isinstance(value, dict) else type(value).__name__
        _fail(source, f'an array must be an object with exactly the keys "dtype", "shape", "data"; got {got}', case, field)
    dtype, shape, data = value["dtype"], value["shape"], value["data"]
    if dtype not in DTYPES:
        _fail(source, f"dtype must be one of {sorted(DTYPES)}; got {dtype!r}", case, field)
    if not isinstance(shape, list) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
        _fail(source, f"shape must be a list of non-negative integers; got {shape!r}", case, field)
    size = math.prod(shape)
    if size > MAX_ARRAY_ELEMENTS:
        _fail(source, f"shape {tuple(shape)} has {size} elements, more than the limit of {MAX_ARRAY_ELEMENTS}", case, field)
    if not isinstance(data, list) or len(data) != size:
        length = len(data) if isinstance(data, list) else type(data).__name__
        _fail(source, f"data must be a flat list of {size} numbers (shape {tuple(shape)}); got {length}", case, field)
    if dtype == "int64":
        if not all(type(item) is int and -(2**63) <= item < 2**63 for item in data):
            _fail(source, "data of an int64 array must be integers", case, field)
        return np.array(data, dtype=np.int64).reshape(shape)
    numbers = []
    for item in data:
        if type(item) in (int, float):
            try:
                numbers.append(float(item))
            except OverflowError:  # an integer literal beyond the float64 range (±1.8e308)
                _fail(source, f"data holds an integer of {len(str(abs(item)))} digits, outside the float64 range", case, field)
        elif isinstance(item, str) and item in _NON_FINITE:
            numbers.append(_NON_FINITE[item])
        else:
            _fail(source, f'data of a float64 array must be numbers or "inf", "-inf", "nan"; got {item!r}', case, field)
    return np.array(numbers, dtype=np.float64).reshape(shape)


_NPZ_KEY = re.compile(r"cases/([^/]+)/(inputs|outputs|tolerance)/([^/]+)\Z|cases/([^/]+)/description\Z")


def _decode_npz(raw, source):
    if not raw.startswith(b"PK"):
        _fail(source, "not an NPZ (zip) archive")
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as error:
        _fail(source, f"not a readable NPZ (zip) archive: {error}")
    if len(members) > MAX_CASES * 64:
        _fail(source, f"the archive has {len(members)} members, more than any reference file")
    names = [member.filename for member in members]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        _fail(source, f"the member(s) {', '.join(map(repr, repeated))} appear more than once in the archive")
    total = sum(member.file_size for member in members)
    if total > 4 * MAX_FILE_BYTES:
        _fail(source, f"the archive unpacks to {total} bytes, more than the limit of {4 * MAX_FILE_BYTES}")
    document = {"cases": {}}
    for member in members:
        key, array = _read_member(archive, member, source)
        _place(document, key, array, source)
    return document


def _read_member(archive, member, source):
    """(key, array) of one ``.npy`` member, its header checked before its data is read."""
    if not member.filename.endswith(".npy"):
        _fail(source, f"member {member.filename!r} is not a .npy array")
    key = member.filename[: -len(".npy")]
    case, field = _key_location(key)
    try:
        with archive.open(member) as handle:
            version = np.lib.format.read_magic(handle)
            if version == (1, 0):
                shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(handle)
            elif version == (2, 0):
                shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(handle)
            else:
                _fail(source, f"member {key!r}: .npy format version {version} is not supported", case, field)
        if dtype.hasobject:
            _fail(source, "an object array (reading it would unpickle Python objects, which vi_ref never does)", case, field)
        if dtype.kind not in "fiU" or (dtype.kind in "fi" and dtype.itemsize != 8):
            _fail(source, f"dtype must be float64 or int64 (or a string for text); got {dtype}", case, field)
        size = math.prod(shape)
        if size > MAX_ARRAY_ELEMENTS:
            _fail(source, f"shape {shape} has {size} elements, more than the limit of {MAX_ARRAY_ELEMENTS}", case, field)
        with archive.open(member) as handle:
            array = np.lib.format.read_array(handle, allow_pickle=False)
    except ReferenceFileError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        _fail(source, f"member {key!r} is not a readable .npy array: {error}", case, field)
    return key, array.astype(array.dtype.newbyteorder("="), copy=False)


def _key_location(key):
    match = _NPZ_KEY.match(key)
    if match is None:
        return None, key  # a top-level member (format, version, ...) or one outside the schema
    if match.group(4) is not None:
        return match.group(4), "description"
    return match.group(1), match.group(3)


def _npz_scalar(array, kind, source, what, case=None):
    """A 0-d array as a Python str (kind "U"), int ("i") or float ("f")."""
    if array.ndim != 0 or array.dtype.kind != kind:
        expected = {"U": "a string", "i": "an int64", "f": "a float64"}[kind]
        _fail(source, f"{what} must be {expected} scalar; got dtype {array.dtype}, shape {array.shape}", case)
    return array.item()


def _place(document, key, array, source):
    """Put one NPZ member into the document at the place its key names."""
    if key in ("format", "vi_ref_version", "producer"):
        document[key] = _npz_scalar(array, "U", source, key)
    elif key in ("version", "seed"):
        document[key] = _npz_scalar(array, "i", source, key)
    else:
        match = _NPZ_KEY.match(key)
        if match is None:
            _fail(source, f"unexpected member {key!r}: not a field of the schema")
        if match.group(4) is not None:
            case = document["cases"].setdefault(match.group(4), {})
            case["description"] = _npz_scalar(array, "U", source, "description", match.group(4))
            return
        name, part, field = match.groups()[:3]
        case = document["cases"].setdefault(name, {})
        if part == "tolerance":
            case.setdefault("tolerance", {})[field] = _npz_scalar(array, "f", source, f"tolerance {field}", name)
        else:
            if array.dtype.kind == "U":
                _fail(source, f"dtype must be float64 or int64; got {array.dtype}", name, field)
            case.setdefault(part, {})[field] = array


# ---------------------------------------------------------------------------
# Validation against the case table (shared by both encodings)
# ---------------------------------------------------------------------------


def _check_keys(mapping, required, optional, source, what, case=None):
    if not isinstance(mapping, dict):
        _fail(source, f"{what} must be a mapping; got {type(mapping).__name__}", case)
    missing = [key for key in required if key not in mapping]
    if missing:
        _fail(source, f"{what} is missing {', '.join(map(repr, missing))}", case)
    extra = sorted(set(mapping) - set(required) - set(optional), key=str)
    if extra:
        _fail(source, f"{what} has unexpected {', '.join(map(repr, extra))}", case)


def validate(document, source="<document>"):
    """Check a decoded document against the schema and the case table; return it with
    every array of its field's dtype. Raises ``ReferenceFileError`` (see ``read``)."""
    _check_keys(document, _TOP_LEVEL_REQUIRED, _TOP_LEVEL_OPTIONAL, source, "the file")
    if document["format"] != FORMAT:
        _fail(source, f"format must be {FORMAT!r}; got {document['format']!r}")
    version = document["version"]
    if type(version) is not int:
        _fail(source, f"version must be an integer; got {version!r}")
    if version != SCHEMA_VERSION:
        newer = " (written by a newer vi_ref)" if version > SCHEMA_VERSION else ""
        _fail(source, f"schema version {version}{newer} cannot be read; this vi_ref reads version {SCHEMA_VERSION}")
    if "seed" in document and (type(document["seed"]) is not int or not 0 <= document["seed"] < 2**63):
        _fail(source, f"seed must be a non-negative integer below 2**63; got {document['seed']!r}")
    for key in ("vi_ref_version", "producer"):
        if key in document and not (isinstance(document[key], str) and len(document[key]) <= 200):
            _fail(source, f"{key} must be a string of at most 200 characters")
    cases = document["cases"]
    if not isinstance(cases, dict) or not cases:
        _fail(source, "cases must be a non-empty mapping of case name to case")
    if len(cases) > MAX_CASES:
        _fail(source, f"{len(cases)} cases, more than the limit of {MAX_CASES}")
    for name, case in cases.items():
        _validate_case(name, case, source)
    return document


def _validate_case(name, case, source):
    if not (isinstance(name, str) and NAME.match(name)):
        _fail(source, f"case name {name!r} is not a valid name")
    if name not in _CASES:
        _fail(source, "unknown case; `vi-ref crosscheck --list` names the cases", name)
    spec = _CASES[name]
    _check_keys(case, _CASE_REQUIRED, _CASE_OPTIONAL, source, "the case", name)
    if "description" in case and not (isinstance(case["description"], str) and len(case["description"]) <= 1000):
        _fail(source, "description must be a string of at most 1000 characters", name, "description")
    tolerance = case["tolerance"]
    _check_keys(tolerance, ("rtol", "atol"), (), source, "tolerance", name)
    for key in ("rtol", "atol"):
        value = tolerance[key]
        if type(value) not in (int, float) or not (math.isfinite(value) and value >= 0):
            _fail(source, f"must be a finite non-negative number; got {value!r}", name, f"tolerance.{key}")
    inputs, outputs = case["inputs"], case["outputs"]
    _check_keys(inputs, tuple(spec.inputs), (), source, "inputs", name)
    _check_keys(outputs, (), tuple(spec.outputs), source, "outputs", name)
    if not outputs:
        _fail(source, "outputs must hold at least one field", name)
    symbols = {}
    for part, fields, specs in (("inputs", inputs, spec.inputs), ("outputs", outputs, spec.outputs)):
        for key, array in fields.items():
            fields[key] = _validate_array(array, specs[key], symbols, source, name, key)


def _validate_array(array, spec, symbols, source, case, field):
    """The array of one field, checked for dtype, shape (binding its symbols),
    size and finiteness."""
    if not isinstance(array, np.ndarray):
        _fail(source, f"must be an array; got {type(array).__name__}", case, field)
    if array.dtype.hasobject:
        _fail(source, "an object array is not allowed", case, field)
    if array.dtype != np.dtype(spec.dtype):
        _fail(source, f"dtype must be {spec.dtype}; got {array.dtype}", case, field)
    if array.size > MAX_ARRAY_ELEMENTS:
        _fail(source, f"{array.size} elements, more than the limit of {MAX_ARRAY_ELEMENTS}", case, field)
    if array.ndim != len(spec.shape):
        _fail(source, f"must have {len(spec.shape)} dimension(s) {_shape_text(spec.shape)}; got shape {array.shape}", case, field)
    for axis, (size, symbol) in enumerate(zip(array.shape, spec.shape)):
        expected = symbols.setdefault(symbol, size) if isinstance(symbol, str) else symbol
        if size != expected:
            _fail(
                source,
                f"shape {array.shape} does not fit {_shape_text(spec.shape)}: axis {axis} ({symbol}) is {size},"
                f" but {symbol} = {expected} from the fields before it",
                case,
                field,
            )
    if spec.bounds is not None:
        low, high = spec.bounds
        outside = (array < low) | (array > high)
        if outside.any():
            _fail(source, f"must be in [{low}, {high}]; got {array[outside].flat[0]}", case, field)
    if array.dtype.kind == "f":
        if np.isnan(array).any():
            _fail(source, f"NaN at index {_first(np.isnan(array))}; vi_ref's fields never hold NaN", case, field)
        if spec.finite and np.isinf(array).any():
            _fail(source, f"must be finite; got {array[np.isinf(array)].flat[0]} at index {_first(np.isinf(array))}", case, field)
    return array


def _first(mask):
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(mask)), mask.shape))


def _shape_text(shape):
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


# ---------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldResult:
    """The comparison of one output field with vi_ref's value.

    ``max_abs_error`` = max |actual − expected|; ``max_rel_error`` = max of
    |actual − expected| / |expected| over the entries where expected ≠ 0; ``ok`` when
    every entry has |actual − expected| ≤ atol + rtol |expected| (equal infinities
    match). ``problem`` explains a failure that is not a number (a shape mismatch,
    vi_ref refusing the inputs). ``compared`` is the number of entries compared (0 for
    an empty field, which matches trivially).
    """

    case: str
    field: str
    ok: bool
    max_abs_error: float
    max_rel_error: float
    rtol: float
    atol: float
    worst_index: tuple = ()
    expected: float = math.nan
    actual: float = math.nan
    problem: str = ""
    compared: int = 0

    @property
    def detail(self):
        """The verdict in words, without the case and field."""
        verdict = "ok" if self.ok else "MISMATCH"
        if self.problem:
            return f"{verdict}: {self.problem}"
        return (
            f"{verdict}: max abs error {self.max_abs_error:.3g}, max rel error {self.max_rel_error:.3g}"
            f" (tolerance atol {self.atol:g} + rtol {self.rtol:g} |expected|);"
            f" worst at index {self.worst_index}: expected {self.expected!r}, got {self.actual!r}"
        )

    def __str__(self):
        return f"case {self.case!r}, field {self.field!r}: {self.detail}"


def compare(case, field, expected, actual, *, rtol, atol):
    """Compare ``actual`` (someone's output) with ``expected`` (vi_ref's) elementwise;
    shapes must be equal (no broadcasting: a shape difference is a convention
    difference worth seeing). ``rtol`` and ``atol`` must be finite and ≥ 0 (a NaN
    tolerance fails every entry, an infinite one passes any). Returns a ``FieldResult``."""
    rtol, atol = check_tolerance(rtol, "rtol"), check_tolerance(atol, "atol")
    expected = np.asarray(expected, dtype=float)
    actual = np.asarray(actual, dtype=float)
    if actual.shape != expected.shape:
        return FieldResult(
            case, field, False, math.inf, math.inf, rtol, atol,
            problem=f"shape {actual.shape}, but vi_ref's has shape {expected.shape}",
        )
    if expected.size == 0:
        return FieldResult(case, field, True, 0.0, 0.0, rtol, atol)
    with np.errstate(invalid="ignore", over="ignore"):
        same = actual == expected  # equal infinities included; NaN never equal
        error = np.where(same, 0.0, np.abs(actual - expected))
        error = np.where(np.isnan(error), np.inf, error)
        scale = np.where(np.isfinite(expected), np.abs(expected), 0.0)
        allowed = atol + rtol * scale
        within = error <= allowed
        relative = np.divide(error, scale, out=np.where(error > 0, np.inf, 0.0), where=scale > 0)
    excess = np.where(within, -np.inf, error - allowed)
    worst = _first(excess == excess.max()) if not within.all() else _first(error == error.max())
    finite_relative = relative[scale > 0]
    return FieldResult(
        case, field, bool(within.all()), float(error.max()),
        float(finite_relative.max()) if finite_relative.size else 0.0, rtol, atol,
        worst_index=worst, expected=float(expected[worst]), actual=float(actual[worst]), compared=expected.size,
    )


def check(document, *, rtol=None, atol=None, only=None):
    """Recompute every case of a (validated) document from its own inputs and compare
    the document's outputs with vi_ref's.

    The tolerance of each case is vi_ref's own (the case table's), not the file's,
    so a file cannot loosen its own test; ``rtol``/``atol`` override it when given.

    Args:
        document: as ``read`` returns it.
        rtol, atol: non-negative numbers overriding every case's tolerance.
        only: if given, check only the cases whose name contains this text.

    Returns:
        a list of ``FieldResult``, one per output field in the document (a case whose
        inputs vi_ref refuses gives one failing result for the field ``inputs``).

    Raises:
        ValueError: for a negative or non-finite tolerance, or ``only`` matching no
            case of the document. TypeError: for a tolerance that is not a number.
    """
    rtol = None if rtol is None else check_tolerance(rtol, "rtol")
    atol = None if atol is None else check_tolerance(atol, "atol")
    names = [name for name in document["cases"] if only is None or _selects(only, name)]
    if not names:
        raise ValueError(f"only={only!r} matches no case of the file")
    results = []
    for name in names:
        case = document["cases"][name]
        spec = get_case(name)
        case_rtol = spec.rtol if rtol is None else rtol
        case_atol = spec.atol if atol is None else atol
        try:
            expected = compute_outputs(name, case["inputs"])
        except (ValueError, TypeError) as error:
            results.append(
                FieldResult(name, "inputs", False, math.inf, math.inf, case_rtol, case_atol,
                            problem=f"vi_ref refuses these inputs: {error}")
            )
            continue
        for field, actual in case["outputs"].items():
            results.append(compare(name, field, expected[field], actual, rtol=case_rtol, atol=case_atol))
    return results


def report(results):
    """The crosscheck table: one line per field (case, field, max abs and rel error,
    tolerance, verdict), then every mismatch in full and a one-line summary with the
    number of values compared (a file whose fields are all empty compares none)."""
    width = max(len(result.case) for result in results)
    lines = [f"{'case':<{width}}  {'field':<26} {'abs error':>9} {'rel error':>9}  {'atol':>7} {'rtol':>7}  result"]
    for result in results:
        verdict = "ok" if result.ok else "MISMATCH"
        lines.append(
            f"{result.case:<{width}}  {result.field:<26} {result.max_abs_error:>9.2e} {result.max_rel_error:>9.2e}"
            f"  {result.atol:>7.0e} {result.rtol:>7.0e}  {verdict}"
        )
    failures = [result for result in results if not result.ok]
    cases = len({result.case for result in results})
    if failures:
        lines.append("")
        lines.extend(str(result) for result in failures)
        lines.append(f"{len(failures)} of {len(results)} fields in {cases} cases do NOT match vi_ref.")
    else:
        compared = sum(result.compared for result in results)
        lines.append(f"All {len(results)} fields in {cases} cases match vi_ref ({compared} values compared).")
    return "\n".join(lines)


def describe_cases(*, detailed=False):
    """Every case with its description, inputs and outputs (shapes in symbols); with
    ``detailed=True`` one line per field with its meaning (the schema document's
    listing)."""
    lines = [
        f"{len(CASES)} cases (schema {FORMAT} version {SCHEMA_VERSION}; shapes in symbols bound by the inputs;"
        " dtype float64 unless marked):"
    ]
    for case in CASES:
        lines.append(f"{case.name}: {case.description} (rtol {case.rtol:g}, atol {case.atol:g})")
        for part, fields in (("inputs", case.inputs), ("outputs", case.outputs)):
            if detailed:
                lines.append(f"    {part}:")
                lines.extend(
                    f"        {key}{_shape_text(spec.shape)}{_marks(spec)}: {spec.description}" for key, spec in fields.items()
                )
            else:
                described = ", ".join(f"{key}{_shape_text(spec.shape)}{_marks(spec)}" for key, spec in fields.items())
                lines.append(f"    {part}: {described}")
    return "\n".join(lines)


def _marks(spec):
    marks = [spec.dtype] if spec.dtype != "float64" else []
    if spec.bounds is not None:
        marks.append(f"in [{spec.bounds[0]}, {spec.bounds[1]}]")
    if not spec.finite:
        marks.append("may be inf")
    return f" [{', '.join(marks)}]" if marks else ""
