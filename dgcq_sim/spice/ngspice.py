"""Run ngspice in batch mode and read node voltages at chosen times.

How it runs ngspice (and why not ``spicelib``'s simulator class): the netlist goes to a
temporary directory and ``ngspice -b -n -o LOG -r RAW`` runs on it; the binary raw file is
read with ``spicelib.RawRead``.  ``spicelib.simulators.ngspice_simulator.NGspiceSimulator``
was tried first and works, but it always adds ``-D ngbehavior=kiltpsa`` (PSpice, LTspice and
KiCad compatibility for the whole netlist, which changes how ngspice reads cards); switching
that off means changing a class attribute that every other spicelib user in the process
shares; it does not pass ``-n``, so a user's ``.spiceinit`` could change our options; and it
looks for the executable only once, at import.  Calling ngspice ourselves is a few lines
and keeps standard SPICE semantics.

Accuracy (see :data:`DEFAULT_OPTIONS`): ``reltol=1e-6 abstol=1e-15 vntol=1e-9`` and a step
bound ``tmax`` (default ``tstop/20000``).  ngspice lands on PULSE/PWL breakpoints, so the
comparison times of :func:`flat_end_times` (the end of each flat part of the sources) are
normally ngspice time points; other times are interpolated linearly between points at most
``tmax`` apart.  ngspice-39 does step over some corners (seen on a fast clock interleaved
with a slow one, points ~1 ps either side): the state nodes are smooth there, so the
interpolation costs them nothing measurable, but a source node interpolated across its own
corner is off by up to slope*tmax/4, which is why source-driven nodes are compared at
:func:`flat_mid_times`.  A switch flips at the first time point past its threshold, so
its flip time is off by at most one step (<= ``tmax``); the state at a flat end depends on
that only through the settling left at the flip, which the netlists keep small except in
the settling circuit (where 2 ps moves the result by < 10 uV).

Forcing extra breakpoints at the switch crossings with a flat PWL source was tried and
dropped: with it, ngspice-39 hit fewer times exactly, not more (on the settling circuit,
with the 18 flat-end times and 16 switch crossings forced, 24 of the 34 were missed;
without the extra source none of the 18 flat-end times was missed).
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ..errors import InputError, SpiceError
from ..netlist.circuit import (GROUND, Circuit, Dc, Exp, ISource, Pulse, Pwl, Sffm, Sin, Tran,
                               VSource, Waveform)

WAVES = (Dc, Pulse, Pwl, Sin, Exp, Sffm)
from .export import to_spice

__all__ = ["DEFAULT_OPTIONS", "NgspiceTraces", "NgspiceResult", "ngspice_executable",
           "run_netlist", "ngspice_tran", "waveform_breakpoints", "waveform_value",
           "flat_end_times", "flat_mid_times", "source_driven_nodes"]

#: ``.options`` used for cross-validation.  Gear and trapezoidal integration were measured
#: against the closed forms of tests/spice/test_runner.py (tmax = tstop/20000): max errors
#: gear / trap = 0.94 / 1.35 uV (incomplete settling), 0.81 / 0.58 uV (droop), 0.017 /
#: 0.017 uV (charge sharing), 0.16 / 0.16 nV (CDAC).  Both are far inside the 100 uV bar
#: and neither is better on all four; gear is kept since the trapezoidal rule is prone to
#: ringing on stiff switch transients (not seen on these circuits).
#: (``chgtol=1e-18`` was tried too and made ngspice abort with "timestep too small".)
DEFAULT_OPTIONS = "reltol=1e-6 abstol=1e-15 vntol=1e-9 method=gear"


def ngspice_executable() -> str:
    """Path of the ``ngspice`` binary (``$DGCQ_NGSPICE`` or the one on ``PATH``)."""
    exe = os.environ.get("DGCQ_NGSPICE") or shutil.which("ngspice")
    if not exe:
        raise SpiceError("ngspice is not installed (no 'ngspice' on PATH): install it, e.g. "
                         "'apt-get install ngspice', or set DGCQ_NGSPICE to its path")
    return exe


@dataclass(frozen=True)
class NgspiceTraces:
    """Everything ngspice wrote: its time points ``t`` (s) and ``v[node]`` (V) at them."""

    t: np.ndarray
    v: Mapping[str, np.ndarray]
    log: str

    def at(self, times: Sequence[float], nodes: Sequence[str] | None = None) -> dict:
        """Node voltages linearly interpolated at ``times`` (s), ``{node: (len(times),)}``."""
        times = np.asarray(times, dtype=float)
        lo, hi = self.t[0], self.t[-1]
        bad = times[(times < lo - 1e-18) | (times > hi + 1e-18)]
        if bad.size:
            raise InputError(f"time {bad[0]!r} s lies outside ngspice's run [{lo}, {hi}] s")
        names = list(self.v) if nodes is None else [n.lower() for n in nodes]
        missing = [n for n in names if n not in self.v]
        if missing:
            raise InputError(f"ngspice wrote no voltage for node(s) {missing}; "
                             f"nodes are {sorted(self.v)}")
        return {n: np.interp(times, self.t, self.v[n]) for n in names}


@dataclass(frozen=True)
class NgspiceResult:
    """Node voltages at requested times: ``t`` (T,) in s, ``v[node]`` (T,) in V."""

    t: np.ndarray
    v: Mapping[str, np.ndarray]
    traces: NgspiceTraces


def _error_lines(text: str) -> str:
    keep = [ln.strip() for ln in text.splitlines()
            if any(k in ln.lower() for k in ("error", "unable", "unknown", "can't", "cannot",
                                               "warning", "interrupted", "singular",
                                               "too small", "aborted", "line"))]
    return "\n".join(keep[:20]) or text.strip()[-2000:]


def run_netlist(text: str, *, timeout: float = 120.0) -> NgspiceTraces:
    """Run ngspice in batch mode on a netlist ``text`` with one ``.tran`` analysis.

    Works in a fresh temporary directory (nothing is written elsewhere).  Raises
    :class:`~dgcq_sim.errors.SpiceError` when ngspice is missing, fails (the message carries
    ngspice's own error lines), times out (``timeout`` in s) or writes no transient data.
    """
    exe = ngspice_executable()
    try:
        from spicelib import RawRead  # only needed when ngspice runs
    except ImportError as exc:
        raise SpiceError("reading ngspice's raw files needs spicelib: pip install spicelib "
                         "(or pip install dgcq_sim[test])") from exc

    with tempfile.TemporaryDirectory(prefix="dgcq_ngspice_") as tmp:
        cir, raw, log = (Path(tmp) / n for n in ("circuit.cir", "circuit.raw", "circuit.log"))
        cir.write_text(text)
        cmd = [exe, "-b", "-n", "-o", str(log), "-r", str(raw), str(cir)]
        try:
            proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise SpiceError(f"ngspice did not finish within {timeout} s") from exc
        except OSError as exc:
            raise SpiceError(f"cannot run ngspice at {exe!r}: {exc}") from exc
        logtext = (log.read_text(errors="replace") if log.exists() else "")
        output = "\n".join(s for s in (proc.stdout, proc.stderr, logtext) if s)
        failed = proc.returncode != 0 or any(
            re.match(r"\s*error\b", ln, re.IGNORECASE) or "aborted" in ln.lower()
            for ln in output.splitlines())
        if failed or not raw.exists() or raw.stat().st_size == 0:
            raise SpiceError(f"ngspice failed (exit code {proc.returncode}):\n"
                             f"{_error_lines(output)}")
        rr = RawRead(str(raw), dialect="ngspice", verbose=False)
        names = rr.get_trace_names()
        if "time" not in names:
            raise SpiceError(f"ngspice wrote no transient analysis (traces: {names})")
        t = np.asarray(rr.get_trace("time").get_wave(), dtype=float)
        v = {}
        for name in names:
            low = name.lower()
            if low.startswith("v(") and low.endswith(")"):
                v[low[2:-1]] = np.asarray(rr.get_trace(name).get_wave(), dtype=float)
    return NgspiceTraces(t=np.abs(t), v=v, log=output)


# --------------------------------------------------------------------------- waveforms

def _as_run(wave: Waveform, circuit: Circuit) -> Waveform:
    """The waveform as ngspice runs it: a PULSE rise/fall of 0 becomes the .tran TSTEP."""
    if isinstance(wave, Pulse) and (wave.tr == 0 or wave.tf == 0) and circuit.tran is not None:
        step = circuit.tran.tstep
        return dataclasses.replace(wave, tr=wave.tr or step, tf=wave.tf or step)
    return wave


def waveform_breakpoints(wave: Waveform, tstop: float) -> np.ndarray:
    """Sorted times (s) in (0, tstop) where ``wave`` changes its form (ngspice semantics)."""
    from ..engine.waves import breakpoints
    if not isinstance(wave, WAVES):
        raise InputError(f"unknown waveform {wave!r}")
    return np.unique(breakpoints(wave, tstop))


def waveform_value(wave: Waveform, t: np.ndarray | float) -> np.ndarray:
    """Value of ``wave`` at times ``t`` (s), as ngspice evaluates it."""
    from ..engine.waves import values_at
    if not isinstance(wave, WAVES):
        raise InputError(f"unknown waveform {wave!r}")
    return values_at(wave, np.asarray(t, dtype=float))


def flat_end_times(circuit: Circuit, *, overrides: Mapping[str, Waveform] | None = None,
                   tstop: float | None = None) -> np.ndarray:
    """Times (s) at which every flat stretch of the sources ends, plus 0 and ``tstop``.

    These are the phase ends just before each edge: the state there does not depend on
    when exactly a switch flipped inside a ramp, so they are where engine and ngspice are
    compared.  A breakpoint counts when some source is flat just before it and not just
    after (a ramp starts there).
    """
    tstop = _tstop(circuit, tstop)
    ov = {k.lower(): w for k, w in (overrides or {}).items()}
    out = {0.0, tstop}
    for el in circuit.elements:
        if not isinstance(el, (VSource, ISource)):
            continue
        wave = _as_run(ov.get(el.name, el.wave), circuit)
        bps = waveform_breakpoints(wave, tstop)
        for b in bps:
            span = max(tstop * 1e-9, 1e-18)
            before, at, after = waveform_value(wave, [b - span, b, b + span])
            if abs(at - before) < 1e-12 * max(1.0, abs(at)) and abs(after - at) > 0:
                out.add(float(b))
    # two sources' breakpoints that differ only by rounding (e.g. 14.3n + 1.48n and
    # 15.1n + 0.68n) are one time: keep the first of each cluster
    merged: list[float] = []
    for t in sorted(out):
        if not merged or t - merged[-1] > 1e-12 * tstop:
            merged.append(t)
    merged[-1] = tstop
    return np.array(merged)


def flat_mid_times(circuit: Circuit, *, overrides: Mapping[str, Waveform] | None = None,
                   tstop: float | None = None) -> np.ndarray:
    """Midpoints (s) of the stretches between source breakpoints where every source is flat.

    Source-driven nodes (clocks, bit controls) are compared here rather than at
    :func:`flat_end_times`: ngspice-39 occasionally steps over a PULSE corner (it missed
    e.g. the falling edges of a fast clock once a slower clock's breakpoints interleave),
    and a linear interpolation across a missed corner is off by up to slope * tmax / 4;
    in the middle of a flat stretch both neighbouring ngspice points lie on the flat part.
    """
    tstop = _tstop(circuit, tstop)
    ov = {k.lower(): w for k, w in (overrides or {}).items()}
    waves = [_as_run(ov.get(el.name, el.wave), circuit) for el in circuit.elements
             if isinstance(el, (VSource, ISource))]
    cuts = np.unique(np.concatenate([[0.0, tstop]] + [waveform_breakpoints(w, tstop)
                                                      for w in waves]))
    out = []
    for t0, t1 in zip(cuts[:-1], cuts[1:]):
        if t1 - t0 <= 1e-12 * tstop:
            continue
        q = [t0 + 0.25 * (t1 - t0), t0 + 0.75 * (t1 - t0)]
        if all(np.ptp(waveform_value(w, q)) == 0.0 for w in waves):
            out.append(0.5 * (t0 + t1))
    return np.array(out)


def source_driven_nodes(circuit: Circuit) -> frozenset[str]:
    """Nodes whose voltage a chain of V sources fixes against ground (clocks, controls)."""
    known = {GROUND}
    changed = True
    while changed:
        changed = False
        for el in circuit.of_type(VSource):
            for a, b in ((el.pos, el.neg), (el.neg, el.pos)):
                if b in known and a not in known:
                    known.add(a)
                    changed = True
    return frozenset(known - {GROUND})


def _tstop(circuit: Circuit, tstop: float | None) -> float:
    if tstop is None:
        if circuit.tran is None:
            raise InputError(f"circuit {circuit.title!r} has no .tran card; pass tstop")
        tstop = circuit.tran.tstop
    if not (math.isfinite(tstop) and tstop > 0):
        raise InputError(f"tstop must be a positive number of seconds, got {tstop!r}")
    return float(tstop)


def ngspice_tran(circuit: Circuit, times: Sequence[float], *, nodes: Sequence[str] | None = None,
                 overrides: Mapping[str, Waveform] | None = None, tstop: float | None = None,
                 tmax: float | None = None, options: str = DEFAULT_OPTIONS,
                 timeout: float = 120.0) -> NgspiceResult:
    """Transient simulation of ``circuit`` in ngspice, node voltages at ``times``.

    Parameters
    ----------
    circuit:
        Parsed circuit; its ``.tran`` card gives ``tstop`` unless ``tstop`` is passed (s).
    times:
        Times (s) in [0, tstop] to report.  Source breakpoints (e.g. :func:`flat_end_times`)
        are ngspice time points; other times are interpolated between points <= ``tmax``
        apart.
    nodes:
        Node names to report (default: every node of the circuit).
    overrides:
        ``{source: waveform}`` replacing source waveforms (see :func:`to_spice`).
    tmax:
        Largest ngspice time step (s); default ``tstop / 20000``.
    options:
        Text of the ``.options`` card.
    timeout:
        Wall-clock limit for ngspice (s).

    Returns
    -------
    NgspiceResult with ``v[node]`` of shape ``(len(times),)``.
    """
    tstop = _tstop(circuit, tstop)
    times = np.asarray(times, dtype=float).ravel()
    if times.size == 0 or not np.all(np.isfinite(times)):
        raise InputError("times must be a non-empty array of finite seconds")
    if times.min() < 0 or times.max() > tstop * (1 + 1e-12):
        raise InputError(f"times must lie in [0, {tstop}] s, got [{times.min()}, {times.max()}]")
    if tmax is None:
        tmax = tstop / 20000.0
    if not (math.isfinite(tmax) and tmax > 0):
        raise InputError(f"tmax must be a positive number of seconds, got {tmax!r}")
    extra = [f".options {options}"]
    # keep the circuit's TSTEP: ngspice (and the engine) use it for PULSE edges given as 0
    tstep = circuit.tran.tstep if circuit.tran is not None else min(tmax, tstop / 1000.0)
    uic = circuit.tran is not None and circuit.tran.uic
    tran = Tran(tstep=tstep, tstop=tstop, tstart=0.0, tmax=tmax, uic=uic)
    text = to_spice(circuit, overrides=overrides, tran=tran, extra_cards=extra)
    traces = run_netlist(text, timeout=timeout)
    want = (list(circuit.nodes) or None) if nodes is None else [n.lower() for n in nodes]
    return NgspiceResult(t=times, v=traces.at(times, want), traces=traces)
