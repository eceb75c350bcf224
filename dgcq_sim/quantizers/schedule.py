"""Controller schedules: the phases of one conversion and how the sources follow decisions.

A schedule is what the controller of a quantizer does, written down once: the switch
configuration and length of every step, and for every controller-driven source its value
in each step as an affine function of the input voltage and of the comparator decisions
taken so far:

    u_k = u_const[k] + u_vin[k] * vin + u_dec[k] @ d        (d_j in {0, 1})

Decisions change source values only (reference-DAC and bottom-plate sources), never the
topology, so one compiled program serves every input.  Any number of decisions may end a
step (a flash takes 2^N - 1 at once); decision j is taken at the end of step
``decisions[j].step`` from probe ``decisions[j].probe``:

    d_j = [probe + offset + noise >= threshold]

and the output code is linear in the decisions (every back end we model is):

    code = clip(sum_j weight_j * d_j - code_offset, 0, n_codes - 1)

Each decision belongs to a named *stage* ("coarse", "fine", "stage 3" ...) for reporting:
a stage's value is the sum of its decisions' weights divided by the stage's smallest weight
(the coarse count, the SAR register, a pipeline stage's digit).

Schedules are written with :class:`ScheduleBuilder` (see its docstring and
docs/architectures.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from ..engine import Phase
from ..errors import QuantizerError


@dataclass(frozen=True)
class Decision:
    """One comparator decision.

    step: index of the step at whose end it is taken.  probe: index into Schedule.probes.
    threshold, offset, noise_rms: V.  weight: its (integer) contribution to the code.
    stage: label of the stage it belongs to.  comparator: name of the physical comparator
    that takes it (decisions of one comparator share its random instance offset).
    sigma_offset: sigma (V) of that comparator's per-instance random offset.
    metastable: half-width (V) of the input window in which the latch has not regenerated
    by the time the decision is used (see params TAU_REG, TDEC); with noise on, a decision
    inside it resolves at random (1/2 each), noise-free it resolves to its sign.
    """

    step: int
    probe: int
    threshold: float
    offset: float
    noise_rms: float
    weight: int
    stage: str
    comparator: str = "cmp"
    sigma_offset: float = 0.0
    metastable: float = 0.0


@dataclass(frozen=True)
class Schedule:
    """Phases, probes, controller-driven source values, decisions and code assembly.

    The per-decision views (weights, stages, step_decisions, ...) are derived once on first
    use (the schedule is immutable; ``with_offsets`` and friends return a new one)."""

    phases: tuple[Phase, ...]
    labels: tuple[str, ...]
    inputs: tuple[str, ...]
    probes: tuple
    u_const: np.ndarray        # (K, m)
    u_vin: np.ndarray          # (K, m)
    dec_ptr: np.ndarray        # (K+1,) int64: entries of step k are dec_ptr[k]:dec_ptr[k+1]
    dec_input: np.ndarray      # (E,) int64: which input an entry drives
    dec_index: np.ndarray      # (E,) int64: which decision it follows
    dec_coef: np.ndarray       # (E,) V per unit decision
    decisions: tuple[Decision, ...]
    cycles: int
    n_codes: int
    code_offset: int = 0

    @property
    def n_steps(self) -> int:
        return len(self.phases)

    @property
    def latency(self) -> float:
        """Seconds per conversion (sum of the step durations)."""
        return float(sum(ph.duration for ph in self.phases))

    @cached_property
    def step_decisions(self) -> np.ndarray:
        """(K+1,) int64: decisions taken at the end of step k are
        ``step_decisions[k]:step_decisions[k+1]`` (decisions are in step order)."""
        steps = np.array([d.step for d in self.decisions], dtype=np.int64)
        return np.searchsorted(steps, np.arange(self.n_steps + 1), side="left").astype(np.int64)

    @cached_property
    def weights(self) -> np.ndarray:
        """(D,) int64 code weight of each decision."""
        return np.array([d.weight for d in self.decisions], dtype=np.int64)

    @cached_property
    def stages(self) -> tuple[str, ...]:
        """Stage labels in order of first decision."""
        return tuple(dict.fromkeys(d.stage for d in self.decisions))

    @cached_property
    def stage_index(self) -> np.ndarray:
        """(D,) int64: index into :attr:`stages` of each decision."""
        pos = {s: i for i, s in enumerate(self.stages)}
        return np.array([pos[d.stage] for d in self.decisions], dtype=np.int64)

    def stage_unit(self, stage: str) -> int:
        """Smallest |weight| of the stage's decisions (the stage value's unit)."""
        w = [abs(d.weight) for d in self.decisions if d.stage == stage and d.weight != 0]
        return min(w) if w else 1

    def stage_max(self, stage: str) -> int:
        """Largest value the stage can take (all its positive-weight decisions at 1)."""
        unit = self.stage_unit(stage)
        return sum(max(d.weight, 0) for d in self.decisions if d.stage == stage) // unit

    @cached_property
    def comparators(self) -> tuple[str, ...]:
        """Physical comparator names in order of first decision."""
        return tuple(dict.fromkeys(d.comparator for d in self.decisions))

    def with_offsets(self, extra: np.ndarray) -> "Schedule":
        """The same schedule with ``extra`` (D,) volts added to the decisions' offsets."""
        decs = tuple(replace(d, offset=d.offset + float(e)) for d, e in zip(self.decisions, extra))
        return replace(self, decisions=decs)

    def with_metastability(self, window: float) -> "Schedule":
        """The same schedule with every decision's metastability window set to ``window`` V."""
        return replace(self, decisions=tuple(replace(d, metastable=float(window))
                                             for d in self.decisions))

    @cached_property
    def metastable(self) -> np.ndarray:
        """(D,) metastability windows, V."""
        return np.array([d.metastable for d in self.decisions], dtype=np.float64)

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

    def assemble(self, stage_sums: np.ndarray) -> np.ndarray:
        """Codes from (S, G) per-stage weighted decision sums: sum - offset, clipped."""
        code = np.asarray(stage_sums, np.int64).sum(axis=1) - self.code_offset
        return np.clip(code, 0, self.n_codes - 1)


