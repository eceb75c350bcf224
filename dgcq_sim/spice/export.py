"""Write a :class:`~dgcq_sim.netlist.circuit.Circuit` back out as a plain ngspice netlist.

The text uses only what the parser reads and ngspice runs: R, C, L (with ``ic=``), V/I
sources (DC, PULSE, PWL, SIN, EXP, SFFM), S switches (``ON``) with ``.model NAME SW(...)``, E, G, F, H
elements, ``.ic``, ``.param`` (as resolved numbers, for the reader's information) and
``.tran`` (``uic``).  Subcircuits are written flattened, with ngspice's own names
(``r.x1.r3``, node ``x1.n5``, model ``x1:smod``), which ngspice reads back unchanged.  Numbers are written with :func:`repr`, the
shortest text that reads back to the same float, so ``parse_netlist(to_spice(c))`` gives
the same circuit.

``overrides`` replace the waveform of named sources.  This is how a quantizer exports "the
analog part for one input and one decision sequence": the sources its controller drives
become PWL sources with the controller's values.
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping

from ..errors import InputError
from ..netlist.behavioral import Behavioral
from ..netlist.circuit import (Capacitor, Cccs, Ccvs, Circuit, Dc, Exp, Inductor, ISource, Pulse,
                               Pwl, Resistor, Sffm, Sin, Switch, SwitchModel, Tran, Vccs, Vcvs,
                               VSource, Waveform)

__all__ = ["to_spice", "format_number", "format_waveform"]


def format_number(x: float) -> str:
    """Shortest text that ngspice and our parser read back as exactly ``x``."""
    x = float(x)
    if not math.isfinite(x):
        raise InputError(f"cannot write the non-finite value {x!r} into a SPICE netlist")
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def _numbers(values: Iterable[float]) -> str:
    return " ".join(format_number(v) for v in values)


def format_waveform(wave: Waveform) -> str:
    """The value part of a source card: ``DC v``, ``PULSE(...)``, ``PWL(...) [r= td=]``,
    ``SIN(...)``, ``EXP(...)`` or ``SFFM(...)`` (every value written out)."""
    if isinstance(wave, Dc):
        return f"DC {format_number(wave.value)}"
    if isinstance(wave, Pulse):
        fields = [wave.v1, wave.v2, wave.td, wave.tr, wave.tf, wave.pw, wave.per]
        return "PULSE(" + _numbers(fields + ([wave.npulses] if wave.npulses else [])) + ")"
    if isinstance(wave, Sin):
        return "SIN(" + _numbers((wave.vo, wave.va, wave.freq, wave.td, wave.theta,
                                  wave.phase)) + ")"
    if isinstance(wave, Exp):
        return "EXP(" + _numbers((wave.v1, wave.v2, wave.td1, wave.tau1, wave.td2,
                                  wave.tau2)) + ")"
    if isinstance(wave, Sffm):
        return "SFFM(" + _numbers((wave.vo, wave.va, wave.fc, wave.mdi, wave.fs, wave.phasec,
                                   wave.phases)) + ")"
    if isinstance(wave, Pwl):
        if len(wave.times) != len(wave.values) or not wave.times:
            raise InputError(f"PWL needs as many times as values and at least one point, got "
                             f"{len(wave.times)} times and {len(wave.values)} values")
        pairs = (v for tv in zip(wave.times, wave.values) for v in tv)
        opts = (f" r={format_number(wave.r)}" if wave.r is not None else "") + \
            (f" td={format_number(wave.td)}" if wave.td else "")
        return "PWL(" + _numbers(pairs) + ")" + opts
    raise InputError(f"cannot export waveform {wave!r}: expected Dc, Pulse, Pwl, Sin, Exp or Sffm")


def _model_card(m: SwitchModel) -> str:
    return (f".model {m.name} SW(RON={format_number(m.ron)} ROFF={format_number(m.roff)} "
            f"VT={format_number(m.vt)} VH={format_number(m.vh)})")


def _tran_card(tr: Tran) -> str:
    fields = [tr.tstep, tr.tstop]
    if tr.tmax is not None:
        fields += [tr.tstart, tr.tmax]
    elif tr.tstart:
        fields.append(tr.tstart)
    return ".tran " + _numbers(fields) + (" uic" if tr.uic else "")


def _element_card(el, overrides: Mapping[str, Waveform]) -> str:
    if isinstance(el, Resistor):
        return f"{el.name} {el.n1} {el.n2} {format_number(el.r)}"
    if isinstance(el, (Capacitor, Inductor)):
        value = el.c if isinstance(el, Capacitor) else el.l
        ic = f" ic={format_number(el.ic)}" if el.ic is not None else ""
        return f"{el.name} {el.n1} {el.n2} {format_number(value)}{ic}"
    if isinstance(el, (VSource, ISource)):
        wave = overrides.get(el.name, el.wave)
        return f"{el.name} {el.pos} {el.neg} {format_waveform(wave)}"
    if isinstance(el, Switch):
        return f"{el.name} {el.n1} {el.n2} {el.cp} {el.cn} {el.model.name}" + (" ON" if el.on else "")
    if isinstance(el, (Vcvs, Vccs)):
        value = el.gain if isinstance(el, Vcvs) else el.gm
        return f"{el.name} {el.pos} {el.neg} {el.cp} {el.cn} {format_number(value)}"
    if isinstance(el, (Cccs, Ccvs)):
        value = el.gain if isinstance(el, Cccs) else el.r
        return f"{el.name} {el.pos} {el.neg} {el.vsrc} {format_number(value)}"
    if isinstance(el, Behavioral):
        return el.spice_card()
    raise InputError(f"cannot export element {el!r}")


def to_spice(circuit: Circuit, *, overrides: Mapping[str, Waveform] | None = None,
             tran: Tran | None = None, title: str | None = None,
             extra_cards: Iterable[str] = ()) -> str:
    """A plain ngspice netlist of ``circuit``.

    Parameters
    ----------
    circuit:
        The parsed circuit (values already resolved to SI numbers).
    overrides:
        ``{source name: waveform}`` replacing the waveform of V or I sources (names are
        case-insensitive).  A name that is not a source of the circuit raises
        :class:`~dgcq_sim.errors.InputError`.
    tran:
        The ``.tran`` card to write instead of the circuit's own (seconds).  With neither,
        no ``.tran`` card is written.
    title:
        First line of the netlist (default: the circuit's title).
    extra_cards:
        Lines written just before ``.end`` (e.g. ``.options``), verbatim.
    """
    ov = {name.lower(): wave for name, wave in (overrides or {}).items()}
    sources = {el.name for el in circuit.elements if isinstance(el, (VSource, ISource))}
    unknown = sorted(set(ov) - sources)
    if unknown:
        raise InputError(f"override names no V or I source of the circuit: {unknown}; "
                         f"sources are {sorted(sources)}")
    head = (title if title is not None else circuit.title) or "dgcq_sim export"
    lines = [head.replace("\n", " ")]
    for name, value in circuit.params.items():
        lines.append(f".param {name}={format_number(value)}")
    models = dict(circuit.models)
    for sw in circuit.of_type(Switch):
        models.setdefault(sw.model.name, sw.model)
    for m in models.values():
        lines.append(_model_card(m))
    for el in circuit.elements:
        lines.append(_element_card(el, ov))
    if circuit.ic:
        lines.append(".ic " + " ".join(f"v({n})={format_number(v)}" for n, v in circuit.ic.items()))
    tr = tran if tran is not None else circuit.tran
    if tr is not None:
        lines.append(_tran_card(tr))
    lines.extend(extra_cards)
    lines.append(".end")
    return "\n".join(lines) + "\n"
