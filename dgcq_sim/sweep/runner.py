"""``run``: a design grid x Monte Carlo instances, serial or on Dask distributed."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import DgcqError, InputError, ParameterError
from .spec import SweepSpec, check_size, load_spec
from .task import evaluate_task, load_point

RESULTS_CSV = "results.csv"
RESULTS_JSONL = "results.jsonl"
SPEC_COPY = "spec.toml"
PARETO_PNG = "pareto.png"
#: most point loads made up front to check the parameters of the grid
MAX_CHECK_LOADS = 256


@dataclass
class SweepResult:
    """What :func:`run` returns.  ``rows`` are sorted by (point, instance)."""

    spec: SweepSpec
    rows: list[dict]
    computed: int                  # tasks evaluated by this call
    reused: int                    # rows taken from DIR/results.jsonl (--resume)
    seconds: float
    out_dir: Path | None = None
    files: dict = field(default_factory=dict)
    pareto: dict | None = None     # {"area_um2": [point, ...], "latency_s": [...]}

    @property
    def columns(self) -> tuple[str, ...]:
        return self.spec.columns

    def csv_text(self) -> str:
        return rows_to_csv(self.rows, self.columns)

    @property
    def points_per_s(self) -> float:
        points = self.computed / max(1, len(self.spec.instance_ids))
        return points / self.seconds if self.seconds > 0 else math.inf


# ------------------------------------------------------------------------------ files
def _cell(v) -> str:
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    return str(v)


def rows_to_csv(rows: list[dict], columns) -> str:
    """CSV text (``\\n`` line ends, floats written with repr: exact round trip)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in sorted(rows, key=lambda r: (r["point"], r["instance"])):
        w.writerow([_cell(r.get(c, "")) for c in columns])
    return buf.getvalue()


def _probe(directory: Path) -> None:
    probe = directory / f".dgcq_sweep_probe_{os.getpid()}"
    try:
        with open(probe, "x"):
            pass
        probe.unlink()
    except OSError as exc:
        raise InputError(f"--out {str(directory)!r} is not writable: {exc.strerror or exc}") \
            from None


def check_out_dir(out_dir) -> Path:
    """InputError unless ``out_dir`` is (or can be made) a writable directory.  Writes
    nothing that stays: a probe file is created and removed in it (or, when it does not
    exist yet, in its nearest existing parent)."""
    if not isinstance(out_dir, (str, Path)) or not str(out_dir).strip():
        raise InputError(f"--out must be a directory path, got {out_dir!r}")
    d = Path(out_dir)
    if d.exists():
        if not d.is_dir():
            raise InputError(f"--out {str(d)!r} exists and is not a directory")
        _probe(d)
        return d
    parent = d.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(f"--out {str(d)!r}: {str(parent)!r} is not a directory")
    _probe(parent)
    return d


def read_rows(path: Path, spec: SweepSpec) -> dict[tuple[int, int], dict]:
    """Rows of a results.jsonl keyed by (point, instance); a torn or foreign line (an
    interrupted write, a row of another grid) is skipped."""
    rows: dict = {}
    if not path.is_file():
        return rows
    valid_instances = set(spec.instance_ids)
    cols = set(spec.columns)
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(r, dict) or set(r) != cols:
                continue
            p, k = r.get("point"), r.get("instance")
            if isinstance(p, int) and isinstance(k, int) and 0 <= p < spec.n_points \
                    and k in valid_instances:
                rows[(p, k)] = {c: r[c] for c in spec.columns}
    return rows


def _json_line(row: dict) -> str:
    return json.dumps(row, allow_nan=True) + "\n"


# ------------------------------------------------------------------------------ checks
def check_parameters(spec: SweepSpec) -> None:
    """Load the quantizer of the first and last points and of every value of every axis
    (the other axes at their first value), up to :data:`MAX_CHECK_LOADS` loads, so an
    unknown or out-of-range parameter is refused before any work."""
    n = spec.n_points
    to_check = [0, n - 1]
    stride = 1
    for name, values in reversed(spec.axes):
        to_check.extend(j * stride for j in range(1, len(values)))
        stride *= len(values)
    seen = set()
    for p in to_check:
        if p in seen:
            continue
        if len(seen) >= MAX_CHECK_LOADS:
            break
        seen.add(p)
        try:
            load_point(spec, p)
        except DgcqError as exc:
            vals = ", ".join(f"{k}={v!r}" for k, v in spec.point_values(p).items())
            msg = f"grid point {p} ({vals or 'no axes'}): {exc}"
            try:
                err = type(exc)(msg)
            except TypeError:                      # an error class with other arguments
                err = ParameterError(msg)
            raise err from None


