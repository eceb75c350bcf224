"""Time-stepped phases for circuits with behavioural (``B``) sources, inside numba.

A circuit with B sources is split into its *linearized* circuit — every B source replaced
by an independent source of the same kind, name and nodes, whose value ``y`` is an extra
input — and the B expressions y = f(v_ctrl), v_ctrl = node voltages they read.  Within a
phase the linearized circuit has exact affine maps (:mod:`.phasemap`) for sources that are
affine in time, so a step of length h is exact for

    x(t + h) = M_h x(t) + G_h s(t) + D_h (s(t + h) − s(t)) / h ,    s = [u, y]

with u the ordinary sources (affine in the phase, as in linear phases) and y taken affine
across the step (first-order hold).  Only the charges are compared: a B voltage source's
value between steps is no state (at a kink of a clamp its interpolation error is O(h), its
effect on the charges O(h²)), and at the phase end it is solved exactly again.  The step is implicit: y(t + h) = f(v_ctrl(t + h)), and
v_ctrl(t + h) depends on y(t + h) through the algebraic part of the map (a B voltage
source driving a node), so each step solves the n_B-dimensional equation
y = f(c + D y) by Newton (f's gradient comes from forward-mode evaluation of the compiled
expression).  Only capacitor charges carry state: z = Wᵀx (W: orthonormal basis of
range(C)).

Step control: dyadic steps h = T/2^j, J_MIN <= j <= J_MAX, so the steps end exactly at the
phase end.  A trial step of h is taken as two half steps with the B equations solved at
the midpoint and at the end; the same two half steps are repeated with y forced affine
over the whole step (y(t) -> (y(t) + y(t+h))/2 -> y(t+h)), and the difference of the two
end states is the first-order-hold error of a step of h — through the same matrices, so the maps' own round-off (a step of 2h and
two of h agree only to ~1e-9 relative) does not enter the estimate.  The two half steps
are kept when that error is at most ``tol``·h/T, otherwise the step is halved; after a
comfortable step (< 1/8 of the allowance) it is doubled again.  The error per step is thus
bounded by tol·h/T (the kept half steps have about a quarter of it) and the sum over a
phase by ``tol`` (default :data:`TOL` = 10 µV) for circuits that do not amplify an error
made earlier in the phase (settling circuits contract it); the exact maps add ~1e-9·|x|
per step taken.  Where y is affine in time the step is exact, so the bundled op-amp model
(whose B sources are zero while it is linear, see dgcq_sim/quantizers/opamp_limits.py)
takes 2^J_MIN trial steps per linear phase.  A trial step whose Newton solve fails is
halved like one that misses the allowance (a long step can make the B equations
non-monotone, e.g. a clamped op-amp whose linear loop settles faster than h/2).  A step
at the finest level is kept even when it misses its allowance (an isolated kink of a clamp
would need h ~ 1e-16 s for a 1e-11 V error), as long as the summed error of such steps
stays below :data:`FINEST_SHARE`·tol per phase (so a phase's error stays below 1.1·tol);
beyond that, or where a Newton solve does not converge at the finest level, the kernels
report it (``stats``) and the callers raise a SimulationError — never dropped.

The DC operating point solves the same kind of equation with the capacitors open.

Development note: the kernels of ``nonlinear_tran.py`` and ``quantizers/nonlinear.py`` inline
the numba functions of this module, and numba's on-disk cache (``cache=True``) checks only
the caller's own source file: after editing this module, delete their cached ``*.nbi`` /
``*.nbc`` files (``__pycache__``), or they keep running the old code.
"""

from __future__ import annotations

import dataclasses
import math
import weakref
from dataclasses import dataclass

import numba as nb
import numpy as np

from ..errors import SimulationError
from ..netlist.behavioral import (OP_ABS, OP_ADD, OP_CONST, OP_CTRL, OP_DIV, OP_MAX, OP_MIN,
                                  OP_MUL, OP_NEG, OP_SUB, OP_TANH, Behavioral)
