"""Controller schedules: the phases of one conversion and how the sources follow decisions.

A schedule is what the controller of a quantizer does, written down once: the switch
configuration and length of every step, and for every controller-driven source its value
in each step as an affine function of the input voltage and of the comparator decisions
taken so far:

    u_k = u_const[k] + u_vin[k] * vin + u_dec[k] @ d        (d_j in {0, 1})

Decisions change source values only (reference-DAC and SAR bottom-plate sources), never
the topology, so one compiled program serves every input.  Decision j is taken at the end
of step ``decisions[j].step`` from probe ``decisions[j].probe``:

    d_j = [probe + offset + noise >= threshold]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine import Phase

COARSE, FINE = 0, 1


@dataclass(frozen=True)
class Decision:
    """One comparator decision.

    step: index of the step at whose end it is taken.  probe: index into Schedule.probes.
    threshold, offset, noise_rms: V.  group: COARSE (counts 1) or FINE (a SAR bit).
    weight: its value in the group's sum (1 for the counter, 2^k for SAR bit k).
    """

    step: int
    probe: int
    threshold: float
    offset: float
    noise_rms: float
    group: int
    weight: int


@dataclass(frozen=True)
class Schedule:
    """Phases, probes, controller-driven source values and decisions of one conversion."""

    phases: tuple[Phase, ...]
    labels: tuple[str, ...]
    inputs: tuple[str, ...]
    probes: tuple[str, ...]
    u_const: np.ndarray        # (K, m)
    u_vin: np.ndarray          # (K, m)
    dec_ptr: np.ndarray        # (K+1,) int64: entries of step k are dec_ptr[k]:dec_ptr[k+1]
    dec_input: np.ndarray      # (E,) int64: which input an entry drives
    dec_index: np.ndarray      # (E,) int64: which decision it follows
    dec_coef: np.ndarray       # (E,) V per unit decision
    decisions: tuple[Decision, ...]
    cycles: int

    @property
    def n_steps(self) -> int:
        return len(self.phases)

    @property
    def latency(self) -> float:
        """Seconds per conversion (sum of the step durations)."""
        return float(sum(ph.duration for ph in self.phases))

    @property
    def decision_at_step(self) -> np.ndarray:
        """(K,) int64: index of the decision taken at the end of each step, -1 if none."""
        out = np.full(self.n_steps, -1, dtype=np.int64)
        for j, d in enumerate(self.decisions):
            out[d.step] = j
        return out

    def u_dec_step(self, k: int) -> np.ndarray:
        """Dense (m, D) decision coefficients of step k."""
        out = np.zeros((len(self.inputs), len(self.decisions)))
        for e in range(self.dec_ptr[k], self.dec_ptr[k + 1]):
            out[self.dec_input[e], self.dec_index[e]] += self.dec_coef[e]
        return out

    def source_values(self, vin: float, decisions) -> np.ndarray:
        """(K, m) source values (V) for one input and its decision sequence (0/1 array)."""
        d = np.asarray(decisions, dtype=float).reshape(-1)
        u = self.u_const + self.u_vin * vin
        for k in range(self.n_steps):
            for e in range(self.dec_ptr[k], self.dec_ptr[k + 1]):
                u[k, self.dec_input[e]] += self.dec_coef[e] * d[self.dec_index[e]]
        return u


class _Builder:
    """Accumulates steps; each input holds an affine value (const, vin coef, {j: coef})."""

    def __init__(self, inputs: list[str], probes: list[str]):
        self.inputs = [s.lower() for s in inputs]
        self.probes = [p.lower() for p in probes]
        self.value = {s: (0.0, 0.0, {}) for s in self.inputs}
        self.steps: list[tuple[Phase, str, dict]] = []
        self.decisions: list[Decision] = []

    def set(self, source: str, const: float = 0.0, vin: float = 0.0,
            dec: dict[int, float] | None = None) -> None:
        self.value[source.lower()] = (float(const), float(vin), dict(dec or {}))

    def step(self, label: str, duration: float, closed) -> int:
        self.steps.append((Phase(float(duration), frozenset(closed)), label, dict(self.value)))
        return len(self.steps) - 1

    def decide(self, probe: str, threshold: float, offset: float, noise_rms: float,
               group: int, weight: int) -> int:
        self.decisions.append(Decision(len(self.steps) - 1, self.probes.index(probe.lower()),
                                       float(threshold), float(offset), float(noise_rms),
                                       group, int(weight)))
        return len(self.decisions) - 1

    def build(self, cycles: int) -> Schedule:
        K, m = len(self.steps), len(self.inputs)
        u_const = np.zeros((K, m))
        u_vin = np.zeros((K, m))
        ptr, e_in, e_idx, e_coef = [0], [], [], []
        for k, (_, _, values) in enumerate(self.steps):
            for i, s in enumerate(self.inputs):
                c, v, dec = values[s]
                u_const[k, i], u_vin[k, i] = c, v
                for j, coef in dec.items():
                    # causality: a decision drives sources only after the step it ends
                    assert self.decisions[j].step < k, (s, k, j)
                    e_in.append(i)
                    e_idx.append(j)
                    e_coef.append(coef)
            ptr.append(len(e_in))
        return Schedule(phases=tuple(p for p, _, _ in self.steps),
                        labels=tuple(lbl for _, lbl, _ in self.steps),
                        inputs=tuple(self.inputs), probes=tuple(self.probes),
                        u_const=u_const, u_vin=u_vin,
                        dec_ptr=np.array(ptr, dtype=np.int64),
                        dec_input=np.array(e_in, dtype=np.int64),
                        dec_index=np.array(e_idx, dtype=np.int64),
                        dec_coef=np.array(e_coef, dtype=float),
                        decisions=tuple(self.decisions), cycles=int(cycles))


def _coarse_steps(b: _Builder, p: dict, n_iter: int, vos: float, vnoise: float,
                  final_subtract: bool, extra_reset: tuple[str, ...] = ()) -> None:
    """Reset + N iterations of the SC integrator (+ the final subtract-only period)."""
    half = p["tclk"] / 2.0
    vref = p["vref"]
    b.set("vin", vin=1.0)
    b.set("vdac", 0.0)
    b.step("reset+sample", half, {"srst", "s1a", "s1x", *extra_reset})
    prev = None
    for i in range(1, n_iter + 1):
        b.set("vdac", dec={prev: vref} if prev is not None else None)
        b.step(f"integrate {i}", half, {"s2a", "s2x"})
        prev = b.decide("out", vref, vos, vnoise, COARSE, 1)
        b.set("vdac", 0.0)
        if i < n_iter:
            b.step(f"sample {i + 1}", half, {"s1a", "s1x"})
    if final_subtract:
        b.step("final hold", half, {"s2a", "s1x"})
        b.set("vdac", dec={prev: vref})
        b.step("final subtract", half, {"s2a", "s2x"})
        b.set("vdac", 0.0)


def _sar_steps(b: _Builder, n_bits: int, vr: float, vos: float, vnoise: float,
               t_samp: float, t_sar: float, sample_closed: set, hold_closed: set,
               zero_at_sampling: int | None = None) -> None:
    """Sampling onto the top plate, then trial-and-restore MSB first (see blocks.sar_logic)."""
    for k in range(n_bits):
        b.set(f"vb{k}", 0.0 if k == zero_at_sampling else vr)
    b.step("sar sample", t_samp, sample_closed)
    for k in range(n_bits):
        b.set(f"vb{k}", vr)
    for k in range(n_bits - 1, -1, -1):
        b.set(f"vb{k}", 0.0)
        b.step(f"sar trial bit {k}", t_sar, hold_closed)
        j = b.decide("top", 0.0, vos, vnoise, FINE, 1 << k)
        # plate k stays at 0 if the bit is 1, returns to VR if it is 0: VR*(1 - d_j)
        b.set(f"vb{k}", vr, dec={j: -vr})


def coarse_schedule(p: dict) -> Schedule:
    """Coarse-only quantizer: NITER iterations, count = number of subtractions."""
    b = _Builder(["vin", "vdac"], ["out"])
    n = int(p["niter"])
    _coarse_steps(b, p, n, p["vos"], p["vnoise"], final_subtract=False)
    return b.build(cycles=n)


def sar_schedule(p: dict) -> Schedule:
    """Plain SAR: reset of the top plate, sampling, NBITS trials."""
    n = int(p["nbits"])
    b = _Builder(["vin"] + [f"vb{k}" for k in range(n)], ["top"])
    b.set("vin", vin=1.0)
    vr = p["vref_sar"]
    for k in range(n):
        b.set(f"vb{k}", vr)
    b.step("reset", p["trst"], {"strst"})
    _sar_steps(b, n, vr, p["vos"], p["vnoise"], p["tsamp"], p["tsar"], {"ssamp"}, set())
    return b.build(cycles=n + 2)


def dgcq_schedule(p: dict) -> Schedule:
    """DGCQ: 2^NC coarse iterations, final subtraction, then an (NF+OVERRANGE)-bit SAR."""
    n_iter = 2 ** int(p["nc"])
    nb_sar = int(p["nf"]) + int(p["overrange"])
    b = _Builder(["vin", "vdac"] + [f"vb{k}" for k in range(nb_sar)], ["out", "top"])
    vr = p["vref_sar"]
    for k in range(nb_sar):
        b.set(f"vb{k}", vr)
    _coarse_steps(b, p, n_iter, p["vos_c"], p["vnoise_c"], final_subtract=True,
                  extra_reset=("strst",))
    zero = nb_sar - 2 if int(p["overrange"]) else None
    _sar_steps(b, nb_sar, vr, p["vos"], p["vnoise"], p["tsamp"], p["tsar"],
               {"s2a", "s1x", "ssamp"}, {"s2a", "s1x"}, zero_at_sampling=zero)
    return b.build(cycles=n_iter + 1 + 1 + nb_sar)
