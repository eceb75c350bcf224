"""Engine vs ngspice on the 8-iteration SC integrator (dgcq_sim/netlists/xval_sc_integrator.cir).

Same netlist, N DC input values VS (default 1000, spread over 0..0.5 V).

* ngspice: the fastest way found is ONE batch process whose ``.control`` block loops over
  the inputs (``alter vin dc = VS`` + ``tran`` + ``meas ... find v(node) at=t`` for every
  state node at every comparison time + ``destroy all``), so process start-up and netlist
  parsing are paid once; the ``meas`` lines are parsed from its stdout.  Options and step
  bound are those of the cross-validation tests (dgcq_sim.spice.DEFAULT_OPTIONS, tmax =
  tstop/20000).
* engine: ``simulate(circuit, at=times, sweep={"vin": VS})``, all N inputs in one call.
  The first call includes numba compilation (or loading it from the on-disk cache) and
  the phase-map precomputation; the second call is the steady state.

Comparison times: the end of every flat stretch of the sources (phase ends just before each
clock or decision edge, plus 0 and tstop), state nodes only (a, b, vg, r, out).

Prints one JSON line per figure; writes benchmarks/out/engine_vs_ngspice.png.
Usage: python benchmarks/engine_vs_ngspice.py [--n 1000] [--gain 1000]
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

from dgcq_sim.engine import simulate
from dgcq_sim.netlist import load_netlist
from dgcq_sim.paths import bundled_netlist
from dgcq_sim.spice import (DEFAULT_OPTIONS, flat_end_times, ngspice_executable,
                            source_driven_nodes, to_spice)
from dgcq_sim.spice.export import format_number

OUT_DIR = Path(__file__).resolve().parent / "out"
_MEAS = re.compile(r"^\s*(m_\d+_\d+_\d+)\s*=\s*(\S+)", re.MULTILINE)


def ngspice_control_loop(circuit, values, times, nodes, tmax):
    """Run all inputs in one ngspice process.

    Returns (wall seconds, ngspice CPU seconds, (N, T, nodes) volts).
    """
    tstop = circuit.tran.tstop
    tran = f"tran {format_number(tstop / 1000)} {format_number(tstop)} 0 {format_number(tmax)}"
    lines = [".control", "set noaskquit"]
    for i, vs in enumerate(values):
        lines += [f"alter vin dc = {format_number(vs)}", tran]
        lines += [f"meas tran m_{i}_{k}_{j} find v({nd}) at={format_number(t)}"
                  for k, t in enumerate(times) for j, nd in enumerate(nodes)]
        lines.append("destroy all")
    lines += ["quit", ".endc"]
    text = to_spice(circuit, extra_cards=[f".options {DEFAULT_OPTIONS}", *lines])
    with tempfile.TemporaryDirectory(prefix="dgcq_bench_") as tmp:
        cir = Path(tmp) / "loop.cir"
        cir.write_text(text)
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run([ngspice_executable(), "-b", "-n", str(cir)], cwd=tmp,
                              capture_output=True, text=True)
        wall = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"ngspice failed: {proc.stderr[-2000:]}")
    out = np.full((len(values), len(times), len(nodes)), np.nan)
    for name, val in _MEAS.findall(proc.stdout):
        i, k, j = (int(x) for x in name.split("_")[1:])
        out[i, k, j] = float(val)
    if np.isnan(out).any():
        raise SystemExit(f"ngspice returned {int(np.isnan(out).sum())} of {out.size} "
                         f"measurements as missing")
    return wall, cpu, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="number of DC inputs (default 1000)")
    ap.add_argument("--gain", type=float, default=1000.0, help="op-amp gain A (default 1000)")
    args = ap.parse_args()

    circuit = load_netlist(bundled_netlist("xval_sc_integrator"), params={"a": args.gain})
    values = np.linspace(0.0, 0.5, args.n)
    times = flat_end_times(circuit)
    nodes = [n for n in circuit.nodes if n not in source_driven_nodes(circuit)]
    tmax = circuit.tran.tstop / 20000

    t0 = time.perf_counter()
    first = simulate(circuit, probes=nodes, at=times, sweep={"vin": values})
    t_first = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    res = simulate(circuit, probes=nodes, at=times, sweep={"vin": values})
    t_engine, cpu_engine = time.perf_counter() - t0, time.process_time() - c0
    eng = np.stack([res.v[n] for n in nodes], axis=-1)          # (N, T, nodes)
    assert np.array_equal(eng, np.stack([first.v[n] for n in nodes], axis=-1))

    t_ngspice, cpu_ngspice, ng = ngspice_control_loop(circuit, values, times, nodes, tmax)
    diff = np.abs(eng - ng)
    per_input = diff.max(axis=(1, 2))
    k = np.unravel_index(int(np.argmax(diff)), diff.shape)

    common = {"bench": "engine_vs_ngspice", "netlist": "xval_sc_integrator", "gain": args.gain,
              "n_inputs": args.n, "n_times": len(times), "nodes": nodes}
    print(json.dumps({**common, "figure": "engine_first_call_s", "value": t_first,
                      "note": "includes numba compile or cache load and phase-map setup"}))
    print(json.dumps({**common, "figure": "engine_s", "value": t_engine,
                      "cpu_s": cpu_engine, "numba_threads": numba.get_num_threads()}))
    print(json.dumps({**common, "figure": "ngspice_s", "value": t_ngspice,
                      "cpu_s": cpu_ngspice,
                      "method": "one ngspice -b process, .control loop alter+tran+meas"}))
    print(json.dumps({**common, "figure": "speedup_ngspice_over_engine",
                      "value": t_ngspice / t_engine, "cpu_value": cpu_ngspice / cpu_engine,
                      "first_call_value": t_ngspice / t_first,
                      "note": "wall and CPU ratios of the same run; engine second call"}))
    print(json.dumps({**common, "figure": "max_abs_diff_v", "value": float(diff.max()),
                      "at": {"vs": float(values[k[0]]), "t": float(times[k[1]]),
                             "node": nodes[k[2]]}, "tolerance_v": 100e-6}))

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    out_idx = nodes.index("out")
    ax1.plot(values, ng[:, -1, out_idx], label="ngspice")
    ax1.plot(values, eng[:, -1, out_idx], "--", label="engine")
    ax1.set_xlabel("VS [V]")
    ax1.set_ylabel("v(out) at tstop [V]")
    ax1.set_title(f"SC integrator, 8 iterations, A = {args.gain:g}")
    ax1.legend()
    ax2.semilogy(values, np.maximum(per_input, 1e-12) * 1e6)
    ax2.axhline(100, color="r", ls=":", label="100 uV tolerance")
    ax2.set_xlabel("VS [V]")
    ax2.set_ylabel("max |engine - ngspice| [uV]")
    ax2.set_title(f"engine {t_engine * 1e3:.1f} ms vs ngspice {t_ngspice:.1f} s "
                  f"({args.n} inputs)")
    ax2.legend()
    fig.tight_layout()
    fig.savefig(OUT_DIR / "engine_vs_ngspice.png", dpi=120)


if __name__ == "__main__":
    main()
