"""Design sweeps: a grid of parameters x Monte Carlo instances, serial or on Dask distributed.

``run(spec, out_dir=None, client=None, ...)`` (spec: a TOML path or a dict; docs/sweeps.md)
returns a :class:`SweepResult` and, with ``out_dir``, writes results.csv, results.jsonl,
spec.toml and pareto.png.  ``dgcq-sim sweep SPEC.toml --out DIR`` is the command line.
"""

from .runner import SweepResult, rows_to_csv, run
from .spec import MAX_POINTS, METRICS, NOMINAL, SPEC_KEYS, SweepSpec, load_spec, parse_axis
from .task import design_seed, evaluate_task

__all__ = ["run", "SweepResult", "SweepSpec", "load_spec", "parse_axis", "rows_to_csv",
           "evaluate_task", "design_seed", "METRICS", "SPEC_KEYS", "MAX_POINTS", "NOMINAL"]
