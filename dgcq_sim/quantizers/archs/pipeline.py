"""``pipeline``: pipelined ADC of NSTAGES 1.5-bit flip-around MDAC stages + a 2-bit flash.

Netlist: dgcq_sim/netlists/pipeline.cir (its header documents every parameter).  Unipolar
input [0, VREF).  Stage i (1..NSTAGES) has input x_i (x_1 = VIN, x_i = v(o<i-1>)), two
sub-ADC comparators at 3VREF/8 and 5VREF/8 giving D_i = d_lo + d_hi in {0, 1, 2}, and a
flip-around MDAC (CS = CF) whose residue is

    x_{i+1} = (1 + CS/CF) x_i - (CS/CF) VDAC_i ,  VDAC_i = D_i VREF/2   (ideal: 2x_i - D_i VREF/2)

in [0, VREF) for any sub-ADC offset below VREF/8 (the 1.5-bit redundancy).  A final 2-bit
flash (VREF/4, VREF/2, 3VREF/4) reads x_{N+1}.  Because x_1 = sum_i D_i VREF/2^(i+1) +
x_{N+1}/2^N exactly, the digital correction is linear in the decisions:

    code = sum_i D_i 2^(N+1-i) + F ,   n_codes = 2^(N+2)

(each stage comparator weighs 2^(N+1-i), each flash comparator 1); ideal code =
floor(VIN/VREF 2^(N+2)).  Finite op-amp gain (E element, gain AOL) and the virtual-ground
parasitic CPAR make the stage gain (charge conservation on the top plate, derived in
tests/quantizers/test_arch_pipeline.py)

    G = (1 + CS/CF) / (1 + (CS + CF + CPAR)/(CF AOL)) .

Schedule (K = NSTAGES + 1 steps of TCLK/2): step 0 every stage tracks its input (bottom
plates at the input, top plate grounded, op-amp output reset to the virtual ground); stage
1's comparators decide at its end.  Step i (1..N): stage i flips to amplify (CF from the
top plate to the output, CS's bottom plate to vdac<i> = D_i VREF/2) while stage i+1 tracks
its residue; stage i+1's comparators (or, after step N, the flash) decide at the end of
the step.  Comparators read the sampled stage input (the voltage on CS<i>, see
:func:`stage_probe`; the flash its own sampling capacitor CFLASH on node ``fl``).  A stage that has amplified holds its residue for the rest of the
conversion (the next stage has stopped sampling it), so every switch changes once and
the stage handing over its residue never switches at the instant the next one samples.
"""

from __future__ import annotations

import math

from ...cost.spec import CapBlock, HardwareSpec
from ..architecture import Architecture, register
from ..dac import opamp_lines, opamp_noise_resistance, with_block
from ..opamp_limits import opamp_limits
from ..params import ParamSpec, int_param
from ..schedule import ScheduleBuilder

MAX_STAGES = 12

#: per stage, the switches closed while it tracks its input / while it amplifies (holds)
TRACK = ("a", "b", "g", "r")
AMPLIFY = ("d", "f")

#: reference energy per conversion of one stage as a fraction of CS*VREF^2: the reference
#: delivers CS*(VDAC - x) at VDAC; for x uniform on [0, VREF): D = 2 over [5/8, 1) gives
#: int (1 - x) dx = 9/128, D = 1 averages to 0, D = 0 draws nothing.
REFERENCE_ACTIVITY = 9.0 / 128.0


def stage_input(i: int) -> str:
    """Node at the input of stage i (1-based): vin, then the previous residue o<i-1>."""
    return "vin" if i == 1 else f"o{i - 1}"


def stage_probe(i: int) -> tuple[str, str]:
    """What stage i's sub-ADC comparators read: the voltage sampled on CS<i> (a<i> - g<i>).

    The comparators decide on the sampled stage input, not on the op-amp output o<i-1>:
    an E element has no output impedance or bandwidth limit, so its output carries the
    switch noise over an unbounded loop bandwidth (variance growing with AOL), which a
    real comparator, with its own input sampling, never sees."""
    return (f"a{i}", f"g{i}")


