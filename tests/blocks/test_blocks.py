"""Comparator, counter and SAR-logic pieces, and their agreement with the schedules."""

import numpy as np
import pytest

from dgcq_sim.blocks.comparator import decide
from dgcq_sim.blocks.counter import assemble_code, count_up
from dgcq_sim.blocks.sar_logic import plate_level
from dgcq_sim.quantizers import load_quantizer


def test_comparator_offset_noise_and_tie():
    assert decide(0.5, 0.5, 0.0, 0.0) == 1          # a tie decides 1 (floor at transitions)
    assert decide(0.499, 0.5, 0.0, 0.0) == 0
    assert decide(0.499, 0.5, 0.002, 0.0) == 1      # offset shifts the threshold
    assert decide(0.501, 0.5, 0.0, -0.002) == 0     # this decision's noise sample


def test_counter_and_code_assembly():
    c = 0
    for d in (1, 0, 1, 1):
        c = count_up(c, d)
    assert c == 3
    assert assemble_code(3, 0b00011010, 8, 0, 2048) == 0b01100011010
    assert assemble_code(3, 0b100011010, 8, 128, 2048) == 3 * 256 + 0b100011010 - 128
    assert assemble_code(0, 5, 8, 128, 2048) == 0                 # clipped low
    assert assemble_code(8, 300, 8, 0, 2048) == 2047              # clipped high


@pytest.mark.parametrize("vin", [0.123, 0.5, 0.987])
def test_sar_plate_levels_match_the_schedule(vin):
    q = load_quantizer("sar", {"NBITS": 5}, ideal=True)
    s = q.schedule
    d = q.decisions(vin)
    u = s.source_values(vin, d)
    bits = {dec.step: int(np.log2(dec.weight)) for dec in s.decisions}
    decided = {int(np.log2(dec.weight)): int(d[j]) for j, dec in enumerate(s.decisions)}
    vr = q.params["vref_sar"]
    for step, trial in bits.items():
        for b in range(5):
            col = s.inputs.index(f"vb{b}")
            assert u[step, col] == pytest.approx(vr * plate_level(b, trial, decided[b]))
