"""Quantizers: a bundled netlist + its controller schedule, compiled once, converted in bulk.

``load_quantizer(netlist, params, ideal, seed)`` reads a netlist whose title names its kind
(``* coarse: ...``, ``* sar: ...``, ``* dgcq: ...``; a file called coarse/sar/dgcq.cir
works too), resolves its ``.param``s, regenerates the SAR DAC for the resolved bit count,
compiles the controller's schedule with the engine and returns a :class:`Quantizer`.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from ..blocks.rng import seed_from_generator
from ..cost.spec import HardwareSpec
from ..engine import CompiledProgram, compile_program
from ..errors import InputError, ParameterError, QuantizerError
from ..netlist import Capacitor, Circuit, Pwl, Switch, Tran, VSource, parse_netlist
from ..paths import bundled_netlist
from .dac import MAX_DAC_BITS, with_dac_block
from .kernels import convert_kernel, step_kernel
from .macro import MacroProgram, build_macro
from .response import ResponseTables, build_tables, initial_map
from .schedule import Schedule, coarse_schedule, dgcq_schedule, sar_schedule

KINDS = ("coarse", "sar", "dgcq")
METHODS = ("response", "stepping")

#: Overrides of ``ideal=True`` (only those the netlist defines are applied); parasitic
#: capacitors (element names starting with ``cp``) are removed from the circuit.
IDEAL_OVERRIDES: dict[str, float] = {
    "aol": 1e9, "rleak": 1e15, "ileak": 0.0, "ron": 10.0, "roff": 1e14,
    "vos": 0.0, "vnoise": 0.0, "vos_c": 0.0, "vnoise_c": 0.0, "kc": 0.0, "temp": 0.0,
}
PARASITIC_PREFIX = "cp"
FEMTO = 1e-15
_TITLE = re.compile(r"^\*?\s*(coarse|sar|dgcq)\s*:", re.I)


@dataclass(frozen=True)
class ConversionResult:
    """Result of :meth:`Quantizer.convert`, every array shaped like the input.

    codes: output codes (int64, 0 .. n_codes-1).  coarse: coarse counter value (0 for a
    plain SAR).  fine: SAR register as read (0 for coarse-only; with over-range the
    extended NF+1-bit code before correction).  estimate: centre of the ideal code bin, V.
    """

    codes: np.ndarray
    coarse: np.ndarray
    fine: np.ndarray
    estimate: np.ndarray


def _kind_of(circuit_title: str, path: Path) -> str:
    m = _TITLE.match(circuit_title.strip())
    if m:
        return m.group(1).lower()
    if path.stem.lower() in KINDS:
        return path.stem.lower()
    raise QuantizerError(f"cannot tell the quantizer kind of {str(path)!r}: its title line "
                         f"{circuit_title!r} must start with one of "
                         f"{', '.join(k + ':' for k in KINDS)} (or name the file <kind>.cir)")


def _resolve_path(netlist) -> Path:
    if isinstance(netlist, Path) or (isinstance(netlist, str) and
                                     ("/" in netlist or "\\" in netlist or Path(netlist).is_file())):
        p = Path(netlist)
        if not p.is_file():
            raise InputError(f"netlist file not found: {str(netlist)!r}")
        return p
    if not isinstance(netlist, str):
        raise InputError(f"netlist must be a path or a bundled name, got {type(netlist).__name__}")
    return bundled_netlist(netlist)


def _int_param(p: Mapping[str, float], name: str, lo: int, hi: int | None = None) -> int:
    v = p[name]
    if not float(v).is_integer() or v < lo or (hi is not None and v > hi):
        rng = f">= {lo}" if hi is None else f"in {lo}..{hi}"
        raise QuantizerError(f"{name.upper()} must be an integer {rng}, got {v:g}")
    return int(v)


def _check_params(kind: str, p: dict) -> None:
    for name in ("vref", "tclk", "tsamp", "tsar", "trst", "cu", "cf"):
        if name in p and not p[name] > 0:
            raise QuantizerError(f"{name.upper()} must be > 0, got {p[name]:g}")
    for name in ("vnoise", "vnoise_c", "kc", "temp"):
        if name in p and not p[name] >= 0:
            raise QuantizerError(f"{name.upper()} must be >= 0, got {p[name]:g}")
    if kind == "coarse":
        _int_param(p, "niter", 1)
    elif kind == "sar":
        _int_param(p, "nbits", 1, MAX_DAC_BITS)
    else:
        _int_param(p, "nc", 0, 16)
        ovr = _int_param(p, "overrange", 0, 1)
        _int_param(p, "nf", 1, MAX_DAC_BITS - ovr)
    if kind in ("coarse", "dgcq"):
        if not 0 < p["gain"] <= 1:
            raise QuantizerError(f"GAIN must be in (0, 1] (one VREF subtraction per iteration "
                                 f"cannot absorb more), got {p['gain']:g}")
        levels = _iterations(kind, p) * p["gain"]
        if abs(levels - round(levels)) > 1e-9 or round(levels) < 1:
            raise QuantizerError(f"N*GAIN = {levels:g} coarse levels must be a positive integer "
                                 f"(N = {_iterations(kind, p)} iterations, GAIN = {p['gain']:g})")


def _iterations(kind: str, p: Mapping[str, float]) -> int:
    if kind == "coarse":
        return int(p["niter"])
    if kind == "dgcq":
        return 2 ** int(p["nc"])
    return 0


def _sar_bits(kind: str, p: Mapping[str, float]) -> int:
    if kind == "sar":
        return int(p["nbits"])
    if kind == "dgcq":
        return int(p["nf"]) + int(p["overrange"])
    return 0


def _parse(text: str, path: Path, params: Mapping[str, float]) -> Circuit:
    return parse_netlist(text, str(path), dict(params))


def load_quantizer(netlist: str | Path = "dgcq", params: Mapping[str, float] | None = None,
                   ideal: bool = False, seed: int = 0) -> "Quantizer":
    """Load a quantizer netlist and compile its controller.

    netlist: path of a .cir file or a bundled name ("coarse", "sar", "dgcq").
    params: ``.param`` overrides, name -> SI value (unknown name -> ParameterError).
    ideal: turn every non-ideality off (op-amp gain 1e9, no parasitic caps, no leakage,
    offset, noise or mismatch, RON 10 ohm so everything settles); explicit ``params`` win
    (a parasitic cap ``cpxxx`` is kept when its parameter ``CPXXX`` is given).
    seed: seeds the quantizer's own Generator (noise when ``convert`` gets no rng) and the
    mismatch draws of :meth:`Quantizer.instance`.
    """
    if params is not None and not isinstance(params, Mapping):
        raise ParameterError(f"params must be a mapping name -> value, got {type(params).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    path = _resolve_path(netlist)
    text = path.read_text(encoding="utf-8")
    user = {str(k).lower(): v for k, v in (params or {}).items()}
    first = _parse(text, path, user)
    kind = _kind_of(first.title, path)
    overrides = {k: v for k, v in IDEAL_OVERRIDES.items() if k in first.params} if ideal else {}
    overrides.update(user)
    circuit = _parse(text, path, overrides) if overrides != user else first
    p = dict(circuit.params)
    _check_params(kind, p)
    if kind != "coarse":
        text = with_dac_block(text, _sar_bits(kind, p), str(path))
        circuit = _parse(text, path, overrides)
    if ideal:
        # parasitic caps go, unless the caller set their parameter (named like the element)
        circuit = _without_parasitics(circuit, keep=set(user))
        for el in first.of_type(Capacitor):
            if el.name.startswith(PARASITIC_PREFIX) and el.name not in user:
                p[el.name] = 0.0
    return Quantizer(kind, circuit, p, text, path, overrides, int(seed), bool(ideal), None)


def _without_parasitics(circuit: Circuit, keep: set[str]) -> Circuit:
    kept = tuple(el for el in circuit.elements
                 if not (isinstance(el, Capacitor) and el.name.startswith(PARASITIC_PREFIX)
                         and el.name not in keep))
    return dataclasses.replace(circuit, elements=kept)


class Quantizer:
    """A compiled quantizer (see :func:`load_quantizer`).

    Attributes: kind ("coarse" | "sar" | "dgcq"), bits (= log2 n_codes), n_codes, vmin and
    vmax (full-scale input range, V; inputs outside are clipped to it), params (resolved
    ``.param`` values, lower-case names, SI), circuit, schedule, program (the
    CompiledProgram), tables (decision-response tables the kernel uses).
    """

    def __init__(self, kind: str, circuit: Circuit, params: dict, text: str, path: Path,
                 overrides: dict, seed: int, ideal: bool, instance_index: int | None):
        self.kind = kind
        self.circuit = circuit
        self.params = params
        self.path = path
        self.seed = seed
        self.ideal = ideal
        self.instance_index = instance_index
        self._text = text
        self._overrides = overrides
        self._rng = np.random.default_rng(seed if instance_index is None
                                          else [seed, instance_index])
        p = params
        self.n_iterations = _iterations(kind, p)
        self.sar_bits = _sar_bits(kind, p)
        builder = {"coarse": coarse_schedule, "sar": sar_schedule, "dgcq": dgcq_schedule}[kind]
        self.schedule: Schedule = builder(p)
        temp = p.get("temp", 0.0)
        self.program: CompiledProgram = compile_program(
            circuit, self.schedule.phases, self.schedule.inputs, self.schedule.probes,
            noise_temperature=temp if temp > 0 else None)
        self._tables: ResponseTables | None = None
        self._macro: MacroProgram | None = None
        self._z0v, self._z0c = initial_map(self.program, self.schedule)
        # Both kernels are exact for this linear circuit; pick the cheaper per conversion.
        r = self.program.n_state
        D = len(self.schedule.decisions)
        cost_response = D * D + 10 * D
        cost_stepping = D * (r * r + 2 * r) + 10 * D * (r + 2)
        self.method = "response" if cost_response <= cost_stepping else "stepping"
        # Full scale [0, VREF) for every kind: N*GAIN*2^NF levels (DESIGN section 1).
        self.vmin, self.vmax = 0.0, float(p["vref"])
        if kind == "sar":
            self.n_codes = 2 ** self.sar_bits
            self.fine_bits, self.fine_offset = self.sar_bits, 0
        else:
            levels = int(round(self.n_iterations * p["gain"]))
            if kind == "coarse":
                self.n_codes, self.fine_bits, self.fine_offset = levels, 0, 0
            else:
                nf = int(p["nf"])
                self.n_codes = levels * 2 ** nf
                self.fine_bits = nf
                self.fine_offset = 2 ** (nf - 1) if int(p["overrange"]) else 0
        b = math.log2(self.n_codes)
        self.bits = int(b) if b.is_integer() else b
        self.lsb = (self.vmax - self.vmin) / self.n_codes

    def __repr__(self) -> str:
        inst = "" if self.instance_index is None else f", instance={self.instance_index}"
        return (f"Quantizer(kind={self.kind!r}, bits={self.bits}, n_codes={self.n_codes}, "
                f"range=[{self.vmin:g}, {self.vmax:g}] V, ideal={self.ideal}{inst})")

    # ------------------------------------------------------------------ conversion
    @property
    def tables(self) -> ResponseTables:
        """Decision-response tables of the program (built on first use)."""
        if self._tables is None:
            self._tables = build_tables(self.program, self.schedule)
        return self._tables

    @property
    def has_noise(self) -> bool:
        """True if thermal or comparator noise is on."""
        return bool(np.any(self.program.noise_rank > 0)) or \
            any(d.noise_rms > 0 for d in self.schedule.decisions)

    def _inputs(self, v) -> tuple[np.ndarray, tuple]:
        try:
            arr = np.asarray(v, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(f"input voltages must be a float array, got {type(v).__name__}") from exc
        if arr.size == 0:
            raise InputError("input voltage array is empty")
        bad = ~np.isfinite(arr)
        if np.any(bad):
            raise InputError(f"input voltages contain {int(bad.sum())} non-finite value(s), "
                             f"first {arr[bad].flat[0]!r}")
        return np.ascontiguousarray(np.clip(arr.reshape(-1), self.vmin, self.vmax)), arr.shape

    def convert(self, v, noise: bool = True, rng: np.random.Generator | None = None,
                method: str | None = None) -> ConversionResult:
        """Convert input voltages (any-shape float array, V) to codes.

        Inputs outside [vmin, vmax] are clipped to the range (so they give the end codes).
        noise: include thermal (kT/C, resistor) and comparator noise; False gives the
        static, noise-free codes (offsets, mismatch and settling errors stay).
        rng: numpy Generator for the noise; None uses the quantizer's own (seeded) one.
        method: "response" (decision-response superposition, O(D^2) per conversion),
        "stepping" (state stepped from decision to decision through the phases merged in
        between, O(D r^2)) or None = ``self.method``
        (the cheaper).  Both are exact; noise-free codes agree, noisy ones in distribution.
        """
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise ParameterError(f"rng must be a numpy.random.Generator or None, "
                                 f"got {type(rng).__name__}")
        method = self.method if method is None else method
        if method not in METHODS:
            raise ParameterError(f"method must be one of {METHODS} or None, got {method!r}")
        x, shape = self._inputs(v)
        use_noise = bool(noise) and self.has_noise
        seed = seed_from_generator(rng if rng is not None else self._rng) if use_noise else 0
        coarse = np.empty(x.size, dtype=np.int64)
        fine = np.empty(x.size, dtype=np.int64)
        if method == "response":
            t = self.tables
            convert_kernel(x, t.a, t.c, t.bt, t.chol_t, t.group, t.weight, use_noise, seed,
                           coarse, fine)
        else:
            self._run_stepping(x, use_noise, seed, coarse, fine)
        codes = self.assemble(coarse, fine)
        return ConversionResult(codes.reshape(shape), coarse.reshape(shape), fine.reshape(shape),
                                self.code_to_voltage(codes).reshape(shape))

    @property
    def macro(self) -> MacroProgram:
        """The program's steps merged between decisions (built on first use)."""
        if self._macro is None:
            self._macro = build_macro(self.program, self.schedule)
        return self._macro

    def _run_stepping(self, x, use_noise, seed, coarse, fine) -> None:
        mp, decs = self.macro, self.schedule.decisions
        step_kernel(x, self._z0v, self._z0c, mp.phi, mp.gv, mp.gc, mp.pz, mp.pv, mp.pc,
                    mp.dec_at, mp.st_ptr, mp.st_idx, mp.st_vec, mp.pr_ptr, mp.pr_idx,
                    mp.pr_coef, mp.fz, mp.fp, mp.rank,
                    np.array([d.offset - d.threshold for d in decs]),
                    np.array([d.noise_rms for d in decs]),
                    np.array([d.group for d in decs], dtype=np.int64),
                    np.array([d.weight for d in decs], dtype=np.int64),
                    use_noise, seed, coarse, fine)

    def assemble(self, coarse, fine) -> np.ndarray:
        """Output codes from coarse counts and SAR codes (digital correction + clipping)."""
        code = (np.asarray(coarse, np.int64) << self.fine_bits) + np.asarray(fine, np.int64) \
            - self.fine_offset
        return np.clip(code, 0, self.n_codes - 1)

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
        """The same design with capacitor mismatch drawn for Monte Carlo instance ``k``.

        Every designed capacitor C (not the parasitics ``cp*``) becomes
        C * (1 + KC*sqrt(1fF/C) * N(0, 1)) (Pelgrom); the draws depend only on (seed, k).
        """
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise ParameterError(f"instance index must be a non-negative integer, got {k!r}")
        kc = self.params.get("kc", 0.0)
        rng = np.random.default_rng([self.seed, int(k), 0x4D43])
        elements = []
        for el in self.circuit.elements:
            if isinstance(el, Capacitor) and not el.name.startswith(PARASITIC_PREFIX):
                rel = kc * math.sqrt(FEMTO / el.c) * rng.standard_normal()
                if not 1.0 + rel > 0:
                    raise QuantizerError(f"mismatch draw made {el.name} non-positive "
                                         f"(KC = {kc:g} is far too large)")
                el = dataclasses.replace(el, c=el.c * (1.0 + rel))
            elements.append(el)
        circuit = dataclasses.replace(self.circuit, elements=tuple(elements))
        return Quantizer(self.kind, circuit, self.params, self._text, self.path,
                         self._overrides, self.seed, self.ideal, int(k))

    # ------------------------------------------------------------------ ngspice export
    def decisions(self, vin: float) -> np.ndarray:
        """Noise-free comparator decisions (D,) of one input (V), in schedule order."""
        from .stepping import step_numpy

        x, _ = self._inputs(np.array([vin], dtype=float))
        return step_numpy(self, x)[2][0]

    def step_times(self) -> np.ndarray:
        """(K+1,) start times of the schedule's steps and the end of the last, s."""
        return np.concatenate([[0.0], np.cumsum([ph.duration for ph in self.schedule.phases])])

    def spice_overrides(self, vin: float, decisions=None) -> tuple[dict, Tran]:
        """PWL waveforms of every controller-driven source and switch control for one
        input (V) and decision sequence (default: its noise-free decisions), and the
        ``.tran`` card covering the conversion.  At each step start the switch controls
        move first (over ``edge`` = min(TEDGE, shortest step / 100)), the data sources
        during the following ``edge`` (break before the reference moves, as a real
        controller sequences them; the engine steps both at once)."""
        sc = self.schedule
        d = self.decisions(vin) if decisions is None else np.asarray(decisions).reshape(-1)
        if d.shape != (len(sc.decisions),) or not np.all((d == 0) | (d == 1)):
            raise InputError(f"decisions must be {len(sc.decisions)} values of 0 or 1, "
                             f"got shape {d.shape}")
        x = float(self._inputs(np.array([vin], dtype=float))[0][0])
        t = self.step_times()
        edge = min(self.params.get("tedge", 1e-12),
                   min(ph.duration for ph in sc.phases) / 100)
        vdd = float(self.params.get("vdd", 1.0))

        def pwl(levels, delay=0.0) -> Pwl:
            times, values = [0.0], [float(levels[0])]
            for k in range(1, len(levels)):
                if levels[k] != levels[k - 1]:
                    times += [t[k] + delay, t[k] + delay + edge]
                    values += [float(levels[k - 1]), float(levels[k])]
            if len(times) == 1:
                times.append(t[-1])
                values.append(values[0])
            return Pwl(tuple(times), tuple(values))

        u = sc.source_values(x, d)
        out = {name: pwl(u[:, i], edge) for i, name in enumerate(sc.inputs)}
        drivers = {el.pos: el.name for el in self.circuit.of_type(VSource) if el.neg == "0"}
        for sw in self.circuit.of_type(Switch):
            src = drivers.get(sw.cp)
            if src is None or sw.cn != "0":
                raise QuantizerError(f"switch {sw.name} is not driven by a grounded V source "
                                     f"at its control node {sw.cp!r}; cannot export it")
            out[src] = pwl([vdd if sw.name in ph.closed else 0.0 for ph in sc.phases])
        tran = Tran(tstep=min(ph.duration for ph in sc.phases) / 50, tstop=float(t[-1]),
                    tmax=min(ph.duration for ph in sc.phases) / 50)
        return out, tran

    def export_spice(self, vin: float, decisions=None) -> str:
        """The analog netlist with the controller-driven sources and switch controls as PWL
        for this input (V) and decision sequence (default: its noise-free decisions),
        ready for ngspice (``dgcq_sim.spice.run_netlist``)."""
        from ..spice import to_spice

        overrides, tran = self.spice_overrides(vin, decisions)
        title = f"{self.circuit.title} (exported for vin={vin!r} V)"
        return to_spice(self.circuit, overrides=overrides, tran=tran, title=title)

    # ------------------------------------------------------------------ derived views
    def characterize(self, rng: np.random.Generator | None = None, *, n_noise: int = 2048,
                     noise_points: int = 64, points_per_lsb: int = 16):
        """TransferFunction of this quantizer (static transitions + input-referred noise).

        n_noise, noise_points: noisy conversions per grid region and number of grid regions of
        the noise fit; points_per_lsb: density of the staircase sweep (see
        ``TransferFunction.from_converter``).  Cost: about ``points_per_lsb`` noise-free
        conversions per code plus ``n_noise * noise_points`` noisy ones (more where codes
        rarely change); for coarse-only designs with thousands of iterations each conversion
        steps through every iteration, so lower the noise effort there.
        """
        from ..transfer import TransferFunction

        noisy = None
        if self.has_noise:
            def noisy(v, g):
                return self.convert(v, noise=True, rng=g).codes
        return TransferFunction.from_converter(
            lambda v: self.convert(v, noise=False).codes, self.vmin, self.vmax,
            int(math.ceil(math.log2(self.n_codes))), n_codes=self.n_codes,
            code_values=self.code_to_voltage(np.arange(self.n_codes)),
            convert_noisy=noisy, rng=rng if rng is not None else self._rng,
            n_noise=n_noise, noise_points=noise_points, points_per_lsb=points_per_lsb)

    def hardware(self) -> HardwareSpec:
        """HardwareSpec from the parameters and the controller schedule.

        extras: tclk, tsar, tsamp (s), cpar, cptop (F), vref_sar (V), aol.
        """
        p = self.params
        n_iter = self.n_iterations
        coarse_caps = tuple(p[c] for c in ("cs", "cf", "cref") if c in p) \
            if self.kind != "sar" else ()
        extras = {k: float(p[k]) for k in ("tclk", "tsar", "tsamp", "cpar", "cptop",
                                           "vref_sar", "aol") if k in p}
        return HardwareSpec(
            kind=self.kind, bits=int(round(math.log2(self.n_codes))),
            coarse_iterations=n_iter, sar_bits=self.sar_bits,
            counter_bits=int(math.ceil(math.log2(n_iter + 1))) if n_iter else 0,
            unit_cap=float(p["cu"]) if self.sar_bits else 0.0,
            sar_cap_units=float(2 ** self.sar_bits) if self.sar_bits else 0.0,
            coarse_caps=coarse_caps,
            n_comparators={"coarse": 1, "sar": 1, "dgcq": 2}[self.kind],
            n_opamps=0 if self.kind == "sar" else 1,
            cycles=self.schedule.cycles, latency=self.schedule.latency,
            vref=float(p["vref"]), vdd=float(p.get("vdd", p["vref"])),
            comparator_decisions=len(self.schedule.decisions), extras=extras)
