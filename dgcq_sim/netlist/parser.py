"""SPICE-subset netlist -> :class:`~dgcq_sim.netlist.circuit.Circuit`.

The parser is the gate: a malformed netlist raises :class:`~dgcq_sim.errors.NetlistError`
with ``file:line`` and the offending token and never reaches the engine.  The supported
subset is documented in ``docs/netlists.md``.

Stages: physical lines -> cards (comments stripped, ``+`` continuations joined, ``.control``
blocks skipped, stop at ``.end``) -> tokens (each remembers its physical line) -> ``.param``
resolution (overrides first, then dependency order) -> elements/models/``.tran`` ->
topology checks (ground, dangling, floating, undriven control nodes, voltage-source loops).
"""

from __future__ import annotations

import math
import numbers
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from ..errors import InputError, NetlistError, ParameterError
from .circuit import (GROUND, Capacitor, Circuit, Dc, Element, ISource, Pulse, Pwl, Resistor,
                      SourceLoc, Switch, SwitchModel, Tran, Vcvs, VSource)
from .expressions import CONSTANTS, Expression, parse_expression
from .values import split_number

ELEMENT_LETTERS = "rcvise"
SWITCH_DEFAULTS = {"ron": 1.0, "roff": 1e12, "vt": 0.0, "vh": 0.0}
SUPPORTED_CARDS = (".param", ".model", ".tran", ".end", ".control ... .endc")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ASSIGN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)")
_TITLE_LIKE_CARD = re.compile(r"([rcvise]\w*(\s+\S+){3,}|\.\w+.*)\Z", re.IGNORECASE)
_INLINE_COMMENT = re.compile(r";|(?:^|(?<=\s))\$")


# --------------------------------------------------------------------------- cards, tokens

@dataclass(frozen=True)
class _Tok:
    text: str
    line: int

    @property
    def low(self) -> str:
        return self.text.lower()


@dataclass
class _Card:
    line: int                                    # physical line of the card's first line
    segments: list[tuple[str, int]]              # (text, physical line), continuations joined
    tokens: list[_Tok] = field(default_factory=list)

    @property
    def keyword(self) -> str:
        return self.tokens[0].low if self.tokens else ""


class _Ctx:
    """Path plus helpers that raise located errors."""

    def __init__(self, path: str):
        self.path = path

    def error(self, message: str, line: int | None, token: str | None = None) -> NetlistError:
        return NetlistError(message, self.path, line, token)

    def relocate(self, err: NetlistError, line: int) -> NetlistError:
        """Attach this file and ``line`` to an error raised without location."""
        return NetlistError(err.reason, self.path, line, err.token)


def _strip_comment(text: str) -> str:
    m = _INLINE_COMMENT.search(text)
    return text[:m.start()] if m else text


def _cards(lines: list[str], ctx: _Ctx) -> list[_Card]:
    """Group physical lines 2.. into cards; skip comments and .control blocks; stop at .end."""
    cards: list[_Card] = []
    control_start: int | None = None
    for lineno, raw in enumerate(lines[1:], start=2):
        text = _strip_comment(raw).strip()
        if not text or text.startswith("*"):
            continue
        first = text.split(None, 1)[0].lower()
        if control_start is not None:
            if first == ".endc":
                control_start = None
            continue
        if text.startswith("+"):
            if not cards:
                raise ctx.error("continuation line '+' with no card before it", lineno, text[:20])
            cards[-1].segments.append((text[1:], lineno))
            continue
        if first == ".control":
            control_start = lineno
            continue
        if first == ".endc":
            raise ctx.error("'.endc' without a matching '.control'", lineno, ".endc")
        if first == ".end":
            break
        cards.append(_Card(lineno, [(text, lineno)]))
    if control_start is not None:
        raise ctx.error("'.control' block is never closed by '.endc'", control_start, ".control")
    for card in cards:
        card.tokens = _tokenize(card, ctx)
    return cards


