"""Quantizers on the engine: a registry of architectures, each a netlist + a controller.

``load_quantizer(netlist, params=None, ideal=False, seed=0) -> Quantizer``;
``architectures()`` lists the registered names; ``register("name")`` adds your own
(docs/architectures.md).
"""

from .architecture import (Architecture, architecture_of, architectures, get_architecture,
                           register, unregister)
from .params import CATALOGUE, DesignParameterError, ParamSpec
from .schedule import Decision, Schedule, ScheduleBuilder
from .quantizer import ConversionResult, Quantizer
from .load import load_quantizer
from . import archs  # noqa: F401  (registers the bundled architectures)
from .plugins import load_environment_plugins, load_plugin

load_environment_plugins()

__all__ = ["Architecture", "architecture_of", "architectures", "get_architecture", "register",
           "unregister", "CATALOGUE", "DesignParameterError", "ParamSpec", "Decision",
           "Schedule", "ScheduleBuilder", "ConversionResult", "Quantizer", "load_quantizer",
           "load_plugin"]
