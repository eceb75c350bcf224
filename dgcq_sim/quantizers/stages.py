"""Schedule fragments shared by several architectures' controllers.

``coarse_loop``: reset + N iterations of the switched-capacitor integrator of
``coarse.cir``/``dgcq.cir`` (+ the final subtract-only period of a DGCQ).
``sar_trials``: sampling onto a SAR top plate and trial-and-restore, MSB first.
Both only append steps and decisions to a :class:`~.schedule.ScheduleBuilder`.
"""

from __future__ import annotations

from .schedule import ScheduleBuilder


def coarse_loop(b: ScheduleBuilder, p: dict, n_iter: int, *, weight: int, vos: float,
                vnoise: float, sigma_vos: float, final_subtract: bool,
                extra_reset: tuple[str, ...] = ()) -> None:
    """Reset + ``n_iter`` integrate/decide periods; each decision counts ``weight``.

    Decision k = [v(out) + VOS >= VREF] at the end of iteration k; its reference
    subtraction (vdac = VREF*d_k) lands in iteration k+1 (see coarse.cir).
    """
    half = p["tclk"] / 2.0
    vref = p["vref"]
    b.set("vin", vin=1.0)
    b.set("vdac", 0.0)
    b.step("reset+sample", half, {"srst", "s1a", "s1x", *extra_reset})
    prev = None
    for i in range(1, n_iter + 1):
        b.set("vdac", dec={prev: vref} if prev is not None else None)
        b.step(f"integrate {i}", half, {"s2a", "s2x"})
        prev = b.decide("out", vref, offset=vos, noise_rms=vnoise, weight=weight,
                        stage="coarse", comparator="coarse", sigma_offset=sigma_vos)
        b.set("vdac", 0.0)
        if i < n_iter:
            b.step(f"sample {i + 1}", half, {"s1a", "s1x"})
    if final_subtract:
        b.step("final hold", half, {"s2a", "s1x"})
        b.set("vdac", dec={prev: vref})
        b.step("final subtract", half, {"s2a", "s2x"})
        b.set("vdac", 0.0)


def sar_trials(b: ScheduleBuilder, n_bits: int, vr: float, *, vos: float, vnoise: float,
               sigma_vos: float, t_samp: float, t_sar: float, sample_closed: set,
               hold_closed: set, zero_at_sampling: int | None = None,
               stage: str = "fine") -> list[int]:
    """Sampling onto the top plate, then trial-and-restore MSB first.

    Every bottom plate sits at ``vr`` while sampling (plate ``zero_at_sampling`` at 0, the
    over-range shift); trial k pulls plate k to 0, bit k = [v(top) + VOS >= 0]; a 1 keeps
    the plate at 0, a 0 returns it to ``vr``.  Bit k weighs 2^k.  Returns the decisions.
    """
    for k in range(n_bits):
        b.set(f"vb{k}", 0.0 if k == zero_at_sampling else vr)
    b.step("sar sample", t_samp, sample_closed)
    for k in range(n_bits):
        b.set(f"vb{k}", vr)
    out = []
    for k in range(n_bits - 1, -1, -1):
        b.set(f"vb{k}", 0.0)
        b.step(f"sar trial bit {k}", t_sar, hold_closed)
        j = b.decide("top", 0.0, offset=vos, noise_rms=vnoise, weight=1 << k, stage=stage,
                     comparator="sar", sigma_offset=sigma_vos)
        # plate k stays at 0 if the bit is 1, returns to VR if it is 0: VR*(1 - d_j)
        b.set(f"vb{k}", vr, dec={j: -vr})
        out.append(j)
    return out
