"""Op-amp slew rate (``SR``) and output swing (``VOUT_MIN``, ``VOUT_MAX``) as B sources.

Both act on the one-pole op-amp of :func:`dgcq_sim.quantizers.dac.opamp_lines` (they need
``GBW`` > 0: the pole capacitor is what slews and what saturates; an ideal-bandwidth
op-amp clamped at its output would be an algebraic loop).  The B sources are written as
*corrections* that are exactly 0 while the op-amp is linear, so a phase in which it
neither slews nor saturates is computed from the exact linear maps (the time stepper's
trial steps agree to round-off and it keeps its coarsest steps); ngspice runs the same
cards::

    eamp opa 0 0 vg AOL                      gain stage (as without limits)
    rgbw opa opb 1k                          the pole resistor ...
    bsr  opa opb I={max(min(V(opa,opb)/1k, ISR), -ISR) - V(opa,opb)/1k}
    cgbw opb 0 {AOL/(2 pi 1k GBW)}           ... and capacitor: current clamped to ±ISR
    bsat opb 0 I={GCLAMP*max(V(opb) - VOUT_MAX, 0) + GCLAMP*min(V(opb) - VOUT_MIN, 0)}
    ebuf out 0 opb 0 1

* slew: the current charging CGBW is clamp(v(opa, opb)/RGBW, ±ISR) with ISR = SR·CGBW, so
  the output moves at most SR volts per second; a step of ΔV at a follower's input slews
  for (ΔV − SR·τ)/SR and then settles linearly with τ = 1/(2π·β·GBW);
* saturation: ``bsat`` is a clamp "diode" of GCLAMP = 1e6 S at each rail that takes the
  pole node's excess current, so the pole node — hence the output — stays within
  [VOUT_MIN, VOUT_MAX] (overshoot I/GCLAMP: 3 µV for the largest current the gain stage
  drives, AOL·1 V/RGBW = 3 A) without winding up: the output leaves the rail as soon as
  the current into the pole reverses.  (Clamping the gain stage output instead would also
  cap the pole's charging current at (VOUT_MAX − v)/RGBW, an artificial slew rate ~AOL
  times too low.)

Values are written as numbers (they need not be ``.param`` cards of the netlist).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

RGBW = 1e3          # ohm, as in dac.opamp_lines
GCLAMP = 1e6        # S, the rail clamp's conductance


@dataclass(frozen=True)
class OpampLimits:
    """``sr`` (V/s, 0 = none) and the output swing (``vmin``, ``vmax``, V; None = none) of
    an op-amp of DC gain ``aol``."""

    aol: float
    sr: float = 0.0
    vmin: float | None = None
    vmax: float | None = None

    @property
    def saturates(self) -> bool:
        return self.vmin is not None


def opamp_limits(p) -> OpampLimits | None:
    """The limits set by SR / VOUT_MIN / VOUT_MAX in the resolved parameters ``p`` (None:
    none, the op-amp stays linear).  DesignParameterError for a limit without a finite
    GBW, or VOUT_MIN >= VOUT_MAX (other than both 0 = off)."""
    from .params import DesignParameterError

    sr = float(p.get("sr", 0.0))
    lo, hi = float(p.get("vout_min", 0.0)), float(p.get("vout_max", 0.0))
    swing = not (lo == 0.0 and hi == 0.0)
    if swing and not lo < hi:
        raise DesignParameterError(f"VOUT_MIN = {lo:g} V must be below VOUT_MAX = {hi:g} V "
                                   f"(both 0: no output saturation)")
    if sr == 0.0 and not swing:
        return None
    if float(p.get("gbw", 0.0)) == 0.0:
        what = "SR" if sr else "VOUT_MIN/VOUT_MAX"
        raise DesignParameterError(f"{what} needs a finite op-amp bandwidth GBW > 0 Hz (the "
                                   f"slew and the clamp act on the GBW pole; GBW = 0 is ideal "
                                   f"bandwidth)")
    return OpampLimits(float(p["aol"]), sr, lo if swing else None, hi if swing else None)


def _num(x: float) -> str:
    return repr(float(x))


def limited_opamp_lines(out: str, inp: str, gbw: float, k: str,
                        limits: OpampLimits) -> list[str]:
    """The one-pole op-amp's cards with the B-source limits (see the module doc); ``inp``
    is the inverting input node (after the noise resistor, if any)."""
    cgbw = limits.aol / (2 * math.pi * RGBW * gbw)
    lines = [f"eamp{k} opa{k} 0 0 {inp} {_num(limits.aol)}", f"rgbw{k} opa{k} opb{k} 1k"]
    if limits.sr > 0:
        isr = _num(limits.sr * cgbw)
        lines.append(f"bsr{k} opa{k} opb{k} I={{max(min(V(opa{k},opb{k})/1k, {isr}), "
                     f"-{isr}) - V(opa{k},opb{k})/1k}}")
    lines.append(f"cgbw{k} opb{k} 0 {_num(cgbw)}")
    if limits.saturates:
        g = _num(GCLAMP)
        lines.append(f"bsat{k} opb{k} 0 I={{{g}*max(V(opb{k}) - {_num(limits.vmax)}, 0) + "
                     f"{g}*min(V(opb{k}) - {_num(limits.vmin)}, 0)}}")
    lines.append(f"ebuf{k} {out} 0 opb{k} 0 1")
    return lines
