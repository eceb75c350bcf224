"""Area, latency and energy of a quantizer from its :class:`HardwareSpec`.

Every number the estimate rests on is a named field of :class:`CostModel`, with its unit,
default and where the default comes from.  The estimates are first-order (what a designer
would write on a whiteboard before layout), meant for comparing quantizer families under the
same assumptions, not for sign-off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

from ..display import show
from ..errors import ParameterError
from .spec import CapBlock, HardwareSpec


@dataclass(frozen=True)
class CostModel:
    """Documented technology and circuit assumptions of the cost estimate (SI units).

    cap_density: MIM capacitor density, F/m^2.  Default 2e-3 (= 2 fF/um^2), typical of the MIM
        option of 28-65 nm CMOS processes.
    reference_unit_cap: capacitance that one "unit-cap equivalent" of area stands for, F.
        Default 1 fF, a common SAR unit cap in CIM macros; all designs are expressed in it.
    comparator_area: area of one StrongARM latch comparator with its offset trimming, m^2.
        Default 30 um^2 (28-65 nm layouts, a few tens of um^2).
    comparator_energy: energy per comparator decision, J.  Default 50 fJ (StrongARM latch at
        28-65 nm: 50-100 fJ per decision; Razavi, "The StrongARM latch", IEEE SSC Mag. 2015).
    opamp_area: area of one op-amp (OTA) of a switched-capacitor integrator, m^2.  Default
        400 um^2 (single-stage OTA with its bias, 28-65 nm).
    opamp_bias_current: static supply current of one op-amp, A.  Default 20 uA.
    logic_area_per_bit: area of one bit of SAR register / counter with its control logic, m^2.
        Default 10 um^2 (a flip-flop plus a few gates, 28-65 nm standard cells).
    logic_energy_per_bit_cycle: energy of one bit of register/counter logic per clock cycle, J.
        Default 5 fJ (flip-flop clock and data switching, 28-65 nm).
    coarse_switching_activity: average fraction of C*VREF^2 drawn from the supplies per coarse
        capacitor per iteration.  Default 0.5: the input capacitor is charged to Vs (mean
        C*VREF^2/3 for a uniform input) and the reference charge is switched in about half of
        the iterations (count/N averages 1/2), so about C*VREF^2/2 per capacitor.
    sampling_energy_fraction: energy drawn by the input source to charge the SAR DAC to the
        input, as a fraction of C_tot*VREF^2.  Default 1/3 (mean of Vin^2/VREF^2 for a uniform
        input over [0, VREF]).
    clock_period: clock period used when the spec gives no latency, s.  Default 10 ns.
    """

    cap_density: float = 2e-3
    reference_unit_cap: float = 1e-15
    comparator_area: float = 30e-12
    comparator_energy: float = 50e-15
    opamp_area: float = 400e-12
    opamp_bias_current: float = 20e-6
    logic_area_per_bit: float = 10e-12
    logic_energy_per_bit_cycle: float = 5e-15
    coarse_switching_activity: float = 0.5
    sampling_energy_fraction: float = 1.0 / 3.0
    clock_period: float = 10e-9

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ParameterError(f"CostModel.{f.name} must be a finite number, got {show(v)}")
            if v < 0 or (v == 0 and f.name in ("cap_density", "reference_unit_cap", "clock_period")):
                raise ParameterError(f"CostModel.{f.name} must be positive, got {show(v)}")


@dataclass(frozen=True)
class CostReport:
    """Cost of one conversion of one quantizer.

    area_unit_caps: total area in unit-cap equivalents (area / area of reference_unit_cap).
    area_um2: total area, um^2.
    latency_s: time per conversion, s.
    cycles: clock cycles per conversion.
    energy_j: energy per conversion, J.
    breakdown: energy per conversion by source, J ("sar_switching", "sar_sampling",
        "coarse_caps", "comparator", "logic", "opamp_static").
    area_breakdown_um2: area by block, um^2 ("caps", "comparators", "opamps", "logic").
    """

    area_unit_caps: float
    area_um2: float
    latency_s: float
    cycles: int
    energy_j: float
    breakdown: dict = field(default_factory=dict)
    area_breakdown_um2: dict = field(default_factory=dict)


def conventional_sar_switching_energy(n_bits: int, unit_cap: float, vref: float) -> float:
    """Average DAC switching energy of a conventional binary-weighted charge-redistribution SAR.

    E_avg = sum_{i=1}^{n} 2^(n+1-2i) * (2^i - 1) * Cu * VREF^2 (J), averaged over all codes
    (Ginsburg & Chandrakasan, JSSC 2007; 1363.3 Cu*VREF^2 at n = 10 as quoted by Liu et al.,
    "A 10-bit 50-MS/s SAR ADC with a monotonic capacitor switching procedure", JSSC 2010).
    n_bits: SAR resolution; unit_cap: Cu, F; vref: reference voltage, V.
    """
    if n_bits < 0:
        raise ParameterError(f"n_bits must be >= 0, got {n_bits}")
    units = sum(2.0 ** (n_bits + 1 - 2 * i) * (2 ** i - 1) for i in range(1, n_bits + 1))
    return units * unit_cap * vref ** 2


def _check_number(name: str, v, *, integer: bool = False) -> None:
    if integer:
        ok = not isinstance(v, bool) and isinstance(v, int) and v >= 0
    else:
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0
    if not ok:
        what = "a non-negative int" if integer else "a finite number >= 0"
        raise ParameterError(f"HardwareSpec.{name} must be {what}, got {show(v)}")


def _check_spec(spec: HardwareSpec, m: CostModel) -> None:
    if not isinstance(spec, HardwareSpec):
        raise ParameterError(f"estimate() needs a HardwareSpec, got {type(spec).__name__}")
    for name in ("bits", "cycles", "comparators", "comparator_decisions", "opamps", "logic_bits"):
        _check_number(name, getattr(spec, name), integer=True)
    for name in ("latency", "vref", "vdd", "opamp_seconds", "logic_bit_cycles", "static_power"):
        _check_number(name, getattr(spec, name))
    for c in spec.caps:
        if not isinstance(c, CapBlock):
            raise ParameterError(f"HardwareSpec.caps must hold CapBlock objects, got {show(c)}")
        _check_number(f"caps[{c.name!r}].capacitance", c.capacitance)
        _check_number(f"caps[{c.name!r}].events", c.events)
        _activity(c, m)
    if spec.cycles == 0 and spec.latency == 0:
        raise ParameterError("HardwareSpec needs cycles > 0 or latency > 0")


def _activity(block: CapBlock, m: CostModel) -> float:
    """The block's energy fraction per event: its number, or the CostModel field it names."""
    a = block.activity
    if isinstance(a, str):
        if a not in {f.name for f in fields(m)}:
            raise ParameterError(f"cap block {block.name!r}: activity {a!r} is not a CostModel "
                                 f"field; known: {[f.name for f in fields(m)]}")
        a = getattr(m, a)
    _check_number(f"caps[{block.name!r}].activity", a)
    return float(a)


