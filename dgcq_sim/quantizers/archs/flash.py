"""``flash``: NBITS-bit flash ADC — track-and-hold, resistor-ladder references and
2^NBITS - 1 comparators deciding in one step.

Netlist: dgcq_sim/netlists/flash.cir (ladder regenerated from NBITS).  Code = number of
comparators that decide 1 (ones count of the thermometer code, bubble tolerant);
ideal code = floor(VIN/VREF*2^NBITS).
"""

from __future__ import annotations

from ...cost.spec import CapBlock, HardwareSpec
from ..architecture import Architecture, register
from ..dac import with_block
from ..params import ParamSpec, int_param
from ..schedule import ScheduleBuilder

MAX_FLASH_BITS = 8


def ladder_lines(n_bits: int) -> list[str]:
    """2^n equal resistors from ``vrt`` to ground; tap ``t<k>`` at k*VREF/2^n."""
    n = 2 ** n_bits
    return [f"rlad{k} {'vrt' if k == n - 1 else f't{k + 1}'} {'0' if k == 0 else f't{k}'} {{RLAD}}"
            for k in range(n)]


@register("flash")
class Flash(Architecture):
    summary = "flash ADC: track-and-hold, resistor ladder, 2^N-1 comparators (ones-count encoder)"
    shared_params = ("VREF", "VDD", "TSAMP", "RON", "ROFF", "TEMP", "VOS", "VNOISE", "SIGMA_VOS")
    own_params = (
        ParamSpec("NBITS", "", "flash resolution (bits)", lo=1, hi=MAX_FLASH_BITS, integer=True),
        ParamSpec("TCMP", "s", "hold/compare phase length", lo=0, lo_open=True),
        ParamSpec("CH", "F", "hold capacitor", lo=0, lo_open=True),
        ParamSpec("CPHOLD", "F", "parasitic capacitance at the hold node", lo=0),
        ParamSpec("RLAD", "ohm", "resistance of one ladder segment", lo=0, lo_open=True),
    )

    def prepare_netlist(self, text, p, path):
        n = int_param(p, "nbits")
        return with_block(text, "ladder", ladder_lines(n), path, f"generated for {n} bits; ")

    def schedule(self, p):
        n = 2 ** int_param(p, "nbits")
        taps = [("hold", f"t{k}") for k in range(1, n)]
        b = ScheduleBuilder(["vin"], taps)
        b.set("vin", vin=1.0)
        b.step("track", p["tsamp"], {"ssamp"})
        b.step("compare", p["tcmp"], set())
        for k, tap in enumerate(taps, start=1):
            b.decide(tap, 0.0, offset=p["vos"], noise_rms=p["vnoise"], weight=1, stage="flash",
                     comparator=f"cmp{k}", sigma_offset=p["sigma_vos"])
        return b.build(cycles=2, n_codes=n)

    def resources(self, p, schedule) -> HardwareSpec:
        nb = int_param(p, "nbits")
        n = 2 ** nb
        ladder_power = p["vref"] ** 2 / (n * p["rlad"])
        return HardwareSpec(
            architecture=self.name, bits=nb, cycles=schedule.cycles, latency=schedule.latency,
            vref=float(p["vref"]), vdd=float(p["vdd"]),
            caps=(CapBlock("hold_sampling", p["ch"], 1, "sampling_energy_fraction"),),
            comparators=n - 1, comparator_decisions=len(schedule.decisions), opamps=0,
            opamp_seconds=0.0, logic_bits=nb, logic_bit_cycles=float(nb),
            static_power=ladder_power, stages={"flash": nb},
            extras={"ladder_power_w": ladder_power})
