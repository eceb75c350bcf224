"""Transient source functions of V/I cards: PULSE, PWL, SIN, EXP, SFFM (ngspice-39 rules).

:func:`read_wave` reads a function's values as written (``PendingWave``); missing values
that default from ``.tran`` (TSTEP, TSTOP) are filled by :func:`finish_wave` once the
analysis is known.  Every bad value is a NetlistError at its own token.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .cards import SINGLE, Ctx, Tok
from .circuit import Exp, Pulse, Pwl, Sffm, Sin, Tran
from .limits import range_problem

WAVE_FUNCS = ("pulse", "pwl", "sin", "exp", "sffm")

# name, range kind ("level" = the source's voltage/current) of each positional value
_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "pulse": (("v1", "level"), ("v2", "level"), ("td", "time"), ("tr", "time"), ("tf", "time"),
              ("pw", "time"), ("per", "time"), ("np", "count")),
    "sin": (("vo", "level"), ("va", "level"), ("freq", "frequency"), ("td", "time"),
            ("theta", "damping"), ("phase", "phase")),
    "exp": (("v1", "level"), ("v2", "level"), ("td1", "time"), ("tau1", "time"),
            ("td2", "time"), ("tau2", "time")),
    "sffm": (("vo", "level"), ("va", "level"), ("fc", "frequency"), ("mdi", "modulation"),
             ("fs", "frequency"), ("phasec", "phase"), ("phases", "phase")),
}
_USAGE = {"pulse": "PULSE(v1 v2 [td tr tf pw per np])", "sin": "SIN(vo va [freq td theta phase])",
          "exp": "EXP(v1 v2 [td1 tau1 td2 tau2])", "sffm": "SFFM(vo va [fc mdi fs phasec phases])"}
PWL_OPTIONS = ("r", "td")


@dataclass
class PendingWave:
    """A source function as written: ``func``, its values and tokens (``toks[0]`` is the
    function name), the range kind of its levels, and PWL options (name -> (value, token))."""

    func: str
    args: list[float]
    toks: list[Tok]
    level: str
    owner: str
    options: dict = field(default_factory=dict)


def _range(ctx: Ctx, tok: Tok, owner: str, what: str, kind: str, value: float) -> None:
    problem = range_problem(kind, value)
    if problem is not None:
        raise ctx.error(f"{owner}: {what} {problem}", tok.line, tok.text[:40])


def wave_args(toks: list[Tok], i: int, func: str, ctx: Ctx) -> tuple[list[Tok], int]:
    """Arguments of a source function starting at toks[i]: inside (...) or, without
    parentheses, up to the end of the card or the first ``name=`` option."""
    if i < len(toks) and toks[i].text == "(":
        j = i + 1
        while j < len(toks) and toks[j].text != ")":
            j += 1
        if j >= len(toks):
            raise ctx.error(f"{func.upper()}: missing ')'", toks[i].line, toks[i].text)
        args, nxt = toks[i + 1:j], j + 1
    else:
        j = i
        while j < len(toks) and not (j + 1 < len(toks) and toks[j + 1].text == "="):
            j += 1
        args, nxt = toks[i:j], j
    for t in args:
        if t.text in SINGLE:
            hint = (" (PWL options r= and td= follow the closing parenthesis)" if func == "pwl"
                    else "")
            raise ctx.error(f"{func.upper()}: unexpected '{t.text}'{hint}", t.line, t.text)
    return args, nxt


def read_pwl_options(toks: list[Tok], i: int, pending: PendingWave, val, ctx: Ctx) -> int:
    """``r=value`` / ``td=value`` after a PWL; returns the index after them."""
    while i + 2 < len(toks) + 0 and toks[i + 1].text == "=" and toks[i].low in PWL_OPTIONS:
        name, vtok = toks[i].low, toks[i + 2]
        if name in pending.options:
            raise ctx.error(f"{pending.owner}: PWL option {name}= given twice", toks[i].line,
                            toks[i].text)
        pending.options[name] = (val(vtok, f"PWL {name}="), vtok)
        i += 3
    if i + 1 < len(toks) and toks[i + 1].text == "=":
        raise ctx.error(f"{pending.owner}: unknown PWL option '{toks[i].text}=' (ngspice's are "
                        "r= and td=)", toks[i].line, toks[i].text)
    return i


def read_wave(func: str, head: Tok, args: list[Tok], val, level: str, owner: str,
              ctx: Ctx) -> PendingWave:
    """Evaluate the values of one source function (counts and ranges are checked later)."""
    values = [val(a, f"{func.upper()} argument") for a in args]
    return PendingWave(func, values, [head, *args], level, owner)


def _pwl(p: PendingWave, ctx: Ctx) -> Pwl:
    head, args, values = p.toks[0], p.toks[1:], p.args
    if not values or len(values) % 2:
        last = args[-1] if args else head
        raise ctx.error(f"PWL needs pairs 't1 v1 t2 v2 ...', got {len(values)} values", last.line,
                        last.text)
    times, levels = values[0::2], values[1::2]
    if times[0] < 0:
        raise ctx.error("PWL times must be >= 0", args[0].line, args[0].text)
    for k in range(1, len(times)):
        if times[k] <= times[k - 1]:
            t = args[2 * k]
            raise ctx.error(f"PWL times must increase strictly ({times[k]:g} after "
                            f"{times[k - 1]:g})", t.line, t.text)
    for k, (t, v) in enumerate(zip(times, levels)):
        _range(ctx, args[2 * k], p.owner, "PWL time", "time", t)
        _range(ctx, args[2 * k + 1], p.owner, "PWL value", p.level, v)
    td = 0.0
    if "td" in p.options:
        td, tok = p.options["td"]
        _range(ctx, tok, p.owner, "PWL td=", "time", td)
    r = None
    if "r" in p.options:
        r, tok = p.options["r"]
        if r < -0.5:                     # ngspice: r = -1 means no repetition
            r = None
        elif r not in times:
            raise ctx.error(f"{p.owner}: PWL r={r:g} must be one of the PWL times (ngspice "
                            "repeats from that point)", tok.line, tok.text)
        elif r >= times[-1]:
            raise ctx.error(f"{p.owner}: PWL r={r:g} must be before the last PWL time "
                            f"{times[-1]:g} (nothing to repeat)", tok.line, tok.text)
    return Pwl(tuple(times), tuple(levels), td, r)


def _pulse(p: PendingWave, tran: Tran | None, ctx: Ctx) -> Pulse:
    """Missing trailing values take ngspice's defaults: td=0, tr=tf=tstep, pw=per=tstop,
    np=0 (unbounded); an explicit tr = tf = 0 is kept (an ideal edge: the engine and the
    ngspice run use TSTEP for it, as ngspice does)."""
    head = p.toks[0]
    names = [n for n, _ in _FIELDS["pulse"]]
    if len(p.args) < 2:
        raise ctx.error(f"PULSE needs at least v1 v2 (got {len(p.args)} values)", head.line, head.text)
    if len(p.args) > 8:
        extra = p.toks[1 + 8]
        raise ctx.error("PULSE takes at most 8 values (v1 v2 td tr tf pw per np)", extra.line,
                        extra.text)
    args = list(p.args)
    if len(args) < 7:
        missing = names[len(args):7]
        if tran is None and any(m != "td" for m in missing):
            raise ctx.error(f"PULSE without {', '.join(missing)} takes ngspice defaults from .tran "
                            "(tr=tf=tstep, pw=per=tstop), but the netlist has no .tran",
                            head.line, head.text)
        defaults = {"td": 0.0}
        if tran is not None:
            defaults.update(tr=tran.tstep, tf=tran.tstep, pw=tran.tstop, per=tran.tstop)
        args += [defaults[m] for m in missing]
    if len(args) < 8:
        args.append(0.0)
    for k, v in enumerate(args[2:], start=2):
        if v < 0:
            t = p.toks[1 + k]
            raise ctx.error(f"PULSE {names[k]} must be >= 0, got {v:g}", t.line, t.text)
    for k, v in enumerate(args[:len(p.args)]):         # defaults come from a checked .tran
        kind = _FIELDS["pulse"][k][1]
        _range(ctx, p.toks[1 + k], "PULSE", names[k], p.level if kind == "level" else kind, v)
    return Pulse(*args)


def _defaulted(p: PendingWave, tran: Tran | None, ctx: Ctx, needs: dict) -> list[float]:
    """The values with missing (and, where ngspice does so, zero) ones replaced.

    ``needs``: index -> (rule, fill): ``fill`` a constant or callable(args, tran) -> value;
    rule "missing" fills only absent values, "zero" also replaces an explicit 0 (noted)."""
    head, names = p.toks[0], [n for n, _ in _FIELDS[p.func]]
    args = list(p.args)
    if len(args) < 2:
        raise ctx.error(f"{p.func.upper()} needs at least {names[0]} {names[1]} (got "
                        f"{len(args)} values)", head.line, head.text)
    if len(args) > len(names):
        extra = p.toks[1 + len(names)]
        raise ctx.error(f"{p.func.upper()} takes at most {len(names)} values: "
                        f"{_USAGE[p.func]}", extra.line, extra.text)
    given = len(args)
    for k, (name, kind) in enumerate(_FIELDS[p.func][:given]):
        _range(ctx, p.toks[1 + k], p.owner, f"{p.func.upper()} {name}",
               p.level if kind == "level" else kind, args[k])
    args += [None] * (len(names) - given)
    for k, (rule, fill) in needs.items():
        if args[k] is None or (rule == "zero" and args[k] == 0):
            if not callable(fill):
                args[k] = float(fill)
                continue
            if tran is None:
                raise ctx.error(f"{p.func.upper()} without a non-zero {names[k]} takes its "
                                "ngspice default from .tran, but the netlist has no .tran",
                                head.line, head.text)
            value = fill(args, tran)
            if args[k] is not None:
                ctx.note(p.toks[1 + k].line, f"{p.owner.lower()}: {p.func.upper()} {names[k]}=0 "
                         f"read as {value:g} (ngspice's rule)")
            args[k] = value
    return args


def finish_wave(p: PendingWave, tran: Tran | None, ctx: Ctx):
    """The waveform with ngspice's defaults applied (see each class in :mod:`.circuit`)."""
    if p.func == "pwl":
        return _pwl(p, ctx)
    step = lambda a, tr: tr.tstep          # noqa: E731
    inv_stop = lambda a, tr: 1.0 / tr.tstop  # noqa: E731
    if p.func == "pulse":
        return _pulse(p, tran, ctx)
    if p.func == "sin":
        vo, va, freq, td, theta, phase = _defaulted(p, tran, ctx, {
            2: ("zero", inv_stop), 3: ("missing", 0.0),
            4: ("missing", 0.0), 5: ("missing", 0.0)})
        return Sin(vo, va, freq, td, theta, phase)
    if p.func == "exp":
        v1, v2, td1, tau1, td2, tau2 = _defaulted(p, tran, ctx, {
            2: ("zero", step), 3: ("zero", step),
            4: ("zero", lambda a, tr: a[2] + tr.tstep), 5: ("zero", step)})
        return Exp(v1, v2, td1, tau1, td2, tau2)
    vo, va, fc, mdi, fs, phasec, phases = _defaulted(p, tran, ctx, {
        2: ("zero", inv_stop), 3: ("missing", 0.0), 4: ("zero", inv_stop),
        5: ("missing", 0.0), 6: ("missing", 0.0)})
    return Sffm(vo, va, fc, mdi, fs, phasec, phases)
