"""Bad configurations and inputs raise typed errors that name the problem."""

import numpy as np
import pytest

from dgcq_sim.errors import InputError, NetlistError, ParameterError, QuantizerError
from dgcq_sim.paths import NETLIST_DIR as QUANT_DIR
from dgcq_sim.quantizers import load_quantizer


@pytest.mark.parametrize("name,params,word", [
    ("sar", {"NBITS": 0}, "NBITS"), ("sar", {"NBITS": -3}, "NBITS"), ("sar", {"NBITS": 2.5}, "NBITS"),
    ("sar", {"NBITS": 15}, "NBITS"), ("coarse", {"NITER": 0}, "NITER"), ("dgcq", {"NF": 0}, "NF"),
    ("dgcq", {"NC": -1}, "NC"), ("dgcq", {"GAIN": 1.5}, "GAIN"), ("dgcq", {"GAIN": 0.3}, "N*GAIN"),
    ("dgcq", {"OVERRANGE": 2}, "OVERRANGE"), ("coarse", {"VNOISE": -1e-3}, "VNOISE"),
])
def test_bad_design_parameters(name, params, word):
    with pytest.raises(QuantizerError, match=word.replace("*", r"\*")):
        load_quantizer(name, params)


@pytest.mark.parametrize("cap", [0.0, -1e-15])
def test_zero_or_negative_cap_names_the_parameter_unit_and_range(cap):
    with pytest.raises(ParameterError, match=r"CU .*unit capacitor.*\(0, inf\) F"):
        load_quantizer("sar", {"CU": cap})


def test_zero_element_value_from_an_expression_names_the_element(tmp_path):
    p = tmp_path / "sar.cir"
    text = (QUANT_DIR / "sar.cir").read_text().replace("cdum top 0 {CU}", "cdum top 0 {CU-CU}")
    p.write_text(text)
    with pytest.raises(NetlistError, match="cdum"):
        load_quantizer(str(p))


def test_missing_parameter_names_it_with_unit_and_range(tmp_path):
    p = tmp_path / "mine.cir"
    text = (QUANT_DIR / "dgcq.cir").read_text().replace(" VOS_C=2m", "")
    p.write_text(text)
    with pytest.raises(ParameterError, match=r"needs \.param VOS_C .*V"):
        load_quantizer(str(p))


def test_unknown_parameter_and_netlist():
    with pytest.raises(ParameterError, match="(?i)bogus"):
        load_quantizer("dgcq", {"BOGUS": 1})
    with pytest.raises(InputError, match="nosuch"):
        load_quantizer("nosuch")


def test_netlist_without_kind(tmp_path):
    p = tmp_path / "mystery.cir"
    p.write_text("* some circuit\nv1 a 0 DC 1\nr1 a 0 1k\n.end\n")
    with pytest.raises(QuantizerError, match="kind"):
        load_quantizer(str(p))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_inputs(bad):
    q = load_quantizer("sar", {"NBITS": 4}, ideal=True)
    with pytest.raises(InputError, match="non-finite"):
        q.convert(np.array([0.1, bad]))
    with pytest.raises(InputError, match="empty"):
        q.convert(np.array([]))


def test_bad_codes_rng_and_method():
    q = load_quantizer("sar", {"NBITS": 4}, ideal=True)
    with pytest.raises(InputError, match="0..15"):
        q.code_to_voltage(np.array([3, 16]))
    with pytest.raises(InputError, match="integers"):
        q.code_to_voltage(np.array([1.5]))
    with pytest.raises(ParameterError, match="Generator"):
        q.convert([0.1], rng=5)
    with pytest.raises(ParameterError, match="method"):
        q.convert([0.1], method="magic")
    with pytest.raises(ParameterError, match="instance"):
        q.instance(-1)
    with pytest.raises(InputError, match="decisions"):
        q.spice_overrides(0.3, decisions=[0, 1])


@pytest.mark.parametrize("name,params,word", [
    ("sar", {"TSAMP": "5e-324"}, "TSAMP"), ("sar", {"VNOISE": "1.34e154"}, "VNOISE"),
    ("sar", {"CU": 1e300}, "CU"), ("dgcq", {"RON": 1e-9}, "RON"), ("flash", {"TCMP": 2e3}, "TCMP"),
    ("dgcq", {"AOL": 1e15}, "AOL"), ("ramp", {"ILEAK": 5.0} if False else {"TDCMP": 1e-16}, "TDCMP"),
])
def test_values_outside_the_physical_range_are_named(name, params, word):
    """Found by the fuzzer: a 5e-324 s phase reached an SVD failure and a 1e154 V noise an
    OverflowError; every spec'd value now has a physical magnitude range by its unit."""
    with pytest.raises(ParameterError, match=rf"{word} = .*physical range"):
        load_quantizer(name, params, ideal=True)


@pytest.mark.parametrize("method", ["response", "stepping", "decisions"])
def test_state_overflow_is_a_typed_error_not_codes(method):
    """A parameter far outside its physical range (1 F of channel charge per volt on every
    switch) makes the DGCQ's state overflow the float range over a conversion: every path
    (the decision-response tables, the numba stepping kernel, the numpy reference) raises
    a SimulationError saying so, where before it returned codes from NaN comparisons."""
    import warnings

    from dgcq_sim.errors import SimulationError
    q = load_quantizer("dgcq", params={"CCH_SW": 1.0}, ideal=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no numpy overflow warning on the way
        with pytest.raises(SimulationError, match="overflow the float range.*parameter"):
            if method == "decisions":
                q.decisions(0.3)
            else:
                q.convert(np.linspace(q.vmin, q.vmax, 17), noise=False, method=method)
    # a large but physical charge still converts (every code in range)
    ok = load_quantizer("dgcq", params={"CCH_SW": 1e-15}, ideal=True)
    r = ok.convert(np.linspace(ok.vmin, ok.vmax, 17), noise=False, method="stepping")
    assert np.all((r.codes >= 0) & (r.codes < ok.n_codes))
