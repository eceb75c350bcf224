"""Long transients: `dgcq-sim tran` over 16 000 and 250 000 clock periods of the bundled
SC integrator (xval_sc_integrator, 10 ns clock), default output and --at, one JSON line
per figure.

Each run is a fresh `python -m dgcq_sim tran ...` process (wall time includes the import,
~1-2 s, reported apart as "startup_s" from a 10-period run), killed after --timeout s.
Compare code versions with --root: e.g. a worktree of an older commit
(`git worktree add /tmp/before <commit>`), run in the same session:

    python benchmarks/long_transient.py --root /tmp/before --label before
    python benchmarks/long_transient.py --label after
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
TCLK = 10e-9


def deck(root: Path, periods: int) -> str:
    text = (root / "dgcq_sim" / "netlists" / "xval_sc_integrator.cir").read_text()
    return re.sub(r"(?im)^\.tran .*$", f".tran 10p {periods * TCLK!r}", text)


def run(root: Path, periods: int, at: bool, timeout: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.cir"
        path.write_text(deck(root, periods))
        cmd = [sys.executable, "-m", "dgcq_sim", "tran", str(path), "--node", "out"]
        if at:
            cmd += ["--at", f"{periods * TCLK / 2!r},{periods * TCLK!r}"]
        env = dict(os.environ, PYTHONPATH=str(root))
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True,
                                  timeout=timeout)
            ok, rows = proc.returncode == 0, proc.stdout.count("\n")
            err = proc.stderr.strip().splitlines()[-1:] if proc.returncode else []
        except subprocess.TimeoutExpired:
            ok, rows, err = False, 0, [f"timed out after {timeout:g} s"]
        wall = time.perf_counter() - t0
    return {"seconds": round(wall, 3), "ok": ok, "output_rows": rows, "error": err[0] if err else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=HERE, help="source tree to benchmark")
    ap.add_argument("--label", default="current")
    ap.add_argument("--periods", type=int, nargs="+", default=[16000, 250000])
    ap.add_argument("--timeout", type=float, default=120.0)
    args = ap.parse_args()
    warm = run(args.root, 10, False, args.timeout)          # numba compile + import
    start = run(args.root, 10, False, args.timeout)
    print(json.dumps({"figure": "long_transient_startup", "code": args.label,
                      "first_run_s": warm["seconds"], "startup_s": start["seconds"]}), flush=True)
    for periods in args.periods:
        for at in (False, True):
            res = run(args.root, periods, at, args.timeout)
            print(json.dumps({"figure": "long_transient", "code": args.label, "periods": periods,
                              "output": "--at" if at else "default", **res}), flush=True)


if __name__ == "__main__":
    main()
