"""Engine throughput: the numba program kernel vs. plain numpy applying the same maps.

Program: the two-phase SC integrator (E gain 1e4, Cs/Cf = 1/2, parasitic Cp) reset once
and run for 8 iterations (17 steps), 100 000 samples with random inputs.  Prints one JSON
line per figure: compile_program time, numba first-call (compile) time, steady-state
phase-steps/s of numpy (vectorized over samples: z = z @ phi.T + u @ gam.T, single
thread) and of the kernel with 1 and 2 numba threads, the ratios (same run), and the
1-minute load average (the machine is shared: a loaded machine favours 1 thread).

Usage: python benchmarks/engine_kernel_vs_numpy.py [--samples N] [--repeats R]
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numba
import numpy as np

from dgcq_sim.engine import Phase, apply_program, compile_program
from dgcq_sim.netlist.circuit import Capacitor, Circuit, Dc, Switch, SwitchModel, Vcvs, VSource


def sc_integrator() -> Circuit:
    m = SwitchModel("sw", 100.0, 1e15, 0.5, 0.0)
    els = (VSource("vin", "in", "0", Dc(0.0)),
           Switch("s1", "in", "a", "x", "0", m), Switch("s2", "b", "0", "x", "0", m),
           Switch("s3", "a", "0", "x", "0", m), Switch("s4", "b", "vg", "x", "0", m),
           Switch("srst", "vg", "out", "x", "0", m),
           Capacitor("cs", "a", "b", 1e-13), Capacitor("cf", "vg", "out", 2e-13),
           Capacitor("cp", "vg", "0", 3e-14), Vcvs("e", "out", "0", "0", "vg", 1e4))
    return Circuit("sc integrator", els)


def numpy_apply(prog, z0, u):
    z = np.broadcast_to(z0, (u.shape[0], prog.n_state)).copy()
    probes = np.empty((u.shape[0], prog.n_steps, len(prog.probes)))
    for k in range(prog.n_steps):
        probes[:, k] = z @ prog.probe_z[k].T + u[:, k] @ prog.probe_u[k].T
        z = z @ prog.phi[k].T + u[:, k] @ prog.gam[k].T
    return z, probes


def best_time(fn, repeats):
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    t0 = time.perf_counter()
    phases = [Phase(2e-8, frozenset({"srst", "s2", "s3"}))]
    phases += [Phase(2e-8, frozenset({"s1", "s2"})), Phase(2e-8, frozenset({"s3", "s4"}))] * 8
    prog = compile_program(sc_integrator(), phases, ["vin"], ["out"])
    t_compile_prog = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    u = np.repeat(rng.uniform(-0.5, 0.5, (args.samples, 1, 1)), prog.n_steps, axis=1)
    z0 = prog.initial_state([0.0])
    steps = args.samples * prog.n_steps

    t0 = time.perf_counter()
    apply_program(prog, z0, u[:10])
    t_numba_compile = time.perf_counter() - t0
    common = {"program": "sc_integrator_8_iterations", "samples": args.samples,
              "steps_per_sample": prog.n_steps, "n_state": prog.n_state,
              "load_avg_1min": round(os.getloadavg()[0], 2)}
    print(json.dumps({"figure": "compile_program_s", "value": round(t_compile_prog, 4), **common}))
    print(json.dumps({"figure": "numba_first_call_s", "value": round(t_numba_compile, 4), **common}))

    t_numpy = best_time(lambda: numpy_apply(prog, z0, u), args.repeats)
    zn, pn = numpy_apply(prog, z0, u)
    print(json.dumps({"figure": "numpy_phase_steps_per_s", "value": steps / t_numpy, **common}))
    max_threads = numba.config.NUMBA_NUM_THREADS
    for threads in sorted({1, min(2, max_threads)}):
        numba.set_num_threads(threads)
        t_kernel = best_time(lambda: apply_program(prog, z0, u), args.repeats)
        zk, pk = apply_program(prog, z0, u)
        max_diff = float(max(np.abs(zk - zn).max(), np.abs(pk - pn).max()))
        print(json.dumps({"figure": "kernel_phase_steps_per_s", "value": steps / t_kernel,
                          "threads": threads, **common}))
        print(json.dumps({"figure": "kernel_over_numpy", "value": round(t_numpy / t_kernel, 2),
                          "threads": threads, "target": 5.0, "max_abs_diff_V": max_diff,
                          **common}))


if __name__ == "__main__":
    main()
