"""The CIM mapping options of nn-eval and train: given, else the model's record, else the
CimConfig defaults."""

from __future__ import annotations

import argparse
import dataclasses

from dgcq_sim.cli._common import MAPPING_OPTIONS, add_mapping_arguments, mapping_options
from dgcq_sim.nn.cim import CimConfig


def _parse(argv):
    p = argparse.ArgumentParser()
    add_mapping_arguments(p)
    return p.parse_args(argv)


RECORD = {"mapping": {"rows": 64, "row_split": "balanced", "mid_tread": True,
                      "input_bits_per_cycle": 4, "weight_bits_per_cell": 2,
                      "signed": "pos-neg", "digital_first_last": True,
                      "zero_offset_cal": True}}


def test_options_not_given_are_the_records_else_the_defaults():
    default = dataclasses.asdict(CimConfig())
    assert mapping_options(_parse([]), None) == {k: default[k] for k in MAPPING_OPTIONS}
    assert mapping_options(_parse([]), RECORD) == {k: RECORD["mapping"][k]
                                                   for k in MAPPING_OPTIONS}


def test_options_given_win_over_the_record():
    got = mapping_options(_parse(["--rows", "256", "--no-mid-tread", "--row-split", "packed"]),
                          RECORD)
    assert (got["rows"], got["mid_tread"], got["row_split"]) == (256, False, "packed")
    assert got["signed"] == "pos-neg"                           # not given: the record's
    assert mapping_options(_parse(["--mid-tread"]), None)["mid_tread"] is True
    CimConfig(**got)                                             # a valid mapping
