"""The parsed circuit: plain, immutable data the engine compiles.

Conventions (shared by parser, engine and exporter):

* Every name (element, node, model, parameter) is stored lower-case.
* Ground is the node ``"0"`` (``gnd`` in a netlist is mapped to ``"0"``).
* Values are SI floats (ohm, farad, volt, ampere, second).
* Source polarity follows SPICE: a V source holds ``v(pos) - v(neg) = value``; an
  I source drives ``value`` amperes from ``pos`` through the source to ``neg``
  (i.e. out of the circuit at ``pos`` and into it at ``neg``).
* ``loc`` is the (file, line) where the element was written, for error messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Union

GROUND = "0"


@dataclass(frozen=True)
class SourceLoc:
    """Where a card was written: file path and 1-based line number."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


# --------------------------------------------------------------------------- waveforms

@dataclass(frozen=True)
class Dc:
    """Constant source value."""

    value: float


@dataclass(frozen=True)
class Pulse:
    """SPICE PULSE(v1 v2 td tr tf pw per [np]), ngspice semantics.

    ``per`` = 0 means a single pulse.  Rise/fall are linear ramps.  ``npulses`` (ngspice's
    8th value NP) > 0 ends the train after that many periods (the value is ``v1`` once
    ``t - td > npulses·per``); 0 = unbounded.
    """

    v1: float
    v2: float
    td: float
    tr: float
    tf: float
    pw: float
    per: float
    npulses: float = 0.0


@dataclass(frozen=True)
class Pwl:
    """SPICE PWL(t1 v1 t2 v2 ...) [r=R] [td=TD]: linear between points, held after the last.

    ``td`` delays the whole sequence; ``r`` (one of the times, < the last) repeats the
    stretch from ``r`` to the last time forever after the last point (ngspice: the value
    jumps back to the value at ``r``); None = no repetition.
    """

    times: tuple[float, ...]
    values: tuple[float, ...]
    td: float = 0.0
    r: float | None = None


@dataclass(frozen=True)
class Sin:
    """SPICE SIN(vo va freq td theta phase): ``vo + va·sin(phase)`` until ``td``, then
    ``vo + va·exp(-theta·τ)·sin(2π·freq·τ + phase)``, τ = t − td (``phase`` in degrees).
    Values are as ngspice runs them (a missing or zero ``freq`` is 1/tstop)."""

    vo: float
    va: float
    freq: float
    td: float = 0.0
    theta: float = 0.0
    phase: float = 0.0


@dataclass(frozen=True)
class Exp:
    """SPICE EXP(v1 v2 td1 tau1 td2 tau2): ``v1`` until ``td1``, then rising towards ``v2``
    with ``tau1``; from ``td2`` on, falling back towards ``v1`` with ``tau2`` (the two
    exponentials add, as in ngspice).  Values as ngspice runs them (missing or zero
    ``td1``, ``tau1``, ``tau2`` are TSTEP, ``td2`` is ``td1`` + TSTEP)."""

    v1: float
    v2: float
    td1: float
    tau1: float
    td2: float
    tau2: float


@dataclass(frozen=True)
class Sffm:
    """SPICE SFFM(vo va fc mdi fs phasec phases) of ngspice-39:
    ``vo + va·sin(2π·fc·t + phasec + mdi·sin(2π·fs·t + phases))`` (phases in degrees;
    a missing or zero ``fc``/``fs`` is 1/tstop)."""

    vo: float
    va: float
    fc: float
    mdi: float
    fs: float
    phasec: float = 0.0
    phases: float = 0.0


Waveform = Union[Dc, Pulse, Pwl, Sin, Exp, Sffm]


# --------------------------------------------------------------------------- elements

@dataclass(frozen=True)
class Resistor:
    name: str
    n1: str
    n2: str
    r: float
    loc: SourceLoc | None = None


@dataclass(frozen=True)
class Capacitor:
    """``Cname n1 n2 value [ic=v]``: ``ic`` (V, v(n1) - v(n2) at t = 0) is used with
    ``.tran ... UIC`` only, as in ngspice."""

    name: str
    n1: str
    n2: str
    c: float
    loc: SourceLoc | None = None
    ic: float | None = None


@dataclass(frozen=True)
class Inductor:
    """``Lname n1 n2 value [ic=i]``: v(n1) - v(n2) = l·di/dt, current i flowing n1 -> n2
    through the inductor; ``ic`` (A) is used with ``.tran ... UIC`` only, as in ngspice."""

    name: str
    n1: str
    n2: str
    l: float  # noqa: E741
    loc: SourceLoc | None = None
    ic: float | None = None


