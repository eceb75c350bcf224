""".param definitions, overrides and their resolution in dependency order.

A name defined twice follows ngspice: the last definition wins (everywhere, also for
parameters defined before it), and the parser records a warning.  Overrides from Python or
the command line replace definitions before anything is evaluated; their problems are
ParameterErrors.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from typing import Iterable, Mapping

from ..errors import NetlistError, ParameterError
from .cards import Card, Ctx, joined, unwrap
from .expressions import CONSTANTS, Expression, parse_expression
from .functions import UserFunction, free_names

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# a name starts at an identifier boundary (the look-behind keeps finditer linear)
_ASSIGN = re.compile(r"(?<![A-Za-z0-9_])([A-Za-z_][A-Za-z0-9_]*)[ \t\f\v]*=(?!=)")

@dataclass
class _ParamDef:
    name: str
    expr: Expression
    line: int | None          # None: an override from Python / the CLI
    source: str               # the text as written, for messages


def param_defs(cards: list[Card], ctx: Ctx,
               user: frozenset[tuple[str, int]] = frozenset()) -> dict[str, _ParamDef]:
    """Every ``.param`` definition by name (the last one of a name wins, with a note).

    ``user``: signatures of the ``.func`` functions the values may call."""
    defs: dict[str, _ParamDef] = {}
    for card in cards:
        if card.keyword != ".param":
            continue
        text, line_of = joined(card)
        start = text.lower().index(".param") + len(".param")
        matches = list(_ASSIGN.finditer(text, start))
        if not matches:
            raise ctx.error(".param needs name=value", card.line, text[start:].strip()[:20] or ".param")
        lead = text[start:matches[0].start()].strip()
        if lead:
            raise ctx.error("expected name=value after .param", line_of[start + text[start:].index(lead)], lead)
        for k, m in enumerate(matches):
            name, line = m.group(1).lower(), line_of[m.start(1)]
            end = matches[k + 1].start() if k + 1 < len(matches) else len(text)
            body = text[m.end():end].strip().rstrip(",").strip()
            if not body:
                raise ctx.error(f"parameter '{name}' has no value", line, m.group(1))
            if name in CONSTANTS:
                raise ctx.error(f"'{name}' is a built-in constant and cannot be a .param", line, m.group(1))
            if name in defs:
                ctx.note(line, f".param {name} redefined (first at line {defs[name].line}); the "
                         "last definition wins, as in ngspice")
            try:
                expr = parse_expression(unwrap(body), user)
            except NetlistError as err:
                raise ctx.relocate(err, line) from None
            defs[name] = _ParamDef(name, expr, line, body)
    return defs


def _show(value: object) -> str:
    """``repr(value)``, also for ints too long for ``repr`` (Python refuses > 4300 digits)."""
    try:
        text = repr(value)
    except ValueError:
        return f"<{type(value).__name__} of about {int(value.bit_length() * 0.30103)} digits>"
    return text if len(text) <= 60 else text[:57] + "..."


def apply_overrides(defs: dict[str, _ParamDef], overrides: Mapping[str, float | str] | None,
                    user: frozenset[tuple[str, int]] = frozenset()) -> None:
    if not overrides:
        return
    if not isinstance(overrides, Mapping):
        raise ParameterError(f"params must be a mapping name -> value, got {type(overrides).__name__}")
    for raw_name, value in overrides.items():
        if not isinstance(raw_name, str):
            raise ParameterError(f"parameter names must be strings, got {raw_name!r}")
        name = raw_name.strip().lower()
        if name not in defs:
            known = ", ".join(sorted(defs)) or "(none)"
            raise ParameterError(f"cannot override parameter '{raw_name}': the netlist does not define it "
                                 f"(defined: {known})")
        if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)):
            raise ParameterError(f"override {raw_name}={_show(value)}: value must be a number or an expression string")
        if isinstance(value, str):
            try:
                expr = parse_expression(unwrap(value), user)
            except NetlistError as err:
                raise ParameterError(f"override {raw_name}={_show(value)}: {err.reason}") from None
        else:
            try:
                v = float(value)
            except OverflowError:
                raise ParameterError(f"override {raw_name}={_show(value)}: value overflows a float") from None
            if not math.isfinite(v):
                raise ParameterError(f"override {raw_name}={_show(value)}: value is not finite")
            expr = parse_expression(repr(v))
        defs[name] = _ParamDef(name, expr, None, _show(value) if not isinstance(value, str) else value)


def resolve_params(defs: dict[str, _ParamDef], ctx: Ctx,
                   funcs: Mapping[str, UserFunction] | None = None,
                   outer: Mapping[str, float] | None = None) -> dict[str, float]:
    """Evaluate every parameter in dependency order; cycles and undefined names are errors.

    ``funcs``: the ``.func`` functions values may call (their bodies' parameters count as
    dependencies); ``outer``: values visible but not defined here (a subcircuit's caller).
    """
    funcs = funcs or {}
    outer = outer or {}
    resolved: dict[str, float] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def fail(d: _ParamDef, message: str, token: str):
        if d.line is None:
            return ParameterError(f"override {d.name}={d.source!r}: {message}")
        return ctx.error(message, d.line, token)

    def visit(name: str) -> None:
        if name in resolved:
            return
        d = defs[name]
        if name in on_stack:
            cycle = stack[stack.index(name):] + [name]
            raise fail(d, f"circular parameter definition: {' -> '.join(cycle)}", name)
        stack.append(name)
        on_stack.add(name)
        for dep in sorted(free_names(d.expr, funcs) if d.expr.calls else d.expr.names):
            if dep not in defs:
                if dep in outer:
                    continue
                raise fail(d, f"undefined parameter '{dep}' in the value of '{name}'", dep)
            visit(dep)
        try:
            resolved[name] = d.expr.evaluate({**outer, **resolved} if outer else resolved, funcs)
        except NetlistError as err:
            raise fail(d, f"parameter '{name}': {err.reason}", err.token or name) from None
        stack.pop()
        on_stack.discard(name)

    for name in defs:
        try:
            visit(name)
        except RecursionError:
            d = defs[name]
            raise fail(d, f"parameter dependencies of '{name}' are nested too deeply", name) from None
    return {name: resolved[name] for name in defs}


def parse_param_assignments(items: Iterable[str]) -> dict[str, str]:
    """Turn CLI-style ``["NAME=VALUE", ...]`` into an override mapping for :func:`load_netlist`.

    VALUE is kept as text (a SPICE number or an expression, e.g. ``cs=2p`` or
    ``cs={2*cu}``) and evaluated by the parser.  Raises ParameterError for an item without
    ``=``, a bad name, or an empty value.
    """
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = str(item).partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not IDENT.match(name) or not value:
            raise ParameterError(f"bad parameter assignment {item!r}: expected NAME=VALUE, e.g. cs=1p")
        out[name] = value
    return out
