"""Macro steps: the phases between two decision steps merged into one affine map.

Between two comparator decision steps nothing the controller does depends on new
information, so the steps up to (and including) a decision step compose exactly into one
map of the state, the input, the constant 1 and the earlier decisions, plus one Gaussian
noise term whose factor is compressed (eigen-decomposition of the joint covariance of the
new state and the probes of every decision of that step) to at most r + (decisions of the
step) components.  The stepping kernel then does one mat-vec per decision step instead of
one per phase, and loops over the decisions of a step (a flash has 2^N - 1 in one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine import CompiledProgram
from .response import require_finite
from .schedule import Schedule

NOISE_REL_FLOOR = 1e-24   # eigenvalues below this fraction of the largest are dropped


@dataclass(frozen=True)
class MacroProgram:
    """M macro steps; macro m ends with decisions ``dec_lo[m]:dec_hi[m]`` (maybe none).

    z <- phi[m] z + gv[m] x + gc[m] + sum_e st_vec[e] d[st_idx[e]] + fz[m] xi
    probe_j = pz[j] . z_start + pv[j] x + pc[j] + sum_e pr_coef[e] d[pr_idx[e]] + fp[j] . xi
    """

    phi: np.ndarray
    gv: np.ndarray
    gc: np.ndarray
    dec_lo: np.ndarray
    dec_hi: np.ndarray
    pz: np.ndarray
    pv: np.ndarray
    pc: np.ndarray
    pr_ptr: np.ndarray
    pr_idx: np.ndarray
    pr_coef: np.ndarray
    fp: np.ndarray
    st_ptr: np.ndarray
    st_idx: np.ndarray
    st_vec: np.ndarray
    fz: np.ndarray
    rank: np.ndarray


def build_macro(prog: CompiledProgram, sched: Schedule) -> MacroProgram:
    """Compose the program's steps between decision steps (see module docstring)."""
    r, K, D = prog.n_state, sched.n_steps, len(sched.decisions)
    sp = sched.step_decisions
    ends = [k for k in range(K) if sp[k + 1] > sp[k] or k == K - 1]
    M = len(ends)
    phi = np.zeros((M, r, r))
    gv, gc = np.zeros((M, r)), np.zeros((M, r))
    pz, pv, pc = np.zeros((D, r)), np.zeros(D), np.zeros(D)
    dec_lo, dec_hi = np.zeros(M, np.int64), np.zeros(M, np.int64)
    st_ptr, st_idx, st_vec = [0], [], []
    pr_ptr, pr_idx, pr_coef = [0], [], []
    factors = []
    k0 = 0
    for m, k1 in enumerate(ends):
        # affine state in columns [z_start (r) | x | 1 | decisions used (local) | noise]
        dcols: dict[int, int] = {}
        A = np.hstack([np.eye(r), np.zeros((r, 2))])
        N = np.zeros((r, 0))
        probe_rows, probe_noise = [], []
        with np.errstate(over="ignore", invalid="ignore"):   # overflow: checked below
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
                if k == k1:
                    for j in range(sp[k], sp[k + 1]):
                        pi = sched.decisions[j].probe
                        probe_rows.append(prog.probe_z[k, pi] @ A + prog.probe_u[k, pi] @ U)
                        probe_noise.append(np.concatenate([prog.probe_z[k, pi] @ N,
                                                           prog.noise_probe[k, pi, :rank]]))
                A = prog.phi[k] @ A + prog.gam[k] @ U
                N = np.hstack([prog.phi[k] @ N, prog.noise[k][:, :rank]])
        require_finite("merged steps", state=A, noise=N,
                       probes=np.array(probe_rows), probe_noise=np.array(probe_noise))
        phi[m] = A[:, :r]
        gv[m], gc[m] = A[:, r], A[:, r + 1]
        for j, col in sorted(dcols.items()):
            if np.any(A[:, col]):
                st_idx.append(j)
                st_vec.append(A[:, col])
        st_ptr.append(len(st_idx))
        dec_lo[m], dec_hi[m] = sp[k1], sp[k1 + 1]
        for j, row in zip(range(sp[k1], sp[k1 + 1]), probe_rows):
            pz[j], pv[j], pc[j] = row[:r], row[r], row[r + 1]
            for jj, col in sorted(dcols.items()):
                if row[col] != 0.0:
                    pr_idx.append(jj)
                    pr_coef.append(row[col])
            pr_ptr.append(len(pr_idx))
        joint = np.vstack([N] + [pn[None, :] for pn in probe_noise])
        cov = joint @ joint.T
        lam, vec = np.linalg.eigh(0.5 * (cov + cov.T))
        keep = lam > NOISE_REL_FLOOR * max(float(lam.max(initial=0.0)), 1e-300)
        factors.append(vec[:, keep] * np.sqrt(lam[keep]))
        k0 = k1 + 1
    q = max([f.shape[1] for f in factors] + [1])
    fz, fp = np.zeros((M, r, q)), np.zeros((D, q))
    rank = np.zeros(M, dtype=np.int64)
    for m, f in enumerate(factors):
        fz[m, :, :f.shape[1]] = f[:r]
        fp[dec_lo[m]:dec_hi[m], :f.shape[1]] = f[r:]
        rank[m] = f.shape[1]
    c = np.ascontiguousarray
    return MacroProgram(
        phi=c(phi), gv=c(gv), gc=c(gc), dec_lo=dec_lo, dec_hi=dec_hi,
        pz=c(pz), pv=c(pv), pc=c(pc), pr_ptr=np.array(pr_ptr, np.int64),
        pr_idx=np.array(pr_idx, np.int64), pr_coef=np.array(pr_coef, float), fp=c(fp),
        st_ptr=np.array(st_ptr, np.int64), st_idx=np.array(st_idx, np.int64),
        st_vec=c(np.array(st_vec).reshape(-1, r)), fz=c(fz), rank=rank)