@dataclass(frozen=True)
class VSource:
    name: str
    pos: str
    neg: str
    wave: Waveform
    loc: SourceLoc | None = None


@dataclass(frozen=True)
class ISource:
    name: str
    pos: str
    neg: str
    wave: Waveform
    loc: SourceLoc | None = None


@dataclass(frozen=True)
class SwitchModel:
    """``.model NAME SW(RON= ROFF= VT= VH=)``.

    ngspice semantics: on when v(ctrl) > vt + vh, off when v(ctrl) < vt - vh,
    otherwise it keeps its previous state.
    """

    name: str
    ron: float
    roff: float
    vt: float
    vh: float
    loc: SourceLoc | None = None


@dataclass(frozen=True)
class Switch:
    """``Sxxx n1 n2 cp cn MODEL``: a resistor ron/roff between n1 and n2, set by v(cp)-v(cn)."""

    name: str
    n1: str
    n2: str
    cp: str
    cn: str
    model: SwitchModel
    loc: SourceLoc | None = None
    on: bool = False          # ``ON`` keyword: initially on (matters inside the hysteresis band)


@dataclass(frozen=True)
class Vcvs:
    """``Exxx np nn cp cn GAIN``: v(np) - v(nn) = gain * (v(cp) - v(cn))."""

    name: str
    pos: str
    neg: str
    cp: str
    cn: str
    gain: float
    loc: SourceLoc | None = None


@dataclass(frozen=True)
class Vccs:
    """``Gxxx np nn cp cn GM``: gm·(v(cp) - v(cn)) amperes from np through the source to nn."""

    name: str
    pos: str
    neg: str
    cp: str
    cn: str
    gm: float
    loc: SourceLoc | None = None


@dataclass(frozen=True)
class Cccs:
    """``Fxxx np nn VNAME GAIN``: gain·i(VNAME) amperes from np through the source to nn
    (i(VNAME) flows from the V source's + node through it to its - node)."""

    name: str
    pos: str
    neg: str
    vsrc: str
    gain: float
    loc: SourceLoc | None = None


@dataclass(frozen=True)
class Ccvs:
    """``Hxxx np nn VNAME R``: v(np) - v(nn) = r·i(VNAME)."""

    name: str
    pos: str
    neg: str
    vsrc: str
    r: float
    loc: SourceLoc | None = None


Element = Union[Resistor, Capacitor, Inductor, VSource, ISource, Switch, Vcvs, Vccs, Cccs, Ccvs]


@dataclass(frozen=True)
class Tran:
    """``.tran tstep tstop [tstart [tmax]]``."""

    tstep: float
    tstop: float
    tstart: float = 0.0
    tmax: float | None = None
    loc: SourceLoc | None = None
    uic: bool = False         # UIC: no DC operating point; start from the initial conditions


@dataclass(frozen=True)
class Circuit:
    """A parsed netlist.

    ``elements`` keep netlist order.  ``params`` are the resolved ``.param`` values
    (after overrides).  ``nodes`` lists the non-ground nodes in order of first use.
    ``ignored`` holds one warning ``"path:line: ..."`` per input the parser accepted but does
    not use (``.print``, ``.options``, an ``AC`` spec, a ``.control`` block, a redefined
    ``.param``, a file read as Latin-1), in line order; ``temperature_c`` is the ``.temp`` /
    ``.options temp=`` value in degC (recorded only; no element depends on it).  ``ic``
    holds the ``.ic V(node)=value`` node voltages (V): with ``.tran ... UIC`` they give the
    initial voltage of every capacitor without its own ``ic=``; without UIC they hold those
    nodes during the DC operating point (as ngspice does).
    """

    title: str
    elements: tuple[Element, ...]
    params: Mapping[str, float] = field(default_factory=dict)
    models: Mapping[str, SwitchModel] = field(default_factory=dict)
    tran: Tran | None = None
    path: str | None = None
    nodes: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    temperature_c: float | None = None
    ic: Mapping[str, float] = field(default_factory=dict)

    def element(self, name: str) -> Element:
        """The element called ``name`` (case-insensitive; ``x1.r3`` finds ``r.x1.r3``);
        KeyError names it if absent."""
        key = name.lower()
        # an element of a subcircuit instance may also be named without ngspice's type
        # letter: "x1.r3" for "r.x1.r3"
        alias = f"{key.rsplit('.', 1)[1][:1]}.{key}" if "." in key else None
        for el in self.elements:
            if el.name == key or el.name == alias:
                return el
        raise KeyError(f"no element {name!r} in circuit {self.title!r}")

    def of_type(self, kind: type) -> tuple:
        """All elements of one class, in netlist order."""
        return tuple(el for el in self.elements if isinstance(el, kind))