def _joined(card: _Card) -> tuple[str, list[int]]:
    """Card text with continuations joined by a space, and the physical line of each char."""
    text_parts: list[str] = []
    line_of: list[int] = []
    for text, line in card.segments:
        if text_parts:
            text_parts.append(" ")
            line_of.append(line)
        text_parts.append(text)
        line_of.extend([line] * len(text))
    return "".join(text_parts), line_of


_SINGLE = "()="
_STOP = set(" \t\r\f\v,(){}='")


def _tokenize(card: _Card, ctx: _Ctx) -> list[_Tok]:
    """Words, '(' ')' '=', and whole ``{...}`` / ``'...'`` expressions; commas separate."""
    text, line_of = _joined(card)
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace() or ch == ",":
            i += 1
        elif ch in _SINGLE:
            toks.append(_Tok(ch, line_of[i]))
            i += 1
        elif ch == "{":
            depth, j = 0, i
            while j < n:
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if j >= n:
                raise ctx.error("unbalanced '{' (no closing '}')", line_of[i], text[i:i + 20])
            toks.append(_Tok(text[i:j + 1], line_of[i]))
            i = j + 1
        elif ch == "'":
            j = text.find("'", i + 1)
            if j < 0:
                raise ctx.error("unbalanced quote (no closing ')", line_of[i], text[i:i + 20])
            toks.append(_Tok(text[i:j + 1], line_of[i]))
            i = j + 1
        elif ch == "}":
            raise ctx.error("'}' without a matching '{'", line_of[i], "}")
        else:
            j = i
            while j < n and text[j] not in _STOP:
                j += 1
            toks.append(_Tok(text[i:j], line_of[i]))
            i = j
    return toks


def _unwrap(expr_text: str) -> str:
    """``{a*b}`` or ``'a*b'`` -> ``a*b``; anything else unchanged."""
    t = expr_text.strip()
    if len(t) >= 2 and ((t[0] == "{" and t[-1] == "}") or (t[0] == "'" and t[-1] == "'")):
        return t[1:-1]
    return t


# --------------------------------------------------------------------------- parameters

@dataclass
class _ParamDef:
    name: str
    expr: Expression
    line: int | None          # None: an override from Python / the CLI
    source: str               # the text as written, for messages


def _param_defs(cards: list[_Card], ctx: _Ctx) -> dict[str, _ParamDef]:
    defs: dict[str, _ParamDef] = {}
    for card in cards:
        if card.keyword != ".param":
            continue
        text, line_of = _joined(card)
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
                raise ctx.error(f"parameter '{name}' defined twice (first at line {defs[name].line})",
                                line, m.group(1))
            try:
                expr = parse_expression(_unwrap(body))
            except NetlistError as err:
                raise ctx.relocate(err, line) from None
            defs[name] = _ParamDef(name, expr, line, body)
    return defs


def _apply_overrides(defs: dict[str, _ParamDef], overrides: Mapping[str, float | str] | None) -> None:
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
            raise ParameterError(f"override {raw_name}={value!r}: value must be a number or an expression string")
        if isinstance(value, str):
            try:
                expr = parse_expression(_unwrap(value))
            except NetlistError as err:
                raise ParameterError(f"override {raw_name}={value!r}: {err.reason}") from None
        else:
            v = float(value)
            if not math.isfinite(v):
                raise ParameterError(f"override {raw_name}={value!r}: value is not finite")
            expr = parse_expression(repr(v))
        defs[name] = _ParamDef(name, expr, None, str(value))


def _resolve_params(defs: dict[str, _ParamDef], ctx: _Ctx) -> dict[str, float]:
    """Evaluate every parameter in dependency order; cycles and undefined names are errors."""
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
        for dep in sorted(d.expr.names):
            if dep not in defs:
                raise fail(d, f"undefined parameter '{dep}' in the value of '{name}'", dep)
            visit(dep)
        try:
            resolved[name] = d.expr.evaluate(resolved)
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
        if not sep or not _IDENT.match(name) or not value:
            raise ParameterError(f"bad parameter assignment {item!r}: expected NAME=VALUE, e.g. cs=1p")
        out[name] = value
    return out


