"""Cost-model overrides from a TOML file and ``NAME=VALUE`` strings (``--cost``,
``--cost-param``).

The TOML file holds CostModel field names (case-insensitive) at the top level or in a
``[cost]`` table, each a number or a SPICE number string (``"50f"``)::

    # my_process.toml
    comparator_energy = 80e-15      # J per decision
    opamp_area = "250p"             # m^2 (250 um^2)
    [cost]                          # (a table is accepted too)
    clock_period = 5e-9

``--cost-param NAME=VALUE`` entries are applied after the file.  Unknown names, duplicate
names and non-finite or negative values raise ParameterError naming the name and the source.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Iterable

from ..errors import InputError, NetlistError, ParameterError
from .model import CostModel

FIELDS = tuple(f.name for f in dataclasses.fields(CostModel))


def _number(value, name: str, where: str) -> float:
    from ..netlist.values import parse_value

    if isinstance(value, bool):
        raise ParameterError(f"{where}: {name} must be a number, got {value!r}")
    if isinstance(value, (int, float)):
        v = float(value)
    elif isinstance(value, str):
        try:
            v = parse_value(value.strip())
        except NetlistError as exc:
            raise ParameterError(f"{where}: {name} = {value!r}: {exc.reason}") from None
    else:
        raise ParameterError(f"{where}: {name} must be a number, got {type(value).__name__}")
    if not math.isfinite(v):
        raise ParameterError(f"{where}: {name} = {value!r} is not finite")
    return v


def _field(name: str, where: str) -> str:
    key = str(name).strip().lower()
    if key not in FIELDS:
        raise ParameterError(f"{where}: unknown cost-model constant {name!r}; known: "
                             f"{', '.join(FIELDS)} (see docs/cost.md)")
    return key


def read_cost_toml(path: str | Path) -> dict[str, float]:
    """The overrides of a cost TOML file, ``{field: value}``."""
    import tomllib

    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"--cost {str(p)!r}: no such file") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"--cost {str(p)!r}: cannot read it ({exc})") from None
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"--cost {str(p)!r}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"--cost {str(p)!r}: not valid TOML ({exc})") from None
    items = dict(doc)
    table = items.pop("cost", None)
    if table is not None:
        if not isinstance(table, dict):
            raise ParameterError(f"--cost {str(p)!r}: 'cost' must be a table")
        for k, v in table.items():
            if k in items:
                raise ParameterError(f"--cost {str(p)!r}: {k!r} given twice")
            items[k] = v
    out: dict[str, float] = {}
    for k, v in items.items():
        where = f"--cost {str(p)!r}"
        key = _field(k, where)
        if key in out:
            raise ParameterError(f"{where}: {k!r} given twice")
        out[key] = _number(v, key, where)
    return out


def parse_cost_params(items: Iterable[str]) -> dict[str, float]:
    """``["comparator_energy=80f", ...]`` -> ``{field: value}``."""
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = str(item).partition("=")
        where = f"--cost-param {item!r}"
        if not sep or not name.strip() or not value.strip():
            raise ParameterError(f"{where}: expected NAME=VALUE, e.g. comparator_energy=80f")
        key = _field(name, where)
        out[key] = _number(value.strip(), key, where)
    return out


def cost_model_from(toml_path: str | Path | None = None,
                    assignments: Iterable[str] = ()) -> CostModel:
    """CostModel with the defaults overridden by a TOML file, then by ``NAME=VALUE`` items."""
    values: dict[str, float] = {}
    if toml_path is not None:
        values.update(read_cost_toml(toml_path))
    values.update(parse_cost_params(assignments))
    return CostModel(**values)
