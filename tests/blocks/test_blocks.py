"""The comparator block (the counter and SAR-logic helpers were dead code: the schedules
assemble codes and drive the SAR plates themselves, see quantizers/schedule.py)."""

from dgcq_sim.blocks.comparator import decide


def test_comparator_offset_noise_and_tie():
    assert decide(0.5, 0.5, 0.0, 0.0) == 1          # a tie decides 1 (floor at transitions)
    assert decide(0.499, 0.5, 0.0, 0.0) == 0
    assert decide(0.499, 0.5, 0.002, 0.0) == 1      # offset shifts the threshold
    assert decide(0.501, 0.5, 0.0, -0.002) == 0     # this decision's noise sample

