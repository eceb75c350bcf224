import dataclasses
import math

import pytest

from dgcq_sim.cost import (CostModel, HardwareSpec, conventional_sar_switching_energy, estimate)
from dgcq_sim.errors import ParameterError


def sar_spec(n, cu=1e-15, vref=1.0, vdd=1.0, clock=10e-9):
    cycles = n + 2
    return HardwareSpec(kind="sar", bits=n, coarse_iterations=0, sar_bits=n, counter_bits=0,
                        unit_cap=cu, sar_cap_units=2.0 ** n, coarse_caps=(), n_comparators=1,
                        n_opamps=0, cycles=cycles, latency=cycles * clock, vref=vref, vdd=vdd,
                        comparator_decisions=n)


def dgcq_spec(c, f, cs=10e-15, cf=10e-15, cu=1e-15, clock=10e-9):
    n_iter = 2 ** c
    cycles = n_iter + f + 2
    return HardwareSpec(kind="dgcq", bits=c + f, coarse_iterations=n_iter, sar_bits=f,
                        counter_bits=c, unit_cap=cu, sar_cap_units=2.0 ** f,
                        coarse_caps=(cs, cf), n_comparators=2, n_opamps=1, cycles=cycles,
                        latency=cycles * clock, vref=0.9, vdd=0.9,
                        comparator_decisions=n_iter + f)


def test_conventional_sar_energy_matches_published_value():
    # Liu et al. JSSC 2010: 1363.3 Cu*VREF^2 for a 10-bit conventional SAR
    assert conventional_sar_switching_energy(10, 1.0, 1.0) == pytest.approx(1363.3, abs=0.1)
    # n = 1: one step, 2^(2-2)*(2-1) = 1
    assert conventional_sar_switching_energy(1, 2e-15, 0.5) == pytest.approx(2e-15 * 0.25)


def test_sar_by_hand():
    m = CostModel()
    r = estimate(sar_spec(8), m)
    caps_um2 = 256e-15 / 2e-3 * 1e12  # 256 fF at 2 fF/um^2 = 128 um^2
    assert r.area_breakdown_um2["caps"] == pytest.approx(caps_um2)
    assert r.area_um2 == pytest.approx(caps_um2 + 30 + 8 * 10)
    assert r.area_unit_caps == pytest.approx(r.area_um2 / 0.5)  # 1 fF = 0.5 um^2
    e_sw = conventional_sar_switching_energy(8, 1e-15, 1.0)
    expected = e_sw + 256e-15 / 3 + 8 * 50e-15 + 64 * 5e-15
    assert r.energy_j == pytest.approx(expected)
    assert r.breakdown["opamp_static"] == 0.0 and r.breakdown["coarse_caps"] == 0.0
    assert sum(r.breakdown.values()) == pytest.approx(r.energy_j)


def test_sar_cap_area_doubles_per_bit():
    areas = [estimate(sar_spec(n)).area_breakdown_um2["caps"] for n in range(4, 13)]
    for a, b in zip(areas, areas[1:]):
        assert b / a == pytest.approx(2.0)
    totals = [estimate(sar_spec(n)).area_um2 for n in (10, 11, 12)]
    assert totals[2] - totals[1] == pytest.approx(2 * (totals[1] - totals[0]), rel=0.05)


def test_latency_is_cycles_times_period():
    s = dgcq_spec(3, 8, clock=5e-9)
    assert estimate(s).latency_s == pytest.approx(s.cycles * 5e-9)
    no_latency = dataclasses.replace(s, latency=0.0)
    m = CostModel(clock_period=2e-9)
    assert estimate(no_latency, m).latency_s == pytest.approx(s.cycles * 2e-9)


def test_dgcq_by_hand():
    s = dgcq_spec(3, 8)
    r = estimate(s)
    lat = s.cycles * 10e-9
    assert r.breakdown["opamp_static"] == pytest.approx(20e-6 * 0.9 * lat)
    assert r.breakdown["coarse_caps"] == pytest.approx(8 * 20e-15 * 0.81 * 0.5)
    assert r.breakdown["comparator"] == pytest.approx((8 + 8) * 50e-15)
    assert r.breakdown["logic"] == pytest.approx((64 + 3 * 8) * 5e-15)
    assert r.cycles == s.cycles


def test_coarse_energy_grows_linearly_with_iterations():
    e = [estimate(dgcq_spec(c, 4)).breakdown["coarse_caps"] for c in (2, 3, 4)]
    assert e[1] == pytest.approx(2 * e[0]) and e[2] == pytest.approx(2 * e[1])


def test_bad_spec_and_model():
    with pytest.raises(ParameterError, match="kind"):
        estimate(dataclasses.replace(sar_spec(4), kind="flash"))
    with pytest.raises(ParameterError, match="unit_cap"):
        estimate(dataclasses.replace(sar_spec(4), unit_cap=math.nan))
    with pytest.raises(ParameterError, match="cap_density"):
        CostModel(cap_density=0.0)
    with pytest.raises(ParameterError, match="HardwareSpec"):
        estimate({"kind": "sar"})
