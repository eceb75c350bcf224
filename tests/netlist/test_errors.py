"""Every malformed netlist is refused with a NetlistError naming file:line and the token."""

from __future__ import annotations

import pytest

from dgcq_sim.errors import InputError, NetlistError
from dgcq_sim.netlist import load_netlist, parse_netlist

OK = "V1 a 0 1\nR1 a 0 1k\n"       # a valid two-element body used around the bad cards


def expect_error(text: str, line: int | None, token: str | None, fragment: str) -> NetlistError:
    with pytest.raises(NetlistError) as exc:
        parse_netlist(text, path="bad.cir")
    msg = str(exc.value)
    where = f"bad.cir:{line}: " if line is not None else "bad.cir: "
    assert msg.startswith(where), msg
    if token is not None:
        assert f"(near '{token}')" in msg, msg
    assert fragment in msg, msg
    assert exc.value.path == "bad.cir" and exc.value.line == line
    return exc.value


@pytest.mark.parametrize("card, token, fragment", [
    ("Q1 a b 0 npn", "Q1", "Q1: semiconductor devices (bipolar transistor) are not supported: "
                           "dgcq_sim is a behavioural, linear circuit simulator (supported elements: "
                           "R C L V I S E G F H B X"),
    ("M1 d g 0 0 nmos", "M1", "semiconductor devices (MOSFET) are not supported"),
    ("D1 a 0 dmod", "D1", "semiconductor devices (diode) are not supported"),
    ("J1 d g 0 jmod", "J1", "semiconductor devices (JFET) are not supported"),
    ("B1 a 0 V={limit(v(a), 0, 1)}", "limit", "B1: limit() is not a function of ngspice-39's B "
                                              "source"),
    ("K1 L1 L2 0.9", "K1", "unknown or unsupported element type 'K' (supported: R C L V I S E G F H B X)"),
    (".nodeset v(a)=0", ".nodeset", "not supported yet"),
    ("L1 a 0 1u", "l1", "loop of voltage sources v1, l1 (singular: their voltages are not "
                        "independent) (an inductor is a short at DC"),
    ("F1 a 0 v9 2", "v9", "f1: controlling source 'v9' is not a V source of the circuit (V sources: v1)"),
    ("H1 b 0 r1 2", "r1", "h1: controlling source 'r1' is not a V source"),
    ("G1 a 0 a 0 1e13", "1e13", "G1: transconductance 1e+13 S is outside the supported range"),
    ("W1 a 0 v1 wmod", "W1", "W1: current-controlled switches (W) are not supported"),
    (".ic v(zz)=0", "zz", ".ic: no node 'zz' in the circuit"),
    (".ic a=0", "a", ".ic takes 'V(node)=value ...'"),
    ("R2 a 0 1k ic=1", "ic", "R2: initial conditions (ic=) are only read on C and L elements"),
    ("X1 a 0 sub", "sub", "X1: unknown subcircuit 'sub' (subcircuits: none defined)"),
    (".include foo.lib", "foo.lib", ".include file 'foo.lib' not found"),
    (".inc foo.lib", "foo.lib", ".inc file 'foo.lib' not found"),
    (".lib foo.lib tt", "foo.lib", ".lib file 'foo.lib' not found"),
    (".subckt amp a b", ".subckt", "'.subckt' is never closed by '.ends'"),
    (".ends", ".ends", "'.ends' without a matching '.subckt'"),
    (".endl", ".endl", "'.endl' without a matching '.lib SECTION'"),
    (".func f(x)", ".func f(x)", ".func needs 'NAME(arg, ...) = {expression}'"),
    (".foo 1 2", ".foo", "unknown card '.foo' (supported: .param, .model, .tran"),
    ("V2 a 0 AM(1 0 1k 1meg)", "AM", "V2: AM sources are not supported yet (supported: DC, PULSE, PWL, SIN, EXP, SFFM)"),
    ("I2 a 0 trnoise(1n 1n 0 0)", "trnoise", "I2: TRNOISE sources are not supported yet"),
    ("V2 a 0 PAT(1 0 0 1n 1n 1n b101 0)", "PAT", "PAT sources are not supported yet"),
])
def test_unknown_elements_and_cards(card, token, fragment):
    expect_error(f"t\n{OK}{card}\n", 4, token, fragment)


