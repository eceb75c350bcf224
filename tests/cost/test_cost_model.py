"""Cost model on hand-built HardwareSpecs: every figure worked out by hand below."""

import dataclasses
import math

import pytest

from dgcq_sim.cost import (CapBlock, CostModel, HardwareSpec, conventional_sar_switching_energy,
                           estimate)
from dgcq_sim.errors import ParameterError


def spec(**kw):
    base = dict(architecture="test", bits=8, cycles=10, latency=100e-9, vref=1.0, vdd=1.0,
                caps=(), comparators=1, comparator_decisions=8, opamps=0, opamp_seconds=0.0,
                logic_bits=8, logic_bit_cycles=64.0)
    base.update(kw)
    return HardwareSpec(**base)


def test_conventional_sar_energy_matches_published_value():
    # Liu et al. JSSC 2010: 1363.3 Cu*VREF^2 for a 10-bit conventional SAR
    assert conventional_sar_switching_energy(10, 1.0, 1.0) == pytest.approx(1363.3, abs=0.1)
    # n = 1: one step, 2^(2-2)*(2-1) = 1
    assert conventional_sar_switching_energy(1, 2e-15, 0.5) == pytest.approx(2e-15 * 0.25)
    # n = 2: 2^1*(2-1) + 2^-1*(4-1) = 2 + 1.5 = 3.5 Cu VREF^2
    assert conventional_sar_switching_energy(2, 1.0, 1.0) == pytest.approx(3.5)


def test_area_by_hand():
    # 256 fF at 2 fF/um^2 = 128 um^2; one comparator 30 um^2; 8 logic bits at 10 um^2
    s = spec(caps=(CapBlock("dac", 256e-15, 1, 0.0),))
    r = estimate(s)
    assert r.area_breakdown_um2 == pytest.approx({"caps": 128.0, "comparators": 30.0,
                                                  "opamps": 0.0, "logic": 80.0})
    assert r.area_um2 == pytest.approx(238.0)
    assert r.area_unit_caps == pytest.approx(238.0 / 0.5)      # 1 fF = 0.5 um^2
    # a second energy entry of the same caps does not count twice in the area
    s2 = spec(caps=(CapBlock("dac", 256e-15, 1, 0.0),
                    CapBlock("sampling", 256e-15, 1, 0.5, in_area=False)))
    assert estimate(s2).area_um2 == pytest.approx(238.0)
    assert estimate(spec(opamps=2)).area_breakdown_um2["opamps"] == pytest.approx(800.0)


def test_energy_by_hand():
    # caps: 100 fF switched 4 times at activity 0.25 with VREF = 0.8 V:
    # 4 * 0.25 * 100f * 0.64 = 64 fJ; named activity "sampling_energy_fraction" = 1/3:
    # 1 * (1/3) * 300f * 0.64 = 64 fJ; 8 decisions * 50 fJ = 400 fJ; 64 bit-cycles * 5 fJ
    # = 320 fJ; op-amp 20 uA * 0.9 V * 50 ns = 900 fJ
    s = spec(vref=0.8, vdd=0.9, opamps=1, opamp_seconds=50e-9,
             caps=(CapBlock("a", 100e-15, 4, 0.25),
                   CapBlock("b", 300e-15, 1, "sampling_energy_fraction")))
    r = estimate(s)
    assert r.breakdown == pytest.approx({"a": 64e-15, "b": 64e-15, "comparator": 400e-15,
                                         "logic": 320e-15, "opamp_static": 900e-15,
                                         "static": 0.0})
    assert r.energy_j == pytest.approx(1748e-15)
    # a named activity follows the model: doubling it doubles that entry only
    r2 = estimate(s, CostModel(sampling_energy_fraction=2 / 3))
    assert r2.breakdown["b"] == pytest.approx(128e-15) and r2.breakdown["a"] == r.breakdown["a"]


def test_latency_is_cycles_times_period_when_not_given():
    s = spec(latency=0.0, cycles=12)
    assert estimate(s, CostModel(clock_period=2e-9)).latency_s == pytest.approx(24e-9)
    assert estimate(spec(latency=7e-9)).latency_s == pytest.approx(7e-9)


def test_bundled_designs_cost_from_their_resources():
    """DGCQ 3+8 default: caps = 256 CU DAC + CS + CF + CREF = 256 f + 300 f = 556 fF
    (278 um^2), 2 comparators (60), 1 op-amp (400), 8 + 4 logic bits (120) = 858 um^2."""
    from dgcq_sim.quantizers import load_quantizer

    r = estimate(load_quantizer("dgcq").hardware())
    assert r.area_um2 == pytest.approx(858.0)
    assert r.cycles == 18 and r.latency_s == pytest.approx(28e-9)
    e_sar = conventional_sar_switching_energy(8, 1e-15, 1.0)
    assert r.breakdown["sar_switching"] == pytest.approx(e_sar)
    assert r.breakdown["coarse_caps"] == pytest.approx(8 * 300e-15 * 0.5)


def test_bad_spec_and_model():
    with pytest.raises(ParameterError, match="latency"):
        estimate(spec(latency=math.nan))
    with pytest.raises(ParameterError, match="comparators"):
        estimate(spec(comparators=-1))
    with pytest.raises(ParameterError, match="not a CostModel field"):
        estimate(spec(caps=(CapBlock("x", 1e-15, 1, "no_such_field"),)))
    with pytest.raises(ParameterError, match="capacitance"):
        estimate(spec(caps=(CapBlock("x", -1e-15, 1, 0.5),)))
    with pytest.raises(ParameterError, match="cap_density"):
        CostModel(cap_density=0.0)
    with pytest.raises(ParameterError, match="HardwareSpec"):
        estimate({"architecture": "sar"})
    with pytest.raises(ParameterError, match="cycles > 0 or latency"):
        estimate(dataclasses.replace(spec(), cycles=0, latency=0.0))
