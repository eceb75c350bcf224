"""Cross-validation against ngspice: export a Circuit as a netlist and run ngspice on it.

* :func:`to_spice` writes a plain ngspice netlist of a circuit (sources can be overridden,
  which is how a quantizer exports its analog part for one input and decision sequence).
* :func:`ngspice_tran` runs ngspice in batch mode and returns node voltages at given times;
  :func:`run_netlist` runs any netlist text and returns all traces.
* :func:`flat_end_times` gives the comparison times for the circuit's state (end of every
  flat part of the sources), :func:`flat_mid_times` those for source-driven nodes.
"""

from .export import format_number, format_waveform, to_spice
from .ngspice import (DEFAULT_OPTIONS, NgspiceResult, NgspiceTraces, flat_end_times,
                      flat_mid_times, source_driven_nodes,
                      ngspice_executable, ngspice_tran, run_netlist,
                      waveform_breakpoints, waveform_value)

__all__ = ["to_spice", "format_number", "format_waveform", "DEFAULT_OPTIONS", "NgspiceResult",
           "NgspiceTraces", "flat_end_times", "flat_mid_times", "source_driven_nodes", "ngspice_executable", "ngspice_tran",
           "run_netlist", "waveform_breakpoints", "waveform_value"]
