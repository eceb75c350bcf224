"""Contract tests: every registered architecture, bundled or registered by a user module
imported before collection, gets these (like aihwkit's ``parametrize_over_tiles``)."""

import math

import numpy as np
import pytest

from dgcq_sim.cost import HardwareSpec, estimate
from dgcq_sim.engine import apply_program
from dgcq_sim.errors import ParameterError
from dgcq_sim.quantizers import architectures, get_architecture, load_quantizer
from dgcq_sim.quantizers.params import resolve
from dgcq_sim.quantizers.stepping import step_numpy

ARCHS = architectures()


def bin_interior(q, per_code: int = 5) -> np.ndarray:
    """Inputs inside every ideal code bin, >= 1e-3 LSB away from its transitions."""
    frac = np.linspace(1e-3, 1 - 1e-3, per_code)
    return q.vmin + ((np.arange(q.n_codes)[:, None] + frac[None, :]) * q.lsb).ravel()


@pytest.fixture(scope="module", params=ARCHS)
def arch_name(request):
    return request.param


def test_registry_lists_the_bundled_architectures():
    assert {"coarse", "sar", "dgcq", "flash"} <= set(ARCHS)


def test_ideal_staircase_is_the_architecture_formula(arch_name):
    q = load_quantizer(arch_name, ideal=True)
    v = bin_interior(q)
    want = q.architecture.ideal_codes(v, q.params, q.n_codes)
    # the formula itself is a full staircase: every code, in order
    np.testing.assert_array_equal(np.unique(want), np.arange(q.n_codes))
    for method in ("response", "stepping"):
        np.testing.assert_array_equal(q.convert(v, noise=False, method=method).codes, want,
                                      err_msg=method)


def test_kernels_agree_with_numpy_reference_with_default_parasitics(arch_name):
    q = load_quantizer(arch_name)
    v = np.random.default_rng(11).uniform(q.vmin, q.vmax, 100_000)
    a = q.convert(v, noise=False, method="response")
    b = q.convert(v, noise=False, method="stepping")
    np.testing.assert_array_equal(a.codes, b.codes)
    for s in q.stages:
        np.testing.assert_array_equal(a.stages[s], b.stages[s], err_msg=s)
    sums, _ = step_numpy(q, v[:3000])
    np.testing.assert_array_equal(q.schedule.assemble(sums), a.codes[:3000])
    assert 0 <= a.codes.min() and a.codes.max() <= q.n_codes - 1


def test_noisy_kernels_agree_in_distribution(arch_name):
    q = load_quantizer(arch_name)
    if not q.has_noise:
        pytest.skip("no noise source in the default design")
    v = np.random.default_rng(3).uniform(q.vmin, q.vmax, 20_000)
    ref = q.convert(v, noise=False).codes
    ea = q.convert(v, method="response", rng=np.random.default_rng(1)).codes - ref
    eb = q.convert(v, method="stepping", rng=np.random.default_rng(2)).codes - ref
    assert abs(np.mean(ea != 0) - np.mean(eb != 0)) < 0.02 + 0.1 * np.mean(ea != 0)


def ngspice_deviation(q, vin, circuit=None, tmax_divisor: float = 1.0) -> float:
    """Largest |engine - ngspice| (V) over every probe at every step end of the exported
    conversion of ``vin``; ngspice runs ``circuit`` (default: the quantizer's own) with the
    export's time step divided by ``tmax_divisor``."""
    from dgcq_sim.spice import ngspice_tran

    d = q.decisions(vin)
    overrides, tran = q.spice_overrides(vin)
    u = q.schedule.source_values(vin, d)
    _, probes = apply_program(q.program, q.program.initial_state(u[0]), u)
    ends = q.step_times()[1:] * (1 - 1e-9)
    nodes = sorted({n for p in q.schedule.probes for n in ((p,) if isinstance(p, str) else p)
                    if n != "0"})
    res = ngspice_tran(circuit or q.circuit, ends, nodes=nodes, overrides=overrides,
                       tstop=tran.tstop, tmax=tran.tmax / tmax_divisor)
    worst = 0.0
    for i, p in enumerate(q.schedule.probes):
        pos, neg = (p, "0") if isinstance(p, str) else p
        got = res.v[pos] - (res.v[neg] if neg != "0" else 0.0)
        worst = max(worst, float(np.max(np.abs(got - probes[0, :, i]))))
    return worst


@pytest.mark.ngspice
def test_exported_schedule_matches_ngspice(arch_name):
    q = load_quantizer(arch_name)
    for frac in (0.1234, 0.3719, 0.9012):
        vin = q.vmin + frac * (q.vmax - q.vmin)
        assert ngspice_deviation(q, vin) < 1e-4, (arch_name, vin)


def test_hardware_is_a_valid_spec(arch_name):
    q = load_quantizer(arch_name)
    hw = q.hardware()
    assert isinstance(hw, HardwareSpec) and hw.architecture == arch_name
    assert hw.bits == round(math.log2(q.n_codes))
    assert hw.comparator_decisions == len(q.schedule.decisions) and hw.comparators >= 1
    assert hw.latency == pytest.approx(q.schedule.latency)
    r = estimate(hw)
    assert r.area_um2 > 0 and r.energy_j > 0 and r.latency_s > 0
    assert sum(r.breakdown.values()) == pytest.approx(r.energy_j)


def test_every_parameter_spec_names_itself_when_out_of_range(arch_name):
    arch = get_architecture(arch_name)
    q = load_quantizer(arch_name)
    specs = arch.params()
    assert specs, "an architecture declares its parameters"
    for key, spec in specs.items():
        assert spec.unit is not None and spec.doc
        bad = spec.hi * 2 + 1 if math.isfinite(spec.hi) else (
            spec.lo - 1 if math.isfinite(spec.lo) else None)
        if bad is None:
            continue
        with pytest.raises(ParameterError, match=spec.name):
            load_quantizer(arch_name, {spec.name: bad})
        # a missing required parameter is named with its unit and range
        if spec.default is None:
            with pytest.raises(ParameterError, match=rf"{spec.name}.*{spec.unit}"):
                resolve(specs, {k: v for k, v in q.params.items() if k != key}, "x.cir",
                        arch_name)


def test_instances_differ_only_with_mismatch_or_offset_sigma(arch_name):
    q = load_quantizer(arch_name, {"SIGMA_VOS": 0.0} if "sigma_vos" in
                       get_architecture(arch_name).params() else {}, ideal=True)
    v = bin_interior(q, 3)
    base = q.convert(v, noise=False).codes
    np.testing.assert_array_equal(q.instance(3).convert(v, noise=False).codes, base)


def test_parameter_reference_page_is_up_to_date():
    """docs/parameters.md is generated from the specs (regenerate it when they change)."""
    from pathlib import Path

    from dgcq_sim.quantizers.reference import markdown

    page = Path(__file__).resolve().parents[2] / "docs" / "parameters.md"
    assert page.read_text(encoding="utf-8") == markdown(), \
        "run: python -m dgcq_sim.quantizers.reference > docs/parameters.md"
