"""The bundled architectures (each one controller file + one netlist in dgcq_sim/netlists/).

Importing this package registers them: coarse, sar, dgcq, flash, ramp, pipeline.
"""

from . import coarse, sar, dgcq  # noqa: F401  (registration side effect)
