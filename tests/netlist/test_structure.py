"""Structure cards: .subckt/X flattening with ngspice's names, .include/.lib of local files,
.func user functions.  ngspice-39 is the reference for names and values (its operating point
of the same text is compared where it can run)."""

from __future__ import annotations

import pytest

from dgcq_sim.errors import NetlistError
from dgcq_sim.netlist import load_netlist, parse_netlist

DIVIDER = """subcircuits
.param rtop=1k
.subckt div a b params: r1v=1k
R3 a n5 {r1v}
R4 n5 b 1k
X2 n5 b inner
.ends div
.subckt inner p q
Rin p m 2k
Rq m q 2k
.ends
V1 in 0 DC 1
X1 in 0 div r1v={3*rtop}
"""


def test_flattened_names_are_ngspices():
    """ngspice-39 'listing expand': r.x1.r3, r.x1.x2.rin; nodes x1.n5, x1.x2.m."""
    c = parse_netlist(DIVIDER, path="div.cir")
    assert [el.name for el in c.elements] == ["v1", "r.x1.r3", "r.x1.r4", "r.x1.x2.rin",
                                              "r.x1.x2.rq"]
    assert c.nodes == ("in", "x1.n5", "x1.x2.m")
    r3 = c.element("x1.r3")                        # the short name finds r.x1.r3
    assert (r3.n1, r3.n2, r3.r) == ("in", "x1.n5", 3000.0)
    assert r3.loc.line == 4                        # errors and locations point at the body
    assert c.element("r.x1.x2.rq").n2 == "0"


def test_flattened_divider_matches_ngspice_operating_point(ngspice):
    c = parse_netlist(DIVIDER)
    ng = ngspice(DIVIDER)
    # solve the flattened resistive network: in -3k- n5 -1k- 0, n5 -2k- m -2k- 0
    g5 = 1 / 3e3 + 1 / 1e3 + 1 / 4e3
    v5 = (1 / 3e3) / g5
    assert ng["x1.n5"] == pytest.approx(v5, rel=1e-6)
    assert ng["x1.x2.m"] == pytest.approx(v5 / 2, rel=1e-6)
    assert {"x1.n5", "x1.x2.m"} <= set(c.nodes)


def test_defaults_overrides_local_params_and_models():
    c = parse_netlist("""t
.param vt0=0.5
.subckt cell in out ctl params: ron=10 k=2
.param rl={k*1k}
S1 in out ctl 0 smod
Rl out 0 {rl}
.model smod SW(RON={ron} ROFF=1g VT={vt0})
.ends
V1 a 0 1
Vc c 0 1
X1 a o1 c cell
X2 a o2 c cell params: ron=20 k=3
""")
    s1, s2 = c.element("s.x1.s1"), c.element("s.x2.s1")
    assert (s1.model.name, s1.model.ron, s2.model.name, s2.model.ron) == ("x1:smod", 10, "x2:smod", 20)
    assert s1.model.vt == 0.5
    assert c.element("x1.rl").r == 2000 and c.element("x2.rl").r == 3000
    assert set(c.models) == {"x1:smod", "x2:smod"}


def test_global_nodes_and_gnd_keep_their_names():
    c = parse_netlist("t\n.global vdd\n.subckt ld a\nR1 a vdd 1k\nR2 a gnd 1k\n.ends\n"
                      "V1 vdd 0 1\nX1 n ld\n")
    assert (c.element("x1.r1").n2, c.element("x1.r2").n2) == ("vdd", "0")


def test_controlling_source_of_f_h_is_renamed_like_ngspice():
    from dgcq_sim.netlist.structure import flatten  # noqa: F401  (module exists)
    c = parse_netlist("t\n.subckt s a\nV2 a m 0\nR1 m 0 1k\nF1 a 0 V2 0.5\n.ends\nV1 in 0 1\n"
                      "R0 in x 1k\nX1 x s\n")
    assert c.element("f.x1.f1").vsrc == "v.x1.v2"