# --------------------------------------------------------------------------- values

class _Values:
    """Evaluate value tokens (numbers, {expr}, 'expr', bare parameter names) with located errors."""

    def __init__(self, params: Mapping[str, float], ctx: _Ctx):
        self.params = params
        self.ctx = ctx

    def __call__(self, tok: _Tok, what: str) -> float:
        t = tok.text
        if t[:1] in "{'":
            try:
                return parse_expression(_unwrap(t)).evaluate(self.params)
            except NetlistError as err:
                # point at the parameter name if one is undefined, else at the value as written
                near = err.token if err.token and err.token != _unwrap(t).strip() else t
                raise self.ctx.error(f"bad {what}: {err.reason}", tok.line, near) from None
        parsed = split_number(t)
        if parsed is not None:
            if not math.isfinite(parsed[0]):
                raise self.ctx.error(f"{what} is not finite", tok.line, t)
            return parsed[0]
        if _IDENT.match(t):
            if t.lower() in self.params:
                return self.params[t.lower()]
            if t.lower() in CONSTANTS:
                return CONSTANTS[t.lower()]
            raise self.ctx.error(f"undefined parameter '{t.lower()}' used as {what}", tok.line, t)
        raise self.ctx.error(f"bad {what}: expected a number, a parameter name or {{expression}}",
                             tok.line, t)


# --------------------------------------------------------------------------- elements

def _node(tok: _Tok, ctx: _Ctx) -> str:
    t = tok.text
    if t in _SINGLE or t[:1] in "{'" or not t:
        raise ctx.error("expected a node name", tok.line, t)
    low = t.lower()
    return GROUND if low == "gnd" else low


def _expect_fields(card: _Card, count: int, usage: str, ctx: _Ctx) -> None:
    toks = card.tokens
    if len(toks) < count:
        got = " ".join(t.text for t in toks)
        raise ctx.error(f"{toks[0].text}: too few fields, expected '{usage}'", toks[-1].line, got)
    for k in range(2, len(toks)):
        if toks[k].text == "=":
            key = toks[k - 1]
            raise ctx.error(f"{toks[0].text}: instance parameters (ic=, m=, tc1=, ...) are not "
                            f"supported, expected '{usage}'", key.line, key.text)
    if len(toks) > count:
        extra = toks[count]
        hint = ""
        if extra.low in ("on", "off"):
            hint = " (initial switch state on/off is not supported)"
        raise ctx.error(f"{toks[0].text}: unexpected extra field, expected '{usage}'{hint}",
                        extra.line, extra.text)


def _parse_rc(card: _Card, val: _Values, ctx: _Ctx) -> Element:
    toks = card.tokens
    kind = "resistance" if toks[0].low[0] == "r" else "capacitance"
    usage = f"{toks[0].text[0].upper()}name n1 n2 value"
    _expect_fields(card, 4, usage, ctx)
    n1, n2 = _node(toks[1], ctx), _node(toks[2], ctx)
    value = val(toks[3], kind)
    loc = SourceLoc(ctx.path, card.line)
    name = toks[0].low
    if value <= 0:
        raise ctx.error(f"{toks[0].text}: {kind} must be > 0, got {value:g}", toks[3].line, toks[3].text)
    if kind == "resistance":
        return Resistor(name, n1, n2, value, loc)
    return Capacitor(name, n1, n2, value, loc)


_UNSUPPORTED_SOURCE_FUNCS = ("ac", "sin", "exp", "sffm", "am", "trnoise", "trrandom", "distof1",
                             "distof2", "pat")


@dataclass
class _PendingPulse:
    """PULSE values as written; missing trailing ones are filled once .tran is known."""

    args: list[float]
    toks: list[_Tok]


