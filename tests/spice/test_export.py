"""Exporter: what to_spice writes reads back as the same circuit, and overrides apply."""

from __future__ import annotations

import pytest

from dgcq_sim.errors import InputError
from dgcq_sim.netlist import Dc, Pulse, Pwl, Tran, parse_netlist
from dgcq_sim.spice import format_number, to_spice

from xval_helpers import XVAL, without_locations, xval_circuit


@pytest.mark.parametrize("name", XVAL)
def test_round_trip_gives_an_equal_circuit(name):
    c = xval_circuit(name)
    back = parse_netlist(to_spice(c), path="<export>")
    assert without_locations(back) == without_locations(c)


def test_round_trip_keeps_param_overrides_as_numbers():
    c = xval_circuit("xval_sc_integrator", a=100, cf="300f")
    text = to_spice(c)
    back = parse_netlist(text)
    assert back.params["a"] == 100.0
    assert back.element("cf").c == pytest.approx(300e-15, rel=0, abs=0)
    assert back.element("cs").c == 150e-15            # CS={CF/2} was resolved, not re-derived
    assert back.element("eamp").gain == 100.0
    assert "{" not in text                            # plain numbers only


def test_numbers_read_back_exactly():
    for x in (1e-15, 0.1 + 0.2, 1 / 3, -2.5e-9, 1e13, 7.0, 123456.789e-21):
        assert float(format_number(x)) == x


def test_override_replaces_a_source_waveform():
    c = xval_circuit("xval_sc_integrator")
    new = Pwl((0.0, 1e-9, 1.1e-9), (0.0, 0.0, 0.7))
    back = parse_netlist(to_spice(c, overrides={"VDEC": new, "vin": Dc(0.25)}))
    assert back.element("vdec").wave == new
    assert back.element("vin").wave == Dc(0.25)
    assert back.element("vphi1").wave == c.element("vphi1").wave
    assert isinstance(back.element("vphi1").wave, Pulse)


def test_override_of_an_unknown_source_is_refused():
    c = xval_circuit("xval_charge_share")
    with pytest.raises(InputError, match="vnope"):
        to_spice(c, overrides={"vnope": Dc(1.0)})


def test_tran_card_and_title_override():
    c = xval_circuit("xval_droop")
    text = to_spice(c, tran=Tran(1e-12, 2e-8, 0.0, 5e-12), title="my title")
    assert text.splitlines()[0] == "my title"
    back = parse_netlist(text)
    assert (back.tran.tstep, back.tran.tstop, back.tran.tstart, back.tran.tmax) == (1e-12, 2e-8, 0.0, 5e-12)


def test_non_finite_value_is_refused():
    with pytest.raises(InputError, match="inf"):
        format_number(float("inf"))