def stage_block(n_stages: int, gbw: float = 0.0, noise_r: float = 0.0,
                limits=None) -> list[str]:
    """Element lines of ``n_stages`` MDAC stages with their switch controls.

    Stage i: switches s<i>a (input -> CS bottom a<i>), s<i>b (input -> CF bottom b<i>),
    s<i>g (top plate g<i> -> ground), s<i>r (output o<i> -> g<i>, op-amp reset) conduct
    while it tracks; s<i>d (vdac<i> -> a<i>) and s<i>f (b<i> -> o<i>, CF flipped to the
    output) while it amplifies.  The flash tracks the last residue on ``cfl`` (CFLASH)
    through ``sfl``.  The vc* sources give the schedule with VDAC = 0 for a plain ngspice
    run (stage i amplifies from t = i*TCLK/2 on)."""
    lines = []
    for i in range(1, n_stages + 1):
        src = stage_input(i)
        t = f"{{{i}*TCLK/2}}"
        lines.append(f"* stage {i}: input {src}, residue o{i}")
        lines.append(f"vdac{i} d{i} 0 DC 0")
        for s in TRACK:
            lines.append(f"vcs{i}{s} cs{i}{s} 0 PULSE({{VDD}} 0 {t} {{TEDGE}} {{TEDGE}} 1 2)")
        for s in AMPLIFY:
            lines.append(f"vcs{i}{s} cs{i}{s} 0 PULSE(0 {{VDD}} {t} {{TEDGE}} {{TEDGE}} 1 2)")
        lines += [f"s{i}a {src} a{i} cs{i}a 0 swm",
                  f"s{i}b {src} b{i} cs{i}b 0 swm",
                  f"s{i}g g{i} 0 cs{i}g 0 swm",
                  f"s{i}r o{i} g{i} cs{i}r 0 swm",
                  f"s{i}d d{i} a{i} cs{i}d 0 swm",
                  f"s{i}f b{i} o{i} cs{i}f 0 swm",
                  f"cs{i} a{i} g{i} {{CS}}",
                  f"cf{i} b{i} g{i} {{CF}}",
                  f"cpar{i} g{i} 0 {{CPAR}}",
                  *opamp_lines(f"o{i}", f"g{i}", gbw, str(i), noise_r, limits)]
    t = f"{{{n_stages + 1}*TCLK/2}}"
    lines += [f"* flash input: tracks o{n_stages} on cfl, its comparators latch at the end",
              f"vcsfl csfl 0 PULSE({{VDD}} 0 {t} {{TEDGE}} {{TEDGE}} 1 2)",
              f"sfl o{n_stages} fl csfl 0 swm",
              "cfl fl 0 {CFLASH}"]
    return lines


def with_stage_block(text: str, n_stages: int, path: str = "<netlist>",
                     gbw: float = 0.0, noise_r: float = 0.0, limits=None) -> str:
    """``text`` with its ``*@stages`` block replaced by one for ``n_stages`` stages (op-amps
    of bandwidth ``gbw``, 0 = ideal, see dac.opamp_lines)."""
    return with_block(text, "stages", stage_block(n_stages, gbw, noise_r, limits), path,
                      f"generated for {n_stages} stages; ")


def stage_switches(i: int, amplifying: bool) -> set[str]:
    """Switches of stage i that conduct while it tracks (False) or amplifies (True)."""
    return {f"s{i}{s}" for s in (AMPLIFY if amplifying else TRACK)}