@dataclass
class _PendingSource:
    cls: type
    name: str
    pos: str
    neg: str
    wave: object                  # Dc | Pwl | _PendingPulse
    loc: SourceLoc

    def finish(self, tran: Tran | None, ctx: _Ctx) -> Element:
        wave = _finish_pulse(self.wave, tran, ctx) if isinstance(self.wave, _PendingPulse) else self.wave
        return self.cls(self.name, self.pos, self.neg, wave, self.loc)


@dataclass
class _PendingSwitch:
    name: str
    nodes: list[str]
    model: _Tok
    loc: SourceLoc

    def finish(self, models: Mapping[str, SwitchModel], ctx: _Ctx) -> Switch:
        model = models.get(self.model.low)
        if model is None:
            known = ", ".join(sorted(models)) or "none defined"
            raise ctx.error(f"{self.name}: unknown switch model '{self.model.text}' (models: {known})",
                            self.model.line, self.model.text)
        return Switch(self.name, *self.nodes, model, self.loc)


def _source_args(toks: list[_Tok], i: int, func: str, ctx: _Ctx) -> tuple[list[_Tok], int]:
    """Arguments of PULSE/PWL starting at toks[i]: inside (...) or up to the end of the card."""
    if i < len(toks) and toks[i].text == "(":
        j = i + 1
        while j < len(toks) and toks[j].text != ")":
            j += 1
        if j >= len(toks):
            raise ctx.error(f"{func.upper()}: missing ')'", toks[i].line, toks[i].text)
        args, nxt = toks[i + 1:j], j + 1
    else:
        args, nxt = toks[i:], len(toks)
    for t in args:
        if t.text in "()=":
            raise ctx.error(f"{func.upper()}: unexpected '{t.text}' (options such as r=, td= are not supported)",
                            t.line, t.text)
    return args, nxt


def _parse_source(card: _Card, val: _Values, ctx: _Ctx):
    toks = card.tokens
    usage = f"{toks[0].text[0].upper()}name n+ n- [DC] value | PULSE(v1 v2 td tr tf pw per) | PWL(t1 v1 ...)"
    if len(toks) < 4:
        raise ctx.error(f"{toks[0].text}: too few fields, expected '{usage}'", toks[-1].line,
                        " ".join(t.text for t in toks))
    pos, neg = _node(toks[1], ctx), _node(toks[2], ctx)
    dc: float | None = None
    wave = None
    i = 3
    while i < len(toks):
        tok = toks[i]
        low = tok.low
        if low == "dc":
            if dc is not None:
                raise ctx.error(f"{toks[0].text}: DC value given twice", tok.line, tok.text)
            if i + 1 >= len(toks):
                raise ctx.error(f"{toks[0].text}: DC needs a value", tok.line, tok.text)
            dc = val(toks[i + 1], "DC value")
            i += 2
        elif low in ("pulse", "pwl"):
            if wave is not None:
                raise ctx.error(f"{toks[0].text}: more than one transient waveform", tok.line, tok.text)
            args, i = _source_args(toks, i + 1, low, ctx)
            values = [val(a, f"{low.upper()} argument") for a in args]
            wave = _make_pwl(values, args, tok, ctx) if low == "pwl" else _PendingPulse(values, [tok, *args])
        elif low in _UNSUPPORTED_SOURCE_FUNCS:
            raise ctx.error(f"{toks[0].text}: source function '{tok.text}' is not supported "
                            "(only DC, PULSE, PWL)", tok.line, tok.text)
        elif i == 3 and dc is None:
            dc = val(tok, "source value")
            i += 1
        else:
            raise ctx.error(f"{toks[0].text}: unexpected field, expected '{usage}'", tok.line, tok.text)
    # toks[3] always sets dc or wave.  With both, the transient waveform wins (as in an ngspice
    # .tran; the DC value only matters for ngspice's .op).
    if wave is None:
        wave = Dc(dc)
    cls = VSource if toks[0].low[0] == "v" else ISource
    return _PendingSource(cls, toks[0].low, pos, neg, wave, SourceLoc(ctx.path, card.line))


