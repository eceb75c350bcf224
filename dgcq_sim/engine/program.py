"""Compile a circuit and a phase schedule into a small reduced-state affine program.

Step k of a program: the switches of ``phases[k]`` conduct, the caller's inputs ``u_k``
(values of chosen independent sources) step at the start of the step and stay constant,
all other sources keep their t = 0 value.  Only charges on capacitors carry information
from one step to the next, so the state is reduced to an orthonormal basis ``V`` of the
union of the row spaces of all step maps (the minimal state: a SAR with source-driven
bottom plates keeps only its floating top plate), z = Vᵀx.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..errors import InputError, ParameterError, SimulationError
from ..netlist.behavioral import Behavioral
from ..netlist.circuit import Circuit, ISource, VSource
from .mna import MnaSystem, build_mna, source_value_at
from .phasemap import PhaseMap, compute_phase_map

NOISE_STD_FLOOR = 1e-9   # V: noise components with a smaller std are dropped
REDUCE_RTOL = 1e-12      # relative singular-value tolerance of the state reduction


@dataclass(frozen=True)
class Phase:
    """One clock phase: ``duration`` (s, > 0) and the names of the switches that conduct
    (at RON) during it; every other switch is open (ROFF)."""

    duration: float
    closed: frozenset[str] = frozenset()

    def __post_init__(self):
        if not (isinstance(self.duration, (int, float)) and math.isfinite(self.duration)
                and self.duration > 0):
            raise ParameterError(f"phase duration must be a positive finite number of seconds, "
                                 f"got {self.duration!r}")
        if isinstance(self.closed, str):
            raise ParameterError(f"Phase.closed must be a set of switch names, got the string "
                                 f"{self.closed!r}")
        object.__setattr__(self, "closed", frozenset(s.lower() for s in self.closed))


# ------------------------------------------------------------------ per-circuit caches

_SYSTEMS: dict[int, tuple[weakref.ref, MnaSystem, dict]] = {}


def system_for(circuit: Circuit) -> tuple[MnaSystem, dict]:
    """The MNA system of ``circuit`` and its phase-map cache (built once per object)."""
    if not isinstance(circuit, Circuit):
        raise ParameterError(f"expected a dgcq_sim Circuit, got {type(circuit).__name__}")
    hit = _SYSTEMS.get(id(circuit))
    if hit is not None and hit[0]() is circuit:
        return hit[1], hit[2]
    if any(isinstance(el, Behavioral) for el in circuit.elements):
        raise SimulationError(f"circuit {circuit.title!r} has B (behavioural) sources: its "
                              f"phases have no affine map; simulate() and the quantizers step "
                              f"them in time (dgcq_sim.engine.nonlinear)")
    for key in [k for k, v in _SYSTEMS.items() if v[0]() is None]:
        del _SYSTEMS[key]
    sys = build_mna(circuit)
    cache: dict = {}
    _SYSTEMS[id(circuit)] = (weakref.ref(circuit), sys, cache)
    return sys, cache


def phase_map(circuit: Circuit, closed: frozenset[str], duration: float, *, slope: bool = False,
              temperature: float | None = None, gen=None) -> PhaseMap:
    """Cached :func:`compute_phase_map` keyed by (circuit, switches, duration, slope, T,
    generator); ``gen`` is an object with ``f``, ``h`` (arrays) and a hashable ``key``."""
    sys, cache = system_for(circuit)
    key = (closed, float(duration), slope, temperature, None if gen is None else gen.key)
    if key not in cache:
        cache[key] = compute_phase_map(sys, closed, duration, slope=slope,
                                       temperature=temperature,
                                       gen=None if gen is None else (gen.f, gen.h))
    return cache[key]


def dc_operating_point(sys: MnaSystem, closed: frozenset[str], u_all: np.ndarray,
                       clamp: dict[int, float] | None = None) -> np.ndarray:
    """Solve A·x = B·u (caps open).  Singular -> SimulationError naming the floating nodes.

    ``clamp`` {node row: voltage} holds those nodes at the given voltages (their KCL rows are
    replaced, as ngspice applies ``.ic`` without UIC)."""
    a = sys.a_matrix(closed)
    rhs = sys.b @ u_all
    for i, value in (clamp or {}).items():
        a[i, :] = 0.0
        a[i, i] = 1.0
        rhs[i] = value
    n_nodes = len(sys.nodes)
    zero_rows = [sys.nodes[i] for i in range(n_nodes) if not np.any(a[i])]
    if zero_rows:
        raise SimulationError(
            f"{', '.join(f'node {n!r}' for n in zero_rows)} has no DC path to ground "
            f"(only capacitors attach it) in circuit {sys.circuit.title!r}; add a resistor "
            f"or close a switch at t = 0")
    r = 1.0 / np.maximum(np.abs(a).max(axis=1), 1e-300)
    cs = 1.0 / np.maximum(np.abs(r[:, None] * a).max(axis=0), 1e-300)
    scaled = r[:, None] * a * cs[None, :]
    _, s, vt = np.linalg.svd(scaled)
    if s[-1] < 1e-13 * s[0]:
        vec = vt[-1]
        names = list(sys.nodes) + [f"i({b})" for b in sys.branches]
        big = np.flatnonzero(np.abs(vec) > 0.1 * np.abs(vec).max())
        nodes = [names[i] for i in big if i < n_nodes]
        what = (", ".join(f"node {n!r}" for n in nodes) + " has no DC path to ground") if nodes \
            else ("a loop of voltage sources / E elements through "
                  + ", ".join(repr(names[i]) for i in big))
        raise SimulationError(f"singular DC operating point in circuit {sys.circuit.title!r}: "
                              f"{what}")
    x = cs * np.linalg.solve(scaled, r * rhs)
    return x


# ------------------------------------------------------------------ compiled program

@dataclass(frozen=True)
class CompiledProgram:
    """A phase schedule compiled to affine maps on a reduced state z (r values).

    Step k (K steps): ``z <- phi[k] @ z + gam[k] @ u_k``; the probe voltages (V) at the END
    of step k are ``probe_z[k] @ z_start_k + probe_u[k] @ u_k``.  With noise: draw
    xi ~ N(0, I_q) per step and add ``noise[k] @ xi`` to the new z and
    ``noise_probe[k] @ xi`` to that step's probes (same xi).

    If the circuit has non-input sources with non-zero value, the LAST state component is
    the constant 1 (``const_index``) that carries their contribution; start from
    :meth:`initial_state` (which sets it) rather than from zeros.
    """

    n_state: int
    n_steps: int
    inputs: tuple[str, ...]
    probes: tuple
    phi: np.ndarray
    gam: np.ndarray
    probe_z: np.ndarray
    probe_u: np.ndarray
    noise: np.ndarray
    noise_probe: np.ndarray
    noise_rank: np.ndarray
    phases: tuple[Phase, ...]
    const_index: int
    noise_temperature: float | None
    basis: np.ndarray = field(repr=False)          # (n_mna, r_cap): z_cap = basisᵀ x
    node_z: np.ndarray = field(repr=False)         # (K, n_nodes, r): node voltages at step end
    node_u: np.ndarray = field(repr=False)         # (K, n_nodes, m)
    fixed_u: np.ndarray = field(repr=False)        # values of all sources with inputs zeroed
    input_cols: np.ndarray = field(repr=False)     # column of each input in the source vector
    system: MnaSystem = field(repr=False)

    @property
    def n_inputs(self) -> int:
        """Number of inputs m."""
        return len(self.inputs)

    def _u_all(self, u) -> np.ndarray:
        u = np.asarray(u, dtype=float).reshape(-1)
        if u.shape != (len(self.inputs),):
            raise InputError(f"expected {len(self.inputs)} input values for {self.inputs}, "
                             f"got shape {u.shape}")
        if not np.all(np.isfinite(u)):
            raise InputError(f"input values must be finite, got {u}")
        u_all = self.fixed_u.copy()
        u_all[self.input_cols] = u
        return u_all

    def initial_state(self, u, phase: int = 0) -> np.ndarray:
        """z (r,) of the DC operating point with the switches of ``phases[phase]`` and the
        input values ``u`` (m,), V."""
        if not (0 <= int(phase) < len(self.phases)):
            raise ParameterError(f"phase index {phase!r} out of range 0..{len(self.phases) - 1}")
        x = dc_operating_point(self.system, self.phases[int(phase)].closed, self._u_all(u))
        return self.state_from_mna(x)

    def state_from_mna(self, x: np.ndarray) -> np.ndarray:
        """Reduced state of a full MNA vector x (node voltages + branch currents)."""
        z = np.zeros(self.n_state)
        r_cap = self.basis.shape[1]
        z[:r_cap] = self.basis.T @ x
        if self.const_index >= 0:
            z[self.const_index] = 1.0
        return z

    def node_voltages(self, z_start, u, step: int) -> dict[str, float]:
        """Debug helper: every node voltage (V) at the end of ``step`` (noise-free)."""
        z = np.asarray(z_start, dtype=float)
        u = np.asarray(u, dtype=float)
        v = self.node_z[step] @ z + self.node_u[step] @ u
        return dict(zip(self.system.nodes, v.tolist()))


def _probe_rows(sys: MnaSystem, probes) -> tuple[tuple, np.ndarray]:
    names, rows = [], []
    for p in probes:
        if isinstance(p, str):
            pos, neg = p, "0"
            names.append(p.lower())
        elif isinstance(p, (tuple, list)) and len(p) == 2 and all(isinstance(q, str) for q in p):
            pos, neg = p
            names.append((pos.lower(), neg.lower()))
        else:
            raise ParameterError(f"a probe is a node name or a (pos, neg) pair of names, got {p!r}")
        row = np.zeros(sys.n)
        i, j = sys.node_index(pos), sys.node_index(neg)
        if i >= 0:
            row[i] += 1.0
        if j >= 0:
            row[j] -= 1.0
        rows.append(row)
    return tuple(names), np.array(rows).reshape(len(rows), sys.n)


def _input_columns(sys: MnaSystem, inputs) -> tuple[tuple[str, ...], np.ndarray]:
    if isinstance(inputs, str):
        raise ParameterError(f"inputs must be a sequence of source names, got the string {inputs!r}")
    names = tuple(s.lower() for s in inputs)
    unknown = [s for s in names if s not in sys.sources]
    if unknown:
        control_only = {el.name for el in sys.circuit.elements
                        if isinstance(el, VSource) and el.name not in sys.sources}
        hint = [s for s in unknown if s in control_only]
        raise ParameterError(
            f"unknown input source(s) {unknown}; independent sources of circuit "
            f"{sys.circuit.title!r}: {list(sys.sources)}"
            + (f" ({hint} only drive switch controls, which phases set)" if hint else ""))
    if len(set(names)) != len(names):
        raise ParameterError(f"duplicate input source names in {list(inputs)}")
    return names, np.array([sys.sources.index(s) for s in names], dtype=np.int64)


def _fixed_values(sys: MnaSystem, input_cols) -> np.ndarray:
    u = np.zeros(len(sys.sources))
    for j, name in enumerate(sys.sources):
        el = sys.circuit.element(name)
        assert isinstance(el, (VSource, ISource))
        u[j] = source_value_at(el.wave, 0.0)
    u[input_cols] = 0.0
    return u


def noise_factor(basis: np.ndarray, probe_rows: np.ndarray, q: np.ndarray,
                 mproj: np.ndarray) -> np.ndarray:
    """F (r + p, k) with F Fᵀ = the joint covariance of the charges basisᵀx and the probes
    probe_rows·mproj·x of a phase's end-state noise x (covariance ``q``); components with a
    std below NOISE_STD_FLOOR are dropped."""
    rows = np.vstack([basis.T, probe_rows @ mproj])
    joint = rows @ q @ rows.T
    lam, vec = np.linalg.eigh(0.5 * (joint + joint.T))
    good = lam > NOISE_STD_FLOOR ** 2
    return vec[:, good] * np.sqrt(lam[good])


def compile_program(circuit: Circuit, phases: Sequence[Phase], inputs: Sequence[str],
                    probes: Sequence, *, noise_temperature: float | None = None) -> CompiledProgram:
    """Compile ``phases`` of ``circuit`` into a :class:`CompiledProgram`.

    circuit: the Circuit.  phases: the steps, in order.  inputs: names of independent V/I
    sources the caller sets per step (V or A).  probes: node names or (pos, neg) pairs,
    read at the end of every step (V).  noise_temperature: kelvin for thermal noise of
    resistors and switches, None = noise-free.

    V sources that only drive switch-control nodes are left out (the phases set the
    switches).  Noise: per step the joint covariance of (new z, probes) is factored by
    eigendecomposition and components with a standard deviation below 1e-9 V are dropped
    (``noise_rank``); probe noise is read as the consistent node voltage given the
    capacitor state (a node without capacitance has no white, infinite-bandwidth part).
    """
    sys, _ = system_for(circuit)
    phases = tuple(phases)
    if not phases:
        raise ParameterError("a program needs at least one phase")
    for ph in phases:
        if not isinstance(ph, Phase):
            raise ParameterError(f"phases must be Phase objects, got {ph!r}")
        unknown = sorted(ph.closed - set(sys.switches))
        if unknown:
            raise ParameterError(f"unknown switch(es) {unknown} in a phase; switches of circuit "
                                 f"{circuit.title!r}: {list(sys.switches)}")
    if noise_temperature is not None and not (isinstance(noise_temperature, (int, float))
                                              and math.isfinite(noise_temperature)
                                              and noise_temperature > 0):
        raise ParameterError(f"noise_temperature must be a positive number of kelvin or None, "
                             f"got {noise_temperature!r}")
    in_names, in_cols = _input_columns(sys, inputs)
    probe_names, ep = _probe_rows(sys, probes)
    fixed = _fixed_values(sys, in_cols)
    fix_mask = np.ones(len(sys.sources), bool)
    fix_mask[in_cols] = False

    maps = [phase_map(circuit, ph.closed, ph.duration, temperature=noise_temperature)
            for ph in phases]
    n, n_nodes = sys.n, len(sys.nodes)
    distinct = {id(m): m for m in maps}
    stacked = np.vstack([m.mxx for m in distinct.values()] + [np.zeros((1, n))])
    if n:
        _, s, vt = np.linalg.svd(stacked, full_matrices=False)
        basis = vt[s > REDUCE_RTOL * s[0]].T.copy() if s[0] > 0 else np.zeros((n, 0))
    else:
        basis = np.zeros((0, 0))                     # (n, r_cap): z_cap = basisᵀ x
    r_cap = basis.shape[1]
    has_const = bool(np.any(fixed != 0.0))
    r = r_cap + (1 if has_const else 0)
    K, m, p = len(phases), len(in_names), len(probe_names)

    phi = np.zeros((K, r, r))
    gam = np.zeros((K, r, m))
    probe_z = np.zeros((K, p, r))
    probe_u = np.zeros((K, p, m))
    node_z = np.zeros((K, n_nodes, r))
    node_u = np.zeros((K, n_nodes, m))
    factors = []
    for k, mp in enumerate(maps):
        bias_x = mp.mxu[:, fix_mask] @ fixed[fix_mask]
        phi[k, :r_cap, :r_cap] = basis.T @ mp.mxx @ basis
        gam[k, :r_cap] = basis.T @ mp.mxu[:, in_cols]
        probe_z[k, :, :r_cap] = ep @ mp.mxx @ basis
        probe_u[k] = ep @ mp.mxu[:, in_cols]
        node_z[k, :, :r_cap] = (mp.mxx @ basis)[:n_nodes]
        node_u[k] = mp.mxu[:n_nodes][:, in_cols]
        if has_const:
            phi[k, :r_cap, -1] = basis.T @ bias_x
            phi[k, -1, -1] = 1.0
            probe_z[k, :, -1] = ep @ bias_x
            node_z[k, :, -1] = bias_x[:n_nodes]
        if mp.q is not None:
            factors.append(noise_factor(basis, ep, mp.q, mp.mproj))
    q = max((f.shape[1] for f in factors), default=0)
    noise = np.zeros((K, r, q))
    noise_probe = np.zeros((K, p, q))
    noise_rank = np.zeros(K, dtype=np.int64)
    for k, f in enumerate(factors):
        noise[k, :r_cap, :f.shape[1]] = f[:r_cap]
        noise_probe[k, :, :f.shape[1]] = f[r_cap:]
        noise_rank[k] = f.shape[1]
    c = np.ascontiguousarray
    return CompiledProgram(
        n_state=r, n_steps=K, inputs=in_names, probes=probe_names,
        phi=c(phi), gam=c(gam), probe_z=c(probe_z), probe_u=c(probe_u),
        noise=c(noise), noise_probe=c(noise_probe), noise_rank=c(noise_rank),
        phases=phases, const_index=(r - 1) if has_const else -1,
        noise_temperature=noise_temperature, basis=basis, node_z=node_z, node_u=node_u,
        fixed_u=fixed, input_cols=in_cols, system=sys)
