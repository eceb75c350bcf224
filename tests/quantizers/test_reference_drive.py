"""Reference-driver resistance RREF: every decision-driven plate settles through it."""

import numpy as np
import pytest
from scipy.linalg import expm

from dgcq_sim.netlist import Ccvs, parse_netlist
from dgcq_sim.quantizers import load_quantizer
from dgcq_sim.errors import ParameterError
from dgcq_sim.quantizers.params import DesignParameterError
from dgcq_sim.quantizers.reference_drive import decision_driven_sources

QUIET = {"VOS": 0.0, "VNOISE": 0.0, "TEMP": 0.0, "KC": 0.0, "RON": 10.0, "ROFF": 1e15}


def msb_transition(q) -> float:
    """Input (V) where the MSB decision flips, bisected to ~1e-13 V."""
    lo, hi = q.vmin, q.vmax
    top = q.n_codes // 2
    for _ in range(45):
        mid = (lo + hi) / 2
        if q.convert(np.array([mid]), noise=False).codes[0] >= top:
            hi = mid
        else:
            lo = mid
    return (lo + hi) / 2


def top_step(n_bits, cu, cptop, rref, t, moving):
    """Top-plate voltage change (V per V of step) t seconds after plate ``moving`` of an
    n-bit binary DAC steps, every plate driven through rref from an ideal source, the top
    plate floating with cptop + the unit dummy to ground: the linear ODE solved by expm."""
    caps = cu * 2.0 ** np.arange(n_bits)
    n = n_bits + 1                       # plate nodes b_0..b_{n-1}, then the top plate
    c = np.zeros((n, n))
    for k, ck in enumerate(caps):
        c[k, k] += ck
        c[n - 1, n - 1] += ck
        c[k, n - 1] -= ck
        c[n - 1, k] -= ck
    c[n - 1, n - 1] += cu + cptop
    g = np.diag([1.0 / rref] * n_bits + [0.0])
    # x = v - v_final; v_final: plates at their new level, top moved by the charge share
    a = -np.linalg.solve(c, g)
    x0 = np.zeros(n)
    x0[moving] = -1.0                    # plate still at the old level (unit step up)
    share = caps[moving] / (caps.sum() + cu + cptop)
    x0[n - 1] = -share                   # top at its old value
    x = expm(a * t) @ x0
    return share + x[n - 1]              # top-plate change so far


def test_one_bit_step_is_a_single_exponential():
    """NBITS = 1: plate CU through RREF against CU + CPTOP on the floating top plate:
    the comparator sees VREF*CU/Ctot*(1 - exp(-TSAR/tau)), tau = RREF*CU*Cg/Ctot.
    (TSAMP = 50 ns: the plates, kicked by the top plate's jump to VIN, settle while
    sampling; at the default 2 ns a 200 kohm plate keeps ~1e-5 V of that kick.)"""
    cu, cp, rref, tsar = 1e-15, 2e-15, 200e3, 1e-9
    q = load_quantizer("sar", {**QUIET, "NBITS": 1, "CPTOP": cp, "RREF": rref, "TSAR": tsar,
                               "TSAMP": 50e-9})
    cg = cu + cp
    tau = rref * cu * cg / (cu + cg)
    expect = cu / (cu + cg) * (1 - np.exp(-tsar / tau))
    assert msb_transition(q) == pytest.approx(expect, abs=1e-9)
    assert cu / (cu + cg) - expect > 1e-4         # visibly incomplete


@pytest.mark.parametrize("n_bits,rref", [(4, 50e3), (8, 2e3)])
def test_msb_trial_matches_the_rc_network(n_bits, rref):
    """Every plate through RREF: the MSB transition is the top plate's response to the
    MSB plate's step at TSAR, from the network's ODE (scipy expm), to 1e-9 V."""
    cu, cp, tsar = 1e-15, 2e-15, 1e-9
    q = load_quantizer("sar", {**QUIET, "NBITS": n_bits, "CPTOP": cp, "RREF": rref,
                               "TSAR": tsar, "TSAMP": 50e-9})
    expect = top_step(n_bits, cu, cp, rref, tsar, n_bits - 1)
    ideal = top_step(n_bits, cu, cp, rref, 1e3 * tsar, n_bits - 1)
    assert msb_transition(q) == pytest.approx(expect, abs=1e-9)
    assert ideal - expect > 1e-4                  # the settling error is there