#: Longest schedule a controller may write (steps per conversion): compiling one costs
#: memory and time linear in it; 2^15 covers 16 384 coarse iterations.
MAX_STEPS = 2 ** 15


class ScheduleBuilder:
    """Write a controller schedule step by step.

    ``inputs``: names of the controller-driven independent sources (one must be the input
    source, by convention ``vin``); ``probes``: node names or (pos, neg) node pairs that
    comparators read.  Then, in time order::

        b.set("vin", vin=1.0)                 # source value: const + vin*VIN + sum coef*d_j
        b.step("sample", TSAMP, {"ssamp"})    # a step: its label, length (s), closed switches
        j = b.decide("top", 0.0, weight=512, stage="fine")   # a decision ends that step
        b.set("vb9", vref, dec={j: -vref})    # later steps may follow earlier decisions
        schedule = b.build(cycles=12, n_codes=1024)

    Every source keeps its value until set again.  A decision may drive sources only in
    later steps (checked by :meth:`build`).
    """

    def __init__(self, inputs, probes):
        self.inputs = [s.lower() for s in inputs]
        self.probes = [p.lower() if isinstance(p, str) else tuple(q.lower() for q in p)
                       for p in probes]
        self.value = {s: (0.0, 0.0, {}) for s in self.inputs}
        self.steps: list[tuple[Phase, str, dict]] = []
        self.decisions: list[Decision] = []

    def set(self, source: str, const: float = 0.0, vin: float = 0.0,
            dec: dict[int, float] | None = None) -> None:
        """From the next step on, ``source`` = const + vin*VIN + sum_j dec[j]*d_j (V or A)."""
        key = source.lower()
        if key not in self.value:
            raise QuantizerError(f"schedule sets {source!r}, which is not one of its inputs "
                                 f"{self.inputs}")
        self.value[key] = (float(const), float(vin), dict(dec or {}))

    def step(self, label: str, duration: float, closed) -> int:
        """Append a step of ``duration`` s with switches ``closed``; returns its index."""
        if len(self.steps) >= MAX_STEPS:
            raise QuantizerError(f"the controller's schedule exceeds {MAX_STEPS} steps per "
                                 f"conversion (the limit of what is compiled); use fewer "
                                 f"iterations or bits")
        self.steps.append((Phase(float(duration), frozenset(closed)), label, dict(self.value)))
        return len(self.steps) - 1

    def decide(self, probe, threshold: float = 0.0, *, offset: float = 0.0,
               noise_rms: float = 0.0, weight: int = 1, stage: str = "main",
               comparator: str = "cmp", sigma_offset: float = 0.0) -> int:
        """A decision at the end of the last step: d = [probe + offset + noise >= threshold].

        Returns its index j (for :meth:`set`'s ``dec``)."""
        if not self.steps:
            raise QuantizerError("a decision needs a step before it")
        key = probe.lower() if isinstance(probe, str) else tuple(q.lower() for q in probe)
        if key not in self.probes:
            raise QuantizerError(f"decision reads probe {probe!r}, not one of {self.probes}")
        if int(weight) != weight:
            raise QuantizerError(f"decision weights must be integers, got {weight!r}")
        self.decisions.append(Decision(len(self.steps) - 1, self.probes.index(key),
                                       float(threshold), float(offset), float(noise_rms),
                                       int(weight), str(stage), str(comparator),
                                       float(sigma_offset)))
        return len(self.decisions) - 1

    def build(self, cycles: int, n_codes: int, code_offset: int = 0) -> Schedule:
        """The finished :class:`Schedule` (``cycles`` clock cycles per conversion,
        ``n_codes`` output codes, code = sum weight*d - ``code_offset``)."""
        K, m = len(self.steps), len(self.inputs)
        if K == 0:
            raise QuantizerError("a schedule needs at least one step")
        if int(n_codes) < 2:
            raise QuantizerError(f"a quantizer needs at least 2 output codes, got {n_codes}")
        u_const = np.zeros((K, m))
        u_vin = np.zeros((K, m))
        ptr, e_in, e_idx, e_coef = [0], [], [], []
        for k, (_, _, values) in enumerate(self.steps):
            for i, s in enumerate(self.inputs):
                c, v, dec = values[s]
                u_const[k, i], u_vin[k, i] = c, v
                for j, coef in dec.items():
                    if not self.decisions[j].step < k:
                        raise QuantizerError(
                            f"source {s!r} follows decision {j} in step {k} "
                            f"({self.steps[k][1]!r}), but that decision is only taken at the "
                            f"end of step {self.decisions[j].step}")
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
                        decisions=tuple(self.decisions), cycles=int(cycles),
                        n_codes=int(n_codes), code_offset=int(code_offset))
