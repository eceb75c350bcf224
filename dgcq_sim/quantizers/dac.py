"""The SAR capacitor DAC block of a netlist, generated from the number of bits.

A SPICE netlist cannot loop over ``NBITS`` and our parser (like physics) refuses zero
capacitors, so the binary-weighted DAC of ``sar.cir`` and ``dgcq.cir`` lives between the
marker comments ``*@dac-begin`` and ``*@dac-end``.  The shipped files have it written out
for their default bit count, so ngspice runs them as they are; :func:`with_dac_block`
regenerates it for the resolved bit count before the netlist is parsed, and the exported
netlist (``Quantizer.export_spice``) contains the regenerated block.

Bit k (0 = LSB): source ``vb<k>`` drives the bottom plate ``b<k>`` (the SAR controller
sets it to VREF_SAR or 0), capacitor ``cdac<k>`` = 2^k * CU between the top plate and
``b<k>``.  The bottom-plate drivers are ideal (no switch resistance): a resistor there
would put its full-bandwidth thermal noise on the floating top plate (variance kT/CPTOP
by equipartition, far above any real comparator's bandwidth), which an instantaneous
comparator sample would overstate; DAC settling is therefore not modelled, sampling
settling (RON, TSAMP) is.  The unit dummy ``cdum`` (outside
the block) makes the total 2^n * CU.
"""

from __future__ import annotations

import re

from ..errors import NetlistError

BEGIN = "*@dac-begin"
END = "*@dac-end"
MAX_DAC_BITS = 14
_BLOCK = re.compile(r"^\*@dac-begin[^\n]*\n.*?^\*@dac-end[^\n]*$", re.M | re.S)


def dac_block(n_bits: int, top: str = "top", vref_param: str = "VREF_SAR") -> str:
    """Netlist text of an ``n_bits`` binary-weighted DAC (markers included)."""
    lines = [f"{BEGIN} (generated for {n_bits} bits; regenerated from the bit count on load)"]
    for k in range(n_bits - 1, -1, -1):
        lines += [f"vb{k} b{k} 0 DC {{{vref_param}}}",
                  f"cdac{k} {top} b{k} {{{2 ** k}*CU}}"]
    lines.append(END)
    return "\n".join(lines)


def with_dac_block(text: str, n_bits: int, path: str = "<netlist>") -> str:
    """``text`` with its DAC block replaced by one for ``n_bits`` bits."""
    found = _BLOCK.findall(text)
    if len(found) != 1:
        raise NetlistError(f"expected exactly one '{BEGIN}' ... '{END}' DAC block, found "
                           f"{len(found)}", path)
    return _BLOCK.sub(lambda _m: dac_block(n_bits), text, count=1)