from ..netlist.circuit import GROUND, Circuit, Dc, ISource, Vccs, VSource
from .mna import MnaSystem
from .phasemap import compute_phase_map

TOL = 1e-5            # V: error allowance per phase (step doubling, see module doc)
J_MIN = 2             # coarsest step T/4
J_MAX = 26            # finest step T/2^26
PROJ = 1e-9           # the projection map's step, relative to the phase: no charge moves
FINEST_SHARE = 0.1    # finest steps may exceed their allowance by this share of tol in all
ERR_FLOOR = 1e-12     # V: error estimates below this are the Newton tolerance
NEWTON_MAX = 60
NEWTON_RTOL = 1e-10
NEWTON_ATOL = 1e-16


def behavioral_elements(circuit: Circuit) -> tuple[Behavioral, ...]:
    """The B sources of ``circuit`` in netlist order."""
    return tuple(el for el in circuit.elements if isinstance(el, Behavioral))


def is_nonlinear(circuit: Circuit) -> bool:
    """True if ``circuit`` holds a behavioural (B) source."""
    return any(isinstance(el, Behavioral) for el in circuit.elements)


# ------------------------------------------------------------------ compiled B set

@dataclass(frozen=True)
class NonlinearSystem:
    """The linearized circuit's MNA system plus the compiled B expressions.

    ``ycols``: column of each B source in the source vector; ``ucols``: the other sources.
    ``ctrl``: (n_ctrl, n) rows giving every control voltage from x.  ``ops``, ``vals``,
    ``starts``: the B programs concatenated (B source b runs ops[starts[b]:starts[b+1]],
    OP_CTRL operands indexing the global controls); ``depth``: largest stack depth.
    ``yvolt``: 1 for B voltage sources (their values are node voltages).
    """

    circuit: Circuit
    linear: Circuit
    system: MnaSystem
    names: tuple[str, ...]
    ycols: np.ndarray
    ucols: np.ndarray
    ctrl: np.ndarray
    ops: np.ndarray
    vals: np.ndarray
    starts: np.ndarray
    depth: int
    yvolt: np.ndarray
    basis: np.ndarray          # W (n, r)
    cache: dict = dataclasses.field(default_factory=dict, repr=False)

    @property
    def n_y(self) -> int:
        return len(self.names)


_SYSTEMS: dict[int, tuple[weakref.ref, NonlinearSystem]] = {}


def linearized_circuit(circuit: Circuit) -> Circuit:
    """``circuit`` with each B source replaced by a DC 0 source of its kind and nodes.

    Each node a B expression reads also gets a zero-transconductance sensing G element
    (``<bname>#sense<k>``, stamps nothing) so that the MNA keeps it as an unknown even when
    only a source drives it."""
    out, sense = [], []
    for el in circuit.elements:
        if isinstance(el, Behavioral):
            cls = VSource if el.is_voltage else ISource
            sense += [Vccs(f"{el.name}#sense{k}", GROUND, GROUND, node, GROUND, 0.0, el.loc)
                      for k, node in enumerate(el.control_nodes)]
            el = cls(el.name, el.pos, el.neg, Dc(0.0), el.loc)
        out.append(el)
    out += sense
    return dataclasses.replace(circuit, elements=tuple(out))


