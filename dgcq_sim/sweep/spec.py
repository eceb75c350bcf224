"""Sweep specification: read (TOML file or dict), validate, expand the grid into points.

Every problem is a :class:`~dgcq_sim.errors.ParameterError` (a bad value) or
:class:`~dgcq_sim.errors.InputError` (a bad file or a wrong type) naming the key, raised
before any work is done.
"""

from __future__ import annotations

import itertools
import json
import math
import numbers
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..errors import InputError, NetlistError, ParameterError
from ..evaluate import METRIC_KEYS
from ..netlist import parse_value

#: metrics a sweep can report: every key of :func:`dgcq_sim.evaluate.evaluate_quantizer`
#: plus ``resnet_top1`` (ResNet top-1 on the bundled CIFAR-10 images, needs ``[resnet]``)
METRICS = (*METRIC_KEYS, "resnet_top1")
#: metrics that come from the cost model alone (no conversions needed)
COST_METRICS = ("cycles", "latency_s", "area_unit_caps", "area_um2", "energy_j")
#: default metrics when the spec gives none
DEFAULT_METRICS = ("enob_sine", "enob_static", "lossless_bits", "area_um2", "latency_s",
                   "energy_j")
#: top-level keys of a spec, with what each means (the error for an unknown key lists them)
SPEC_KEYS = {
    "quantizer": "registered architecture name or netlist path (required)",
    "seed": "non-negative integer seeding every point and instance (default 0)",
    "instances": "Monte Carlo instances per point, 0 = nominal design only (default 0)",
    "ideal": "true: every non-ideality off before the overrides (default false)",
    "metrics": "list of metric names (default: " + ", ".join(DEFAULT_METRICS) + ")",
    "n_sine": "samples of the sine record of enob_sine/sinad_db (default 4096)",
    "ramp_per_code": "ramp samples per code of the DNL/INL test (default 16)",
    "params": "table of fixed .param overrides (numbers or SPICE numbers)",
    "grid": "table of axes: lists, 'start:stop:count' or 'log:start:stop:count'",
    "resnet": "table for resnet_top1: images (N), model (resnet20), rows (128)",
}
RESNET_KEYS = {"images": "number of strided bundled CIFAR-10 test images (required)",
               "model": "resnet20 (default), resnet18 or an .npz path",
               "rows": "rows per CIM array (default 128)",
               "calib_images": "strided bundled calibration images (default all 500)"}
