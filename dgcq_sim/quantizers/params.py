"""Typed parameter specs of the quantizer architectures, each defined once.

A quantizer netlist's ``.param`` cards hold the default values (the netlist is the
preset a designer reads and ngspice runs); a :class:`ParamSpec` says what a parameter
*is*: its unit, what it means, where its default comes from, its allowed range, whether it
must be an integer, and the value ``ideal=True`` gives it (``None``: ideal leaves it).

:data:`CATALOGUE` holds the parameters several architectures share (reference, clock,
switches, comparators, mismatch, op-amp, noise temperature).  An architecture lists the
names it uses and adds its own specs (``Architecture.own_params``); ``resolve`` checks a
resolved ``.param`` mapping against them and raises :class:`ParameterError` naming the
parameter, its unit and its range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping

from ..errors import ParameterError, QuantizerError
from ..netlist.limits import LIMITS

INF = math.inf


#: Magnitudes a non-zero value of each unit may take (beyond each spec's own range): what
#: the circuit-level numerics handle and any real design lies within.  Resistances and
#: capacitances use the netlist parser's element limits (one definition); phase times stop
#: at 1 fs (shorter phases make the phase maps' matrices singular).  A value of 0 passes
#: where the spec allows it.
PHYSICAL_MAGNITUDE: dict[str, tuple[float, float]] = {
    "s": (1e-15, 1e3), "V": (0.0, 1e3), "A": (0.0, 1.0), "Hz": (1.0, 1e16),
    "V/V": (0.0, 1e12), "K": (0.0, 1000.0), "1/K": (0.0, 1.0), "V/sqrt(Hz)": (0.0, 1e-3),
    "V/s": (1e3, 1e15),
    **{lim.unit: (lim.lo, lim.hi) for lim in (LIMITS["resistance"], LIMITS["capacitance"])},
}


class DesignParameterError(ParameterError, QuantizerError):
    """A quantizer design parameter that is missing, out of range or not an integer."""


@dataclass(frozen=True)
class ParamSpec:
    """One design parameter (name as in the netlist, upper case in messages).

    unit: SI unit ("" for a count).  doc: what it is.  source: where the default comes from.
    lo, hi: allowed range; ``lo_open``/``hi_open`` exclude the end point.
    integer: must be a whole number.  ideal: value under ``ideal=True`` (None: unchanged).
    default: value used when a netlist does not define it (None: the netlist must).
    """

    name: str
    unit: str
    doc: str
    lo: float = -INF
    hi: float = INF
    lo_open: bool = False
    hi_open: bool = False
    integer: bool = False
    ideal: float | None = None
    default: float | None = None
    source: str = "bundled netlist"

    @property
    def key(self) -> str:
        """Lower-case name, as the parser stores ``.param`` values."""
        return self.name.lower()

    def range_text(self) -> str:
        """Human-readable allowed range with unit, e.g. ``integer in [1, 14]``."""
        lo = "-inf" if self.lo == -INF else f"{self.lo:g}"
        hi = "inf" if self.hi == INF else f"{self.hi:g}"
        text = (f"{'(' if self.lo_open or self.lo == -INF else '['}{lo}, "
                f"{hi}{')' if self.hi_open or self.hi == INF else ']'}")
        unit = f" {self.unit}" if self.unit else ""
        return ("integer in " if self.integer else "in ") + text + unit

    def describe(self) -> str:
        """``NAME (doc, unit, range)`` for error messages and docs."""
        return f"{self.name} ({self.doc}; {self.range_text()})"

    def check(self, value, where: str = "") -> float:
        """``value`` as a float if it satisfies the spec, else DesignParameterError."""
        at = f" in {where}" if where else ""
        try:
            v = float(value)
        except (TypeError, ValueError, OverflowError):
            raise DesignParameterError(f"{self.name} = {value!r}{at} is not a number; "
                                       f"{self.describe()}") from None
        ok = math.isfinite(v)
        ok = ok and (v > self.lo if self.lo_open else v >= self.lo)
        ok = ok and (v < self.hi if self.hi_open else v <= self.hi)
        ok = ok and (not self.integer or v.is_integer())
        if not ok:
            raise DesignParameterError(f"{self.name} = {v:g}{at} is out of range: "
                                       f"{self.describe()}")
        lo_m, hi_m = PHYSICAL_MAGNITUDE.get(self.unit, (0.0, math.inf))
        if v != 0 and not lo_m <= abs(v) <= hi_m:
            zero_ok = (0 > self.lo or (0 == self.lo and not self.lo_open)) and \
                (0 < self.hi or (0 == self.hi and not self.hi_open))
            raise DesignParameterError(
                f"{self.name} = {v:g}{at} is outside the physical range of a value in "
                f"{self.unit}: |{self.name}| must be {'0 or ' if zero_ok else ''}in "
                f"[{lo_m:g}, {hi_m:g}] {self.unit}; {self.describe()}")
        return v


def _spec(name, unit, doc, **kw) -> ParamSpec:
    return ParamSpec(name, unit, doc, **kw)


#: Parameters shared by several architectures (one definition each).
CATALOGUE: dict[str, ParamSpec] = {s.key: s for s in (
    _spec("VREF", "V", "reference voltage = full-scale input range [0, VREF)", lo=0, lo_open=True),
    _spec("VDD", "V", "supply; switch controls swing 0..VDD", lo=0, lo_open=True),
    _spec("TCLK", "s", "clock period", lo=0, lo_open=True),
    _spec("TSAMP", "s", "sampling phase length", lo=0, lo_open=True),
    _spec("TSAR", "s", "length of one SAR bit trial", lo=0, lo_open=True),
    _spec("TRST", "s", "reset phase length", lo=0, lo_open=True),
    _spec("RON", "ohm", "switch on-resistance (settling within a phase)", lo=0, lo_open=True,
          ideal=10.0),
    _spec("ROFF", "ohm", "switch off-resistance (leakage through open switches)", lo=0,
          lo_open=True, ideal=1e14),
    _spec("TEMP", "K", "temperature: thermal noise of resistors and switches (kT/C), RON and "
          "ILEAK temperature dependence; 0 = noise-free with RON and ILEAK at their TNOM values",
          lo=0, hi=1000, ideal=0.0),
    _spec("VOS", "V", "systematic offset of the (fine/SAR/flash/pipeline) comparator(s)",
          ideal=0.0),
    _spec("VNOISE", "V", "rms input-referred noise per comparator decision", lo=0, ideal=0.0),
    _spec("SIGMA_VOS", "V", "sigma of the per-instance random offset of each comparator "
          "(drawn in instance(k))", lo=0, ideal=0.0, default=0.0,
          source="0 when the netlist does not set it"),
    _spec("VOS_C", "V", "systematic offset of the coarse comparator", ideal=0.0),
    _spec("VNOISE_C", "V", "rms noise per coarse comparator decision", lo=0, ideal=0.0),
    _spec("SIGMA_VOS_C", "V", "sigma of the per-instance random offset of the coarse "
          "comparator", lo=0, ideal=0.0, default=0.0,
          source="0 when the netlist does not set it"),
    _spec("TAU_REG", "s", "comparator latch regeneration time constant; 0 = no metastability",
          lo=0, ideal=0.0, default=0.0, source="0 (off) when the netlist does not set it; "
          "10-30 ps for a StrongARM latch in 28-65 nm"),
    _spec("TDEC", "s", "time the latch has to regenerate before its decision is used",
          lo=0, lo_open=True, default=100e-12, source="100 ps when the netlist does not set it"),
    _spec("TNOM", "K", "temperature at which RON and ILEAK are given", lo=0, lo_open=True,
          default=300.0, source="300 K when the netlist does not set it"),
    _spec("TCRON", "1/K", "temperature coefficient of the switch on-resistance (RON at TEMP = "
          "RON*(1 + TCRON*(TEMP - TNOM)); TEMP = 0 leaves RON)", lo=-0.003, hi=0.1,
          default=0.0, source="bundled netlists: 3e-3/K (CMOS transmission gate, mobility "
          "~T^-1.5 near 300 K); 0 when the netlist does not set it"),
    _spec("ILEAK_DT", "K", "junction leakage ILEAK doubles every ILEAK_DT kelvin above TNOM",
          lo=0, lo_open=True, default=10.0, source="10 K (junction leakage rule of thumb)"),
    _spec("KC", "", "Pelgrom coefficient: sigma(dC/C) = KC*sqrt(1fF/C) per designed capacitor",
          lo=0, ideal=0.0),
    _spec("CU", "F", "unit capacitor", lo=0, lo_open=True),
    _spec("CPTOP", "F", "top-plate parasitic of the capacitor DAC (gain error)", lo=0),
    _spec("AOL", "V/V", "op-amp DC gain (E element)", lo=1, ideal=1e9),
    _spec("GBW", "Hz", "op-amp unity-gain bandwidth, one pole at GBW/AOL; 0 = ideal bandwidth",
          lo=0, ideal=0.0, default=0.0, source="0 (ideal bandwidth) when the netlist does not "
          "set it"),
    _spec("VN_OPAMP", "V/sqrt(Hz)", "op-amp input-referred white noise density, band-limited "
          "by the GBW pole (needs GBW > 0)", lo=0, ideal=0.0, default=0.0,
          source="0 when the netlist does not set it; 5-20 nV/sqrt(Hz) for a CMOS OTA"),
    _spec("SR", "V/s", "op-amp slew rate: the GBW pole's charging current is clamped to "
          "SR*CGBW (needs GBW > 0); 0 = no slew limit", lo=0, ideal=0.0, default=0.0,
          source="0 (off) when the netlist does not set it; 0.1-2 V/ns for a CMOS OTA "
          "(tail current / load capacitance)"),
    _spec("VOUT_MIN", "V", "op-amp output swing, lower end: the GBW pole node (hence the "
          "output) is clamped to [VOUT_MIN, VOUT_MAX] (needs GBW > 0); VOUT_MIN = VOUT_MAX = 0: no "
          "saturation", ideal=0.0, default=0.0, source="0 (off, with VOUT_MAX = 0) when the "
          "netlist does not set it; ~0.1-0.2 V above the lower rail for a cascoded OTA"),
    _spec("VOUT_MAX", "V", "op-amp output swing, upper end (see VOUT_MIN); VOUT_MIN = "
          "VOUT_MAX = 0: no saturation", ideal=0.0, default=0.0, source="0 (off, with "
          "VOUT_MIN = 0) when the netlist does not set it; ~0.1-0.2 V below VDD"),
    _spec("CPAR", "F", "parasitic capacitance at the op-amp virtual ground", lo=0),
    _spec("RLEAK", "ohm", "leakage resistance across the integration capacitor", lo=0,
          lo_open=True, ideal=1e15),
    _spec("ILEAK", "A", "leakage current drawn from the virtual ground", ideal=0.0),
    _spec("GAIN", "", "coarse integrator gain per iteration CS/CF", lo=0, hi=1, lo_open=True),
    _spec("CF", "F", "integrator feedback capacitor", lo=0, lo_open=True),
    _spec("CS", "F", "coarse integrator sampling capacitor (GAIN*CF)", lo=0, lo_open=True),
    _spec("CREF", "F", "coarse reference capacitor (subtracts VREF*CREF/CF)", lo=0,
          lo_open=True),
    _spec("CCH_SW", "F", "channel charge per volt of gate overdrive of every switch (W*L*Cox): "
          "Qch = CCH_SW*(VDD - VTH_SW - V) leaves the channel when it opens (charge "
          "injection); 0 = none", lo=0, ideal=0.0, default=0.0,
          source="0 (off) when the netlist does not set it; ~1 fF for a 1 um / 30 nm NMOS "
          "(Cox ~ 40 fF/um^2 in 28 nm)"),
    _spec("QINJ", "", "fraction of a switch's channel charge released to its second node "
          "(n2), the rest to n1", lo=0, hi=1, default=0.5,
          source="0.5 (equal split, equal impedances on both sides)"),
    _spec("VTH_SW", "V", "threshold voltage of the switches' channel-charge model", lo=0,
          default=0.35, source="0.35 V (thin-oxide NMOS)"),
    _spec("CGD_SW", "F", "gate-drain/source overlap capacitance at each switch terminal: the "
          "gate's VDD -> 0 fall couples through it (clock feedthrough); 0 = none", lo=0,
          ideal=0.0, default=0.0, source="0 (off) when the netlist does not set it; "
          "~0.3 fF per um of width in 28-65 nm"),
    _spec("RREF", "ohm", "resistance of each DAC plate's path to its reference rail (driver "
          "output + DAC switch; the same for every plate, noiseless, ideal rails): the plates "
          "settle through it within each trial; 0 = ideal drivers", lo=0, ideal=0.0,
          default=0.0, source="0 (ideal drivers) when the netlist does not set it"),
    _spec("VREF_SAR", "V", "SAR DAC reference (2*VREF with over-range)", lo=0, lo_open=True),
)}


#: Every architecture has these: comparator dynamics (applied to all decisions by the
#: Quantizer) and the temperature of the switches' on-resistance.
COMPARATOR_DYNAMICS = ("TAU_REG", "TDEC", "TNOM", "TCRON")

#: Every architecture's switches have channel charge and overlap capacitance
#: (dgcq_sim/quantizers/switch_charge.py).
SWITCH_CHARGE = ("CCH_SW", "QINJ", "VTH_SW", "CGD_SW")


def specs_for(names: Iterable[str], own: Iterable[ParamSpec] = ()) -> dict[str, ParamSpec]:
    """Specs of ``names`` from the catalogue, then ``own`` specs (which win), by key."""
    out = {}
    for n in names:
        key = n.lower()
        if key not in CATALOGUE:
            raise KeyError(f"parameter {n!r} is not in the shared catalogue; declare it in the "
                           f"architecture's own_params")
        out[key] = CATALOGUE[key]
    for s in own:
        out[s.key] = s
    return out


def resolve(specs: Mapping[str, ParamSpec], values: Mapping[str, float], where: str,
            architecture: str) -> dict[str, float]:
    """Check every spec'd parameter of ``values`` (lower-case keys); fill defaults.

    Returns a new dict with all of ``values`` plus spec defaults for absent optional
    parameters.  A required parameter the netlist lacks, or a value out of range, raises
    :class:`DesignParameterError` naming it, its unit and range.
    """
    out = dict(values)
    for key, spec in specs.items():
        if key not in out:
            if spec.default is None:
                raise DesignParameterError(
                    f"{where}: the {architecture} architecture needs .param {spec.name} "
                    f"({spec.doc}; {spec.range_text()}), which this netlist does not define")
            out[key] = float(spec.default)
        out[key] = spec.check(out[key], where)
    return out


def int_param(p: Mapping[str, float], name: str) -> int:
    """An integer parameter already checked by :func:`resolve`."""
    return int(round(p[name.lower()]))
