"""Cards -> elements, switch models and ``.tran``, with values evaluated and range-checked.

Runs after every card passed :func:`~dgcq_sim.netlist.cards.check_card` and the
``.param`` values are resolved.  Switches and sources are returned "pending": they are
finished once every ``.model`` and the ``.tran`` are known (a model may follow its use;
missing PULSE values default from ``.tran``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from ..errors import NetlistError
from .cards import SINGLE, Card, Ctx, Tok, unwrap
from .circuit import (GROUND, Capacitor, Cccs, Ccvs, Dc, Element, Inductor, ISource,
                      Resistor, SourceLoc, Switch, SwitchModel, Tran, Vccs, Vcvs, VSource)
from .expressions import CONSTANTS, parse_expression
from .functions import UserFunction, signatures
from .limits import range_problem
from .params import IDENT
from .values import number_hint, split_number, split_rkm
from .waves import WAVE_FUNCS, PendingWave, finish_wave, read_pwl_options, read_wave, wave_args

# a model name; ':' and '.' appear in the names of models defined in subcircuits (x1:smod)
MODEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:]*\Z")
SWITCH_DEFAULTS = {"ron": 1.0, "roff": 1e12, "vt": 0.0, "vh": 0.0}
# small-signal specs of V/I sources: no effect on a transient, accepted and ignored
SMALL_SIGNAL_SPECS = ("ac", "distof1", "distof2")


class Values:
    """Evaluate value tokens (numbers, {expr}, 'expr', bare parameter names) with located errors."""

    def __init__(self, params: Mapping[str, float], ctx: Ctx,
                 funcs: Mapping[str, UserFunction] | None = None):
        self.params = params
        self.ctx = ctx
        self.funcs = dict(funcs or {})
        self.signatures = signatures(self.funcs)

    def __call__(self, tok: Tok, what: str, rkm: bool = False) -> float:
        """The value of ``tok``; ``rkm``: also read RKM notation (``4k7``), for R and C values."""
        t = tok.text
        if t[:1] in "{'":
            try:
                return parse_expression(unwrap(t), self.signatures).evaluate(self.params, self.funcs)
            except NetlistError as err:
                # point at the parameter name if one is undefined, else at the value as written
                near = err.token if err.token and err.token != unwrap(t).strip() else t
                raise self.ctx.error(f"bad {what}: {err.reason}", tok.line, near) from None
        try:
            parsed = split_number(t) or (split_rkm(t) if rkm else None)
        except NetlistError as err:
            raise self.ctx.error(f"bad {what}: {err.reason}", tok.line, t[:40]) from None
        if parsed is not None:
            return parsed[0]
        if IDENT.match(t):
            if t.lower() in self.params:
                return self.params[t.lower()]
            if t.lower() in CONSTANTS:
                return CONSTANTS[t.lower()]
            raise self.ctx.error(f"undefined parameter '{t.lower()}' used as {what}", tok.line, t)
        raise self.ctx.error(f"bad {what}: expected a number, a parameter name or {{expression}}"
                             + number_hint(t), tok.line, t[:40])

    def checked(self, tok: Tok, what: str, kind: str, owner: str) -> float:
        """The value of ``tok``, refused unless it lies in the range ``limits.LIMITS[kind]``."""
        value = self(tok, what)
        _range(self.ctx, tok, owner, what, kind, value)
        return value


def _node(tok: Tok, ctx: Ctx) -> str:
    t = tok.text
    if t in SINGLE or t[:1] in "{'" or not t:
        raise ctx.error("expected a node name", tok.line, t)
    low = t.lower()
    return GROUND if low == "gnd" else low


def _expect_fields(card: Card, count: int, usage: str, ctx: Ctx) -> None:
    toks = card.tokens
    if len(toks) < count:
        got = " ".join(t.text for t in toks)
        raise ctx.error(f"{toks[0].text}: too few fields, expected '{usage}'", toks[-1].line, got)
    for k in range(2, len(toks)):
        if toks[k].text == "=":
            key = toks[k - 1]
            raise ctx.error(f"{toks[0].text}: instance parameters (m=, tc1=, ...) are not "
                            f"supported, expected '{usage}'", key.line, key.text)
    if len(toks) > count:
        extra = toks[count]
        hint = ""
        if extra.low in ("on", "off"):
            hint = " (initial switch state on/off is not supported)"
        raise ctx.error(f"{toks[0].text}: unexpected extra field, expected '{usage}'{hint}",
                        extra.line, extra.text)


def _take_ic(card: Card) -> tuple[Card, Tok | None]:
    """The card without a trailing ``ic=value`` (C, L), and the value token."""
    toks = card.tokens
    for k in range(1, len(toks) - 2):
        if toks[k].low == "ic" and toks[k + 1].text == "=":
            rest = toks[:k] + toks[k + 3:]
            return Card(card.line, card.segments, rest, card.scope), toks[k + 2]
    return card, None


_RLC = {"r": ("resistance", Resistor), "c": ("capacitance", Capacitor),
        "l": ("inductance", Inductor)}


def parse_rc(card: Card, val: Values, ctx: Ctx) -> Element:
    """R, C and L cards (C and L take ``ic=``)."""
    letter = card.keyword[0]
    kind, cls = _RLC[letter]
    ic_tok = None
    if letter in "cl":
        card, ic_tok = _take_ic(card)
    toks = card.tokens
    usage = f"{toks[0].text[0].upper()}name n1 n2 value" + (" [ic=value]" if letter in "cl" else "")
    _expect_fields(card, 4, usage, ctx)
    n1, n2 = _node(toks[1], ctx), _node(toks[2], ctx)
    value = val(toks[3], kind, rkm=True)
    if value <= 0:
        raise ctx.error(f"{toks[0].text}: {kind} must be > 0, got {value:g}", toks[3].line, toks[3].text)
    _range(ctx, toks[3], toks[0].text, kind, kind, value)
    loc = ctx.loc(card.line)
    name = toks[0].low
    if letter == "r":
        return Resistor(name, n1, n2, value, loc)
    ic = None
    if ic_tok is not None:
        ic = val.checked(ic_tok, "initial condition ic", "voltage" if letter == "c" else "current",
                         toks[0].text)
    return cls(name, n1, n2, value, loc, ic)


# --------------------------------------------------------------------------- sources

@dataclass
class PendingSource:
    cls: type
    name: str
    pos: str
    neg: str
    wave: object                  # Dc | PendingWave
    loc: SourceLoc

    def finish(self, tran: Tran | None, ctx: Ctx) -> Element:
        wave = finish_wave(self.wave, tran, ctx) if isinstance(self.wave, PendingWave) else self.wave
        return self.cls(self.name, self.pos, self.neg, wave, self.loc)


@dataclass
class PendingSwitch:
    name: str
    nodes: list[str]
    model: Tok
    loc: SourceLoc
    on: bool = False

    def finish(self, models: Mapping[str, SwitchModel], ctx: Ctx) -> Switch:
        model = models.get(self.model.low)
        if model is None:
            known = ", ".join(sorted(models)) or "none defined"
            raise ctx.error(f"{self.name}: unknown switch model '{self.model.text}' (models: {known})",
                            self.model.line, self.model.text)
        return Switch(self.name, *self.nodes, model, self.loc, self.on)


_SOURCE_KEYWORDS = ("dc",) + WAVE_FUNCS + SMALL_SIGNAL_SPECS


def _small_signal_values(toks: list[Tok], i: int, val: Values) -> int:
    """Skip the up to two values (magnitude, phase) after AC/DISTOF at toks[i-1]; return the next index."""
    for _ in range(2):
        if i < len(toks) and toks[i].low not in _SOURCE_KEYWORDS and toks[i].text not in SINGLE:
            val(toks[i], f"{toks[i - 1].text} value")        # must still be a valid value
            i += 1
    return i


def parse_source(card: Card, val: Values, ctx: Ctx) -> PendingSource:
    toks = card.tokens
    usage = (f"{toks[0].text[0].upper()}name n+ n- [DC] value | PULSE(...) | PWL(t1 v1 ...) | "
             "SIN(...) | EXP(...) | SFFM(...)")
    if len(toks) < 4:
        raise ctx.error(f"{toks[0].text}: too few fields, expected '{usage}'", toks[-1].line,
                        " ".join(t.text for t in toks))
    pos, neg = _node(toks[1], ctx), _node(toks[2], ctx)
    level = "voltage" if toks[0].low[0] == "v" else "current"
    owner = toks[0].text
    dc: float | None = None
    wave = None
    i = 3
    while i < len(toks):
        tok = toks[i]
        low = tok.low
        if low == "dc":
            if dc is not None:
                raise ctx.error(f"{owner}: DC value given twice", tok.line, tok.text)
            if i + 1 >= len(toks):
                raise ctx.error(f"{owner}: DC needs a value", tok.line, tok.text)
            dc = val.checked(toks[i + 1], "DC value", level, owner)
            i += 2
        elif low in WAVE_FUNCS:
            if wave is not None:
                raise ctx.error(f"{owner}: more than one transient waveform", tok.line, tok.text)
            args, i = wave_args(toks, i + 1, low, ctx)
            wave = read_wave(low, tok, args, val, level, owner, ctx)
            if low == "pwl":
                i = read_pwl_options(toks, i, wave, val, ctx)
        elif low in SMALL_SIGNAL_SPECS:
            start = i
            i = _small_signal_values(toks, i + 1, val)
            spec = " ".join(t.text for t in toks[start:i])
            ctx.note(tok.line, f"{toks[0].low}: '{spec}' ignored (small-signal specification; "
                               "no effect on a transient)")
        elif i == 3 and dc is None:
            dc = val.checked(tok, "source value", level, owner)
            i += 1
        else:
            raise ctx.error(f"{owner}: unexpected field, expected '{usage}'", tok.line, tok.text)
    # With a DC value and a waveform, the waveform wins (as in an ngspice .tran; the DC value
    # only matters for ngspice's .op).  With neither (only AC), the source is 0 as in ngspice.
    if wave is None:
        wave = Dc(0.0 if dc is None else dc)
    cls = VSource if level == "voltage" else ISource
    return PendingSource(cls, toks[0].low, pos, neg, wave, ctx.loc(card.line))


def _range(ctx: Ctx, tok: Tok, owner: str, what: str, kind: str, value: float) -> None:
    problem = range_problem(kind, value)
    if problem is not None:
        raise ctx.error(f"{owner}: {what} {problem}", tok.line, tok.text[:40])


# --------------------------------------------------------------------------- S, E, .model, .tran

def parse_switch(card: Card, ctx: Ctx) -> PendingSwitch:
    toks = card.tokens
    on = False
    if len(toks) == 7 and toks[6].low in ("on", "off"):
        on = toks[6].low == "on"
        card = Card(card.line, card.segments, toks[:6], card.scope)
    _expect_fields(card, 6, "Sname n1 n2 cp cn MODEL [ON|OFF]", ctx)
    nodes = [_node(t, ctx) for t in toks[1:5]]
    return PendingSwitch(toks[0].low, nodes, toks[5], ctx.loc(card.line), on)


def parse_vcvs(card: Card, val: Values, ctx: Ctx) -> Vcvs | Vccs:
    """E (VCVS) and G (VCCS) cards: ``name n+ n- cp cn value``."""
    toks = card.tokens
    letter = card.keyword[0]
    for t in toks[1:]:
        if t.low in ("poly", "value", "table", "laplace", "freq", "cur", "vol") or t.text == "=":
            raise ctx.error(f"{toks[0].text}: nonlinear {letter.upper()} sources (POLY, VALUE=, TABLE, "
                            f"...) are not supported; only '{letter.upper()}name n+ n- cp cn "
                            f"{'gain' if letter == 'e' else 'transconductance'}'", t.line, t.text)
    what = "gain" if letter == "e" else "transconductance"
    _expect_fields(card, 6, f"{letter.upper()}name n+ n- cp cn {what}", ctx)
    pos, neg, cp, cn = (_node(t, ctx) for t in toks[1:5])
    value = val.checked(toks[5], what, "gain" if letter == "e" else "transconductance", toks[0].text)
    cls = Vcvs if letter == "e" else Vccs
    return cls(toks[0].low, pos, neg, cp, cn, value, ctx.loc(card.line))


@dataclass
class PendingControlled:
    """An F or H element: finished once every V source is known (it may come later)."""

    el: Cccs | Ccvs
    vsrc: Tok

    def finish(self, sources: Mapping[str, object], ctx: Ctx) -> Cccs | Ccvs:
        if self.el.vsrc not in sources:
            known = ", ".join(sorted(sources)) or "none"
            raise ctx.error(f"{self.el.name}: controlling source '{self.vsrc.text}' is not a V "
                            f"source of the circuit (V sources: {known})", self.vsrc.line,
                            self.vsrc.text)
        return self.el


def parse_cc(card: Card, val: Values, ctx: Ctx) -> PendingControlled:
    """F (CCCS) and H (CCVS) cards: ``name n+ n- VNAME value``."""
    toks = card.tokens
    letter = card.keyword[0]
    what = "gain" if letter == "f" else "transresistance"
    for t in toks[1:]:
        if t.low == "poly" or t.text == "=":
            raise ctx.error(f"{toks[0].text}: nonlinear {letter.upper()} sources (POLY, ...) are not "
                            f"supported; only '{letter.upper()}name n+ n- VNAME {what}'", t.line, t.text)
    _expect_fields(card, 5, f"{letter.upper()}name n+ n- VNAME {what}", ctx)
    pos, neg = _node(toks[1], ctx), _node(toks[2], ctx)
    vsrc = toks[3]
    if vsrc.text in SINGLE or vsrc.text[:1] in "{'":
        raise ctx.error(f"{toks[0].text}: expected the name of a V source", vsrc.line, vsrc.text)
    value = val.checked(toks[4], what, "current_gain" if letter == "f" else "transresistance",
                        toks[0].text)
    cls = Cccs if letter == "f" else Ccvs
    return PendingControlled(cls(toks[0].low, pos, neg, vsrc.low, value, ctx.loc(card.line)), vsrc)


_MODEL_KINDS = {"ron": "resistance", "roff": "resistance", "vt": "voltage", "vh": "voltage",
                "von": "voltage", "voff": "voltage"}
# PSpice's VSWITCH(RON ROFF VON VOFF), mapped to SW: see parse_model
VSWITCH_DEFAULTS = {"ron": 1.0, "roff": 1e6, "von": 1.0, "voff": 0.0}
_CURRENT_SWITCH = ("iswitch", "csw")


def _model_params(rest: list[Tok], known: Mapping[str, float], kind: str, owner: str,
                  val: Values, ctx: Ctx) -> dict[str, float]:
    values: dict[str, float] = {}
    k = 0
    while k < len(rest):
        key = rest[k]
        if key.low not in known:
            raise ctx.error(f"unknown {kind} model parameter '{key.text}' (known: "
                            f"{' '.join(p.upper() for p in known)})", key.line, key.text)
        if k + 2 >= len(rest) or rest[k + 1].text != "=":
            bad = rest[k + 1] if k + 1 < len(rest) else key
            raise ctx.error(f".model: expected {key.text}=value", bad.line, bad.text)
        if key.low in values:
            raise ctx.error(f".model: {key.text} given twice", key.line, key.text)
        vtok = rest[k + 2]
        what = key.low.upper()
        values[key.low] = val(vtok, f"{what} value")
        if key.low in ("ron", "roff") and values[key.low] <= 0:
            raise ctx.error(f"{owner}: {what} must be > 0, got {values[key.low]:g}", vtok.line, vtok.text)
        if key.low == "vh" and values["vh"] < 0:
            raise ctx.error(f"{owner}: VH must be >= 0, got {values['vh']:g}", vtok.line, vtok.text)
        _range(ctx, vtok, owner, what, _MODEL_KINDS[key.low], values[key.low])
        k += 3
    return {**known, **values}


def parse_model(card: Card, val: Values, ctx: Ctx) -> SwitchModel:
    """``.model NAME SW(...)``, or PSpice's ``VSWITCH(RON ROFF VON VOFF)`` mapped to SW.

    VSWITCH (which ngspice-39 does not read) changes its resistance smoothly while the
    control lies between VOFF and VON; it becomes the ideal switch ``VT = (VON+VOFF)/2``,
    ``VH = 0``, identical whenever the control is outside that band (the note in
    ``Circuit.ignored`` says so).  Current-controlled switches (ISWITCH, CSW) are refused.
    """
    toks = card.tokens
    if len(toks) < 3:
        raise ctx.error(".model needs 'NAME SW(RON= ROFF= VT= VH=)'", toks[-1].line, toks[-1].text)
    name_tok, type_tok = toks[1], toks[2]
    if not MODEL_NAME.match(name_tok.text):
        raise ctx.error("bad model name", name_tok.line, name_tok.text)
    mtype = type_tok.low
    if mtype in _CURRENT_SWITCH:
        raise ctx.error(f"{type_tok.text} (current-controlled switch) models are not supported: a "
                        "switch controlled by a circuit current changes topology at a time that "
                        "depends on the state; use a voltage-controlled S switch (SW model)",
                        type_tok.line, type_tok.text)
    if mtype not in ("sw", "vswitch"):
        raise ctx.error(f"unsupported model type '{type_tok.text}' (only SW switch models, and "
                        "VSWITCH mapped to SW)", type_tok.line, type_tok.text)
    rest = toks[3:]
    if rest and rest[0].text == "(":
        if rest[-1].text != ")":
            raise ctx.error(".model: missing ')'", rest[0].line, rest[0].text)
        rest = rest[1:-1]
    owner = f".model {name_tok.text}"
    loc = ctx.loc(card.line)
    if mtype == "sw":
        p = _model_params(rest, SWITCH_DEFAULTS, "SW", owner, val, ctx)
        return SwitchModel(name_tok.low, p["ron"], p["roff"], p["vt"], p["vh"], loc)
    p = _model_params(rest, VSWITCH_DEFAULTS, "VSWITCH", owner, val, ctx)
    if p["von"] == p["voff"]:
        raise ctx.error(f"{owner}: VON and VOFF must differ", type_tok.line, type_tok.text)
    vt = 0.5 * (p["von"] + p["voff"])
    ctx.note(card.line, f".model {name_tok.low} VSWITCH read as SW(RON={p['ron']:g} ROFF={p['roff']:g} "
                        f"VT={vt:g} VH=0): an ideal switch at the middle of VOFF..VON, where VSWITCH "
                        "changes its resistance smoothly (identical while the control is outside "
                        "that band)")
    if p["von"] < p["voff"]:
        raise ctx.error(f"{owner}: VON < VOFF (a switch that opens as its control rises) is not "
                        "supported", type_tok.line, type_tok.text)
    return SwitchModel(name_tok.low, p["ron"], p["roff"], vt, 0.0, loc)


def parse_tran(card: Card, val: Values, ctx: Ctx) -> Tran:
    """``.tran tstep tstop [tstart [tmax]]``, or the same ``tran`` command of a .control block."""
    toks = card.tokens
    head = toks[0].low
    uic = len(toks) > 3 and toks[-1].low == "uic"
    if uic:
        toks = toks[:-1]
    if len(toks) < 3:
        raise ctx.error(f"{head} needs 'tstep tstop [tstart [tmax]] [uic]'", toks[-1].line, toks[-1].text)
    if len(toks) > 5:
        raise ctx.error(f"{head}: unexpected extra field", toks[5].line, toks[5].text)
    names = ("tstep", "tstop", "tstart", "tmax")
    vals = [val(t, f"{head} {n}") for t, n in zip(toks[1:], names)]
    tstep, tstop = vals[0], vals[1]
    tstart = vals[2] if len(vals) > 2 else 0.0
    tmax = vals[3] if len(vals) > 3 else None
    if tstep <= 0:
        raise ctx.error(f"{head} tstep must be > 0, got {tstep:g}", toks[1].line, toks[1].text)
    if tstop <= 0:
        raise ctx.error(f"{head} tstop must be > 0, got {tstop:g}", toks[2].line, toks[2].text)
    if not 0 <= tstart < tstop:
        raise ctx.error(f"{head} tstart must be in [0, tstop), got {tstart:g}", toks[3].line, toks[3].text)
    if tmax is not None and tmax <= 0:
        raise ctx.error(f"{head} tmax must be > 0, got {tmax:g}", toks[4].line, toks[4].text)
    for tok, n, v in zip(toks[1:], names, vals):
        _range(ctx, tok, head, n, "time" if n == "tstart" else "duration", v)
    return Tran(tstep, tstop, tstart, tmax, ctx.loc(card.line), uic)


def parse_ic(card: Card, val: Values, ctx: Ctx) -> dict[str, tuple[float, Tok]]:
    """``.ic V(node)=value ...`` -> {node: (value, token of the node)}."""
    toks = card.tokens
    out: dict[str, tuple[float, Tok]] = {}
    k = 1
    while k < len(toks):
        seq = toks[k:k + 6]
        if (len(seq) < 6 or seq[0].low != "v" or seq[1].text != "(" or seq[3].text != ")"
                or seq[4].text != "="):
            raise ctx.error(".ic takes 'V(node)=value ...'", toks[k].line, toks[k].text)
        node = _node(seq[2], ctx)
        if node == GROUND:
            raise ctx.error(".ic: ground has no initial condition", seq[2].line, seq[2].text)
        out[node] = (val.checked(seq[5], "initial node voltage", "voltage", ".ic"), seq[2])
        k += 6
    if not out:
        raise ctx.error(".ic takes 'V(node)=value ...'", toks[0].line, toks[0].text)
    return out
