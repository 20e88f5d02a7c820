"""validation: each helper refuses bad input with an error naming the argument."""

import numpy as np
import pytest

from vi_ref.validation import (
    as_float_array,
    as_generator,
    check_count,
    check_flag,
    check_instance,
    check_methods,
    check_positive,
    check_probability_vector,
    check_size,
    check_tolerance,
    first_bad_index,
)


def test_as_float_array_converts_reals_to_float64():
    for value in (3, [1, 2], np.uint8(7), np.arange(3, dtype=np.int32)):
        assert as_float_array(value, "x").dtype == np.float64
    assert as_float_array(np.inf, "x", finite=False) == np.inf


@pytest.mark.parametrize(
    "value", ["abc", None, {"a": 1}, 1 + 2j, np.array([1j]), True, np.bool_(False), np.array([True, False])]
)
def test_as_float_array_refuses_non_reals_by_name(value):
    with pytest.raises(TypeError, match="weights must be real numbers"):
        as_float_array(value, "weights")


def test_as_float_array_refuses_non_finite_and_wrong_dimensions_by_name():
    with pytest.raises(ValueError, match=r"loc must be finite; got nan at index \(1, 0\)"):
        as_float_array([[1.0, 2.0], [np.nan, 3.0]], "loc")
    with pytest.raises(ValueError, match=r"X must be 2-dimensional; got shape \(3,\)"):
        as_float_array(np.ones(3), "X", ndim=2)
    with pytest.raises(ValueError, match="L must have at least 2 dimension"):
        as_float_array(np.ones(3), "L", min_ndim=2)


def test_check_positive_names_the_first_offending_entry():
    check_positive(np.array([1.0, 2.0]), "scale")
    with pytest.raises(ValueError, match="scale must be positive; got -1.0 at index 2"):
        check_positive(np.array([1.0, 2.0, -1.0, 0.0]), "scale")
    with pytest.raises(ValueError, match="scale must be positive; got nan"):
        check_positive(np.array([np.nan]), "scale")


def test_check_probability_vector():
    probs = np.array([[0.2, 0.8], [0.5, 0.5]])
    assert check_probability_vector(probs, "probs") is probs
    check_probability_vector(probs.T, "probs", axis=0)
    with pytest.raises(ValueError, match="probs must be non-negative; got -0.1"):
        check_probability_vector(np.array([1.1, -0.1]), "probs")
    with pytest.raises(ValueError, match="probs must sum to 1 along axis -1; got 0.9"):
        check_probability_vector(np.array([0.4, 0.5]), "probs")


def test_check_probability_vector_refuses_nan():
    # NaN is neither negative nor off 1 by any amount, so both comparisons must
    # be written to fail for it
    with pytest.raises(ValueError, match="probs must be non-negative; got nan"):
        check_probability_vector(np.array([np.nan, 0.5]), "probs")


def test_check_count():
    assert check_count(np.int64(3), "n") == 3
    with pytest.raises(TypeError, match="n must be an integer; got bool"):
        check_count(True, "n")
    with pytest.raises(TypeError, match="n must be an integer; got float"):
        check_count(2.0, "n")
    with pytest.raises(ValueError, match="n must be >= 1; got 0"):
        check_count(0, "n", minimum=1)


def test_as_generator_follows_spec_7():
    generator = np.random.default_rng(0)
    assert as_generator(generator) is generator
    np.testing.assert_array_equal(as_generator(5).random(3), np.random.default_rng(5).random(3))
    assert isinstance(as_generator(None), np.random.Generator)
    with pytest.raises(TypeError, match="rng must be"):
        as_generator("seed")
    for negative in (-1, np.int64(-3), [1, -2]):  # the right type, a wrong value (was a TypeError)
        with pytest.raises(ValueError, match=r"rng must be .* an integer seed \(>= 0\)"):
            as_generator(negative)


def test_as_generator_names_the_argument_it_checks():
    """``name`` (default ``rng``) is the argument the messages name, whatever the fault."""
    with pytest.raises(TypeError, match="^rng must be a numpy.random.Generator, an integer seed or None; got bool True"):
        as_generator(True)
    for seed, error in ((np.bool_(False), TypeError), (1.5, TypeError), (-1, ValueError)):
        with pytest.raises(error, match="^random_state must be a numpy.random.Generator, an integer seed"):
            as_generator(seed, "random_state")


