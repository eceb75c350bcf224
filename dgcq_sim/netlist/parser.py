"""SPICE-subset netlist -> :class:`~dgcq_sim.netlist.circuit.Circuit`.

The parser is the gate: a malformed netlist raises :class:`~dgcq_sim.errors.NetlistError`
with ``file:line`` and the offending token and never reaches the engine.  The supported
subset is documented in ``docs/netlists.md``.

Stages: physical lines (:mod:`.text`) -> cards and tokens (:mod:`.cards`; comments
stripped, ``+`` continuations joined, ``.control`` blocks set aside, stop at ``.end``) ->
card checks (anything outside the subset is refused here, before any value is evaluated;
cards that do not change a transient are recorded in ``Circuit.ignored``) -> ``.param``
resolution (:mod:`.params`; overrides first, then dependency order) -> elements, models,
``.tran`` (:mod:`.elements`) -> topology checks (:mod:`.topology`).
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Mapping

from ..errors import InputError, NetlistError
from .cards import Card, Ctx, FileLine, check_card, read_cards
from .behavioral import parse_behavioral
from .files import expand_files
from .functions import parse_funcs, signatures
from .structure import flatten
from .circuit import Circuit, Element, SwitchModel, Tran, VSource
from .elements import (PendingControlled, PendingSource, PendingSwitch, Values, parse_cc, parse_ic,
                       parse_model, parse_rc, parse_source, parse_switch, parse_tran, parse_vcvs)
from .params import apply_overrides, param_defs, parse_param_assignments, resolve_params
from .text import decode, split_lines
from .topology import check_topology

__all__ = ["parse_netlist", "load_netlist", "parse_param_assignments"]

_TITLE_LIKE_CARD = re.compile(r"([rcvise]\w*(\s+\S+){3,}|\.\w+.*)\Z", re.IGNORECASE)
_TEMPERATURE_RANGE = (-273.15, 1000.0)      # degC


def _temperature(cards: list[Card], values: Values, ctx: Ctx) -> float | None:
    """The last ``.temp`` value, else the last ``.options temp=`` (ngspice's precedence), in degC."""
    found: dict[str, tuple] = {}
    for card in cards:
        toks = card.tokens
        if card.keyword == ".temp":
            if len(toks) != 2:
                bad = toks[2] if len(toks) > 2 else toks[0]
                raise ctx.error(".temp takes one temperature in degC (e.g. .temp 27)", bad.line, bad.text)
            found[".temp"] = (toks[1], ".temp")
        elif card.keyword in (".options", ".option", ".opt"):
            for k in range(1, len(toks) - 2):
                if toks[k].low == "temp" and toks[k + 1].text == "=":
                    found[".options"] = (toks[k + 2], ".options temp")
    tok, what = found.get(".temp") or found.get(".options") or (None, None)
    if tok is None:
        return None
    value = values(tok, what)
    lo, hi = _TEMPERATURE_RANGE
    if not lo <= value <= hi:
        raise ctx.error(f"{what} {value:g} degC is outside the supported range [{lo:g}, {hi:g}] degC",
                        tok.line, tok.text)
    return value


def _analysis(tran: Tran | None, control_trans: list[Card], values: Values, ctx: Ctx) -> Tran | None:
    """``.tran``, else the first ``tran`` command of a ``.control`` block (ngspice runs it)."""
    if tran is not None or not control_trans:
        return tran
    card = control_trans[0]
    ctx.note(card.line, "the .control block's 'tran' command is the analysis (the netlist has "
                        "no .tran card)")
    return parse_tran(card, values, ctx)


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
    ctx = Ctx(str(path))
    text = text.lstrip("\ufeff")
    lines = split_lines(text)
    if not text.strip():
        raise NetlistError("empty netlist (no title, no elements)", ctx.path)
    title = lines[0].strip()
    deck = expand_files(read_cards(lines, ctx), ctx, ctx.path)
    deck.cards[:] = flatten(deck.cards, ctx)

    for card in deck.cards:                     # card-level problems first, before any value
        reason = check_card(card, ctx)
        if reason is not None:
            ctx.note(card.line, f"{card.keyword} ignored ({reason})")
    for line in deck.control_blocks:
        ctx.note(line, ".control block ignored (ngspice commands; a 'tran' command in it is "
                       "used when there is no .tran card)")

    funcs = parse_funcs(deck.cards, ctx)
    defs = param_defs(deck.cards, ctx, signatures(funcs))
    apply_overrides(defs, params, signatures(funcs))
    values = Values(resolve_params(defs, ctx, funcs), ctx, funcs)
    scoped: dict[int, Values] = {}

    def values_of(card: Card) -> Values:
        """The values seen by a card: the top level's, or its subcircuit instance's."""
        if card.scope is None:
            return values
        key = id(card.scope)
        if key not in scoped:
            scoped[key] = Values(card.scope.values(values.params, funcs, ctx), ctx,
                                 card.scope.funcs(funcs, ctx))
        return scoped[key]

    models: dict[str, SwitchModel] = {}
    tran: Tran | None = None
    pending: list = []          # elements; switches and sources wait for .model / .tran
    ic_cards: list[dict] = []
    for card in deck.cards:
        kw = card.keyword
        val = values_of(card)
        if kw == ".model":
            model = parse_model(card, val, ctx)
            if model.name in models:
                raise ctx.error(f"model '{model.name}' defined twice (first at line "
                                f"{models[model.name].loc.line})", card.line, card.tokens[1].text)
            models[model.name] = model
        elif kw == ".tran":
            if tran is not None:
                raise ctx.error(f"second .tran (first at line {tran.loc.line})", card.line,
                                card.tokens[0].text)
            tran = parse_tran(card, val, ctx)
        elif kw == ".ic":
            ic_cards.append(parse_ic(card, val, ctx))
        elif kw.startswith("."):
            continue                            # .param (done) or an ignored card
        elif kw[0] in "rcl":
            pending.append(parse_rc(card, val, ctx))
        elif kw[0] in "vi":
            pending.append(parse_source(card, val, ctx))
        elif kw[0] == "s":
            pending.append(parse_switch(card, ctx))
        elif kw[0] in "fh":
            pending.append(parse_cc(card, val, ctx))
        elif kw[0] == "b":
            pending.append(parse_behavioral(card, val.params, ctx))
        else:
            pending.append(parse_vcvs(card, val, ctx))
    tran = _analysis(tran, deck.control_trans, values, ctx)
    temperature = _temperature(deck.cards, values, ctx)

    elements: list[Element] = []
    seen: dict[str, Element] = {}
    vsources = {p.name for p in pending if isinstance(p, PendingSource) and p.cls is VSource}
    uic = tran is not None and tran.uic
    for item in pending:
        if isinstance(item, PendingSwitch):
            el = item.finish(models, ctx)
        elif isinstance(item, PendingSource):
            el = item.finish(tran, ctx)
        elif isinstance(item, PendingControlled):
            el = item.finish(vsources, ctx)
        else:
            el = item
        if getattr(el, "ic", None) is not None and not uic:
            ctx.note(el.loc.line if el.loc.path == ctx.path else
                     FileLine(el.loc.line, el.loc.path, (el.loc.line,)),
                     f"{el.name}: ic= ignored (used only with .tran ... UIC, as in ngspice)")
        if el.name in seen:
            first = seen[el.name].loc
            where = first.line if first.path == el.loc.path else first
            raise NetlistError(f"duplicate element name '{el.name}' (first at line {where})",
                               el.loc.path, el.loc.line, el.name)
        seen[el.name] = el
        elements.append(el)

    try:
        if not elements:
            raise NetlistError("netlist has no elements", ctx.path)
        nodes = check_topology(elements, ctx, uic)
    except NetlistError as err:
        if _TITLE_LIKE_CARD.match(title):
            raise NetlistError(f"{err.reason} [note: line 1 is always the title, so '{title}' was "
                               "not read as a card]", err.path, err.line, err.token) from None
        raise
    ic = _initial_voltages(ic_cards, nodes, ctx)
    return Circuit(title=title, elements=tuple(elements), params=dict(values.params),
                   models=dict(models), tran=tran, path=ctx.path, nodes=nodes,
                   ignored=ctx.notes(), temperature_c=temperature, ic=ic)


def _initial_voltages(ic_cards: list[dict], nodes: tuple[str, ...], ctx: Ctx) -> dict[str, float]:
    """``.ic`` node voltages (a node given twice: the last value wins, as in ngspice)."""
    out: dict[str, float] = {}
    for card in ic_cards:
        for node, (value, tok) in card.items():
            if node not in nodes:
                raise ctx.error(f".ic: no node '{node}' in the circuit", tok.line, tok.text)
            out[node] = value
    return out


def load_netlist(path: str | os.PathLike, params: Mapping[str, float | str] | None = None) -> Circuit:
    """Read and parse a netlist file.  See :func:`parse_netlist` for ``params``.

    The file is read as UTF-8; content that is not UTF-8 is read as Latin-1 instead (and
    ``Circuit.ignored`` says so, naming the line of the first such byte).  Raises
    InputError if ``path`` does not exist or is not a file; NetlistError if the content is
    not a valid netlist.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"netlist file not found: {str(path)!r}")
    if not p.is_file():
        raise InputError(f"netlist path is not a file: {str(path)!r}")
    text, line, byte = decode(p.read_bytes())
    circuit = parse_netlist(text, str(path), params)
    if line is None:
        return circuit
    note = (f"{path}:{line}: file is not UTF-8 text (byte 0x{byte:02x}); it was read as Latin-1")
    return dataclasses.replace(circuit, ignored=(note, *circuit.ignored))
