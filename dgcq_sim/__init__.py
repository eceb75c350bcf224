"""dgcq_sim: circuit-level simulation of CIM quantizers (coarse counter, SAR, DGCQ).

Layers (data flows down): netlist -> engine -> blocks -> quantizers -> transfer ->
metrics / cost -> nn.  See docs/index.md.
"""

__version__ = "0.1.0"