@pytest.mark.parametrize("body, token, fragment", [
    ("X1 a 0 nosuch", "nosuch", "X1: unknown subcircuit 'nosuch' (subcircuits: div)"),
    ("X1 a div", "div", "subcircuit 'div' has 2 pins (a b), got 1 nodes"),
    ("X1 a 0 div zz=2", "zz", "subcircuit 'div' has no parameter 'zz' (params: r1v)"),
    ("X1 a 0 div r1v=", "r1v", "expected name=value"),
    (".subckt div p q\n.ends", "div", "subcircuit 'div' defined twice (first at line 2)"),
])
def test_instance_errors_name_file_line_and_cause(body, token, fragment):
    text = f"t\n.subckt div a b params: r1v=1k\nR1 a b {{r1v}}\n.ends\nV1 a 0 1\n{body}\n"
    with pytest.raises(NetlistError) as exc:
        parse_netlist(text, path="bad.cir")
    assert exc.value.path == "bad.cir" and f"(near '{token}')" in str(exc.value)
    assert fragment in str(exc.value), str(exc.value)


def test_recursive_subcircuit_is_refused():
    with pytest.raises(NetlistError, match=r"instantiates itself \(loop -> loop\)") as exc:
        parse_netlist("t\n.subckt loop a\nR1 a 0 1\nX9 a loop\n.ends\nV1 a 0 1\nX1 a loop\n",
                      path="r.cir")
    assert exc.value.line == 4


def test_error_in_an_instance_body_points_at_the_body_line():
    with pytest.raises(NetlistError) as exc:
        parse_netlist("t\n.subckt s a\nR1 a 0 {1/k}\n.ends\nV1 a 0 1\nX1 a s\n", path="b.cir")
    assert exc.value.line == 3 and "undefined parameter 'k'" in str(exc.value)


def test_subcircuit_parameter_sees_caller_and_defaults():
    c = parse_netlist("t\n.param g=2\n.subckt s a params: k={g*3} j={k+1}\nR1 a 0 {j}\n.ends\n"
                      "V1 a 0 1\nX1 a s\nX2 a s k={g}\n")
    assert c.element("x1.r1").r == 7 and c.element("x2.r1").r == 3


# --------------------------------------------------------------------------- .include / .lib

def test_include_relative_to_including_file_and_located_errors(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "models.inc").write_text(".model swm SW(RON=5 ROFF=1g VT=0.5)\n"
                                                 ".include more.inc\n")
    (tmp_path / "sub" / "more.inc").write_text("* no title in an included file\nR9 a 0 9k\n"
                                               ".print tran v(a)\n")
    (tmp_path / "top.cir").write_text("top\nV1 a 0 1\nVc c 0 1\nS1 a b c 0 swm\nR1 b 0 1k\n"
                                      ".include 'sub/models.inc'\n.print tran v(b)\n")
    c = load_netlist(tmp_path / "top.cir")
    assert c.models["swm"].ron == 5 and c.element("r9").r == 9000
    assert c.element("r9").loc.path.endswith("more.inc") and c.element("r9").loc.line == 2
    # notes in include order: the included file's .print (line 3 of more.inc) before line 7
    assert c.ignored[0].endswith("more.inc:3: .print ignored (output directive; every node is "
                                 "available in the result)")
    assert c.ignored[1].startswith(f"{tmp_path / 'top.cir'}:7:")
    (tmp_path / "sub" / "more.inc").write_text("R9 a 0 -1k\n")
    with pytest.raises(NetlistError) as exc:
        load_netlist(tmp_path / "top.cir")
    assert exc.value.path.endswith("more.inc") and exc.value.line == 1


def test_include_cycle_is_refused_with_the_chain(tmp_path):
    (tmp_path / "a.inc").write_text("R1 a 0 1k\n.include b.inc\n")
    (tmp_path / "b.inc").write_text("R2 a 0 1k\n.inc a.inc\n")
    (tmp_path / "top.cir").write_text("top\nV1 a 0 1\n.include a.inc\n")
    with pytest.raises(NetlistError, match=r"include cycle: a.inc -> b.inc -> a.inc") as exc:
        load_netlist(tmp_path / "top.cir")
    assert exc.value.path.endswith("b.inc") and exc.value.line == 2


