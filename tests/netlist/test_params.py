""".param: dependency order, overrides applied before dependents, cycles, undefined names."""

from __future__ import annotations

import pytest

from dgcq_sim.errors import NetlistError, ParameterError
from dgcq_sim.netlist import parse_netlist, parse_param_assignments

BODY = """V1 in 0 {vin}
R1 in out {r}
C1 out 0 {cs}
.end
"""


def net(params: str, body: str = BODY) -> str:
    return "param test\n" + params + "\n" + body


def test_params_resolve_in_any_order():
    c = parse_netlist(net(".param cs={gain*cf} gain=4\n.param cf=1p vin=0.5 r=1k"))
    assert c.params == pytest.approx({"cs": 4e-12, "gain": 4.0, "cf": 1e-12, "vin": 0.5, "r": 1e3})
    assert list(c.params) == ["cs", "gain", "cf", "vin", "r"]       # definition order kept
    assert c.element("c1").c == pytest.approx(4e-12)


def test_bare_expressions_spaces_and_quotes():
    c = parse_netlist(net(".param a=2*b b = 3 c='a+b' d = { c * 2 }, vin=1 r=1 cs=1p"))
    assert (c.params["a"], c.params["b"], c.params["c"], c.params["d"]) == (6.0, 3.0, 9.0, 18.0)


def test_override_is_applied_before_dependents():
    text = net(".param gain=4 cf=1p cs={gain*cf} vin=0.5 r=1k")
    c = parse_netlist(text, params={"GAIN": 8})
    assert c.params["gain"] == 8.0
    assert c.params["cs"] == pytest.approx(8e-12)
    assert c.element("c1").c == pytest.approx(8e-12)
    c2 = parse_netlist(text, params={"cf": "2p", "r": "{2*gain*1k}"})
    assert c2.params["cs"] == pytest.approx(8e-12)
    assert c2.element("r1").r == pytest.approx(8e3)


def test_override_of_unknown_name_lists_defined_ones():
    with pytest.raises(ParameterError) as exc:
        parse_netlist(net(".param gain=4 cf=1p cs={gain*cf} vin=0.5 r=1k"), params={"cx": 1})
    msg = str(exc.value)
    assert "'cx'" in msg and "cf, cs, gain, r, vin" in msg


@pytest.mark.parametrize("value, fragment", [
    (float("nan"), "not finite"), (float("inf"), "not finite"), (True, "number or an expression"),
    (None, "number or an expression"), ("2*", "ends too early"), ("1/0", "division by zero"),
    ("zz*2", "undefined parameter 'zz'"),
])
def test_bad_override_values(value, fragment):
    with pytest.raises(ParameterError) as exc:
        parse_netlist(net(".param gain=4 vin=1 r=1 cs=1p"), params={"gain": value})
    assert "gain" in str(exc.value) and fragment in str(exc.value)


def test_cycle_names_every_param_in_it():
    text = net(".param a={b+1}\n.param b={c*2} c={a} vin=1 r=1 cs=1p")
    with pytest.raises(NetlistError) as exc:
        parse_netlist(text, path="cyc.cir")
    msg = str(exc.value)
    assert "circular parameter definition: a -> b -> c -> a" in msg
    assert msg.startswith("cyc.cir:2:")


def test_self_reference_is_a_cycle():
    with pytest.raises(NetlistError, match="circular parameter definition: a -> a"):
        parse_netlist(net(".param a={a*2} vin=1 r=1 cs=1p"))


def test_undefined_param_in_param_names_it_with_line():
    with pytest.raises(NetlistError) as exc:
        parse_netlist(net(".param vin=1 r=1\n.param cs={cu*4}"), path="u.cir")
    assert str(exc.value).startswith("u.cir:3:")
    assert "undefined parameter 'cu'" in str(exc.value) and "(near 'cu')" in str(exc.value)


def test_undefined_param_in_element_names_it_with_line():
    with pytest.raises(NetlistError) as exc:
        parse_netlist(net(".param vin=1 cs=1p"), path="u.cir")   # r is missing; R1 on line 4
    assert str(exc.value).startswith("u.cir:4:") and "'r'" in str(exc.value)


def test_bare_parameter_name_as_value():
    c = parse_netlist("t\n.param rl=2k\nV1 a 0 1\nR1 a 0 rl\n")
    assert c.element("r1").r == 2e3


def test_param_defined_twice_last_wins_as_in_ngspice():
    # ngspice: .param a=1 / b={a*2} / .param a=3 gives b = 6 (the last a, also for b)
    c = parse_netlist("t\n.param a=1\n.param b={a*2}\n.param A=3\nV1 x 0 {b}\nR1 x 0 1\n",
                      path="t.cir")
    assert c.params == {"a": 3.0, "b": 6.0}
    assert c.element("v1").wave.value == 6.0
    assert c.ignored == ("t.cir:4: .param a redefined (first at line 2); the last definition "
                         "wins, as in ngspice",)


def test_param_defined_twice_on_one_card():
    c = parse_netlist("t\n.param a=1 a=5\nV1 x 0 {a}\nR1 x 0 1\n")
    assert c.params["a"] == 5.0 and len(c.ignored) == 1


def test_pi_cannot_be_redefined():
    with pytest.raises(NetlistError, match="built-in constant"):
        parse_netlist("t\n.param pi=3\nV1 a 0 1\nR1 a 0 1\n")


@pytest.mark.parametrize("card, fragment", [
    (".param", "needs name=value"), (".param 3=4", "needs name=value"),
    (".param junk a=1", "expected name=value"), (".param a=", "has no value"),
    (".param a={1+}", "ends too early"),
])
def test_malformed_param_cards(card, fragment):
    with pytest.raises(NetlistError) as exc:
        parse_netlist(f"t\nV1 a 0 1\nR1 a 0 1\n{card}\n", path="p.cir")
    assert str(exc.value).startswith("p.cir:4:") and fragment in str(exc.value)


def test_parse_param_assignments_for_the_cli():
    assert parse_param_assignments(["cs=2p", " gain = {2*3} "]) == {"cs": "2p", "gain": "{2*3}"}
    for bad in ["cs", "=1", "cs=", "1x=2"]:
        with pytest.raises(ParameterError, match="expected NAME=VALUE"):
            parse_param_assignments([bad])
