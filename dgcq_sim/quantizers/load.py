"""``load_quantizer``: netlist + registered architecture -> compiled :class:`Quantizer`."""

from __future__ import annotations

import dataclasses
import numbers
import re
from pathlib import Path
from typing import Mapping

import numpy as np

from ..errors import InputError, NetlistError, ParameterError
from ..netlist import Capacitor, Circuit, parse_netlist, parse_value
from ..paths import bundled_netlist
from .architecture import Architecture, architecture_of, architectures, get_architecture
from .params import resolve
from .quantizer import Quantizer
from .reference_drive import decision_driven_sources, with_reference_resistance
from .switch_charge import with_switch_charge


def _resolve_path(netlist) -> Path:
    if isinstance(netlist, Path) or (isinstance(netlist, str) and
                                     ("/" in netlist or "\\" in netlist or Path(netlist).is_file())):
        p = Path(netlist)
        if not p.is_file():
            raise InputError(f"netlist file not found: {str(netlist)!r}")
        return p
    if not isinstance(netlist, str):
        raise InputError(f"netlist must be a path or an architecture name, got "
                         f"{type(netlist).__name__}")
    if netlist.lower() in architectures():
        return get_architecture(netlist).netlist_path()
    try:
        return bundled_netlist(netlist)
    except InputError as exc:
        raise InputError(f"{exc}; registered architectures: {', '.join(architectures())}") \
            from None


def read_netlist_text(path: Path) -> str:
    """File text as UTF-8, falling back to Latin-1 (as ngspice reads bytes)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read netlist {str(path)!r}: {exc.strerror}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _value(name: str, v) -> float:
    if isinstance(v, bool) or not isinstance(v, (numbers.Real, str)):
        raise ParameterError(f"override {name}={v!r}: value must be a number or a SPICE number")
    if isinstance(v, str):
        try:
            return parse_value(v)
        except NetlistError as err:
            raise ParameterError(f"override {name}={v!r}: {err.reason}") from None
    return float(v)


def load_quantizer(netlist: str | Path = "dgcq", params: Mapping[str, float] | None = None,
                   ideal: bool = False, seed: int = 0) -> Quantizer:
    """Load a quantizer netlist and compile its controller.

    netlist: a registered architecture name (``dgcq_sim.quantizers.architectures()``:
    coarse, sar, dgcq, flash, ramp, pipeline, and any you register), or the path of a .cir
    file whose title starts with ``* NAME:`` (or that is called NAME.cir).
    params: ``.param`` overrides, name -> SI value or SPICE number text (unknown name ->
    ParameterError; out of the architecture's range -> ParameterError naming the unit and
    range).
    ideal: turn every non-ideality off (each parameter's ideal value, e.g. op-amp gain 1e9,
    no leakage, offset, noise or mismatch, RON 10 ohm; parasitic capacitors removed);
    explicit ``params`` win (a parasitic cap ``cpxxx`` is kept when ``CPXXX`` is given).
    seed: seeds the quantizer's own Generator (noise when ``convert`` gets no rng) and the
    mismatch and offset draws of :meth:`Quantizer.instance`.
    """
    if params is not None and not isinstance(params, Mapping):
        raise ParameterError(f"params must be a mapping name -> value, got {type(params).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    for k in (params or {}):
        if not isinstance(k, str):
            raise ParameterError(f"parameter names must be strings, got {k!r}")
    path = _resolve_path(netlist)
    text = read_netlist_text(path)
    where = str(path)
    first = parse_netlist(text, where)
    arch = architecture_of(first.title, path)
    specs = arch.params()
    user = {str(k).strip().lower(): v for k, v in (params or {}).items()}
    for k, v in user.items():
        # check a given number against its spec before it reaches the netlist, so a bad
        # value is named as a parameter, not as whatever element it breaks
        if k in specs and not (isinstance(v, str) and "{" in v):
            specs[k].check(_value(k.upper(), v), where)
    # parameters the architecture knows but this netlist does not define (optional ones)
    extra = {k: _value(k.upper(), v) for k, v in user.items()
             if k not in first.params and k in specs}
    in_netlist = {k: v for k, v in user.items() if k not in extra}
    overrides: dict = {}
    if ideal:
        for k, v in arch.ideal_values().items():
            (overrides if k in first.params else extra).setdefault(k, v)
    overrides.update(in_netlist)
    circuit = parse_netlist(text, where, overrides) if overrides else first
    p = resolve(specs, {**circuit.params, **extra}, where, arch.name)
    arch.validate(p)
    prepared = arch.prepare_netlist(text, p, where)
    if prepared != text:
        text = prepared
        circuit = parse_netlist(text, where, overrides)
    if ideal:
        circuit, removed = _without_parasitics(circuit, arch, text, keep=set(user))
        p.update({name: 0.0 for name in removed})
    circuit = with_switch_charge(circuit, p)
    if p.get("rref", 0.0) > 0:
        circuit = with_reference_resistance(
            circuit, decision_driven_sources(arch.schedule(p)), p["rref"], arch.name)
    return Quantizer(arch, circuit, p, text, path, overrides, int(seed), bool(ideal), None)


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parasitic_capacitors(circuit: Circuit, arch: Architecture, text: str) -> dict[str, set[str]]:
    """The parasitic capacitors (name starts with the architecture's prefix) of ``circuit``
    parsed from ``text``, each with the lower-case words of its value expression (the
    parameters it depends on, e.g. ``cpar3 g3 0 {CPAR}`` -> {"cpar"})."""
    lines = text.split("\n")
    out = {}
    for el in circuit.elements:
        if isinstance(el, Capacitor) and el.name.startswith(arch.parasitic_prefix):
            words: set[str] = set()
            if el.loc is not None and 0 < el.loc.line <= len(lines):
                value = lines[el.loc.line - 1].split(None, 3)[3:]
                words = {w.lower() for w in _WORD.findall(value[0])} if value else set()
            out[el.name] = words
    return out


def _without_parasitics(circuit: Circuit, arch: Architecture, text: str, keep: set[str]):
    """Circuit without the parasitic capacitors unless the caller set their parameter: one
    named like the element, or one its value refers to (``cpar3 g3 0 {CPAR}`` stays when
    CPAR is given).  Also returns the removed names."""
    removed = [name for name, words in parasitic_capacitors(circuit, arch, text).items()
               if name not in keep and not (words & keep)]
    kept = tuple(el for el in circuit.elements if el.name not in removed)
    return dataclasses.replace(circuit, elements=kept), removed