@register("pipeline")
class Pipeline(Architecture):
    summary = ("pipelined ADC: NSTAGES 1.5-bit flip-around MDAC stages (digital redundancy "
               "correction) + 2-bit flash")
    shared_params = ("VREF", "VDD", "TCLK", "RON", "ROFF", "TEMP", "VOS", "VNOISE",
                     "SIGMA_VOS", "KC", "AOL", "GBW", "VN_OPAMP", "SR", "VOUT_MIN", "VOUT_MAX",
                     "CPAR", "RREF")
    own_params = (
        ParamSpec("NSTAGES", "", "number of 1.5-bit MDAC stages (resolution NSTAGES + 2 bits)",
                  lo=1, hi=MAX_STAGES, integer=True),
        ParamSpec("CS", "F", "MDAC sampling capacitor of every stage (CS = CF: stage gain 2)",
                  lo=0, lo_open=True),
        ParamSpec("CF", "F", "MDAC feedback (flip-around) capacitor of every stage", lo=0,
                  lo_open=True),
        ParamSpec("CFLASH", "F", "input sampling capacitor of the final 2-bit flash", lo=0,
                  lo_open=True),
    )

    def prepare_netlist(self, text, p, path):
        return with_stage_block(text, int_param(p, "nstages"), path, p["gbw"],
                                opamp_noise_resistance(p), opamp_limits(p))

    def schedule(self, p):
        n = int_param(p, "nstages")
        vref, half = p["vref"], p["tclk"] / 2.0
        cmp = dict(offset=p["vos"], noise_rms=p["vnoise"], sigma_offset=p["sigma_vos"])
        b = ScheduleBuilder(["vin"] + [f"vdac{i}" for i in range(1, n + 1)],
                            [stage_probe(i) for i in range(1, n + 1)] + ["fl"])
        b.set("vin", vin=1.0)
        flash = {"sfl"}

        def closed(k: int) -> set[str]:      # step k: stages 1..k amplify, the rest track
            out = set(flash)
            for i in range(1, n + 1):
                out |= stage_switches(i, amplifying=i <= k)
            return out

        def sub_adc(i: int) -> tuple[int, int]:
            w, lbl = 2 ** (n + 1 - i), f"stage {i}"
            lo = b.decide(stage_probe(i), 3 * vref / 8, weight=w, stage=lbl,
                          comparator=f"s{i}.lo", **cmp)
            hi = b.decide(stage_probe(i), 5 * vref / 8, weight=w, stage=lbl,
                          comparator=f"s{i}.hi", **cmp)
            return lo, hi

        b.step("stage 1 sample", half, closed(0))
        dec = sub_adc(1)
        for k in range(1, n + 1):
            # VDAC_k = D_k VREF/2 = (d_lo + d_hi) VREF/2, held for the rest of the conversion
            b.set(f"vdac{k}", 0.0, dec={j: vref / 2 for j in dec})
            b.step(f"stage {k} amplify" + (f" / stage {k + 1} sample" if k < n else
                                           " / flash sample"), half, closed(k))
            if k < n:
                dec = sub_adc(k + 1)
        for q in (1, 2, 3):
            b.decide("fl", q * vref / 4, weight=1, stage="flash", comparator=f"flash.{q}",
                     **cmp)
        return b.build(cycles=math.ceil((n + 1) / 2), n_codes=2 ** (n + 2))

    def resources(self, p, schedule) -> HardwareSpec:
        n = int_param(p, "nstages")
        vref = float(p["vref"])
        caps = []
        for i in range(1, n + 1):
            caps.append(CapBlock(f"stage{i}_sampling", p["cs"] + p["cf"], 1,
                                 "sampling_energy_fraction"))
            caps.append(CapBlock(f"stage{i}_reference", p["cs"], 1, REFERENCE_ACTIVITY,
                                 in_area=False))
        bits = n + 2
        cpar = 0.0 if p.get("cpar1", None) == 0.0 else float(p["cpar"])   # removed by ideal
        return HardwareSpec(
            architecture=self.name, bits=bits, cycles=schedule.cycles,
            latency=schedule.latency, vref=vref, vdd=float(p["vdd"]), caps=tuple(caps),
            comparators=2 * n + 3, comparator_decisions=len(schedule.decisions),
            # op-amps stay biased; at full throughput one conversion per TCLK
            opamps=n, opamp_seconds=n * float(p["tclk"]),
            # digital correction: the (N+2)-bit code word, clocked over the latency
            logic_bits=bits, logic_bit_cycles=float(bits * schedule.cycles),
            stages={**{f"stage {i}": 1 for i in range(1, n + 1)}, "flash": 2},
            extras={"tclk": float(p["tclk"]), "aol": float(p["aol"]), "cpar": cpar,
                    "throughput_period": float(p["tclk"])})