def test_first_bad_index():
    assert first_bad_index(np.array([False, True])) == " at index 1"
    assert first_bad_index(np.array([[False], [True]])) == " at index (1, 0)"
    assert first_bad_index(np.bool_(True)) == ""


def test_flags_accept_only_booleans():
    assert check_flag(np.bool_(True), "keepdims") is True
    for value in ("no", 1, None, 0.0):
        with pytest.raises(TypeError, match="keepdims must be True or False"):
            check_flag(value, "keepdims")


def test_rng_refuses_a_boolean_seed():
    with pytest.raises(TypeError, match="rng must be"):
        as_generator(True)


def test_check_size_refuses_requests_above_the_memory_bound():
    assert check_size(10, "n", per_unit=3) == 10
    with pytest.raises(ValueError, match="n = 1000000 asks for 1e"):
        check_size(10**6, "n", per_unit=10**4)


@pytest.mark.parametrize("value", [np.nan, -1.0, np.inf])
def test_check_tolerance_refuses_nan_negative_and_infinite(value):
    with pytest.raises(ValueError, match="rtol must be"):
        check_tolerance(value, "rtol")



def test_check_tolerance_accepts_zero_unless_told_not_to():
    assert check_tolerance(0, "rtol") == 0.0
    assert check_tolerance(1e-3, "step", allow_zero=False) == 1e-3
    with pytest.raises(ValueError, match="step must be positive; got 0.0"):
        check_tolerance(0.0, "step", allow_zero=False)


def test_check_methods_refuses_an_attribute_that_is_not_callable():
    class Model:
        log_joint = None  # an attribute, not a method

        def elbo(self, x, q):
            return 0.0

    model = Model()
    assert check_methods(model, "model", ("elbo",), "a latent variable model") is model
    message = r"model must be a latent variable model \(with log_joint, elbo\); got Model without log_joint$"
    with pytest.raises(TypeError, match=message):
        check_methods(model, "model", ("log_joint", "elbo"), "a latent variable model")


def test_check_methods_also_asks_for_plain_attributes():
    class Model:
        latent_shape = (2,)  # an attribute, not a method

        def log_joint(self, x, z):
            return 0.0

    model = Model()
    assert check_methods(model, "model", ("log_joint",), "a latent variable model", attributes=("latent_shape",)) is model
    message = (r"model must be a latent variable model \(with log_joint, latent_shape\); got NoneType without"
               r" log_joint, latent_shape$")
    with pytest.raises(TypeError, match=message):
        check_methods(None, "model", ("log_joint",), "a latent variable model", attributes=("latent_shape",))


def test_check_instance_names_the_argument_and_what_it_got():
    assert check_instance(3, "count", int, "an int") == 3
    with pytest.raises(TypeError, match="^q must be a distribution; got str$"):
        check_instance("normal", "q", float, "a distribution")


def test_refusals_of_non_numbers_say_what_was_given():
    messages = {
        "abc": "tol must be real numbers; got str 'abc'",
        None: "tol must be real numbers; got None",
        True: "tol must be real numbers; got bool True",
        1j: "tol must be real numbers; got complex 1j",
    }
    for value, message in messages.items():
        with pytest.raises(TypeError) as refusal:
            as_float_array(value, "tol")
        assert str(refusal.value) == message
    with pytest.raises(TypeError, match=r"got an array of dtype <U1$"):
        as_float_array(np.array(["a"]), "tol")
    with pytest.raises(TypeError, match=r"got a list that converts to dtype bool$"):
        as_float_array([True, False], "tol")
    with pytest.raises(TypeError, match=r"got str 'x{36}\.\.\.$"):
        as_float_array("x" * 100, "tol")


def test_a_ragged_list_is_refused_by_name():
    # was NumPy's "setting an array element with a sequence ... inhomogeneous shape"
    with pytest.raises(ValueError, match="X must be a rectangular array of real numbers"):
        as_float_array([[1.0, 2.0], [3.0]], "X")
