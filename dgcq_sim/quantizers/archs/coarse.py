"""``coarse``: iterative accumulator + counter (active SC integrator, first-order
incremental loop), NITER iterations.

Netlist: dgcq_sim/netlists/coarse.cir.  Code = the count of VREF subtractions
(each decision weighs 1); ideal code = floor(NITER*GAIN*VIN/VREF), NITER*GAIN codes.
"""

from __future__ import annotations

from ...cost.spec import CapBlock, HardwareSpec
from ..architecture import Architecture, code_bits, register
from ..dac import with_opamp_block
from ..params import DesignParameterError, ParamSpec, int_param
from ..resources import counter_bits
from ..schedule import ScheduleBuilder
from ..stages import coarse_loop

COARSE_SHARED = ("VREF", "VDD", "TCLK", "RON", "ROFF", "TEMP", "KC", "AOL", "GBW", "VN_OPAMP",
                 "SR", "VOUT_MIN", "VOUT_MAX",
                 "CPAR", "RLEAK", "ILEAK", "ILEAK_DT", "GAIN", "CF", "CS", "CREF", "RREF")


def coarse_levels(p, n_iter: int) -> int:
    """N*GAIN coarse levels; DesignParameterError unless a positive integer."""
    levels = n_iter * p["gain"]
    if abs(levels - round(levels)) > 1e-9 or round(levels) < 1:
        raise DesignParameterError(
            f"N*GAIN = {levels:g} coarse levels must be a positive integer (N = {n_iter} "
            f"iterations, GAIN = {p['gain']:g})")
    return int(round(levels))


def coarse_caps(p, n_iter: int) -> tuple[CapBlock, ...]:
    """CS, CF, CREF switched every iteration (activity: CostModel.coarse_switching_activity)."""
    c = p["cs"] + p["cf"] + p["cref"]
    return (CapBlock("coarse_caps", c, n_iter, "coarse_switching_activity"),)


@register("coarse")
class Coarse(Architecture):
    summary = "coarse-only iterative SC accumulator + counter (incremental first-order loop)"
    shared_params = COARSE_SHARED + ("VOS", "VNOISE", "SIGMA_VOS")
    own_params = (ParamSpec("NITER", "", "coarse iterations N", lo=1, hi=2 ** 14,
                            integer=True),)

    def validate(self, p):
        coarse_levels(p, int_param(p, "niter"))

    def prepare_netlist(self, text, p, path):
        return with_opamp_block(text, p, path)

    def schedule(self, p):
        n = int_param(p, "niter")
        b = ScheduleBuilder(["vin", "vdac"], ["out"])
        coarse_loop(b, p, n, weight=1, vos=p["vos"], vnoise=p["vnoise"],
                    sigma_vos=p["sigma_vos"], final_subtract=False)
        return b.build(cycles=n, n_codes=coarse_levels(p, n))

    def resources(self, p, schedule) -> HardwareSpec:
        n = int_param(p, "niter")
        cb = counter_bits(n)
        return HardwareSpec(
            architecture=self.name, bits=code_bits(schedule.n_codes),
            cycles=schedule.cycles, latency=schedule.latency, vref=float(p["vref"]),
            vdd=float(p["vdd"]), caps=coarse_caps(p, n), comparators=1,
            comparator_decisions=len(schedule.decisions), opamps=1,
            opamp_seconds=schedule.latency, logic_bits=cb, logic_bit_cycles=float(cb * n),
            stages={"coarse": cb}, extras={"tclk": float(p["tclk"]), "aol": float(p["aol"]),
                                           "cpar": float(p["cpar"])})