# ------------------------------------------------------------------------------ run
def run(spec, out_dir=None, client=None, *, workers: int | None = None,
        scheduler: str | None = None, resume: bool = False, force: bool = False,
        progress: bool = True, on_row: Callable[[dict], None] | None = None,
        connect_timeout: float = 5.0) -> SweepResult:
    """Run a sweep.

    spec: a TOML path or a dict with the same keys (docs/sweeps.md).
    out_dir: directory for results.csv, results.jsonl, spec.toml and pareto.png; None
        writes nothing (the rows are returned).
    client: a ``distributed.Client`` to run the tasks on (kept open); else ``scheduler``
        (address of an existing cluster, e.g. ``tcp://host:8786``) or ``workers`` (start a
        LocalCluster of that many single-thread worker processes; closed at the end); none
        of them: serial, in this process.
    resume: take the rows already in ``out_dir/results.jsonl`` and compute only the others
        (the spec must be the one in ``out_dir/spec.toml``).
    force: allow a grid over 10^6 points.
    progress: tqdm bar with ETA on stderr.  on_row: called with every computed row as it
        arrives (in completion order).

    Every check (spec, output directory, parameter names, scheduler) is made before any
    task runs and before anything is written; a refused sweep leaves ``out_dir`` untouched.
    """
    t0 = time.perf_counter()
    spec = load_spec(spec)
    check_size(spec, force)
    if client is not None and (workers is not None or scheduler is not None):
        raise ParameterError("give client, scheduler or workers, not several")
    out = None
    done: dict = {}
    if out_dir is not None:
        out = check_out_dir(out_dir)
        jsonl = out / RESULTS_JSONL
        if resume:
            old = out / SPEC_COPY
            if old.is_file():
                if load_spec(old).canonical() != spec.canonical():
                    raise InputError(f"--resume: {str(out)!r} holds a different sweep "
                                     f"(its {SPEC_COPY} differs from this spec)")
            done = read_rows(jsonl, spec)
        elif jsonl.is_file() and jsonl.stat().st_size > 0:
            raise InputError(f"{str(out)!r} already holds sweep results; pass --resume to "
                             f"continue them, or choose another --out")
    elif resume:
        raise ParameterError("resume needs an output directory")
    check_parameters(spec)
    todo = [(p, k) for p in range(spec.n_points) for k in spec.instance_ids
            if (p, k) not in done]

    own_client = cluster = None
    if client is None and (workers is not None or scheduler is not None):
        from .cluster import connect

        own_client, cluster = connect(scheduler, workers, connect_timeout)
        client = own_client
    try:
        fh = None
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            (out / SPEC_COPY).write_text(spec.to_toml(), encoding="utf-8")
            # rewrite the kept rows (drops a torn last line), then append as tasks finish
            tmp = out / (RESULTS_JSONL + ".tmp")
            tmp.write_text("".join(_json_line(done[key]) for key in sorted(done)),
                           encoding="utf-8")
            os.replace(tmp, out / RESULTS_JSONL)
            fh = open(out / RESULTS_JSONL, "a", encoding="utf-8")
        rows = dict(done)
        try:
            _execute(spec, todo, client, rows, fh, progress, on_row)
        finally:
            if fh is not None:
                fh.close()
    finally:
        if own_client is not None:
            own_client.close()
        if cluster is not None:
            cluster.close()

    ordered = [rows[key] for key in sorted(rows)]
    result = SweepResult(spec, ordered, computed=len(todo), reused=len(done),
                         seconds=time.perf_counter() - t0, out_dir=out)
    if out is not None:
        (out / RESULTS_CSV).write_text(rows_to_csv(ordered, spec.columns), encoding="utf-8")
        result.files = {"csv": out / RESULTS_CSV, "jsonl": out / RESULTS_JSONL,
                        "spec": out / SPEC_COPY}
        from .pareto import plot_pareto

        result.pareto = plot_pareto(ordered, spec.metrics, out / PARETO_PNG)
        if result.pareto is not None:
            result.files["pareto"] = out / PARETO_PNG
    result.seconds = time.perf_counter() - t0
    return result


def _execute(spec, todo, client, rows, fh, progress, on_row) -> None:
    from tqdm import tqdm

    bar = tqdm(total=len(todo), desc="sweep", unit="task", file=sys.stderr,
               disable=not progress, dynamic_ncols=True)

    def accept(row):
        rows[(row["point"], row["instance"])] = row
        if fh is not None:
            fh.write(_json_line(row))
            fh.flush()
        bar.update(1)
        if on_row is not None:
            on_row(row)

    try:
        if client is None:
            for p, k in todo:
                accept(evaluate_task(spec, p, k))
        else:
            _execute_dask(spec, todo, client, accept)
    finally:
        bar.close()


def _execute_dask(spec, todo, client, accept) -> None:
    from .cluster import import_distributed, n_threads

    distributed = import_distributed()
    window = max(64, 8 * n_threads(client))
    pending = iter(todo)

    def submit(task):
        p, k = task
        return client.submit(evaluate_task, spec, p, k, retries=2, pure=False,
                             key=f"dgcq-sweep-{p}-{k}-{os.urandom(4).hex()}")

    first = [submit(t) for t, _ in zip(pending, range(window))]
    ac = distributed.as_completed(first, loop=client.loop)
    live = set(first)
    try:
        for fut in ac:
            live.discard(fut)
            row = fut.result()          # re-raises a task's error (after its retries)
            accept(row)
            nxt = next(pending, None)
            if nxt is not None:
                f = submit(nxt)
                live.add(f)
                ac.add(f)
    finally:
        if live:
            client.cancel(list(live))
