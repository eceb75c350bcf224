"""How numbers are printed (dgcq_sim.display): plain values, and never a negative zero."""

import numpy as np
import pytest

from dgcq_sim.display import fixed, fmt_num, show


@pytest.mark.parametrize("v, text", [(-0.0, "0.000000000"), (-3e-13, "0.000000000"),
                                     (-4e-10, "0.000000000"), (-6e-10, "-0.000000001"),
                                     (0.3, "0.300000000"), (np.float64(-2.5e-12), "0.000000000"),
                                     (-1.25, "-1.250000000")])
def test_fixed_never_prints_a_signed_zero(v, text):
    assert fixed(v, 9) == text


def test_fixed_aligns_and_keeps_nan():
    assert fixed(-1e-20, 3, 8) == "   0.000"
    assert fixed(float("nan"), 3) == "nan"
    assert fixed(-2.0, 0, 4) == "  -2"


@pytest.mark.parametrize("v, text", [(-0.0, "0"), (np.float64(1e-08), "1e-08"), (0.25, "0.25"),
                                     (np.int64(3), "3"), (-1e-20, "-1e-20"), ("x", "x")])
def test_fmt_num_plain(v, text):
    assert fmt_num(v) == text


def test_show_plain_numpy_and_unsigned_zero():
    assert show(np.float64(1e-08)) == "1e-08"
    assert show(np.float64(-0.0)) == "0"
    assert show(-2e-300) == "-2e-300"
    assert show("a") == "'a'"
    assert show(np.array([1.0, 2.0])) == "[1.0, 2.0]"


def test_tran_table_has_no_negative_zero(capsys):
    """The bundled coarse netlist's nodes start at (numerically) zero, some a few fV below:
    the table printed '-0.000000000' for them."""
    from dgcq_sim.cli import main

    assert main(["tran", "coarse"]) == 0
    out = capsys.readouterr().out
    assert "0.000000000" in out
    assert "-0.000000000" not in out
