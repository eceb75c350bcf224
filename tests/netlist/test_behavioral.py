"""B (behavioural) sources: the expression subset, its compiled program, and the typed
errors (file:line) for everything outside it."""

import math

import pytest

from dgcq_sim.errors import NetlistError
from dgcq_sim.netlist import parse_netlist
from dgcq_sim.netlist.behavioral import Behavioral
from dgcq_sim.spice import to_spice

HEAD = "t\n.param lo=0.2 hi=0.8 g=2\nv1 a 0 DC 0.5\nr1 a 0 1k\nr2 y 0 1k\n"


def b_source(card: str) -> Behavioral:
    return parse_netlist(HEAD + card + "\n").element(card.split()[0])


@pytest.mark.parametrize("card, volts, expected", [
    ("b1 y 0 V={max(min(V(a), hi), lo)}", {"a": 0.9}, 0.8),
    ("b1 y 0 V={max(min(V(a), hi), lo)}", {"a": 0.1}, 0.2),
    ("b1 y 0 V={max(min(V(a), hi), lo)}", {"a": 0.5}, 0.5),
    ("b1 y 0 V = g*V(a, y)/4 - 1", {"a": 0.9, "y": 0.1}, 2 * 0.8 / 4 - 1),
    ("b1 y 0 V='abs(-V(a)) + tanh(V(a))'", {"a": 0.3}, 0.3 + math.tanh(0.3)),
    ("b1 y 0 I={1m*(V(a) - V(gnd))}", {"a": 0.4}, 0.4e-3),
    ("b1 y 0 V={-(-V(a))+V(a,a)}", {"a": 0.7}, 0.7),
])
def test_expression_values(card, volts, expected):
    b = b_source(card)
    assert b.expr.evaluate(volts) == pytest.approx(expected, rel=1e-14, abs=1e-15)


def test_parsed_fields_and_controls():
    b = b_source("b1 y 0 I={min(V(a,y), g)}")
    assert (b.name, b.pos, b.neg, b.quantity, b.is_voltage) == ("b1", "y", "0", "i", False)
    assert b.expr.controls == (("a", "y"),) and b.control_nodes == ("a", "y")


def test_export_reads_back_to_the_same_program_and_ngspice_syntax():
    c = parse_netlist(HEAD + "b1 y 0 V={max(min(V(a), hi), lo) - g*V(a)/(1+V(a))}\n")
    text = to_spice(c)
    assert "b1 y 0 V={" in text and "V(a)" in text and "limit" not in text
    again = parse_netlist(text).element("b1")
    assert again.expr.ops == c.element("b1").expr.ops
    assert again.expr.vals == c.element("b1").expr.vals


def test_continuation_lines_are_read():
    b = b_source("b1 y 0 V={max(min(V(a),\n+ hi), lo)}")
    assert b.expr.evaluate({"a": 2.0}) == 0.8


@pytest.mark.parametrize("card, fragment, near", [
    ("b1 y 0 V={limit(V(a), 0, 1)}", "limit() is not a function of ngspice-39's B source", "limit"),
    ("b1 y 0 V={exp(V(a))}", "function 'exp' is outside the B-source subset", "exp"),
    ("b1 y 0 V={V(a)**2}", "powers (** or ^) are not in the B-source subset", "**"),
    ("b1 y 0 V={V(a)^2}", "powers", "^"),
    ("b1 y 0 V={V(a) > 0.5 ? 1 : 0}", "comparisons and logic ('>')", ">"),
    ("b1 y 0 V={I(v1)*1k}", "branch currents I(...) are not supported", "I"),
    ("b1 y 0 V={time*1e9}", "time-dependent B-source expressions", "time"),
    ("b1 y 0 V={V(a)*undefined_p}", "undefined parameter 'undefined_p'", "undefined_p"),
    ("b1 y 0 V={min(V(a))}", "min() takes 2 arguments, got 1", "min"),
    ("b1 y 0 V={abs(V(a), 1)}", "abs() takes 1 argument, got 2", "abs"),
    ("b1 y 0 V={(V(a)+1}", "expected ')' to close '('", None),
    ("b1 y 0 V={V(a) +}", "ends too early", None),
    ("b1 y 0 V={V(a) @ 2}", "unexpected character", None),
    ("b1 y 0 V={}", "empty B-source expression", None),
    ("b1 y 0 X={V(a)}", "expected V=expr or I=expr", "X"),
    ("b1 y 0 V", "too few fields", None),
    ("b1 y y V={V(a)}", "both terminals are node 'y'", "y"),
    ("b1 y 0 V={V(a)} extra", "must end with '}'", None),
])
def test_outside_the_subset_is_a_located_error(card, fragment, near):
    with pytest.raises(NetlistError) as info:
        parse_netlist(HEAD + card + "\n", path="net.cir")
    err = info.value
    assert fragment in err.reason
    assert err.path == "net.cir" and err.line == 6
    assert str(err).startswith("net.cir:6:")
    if near is not None:
        assert err.token == near


def test_error_on_a_continuation_line_names_that_line():
    with pytest.raises(NetlistError) as info:
        parse_netlist(HEAD + "b1 y 0 V={max(V(a),\n+ exp(1))}\n", path="net.cir")
    assert info.value.line == 7 and "exp" in info.value.reason


def test_b_inside_a_subcircuit_is_refused():
    text = HEAD + ".subckt clip i o\nb1 o 0 V={V(i)}\n.ends\nx1 a y clip\n"
    with pytest.raises(NetlistError, match="B sources inside subcircuits are not supported"):
        parse_netlist(text)


def test_a_b_voltage_source_counts_as_a_dc_path_and_in_voltage_loops():
    c = parse_netlist("t\nv1 a 0 DC 1\nb1 y 0 V={V(a)}\nc1 y 0 1p\n")   # y: DC path via b1
    assert c.element("b1").is_voltage
    with pytest.raises(NetlistError, match="loop of voltage sources"):
        parse_netlist("t\nv1 a 0 DC 1\nb1 a 0 V={2}\nr1 a 0 1k\n")
    with pytest.raises(NetlistError, match="no DC path to ground"):
        parse_netlist("t\nv1 a 0 DC 1\nr1 a 0 1k\nb1 0 y I={V(a)}\nc1 y 0 1p\n")