#: largest grid accepted without ``force``
MAX_POINTS = 10 ** 6
#: columns every row has before the axes
INDEX_COLUMNS = ("point", "instance")
#: ``instance`` value of the nominal design's row (``instances = 0``)
NOMINAL = -1

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep.  ``axes`` keeps the spec's order; the last axis varies fastest."""

    quantizer: str
    seed: int = 0
    instances: int = 0
    ideal: bool = False
    metrics: tuple[str, ...] = DEFAULT_METRICS
    n_sine: int = 4096
    ramp_per_code: int = 16
    params: dict = field(default_factory=dict)
    axes: tuple[tuple[str, tuple], ...] = ()
    resnet: dict | None = None
    source: dict = field(default_factory=dict, compare=False, repr=False)
    text: str | None = field(default=None, compare=False, repr=False)

    # ----------------------------------------------------------------- the grid
    @property
    def axis_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.axes)

    @property
    def n_points(self) -> int:
        return math.prod(len(values) for _, values in self.axes)

    @property
    def instance_ids(self) -> tuple[int, ...]:
        """Instance indices of every point: 0..instances-1, or (NOMINAL,) for the nominal."""
        return tuple(range(self.instances)) if self.instances else (NOMINAL,)

    @property
    def n_tasks(self) -> int:
        return self.n_points * len(self.instance_ids)

    def point_values(self, i: int) -> dict:
        """Axis values of point ``i`` (row-major: the last axis varies fastest)."""
        if not 0 <= i < self.n_points:
            raise ParameterError(f"point index {i} outside 0..{self.n_points - 1}")
        out = {}
        for name, values in reversed(self.axes):
            i, j = divmod(i, len(values))
            out[name] = values[j]
        return {name: out[name] for name in self.axis_names}

    def points(self):
        """Iterator over (index, axis values) in point order."""
        names = self.axis_names
        for i, combo in enumerate(itertools.product(*(v for _, v in self.axes))):
            yield i, dict(zip(names, combo))

    def point_params(self, i: int) -> dict:
        """All overrides of point ``i``: the fixed params, then its axis values."""
        return {**self.params, **self.point_values(i)}

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns of the result table."""
        return (*INDEX_COLUMNS, *self.axis_names, *self.metrics)

    def canonical(self) -> dict:
        """JSON-able form used to check that a resumed directory holds the same sweep."""
        given = self.source.get("quantizer", self.quantizer) if self.source else self.quantizer
        return {"quantizer": str(given).strip(), "seed": self.seed, "instances": self.instances,
                "ideal": self.ideal, "metrics": list(self.metrics), "n_sine": self.n_sine,
                "ramp_per_code": self.ramp_per_code, "params": dict(self.params),
                "grid": [[n, list(v)] for n, v in self.axes], "resnet": self.resnet}

    def to_toml(self) -> str:
        """The spec as TOML text (the file's own text when it was read from one)."""
        return self.text if self.text is not None else dump_toml(self.source)


# ------------------------------------------------------------------------------ values
def _number(where: str, v) -> float | int:
    """A grid/param value: int or float kept, SPICE number text parsed to float."""
    if isinstance(v, bool) or not isinstance(v, (numbers.Real, str)):
        raise ParameterError(f"{where}: expected a number or a SPICE number such as '2f', "
                             f"got {v!r}")
    if isinstance(v, str):
        try:
            v = parse_value(v.strip())
        except NetlistError as err:
            raise ParameterError(f"{where}: {err.reason} (got {v!r})") from None
    if isinstance(v, numbers.Integral):
        return int(v)
    v = float(v)
    if not math.isfinite(v):
        raise ParameterError(f"{where}: value must be finite, got {v!r}")
    return v


def _count(where: str, text: str) -> int:
    try:
        n = int(text.strip())
    except ValueError:
        raise ParameterError(f"{where}: count must be an integer, got {text.strip()!r}") from None
    if n < 1:
        raise ParameterError(f"{where}: an axis needs at least 1 point, count is {n}")
    return n


def parse_axis(name: str, value) -> tuple:
    """Values of grid axis ``name``: a list, ``"start:stop:count"`` (linear, both ends
    included) or ``"log:start:stop:count"`` (geometric; start, stop > 0); SPICE suffixes
    allowed everywhere.  ParameterError for an empty axis or a malformed range."""
    where = f"grid axis {name}"
    if isinstance(value, (list, tuple)):
        if not value:
            raise ParameterError(f"{where}: the list is empty (an axis needs at least 1 point)")
        return tuple(_number(f"{where}[{i}]", v) for i, v in enumerate(value))
    if isinstance(value, str) and ":" in value:
        parts = value.split(":")
        log = parts[0].strip().lower() == "log"
        if log:
            parts = parts[1:]
        if len(parts) != 3:
            raise ParameterError(f"{where}: expected 'start:stop:count' or "
                                 f"'log:start:stop:count', got {value!r}")
        start, stop = (float(_number(f"{where} ({value!r})", p)) for p in parts[:2])
        n = _count(f"{where} ({value!r})", parts[2])
        if log:
            if start <= 0 or stop <= 0:
                raise ParameterError(f"{where}: a log axis needs start and stop > 0, "
                                     f"got {value!r}")
            vals = np.geomspace(start, stop, n)
        else:
            vals = np.linspace(start, stop, n)
        # 12 significant digits: 1f:4f:3 gives 2.5e-15, not 2.5000000000000004e-15
        return tuple(float(f"{v:.12g}") for v in vals)
    if isinstance(value, (numbers.Real, str)) and not isinstance(value, bool):
        return (_number(where, value),)
    raise ParameterError(f"{where}: expected a list, 'start:stop:count' or "
                         f"'log:start:stop:count', got {value!r}")


def _integer(key: str, v, lo: int) -> int:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or int(v) < lo:
        raise ParameterError(f"spec key {key!r} must be an integer >= {lo}, got {v!r}")
    return int(v)


def _unknown(what: str, key: str, valid) -> ParameterError:
    return ParameterError(f"unknown {what} {key!r}; valid: {', '.join(valid)}")


# ------------------------------------------------------------------------------ reading
def read_spec_file(path) -> tuple[dict, str, Path]:
    """(parsed dict, text, path) of a TOML spec; InputError if missing or malformed."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"sweep spec not found: {str(path)!r}")
    try:
        text = p.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read sweep spec {str(path)!r}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    return data, text, p


def load_spec(spec) -> SweepSpec:
    """Validate a spec given as a TOML path or a dict with the same keys."""
    if isinstance(spec, SweepSpec):
        return spec
    text = None
    base = None
    if isinstance(spec, (str, Path)):
        data, text, path = read_spec_file(spec)
        base = path.parent
    elif isinstance(spec, Mapping):
        data = dict(spec)
    else:
        raise InputError(f"spec must be a TOML path or a dict, got {type(spec).__name__}")
    return _validate(data, text, base)


def _validate(data: dict, text: str | None, base: Path | None) -> SweepSpec:
    for key in data:
        if key not in SPEC_KEYS:
            raise _unknown("spec key", key, SPEC_KEYS)
    if "quantizer" not in data:
        raise ParameterError("spec key 'quantizer' is required (an architecture name such "
                             "as dgcq, or a netlist path)")
    quantizer = data["quantizer"]
    if not isinstance(quantizer, str) or not quantizer.strip():
        raise ParameterError(f"spec key 'quantizer' must be a name or a path, got {quantizer!r}")
    quantizer = quantizer.strip()
    if base is not None and ("/" in quantizer or quantizer.endswith(".cir")) \
            and not Path(quantizer).is_absolute() and (base / quantizer).is_file():
        quantizer = str(base / quantizer)          # a netlist beside the spec file
    seed = _integer("seed", data.get("seed", 0), 0)
    instances = _integer("instances", data.get("instances", 0), 0)
    ideal = data.get("ideal", False)
    if not isinstance(ideal, bool):
        raise ParameterError(f"spec key 'ideal' must be true or false, got {ideal!r}")
    n_sine = _integer("n_sine", data.get("n_sine", 4096), 16)
    ramp = _integer("ramp_per_code", data.get("ramp_per_code", 16), 1)

    metrics = data.get("metrics", list(DEFAULT_METRICS))
    if isinstance(metrics, str) or not isinstance(metrics, (list, tuple)) or not metrics:
        raise ParameterError(f"spec key 'metrics' must be a non-empty list of names; valid: "
                             f"{', '.join(METRICS)}")
    for m in metrics:
        if m not in METRICS:
            raise _unknown("metric", m, METRICS)
    if len(set(metrics)) != len(metrics):
        raise ParameterError(f"metrics listed twice in {list(metrics)}")

    resnet = data.get("resnet")
    if "resnet_top1" in metrics:
        if not isinstance(resnet, Mapping):
            raise ParameterError("metric 'resnet_top1' needs a [resnet] table with images = N")
        for k in resnet:
            if k not in RESNET_KEYS:
                raise _unknown("[resnet] key", k, RESNET_KEYS)
        if "images" not in resnet:
            raise ParameterError("[resnet] needs images = N (strided bundled test images)")
        resnet = {"images": _integer("resnet.images", resnet["images"], 1),
                  "model": str(resnet.get("model", "resnet20")),
                  "rows": _integer("resnet.rows", resnet.get("rows", 128), 1),
                  "calib_images": _integer("resnet.calib_images",
                                           resnet.get("calib_images", 500), 1)}
    elif resnet is not None:
        raise ParameterError("a [resnet] table is given but 'resnet_top1' is not in metrics")

    params_in = data.get("params", {})
    if not isinstance(params_in, Mapping):
        raise ParameterError(f"[params] must be a table of NAME = value, got {params_in!r}")
    params: dict = {}
    for name, v in params_in.items():
        if not _IDENT.match(str(name)):
            raise ParameterError(f"[params]: bad parameter name {name!r}")
        if isinstance(v, str) and "{" in v:
            params[str(name)] = v                   # an expression: the parser evaluates it
        else:
            params[str(name)] = _number(f"[params] {name}", v)

    grid_in = data.get("grid", {})
    if not isinstance(grid_in, Mapping):
        raise ParameterError(f"[grid] must be a table of axes, got {grid_in!r}")
    axes = []
    seen = {k.lower(): k for k in params}
    reserved = {c.lower() for c in (*INDEX_COLUMNS, *METRICS)}
    for name, value in grid_in.items():
        name = str(name)
        if not _IDENT.match(name):
            raise ParameterError(f"[grid]: bad parameter name {name!r}")
        if name.lower() in reserved:
            raise ParameterError(f"[grid]: axis {name!r} clashes with a result column")
        if name.lower() in seen:
            raise ParameterError(f"[grid]: axis {name!r} is also set as {seen[name.lower()]!r} "
                                 f"(in [params] or another axis)")
        seen[name.lower()] = name
        axes.append((name, parse_axis(name, value)))
    return SweepSpec(quantizer=quantizer, seed=seed, instances=instances, ideal=ideal,
                     metrics=tuple(metrics), n_sine=n_sine, ramp_per_code=ramp, params=params,
                     axes=tuple(axes), resnet=resnet, source=data, text=text)


def check_size(spec: SweepSpec, force: bool) -> None:
    """ParameterError for a grid over :data:`MAX_POINTS` points unless ``force``."""
    n = spec.n_points
    if n > MAX_POINTS and not force:
        sizes = " x ".join(str(len(v)) for _, v in spec.axes)
        raise ParameterError(f"the grid has {n} points ({sizes}), over {MAX_POINTS}; "
                             f"pass --force (force=True) to run it anyway")


# ------------------------------------------------------------------------------ TOML out
def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        f = float(v)
        if math.isnan(f):
            return "nan"
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return repr(f)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise InputError(f"cannot write {v!r} ({type(v).__name__}) to TOML")


def _toml_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def dump_toml(data: Mapping[str, Any]) -> str:
    """Minimal TOML writer for a spec dict (scalars, lists, one level of tables)."""
    top = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in data.items()
           if not isinstance(v, Mapping)]
    out = "\n".join(top) + "\n" if top else ""
    for k, v in data.items():
        if isinstance(v, Mapping):
            out += f"\n[{_toml_key(k)}]\n"
            out += "".join(f"{_toml_key(kk)} = {_toml_value(vv)}\n" for kk, vv in v.items())
    return out
