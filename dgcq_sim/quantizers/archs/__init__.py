"""The bundled architectures: each one controller module here + one netlist in
dgcq_sim/netlists/.  Importing this package imports every module in it, and each module
registers its architecture (``@register("name")``), so adding a converter touches no
other file.
"""

import importlib
import pkgutil

for _mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    importlib.import_module(f"{__name__}.{_mod.name}")
