"""Physical ranges of element values, checked at parse time.

Values far outside these ranges are typing errors (``1e300`` for ``1e-300``) or would make
the engine's matrices singular or its exponentials overflow, so the parser refuses them with
a NetlistError naming the element, the value and the range.  Documented in docs/netlists.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    """Accepted magnitudes ``lo <= |x| <= hi`` (``lo`` = 0: any magnitude up to ``hi``)."""

    lo: float
    hi: float
    unit: str
    zero_ok: bool = False        # 0 itself allowed even though lo > 0 (times: an ideal edge)
    signed: bool = False         # negative values allowed (their magnitude is checked)

    def problem(self, value: float) -> str | None:
        """Why ``value`` is out of range, or None if it is fine."""
        if value == 0 and self.zero_ok:
            return None
        if value < 0 and not self.signed:
            return f"must be >= 0, got {value:g}"
        mag = abs(value)
        if self.lo <= mag <= self.hi:
            return None
        if self.signed:
            rng = f"|x| <= {self.hi:g} {self.unit}" if self.lo == 0 else \
                f"{self.lo:g} <= |x| <= {self.hi:g} {self.unit}"
        else:
            rng = f"[{self.lo:g}, {self.hi:g}] {self.unit}" + (" (or 0)" if self.zero_ok else "")
        return f"{value:g} {self.unit} is outside the supported range {rng}"


LIMITS: dict[str, Limit] = {
    "resistance": Limit(1e-6, 1e18, "ohm"),        # R, switch RON and ROFF
    "capacitance": Limit(1e-21, 1.0, "F"),
    "time": Limit(1e-18, 1e3, "s", zero_ok=True),  # .tran tstart, PULSE and PWL times
    "duration": Limit(1e-18, 1e3, "s"),            # .tran tstep, tstop, tmax
    "voltage": Limit(0.0, 1e6, "V", signed=True),  # V source levels, switch VT and VH
    "current": Limit(0.0, 1e6, "A", signed=True),  # I source levels
    "gain": Limit(0.0, 1e12, "V/V", signed=True),  # E gain
    "current_gain": Limit(0.0, 1e12, "A/A", signed=True),        # F gain
    "transconductance": Limit(0.0, 1e12, "S", signed=True),      # G value
    "transresistance": Limit(0.0, 1e18, "ohm", signed=True),     # H value
    "inductance": Limit(1e-18, 1e6, "H"),                         # L values
    "frequency": Limit(1e-6, 1e15, "Hz", zero_ok=True),   # SIN FREQ, SFFM FC FS (0: 1/tstop)
    "damping": Limit(0.0, 1e15, "1/s", signed=True),      # SIN THETA
    "phase": Limit(0.0, 1e6, "deg", signed=True),         # SIN PHASE, SFFM PHASEC PHASES
    "modulation": Limit(0.0, 1e3, "rad"),                 # SFFM MDI
    "count": Limit(0.0, 1e12, "pulses"),                  # PULSE NP
}


def range_problem(kind: str, value: float) -> str | None:
    """``LIMITS[kind].problem(value)``: a message fragment, or None if ``value`` is accepted."""
    return LIMITS[kind].problem(value)
