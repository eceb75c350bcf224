"""``ramp``: single-slope ADC — track-and-hold, active RC ramp integrator, one comparator
and a counter.

Netlist: dgcq_sim/netlists/ramp.cir.  After sample+reset the ramp out rises with slope
VREF/(RRAMP*CF); at the end of clock period k = 1 .. 2^NBITS-1 (TDCMP early, the comparator
delay) the comparator decides d_k = [v(hold) - v(out) + VOS >= 0] and the counter counts
the ones (each decision weighs 1, stage "count"); ideal code = floor(VIN/VREF*2^NBITS).

:func:`ramp_voltage` is the closed-form ramp of the netlist's integrator with finite op-amp
gain, virtual-ground parasitic and the leak of the open reset switch.
"""

from __future__ import annotations

import numpy as np

from ...cost.spec import CapBlock, HardwareSpec
from ..architecture import Architecture, register
from ..dac import with_opamp_block
from ..params import DesignParameterError, ParamSpec, int_param
from ..resources import counter_bits
from ..schedule import ScheduleBuilder

MAX_RAMP_BITS = 12


def ramp_voltage(t, p) -> np.ndarray:
    """Closed-form ramp out(t) (V) of ramp.cir, ``t`` (s) from the start of the ramp.

    KCL at the virtual ground vg = -out/AOL with the reference at -VREF through RRAMP,
    CF and the open reset switch (ROFF) from vg to out, CPAR from vg to ground:
    Ceff*dout/dt = VREF/RRAMP - g*out, g = 1/(AOL*RRAMP) + (1 + 1/AOL)/ROFF,
    Ceff = CF*(1 + 1/AOL) + CPAR/AOL, out(0) = 0.
    """
    t = np.asarray(t, dtype=float)
    a, r, roff = p["aol"], p["rramp"], p["roff"]
    g = 1.0 / (a * r) + (1.0 + 1.0 / a) / roff
    ceff = p["cf"] * (1.0 + 1.0 / a) + p.get("cpar", 0.0) / a
    return p["vref"] / (r * g) * -np.expm1(-t * g / ceff)


@register("ramp")
class Ramp(Architecture):
    summary = "single-slope ramp ADC: track-and-hold, active RC ramp integrator, counter"
    shared_params = ("VREF", "VDD", "TCLK", "TSAMP", "RON", "ROFF", "TEMP", "VOS", "VNOISE",
                     "SIGMA_VOS", "KC", "AOL", "GBW", "VN_OPAMP", "SR", "VOUT_MIN", "VOUT_MAX",
                     "CPAR", "CF")
    own_params = (
        ParamSpec("NBITS", "", "resolution: 2^NBITS codes, 2^NBITS-1 ramp periods", lo=1,
                  hi=MAX_RAMP_BITS, integer=True),
        ParamSpec("TDCMP", "s", "comparator delay: each decision is taken TDCMP before the "
                  "end of its clock period (code shift TDCMP/TCLK LSB); must be < TCLK",
                  lo=0, ideal=0.0),
        ParamSpec("CH", "F", "hold capacitor of the track-and-hold", lo=0, lo_open=True),
        ParamSpec("RRAMP", "ohm", "ramp integrator input resistor (slope VREF/(RRAMP*CF))",
                  lo=0, lo_open=True,
                  source="netlist expression 2^NBITS*TCLK/CF: the ramp reaches VREF after "
                         "2^NBITS clock periods"),
        ParamSpec("CPC", "F", "parasitic coupling from the hold node to the ramp output "
                  "(comparator input-to-input; gain error CPC/(CH+CPC))", lo=0),
    )

    def validate(self, p):
        if not p["tdcmp"] < p["tclk"]:
            raise DesignParameterError(
                f"TDCMP = {p['tdcmp']:g} s (comparator delay) must be shorter than the clock "
                f"period TCLK = {p['tclk']:g} s")

    def prepare_netlist(self, text, p, path):
        return with_opamp_block(text, p, path)

    def schedule(self, p):
        n = int_param(p, "nbits")
        tclk, tdcmp = p["tclk"], p["tdcmp"]
        b = ScheduleBuilder(["vin", "vramp"], [("hold", "out")])
        b.set("vin", vin=1.0)
        b.set("vramp", 0.0)
        b.step("sample+reset", p["tsamp"], {"ssamp", "srst"})
        b.set("vramp", -p["vref"])
        for k in range(1, 2 ** n):
            b.step(f"ramp {k}", tclk - tdcmp, ())
            b.decide(("hold", "out"), 0.0, offset=p["vos"], noise_rms=p["vnoise"], weight=1,
                     stage="count", comparator="ramp", sigma_offset=p["sigma_vos"])
            if tdcmp > 0:
                b.step(f"ramp {k} delay", tdcmp, ())
        return b.build(cycles=2 ** n, n_codes=2 ** n)

    def resources(self, p, schedule) -> HardwareSpec:
        n = int_param(p, "nbits")
        periods = 2 ** n - 1
        cb = counter_bits(periods)
        return HardwareSpec(
            architecture=self.name, bits=n, cycles=schedule.cycles, latency=schedule.latency,
            vref=float(p["vref"]), vdd=float(p["vdd"]),
            # the hold cap is charged to the input once; CF is charged along the ramp from
            # the reference (about CF*VREF^2 drawn at full scale) and reset once
            caps=(CapBlock("hold_sampling", p["ch"], 1, "sampling_energy_fraction"),
                  CapBlock("ramp_integrator", p["cf"], 1, 1.0)),
            comparators=1, comparator_decisions=len(schedule.decisions), opamps=1,
            opamp_seconds=schedule.latency, logic_bits=cb,
            logic_bit_cycles=float(cb * periods), stages={"count": n},
            extras={"tclk": float(p["tclk"]), "tdcmp": float(p["tdcmp"]),
                    "aol": float(p["aol"]), "rramp": float(p["rramp"]),
                    "slope_v_per_s": float(p["vref"] / (p["rramp"] * p["cf"]))})


def transition_levels(p) -> np.ndarray:
    """Closed-form input levels (V) of the 2^NBITS-1 code transitions, no noise:
    v(hold) - v(out) + VOS = 0 at t_k = k*TCLK - TDCMP with v(hold) = VIN + alpha*out,
    alpha = CPC/(CH+CPC)."""
    n = int_param(p, "nbits")
    t = np.arange(1, 2 ** n) * p["tclk"] - p["tdcmp"]
    alpha = p.get("cpc", 0.0) / (p["ch"] + p.get("cpc", 0.0))
    return (1.0 - alpha) * ramp_voltage(t, p) - p["vos"]