def _make_pwl(values: list[float], args: list[_Tok], head: _Tok, ctx: _Ctx) -> Pwl:
    if not values or len(values) % 2:
        last = args[-1] if args else head
        raise ctx.error(f"PWL needs pairs 't1 v1 t2 v2 ...', got {len(values)} values", last.line, last.text)
    times, levels = values[0::2], values[1::2]
    if times[0] < 0:
        raise ctx.error("PWL times must be >= 0", args[0].line, args[0].text)
    for k in range(1, len(times)):
        if times[k] <= times[k - 1]:
            t = args[2 * k]
            raise ctx.error(f"PWL times must increase strictly ({times[k]:g} after {times[k - 1]:g})",
                            t.line, t.text)
    return Pwl(tuple(times), tuple(levels))


def _finish_pulse(p: _PendingPulse, tran: Tran | None, ctx: _Ctx) -> Pulse:
    """Fill missing trailing PULSE args with ngspice defaults: td=0, tr=tf=tstep, pw=per=tstop."""
    head = p.toks[0]
    names = ("v1", "v2", "td", "tr", "tf", "pw", "per")
    if len(p.args) < 2:
        raise ctx.error(f"PULSE needs at least v1 v2 (got {len(p.args)} values)", head.line, head.text)
    if len(p.args) > 7:
        extra = p.toks[1 + 7]
        raise ctx.error("PULSE takes at most 7 values (v1 v2 td tr tf pw per)", extra.line, extra.text)
    args = list(p.args)
    if len(args) < 7:
        missing = names[len(args):]
        if tran is None and any(m != "td" for m in missing):
            raise ctx.error(f"PULSE without {', '.join(missing)} takes ngspice defaults from .tran "
                            "(tr=tf=tstep, pw=per=tstop), but the netlist has no .tran",
                            head.line, head.text)
        defaults = {"td": 0.0}
        if tran is not None:
            defaults.update(tr=tran.tstep, tf=tran.tstep, pw=tran.tstop, per=tran.tstop)
        args += [defaults[m] for m in missing]
    v1, v2, td, tr, tf, pw, per = args
    for k, (n, v) in enumerate(zip(names[2:], (td, tr, tf, pw, per)), start=2):
        if v < 0:
            t = p.toks[1 + k]
            raise ctx.error(f"PULSE {n} must be >= 0, got {v:g}", t.line, t.text)
    return Pulse(v1, v2, td, tr, tf, pw, per)


def _parse_switch(card: _Card, ctx: _Ctx) -> _PendingSwitch:
    toks = card.tokens
    _expect_fields(card, 6, "Sname n1 n2 cp cn MODEL", ctx)
    nodes = [_node(t, ctx) for t in toks[1:5]]
    return _PendingSwitch(toks[0].low, nodes, toks[5], SourceLoc(ctx.path, card.line))


def _parse_vcvs(card: _Card, val: _Values, ctx: _Ctx) -> Vcvs:
    toks = card.tokens
    for t in toks[1:]:
        if t.low in ("poly", "value", "table", "laplace", "freq", "cur", "vol") or t.text == "=":
            raise ctx.error(f"{toks[0].text}: nonlinear E sources (POLY, VALUE=, TABLE, ...) are not "
                            "supported; only 'Ename n+ n- cp cn gain'", t.line, t.text)
    _expect_fields(card, 6, "Ename n+ n- cp cn gain", ctx)
    pos, neg, cp, cn = (_node(t, ctx) for t in toks[1:5])
    gain = val(toks[5], "gain")
    return Vcvs(toks[0].low, pos, neg, cp, cn, gain, SourceLoc(ctx.path, card.line))