def test_settling_costs_bits_only_past_the_knee():
    """10-bit SAR: MSB tau ~ RREF*CT/4; TSAR/tau > 11*ln 2 keeps the MSB error below an
    LSB, so RREF = 50 ohm (TSAR/tau = 78) is harmless and 1 kohm (3.9) is not."""
    v = np.linspace(0.001, 0.999, 4001)
    ref = load_quantizer("sar", {**QUIET, "NBITS": 10}).convert(v, noise=False).codes
    fast = load_quantizer("sar", {**QUIET, "NBITS": 10, "RREF": 50.0}).convert(v, noise=False)
    slow = load_quantizer("sar", {**QUIET, "NBITS": 10, "RREF": 1e3}).convert(v, noise=False)
    assert np.abs(fast.codes - ref).max() <= 1
    assert np.abs(slow.codes - ref).max() > 4


def test_decision_driven_sources_and_defaults():
    sar = load_quantizer("sar", {"NBITS": 3})
    assert decision_driven_sources(sar.schedule) == ("vb0", "vb1", "vb2")
    dg = load_quantizer("dgcq", {"NC": 1, "NF": 2})
    assert set(decision_driven_sources(dg.schedule)) == {"vdac", "vb0", "vb1"}
    pipe = load_quantizer("pipeline", {"NSTAGES": 2})
    assert decision_driven_sources(pipe.schedule) == ("vdac1", "vdac2")
    for q in (sar, dg, pipe):
        assert q.params["rref"] == 0 and not q.circuit.of_type(Ccvs)
    with_r = load_quantizer("sar", {"NBITS": 3, "RREF": 100.0})
    h = {el.name: el for el in with_r.circuit.of_type(Ccvs)}
    assert set(h) == {"href_vb0", "href_vb1", "href_vb2"}
    assert h["href_vb0"].r == 100.0 and h["href_vb0"].pos == "rd_vb0"
    assert with_r.circuit.element("vb0").pos == "rd_vb0"
    assert with_r.circuit.element("vsref_vb0").neg == "b0"
    # the exported conversion reads back through the parser (H is a DC path)
    back = parse_netlist(with_r.export_spice(0.4))
    assert {el.name for el in back.of_type(Ccvs)} == set(h)


def test_rref_errors():
    with pytest.raises(DesignParameterError, match="RREF"):
        load_quantizer("sar", {"RREF": -1.0})
    with pytest.raises(ParameterError, match="rref"):  # flash has no reference driver
        load_quantizer("flash", {"RREF": 100.0})


def test_budget_lists_rref():
    from dgcq_sim.budget import budget_items

    assert "RREF" in [n for n, _, _ in budget_items(load_quantizer("sar", {"RREF": 100.0}), {})]
    assert "RREF" not in [n for n, _, _ in budget_items(load_quantizer("sar"), {})]


@pytest.mark.ngspice
@pytest.mark.parametrize("name,params", [
    ("sar", {"NBITS": 10, "RREF": 1e3}),
    ("dgcq", {"NC": 2, "NF": 4, "VNOISE_C": 0.0, "RREF": 2e3}),
    ("coarse", {"NITER": 6, "RREF": 2e3}),
    ("pipeline", {"NSTAGES": 4, "RREF": 3e3}),
])
def test_reference_resistance_matches_ngspice(name, params):
    """ngspice runs the same G elements: within 100 uV at every step end, while the engine
    without RREF is off by more than 0.5 mV.  TEDGE = 10 fs: with incomplete settling
    the export's 1 ps break-before-make delay of the data sources alone moves ngspice by
    up to ~0.9 mV (a 1 ps later step of an exponential with tau ~ 1 ns)."""
    from tests.quantizers.test_contract import ngspice_deviation

    base = {"TEMP": 0.0, "VNOISE": 0.0, "TEDGE": 1e-14}
    q = load_quantizer(name, {**base, **params})
    vin = q.vmin + 0.618 * (q.vmax - q.vmin)
    assert ngspice_deviation(q, vin) < 1e-4
    plain = load_quantizer(name, {**base, **{k: v for k, v in params.items() if k != "RREF"}})
    assert ngspice_deviation(plain, vin, circuit=q.circuit) > 5e-4
