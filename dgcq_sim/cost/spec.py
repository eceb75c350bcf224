"""What a quantizer tells the cost model about its hardware.

Quantizer architectures (a layer above) fill a :class:`HardwareSpec` from their netlist
parameters and controller schedule; ``dgcq_sim.cost`` turns it into area, latency and energy
under the documented assumptions of a cost model.  The spec is generic — capacitor blocks
with their switching activity, comparators and their decisions, op-amps and their active
time, logic bits and their clocking — so the cost model has no per-architecture code.
Cost never imports quantizers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class CapBlock:
    """A group of capacitors of one design.

    name: label in the energy breakdown (e.g. "sar_switching", "coarse_caps").
    capacitance: total capacitance of the group, F (counts in the area; 0 = energy only).
    events: switching events per conversion (e.g. N coarse iterations, 1 SAR conversion).
    activity: energy drawn per event as a fraction of capacitance * VREF^2 — a number, or
        the name of a :class:`~dgcq_sim.cost.CostModel` field that holds the fraction (so
        a statistical assumption stays documented and overridable in one place).
    in_area: False for a second energy entry of capacitors already counted (e.g. sampling
        the input onto a DAC whose switching is another block).
    """

    name: str
    capacitance: float
    events: float
    activity: float | str
    in_area: bool = True


@dataclass(frozen=True)
class HardwareSpec:
    """Hardware of one quantizer design, in SI units.

    architecture: registered architecture name (for display only).
    bits: resolution = log2(number of output codes), rounded.
    cycles: clock cycles per conversion (sampling and reset included).
    latency: seconds per conversion.
    vref: reference voltage, V.  vdd: supply voltage, V.
    caps: capacitor groups (area and switching energy).
    comparators: comparators in the design (area).
    comparator_decisions: comparator decisions per conversion (energy).
    opamps: op-amps in the design (area).
    opamp_seconds: op-amp active time per conversion summed over op-amps, s (static energy).
    logic_bits: register/counter bits with their control logic (area).
    logic_bit_cycles: bit x clock cycles of logic activity per conversion (energy).
    static_power: power drawn for the whole latency besides op-amps (e.g. a reference
        ladder), W.
    stages: bits resolved per stage, label -> bits (reporting).
    extras: further named figures (documented by the architecture that sets them).
    """

    architecture: str
    bits: int
    cycles: int
    latency: float
    vref: float
    vdd: float
    caps: tuple[CapBlock, ...]
    comparators: int
    comparator_decisions: int
    opamps: int
    opamp_seconds: float
    logic_bits: int
    logic_bit_cycles: float
    static_power: float = 0.0
    stages: Mapping[str, int] = field(default_factory=dict)
    extras: Mapping[str, float] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """Alias of :attr:`architecture`."""
        return self.architecture

    @property
    def total_capacitance(self) -> float:
        """Sum of the capacitor groups that count in the area, F."""
        return float(sum(c.capacitance for c in self.caps if c.in_area))