@pytest.mark.parametrize("card, token, fragment", [
    ("R2 a 1k", "R2 a 1k", "too few fields, expected 'Rname n1 n2 value'"),
    ("R2 a 0 1k 2k", "2k", "unexpected extra field"),
    ("C2 a", "C2 a", "too few fields"),
    ("S1 a 0 a sw", "S1 a 0 a sw", "too few fields, expected 'Sname n1 n2 cp cn MODEL [ON|OFF]'"),
    ("S1 a 0 a 0 sw half", "half", "unexpected extra field"),
    ("E1 b 0 a 0", "E1 b 0 a 0", "too few fields"),
    ("E1 b 0 a 0 2 3", "3", "unexpected extra field"),
    ("V2 a", "V2 a", "too few fields"),
])
def test_wrong_field_counts(card, token, fragment):
    expect_error(f"t\n{OK}{card}\n.model sw sw\n", 4, token, fragment)


@pytest.mark.parametrize("card, token, fragment", [
    ("R2 a 0 1x2", "1x2", "bad resistance"),
    ("R2 a 0 {1+}", "{1+}", "ends too early"),
    ("R2 a 0 {1/0}", "{1/0}", "division by zero"),
    ("R2 a 0 rload", "rload", "undefined parameter 'rload'"),
    ("R2 a 0 {2*rl}", "rl", "undefined parameter 'rl'"),
    ("R2 a 0 0", "0", "resistance must be > 0"),
    ("R2 a 0 -1k", "-1k", "resistance must be > 0"),
    ("C2 a 0 0", "0", "capacitance must be > 0"),
    ("C2 a 0 -1p", "-1p", "capacitance must be > 0"),
    ("R2 a 0 1k m=2", "m", "instance parameters"),
    ("V2 b 0 DC", "DC", "DC needs a value"),
    ("V2 b 0 DC 1 DC 2", "DC", "DC value given twice"),
    ("V2 b 0 1 2", "2", "unexpected field"),
    ("R2 {a} 0 1", "{a}", "expected a node name"),
    ("E1 b 0 POLY(1) a 0 0 1", "POLY", "nonlinear E sources"),
    ("E1 b 0 VALUE={v(a)*2}", "VALUE", "nonlinear E sources"),
])
def test_bad_values(card, token, fragment):
    body = f"t\n{OK}{card}\nR9 b 0 1\n" if card.startswith(("V2", "E1")) else f"t\n{OK}{card}\n"
    expect_error(body, 4, token, fragment)


@pytest.mark.parametrize("spec, token, fragment", [
    ("PULSE(0 1)", "PULSE", "netlist has no .tran"),
    ("PULSE(0 1 0 1n 1n 5n 10n 7 3)", "3", "at most 8 values"),
    ("PULSE(0)", "PULSE", "at least v1 v2"),
    ("PULSE(0 1 0 -1n 1n 5n 10n)", "-1n", "tr must be >= 0"),
    ("PULSE(0 1 0 1n 1n 5n 10n", "(", "missing ')'"),
    ("PWL(0 0 1n)", "1n", "PWL needs pairs"),
    ("PWL()", "PWL", "PWL needs pairs"),
    ("PWL(0 0 2n 1 1n 0)", "1n", "PWL times must increase strictly"),
    ("PWL(0 0 1n 1 1n 0)", "1n", "PWL times must increase strictly"),
    ("PWL(-1n 0 1n 1)", "-1n", "PWL times must be >= 0"),
    ("PWL(0 0 1n 1) q=0", "q", "unknown PWL option"),
    ("PWL(0 0 1n 1) r=0.5n", "0.5n", "must be one of the PWL times"),
    ("PWL(0 0 1n 1) r=1n", "1n", "before the last PWL time"),
    ("PWL(0 0 1n 1 r=0)", "=", "follow the closing parenthesis"),
    ("SIN(0 1 1k 0 0 0 7)", "7", "at most 6 values"),
    ("SIN(0)", "SIN", "needs at least vo va"),
    ("EXP(0 1 1n -1n)", "-1n", "must be >= 0"),
    ("SFFM(0 1 1k -2 100)", "-2", "must be >= 0"),
    ("SIN(0 1 -1k)", "-1k", "must be >= 0"),
    ("PULSE(0 1 0 1n 1n 5n 10n) PWL(0 0 1n 1)", "PWL", "more than one transient waveform"),
])
def test_bad_waveforms(spec, token, fragment):
    expect_error(f"t\n{OK}V2 b 0 {spec}\nR2 b 0 1\n", 4, token, fragment)