def nonlinear_system(circuit: Circuit) -> NonlinearSystem:
    """Compile the B sources of ``circuit`` against its linearized MNA system (cached)."""
    from .program import system_for

    hit = _SYSTEMS.get(id(circuit))
    if hit is not None and hit[0]() is circuit:
        return hit[1]
    for key in [k for k, v in _SYSTEMS.items() if v[0]() is None]:
        del _SYSTEMS[key]
    bs = behavioral_elements(circuit)
    if not bs:
        raise SimulationError(f"circuit {circuit.title!r} has no B source (it is linear)")
    linear = linearized_circuit(circuit)
    sys, _ = system_for(linear)
    names = tuple(b.name for b in bs)
    missing = [b.name for b in bs if b.name not in sys.sources]
    if missing:
        raise SimulationError(f"B source(s) {missing} do not connect to the analog circuit")
    ycols = np.array([sys.sources.index(nm) for nm in names], dtype=np.int64)
    ucols = np.array([j for j in range(len(sys.sources)) if j not in set(ycols.tolist())],
                     dtype=np.int64)
    pairs: list[tuple[str, str]] = []
    ops, vals, starts = [], [], [0]
    for b in bs:
        for node in b.control_nodes:
            if node not in sys.nodes:
                raise SimulationError(f"{b.name} ({b.loc}): V({node}) reads a node that is not "
                                      f"part of the analog circuit")
        for op, v in zip(b.expr.ops, b.expr.vals):
            if op == OP_CTRL:
                pair = b.expr.controls[int(v)]
                if pair not in pairs:
                    pairs.append(pair)
                v = float(pairs.index(pair))
            ops.append(op)
            vals.append(v)
        starts.append(len(ops))
    ctrl = np.zeros((len(pairs), sys.n))
    for k, (a, c) in enumerate(pairs):
        if a != GROUND:
            ctrl[k, sys.node_index(a)] += 1.0
        if c != GROUND:
            ctrl[k, sys.node_index(c)] -= 1.0
    nl = NonlinearSystem(circuit, linear, sys, names, ycols, ucols, ctrl,
                         np.array(ops, dtype=np.int64), np.array(vals, dtype=np.float64),
                         np.array(starts, dtype=np.int64), max(b.expr.depth for b in bs),
                         np.array([1.0 if b.is_voltage else 0.0 for b in bs]),
                         np.ascontiguousarray(sys.cap_basis))
    _SYSTEMS[id(circuit)] = (weakref.ref(circuit), nl)
    return nl


# ------------------------------------------------------------------ per-phase ladders

@dataclass(frozen=True)
class StepMatrices:
    """The step and projection matrices of a phase configuration at every step level.

    Level l = j − J_MIN (h = T/2^j).  z rows: ``az`` (L, r, r), ``gu``/``du`` (L, r, nu),
    ``gy``/``dy`` (L, r, ny); control rows ``cz``, ``cgu``, ``cdu``, ``cgy``, ``cdy``.
    Projection (consistent voltages given the charges and the source values): controls
    ``pz``, ``pu``, ``py``; outputs ``oz``, ``ou``, ``oy`` for the caller's output rows.
    The fields are in the order the kernels take them.
    """

    az: np.ndarray
    gu: np.ndarray
    du: np.ndarray
    gy: np.ndarray
    dy: np.ndarray
    cz: np.ndarray
    cgu: np.ndarray
    cdu: np.ndarray
    cgy: np.ndarray
    cdy: np.ndarray
    pz: np.ndarray
    pu: np.ndarray
    py: np.ndarray
    oz: np.ndarray
    ou: np.ndarray
    oy: np.ndarray


_MATRICES = tuple(f.name for f in dataclasses.fields(StepMatrices))


@dataclass(frozen=True, kw_only=True)
class Ladder(StepMatrices):
    """:class:`StepMatrices` of one phase configuration (switches, ``duration``)."""

    duration: float
    q: np.ndarray | None = None         # covariance (n, n) of x_end over the phase (noise)
    mproj: np.ndarray | None = None


