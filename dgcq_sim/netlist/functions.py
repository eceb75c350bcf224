"""``.func NAME(a, b, ...) = {expr}`` user functions (``=`` and braces optional, as in ngspice).

A body may use its arguments, ``.param`` names (resolved where the function is called) and
other user or built-in functions.  Recursion (a function calling itself, directly or
through others) and a name that is already a built-in function are refused with file:line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping

from ..errors import NetlistError
from .cards import Card, Ctx, joined, unwrap
from .expressions import CONSTANTS, FUNCTIONS, Expression, parse_expression

_FUNC = re.compile(r"\s*\.func\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(([^()]*)\)\s*(=)?\s*(.*?)\s*\Z",
                   re.IGNORECASE | re.DOTALL)
_ARG = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class UserFunction:
    """One ``.func``: argument names, body, and the line it was defined on."""

    name: str
    args: tuple[str, ...]
    body: Expression
    line: int


def signatures(funcs: Mapping[str, UserFunction]) -> frozenset[tuple[str, int]]:
    """``(name, arity)`` of each function, as :func:`parse_expression` takes them."""
    return frozenset((f.name, len(f.args)) for f in funcs.values())


def parse_funcs(cards: Iterable[Card], ctx: Ctx,
                outer: Mapping[str, UserFunction] | None = None) -> dict[str, UserFunction]:
    """The ``.func`` cards among ``cards`` plus ``outer`` (enclosing scopes; a local
    definition of the same name wins)."""
    raw: list[tuple[str, tuple[str, ...], str, int, str]] = []
    for card in cards:
        if card.keyword != ".func":
            continue
        text, _ = joined(card)
        m = _FUNC.match(text)
        if m is None or not m.group(4):
            raise ctx.error(".func needs 'NAME(arg, ...) = {expression}'", card.line,
                            text.strip()[:40])
        name = m.group(1).lower()
        args = tuple(a.strip().lower() for a in m.group(2).split(",")) if m.group(2).strip() else ()
        for a in args:
            if not _ARG.match(a):
                raise ctx.error(f".func {name}: bad argument name '{a}'", card.line, a)
        if len(set(args)) != len(args):
            raise ctx.error(f".func {name}: an argument name is repeated", card.line, m.group(2))
        if name in FUNCTIONS or name in CONSTANTS:
            raise ctx.error(f".func {name}: '{name}' is a built-in function or constant",
                            card.line, m.group(1))
        if any(r[0] == name for r in raw):
            first = next(r[3] for r in raw if r[0] == name)
            raise ctx.error(f".func {name} defined twice (first at line {first})", card.line, m.group(1))
        raw.append((name, args, unwrap(m.group(4)), card.line, m.group(4)))
    funcs = dict(outer or {})
    local = {r[0] for r in raw}
    sigs = frozenset(s for s in signatures(funcs) if s[0] not in local) | \
        frozenset((r[0], len(r[1])) for r in raw)
    for name, args, body, line, shown in raw:
        try:
            expr = parse_expression(body, sigs)
        except NetlistError as err:
            raise ctx.relocate(err, line) from None
        funcs[name] = UserFunction(name, args, expr, line)
    _check_recursion(funcs, ctx)
    return funcs


def _check_recursion(funcs: Mapping[str, UserFunction], ctx: Ctx) -> None:
    state: dict[str, int] = {}          # 1 = on the stack, 2 = done

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2 or name not in funcs:
            return
        if state.get(name) == 1:
            cycle = path[path.index(name):] + [name]
            f = funcs[cycle[0]]
            raise ctx.error(f".func {f.name} is recursive ({' -> '.join(cycle)}); ngspice "
                            "functions cannot call themselves", f.line, f.name)
        state[name] = 1
        for callee in sorted(funcs[name].body.calls):
            visit(callee, path + [name])
        state[name] = 2

    for name in funcs:
        visit(name, [])


def free_names(expr: Expression, funcs: Mapping[str, UserFunction]) -> frozenset[str]:
    """Parameter names ``expr`` needs, including those used inside the functions it calls."""
    out = set(expr.names)
    seen: set[str] = set()
    todo = list(expr.calls)
    while todo:
        name = todo.pop()
        if name in seen or name not in funcs:
            continue
        seen.add(name)
        f = funcs[name]
        out |= set(f.body.names) - set(f.args)
        todo += list(f.body.calls)
    return frozenset(out)