def test_error_points_at_the_physical_continuation_line():
    text = "t\nV1 a 0 PULSE(0 1\n+ 1n\n+ -2n 1n 5n 10n)\nR1 a 0 1\n"
    expect_error(text, 4, "-2n", "tr must be >= 0")


@pytest.mark.parametrize("model, token, fragment", [
    (".model sw sw(ron=-1)", "-1", "RON must be > 0"),
    (".model sw sw(ron=0)", "0", "RON must be > 0"),
    (".model sw sw(roff=-1meg)", "-1meg", "ROFF must be > 0"),
    (".model sw sw(vh=-0.1)", "-0.1", "VH must be >= 0"),
    (".model sw sw(rn=1)", "rn", "unknown SW model parameter 'rn'"),
    (".model sw sw(ron 1)", "1", "expected ron=value"),
    (".model sw sw(ron=)", "=", "expected ron=value"),
    (".model sw sw(ron=1 ron=2)", "ron", "given twice"),
    (".model sw sw(ron=1", "(", "missing ')'"),
    (".model dmod D(is=1e-14)", "D", "unsupported model type 'D'"),
    (".model sw", "sw", ".model needs"),
])
def test_bad_switch_models(model, token, fragment):
    expect_error(f"t\n{OK}S1 a b a 0 sw\nR2 b 0 1\n{model}\n", 6, token, fragment)


def test_switch_with_unknown_model():
    expect_error(f"t\n{OK}S1 a b a 0 nosuch\nR2 b 0 1\n.model sw sw\n", 4, "nosuch",
                 "unknown switch model 'nosuch' (models: sw)")


def test_model_defined_twice():
    expect_error(f"t\n{OK}.model sw sw\n.model SW sw(ron=2)\n", 5, "SW", "model 'sw' defined twice")


def test_duplicate_element_name_is_case_insensitive():
    expect_error(f"t\n{OK}r1 a 0 2k\n", 4, "r1", "duplicate element name 'r1' (first at line 3)")


@pytest.mark.parametrize("tran, line_tok, fragment", [
    (".tran 1n", "1n", ".tran needs"),
    (".tran 0 1u", "0", "tstep must be > 0"),
    (".tran 1n -1u", "-1u", "tstop must be > 0"),
    (".tran 1n 1u 2u", "2u", "tstart must be in [0, tstop)"),
    (".tran 1n 1u 0 0", "0", "tmax must be > 0"),
    (".tran 1n 1u 0 1n 5", "5", "unexpected extra field"),
])
def test_bad_tran(tran, line_tok, fragment):
    expect_error(f"t\n{OK}{tran}\n", 4, line_tok, fragment)


def test_second_tran():
    expect_error(f"t\n{OK}.tran 1n 1u\n.tran 1n 2u\n", 5, ".tran", "second .tran (first at line 4)")


def test_missing_ground():
    expect_error("t\nV1 a b 1\nR1 a b 1k\n", None, None, "no element connects to ground")


def test_floating_node_through_capacitor():
    err = expect_error(f"t\n{OK}C1 a x 1p\nC2 x 0 1p\n", 4, "x", "node 'x' has no DC path to ground")
    assert "floating" in str(err)


def test_floating_island_of_resistors():
    expect_error(f"t\n{OK}C1 a x 1p\nR2 x y 1k\nR3 y x 1k\n", 4, "x", "no DC path to ground")


def test_node_fed_only_by_current_source_is_floating():
    expect_error(f"t\n{OK}I1 0 x 1u\nC1 x 0 1p\n", 4, "x", "no DC path to ground")


def test_undriven_control_node():
    expect_error(f"t\n{OK}S1 a 0 ctl 0 sw\n.model sw sw\n", 4, "ctl", "control node 'ctl' is not driven")
    expect_error(f"t\n{OK}E1 b 0 a sense 2\nR2 b 0 1\n", 4, "sense", "control node 'sense' is not driven")


def test_dangling_node():
    expect_error(f"t\n{OK}R2 a stub 1k\n", 4, "stub", "node 'stub' is dangling (only r2 connects to it)")


