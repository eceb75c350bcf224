"""Parser: L, G, F, H elements; C/L ic=, .ic, .tran UIC; switch ON/OFF; VSWITCH models."""

from __future__ import annotations

import dataclasses

import pytest

from dgcq_sim.errors import NetlistError
from dgcq_sim.netlist import (Capacitor, Cccs, Ccvs, Inductor, Vccs, parse_netlist)
from dgcq_sim.spice import to_spice


DECK = """elements
V1 in 0 1
R1 in a 1k
L1 a b 4u7 ic=2m
C1 b 0 2.2n ic=0.5
G1 0 g a 0 1m
Rg g 0 1k
Vs g h 0
Rh h 0 1k
F1 0 f Vs 3
Rf f 0 1k
H1 e 0 Vs 200
Re e 0 1k
Vc c 0 0.5
S1 in s c 0 sm ON
S2 in s2 c 0 sm off
Rs s 0 1k
Rs2 s2 0 1k
.model sm SW(RON=10 ROFF=1g VT=0.5 VH=0.2)
.ic v(b)=0.25 V(a)=0.1
.tran 1n 1u uic
"""


def test_new_elements_and_initial_conditions_parse():
    c = parse_netlist(DECK, path="e.cir")
    assert c.element("l1") == Inductor("l1", "a", "b", 4.7e-6, c.element("l1").loc, 2e-3)
    assert c.element("c1") == Capacitor("c1", "b", "0", 2.2e-9, c.element("c1").loc, 0.5)
    assert c.element("g1") == Vccs("g1", "0", "g", "a", "0", 1e-3, c.element("g1").loc)
    assert c.element("f1") == Cccs("f1", "0", "f", "vs", 3.0, c.element("f1").loc)
    assert c.element("h1") == Ccvs("h1", "e", "0", "vs", 200.0, c.element("h1").loc)
    assert c.element("s1").on and not c.element("s2").on
    assert c.tran.uic and c.ic == {"b": 0.25, "a": 0.1}
    assert c.ignored == ()


def test_export_round_trips():
    c = parse_netlist(DECK, path="e.cir")
    text = to_spice(c)
    assert "L1 a b 4.7e-06 ic=0.002".lower() in text.lower() and " ON" in text
    assert ".ic v(b)=0.25 v(a)=0.1" in text and text.splitlines()[-2].endswith(" uic")
    back = parse_netlist(text)
    def bare(cc):
        out = []
        for e in cc.elements:
            e = dataclasses.replace(e, loc=None)
            out.append(dataclasses.replace(e, model=dataclasses.replace(e.model, loc=None))
                       if hasattr(e, "model") else e)
        return out
    assert bare(back) == bare(c)
    assert back.ic == c.ic and back.tran.uic


def test_ic_without_uic_is_noted_and_kept():
    c = parse_netlist("t\nV1 a 0 1\nR1 a b 1k\nC1 b 0 1p ic=0.3\n.tran 1n 1u\n", path="n.cir")
    assert c.element("c1").ic == 0.3
    assert c.ignored == ("n.cir:4: c1: ic= ignored (used only with .tran ... UIC, as in ngspice)",)


def test_control_block_tran_uic():
    c = parse_netlist("t\nV1 a 0 1\nR1 a b 1k\nC1 b 0 1p ic=0.3\n.control\ntran 1n 1u uic\n.endc\n")
    assert c.tran.uic and c.tran.tstop == 1e-6


def test_inductor_loop_is_allowed_with_uic_only():
    text = "t\nV1 a 0 1\nL1 a 0 1u\nR1 a 0 1k\n.tran 1n 1u{}\n"
    with pytest.raises(NetlistError, match="inductor is a short at DC"):
        parse_netlist(text.format(""))
    assert parse_netlist(text.format(" uic")).tran.uic


def test_vswitch_maps_to_sw_with_a_note():
    c = parse_netlist("t\nVc c 0 0\nV1 a 0 1\nS1 a b c 0 vs\nR1 b 0 1k\n"
                      ".model vs VSWITCH(RON=1 ROFF=1meg VON=0.8 VOFF=0.2)\n", path="v.cir")
    m = c.models["vs"]
    assert (m.ron, m.roff, m.vt, m.vh) == (1.0, 1e6, 0.5, 0.0)
    assert c.ignored[0].startswith("v.cir:6: .model vs VSWITCH read as SW(RON=1 ROFF=1e+06 VT=0.5 VH=0)")


@pytest.mark.parametrize("card, fragment", [
    (".model is ISWITCH(RON=1 ROFF=1meg ION=1m IOFF=0)", "ISWITCH (current-controlled switch)"),
    (".model is CSW(IT=1m)", "CSW (current-controlled switch)"),
    (".model vs VSWITCH(VON=1 VOFF=1)", "VON and VOFF must differ"),
    (".model vs VSWITCH(VT=1)", "unknown VSWITCH model parameter 'VT'"),
    ("L2 a 0 0", "inductance must be > 0"),
    ("L2 a b 1u ic=x", "undefined parameter 'x'"),
    ("G2 a 0 a 0 poly(1)", "nonlinear G sources"),
    ("F2 a 0 poly(1) v1 1", "nonlinear F sources"),
    ("F2 a 0 v1", "too few fields, expected 'Fname n+ n- VNAME gain'"),
    ("H2 a 0 v1 1 2", "unexpected extra field"),
    (".ic v(a=1", ".ic takes 'V(node)=value ...'"),
    (".ic v(0)=1", "ground has no initial condition"),
])
def test_bad_cards(card, fragment):
    with pytest.raises(NetlistError) as exc:
        parse_netlist(f"t\nV1 a 0 1\nR1 a b 1k\nR2 b 0 1k\n{card}\n", path="b.cir")
    assert str(exc.value).startswith("b.cir:5: ") and fragment in str(exc.value), str(exc.value)
