"""Decision-response form of a compiled program: exact superposition, O(D^2) per conversion.

The quantizer circuits are linear and their controllers change source values only, so the
voltage a comparator sees at decision j is an exact affine function of the input, of the
earlier decisions and of the thermal-noise draws of all steps so far:

    s_j = A_j * vin + C_j + sum_{i<j} B_ji d_i + n_j ,    d_j = [s_j >= 0]

where C_j already holds the comparator offset minus its threshold, and n = L @ xi with
xi ~ N(0, I_D) has the joint covariance of the propagated kT/C + resistor noise plus the
independent comparator noise.  The tables are obtained by pushing the symbolic basis
(vin, 1, d_0..d_D-1, every step's noise components) through the program's per-step maps
(phi, gam, probe_z, probe_u, noise, noise_probe), i.e. the same matrices a step-by-step
simulation uses (``stepping.py`` does that, and the tests check both agree).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine import CompiledProgram
from ..errors import SimulationError
from .schedule import Schedule


@dataclass(frozen=True)
class ResponseTables:
    """Per-decision affine tables (D decisions).

    a (D,): V per V of input.  c (D,): V (offset - threshold included).  b (D, D): V per
    decision, strictly lower triangular.  chol (D, D): lower-triangular noise factor, V
    (thermal + comparator); chol_thermal (D, D) without comparator noise.
    stage (D,), weight (D,): stage index and code weight of each decision.
    """

    a: np.ndarray
    c: np.ndarray
    b: np.ndarray
    chol: np.ndarray
    cov_thermal: np.ndarray
    stage: np.ndarray
    weight: np.ndarray
    noise_by_step: np.ndarray    # (D, K): thermal variance at decision j from step k's noise

    @property
    def bt(self) -> np.ndarray:
        """b transposed, contiguous (row i: effect of decision i on later decisions)."""
        return np.ascontiguousarray(self.b.T)

    @property
    def chol_t(self) -> np.ndarray:
        """chol transposed, contiguous (row i: effect of noise draw i)."""
        return np.ascontiguousarray(self.chol.T)


def psd_cholesky(cov: np.ndarray, rel_tol: float = 1e-14) -> np.ndarray:
    """Lower-triangular L with L @ L.T = cov for a positive SEMI-definite cov.

    Pivots below ``rel_tol * max(diag)`` are taken as exactly zero (that direction has no
    randomness, e.g. a noise-free decision), instead of failing like np.linalg.cholesky.
    """
    n = cov.shape[0]
    L = np.zeros_like(cov)
    scale = max(float(np.max(np.diag(cov))) if n else 0.0, 0.0)
    tol = rel_tol * scale
    for j in range(n):
        d = cov[j, j] - L[j, :j] @ L[j, :j]
        if d <= tol:
            continue
        L[j, j] = np.sqrt(d)
        L[j + 1:, j] = (cov[j + 1:, j] - L[j + 1:, :j] @ L[j, :j]) / L[j, j]
    return L


def require_finite(what: str, **arrays: np.ndarray) -> None:
    """SimulationError unless every array is finite: a circuit whose state overflows the
    float range over the conversion (a parameter far outside its physical range, e.g. a
    farad-sized capacitance) must not pass NaN decisions on as codes."""
    bad = [name for name, a in arrays.items() if not np.all(np.isfinite(a))]
    if bad:
        raise overflow_error(what, f"{', '.join(bad)} not finite over the conversion")


def overflow_error(what: str, detail: str) -> SimulationError:
    """The error of a circuit whose ``what`` left the float range (``detail``: where)."""
    return SimulationError(f"the circuit's {what} overflow the float range ({detail}): a "
                           f"parameter far outside its physical range (a farad-sized "
                           f"capacitance or charge, a huge source)? Check the quantizer's "
                           f"parameter values")


def initial_map(prog: CompiledProgram, sched: Schedule) -> tuple[np.ndarray, np.ndarray]:
    """z0 = z0v * vin + z0c: the DC operating point of step 0 (reset) as an affine map."""
    u0 = sched.u_const[0]
    z_at0 = prog.initial_state(u0, 0)
    z_at1 = prog.initial_state(u0 + sched.u_vin[0], 0)
    return np.ascontiguousarray(z_at1 - z_at0), np.ascontiguousarray(z_at0)


def build_tables(prog: CompiledProgram, sched: Schedule) -> ResponseTables:
    """Push the symbolic basis through ``prog`` and read the tables at each decision."""
    K, m, D = sched.n_steps, len(sched.inputs), len(sched.decisions)
    ranks = [int(x) for x in prog.noise_rank]
    offs = np.concatenate([[0], np.cumsum(ranks)]).astype(int)
    Q = int(offs[-1])
    ncol = 2 + D + Q                       # columns: vin, const, d_0..d_D-1, noise
    Z = np.zeros((prog.n_state, ncol))
    Z[:, 0], Z[:, 1] = initial_map(prog, sched)
    rows: dict[int, list[tuple[int, np.ndarray]]] = {}
    for j, dec in enumerate(sched.decisions):
        rows.setdefault(dec.step, []).append((j, None))
    out = np.zeros((D, ncol))
    with np.errstate(over="ignore", invalid="ignore"):   # overflow: require_finite below
        for k in range(K):
            U = np.zeros((m, ncol))
            U[:, 0] = sched.u_vin[k]
            U[:, 1] = sched.u_const[k]
            U[:, 2:2 + D] = sched.u_dec_step(k)
            P = prog.probe_z[k] @ Z + prog.probe_u[k] @ U
            Z = prog.phi[k] @ Z + prog.gam[k] @ U
            if ranks[k]:
                cols = slice(2 + D + offs[k], 2 + D + offs[k + 1])
                P[:, cols] += prog.noise_probe[k][:, :ranks[k]]
                Z[:, cols] += prog.noise[k][:, :ranks[k]]
            for j, _ in rows.get(k, []):
                out[j] = P[sched.decisions[j].probe]
    require_finite("decision responses", responses=out)
    a = out[:, 0].copy()
    c = out[:, 1] + np.array([d.offset - d.threshold for d in sched.decisions])
    b = out[:, 2:2 + D].copy()
    if np.any(np.triu(b) != 0.0):
        raise SimulationError("a decision depends on itself or on a later decision: the "
                              "schedule drives a source before the decision is taken")
    M = out[:, 2 + D:]
    cov_th = M @ M.T
    var_cmp = np.array([d.noise_rms ** 2 for d in sched.decisions])
    noise_by_step = np.zeros((D, K))
    for k in range(K):
        seg = M[:, offs[k]:offs[k + 1]]
        noise_by_step[:, k] = np.einsum("ij,ij->i", seg, seg)
    return ResponseTables(
        a=np.ascontiguousarray(a), c=np.ascontiguousarray(c), b=np.ascontiguousarray(b),
        chol=np.ascontiguousarray(psd_cholesky(cov_th + np.diag(var_cmp))),
        cov_thermal=cov_th,
        stage=sched.stage_index, weight=sched.weights,
        noise_by_step=noise_by_step)