def test_self_include_of_the_top_file_is_a_cycle(tmp_path):
    (tmp_path / "top.cir").write_text("top\nV1 a 0 1\nR1 a 0 1\n.include top.cir\n")
    with pytest.raises(NetlistError, match="include cycle: top.cir -> top.cir"):
        load_netlist(tmp_path / "top.cir")


def test_lib_sections(tmp_path):
    (tmp_path / "corners.lib").write_text(
        "* corner library\n.lib tt\n.param rx=1k\n.lib 'corners.lib' common\n.endl tt\n"
        ".lib ff\n.param rx=800\n.lib corners.lib common\n.endl\n"
        ".lib common\n.param cx=1p\n.endl common\n")
    c = load_netlist_text(tmp_path, "top\n.lib corners.lib ff\nV1 a 0 1\nR1 a b {rx}\nC1 b 0 {cx}\n")
    assert c.element("r1").r == 800 and c.element("c1").c == 1e-12
    c = load_netlist_text(tmp_path, "top\n.lib 'corners.lib' tt\nV1 a 0 1\nR1 a b {rx}\nC1 b 0 {cx}\n"
                                    ".lib unused\nR7 zz 0 1\n.endl\n")
    assert c.element("r1").r == 1000 and [e.name for e in c.elements] == ["v1", "r1", "c1"]
    with pytest.raises(NetlistError, match=r"no section 'ss' in 'corners.lib' \(sections: tt, ff, common\)"):
        load_netlist_text(tmp_path, "top\n.lib corners.lib ss\nV1 a 0 1\nR1 a 0 1\n")


def test_lib_section_calling_itself_is_a_cycle(tmp_path):
    (tmp_path / "x.lib").write_text(".lib a\n.lib x.lib a\n.endl\n")
    with pytest.raises(NetlistError, match="include cycle"):
        load_netlist_text(tmp_path, "top\n.lib x.lib a\nV1 a 0 1\nR1 a 0 1\n")


def load_netlist_text(folder, text):
    (folder / "top.cir").write_text(text)
    return load_netlist(folder / "top.cir")


# --------------------------------------------------------------------------- .func

def test_user_functions_match_ngspice(ngspice):
    text = ("funcs\n.func sq(x) = {x*x}\n.func f2(a,b) {a+sq(b)+g}\n.param g=10\n"
            ".func noarg() {3}\n.param p={f2(1,3)+noarg()}\nV1 a 0 {p}\nR1 a 0 {sq(2)}\n"
            "V2 b 0 {nint(2.5) + pwr(-2,3) + (1<2 ? 0.5 : 0)}\nR2 b 0 1\n")
    c = parse_netlist(text)
    ng = ngspice(text)
    assert c.params["p"] == 23.0 == pytest.approx(ng["a"])
    assert c.element("r1").r == 4.0
    assert c.element("v2").wave.value == 10.5 == pytest.approx(ng["b"])


def test_user_function_in_a_subcircuit_and_in_overrides():
    c = parse_netlist("t\n.func dbl(x) {2*x}\n.param r0=1k\n.subckt s a\n.func tri(x) {3*x}\n"
                      "R1 a 0 {tri(dbl(r0))}\n.ends\nV1 a 0 1\nX1 a s\n", params={"r0": "{dbl(2)}"})
    assert c.element("x1.r1").r == 24.0


@pytest.mark.parametrize("card, fragment", [
    (".func f(x) {f(x)}", "is recursive (f -> f)"),
    (".func sqrt(x) {x}", "'sqrt' is a built-in function"),
    (".func g(x, x) {x}", "argument name is repeated"),
    (".func h(x) {x}\n.func h(y) {y}", "h defined twice"),
    (".func k(x) {x}\n.param p={k(1,2)}", "k() takes 1 arguments, got 2"),
])
def test_bad_functions(card, fragment):
    with pytest.raises(NetlistError, match=None) as exc:
        parse_netlist(f"t\n{card}\nV1 a 0 1\nR1 a 0 1\n", path="f.cir")
    assert fragment in str(exc.value) and exc.value.path == "f.cir"