def _parse_model(card: _Card, val: _Values, ctx: _Ctx) -> SwitchModel:
    toks = card.tokens
    if len(toks) < 3:
        raise ctx.error(".model needs 'NAME SW(RON= ROFF= VT= VH=)'", toks[-1].line, toks[-1].text)
    name_tok, type_tok = toks[1], toks[2]
    if not _IDENT.match(name_tok.text):
        raise ctx.error("bad model name", name_tok.line, name_tok.text)
    if type_tok.low != "sw":
        raise ctx.error(f"unsupported model type '{type_tok.text}' (only SW switch models)",
                        type_tok.line, type_tok.text)
    rest = toks[3:]
    if rest and rest[0].text == "(":
        if rest[-1].text != ")":
            raise ctx.error(".model: missing ')'", rest[0].line, rest[0].text)
        rest = rest[1:-1]
    values: dict[str, float] = {}
    k = 0
    while k < len(rest):
        key = rest[k]
        if key.low not in SWITCH_DEFAULTS:
            raise ctx.error(f"unknown SW model parameter '{key.text}' (known: RON ROFF VT VH)",
                            key.line, key.text)
        if k + 2 >= len(rest) or rest[k + 1].text != "=":
            bad = rest[k + 1] if k + 1 < len(rest) else key
            raise ctx.error(f".model: expected {key.text}=value", bad.line, bad.text)
        if key.low in values:
            raise ctx.error(f".model: {key.text} given twice", key.line, key.text)
        values[key.low] = val(rest[k + 2], f"{key.low.upper()} value")
        vtok = rest[k + 2]
        if key.low in ("ron", "roff") and values[key.low] <= 0:
            raise ctx.error(f".model {name_tok.text}: {key.low.upper()} must be > 0, got {values[key.low]:g}",
                            vtok.line, vtok.text)
        if key.low == "vh" and values["vh"] < 0:
            raise ctx.error(f".model {name_tok.text}: VH must be >= 0, got {values['vh']:g}",
                            vtok.line, vtok.text)
        k += 3
    p = {**SWITCH_DEFAULTS, **values}
    return SwitchModel(name_tok.low, p["ron"], p["roff"], p["vt"], p["vh"], SourceLoc(ctx.path, card.line))


def _parse_tran(card: _Card, val: _Values, ctx: _Ctx) -> Tran:
    toks = card.tokens
    for t in toks[1:]:
        if t.low == "uic":
            raise ctx.error(".tran UIC is not supported (the engine starts from the DC operating point)",
                            t.line, t.text)
    if len(toks) < 3:
        raise ctx.error(".tran needs 'tstep tstop [tstart [tmax]]'", toks[-1].line, toks[-1].text)
    if len(toks) > 5:
        raise ctx.error(".tran: unexpected extra field", toks[5].line, toks[5].text)
    names = ("tstep", "tstop", "tstart", "tmax")
    vals = [val(t, f".tran {n}") for t, n in zip(toks[1:], names)]
    tstep, tstop = vals[0], vals[1]
    tstart = vals[2] if len(vals) > 2 else 0.0
    tmax = vals[3] if len(vals) > 3 else None
    if tstep <= 0:
        raise ctx.error(f".tran tstep must be > 0, got {tstep:g}", toks[1].line, toks[1].text)
    if tstop <= 0:
        raise ctx.error(f".tran tstop must be > 0, got {tstop:g}", toks[2].line, toks[2].text)
    if not 0 <= tstart < tstop:
        raise ctx.error(f".tran tstart must be in [0, tstop), got {tstart:g}", toks[3].line, toks[3].text)
    if tmax is not None and tmax <= 0:
        raise ctx.error(f".tran tmax must be > 0, got {tmax:g}", toks[4].line, toks[4].text)
    return Tran(tstep, tstop, tstart, tmax, SourceLoc(ctx.path, card.line))


# --------------------------------------------------------------------------- topology checks

