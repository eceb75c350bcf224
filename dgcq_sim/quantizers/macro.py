"""Macro steps: the phases between two decisions merged into one affine map.

Between two comparator decisions nothing the controller does depends on new information,
so the steps up to (and including) a decision step compose exactly into one map of the
state, the input, the constant 1 and the earlier decisions, plus one Gaussian noise term
whose factor is compressed (eigen-decomposition of the joint covariance of the new state
and the decision's probe) to at most r + 1 components.  The stepping kernel then does one
mat-vec per decision instead of one per phase.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine import CompiledProgram
from .schedule import Schedule

NOISE_REL_FLOOR = 1e-24   # eigenvalues below this fraction of the largest are dropped


@dataclass(frozen=True)
class MacroProgram:
    """M macro steps; macro m ends with decision ``dec_at[m]`` (-1: none, the last one).

    z <- phi[m] z + gv[m] x + gc[m] + sum_e vec[e] d[idx[e]] + fz[m] xi
    probe = pz[m] . z_start + pv[m] x + pc[m] + sum_e coef[e] d[idx2[e]] + fp[m] . xi
    """

    phi: np.ndarray
    gv: np.ndarray
    gc: np.ndarray
    pz: np.ndarray
    pv: np.ndarray
    pc: np.ndarray
    dec_at: np.ndarray
    st_ptr: np.ndarray
    st_idx: np.ndarray
    st_vec: np.ndarray
    pr_ptr: np.ndarray
    pr_idx: np.ndarray
    pr_coef: np.ndarray
    fz: np.ndarray
    fp: np.ndarray
    rank: np.ndarray


def build_macro(prog: CompiledProgram, sched: Schedule) -> MacroProgram:
    """Compose the program's steps between decisions (see module docstring)."""
    r, K = prog.n_state, sched.n_steps
    at = sched.decision_at_step
    ends = [k for k in range(K) if at[k] >= 0 or k == K - 1]
    M = len(ends)
    phi = np.zeros((M, r, r))
    gv, gc, pz = np.zeros((M, r)), np.zeros((M, r)), np.zeros((M, r))
    pv, pc = np.zeros(M), np.zeros(M)
    dec_at = np.full(M, -1, dtype=np.int64)
    st_ptr, st_idx, st_vec = [0], [], []
    pr_ptr, pr_idx, pr_coef = [0], [], []
    factors = []
    k0 = 0
    for m, k1 in enumerate(ends):
        # affine state in columns [z_start (r) | x | 1 | decisions used (local) | noise]
        dcols: dict[int, int] = {}
        A = np.hstack([np.eye(r), np.zeros((r, 2))])
        N = np.zeros((r, 0))
        probe_row = None
        for k in range(k0, k1 + 1):
            U = np.zeros((prog.n_inputs, A.shape[1]))
            U[:, r] = sched.u_vin[k]
            U[:, r + 1] = sched.u_const[k]
            for e in range(sched.dec_ptr[k], sched.dec_ptr[k + 1]):
                j = int(sched.dec_index[e])
                if j not in dcols:
                    dcols[j] = A.shape[1]
                    A = np.hstack([A, np.zeros((r, 1))])
                    U = np.hstack([U, np.zeros((U.shape[0], 1))])
                U[sched.dec_input[e], dcols[j]] += sched.dec_coef[e]
            rank = int(prog.noise_rank[k])
            j_here = int(at[k])
            if k == k1 and j_here >= 0:
                pi = sched.decisions[j_here].probe
                probe_row = prog.probe_z[k, pi] @ A + prog.probe_u[k, pi] @ U
                probe_noise = np.concatenate([prog.probe_z[k, pi] @ N,
                                              prog.noise_probe[k, pi, :rank]])
            A = prog.phi[k] @ A + prog.gam[k] @ U
            N = np.hstack([prog.phi[k] @ N, prog.noise[k][:, :rank]])
        phi[m] = A[:, :r]
        gv[m], gc[m] = A[:, r], A[:, r + 1]
        for j, col in sorted(dcols.items()):
            if np.any(A[:, col]):
                st_idx.append(j)
                st_vec.append(A[:, col])
        st_ptr.append(len(st_idx))
        if probe_row is not None:
            dec_at[m] = at[k1]
            pz[m], pv[m], pc[m] = probe_row[:r], probe_row[r], probe_row[r + 1]
            for j, col in sorted(dcols.items()):
                if probe_row[col] != 0.0:
                    pr_idx.append(j)
                    pr_coef.append(probe_row[col])
            joint = np.vstack([N, probe_noise[None, :]])
        else:
            joint = np.vstack([N, np.zeros((1, N.shape[1]))])
        pr_ptr.append(len(pr_idx))
        cov = joint @ joint.T
        lam, vec = np.linalg.eigh(0.5 * (cov + cov.T))
        keep = lam > NOISE_REL_FLOOR * max(float(lam.max(initial=0.0)), 1e-300)
        factors.append(vec[:, keep] * np.sqrt(lam[keep]))
        k0 = k1 + 1
    q = max([f.shape[1] for f in factors] + [1])
    fz, fp = np.zeros((M, r, q)), np.zeros((M, q))
    rank = np.zeros(M, dtype=np.int64)
    for m, f in enumerate(factors):
        fz[m, :, :f.shape[1]] = f[:r]
        fp[m, :f.shape[1]] = f[r]
        rank[m] = f.shape[1]
    c = np.ascontiguousarray
    return MacroProgram(
        phi=c(phi), gv=c(gv), gc=c(gc), pz=c(pz), pv=c(pv), pc=c(pc), dec_at=dec_at,
        st_ptr=np.array(st_ptr, np.int64), st_idx=np.array(st_idx, np.int64),
        st_vec=c(np.array(st_vec).reshape(-1, r)), pr_ptr=np.array(pr_ptr, np.int64),
        pr_idx=np.array(pr_idx, np.int64), pr_coef=np.array(pr_coef, float),
        fz=c(fz), fp=c(fp), rank=rank)