def ladder(nl: NonlinearSystem, closed: frozenset[str], duration: float, out_rows: np.ndarray,
           temperature: float | None = None) -> Ladder:
    """The step ladder of one phase (cached per configuration; ``out_rows`` (no, n) are the
    caller's output rows, e.g. probes or node voltages)."""
    key = (closed, float(duration), temperature)
    base = nl.cache.get(key)
    if base is None:
        sys, w = nl.system, nl.basis
        levels = []
        for j in range(J_MIN, J_MAX + 1):
            mp = compute_phase_map(sys, closed, duration / 2.0 ** j, slope=True)
            levels.append((mp.mxx @ w, mp.mxu, mp.mxd))
        proj = compute_phase_map(sys, closed, duration * PROJ)
        q = mproj = None
        if temperature is not None:
            full = compute_phase_map(sys, closed, duration, temperature=temperature)
            q, mproj = full.q, full.mproj
        base = (levels, proj.mxx @ w, proj.mxu, q, mproj)
        nl.cache[key] = base
    levels, pxz, pxu, q, mproj = base
    w, e = nl.basis, nl.ctrl
    uc, yc = nl.ucols, nl.ycols
    st = lambda mats: np.ascontiguousarray(np.stack(mats))  # noqa: E731
    return Ladder(
        duration=float(duration),
        az=st([w.T @ xz for xz, _, _ in levels]),
        gu=st([w.T @ xu[:, uc] for _, xu, _ in levels]),
        du=st([w.T @ xd[:, uc] for _, _, xd in levels]),
        gy=st([w.T @ xu[:, yc] for _, xu, _ in levels]),
        dy=st([w.T @ xd[:, yc] for _, _, xd in levels]),
        cz=st([e @ xz for xz, _, _ in levels]),
        cgu=st([e @ xu[:, uc] for _, xu, _ in levels]),
        cdu=st([e @ xd[:, uc] for _, _, xd in levels]),
        cgy=st([e @ xu[:, yc] for _, xu, _ in levels]),
        cdy=st([e @ xd[:, yc] for _, _, xd in levels]),
        pz=np.ascontiguousarray(e @ pxz), pu=np.ascontiguousarray(e @ pxu[:, uc]),
        py=np.ascontiguousarray(e @ pxu[:, yc]),
        oz=np.ascontiguousarray(out_rows @ pxz), ou=np.ascontiguousarray(out_rows @ pxu[:, uc]),
        oy=np.ascontiguousarray(out_rows @ pxu[:, yc]), q=q, mproj=mproj)


@dataclass(frozen=True, kw_only=True)
class StackedLadders(StepMatrices):
    """Ladders of several configurations stacked for the kernels (index = config)."""

    durations: np.ndarray

    def args(self) -> tuple:
        """(durations, az, ..., oy): the kernels' arguments."""
        return (self.durations, *(getattr(self, nm) for nm in _MATRICES))


def stack_ladders(ladders) -> StackedLadders:
    return StackedLadders(durations=np.array([ld.duration for ld in ladders]),
                          **{nm: np.ascontiguousarray(np.stack([getattr(ld, nm) for ld in ladders]))
                             for nm in _MATRICES})


# ------------------------------------------------------------------ numba core