def _terminals(el: Element) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(power terminals, control terminals) of one element."""
    if isinstance(el, (Resistor, Capacitor)):
        return (el.n1, el.n2), ()
    if isinstance(el, (VSource, ISource)):
        return (el.pos, el.neg), ()
    if isinstance(el, Switch):
        return (el.n1, el.n2), (el.cp, el.cn)
    return (el.pos, el.neg), (el.cp, el.cn)  # Vcvs


class _UnionFind:
    def __init__(self):
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> bool:
        """Join the sets of a and b; False if they were already joined."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[ra] = rb
        return True


def _source_path(edges: list[tuple[str, str, str]], start: str, goal: str) -> list[str]:
    """Names of the voltage-defining elements on a path start -> goal (BFS over edges)."""
    prev: dict[str, tuple[str, str] | None] = {start: None}
    queue = [start]
    while queue:
        node = queue.pop(0)
        if node == goal:
            break
        for a, b, name in edges:
            for u, v in ((a, b), (b, a)):
                if u == node and v not in prev:
                    prev[v] = (node, name)
                    queue.append(v)
    names: list[str] = []
    node = goal
    while prev.get(node) is not None:
        node, name = prev[node]
        names.append(name)
    return names[::-1]


def _check_topology(elements: list[Element], ctx: _Ctx) -> tuple[str, ...]:
    """Ground, dangling/floating/undriven nodes, voltage-source loops.  Returns the node order."""
    order: list[str] = []
    power_count: dict[str, int] = {}
    control_count: dict[str, int] = {}
    first_use: dict[str, Element] = {}
    for el in elements:
        power, control = _terminals(el)
        for n in power + control:
            if n not in first_use:
                first_use[n] = el
                if n != GROUND:
                    order.append(n)
        for n in power:
            power_count[n] = power_count.get(n, 0) + 1
        for n in control:
            control_count[n] = control_count.get(n, 0) + 1

    if GROUND not in first_use:
        raise NetlistError("no element connects to ground (node 0 or gnd)", ctx.path)

    # Loops of voltage-defining elements (V, E outputs) make the system singular.
    vloop = _UnionFind()
    vedges: list[tuple[str, str, str]] = []
    for el in elements:
        if isinstance(el, (VSource, Vcvs)):
            if not vloop.union(el.pos, el.neg):
                names = _source_path(vedges, el.pos, el.neg) + [el.name]
                raise NetlistError(f"loop of voltage sources {', '.join(names)} (singular: their "
                                   "voltages are not independent)", ctx.path, el.loc.line, el.name)
            vedges.append((el.pos, el.neg, el.name))

    for n in order:
        if power_count.get(n, 0) == 0:
            el = first_use[n]
            raise NetlistError(f"control node '{n}' is not driven (it is only a switch/E control "
                               "terminal)", ctx.path, el.loc.line, n)
        if power_count[n] + control_count.get(n, 0) == 1:
            el = first_use[n]
            raise NetlistError(f"node '{n}' is dangling (only {el.name} connects to it)",
                               ctx.path, el.loc.line, n)

    # DC path to ground through elements that conduct at DC (R, V, E output, S: RON or ROFF).
    dc = _UnionFind()
    dc.find(GROUND)
    for el in elements:
        if isinstance(el, (Resistor, VSource, Vcvs, Switch)):
            a, b = _terminals(el)[0]
            dc.union(a, b)
    for n in order:
        if dc.find(n) != dc.find(GROUND):
            el = first_use[n]
            raise NetlistError(f"node '{n}' has no DC path to ground (floating: reached only through "
                               "capacitors or current sources)", ctx.path, el.loc.line, n)
    return tuple(order)


# --------------------------------------------------------------------------- entry points

