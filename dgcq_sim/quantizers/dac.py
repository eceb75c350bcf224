"""Netlist blocks regenerated from parameters (SPICE cannot loop), e.g. the SAR DAC.

A block lives between the marker comments ``*@NAME-begin`` and ``*@NAME-end``.  The shipped
netlists have it written out for their default parameters, so ngspice runs them as they
are; :func:`with_block` replaces it before the netlist is parsed, and the exported netlist
(``Quantizer.export_spice``) contains the regenerated block.

The SAR DAC (``sar.cir``, ``dgcq.cir``), :func:`dac_block`: bit k (0 = LSB): source
``vb<k>`` drives the bottom plate ``b<k>`` (the SAR controller sets it to VREF_SAR or 0),
capacitor ``cdac<k>`` = 2^k * CU between the top plate and ``b<k>``.  The bottom-plate
drivers are ideal sources here; ``RREF`` > 0 puts a noiseless driver resistance between
each source and its plate on load (``reference_drive.py``: a real resistor there would put
its full-bandwidth thermal noise on the floating top plate, variance kT/CPTOP by
equipartition, far above any real comparator's bandwidth, which an instantaneous
comparator sample would overstate).  The unit dummy ``cdum`` (outside the block) makes
the total 2^n * CU.
"""

from __future__ import annotations

import re

from ..errors import NetlistError

BEGIN = "*@dac-begin"
END = "*@dac-end"
MAX_DAC_BITS = 14


def with_block(text: str, name: str, lines: list[str], path: str = "<netlist>",
               note: str = "") -> str:
    """``text`` with its ``*@NAME-begin`` ... ``*@NAME-end`` block replaced by ``lines``."""
    pattern = re.compile(rf"^\*@{re.escape(name)}-begin[^\n]*\n.*?^\*@{re.escape(name)}-end[^\n]*$",
                         re.M | re.S)
    found = pattern.findall(text)
    if len(found) != 1:
        raise NetlistError(f"expected exactly one '*@{name}-begin' ... '*@{name}-end' block, "
                           f"found {len(found)}", path)
    body = "\n".join([f"*@{name}-begin ({note}regenerated from the parameters on load)",
                      *lines, f"*@{name}-end"])
    return pattern.sub(lambda _m: body, text, count=1)


def opamp_lines(out: str, vminus: str, gbw: float, suffix: str = "",
                noise_r: float = 0.0, limits=None) -> list[str]:
    """A single-ended op-amp from ``vminus`` (non-inverting input grounded) to ``out``.

    ``gbw`` = 0: the ideal-bandwidth E element of gain AOL (one line, no state).  ``gbw`` > 0:
    DC gain AOL with one pole at GBW/AOL (unity-gain bandwidth GBW, Hz) and an ideal output
    buffer: eamp drives the pole node through RGBW = 1 kohm onto CGBW = AOL/(2 pi GBW RGBW),
    ebuf copies it to ``out`` (so the pole never loads the circuit; RGBW's kT/CGBW noise is
    < 3 uV rms for GBW < 1 THz at AOL = 3000).  RGBW = 1 ohm would make CGBW ~1e8 times the
    circuit's fF capacitors, which costs the engine's phase maps ~1e-4 relative accuracy
    (seen against ngspice); 1 kohm keeps both within 3 uV.  Linear, so phase maps stay
    exact.  pi is written out because ngspice has no pi in .param expressions.

    ``noise_r`` > 0 (needs ``gbw`` > 0): input-referred white noise, as a resistor of that
    value in series with the op-amp input (``rvn``): the E input draws no current, so it
    changes nothing but adds its thermal noise 4kT*R = VN_OPAMP^2, band-limited by the
    pole (ngspice's transient ignores it, so exports agree with the noise-free engine).

    ``limits`` (an :class:`~.opamp_limits.OpampLimits`, needs ``gbw`` > 0): slew rate and
    output swing as B sources around the pole (see opamp_limits.py)."""
    k = suffix
    if gbw == 0:
        return [f"eamp{k} {out} 0 0 {vminus} {{AOL}}"]
    head = [f"rvn{k} {vminus} vn{k} {noise_r:.12g}"] if noise_r > 0 else []
    inp = f"vn{k}" if noise_r > 0 else vminus
    if limits is not None:
        from .opamp_limits import limited_opamp_lines
        return [*head, *limited_opamp_lines(out, inp, gbw, k, limits)]
    return [*head, f"eamp{k} opa{k} 0 0 {inp} {{AOL}}", f"rgbw{k} opa{k} opb{k} 1k",
            f"cgbw{k} opb{k} 0 {{AOL/(6.283185307179586e3*GBW)}}",
            f"ebuf{k} {out} 0 opb{k} 0 1"]


BOLTZMANN = 1.380649e-23


def opamp_noise_resistance(p) -> float:
    """Series input resistance whose thermal noise 4kT*R is VN_OPAMP^2 at TEMP (0 = none);
    DesignParameterError when VN_OPAMP > 0 with the ideal-bandwidth op-amp (white noise
    through an infinite bandwidth has infinite variance)."""
    from .params import DesignParameterError

    vn = float(p.get("vn_opamp", 0.0))
    if vn == 0:
        return 0.0
    if float(p["gbw"]) == 0:
        raise DesignParameterError(f"VN_OPAMP = {vn:g} V/sqrt(Hz) needs a finite op-amp "
                                   f"bandwidth GBW > 0 Hz to limit its noise (GBW = 0 is ideal "
                                   f"bandwidth)")
    return vn * vn / (4 * BOLTZMANN * max(float(p["temp"]), 1.0))


def with_opamp_block(text: str, p, path: str = "<netlist>", out: str = "out",
                     vminus: str = "vg") -> str:
    """``text`` with its ``*@opamp`` block regenerated for GBW, VN_OPAMP, SR, VOUT_MIN/MAX."""
    from .opamp_limits import opamp_limits

    gbw = float(p["gbw"])
    limits = opamp_limits(p)
    note = "ideal bandwidth (GBW = 0); " if gbw == 0 else "one pole at GBW/AOL; "
    if limits is not None:
        note += "slew/saturation as B sources; "
    return with_block(text, "opamp", opamp_lines(out, vminus, gbw, "",
                                                 opamp_noise_resistance(p), limits), path, note)


def dac_block(n_bits: int, top: str = "top", vref_param: str = "VREF_SAR") -> list[str]:
    """Element lines of an ``n_bits`` binary-weighted DAC."""
    lines = []
    for k in range(n_bits - 1, -1, -1):
        lines += [f"vb{k} b{k} 0 DC {{{vref_param}}}", f"cdac{k} {top} b{k} {{{2 ** k}*CU}}"]
    return lines


def with_dac_block(text: str, n_bits: int, path: str = "<netlist>") -> str:
    """``text`` with its DAC block replaced by one for ``n_bits`` bits."""
    return with_block(text, "dac", dac_block(n_bits), path, f"generated for {n_bits} bits; ")