@nb.njit(cache=True)
def _eval_b(ops, vals, starts, ctrl, stack, gstack, f, jf):
    """f[b] = B program b at control voltages ``ctrl``; jf[b, :] = its gradient."""
    nc = ctrl.shape[0]
    for b in range(starts.shape[0] - 1):
        sp = 0
        for pc in range(starts[b], starts[b + 1]):
            op = ops[pc]
            if op == OP_CONST:
                stack[sp] = vals[pc]
                for k in range(nc):
                    gstack[sp, k] = 0.0
                sp += 1
            elif op == OP_CTRL:
                kk = int(vals[pc])
                stack[sp] = ctrl[kk]
                for k in range(nc):
                    gstack[sp, k] = 0.0
                gstack[sp, kk] = 1.0
                sp += 1
            elif op == OP_NEG or (op == OP_ABS and stack[sp - 1] < 0.0):
                stack[sp - 1] = -stack[sp - 1]
                for k in range(nc):
                    gstack[sp - 1, k] = -gstack[sp - 1, k]
            elif op == OP_ABS:
                pass
            elif op == OP_TANH:
                t = math.tanh(stack[sp - 1])
                stack[sp - 1] = t
                for k in range(nc):
                    gstack[sp - 1, k] *= 1.0 - t * t
            else:
                a = stack[sp - 2]
                c = stack[sp - 1]
                i, j = sp - 2, sp - 1
                if op == OP_ADD:
                    stack[i] = a + c
                    for k in range(nc):
                        gstack[i, k] += gstack[j, k]
                elif op == OP_SUB:
                    stack[i] = a - c
                    for k in range(nc):
                        gstack[i, k] -= gstack[j, k]
                elif op == OP_MUL:
                    stack[i] = a * c
                    for k in range(nc):
                        gstack[i, k] = gstack[i, k] * c + a * gstack[j, k]
                elif op == OP_DIV:
                    stack[i] = a / c
                    for k in range(nc):
                        gstack[i, k] = (gstack[i, k] * c - a * gstack[j, k]) / (c * c)
                elif op == OP_MIN:
                    if c < a:
                        stack[i] = c
                        for k in range(nc):
                            gstack[i, k] = gstack[j, k]
                elif op == OP_MAX:
                    if c > a:
                        stack[i] = c
                        for k in range(nc):
                            gstack[i, k] = gstack[j, k]
                sp -= 1
        f[b] = stack[0]
        for k in range(nc):
            jf[b, k] = gstack[0, k]


@nb.njit(cache=True)
def _solve_small(a, rhs, out):
    """out = a⁻¹ rhs (Gaussian elimination with partial pivoting; a, rhs are overwritten).
    Returns False for a singular a."""
    n = a.shape[0]
    for col in range(n):
        piv = col
        for r in range(col + 1, n):
            if abs(a[r, col]) > abs(a[piv, col]):
                piv = r
        if a[piv, col] == 0.0:
            return False
        if piv != col:
            for k in range(n):
                a[col, k], a[piv, k] = a[piv, k], a[col, k]
            rhs[col], rhs[piv] = rhs[piv], rhs[col]
        for r in range(col + 1, n):
            m = a[r, col] / a[col, col]
            for k in range(col, n):
                a[r, k] -= m * a[col, k]
            rhs[r] -= m * rhs[col]
    for r in range(n - 1, -1, -1):
        acc = rhs[r]
        for k in range(r + 1, n):
            acc -= a[r, k] * out[k]
        out[r] = acc / a[r, r]
    return True


@nb.njit(cache=True)
def _newton(c, dmat, y, ops, vals, starts, wk_v, wk_stack, wk_g, wk_f, wk_jf, wk_a, wk_r, wk_d):
    """Solve y = f(c + dmat y) in place (start: the given y).  Returns the iterations used,
    or -1 if it did not converge."""
    ny, nc = y.shape[0], c.shape[0]
    for it in range(NEWTON_MAX):
        for k in range(nc):
            acc = c[k]
            for b in range(ny):
                acc += dmat[k, b] * y[b]
            wk_v[k] = acc
        _eval_b(ops, vals, starts, wk_v, wk_stack, wk_g, wk_f, wk_jf)
        for b in range(ny):
            wk_r[b] = y[b] - wk_f[b]
            for b2 in range(ny):
                acc = 1.0 if b == b2 else 0.0
                for k in range(nc):
                    acc -= wk_jf[b, k] * dmat[k, b2]
                wk_a[b, b2] = acc
        if not _solve_small(wk_a, wk_r, wk_d):
            return -1
        done = True
        for b in range(ny):
            y[b] -= wk_d[b]
            # what round-off of the inputs (~1e-16 relative) moves f by, times 100
            noise = 0.0
            for k in range(nc):
                noise += abs(wk_jf[b, k]) * abs(wk_v[k])
            if not abs(wk_d[b]) <= NEWTON_ATOL + NEWTON_RTOL * abs(y[b]) + 1e-14 * noise:
                done = False
        if done:
            return it + 1
    return -1