def parse_netlist(text: str, path: str = "<string>",
                  params: Mapping[str, float | str] | None = None) -> Circuit:
    """Parse SPICE-subset netlist text into a :class:`Circuit`.

    Parameters
    ----------
    text : str
        The netlist.  The first line is the title (always, as in SPICE).
    path : str
        Name used in error messages and stored as ``Circuit.path``.
    params : mapping, optional
        ``.param`` overrides, name -> number (SI) or expression text (e.g. ``"2p"``,
        ``"{2*cu}"``).  Applied before dependent parameters are evaluated.  A name the
        netlist does not define raises ParameterError listing the defined ones.

    Raises
    ------
    NetlistError
        Any syntax, value or topology problem, as ``path:line: message (near 'token')``.
    ParameterError
        A bad override.
    """
    if not isinstance(text, str):
        raise InputError(f"netlist text must be str, got {type(text).__name__}")
    ctx = _Ctx(str(path))
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    if not text.strip():
        raise NetlistError("empty netlist (no title, no elements)", ctx.path)
    title = lines[0].strip()
    cards = _cards(lines, ctx)

    defs = _param_defs(cards, ctx)
    _apply_overrides(defs, params)
    values = _Values(_resolve_params(defs, ctx), ctx)

    models: dict[str, SwitchModel] = {}
    tran: Tran | None = None
    pending: list = []          # elements; switches and sources wait for .model / .tran
    for card in cards:
        kw = card.keyword
        head = card.tokens[0]
        if kw.startswith("."):
            if kw == ".param":
                continue
            if kw == ".model":
                model = _parse_model(card, values, ctx)
                if model.name in models:
                    raise ctx.error(f"model '{model.name}' defined twice (first at line "
                                    f"{models[model.name].loc.line})", card.line, card.tokens[1].text)
                models[model.name] = model
            elif kw == ".tran":
                if tran is not None:
                    raise ctx.error(f"second .tran (first at line {tran.loc.line})", card.line, head.text)
                tran = _parse_tran(card, values, ctx)
            else:
                raise ctx.error(f"unsupported card '{head.text}' (supported: {', '.join(SUPPORTED_CARDS)})",
                                head.line, head.text)
            continue
        letter = kw[0]
        if letter not in ELEMENT_LETTERS:
            raise ctx.error(f"unknown or unsupported element type '{head.text[0]}' "
                            "(supported: R C V I S E)", head.line, head.text)
        if letter in "rc":
            pending.append(_parse_rc(card, values, ctx))
        elif letter in "vi":
            pending.append(_parse_source(card, values, ctx))
        elif letter == "s":
            pending.append(_parse_switch(card, ctx))
        else:
            pending.append(_parse_vcvs(card, values, ctx))

    elements: list[Element] = []
    seen: dict[str, Element] = {}
    for item in pending:
        if isinstance(item, _PendingSwitch):
            el = item.finish(models, ctx)
        elif isinstance(item, _PendingSource):
            el = item.finish(tran, ctx)
        else:
            el = item
        if el.name in seen:
            raise ctx.error(f"duplicate element name '{el.name}' (first at line {seen[el.name].loc.line})",
                            el.loc.line, el.name)
        seen[el.name] = el
        elements.append(el)

    try:
        if not elements:
            raise NetlistError("netlist has no elements", ctx.path)
        nodes = _check_topology(elements, ctx)
    except NetlistError as err:
        if _TITLE_LIKE_CARD.match(title):
            raise NetlistError(f"{err.reason} [note: line 1 is always the title, so '{title}' was "
                               "not read as a card]", err.path, err.line, err.token) from None
        raise
    return Circuit(title=title, elements=tuple(elements), params=dict(values.params),
                   models=dict(models), tran=tran, path=ctx.path, nodes=nodes)


def load_netlist(path: str | os.PathLike, params: Mapping[str, float | str] | None = None) -> Circuit:
    """Read and parse a netlist file (UTF-8).  See :func:`parse_netlist` for ``params``.

    Raises InputError if ``path`` does not exist or is not a file; NetlistError if the
    content is not UTF-8 (naming the line) or not a valid netlist.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"netlist file not found: {str(path)!r}")
    if not p.is_file():
        raise InputError(f"netlist path is not a file: {str(path)!r}")
    data = p.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise NetlistError(f"file is not UTF-8 text (byte 0x{data[err.start]:02x})", str(path), line) from None
    return parse_netlist(text, str(path), params)
