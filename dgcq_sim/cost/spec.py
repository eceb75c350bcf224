"""What a quantizer tells the cost model about its hardware.

Quantizers (a layer above) fill a :class:`HardwareSpec` from their netlist parameters and
controller schedule; ``dgcq_sim.cost`` turns it into area, latency and energy under the
documented assumptions of a cost model.  Cost never imports quantizers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class HardwareSpec:
    """Hardware of one quantizer design, in SI units.

    kind: "coarse", "sar" or "dgcq".
    bits: resolution = log2(number of output codes).
    coarse_iterations: N iterations of the coarse accumulator (0 for a plain SAR).
    sar_bits: bits resolved by the SAR (0 for coarse-only).
    counter_bits: width of the coarse counter (0 for a plain SAR).
    unit_cap: SAR unit capacitor Cu, F (0 without a SAR).
    sar_cap_units: total SAR DAC capacitance in units of Cu, dummy included.
    coarse_caps: capacitors of the coarse stage (sampling, feedback, reference ...), F each.
    n_comparators: comparators in the design.
    n_opamps: op-amps (active integrators) in the design.
    cycles: clock cycles per conversion (sampling and reset included).
    latency: seconds per conversion.
    vref: reference voltage, V.
    vdd: supply voltage, V.
    comparator_decisions: comparator decisions per conversion.
    extras: further named figures a cost model may use (documented where they are set).
    """

    kind: str
    bits: int
    coarse_iterations: int
    sar_bits: int
    counter_bits: int
    unit_cap: float
    sar_cap_units: float
    coarse_caps: tuple[float, ...]
    n_comparators: int
    n_opamps: int
    cycles: int
    latency: float
    vref: float
    vdd: float
    comparator_decisions: int
    extras: Mapping[str, float] = field(default_factory=dict)