def estimate(spec: HardwareSpec, model: CostModel | None = None) -> CostReport:
    """Area, latency and energy per conversion of the design ``spec`` under ``model``.

    Area: all capacitors at model.cap_density, plus comparators, op-amps and logic bits.
    Latency: spec.latency when given, else cycles * model.clock_period.
    Energy: per capacitor group events x activity x C x VREF^2, one comparator energy per
    decision, logic bit-cycles x energy per bit-cycle, and op-amp static power
    I_bias x VDD over the op-amp active time, and any other static power over the latency.
    """
    m = model or CostModel()
    _check_spec(spec, m)
    um2 = 1e12
    area = {
        "caps": spec.total_capacitance / m.cap_density * um2,
        "comparators": spec.comparators * m.comparator_area * um2,
        "opamps": spec.opamps * m.opamp_area * um2,
        "logic": spec.logic_bits * m.logic_area_per_bit * um2,
    }
    area_um2 = sum(area.values())
    unit_area_um2 = m.reference_unit_cap / m.cap_density * um2
    latency = float(spec.latency) if spec.latency > 0 else spec.cycles * m.clock_period
    vref2 = spec.vref ** 2
    energy: dict[str, float] = {}
    for c in spec.caps:
        energy[c.name] = energy.get(c.name, 0.0) + c.events * _activity(c, m) * c.capacitance * vref2
    energy["comparator"] = spec.comparator_decisions * m.comparator_energy
    energy["logic"] = spec.logic_bit_cycles * m.logic_energy_per_bit_cycle
    energy["opamp_static"] = m.opamp_bias_current * spec.vdd * spec.opamp_seconds
    energy["static"] = spec.static_power * latency
    return CostReport(area_unit_caps=area_um2 / unit_area_um2, area_um2=area_um2,
                      latency_s=latency, cycles=int(spec.cycles), energy_j=sum(energy.values()),
                      breakdown=energy, area_breakdown_um2=area)