@nb.njit(cache=True)
def _substep(g, lv, h, ut, du, z, y, zo, yo, az, gu, dus, gy, dy, cz, cgu, cdu, cgy, cdy,
             ops, vals, starts, wk):
    """One step of level ``lv`` (length h) of config g from (z, y) with sources ut (at the
    step start) and slope du: writes (zo, yo); returns False if Newton failed."""
    wk_c, wk_dm, wk_v, wk_stack, wk_g, wk_f, wk_jf, wk_a, wk_r, wk_d = wk
    r, nu, ny, nc = z.shape[0], ut.shape[0], y.shape[0], wk_c.shape[0]
    inv_h = 1.0 / h
    for k in range(nc):
        acc = 0.0
        for i in range(r):
            acc += cz[g, lv, k, i] * z[i]
        for i in range(nu):
            acc += cgu[g, lv, k, i] * ut[i] + cdu[g, lv, k, i] * du[i]
        for b in range(ny):
            d = cdy[g, lv, k, b] * inv_h
            acc += (cgy[g, lv, k, b] - d) * y[b]
            wk_dm[k, b] = d
        wk_c[k] = acc
    for b in range(ny):
        yo[b] = y[b]
    if _newton(wk_c, wk_dm, yo, ops, vals, starts, wk_v, wk_stack, wk_g, wk_f, wk_jf, wk_a,
               wk_r, wk_d) < 0:
        return False
    _advance(g, lv, h, ut, du, z, y, yo, zo, az, gu, dus, gy, dy)
    return True


@nb.njit(cache=True)
def _advance(g, lv, h, ut, du, z, y, yo, zo, az, gu, dus, gy, dy):
    """zo = the exact linear step of level lv with the B values going affinely y -> yo."""
    r, nu, ny = z.shape[0], ut.shape[0], y.shape[0]
    inv_h = 1.0 / h
    for i in range(r):
        acc = 0.0
        for l in range(r):
            acc += az[g, lv, i, l] * z[l]
        for l in range(nu):
            acc += gu[g, lv, i, l] * ut[l] + dus[g, lv, i, l] * du[l]
        for b in range(ny):
            d = dy[g, lv, i, b] * inv_h
            acc += (gy[g, lv, i, b] - d) * y[b] + d * yo[b]
        zo[i] = acc


@nb.njit(cache=True)
def make_work(r, nu, ny, nc, depth):
    """Scratch arrays of one thread."""
    wk = (np.zeros(nc), np.zeros((nc, max(ny, 1))), np.zeros(nc), np.zeros(depth + 1),
          np.zeros((depth + 1, nc)), np.zeros(ny), np.zeros((ny, nc)), np.zeros((ny, ny)),
          np.zeros(ny), np.zeros(ny))
    return wk


@nb.njit(cache=True)
def project(g, z, u, y, pz, pu, py, ops, vals, starts, wk):
    """The B values consistent with charges z and sources u of config g (y: start guess,
    updated in place); False if Newton failed."""
    wk_c, wk_dm, wk_v, wk_stack, wk_g, wk_f, wk_jf, wk_a, wk_r, wk_d = wk
    nc, ny = wk_c.shape[0], y.shape[0]
    for k in range(nc):
        acc = 0.0
        for i in range(z.shape[0]):
            acc += pz[g, k, i] * z[i]
        for i in range(u.shape[0]):
            acc += pu[g, k, i] * u[i]
        wk_c[k] = acc
        for b in range(ny):
            wk_dm[k, b] = py[g, k, b]
    return _newton(wk_c, wk_dm, y, ops, vals, starts, wk_v, wk_stack, wk_g, wk_f, wk_jf,
                   wk_a, wk_r, wk_d) >= 0


