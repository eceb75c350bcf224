"""``dgcq``: dual-granularity cooperative quantizer — 2^NC coarse iterations give the
MSBs (counter), an (NF+OVERRANGE)-bit SAR converts the residue.

Netlist: dgcq_sim/netlists/dgcq.cir.  Code = count*2^NF + fine - (2^(NF-1) with
over-range); ideal code = floor(N*GAIN*2^NF*VIN/VREF).
"""

from __future__ import annotations

from ...cost.spec import HardwareSpec
from ..architecture import Architecture, code_bits, register
from ..dac import MAX_DAC_BITS, with_dac_block, with_opamp_block
from ..params import DesignParameterError, ParamSpec, int_param
from ..resources import counter_bits, sar_dac_caps
from ..schedule import ScheduleBuilder
from ..stages import coarse_loop, sar_trials
from .coarse import COARSE_SHARED, coarse_caps, coarse_levels


def _sar_bits(p) -> int:
    return int_param(p, "nf") + int_param(p, "overrange")


@register("dgcq")
class Dgcq(Architecture):
    summary = "DGCQ: coarse SC accumulator + counter (MSBs), SAR on the residue (LSBs)"
    shared_params = COARSE_SHARED + ("VOS_C", "VNOISE_C", "SIGMA_VOS_C", "VOS", "VNOISE",
                                     "SIGMA_VOS", "CU", "CPTOP", "TSAMP", "TSAR", "VREF_SAR")
    own_params = (
        ParamSpec("NC", "", "coarse bits: N = 2^NC coarse iterations", lo=0, hi=13,
                  integer=True),
        ParamSpec("NF", "", "fine (SAR) bits", lo=1, hi=MAX_DAC_BITS, integer=True),
        ParamSpec("OVERRANGE", "", "1: one redundant SAR bit, residue range [-VREF/2, "
                  "3VREF/2) with digital correction", lo=0, hi=1, integer=True),
    )

    def validate(self, p):
        if _sar_bits(p) > MAX_DAC_BITS:
            raise DesignParameterError(
                f"NF + OVERRANGE = {_sar_bits(p)} SAR bits exceed {MAX_DAC_BITS} (NF = "
                f"{int_param(p, 'nf')}, OVERRANGE = {int_param(p, 'overrange')})")
        coarse_levels(p, 2 ** int_param(p, "nc"))

    def prepare_netlist(self, text, p, path):
        return with_opamp_block(with_dac_block(text, _sar_bits(p), path), p, path)

    def schedule(self, p):
        n_iter = 2 ** int_param(p, "nc")
        nf, ovr = int_param(p, "nf"), int_param(p, "overrange")
        nb = nf + ovr
        b = ScheduleBuilder(["vin", "vdac"] + [f"vb{k}" for k in range(nb)], ["out", "top"])
        vr = p["vref_sar"]
        for k in range(nb):
            b.set(f"vb{k}", vr)
        coarse_loop(b, p, n_iter, weight=2 ** nf, vos=p["vos_c"], vnoise=p["vnoise_c"],
                    sigma_vos=p["sigma_vos_c"], final_subtract=True, extra_reset=("strst",))
        sar_trials(b, nb, vr, vos=p["vos"], vnoise=p["vnoise"], sigma_vos=p["sigma_vos"],
                   t_samp=p["tsamp"], t_sar=p["tsar"], sample_closed={"s2a", "s1x", "ssamp"},
                   hold_closed={"s2a", "s1x"}, zero_at_sampling=nb - 2 if ovr else None)
        return b.build(cycles=n_iter + 2 + nb, n_codes=coarse_levels(p, n_iter) * 2 ** nf,
                       code_offset=2 ** (nf - 1) if ovr else 0)

    def resources(self, p, schedule) -> HardwareSpec:
        n_iter = 2 ** int_param(p, "nc")
        nb = _sar_bits(p)
        cb = counter_bits(n_iter)
        return HardwareSpec(
            architecture=self.name, bits=code_bits(schedule.n_codes),
            cycles=schedule.cycles, latency=schedule.latency, vref=float(p["vref"]),
            vdd=float(p["vdd"]), caps=sar_dac_caps(nb, p["cu"], p["vref"]) + coarse_caps(p, n_iter),
            comparators=2, comparator_decisions=len(schedule.decisions), opamps=1,
            opamp_seconds=schedule.latency, logic_bits=nb + cb,
            logic_bit_cycles=float(nb * nb + cb * n_iter),
            stages={"coarse": int_param(p, "nc"), "fine": int_param(p, "nf")},
            extras={"tclk": float(p["tclk"]), "aol": float(p["aol"]), "cpar": float(p["cpar"]),
                    "cptop": float(p["cptop"]), "vref_sar": float(p["vref_sar"])})
