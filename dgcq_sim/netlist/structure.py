"""``.subckt NAME pins [params: k=v ...]`` / ``.ends`` and ``X`` instances, flattened.

Flattening works on cards, before any value is evaluated, and keeps ngspice's names (what
``listing expand`` shows): element ``R3`` of instance ``X1`` becomes ``r.x1.r3`` (type
letter, instance path, name), nested ``X2`` in ``X1`` gives ``r.x1.x2.rin``; an internal
node ``n5`` becomes ``x1.n5``; a model defined inside the subcircuit becomes ``x1:smod``;
an F/H controlling source ``V2`` becomes ``v.x1.v2``.  Pins take the caller's nodes; ground
(``0``, ``gnd``) and ``.global`` nodes keep their name.

Parameters: ``params:`` on the ``.subckt`` line are defaults, ``X1 ... NAME [params:] k=v``
overrides them (evaluated where the instance is written), ``.param`` and ``.func`` cards in
the body are local; every card of an instance carries its :class:`Scope`, whose values
the parser resolves after the top-level ``.param``s (:meth:`Scope.values`).
Subcircuits defined inside a ``.subckt`` are local to it; a subcircuit that instantiates
itself is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from ..errors import NetlistError
from .cards import Card, Ctx, Tok, unwrap
from .circuit import GROUND
from .expressions import parse_expression
from .functions import UserFunction, parse_funcs, signatures

# node fields of each element letter after the name (S: 4 nodes then the model; F/H: 2
# nodes then a V source name)
NODE_FIELDS = {"r": 2, "c": 2, "l": 2, "v": 2, "i": 2, "s": 4, "e": 4, "g": 4, "f": 2, "h": 2}
_NONLINEAR_WORDS = {"poly", "value", "table", "laplace", "freq", "cur", "vol"}
MAX_DEPTH = 100


@dataclass
class Subckt:
    name: str
    pins: list[str]
    defaults: list[tuple[Tok, Tok]]             # (name, value) of params: on the .subckt line
    body: list[Card]
    line: int


@dataclass
class Scope:
    """One subcircuit instance: its path (``x1.x2``), parameters and functions."""

    path: str
    parent: "Scope | None"
    subckt: Subckt
    overrides: list[tuple[Tok, Tok]]            # instance k=v, evaluated in the parent
    locals_: list[Card] = field(default_factory=list)   # .param / .func of the body
    _values: dict | None = None
    _funcs: dict | None = None

    def funcs(self, top: Mapping[str, UserFunction], ctx: Ctx) -> dict[str, UserFunction]:
        """User functions visible in the body (its own .func cards over the caller's)."""
        if self._funcs is None:
            outer = self.parent.funcs(top, ctx) if self.parent else dict(top)
            self._funcs = parse_funcs(self.locals_, ctx, outer)
        return self._funcs

    def values(self, top: Mapping[str, float], top_funcs: Mapping[str, UserFunction],
               ctx: Ctx) -> dict[str, float]:
        """Parameter values visible in the body: the caller's, then defaults / overrides /
        local .param (later ones win)."""
        if self._values is not None:
            return self._values
        from .params import _ParamDef, param_defs, resolve_params
        outer = self.parent.values(top, top_funcs, ctx) if self.parent else dict(top)
        outer_funcs = self.parent.funcs(top_funcs, ctx) if self.parent else dict(top_funcs)
        funcs = self.funcs(top_funcs, ctx)
        given: dict[str, float] = {}
        for name, value in self.overrides:
            given[name.low] = _evaluate(value, outer, outer_funcs, ctx,
                                        f"parameter '{name.low}' of {self.path}")
        defs: dict[str, _ParamDef] = {}
        sigs = signatures(funcs)
        for name, value in self.subckt.defaults:
            if name.low in given:
                continue
            try:
                expr = parse_expression(unwrap(value.text), sigs)
            except NetlistError as err:
                raise ctx.relocate(err, value.line) from None
            defs[name.low] = _ParamDef(name.low, expr, value.line, value.text)
        defs.update(param_defs(self.locals_, ctx, sigs))
        resolved = resolve_params(defs, ctx, funcs, {**outer, **given})
        self._values = {**outer, **given, **resolved}
        return self._values


def _evaluate(tok: Tok, env, funcs, ctx: Ctx, what: str) -> float:
    try:
        return parse_expression(unwrap(tok.text), signatures(funcs)).evaluate(env, funcs)
    except NetlistError as err:
        raise ctx.error(f"bad {what}: {err.reason}", tok.line, err.token or tok.text) from None


def _split_params(toks: list[Tok], start: int, ctx: Ctx, what: str) -> tuple[list[Tok], list[tuple[Tok, Tok]]]:
    """Positional fields from ``start`` up to ``params:`` / the first ``k=v``, then the pairs."""
    k = start
    while k < len(toks) and toks[k].low != "params:" and not (
            k + 1 < len(toks) and toks[k + 1].text == "="):
        k += 1
    positional = toks[start:k]
    if k < len(toks) and toks[k].low == "params:":
        k += 1
    pairs: list[tuple[Tok, Tok]] = []
    while k < len(toks):
        if k + 2 >= len(toks) or toks[k + 1].text != "=" or toks[k + 2].text in ("(", ")", "="):
            raise ctx.error(f"{what}: expected name=value", toks[k].line, toks[k].text)
        pairs.append((toks[k], toks[k + 2]))
        k += 3
    return positional, pairs


def _collect(cards: list[Card], ctx: Ctx) -> tuple[dict[str, Subckt], list[Card]]:
    """Subcircuit definitions (nested ones stay in their body) and the other cards."""
    defs: dict[str, Subckt] = {}
    rest: list[Card] = []
    stack: list[tuple[Card, list[Card]]] = []
    for card in cards:
        kw = card.keyword
        if kw == ".subckt":
            stack.append((card, []))
            continue
        if kw == ".ends":
            if not stack:
                raise ctx.error("'.ends' without a matching '.subckt'", card.line, card.tokens[0].text)
            head, body = stack.pop()
            if stack:                           # nested: stays in the enclosing body
                stack[-1][1].extend([head, *body, card])
                continue
            sub = _definition(head, body, ctx)
            if len(card.tokens) > 1 and card.tokens[1].low != sub.name:
                raise ctx.error(f"'.ends {card.tokens[1].text}' closes '.subckt {sub.name}'",
                                card.line, card.tokens[1].text)
            if sub.name in defs:
                raise ctx.error(f"subcircuit '{sub.name}' defined twice (first at line "
                                f"{defs[sub.name].line})", head.line, head.tokens[1].text)
            defs[sub.name] = sub
            continue
        (stack[-1][1] if stack else rest).append(card)
    if stack:
        head = stack[-1][0]
        raise ctx.error(f"'.subckt' is never closed by '.ends'", head.line, head.tokens[0].text)
    return defs, rest


def _definition(head: Card, body: list[Card], ctx: Ctx) -> Subckt:
    toks = head.tokens
    if len(toks) < 2 or toks[1].text in "()=":
        raise ctx.error(".subckt needs a name and its pins", head.line, toks[0].text)
    pins, defaults = _split_params(toks, 2, ctx, f".subckt {toks[1].text}")
    names = [p.low for p in pins]
    for p in pins:
        if p.text in "()=" or p.text[:1] in "{'":
            raise ctx.error(f".subckt {toks[1].text}: bad pin name", p.line, p.text)
        if names.count(p.low) > 1:
            raise ctx.error(f".subckt {toks[1].text}: pin '{p.low}' listed twice", p.line, p.text)
    return Subckt(toks[1].low, names, defaults, body, head.line)


class _Flattener:
    def __init__(self, ctx: Ctx, global_nodes: set[str]):
        self.ctx = ctx
        self.globals = global_nodes | {GROUND, "gnd"}
        self.out: list[Card] = []

    def instance(self, card: Card, defs: Mapping[str, Subckt], scope: Scope | None,
                 nodes: Mapping[str, str], models: Mapping[str, str], stack: tuple) -> None:
        ctx = self.ctx
        toks = card.tokens
        name = self.rename(toks[0].low, scope)
        positional, overrides = _split_params(toks, 1, ctx, toks[0].text)
        if not positional:
            raise ctx.error(f"{toks[0].text}: expected 'Xname nodes... SUBCKT [params: k=v ...]'",
                            card.line, toks[0].text)
        sub_tok = positional[-1]
        sub = defs.get(sub_tok.low)
        if sub is None:
            known = ", ".join(sorted(defs)) or "none defined"
            raise ctx.error(f"{toks[0].text}: unknown subcircuit '{sub_tok.text}' (subcircuits: "
                            f"{known})", sub_tok.line, sub_tok.text)
        actual = [self.node(t, nodes, scope) for t in positional[:-1]]
        if len(actual) != len(sub.pins):
            raise ctx.error(f"{toks[0].text}: subcircuit '{sub.name}' has {len(sub.pins)} pins "
                            f"({' '.join(sub.pins)}), got {len(actual)} nodes", sub_tok.line,
                            sub_tok.text)
        known = {k.low for k, _ in sub.defaults}
        for k, _ in overrides:
            if k.low not in known:
                raise ctx.error(f"{toks[0].text}: subcircuit '{sub.name}' has no parameter "
                                f"'{k.low}' (params: {' '.join(sorted(known)) or 'none'})",
                                k.line, k.text)
        if sub.name in stack:
            raise ctx.error(f"{toks[0].text}: subcircuit '{sub.name}' instantiates itself "
                            f"({' -> '.join(stack + (sub.name,))})", sub_tok.line, sub_tok.text)
        if len(stack) >= MAX_DEPTH:
            raise ctx.error(f"subcircuits nested more than {MAX_DEPTH} deep", card.line, toks[0].text)
        path = name[2:] if name.startswith("x.") else name
        inner = Scope(path, scope, sub, overrides)
        local_defs, body = _collect(sub.body, ctx)
        visible = {**defs, **local_defs}
        pin_map = dict(zip(sub.pins, actual))
        local_models = {c.tokens[1].low: f"{path}:{c.tokens[1].low}" for c in body
                        if c.keyword == ".model" and len(c.tokens) > 1}
        self.cards(body, visible, inner, pin_map, {**models, **local_models}, stack + (sub.name,))

    def cards(self, cards: list[Card], defs: Mapping[str, Subckt], scope: Scope | None,
              nodes: Mapping[str, str], models: Mapping[str, str], stack: tuple) -> None:
        for card in cards:
            kw = card.keyword
            if kw.startswith("x"):
                self.instance(card, defs, scope, nodes, models, stack)
            elif scope is None:
                self.out.append(card)
            elif kw in (".param", ".func"):
                scope.locals_.append(card)
            else:
                self.out.append(self.element(card, scope, nodes, models))

    def rename(self, name: str, scope: Scope | None) -> str:
        """ngspice's flattened name: ``r3`` in ``x1`` -> ``r.x1.r3``; ``x2`` -> ``x.x1.x2``."""
        if scope is None:
            return name if not name.startswith("x") else "x." + name
        return f"{name[0]}.{scope.path}.{name}"

    def node(self, tok: Tok, nodes: Mapping[str, str], scope: Scope | None) -> str:
        low = tok.low
        if scope is None or low in self.globals:
            return "0" if low == "gnd" else low
        if low in nodes:
            return nodes[low]
        return f"{scope.path}.{low}"

    def element(self, card: Card, scope: Scope, nodes: Mapping[str, str],
                models: Mapping[str, str]) -> Card:
        """A copy of a body card with its names and nodes as in the instance."""
        toks = list(card.tokens)
        kw = card.keyword
        if kw == ".model" and len(toks) > 1:
            toks[1] = Tok(models.get(toks[1].low, toks[1].text), toks[1].line)
        elif not kw.startswith("."):
            letter = kw[0]
            toks[0] = Tok(self.rename(toks[0].low, scope), toks[0].line)
            count = NODE_FIELDS.get(letter, 0)
            if letter in "eg" and any(t.low in _NONLINEAR_WORDS for t in toks[1:]):
                count = 0                       # refused later with the real reason
            for k in range(1, min(1 + count, len(toks))):
                if toks[k].text not in "()=" and toks[k].text[:1] not in "{'":
                    toks[k] = Tok(self.node(toks[k], nodes, scope), toks[k].line)
            if letter == "s" and len(toks) > 5:
                toks[5] = Tok(models.get(toks[5].low, toks[5].text), toks[5].line)
            if letter in "fh" and len(toks) > 3 and toks[3].text not in "()=":
                toks[3] = Tok(f"{toks[3].low[0]}.{scope.path}.{toks[3].low}", toks[3].line)
        return Card(card.line, card.segments, toks, scope)


def global_nodes(cards: list[Card]) -> set[str]:
    """Node names listed on ``.global`` cards (lower-case)."""
    return {t.low for c in cards if c.keyword == ".global" for t in c.tokens[1:]}


def flatten(cards: list[Card], ctx: Ctx) -> list[Card]:
    """Cards with subcircuit definitions removed and every X instance expanded in place."""
    if not any(c.keyword in (".subckt", ".ends") or c.keyword.startswith("x") for c in cards):
        return cards
    defs, rest = _collect(cards, ctx)
    flat = _Flattener(ctx, global_nodes(cards))
    flat.cards(rest, defs, None, {}, {}, ())
    return flat.out