def test_voltage_source_loops():
    expect_error(f"t\n{OK}V2 a 0 2\n", 4, "v2", "loop of voltage sources v1, v2")
    expect_error("t\nV1 a 0 1\nE1 b 0 a 0 2\nV3 b a 1\nR1 b 0 1\n", 4, "v3",
                 "loop of voltage sources e1, v1, v3")
    expect_error(f"t\n{OK}V2 a a 1\n", 4, "v2", "loop of voltage sources v2")


@pytest.mark.parametrize("text, line, token, fragment", [
    ("t\n+ R1 a 0 1\n", 2, "+ R1 a 0 1", "continuation line '+' with no card before it"),
    (f"t\n{OK}R2 a 0 {{1+2\n", 4, "{1+2", "unbalanced '{'"),
    (f"t\n{OK}R2 a 0 1}}\n", 4, "}", "'}' without a matching '{'"),
    (f"t\n{OK}.control\nrun\n", 4, ".control", "never closed by '.endc'"),
    (f"t\n{OK}.endc\n", 4, ".endc", "without a matching '.control'"),
])
def test_structural_errors(text, line, token, fragment):
    expect_error(text, line, token, fragment)


@pytest.mark.parametrize("text", ["", "   \n\n", "\ufeff"])
def test_empty_netlist(text):
    expect_error(text, None, None, "empty netlist")


@pytest.mark.parametrize("text", ["just a title\n", "title\n* only comments\n\n.end\n"])
def test_netlist_without_elements(text):
    expect_error(text, None, None, "netlist has no elements")


def test_missing_file_is_an_input_error(tmp_path):
    missing = tmp_path / "nope.cir"
    with pytest.raises(InputError, match="nope.cir"):
        load_netlist(missing)
    with pytest.raises(InputError, match="not a file"):
        load_netlist(tmp_path)


def test_non_utf8_file_is_read_as_latin1_and_the_line_is_noted(tmp_path):
    path = tmp_path / "latin1.cir"
    path.write_bytes("title\nV1 a 0 1\n* r\xe9sistance\nR\xe9 a 0 1\n".encode("latin-1"))
    c = load_netlist(path)
    assert [e.name for e in c.elements] == ["v1", "r\xe9"]
    assert c.ignored == (f"{path}:3: file is not UTF-8 text (byte 0xe9); it was read as Latin-1",)


def test_bytes_that_make_no_sense_in_a_token_name_the_line(tmp_path):
    path = tmp_path / "cp1252.cir"
    path.write_bytes(b"title\nV1 a 0 1\n* ok\nR1 a \x930\x94 1\n")     # Windows smart quotes
    with pytest.raises(NetlistError) as exc:
        load_netlist(path)
    msg = str(exc.value)
    assert msg.startswith(f"{path}:4: character U+0093 (control character) cannot be part of a "
                          "name or number"), msg
    assert exc.value.line == 4 and "(near '\\x930\\x94')" in msg


def test_load_netlist_reports_the_path_it_was_given(tmp_path):
    path = tmp_path / "x.cir"
    path.write_text(f"t\n{OK}R2 a 0 0\n", encoding="utf-8")
    with pytest.raises(NetlistError) as exc:
        load_netlist(str(path))
    assert str(exc.value).startswith(f"{path}:4: ")


def test_parse_netlist_rejects_non_text():
    with pytest.raises(InputError, match="must be str"):
        parse_netlist(b"t\nR1 a 0 1\n")  # type: ignore[arg-type]


def test_forgotten_title_gets_a_hint():
    err = expect_error("R1 a 0 1k\nV1 a 0 1\n", 2, "a", "node 'a' is dangling")
    assert "line 1 is always the title, so 'R1 a 0 1k' was not read as a card" in str(err)


def test_deep_nesting_is_an_error_not_a_recursion_traceback():
    deep = "(" * 5000 + "1" + ")" * 5000
    expect_error(f"t\n{OK}.param a={{{deep}}}\n", 4, None, "nested too deeply")
    chain = "\n".join(f".param p{k}={{p{k + 1}+1}}" for k in range(5000)) + "\n.param p5000=0\n"
    expect_error(f"t\n{OK}{chain}", 4, "p0", "nested too deeply")


def test_override_referring_to_itself_is_circular():
    from dgcq_sim.errors import ParameterError
    with pytest.raises(ParameterError, match="circular parameter definition: g -> g"):
        parse_netlist(f"t\n.param g=2\n{OK}", params={"g": "{g*2}"})