@nb.njit(cache=True)
def run_phase(g, z, y, u0, du, yvolt, tol, durations, az, gu, dus, gy, dy, cz, cgu, cdu, cgy,
              cdy, pz, pu, py, ops, vals, starts, wk, bufs, stats):
    """Step (z, y) through phase config g (sources u0 at its start, slope du), in place.

    stats[0] += trial steps, stats[1] = max(stats[1], summed error of the finest steps
    that missed their allowance / (FINEST_SHARE·tol)), stats[2] += Newton failures.
    """
    T = durations[g]
    zb, yb, z1, y1, z2, y2, ut, um, zc = bufs
    r, ny, nu = z.shape[0], y.shape[0], u0.shape[0]
    if ny and not project(g, z, u0, y, pz, pu, py, ops, vals, starts, wk):
        stats[2] += 1
        return
    total = 1 << J_MAX                  # position counted in units of the finest step
    excess = 0.0                        # summed error of finest steps over their allowance
    pos = 0
    j = J_MIN
    while pos < total:
        span = 1 << (J_MAX - j)
        lv = j - J_MIN
        h = T / (1 << j)
        t = T * pos / total
        for i in range(nu):
            ut[i] = u0[i] + du[i] * t
        # two half steps (level j+1) with the B equations solved at the midpoint and the
        # end, and the same two half steps with y taken affine over the whole step h
        # (y -> (y + y2)/2 -> y2): their difference is the first-order-hold error of a step
        # of h, free of the maps' own round-off (the same matrices are used)
        ok = _substep(g, lv + 1, 0.5 * h, ut, du, z, y, z1, y1, az, gu, dus, gy, dy, cz, cgu,
                      cdu, cgy, cdy, ops, vals, starts, wk)
        for i in range(nu):
            um[i] = u0[i] + du[i] * (t + 0.5 * h)
        ok &= _substep(g, lv + 1, 0.5 * h, um, du, z1, y1, z2, y2, az, gu, dus, gy, dy, cz,
                       cgu, cdu, cgy, cdy, ops, vals, starts, wk)
        for b in range(ny):
            yb[b] = 0.5 * (y[b] + y2[b])
        _advance(g, lv + 1, 0.5 * h, ut, du, z, y, yb, zb, az, gu, dus, gy, dy)
        _advance(g, lv + 1, 0.5 * h, um, du, zb, yb, y2, zc, az, gu, dus, gy, dy)
        stats[0] += 1
        if not ok:
            # a step too long for the B equations (e.g. a clamped op-amp whose linear loop
            # is faster than h/2 makes y = f(c + D y) non-monotone): halve it
            if j + 1 < J_MAX:
                j += 1
                continue
            stats[2] += 1
            return                      # reported; the rest of the phase would be noise
        err = 0.0
        for i in range(r):
            err = max(err, abs(zc[i] - z2[i]))
        err = max(err - ERR_FLOOR, 0.0)        # the Newton solves' own tolerance
        allowed = tol * span / total
        if err <= allowed or j + 1 >= J_MAX:
            if err > allowed:
                excess += err
            for i in range(r):
                z[i] = z2[i]
            for b in range(ny):
                y[b] = y2[b]
            pos += span
            if err <= 0.125 * allowed and j > J_MIN and pos % (2 * span) == 0:
                j -= 1
        else:
            j += 1
    stats[1] = max(stats[1], excess / (FINEST_SHARE * tol))


@nb.njit(cache=True)
def make_bufs(r, ny, nu):
    return (np.zeros(r), np.zeros(ny), np.zeros(r), np.zeros(ny), np.zeros(r), np.zeros(ny),
            np.zeros(nu), np.zeros(nu), np.zeros(r))


