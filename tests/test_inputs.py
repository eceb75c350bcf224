"""One input rule for Quantizer.convert and TransferFunction.convert/apply (dgcq_sim.inputs)."""

import numpy as np
import pytest

import dgcq_sim.inputs as inputs
from dgcq_sim.errors import InputError
from dgcq_sim.inputs import MAX_CONVERT_VALUES, real_voltages
from dgcq_sim.quantizers import load_quantizer
from dgcq_sim.transfer import TransferFunction

REFUSED = [
    ([], "empty"),
    (np.zeros((0, 3)), "empty"),
    (np.array([True, False]), "dtype bool"),
    (np.array([0.5 + 0.1j]), "dtype complex128"),
    (np.array([0.5 + 0j]), "dtype complex128"),        # even with a zero imaginary part
    ("0.5", "got str"),
    (b"0.5", "got bytes"),
    (np.array(["0.5"]), "dtype <U3"),
    (np.array([b"0.5"]), "dtype |S3"),
    (np.array(["2020-01-01"], dtype="datetime64[D]"), "datetime64"),
    (np.array([1], dtype="timedelta64[s]"), "timedelta64"),
    (np.array([0.5, None], dtype=object), "dtype object"),
    ([[0.1], [0.1, 0.2]], "real float array"),
    (np.array([0.1, np.nan, 0.3]), r"1 non-finite value\(s\).*first nan at flat index 1"),
    (np.array([[0.1, np.inf], [-np.inf, 0.2]]), r"2 non-finite.*first inf at flat index 1"),
    (np.zeros(3, dtype=[("a", "f8")]), "real numbers"),
]


@pytest.fixture(scope="module")
def converters():
    q = load_quantizer("sar", params={"NBITS": 6}, ideal=True)
    tf = TransferFunction.ideal(6)
    return {
        "Quantizer.convert": lambda v: q.convert(v, noise=False).codes,
        "TransferFunction.convert": tf.convert,
        "TransferFunction.apply": lambda v: tf.apply(v, np.random.default_rng(0)),
        "real_voltages": real_voltages,
    }


@pytest.mark.parametrize("value, message", REFUSED, ids=[m for _, m in REFUSED])
@pytest.mark.parametrize("entry", ["Quantizer.convert", "TransferFunction.convert",
                                   "TransferFunction.apply", "real_voltages"])
def test_same_refusals_everywhere(entry, value, message, converters):
    with pytest.raises(InputError, match=message):
        converters[entry](value)


@pytest.mark.parametrize("value", [0.3, [0.3, 0.7], np.array([3], np.int64), np.array([0], np.uint8),
                                   np.float32([0.25]), np.float16([0.5]), np.array([[0.1, 2.0]])])
def test_same_acceptances_everywhere(value, converters):
    shape = np.shape(value)
    for fn in converters.values():
        assert np.shape(fn(value)) == shape


def test_ints_are_volts_not_codes(converters):
    """An int array is read as volts (3 V clips to the top code), like a float array."""
    assert converters["Quantizer.convert"](np.array([3])).tolist() == [63]
    assert converters["TransferFunction.convert"](np.array([3])).tolist() == [63]


def test_too_many_values_refused_before_allocation(converters):
    """10^9 values (a zero-copy broadcast view, 8 bytes of real memory) are refused with
    the count, without allocating the 8 GB output."""
    huge = np.broadcast_to(np.float64(0.5), (10 ** 9,))
    for name in ("Quantizer.convert", "TransferFunction.convert", "TransferFunction.apply"):
        with pytest.raises(InputError, match=rf"1000000000 input voltages .* limit of "
                                             rf"{MAX_CONVERT_VALUES}"):
            converters[name](huge)


def test_memory_estimate_checked_against_available_memory(monkeypatch, converters):
    """Below the count limit, a call whose working memory exceeds what is available is
    refused too (here: 'available' memory faked at 1 MiB)."""
    monkeypatch.setattr(inputs, "available_memory", lambda: 2 ** 20)
    big = np.broadcast_to(np.float64(0.5), (2 ** 26,))        # 64 Mi values, 512 MiB out
    with pytest.raises(InputError, match=r"GiB of working memory, 0\.0 GiB are available"):
        converters["TransferFunction.convert"](big)
    assert converters["TransferFunction.convert"](np.zeros(10)).shape == (10,)


def test_quantizer_module_uses_the_shared_rule():
    from dgcq_sim.quantizers import quantizer

    assert quantizer.real_voltages is inputs.real_voltages
    assert quantizer.MAX_CONVERT_VALUES == inputs.MAX_CONVERT_VALUES
