"""Architectures from the user's own modules, without editing the package.

Three ways, all ending in the module's ``@register("name")`` running:

* import the module yourself before ``load_quantizer`` (Python use);
* ``dgcq-sim --plugin my_adc.py ...`` or ``DGCQ_SIM_PLUGINS=my_adc.py:other_pkg.mod``
  (a path to a .py file or an importable module name; ``os.pathsep``-separated);
* an installed distribution declaring the entry point group ``dgcq_sim.architectures``
  (``[options.entry_points] dgcq_sim.architectures = my_adc = my_pkg.my_adc``).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from importlib.metadata import entry_points
from pathlib import Path

from ..errors import QuantizerError

ENV_VAR = "DGCQ_SIM_PLUGINS"
ENTRY_POINT_GROUP = "dgcq_sim.architectures"


def load_plugin(spec: str):
    """Import a plugin: a path to a ``.py`` file or a module name.  Returns the module."""
    spec = str(spec).strip()
    if not spec:
        raise QuantizerError("empty plugin name")
    try:
        if spec.endswith(".py") or os.sep in spec or "/" in spec:
            path = Path(spec)
            if not path.is_file():
                raise QuantizerError(f"plugin file not found: {spec!r}")
            name = f"dgcq_sim_plugin_{path.stem}"
            mod_spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(mod_spec)
            sys.modules[name] = module
            mod_spec.loader.exec_module(module)
            return module
        return importlib.import_module(spec)
    except QuantizerError:
        raise
    except Exception as exc:   # a user's module can fail in any way; say which one
        raise QuantizerError(f"plugin {spec!r} failed to import: "
                             f"{type(exc).__name__}: {exc}") from exc


def load_environment_plugins() -> None:
    """Import the plugins named by :data:`ENV_VAR` and the installed entry points."""
    for spec in filter(None, os.environ.get(ENV_VAR, "").split(os.pathsep)):
        load_plugin(spec)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            ep.load()
        except Exception as exc:
            raise QuantizerError(f"architecture plugin {ep.name!r} ({ep.value}) failed to "
                                 f"import: {type(exc).__name__}: {exc}") from exc
