"""Energy per inference of a CIM-mapped network: converters + the digital periphery.

energy per image = ADC conversions x energy per conversion (the quantizer's cost model,
``dgcq_sim.cost.estimate(q.hardware()).energy_j``, handed in by the caller)
+ one shift-and-add per conversion (the converted partial sum added, at its fixed shift,
into the output's accumulator) + one requantization per analog output value (accumulator x
scale, plus the folded bias) + the MACs of the layers kept digital (stem and fc by default)
+ with per-array gains, one multiply per array and output value (the array's sum x its gain).

Not included: the analog array itself (word-line drivers, bit-line charging, SRAM cell
reads), input/weight movement, activation memory, control.  Per-operation energies are the
45 nm, 0.9 V figures of M. Horowitz, "Computing's energy problem (and what we can do about
it)", ISSCC 2014, Fig. 1.1.9 (integer add and multiply); override them to match a process.
A fixed shift is wiring (zero energy).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import ParameterError

#: 32-bit integer add, J (Horowitz ISSCC 2014, 45 nm: 0.1 pJ)
E_ADD_INT32 = 0.1e-12
#: 8-bit integer add, J (Horowitz ISSCC 2014, 45 nm: 0.03 pJ)
E_ADD_INT8 = 0.03e-12
#: 8-bit integer multiply, J (Horowitz ISSCC 2014, 45 nm: 0.2 pJ)
E_MULT_INT8 = 0.2e-12
#: 32-bit integer multiply, J (Horowitz ISSCC 2014, 45 nm: 3.1 pJ)
E_MULT_INT32 = 3.1e-12


@dataclass(frozen=True)
class DigitalEnergy:
    """Per-operation energies of the digital periphery, J.

    shift_add: one accumulate of a converted partial sum (32-bit add; the shift is wiring).
    requant: one output value's rescale and bias (32-bit multiply + 32-bit add).
    digital_mac: one MAC of a layer kept digital (8-bit multiply + 32-bit accumulate).
    array_gain: one array's sum times its per-array gain (32-bit multiply + 32-bit add).
    """

    shift_add: float = E_ADD_INT32
    requant: float = E_MULT_INT32 + E_ADD_INT32
    digital_mac: float = E_MULT_INT8 + E_ADD_INT32
    array_gain: float = E_MULT_INT32 + E_ADD_INT32

    def __post_init__(self):
        for k, v in asdict(self).items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0:
                raise ParameterError(f"DigitalEnergy.{k} must be a number >= 0 J, got {v!r}")


def energy_per_image(counts: dict, energy_per_conversion: float | None,
                     digital: DigitalEnergy | None = None) -> dict:
    """Energy of one image from operation counts (see :meth:`CimModel.operation_counts`).

    counts: {"conversions", "analog_outputs", "digital_macs"[, "array_gain_mults"]} per
    image.
    energy_per_conversion: J per conversion, or None when the quantizer has no cost model
    (a saved transfer function, an ideal ADC): the total and the ADC fraction are then
    None, the digital part is still given.
    Returns {"energy_per_image_j", "adc_energy_fraction", "energy_breakdown_j",
    "energy_per_conversion_j", "energy_note"}.
    """
    d = digital or DigitalEnergy()
    parts = {"shift_add": counts["conversions"] * d.shift_add,
             "requant": counts["analog_outputs"] * d.requant,
             "digital_layers": counts["digital_macs"] * d.digital_mac}
    if counts.get("array_gain_mults"):
        parts["array_gains"] = counts["array_gain_mults"] * d.array_gain
    digital_j = sum(parts.values())
    out = {"energy_per_conversion_j": energy_per_conversion, "energy_digital_j": digital_j,
           "energy_assumptions_j": asdict(d)}
    if energy_per_conversion is None:
        parts["adc"] = None
        out.update(energy_per_image_j=None, adc_energy_fraction=None,
                   energy_breakdown_j=parts,
                   energy_note="ADC energy unknown: the quantizer carries no hardware "
                               "description (a saved transfer function or an ideal ADC); "
                               "only the digital periphery is given")
        return out
    if isinstance(energy_per_conversion, bool) or not energy_per_conversion >= 0:
        raise ParameterError(f"energy per conversion must be >= 0 J, got {energy_per_conversion!r}")
    adc = counts["conversions"] * float(energy_per_conversion)
    total = adc + digital_j
    parts["adc"] = adc
    out.update(energy_per_image_j=total, adc_energy_fraction=(adc / total if total > 0 else 0.0),
               energy_breakdown_j=parts,
               energy_note="ADC (quantizer cost model) + digital shift-and-add, requantization "
                           "and digital layers (Horowitz ISSCC 2014, 45 nm); analog array "
                           "and memory energy not included")
    return out
