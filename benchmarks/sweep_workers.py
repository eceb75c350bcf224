"""Sweep throughput: points/s serially and on a LocalCluster of 1 and 2 worker processes.

The same grid (DGCQ, NC x CPTOP, Monte Carlo instances, the default metrics of docs/sweeps.md)
is run with ``dgcq_sim.sweep.run``: serially in this process, then with --workers 1 and 2
(one thread per worker process).  Cluster start-up is timed apart from the sweep: the sweep
time is from the first submit to the last row, on a cluster whose workers have already run
one warm-up task (numba cache load, imports).  Every run must give the serial CSV byte for
byte; the script says so in each line.

Prints one JSON line per figure: {"figure": "sweep_points_per_s", "mode", "workers",
"points", "tasks", "seconds", "points_per_s", "startup_s", "same_csv"} and a summary line
with the 2-worker / 1-worker speed-up.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time

from dgcq_sim.errors import DgcqError


def emit(**fields) -> None:
    print(json.dumps(fields, default=float), flush=True)


def spec(nc: int, cptop: int, instances: int, n_sine: int) -> dict:
    return {"quantizer": "dgcq", "seed": 5, "instances": instances, "n_sine": n_sine,
            "metrics": ["enob_sine", "enob_static", "lossless_bits", "area_um2", "latency_s",
                        "energy_j"],
            "params": {"VOS_C": "2m"},
            "grid": {"NC": list(range(1, nc + 1)), "CPTOP": f"1f:4f:{cptop}"}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nc", type=int, default=3, help="NC axis 1..NC (default 3)")
    ap.add_argument("--cptop", type=int, default=8, help="CPTOP points in 1f..4f (default 8)")
    ap.add_argument("--instances", type=int, default=2, help="instances per point (default 2)")
    ap.add_argument("--n-sine", type=int, default=1024, help="sine samples (default 1024)")
    ap.add_argument("--workers", default="1,2", help="worker counts (default 1,2)")
    args = ap.parse_args(argv)
    try:
        import distributed
    except ImportError:
        print('needs Dask distributed: pip install "dgcq_sim[dist]"', file=sys.stderr)
        return 1
    from dgcq_sim.sweep import evaluate_task, load_spec, run

    s = load_spec(spec(args.nc, args.cptop, args.instances, args.n_sine))
    evaluate_task(s, 0, s.instance_ids[0])                        # warm this process
    ref = run(s, progress=False)
    emit(figure="sweep_points_per_s", mode="serial", workers=0, points=s.n_points,
         tasks=s.n_tasks, seconds=ref.seconds, points_per_s=ref.points_per_s, startup_s=0.0,
         same_csv=True)
    rates = {}
    for n in (int(w) for w in args.workers.split(",")):
        t0 = time.perf_counter()
        cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=logging.ERROR,
                                       env={"NUMBA_NUM_THREADS": "1"})
        client = distributed.Client(cluster, set_as_default=False)
        try:
            # one warm-up task per worker: imports and numba cache loads are start-up cost
            client.run(evaluate_task, s, 0, s.instance_ids[0])
            startup = time.perf_counter() - t0
            res = run(s, client=client, progress=False)
        finally:
            client.close()
            cluster.close()
        rates[n] = res.points_per_s
        emit(figure="sweep_points_per_s", mode="local_cluster", workers=n, points=s.n_points,
             tasks=s.n_tasks, seconds=res.seconds, points_per_s=res.points_per_s,
             startup_s=startup, same_csv=res.csv_text() == ref.csv_text())
    if 1 in rates and 2 in rates:
        emit(figure="sweep_speedup_2_vs_1_workers", speedup=rates[2] / rates[1])
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except DgcqError as exc:
        print(f"sweep_workers: error: {exc}", file=sys.stderr)
        sys.exit(1)
