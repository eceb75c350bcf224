"""``sar``: NBITS-bit binary-weighted charge-redistribution SAR, top-plate sampling.

Netlist: dgcq_sim/netlists/sar.cir (reset, sampling, trial-and-restore MSB first).
Code = the SAR register, sum_k 2^k d_k; ideal code = floor(VIN/VREF*2^NBITS).
"""

from __future__ import annotations

from ...cost.spec import HardwareSpec
from ..architecture import Architecture, register
from ..dac import MAX_DAC_BITS, with_dac_block
from ..params import ParamSpec, int_param
from ..resources import sar_dac_caps
from ..schedule import ScheduleBuilder
from ..stages import sar_trials


@register("sar")
class Sar(Architecture):
    summary = "binary-weighted charge-redistribution SAR ADC (top-plate sampling)"
    shared_params = ("VREF", "VDD", "TRST", "TSAMP", "TSAR", "RON", "ROFF", "TEMP", "VOS",
                     "VNOISE", "SIGMA_VOS", "KC", "CU", "CPTOP", "VREF_SAR", "RREF")
    own_params = (ParamSpec("NBITS", "", "SAR resolution (bits)", lo=1, hi=MAX_DAC_BITS,
                            integer=True),)

    def prepare_netlist(self, text, p, path):
        return with_dac_block(text, int_param(p, "nbits"), path)

    def schedule(self, p):
        n = int_param(p, "nbits")
        b = ScheduleBuilder(["vin"] + [f"vb{k}" for k in range(n)], ["top"])
        b.set("vin", vin=1.0)
        vr = p["vref_sar"]
        for k in range(n):
            b.set(f"vb{k}", vr)
        b.step("reset", p["trst"], {"strst"})
        sar_trials(b, n, vr, vos=p["vos"], vnoise=p["vnoise"], sigma_vos=p["sigma_vos"],
                   t_samp=p["tsamp"], t_sar=p["tsar"], sample_closed={"ssamp"},
                   hold_closed=set())
        return b.build(cycles=n + 2, n_codes=2 ** n)

    def resources(self, p, schedule) -> HardwareSpec:
        n = int_param(p, "nbits")
        return HardwareSpec(
            architecture=self.name, bits=n, cycles=schedule.cycles, latency=schedule.latency,
            vref=float(p["vref"]), vdd=float(p["vdd"]),
            caps=sar_dac_caps(n, p["cu"], p["vref"]), comparators=1,
            comparator_decisions=len(schedule.decisions), opamps=0, opamp_seconds=0.0,
            logic_bits=n, logic_bit_cycles=float(n * n), stages={"fine": n},
            extras={"cptop": float(p["cptop"]), "tsar": float(p["tsar"]),
                    "tsamp": float(p["tsamp"])})
