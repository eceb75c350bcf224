"""A compiled quantizer: compile, choose a kernel, convert, Monte Carlo instances.

Built by :func:`~dgcq_sim.quantizers.load_quantizer` from a netlist and its registered
:class:`~.architecture.Architecture`.  SPICE export lives in ``export.py`` and
characterization in ``characterize.py`` (thin methods here call them).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..blocks.rng import seed_from_generator
from ..cost.spec import HardwareSpec
from ..engine import CompiledProgram, compile_program
from ..engine.nonlinear import is_nonlinear
from ..errors import InputError, ParameterError, QuantizerError
from ..inputs import MAX_CONVERT_VALUES, real_voltages  # noqa: F401  (the one input rule)
from ..netlist import Capacitor, Circuit
from .architecture import Architecture, levels_bits
from .kernels import convert_kernel, step_kernel
from .macro import MacroProgram, build_macro
from .response import ResponseTables, build_tables, initial_map, overflow_error
from .nonlinear import NonlinearConversion
from .schedule import Schedule
from .switch_charge import follow_controls

METHODS = ("response", "stepping", "nonlinear")
FEMTO = 1e-15
_MISMATCH_TAG, _OFFSET_TAG = 0x4D43, 0x564F53


@dataclass(frozen=True)
class ConversionResult:
    """Result of :meth:`Quantizer.convert`, every array shaped like the input.

    codes: output codes (int64, 0 .. n_codes-1).  estimate: centre of the ideal code bin, V.
    stages: per stage label (e.g. "coarse", "fine", "stage 1"), the stage's value — its
    weighted decision sum over its smallest weight (coarse count, SAR register as read,
    with over-range before correction, a pipeline stage's digit).
    """

    codes: np.ndarray
    estimate: np.ndarray
    stages: dict = field(default_factory=dict)

    def _stage(self, label: str) -> np.ndarray:
        got = self.stages.get(label)
        return got if got is not None else np.zeros_like(self.codes)

    @property
    def coarse(self) -> np.ndarray:
        """Value of the stage labelled "coarse" (zeros if the design has none)."""
        return self._stage("coarse")

    @property
    def fine(self) -> np.ndarray:
        """Value of the stage labelled "fine" (zeros if the design has none)."""
        return self._stage("fine")


class Quantizer:
    """A compiled quantizer (see :func:`load_quantizer`).

    Attributes: architecture (the registered :class:`Architecture`), kind (its name),
    bits (= log2 n_codes), n_codes, vmin and vmax (full-scale input range, V; inputs
    outside are clipped to it), lsb, params (resolved ``.param`` values, lower-case names,
    SI), circuit, schedule, program (the CompiledProgram), method (the kernel used by
    default), stages (stage labels).
    """

    def __init__(self, arch: Architecture, circuit: Circuit, params: dict, text: str, path: Path,
                 overrides: dict, seed: int, ideal: bool, instance_index: int | None,
                 offset_draws: dict | None = None):
        self.architecture = arch
        self.kind = arch.name
        self.circuit = circuit
        self.params = params
        self.path = path
        self.seed = seed
        self.ideal = ideal
        self.instance_index = instance_index
        self._text = text
        self._overrides = overrides
        self._offset_draws = dict(offset_draws or {})
        self._rng = np.random.default_rng(seed if instance_index is None
                                          else [seed, instance_index])
        # switches the controller does not name (charge-injection companions) follow
        # their control node
        sched = follow_controls(arch.schedule(params), circuit, float(params.get("vdd", 1.0)))
        if self._offset_draws:
            sched = sched.with_offsets(np.array(
                [d.sigma_offset * self._offset_draws.get(d.comparator, 0.0)
                 for d in sched.decisions]))
        tau = float(params.get("tau_reg", 0.0))
        if tau > 0:
            # latch regeneration: after TDEC an input v has grown to v*exp(TDEC/TAU_REG);
            # below VDD*exp(-TDEC/TAU_REG) the output is still undecided when it is used
            sched = sched.with_metastability(float(params.get("vdd", 1.0))
                                             * math.exp(-float(params["tdec"]) / tau))
        self.schedule: Schedule = sched
        temp = params.get("temp", 0.0)
        self.nonlinear: NonlinearConversion | None = None
        self._tables: ResponseTables | None = None
        self._macro: MacroProgram | None = None
        if is_nonlinear(circuit):
            # B sources (op-amp slew rate / saturation): no affine maps, every step is
            # time-stepped (quantizers/nonlinear.py)
            self.nonlinear = NonlinearConversion(circuit, sched, temp if temp > 0 else None)
            self.program = None
            self.method = "nonlinear"
        else:
            self.program: CompiledProgram = compile_program(
                circuit, sched.phases, sched.inputs, sched.probes,
                noise_temperature=temp if temp > 0 else None)
            self._z0v, self._z0c = initial_map(self.program, sched)
            # Both kernels are exact for this linear circuit; pick the cheaper per conversion.
            # Cost models fitted to benchmarks/throughput.py (ns per noisy conversion, 2 cores):
            # response ~ 0.18 D^2 + 17 D; stepping ~ 0.094 M (2r + 1)^2 + 52 D (M decision
            # steps, r states, up to r + 1 noise components per macro step).
            r = self.program.n_state
            D = len(sched.decisions)
            sp = sched.step_decisions
            M = int(np.count_nonzero(sp[1:] > sp[:-1])) + 1
            cost_response = 0.18 * D * D + 17 * D
            cost_stepping = 0.094 * M * (2 * r + 1) ** 2 + 52 * D
            self.method = "response" if cost_response <= cost_stepping else "stepping"
        self.vmin, self.vmax = (float(x) for x in arch.full_scale(params))
        self.n_codes = sched.n_codes
        b = math.log2(self.n_codes)
        self.bits = int(b) if b.is_integer() else b
        self.lsb = (self.vmax - self.vmin) / self.n_codes
        self.stages = sched.stages

    def __repr__(self) -> str:
        inst = "" if self.instance_index is None else f", instance={self.instance_index}"
        return (f"Quantizer(architecture={self.kind!r}, bits={self.bits}, "
                f"n_codes={self.n_codes}, range=[{self.vmin:g}, {self.vmax:g}] V, "
                f"ideal={self.ideal}{inst})")

    def stage_bits(self, stage: str) -> int:
        """Bits needed to print the stage's value (e.g. 3 for the 0..7 coarse count of a
        DGCQ 3+8: the largest value that still fits in the code range)."""
        sc = self.schedule
        top = (sc.n_codes - 1 + sc.code_offset) // sc.stage_unit(stage)
        return levels_bits(min(sc.stage_max(stage), top))

    # ------------------------------------------------------------------ conversion
    @property
    def tables(self) -> ResponseTables:
        """Decision-response tables of the program (built on first use)."""
        self._linear_only("decision-response tables")
        if self._tables is None:
            self._tables = build_tables(self.program, self.schedule)
        return self._tables

    @property
    def macro(self) -> MacroProgram:
        """The program's steps merged between decision steps (built on first use)."""
        self._linear_only("merged macro steps")
        if self._macro is None:
            self._macro = build_macro(self.program, self.schedule)
        return self._macro

    def _linear_only(self, what: str) -> None:
        if self.nonlinear is not None:
            raise QuantizerError(f"{what} need a circuit that is affine in the decisions; this "
                                 f"one has B sources (op-amp slew/saturation) and is converted "
                                 f"by time-stepping (method 'nonlinear')")

    @property
    def has_noise(self) -> bool:
        """True if thermal or comparator noise is on."""
        thermal = self.nonlinear.has_thermal_noise if self.nonlinear is not None else \
            bool(np.any(self.program.noise_rank > 0))
        return thermal or \
            any(d.noise_rms > 0 or d.metastable > 0 for d in self.schedule.decisions)

    def _inputs(self, v) -> tuple[np.ndarray, tuple]:
        arr = real_voltages(v)
        return np.ascontiguousarray(np.clip(arr.reshape(-1), self.vmin, self.vmax)), arr.shape

    def convert(self, v, noise: bool = True, rng: np.random.Generator | None = None,
                method: str | None = None) -> ConversionResult:
        """Convert input voltages (any-shape real float array, V) to codes.

        Inputs outside [vmin, vmax] are clipped to the range (so they give the end codes).
        An empty array, NaN/inf, or a non-real dtype (complex, strings, bool, dates)
        raise InputError.
        noise: include thermal (kT/C, resistor) and comparator noise; False gives the
        static, noise-free codes (offsets, mismatch and settling errors stay).
        rng: numpy Generator for the noise; None uses the quantizer's own (seeded) one.
        method: "response" (decision-response superposition, O(D^2) per conversion),
        "stepping" (state stepped from decision step to decision step, O(M r^2 + D r)) or
        None = ``self.method`` (the cheaper).  Both are exact; noise-free codes agree,
        noisy ones in distribution.
        """
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise ParameterError(f"rng must be a numpy.random.Generator or None, "
                                 f"got {type(rng).__name__}")
        method = self.method if method is None else method
        if method not in METHODS:
            raise ParameterError(f"method must be one of {METHODS} or None, got {method!r}")
        if (method == "nonlinear") != (self.nonlinear is not None):
            raise ParameterError(f"method {method!r} does not apply: this quantizer's circuit "
                                 f"is {'non' if self.nonlinear is not None else ''}linear (its "
                                 f"method is {self.method!r})")
        x, shape = self._inputs(v)
        use_noise = bool(noise) and self.has_noise
        seed = seed_from_generator(rng if rng is not None else self._rng) if use_noise else 0
        sc = self.schedule
        sums = np.zeros((x.size, max(len(sc.stages), 1)), dtype=np.int64)
        if method == "nonlinear":
            sums[:] = self.nonlinear.run(x, use_noise, seed)[0]
        elif method == "response":
            t = self.tables
            convert_kernel(x, t.a, t.c, t.bt, t.chol_t, t.stage, t.weight, sc.metastable,
                           use_noise, seed, sums)
        else:
            self._run_stepping(x, use_noise, seed, sums)
        codes = sc.assemble(sums)
        stages = {s: (sums[:, g] // sc.stage_unit(s)).reshape(shape)
                  for g, s in enumerate(sc.stages)}
        return ConversionResult(codes.reshape(shape), self.code_to_voltage(codes).reshape(shape),
                                stages)

    def _run_stepping(self, x, use_noise, seed, sums) -> None:
        mp, decs = self.macro, self.schedule.decisions
        nonfinite = np.zeros(x.size, dtype=np.uint8)
        step_kernel(x, self._z0v, self._z0c, mp.phi, mp.gv, mp.gc, mp.dec_lo, mp.dec_hi,
                    mp.pz, mp.pv, mp.pc, mp.pr_ptr, mp.pr_idx, mp.pr_coef, mp.fp,
                    mp.st_ptr, mp.st_idx, mp.st_vec, mp.fz, mp.rank,
                    np.array([d.offset - d.threshold for d in decs]),
                    np.array([d.noise_rms for d in decs]),
                    self.schedule.stage_index, self.schedule.weights, self.schedule.metastable,
                    use_noise, seed, sums, nonfinite)
        if nonfinite.any():
            raise overflow_error("states", f"comparator inputs not finite for "
                                           f"{int(nonfinite.sum())} of {x.size} inputs")

    def code_to_voltage(self, codes) -> np.ndarray:
        """Input estimate of each code: centre of its ideal bin, V."""
        c = np.asarray(codes)
        if not np.issubdtype(c.dtype, np.integer):
            raise InputError(f"codes must be integers, got dtype {c.dtype}")
        if c.size and (c.min() < 0 or c.max() >= self.n_codes):
            raise InputError(f"codes must lie in 0..{self.n_codes - 1}, got "
                             f"{int(c.min())}..{int(c.max())}")
        return self.vmin + (c.astype(np.float64) + 0.5) * self.lsb

    # ------------------------------------------------------------------ Monte Carlo
    def instance(self, k: int) -> "Quantizer":
        """The same design as Monte Carlo instance ``k``: frozen random errors.

        Every designed capacitor C (not the parasitics) becomes
        C * (1 + KC*sqrt(1fF/C) * N(0, 1)) (Pelgrom), and every physical comparator gets
        a random offset sigma * N(0, 1) (sigma = its architecture's SIGMA_VOS / SIGMA_VOS_C)
        on top of the systematic VOS.  The draws depend only on (seed, k).
        """
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise ParameterError(f"instance index must be a non-negative integer, got {k!r}")
        kc = self.params.get("kc", 0.0)
        rng = np.random.default_rng([self.seed, int(k), _MISMATCH_TAG])
        prefix = self.architecture.parasitic_prefix
        elements = []
        for el in self.circuit.elements:
            if isinstance(el, Capacitor) and not el.name.startswith(prefix):
                rel = kc * math.sqrt(FEMTO / el.c) * rng.standard_normal()
                if not 1.0 + rel > 0:
                    raise QuantizerError(f"mismatch draw made {el.name} non-positive "
                                         f"(KC = {kc:g} is far too large)")
                el = dataclasses.replace(el, c=el.c * (1.0 + rel))
            elements.append(el)
        circuit = dataclasses.replace(self.circuit, elements=tuple(elements))
        names = self.schedule.comparators        # offsets and windows keep the names
        z = np.random.default_rng([self.seed, int(k), _OFFSET_TAG]).standard_normal(len(names))
        return Quantizer(self.architecture, circuit, self.params, self._text, self.path,
                         self._overrides, self.seed, self.ideal, int(k),
                         offset_draws=dict(zip(names, z.tolist())))

    # ------------------------------------------------------------------ other views
    def hardware(self) -> HardwareSpec:
        """HardwareSpec for the cost model, from the architecture's declared resources."""
        return self.architecture.resources(self.params, self.schedule)

    def decisions(self, vin: float) -> np.ndarray:
        """Noise-free comparator decisions (D,) of one input (V), in schedule order."""
        from .stepping import step_numpy

        x, _ = self._inputs(np.array([vin], dtype=float))
        if self.nonlinear is not None:
            return self.nonlinear.run(x, False, 0)[1][0]
        return step_numpy(self, x)[1][0]

    def step_times(self) -> np.ndarray:
        """(K+1,) start times of the schedule's steps and the end of the last, s."""
        return np.concatenate([[0.0], np.cumsum([ph.duration for ph in self.schedule.phases])])

    def spice_overrides(self, vin: float, decisions=None):
        """See :func:`dgcq_sim.quantizers.export.spice_overrides`."""
        from .export import spice_overrides

        return spice_overrides(self, vin, decisions)

    def export_spice(self, vin: float, decisions=None) -> str:
        """See :func:`dgcq_sim.quantizers.export.export_spice`."""
        from .export import export_spice

        return export_spice(self, vin, decisions)

    def characterize(self, rng: np.random.Generator | None = None, **effort):
        """See :func:`dgcq_sim.quantizers.characterize.characterize`."""
        from .characterize import characterize

        return characterize(self, rng, **effort)

