"""The parameter reference of every registered architecture as Markdown (docs/parameters.md).

``python -m dgcq_sim.quantizers.reference > docs/parameters.md`` regenerates the page; a test
keeps the committed page equal to this output, so the specs stay the one source.
"""

from __future__ import annotations

from ..netlist import load_netlist
from .architecture import architectures, get_architecture

HEADER = """# Quantizer parameters

Generated from the parameter specs of every registered architecture
(`python -m dgcq_sim.quantizers.reference > docs/parameters.md`; do not edit by hand).
"default" is the value in the architecture's bundled netlist; "ideal" the value
`ideal=True` / `--ideal` sets (parasitic capacitors `cp*` are removed as well). The meaning
and physics of each parameter are in [netlists.md](netlists.md) and [model.md](model.md);
how to add an architecture is in [architectures.md](architectures.md).
"""


def _num(v) -> str:
    return "–" if v is None else f"{v:g}"


def markdown() -> str:
    """The whole page."""
    out = [HEADER]
    for name in architectures():
        arch = get_architecture(name)
        path = arch.netlist_path()
        defaults = load_netlist(path).params
        out.append(f"## `{name}`\n\n{arch.summary}. Netlist: `{path.name}`.\n")
        out.append("| parameter | unit | default | ideal | allowed | meaning |")
        out.append("|---|---|---|---|---|---|")
        for key, s in arch.params().items():
            allowed = s.range_text().removesuffix(f" {s.unit}" if s.unit else "")
            out.append(f"| `{s.name}` | {s.unit or '–'} | {_num(defaults.get(key, s.default))} "
                       f"| {_num(s.ideal)} | {allowed} | {s.doc} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")