@nb.njit(cache=True)
def phase_outputs(g, z, u_end, y, oz, ou, oy, out):
    """out = output rows of config g at the phase end (consistent with z, u_end, y)."""
    for k in range(out.shape[0]):
        acc = 0.0
        for i in range(z.shape[0]):
            acc += oz[g, k, i] * z[i]
        for i in range(u_end.shape[0]):
            acc += ou[g, k, i] * u_end[i]
        for b in range(y.shape[0]):
            acc += oy[g, k, b] * y[b]
        out[k] = acc


# ------------------------------------------------------------------ DC operating point

@dataclass(frozen=True)
class DcMap:
    """x = xu·u + xy·y with the caps open (switches of one configuration); controls
    cu = ctrl·xu, cy = ctrl·xy; z = basisᵀ x."""

    xu: np.ndarray
    xy: np.ndarray
    cu: np.ndarray
    cy: np.ndarray


def dc_map(nl: NonlinearSystem, closed: frozenset[str]) -> DcMap:
    from .program import dc_operating_point

    sys = nl.system
    ns = len(sys.sources)
    cols = [dc_operating_point(sys, closed, np.eye(ns)[j]) for j in range(ns)]
    x = np.array(cols).T.reshape(sys.n, ns)
    xu, xy = x[:, nl.ucols], x[:, nl.ycols]
    return DcMap(np.ascontiguousarray(xu), np.ascontiguousarray(xy),
                 np.ascontiguousarray(nl.ctrl @ xu), np.ascontiguousarray(nl.ctrl @ xy))


@nb.njit(cache=True)
def dc_solve(u, y, cu, cy, ops, vals, starts, wk):
    """B values y (in place) of the DC operating point with sources u; False on failure."""
    wk_c, wk_dm, wk_v, wk_stack, wk_g, wk_f, wk_jf, wk_a, wk_r, wk_d = wk
    for k in range(wk_c.shape[0]):
        acc = 0.0
        for i in range(u.shape[0]):
            acc += cu[k, i] * u[i]
        wk_c[k] = acc
        for b in range(y.shape[0]):
            wk_dm[k, b] = cy[k, b]
    return _newton(wk_c, wk_dm, y, ops, vals, starts, wk_v, wk_stack, wk_g, wk_f, wk_jf,
                   wk_a, wk_r, wk_d) >= 0



@nb.njit(cache=True)
def affine_uy(a, u, b, y, out):
    """out = a·u + b·y (e.g. charges or outputs of the DC operating point)."""
    for k in range(out.shape[0]):
        acc = 0.0
        for l in range(u.shape[0]):
            acc += a[k, l] * u[l]
        for m in range(y.shape[0]):
            acc += b[k, m] * y[m]
        out[k] = acc


@nb.njit(cache=True)
def dc_start(u, y, z, dc_cu, dc_cy, dc_zu, dc_zy, ops, vals, starts, wk):
    """The DC operating point with sources u: B values y (Newton, in place) and charges
    z = dc_zu·u + dc_zy·y; False if Newton failed (z is still written)."""
    ok = dc_solve(u, y, dc_cu, dc_cy, ops, vals, starts, wk)
    affine_uy(dc_zu, u, dc_zy, y, z)
    return ok


def check_stats(stats: np.ndarray, what: str) -> None:
    """SimulationError if a kernel reported a Newton failure or a missed error allowance."""
    fails = int(stats[..., 2].sum())
    worst = float(stats[..., 1].max()) if stats.size else 0.0
    if fails:
        raise SimulationError(f"{what}: the B-source equations did not converge in {fails} "
                              f"step(s) (Newton, {NEWTON_MAX} iterations); is an expression "
                              f"discontinuous or its loop gain above 1?")
    if worst > 1.0:
        raise SimulationError(f"{what}: steps at the finest level T/2^{J_MAX} missed their "
                              f"error allowance by {worst * FINEST_SHARE:.3g} times the phase "
                              f"allowance in all; the B-source circuit needs finer time steps "
                              f"than the stepper takes (raise the allowance, or smooth the "
                              f"expression)")
