"""Quantizer specs of the NN path: ``ideal:BITS``, a saved TransferFunction ``.npz``, or a
netlist / registered architecture name -> the TransferFunction every partial sum goes through.

One parser for ``dgcq-sim nn-eval``, ``dgcq-sim train`` and :mod:`dgcq_sim.nn.torch`.
"""

from __future__ import annotations

from pathlib import Path


def quantizer_kind(spec: str | None) -> str:
    """``"digital"`` (no spec), ``"ideal"``, ``"file"`` (a saved TransferFunction) or
    ``"netlist"`` (an architecture name or netlist path)."""
    if spec is None:
        return "digital"
    if spec.startswith("ideal:"):
        return "ideal"
    if spec.lower().endswith(".npz"):
        return "file"
    p = Path(spec)
    try:
        if p.is_file():
            with open(p, "rb") as f:
                if f.read(4) == b"PK\x03\x04":    # a zip archive whatever its name
                    return "file"
    except OSError:
        pass
    return "netlist"


def check_overrides(spec: str | None, params: dict, ideal: bool) -> None:
    """--param and --ideal only apply to a netlist quantizer: with none, ideal:BITS or a
    saved transfer function they are refused (they would be ignored), naming them."""
    from ..errors import ParameterError
    kind = quantizer_kind(spec)
    if kind != "netlist" and (params or ideal):
        given = ", ".join([f"--param {k}" for k in params] + (["--ideal"] if ideal else []))
        what = {"digital": "the digital network (no --quantizer)",
                "ideal": f"--quantizer {spec} (an ideal ADC)",
                "file": f"--quantizer {spec} (a saved transfer function)"}[kind]
        raise ParameterError(f"{given}: {what} takes no netlist parameters (they would be "
                             f"ignored); drop them or pass a netlist quantizer, e.g. "
                             f"--quantizer dgcq")


def load_transfer(spec: str | None, params: dict, ideal: bool, seed: int):
    """TransferFunction from a quantizer spec (lazy imports: the simulator only if needed);
    None for no spec.  The overrides are checked by :func:`check_overrides`."""
    import numpy as np

    from ..errors import ParameterError
    check_overrides(spec, params, ideal)
    kind = quantizer_kind(spec)
    if kind == "digital":
        return None
    from ..transfer import TransferFunction
    if kind == "ideal":
        text = spec.split(":", 1)[1].strip()
        if not text.isdigit():
            raise ParameterError(f"--quantizer ideal:BITS needs a whole number of bits "
                                 f"(1..24), got {spec!r}")
        bits = int(text)
        if not 1 <= bits <= 24:
            raise ParameterError(f"--quantizer {spec}: BITS must be in 1..24, got {bits}")
        return TransferFunction.ideal(bits, 0.0, 1.0)
    if kind == "file":
        return TransferFunction.load(spec)
    return netlist_quantizer(spec, params, ideal, seed).characterize(rng=np.random.default_rng(seed))


def netlist_quantizer(spec: str, params: dict, ideal: bool, seed: int):
    """The compiled Quantizer of a netlist --quantizer spec."""
    from ..quantizers import load_quantizer
    return load_quantizer(spec, params=params or None, ideal=ideal, seed=seed)
