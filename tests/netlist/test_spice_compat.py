"""Designers' own SPICE decks: what ngspice accepts parses (or is refused with the real cause).

Each behaviour here was checked against ngspice 39 (``ngspice -b``); the ``ngspice`` tests
repeat the checks that ngspice can answer directly.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import time

import pytest

from dgcq_sim.errors import NetlistError, ParameterError
from dgcq_sim.netlist import Dc, Pulse, Pwl, SourceLoc, Tran, load_netlist, parse_netlist, parse_value
from dgcq_sim.netlist.cards import IGNORED_CARDS
from dgcq_sim.netlist.limits import LIMITS

OK = "V1 a 0 1\nR1 a 0 1k\n"


def error_of(text: str, **kw) -> NetlistError:
    with pytest.raises(NetlistError) as exc:
        parse_netlist(text, path="d.cir", **kw)
    return exc.value


# --------------------------------------------------------------------------- 1. ignored cards

@pytest.mark.parametrize("keyword", sorted(IGNORED_CARDS))
def test_cards_that_do_not_change_a_transient_are_ignored_and_noted(keyword):
    card = {".temp": ".temp 27", ".global": ".global gnd"}.get(keyword, f"{keyword} v(a) foo=1")
    c = parse_netlist(f"t\n{OK}{card}\n.tran 1n 10n\n", path="d.cir")
    ref = parse_netlist(f"t\n{OK}.tran 1n 10n\n", path="d.cir")
    assert c.elements == ref.elements and c.tran.tstop == ref.tran.tstop
    assert c.ignored == (f"d.cir:4: {keyword} ignored ({IGNORED_CARDS[keyword]})",)


def test_ignored_note_text_and_one_note_per_card_even_when_continued():
    c = parse_netlist(f"t\n{OK}.print tran v(a)\n.meas tran avg_a AVG v(a)\n+ FROM=1n\n+ TO=2n\n"
                      ".options reltol=1e-4 method=gear\n", path="d.cir")
    assert c.ignored == (
        "d.cir:4: .print ignored (output directive; every node is available in the result)",
        "d.cir:5: .meas ignored (measurement; compute it from the result)",
        "d.cir:8: .options ignored (simulator options do not apply to the phase-exact engine)",
    )


def test_defaults_of_the_new_circuit_fields():
    c = parse_netlist(f"t\n{OK}")
    assert c.ignored == () and c.temperature_c is None
    from dgcq_sim.netlist import Circuit
    assert Circuit("t", ()).ignored == () and Circuit("t", ()).temperature_c is None


@pytest.mark.parametrize("spec, wave, note", [
    ("DC 0 AC 1", Dc(0.0), "'AC 1'"),
    ("AC 1", Dc(0.0), "'AC 1'"),             # ngspice: the transient value is 0
    ("DC 2 AC 1 90", Dc(2.0), "'AC 1 90'"),
    ("1 AC 1", Dc(1.0), "'AC 1'"),
    ("AC", Dc(0.0), "'AC'"),
    ("dc {1+1} ac {2} 45", Dc(2.0), "'ac {2} 45'"),
    ("AC 1 PULSE(0 1 0 1p 1p 5n 10n)", Pulse(0, 1, 0, 1e-12, 1e-12, 5e-9, 1e-8), "'AC 1'"),
])
def test_ac_spec_on_sources_is_ignored(spec, wave, note):
    c = parse_netlist(f"t\nV1 a 0 {spec}\nR1 a 0 1\nI1 0 a {spec}\n", path="d.cir")
    assert c.element("v1").wave == wave and c.element("i1").wave == wave
    assert c.ignored == (f"d.cir:2: v1: {note} ignored (small-signal specification; no effect "
                         "on a transient)",
                         f"d.cir:4: i1: {note} ignored (small-signal specification; no effect "
                         "on a transient)")


def test_ac_value_must_still_be_a_value():
    err = error_of("t\nV1 a 0 AC {1/0}\nR1 a 0 1\n")
    assert err.line == 2 and "division by zero" in str(err)


@pytest.mark.parametrize("cards, temp", [
    (".temp 50", 50.0),
    (".options temp=60 reltol=1e-4", 60.0),
    (".option TEMP = -40", -40.0),
    (".temp 50\n.options temp=60\n.temp 40", 40.0),     # ngspice: the last .temp wins ...
    (".options temp=60\n.temp 50", 50.0),               # ... over any .options temp
    (".options temp=60\n.options temp=65", 65.0),
    (".param t=85\n.temp {t}", 85.0),
])
def test_temperature_is_recorded(cards, temp):
    assert parse_netlist(f"t\n{OK}{cards}\n").temperature_c == temp


@pytest.mark.parametrize("card, token, fragment", [
    (".temp 10 20", "20", ".temp takes one temperature"),
    (".temp", ".temp", ".temp takes one temperature"),
    (".temp -300", "-300", ".temp -300 degC is outside the supported range [-273.15, 1000] degC"),
    (".options temp=1e9", "1e9", "outside the supported range"),
])
def test_bad_temperature(card, token, fragment):
    err = error_of(f"t\n{OK}{card}\n")
    assert err.line == 4 and err.token == token and fragment in str(err)


def test_gnd_is_ground_with_or_without_global():
    for extra in ("", ".global gnd\n"):
        c = parse_netlist(f"t\n{extra}V1 a GND 1\nR1 a b 1k\nR2 b Gnd 1k\n")
        assert c.nodes == ("a", "b") and c.element("r2").n2 == "0"


def test_dc_value_with_a_pwl_takes_the_pwl():
    c = parse_netlist("t\nV1 a 0 DC 1 PWL(0 3 1n 4)\nR1 a 0 1\n")
    assert c.element("v1").wave == Pwl((0.0, 1e-9), (3.0, 4.0))


# --------------------------------------------------------------------------- 2. .control tran

def test_tran_command_of_a_control_block_is_the_analysis():
    text = (f"t\n{OK}V2 b 0 PULSE(0 1)\nR2 b 0 1\n.control\nset x = 1\ntran 0.1n 100n 0 1n\n"
            "run\nplot v(a)\n.endc\n")
    c = parse_netlist(text, path="d.cir")
    assert c.tran == Tran(1e-10, 1e-7, 0.0, 1e-9, SourceLoc("d.cir", 8))
    assert c.element("v2").wave == Pulse(0, 1, 0, 1e-10, 1e-10, 1e-7, 1e-7)   # defaults from it
    assert c.ignored == (
        "d.cir:6: .control block ignored (ngspice commands; a 'tran' command in it is used when "
        "there is no .tran card)",
        "d.cir:8: the .control block's 'tran' command is the analysis (the netlist has no .tran card)",
    )


def test_a_tran_card_wins_over_the_control_tran():
    c = parse_netlist(f"t\n{OK}.tran 1n 10n\n.control\ntran 1n 20n\n.endc\n")
    assert c.tran.tstop == 1e-8 and c.tran.loc.line == 4


@pytest.mark.parametrize("command, token, fragment", [
    ("tran 0 1u", "0", "tran tstep must be > 0"),
    ("tran 1n", "1n", "tran needs 'tstep tstop"),
    ("tran 1n {tx}", "{tx}", "undefined parameter 'tx'"),
])
def test_bad_control_tran_names_its_line(command, token, fragment):
    err = error_of(f"t\n{OK}.control\n{command}\n.endc\n")
    assert str(err).startswith("d.cir:5: ") and err.token == token and fragment in str(err)


def test_cli_warns_about_ignored_cards_and_names_the_file_without_tran(tmp_path, capsys):
    from dgcq_sim.cli import main
    path = tmp_path / "deck.cir"
    path.write_text(f"t\n{OK}.print tran v(a)\n.control\ntran 1n 10n\n.endc\n")
    assert main(["tran", str(path), "--at", "5n", "--json"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [f"warning: {path}:4: .print ignored (output directive; every node is available "
                   "in the result)",
                   f"warning: {path}:5: .control block ignored (ngspice commands; a 'tran' command "
                   "in it is used when there is no .tran card)",
                   f"warning: {path}:6: the .control block's 'tran' command is the analysis (the "
                   "netlist has no .tran card)"]
    path.write_text(f"t\n{OK}")
    assert main(["tran", str(path)]) == 1
    assert f"error: {path}: has no .tran card" in capsys.readouterr().err


# --------------------------------------------------------------------------- 3. values

RKM = [("4K7", 4700.0), ("2R2", 2.2), ("1M5", 1.5e-3), ("4u7", 4.7e-6), ("47K3", 47.3e3),
       ("4Meg7", 4.7e6), ("4k75", 4750.0), ("-4k7", -4700.0), ("4G7", 4.7e9), ("4k7ohm", 4700.0),
       ("4µ7", 4.7e-6)]


@pytest.mark.parametrize("token, value", [(t, v) for t, v in RKM if v > 0])
def test_rkm_values_in_resistors_and_capacitors(token, value):
    c = parse_netlist(f"t\n{OK}R2 a 0 {token}\n" + (f"C2 a 0 {token}\n" if value <= 1 else ""))
    assert c.element("r2").r == pytest.approx(value, rel=1e-15)
    if value <= 1:                          # within the capacitance range
        assert c.element("c2").c == pytest.approx(value, rel=1e-15)


def test_plain_numbers_and_units_are_not_rkm():
    c = parse_netlist(f"t\n{OK}R2 a 0 470R\nR3 a 0 4K\nC2 a 0 4p7F\n")
    assert (c.element("r2").r, c.element("r3").r, c.element("c2").c) == (470.0, 4000.0, 4.7e-12)


@pytest.mark.parametrize("card, token", [("V2 b 0 4k7", "4k7"), ("R2 a 0 {4k7}", "{4k7}"),
                                         (".tran 1n 1u5", "1u5")])
def test_rkm_outside_r_and_c_values_is_refused_with_a_hint(card, token):
    err = error_of(f"t\n{OK}{card}\nR9 b 0 1\n")
    assert err.line == 4 and err.token == token
    if not token.startswith("{"):
        assert "RKM notation such as 4k7 is read only in R and C values" in str(err)


@pytest.mark.parametrize("token, value", [("1µ", 1e-6), ("4.7µF", 4.7e-6), ("1kΩ", 1e3),
                                          ("10Ω", 10.0), ("2.2kohm", 2.2e3), ("1MΩ", 1e-3),
                                          ("3Ω", 3.0)])
def test_micro_sign_and_ohm_units(token, value):
    assert parse_value(token) == pytest.approx(value, rel=1e-15)
    assert parse_netlist(f"t\nV1 a 0 1\nR1 a 0 {token}\n".replace("R1 a 0 1µ", "R1 a 0 1µ")) \
        .element("r1").r == pytest.approx(value, rel=1e-15)


def test_greek_mu_is_refused_with_a_hint():
    err = error_of(f"t\n{OK}C2 a 0 1μ\n")
    assert err.line == 4 and "Greek mu U+03BC is not a scale suffix" in str(err)
    assert parse_value("1{}".format("µ")) == 1e-6


@pytest.mark.ngspice
def test_values_agree_with_ngspice(tmp_path):
    """µ, Ω, ohm and plain values as ngspice reads them; RKM as ngspice reads it in lt mode."""
    exe = shutil.which("ngspice")
    assert exe is not None, "ngspice binary not found on PATH"

    def op(lines: list[str], cwd) -> dict[str, float]:
        deck = cwd / "v.cir"
        deck.write_text("\n".join(["values", *lines, ".control", "op", "print all", ".endc", ".end"])
                        + "\n", encoding="utf-8")
        out = subprocess.run([exe, "-b", str(deck)], capture_output=True, text=True, timeout=60,
                             cwd=cwd).stdout
        return {k: float(v) for k, v in re.findall(r"^(n\d+) = (\S+)$", out, re.M)}

    plain = ["1µ", "4.7µ", "1kΩ", "10ohm", "2.2kOhm", "1e3k", "5ns"]
    got = op([f"V{k} n{k} 0 {t}\nR{k} n{k} 0 1" for k, t in enumerate(plain)], tmp_path)
    for k, tok in enumerate(plain):
        assert math.isclose(got[f"n{k}"], parse_value(tok), rel_tol=1e-6), tok
    lt = tmp_path / "lt"
    lt.mkdir()
    (lt / ".spiceinit").write_text("set ngbehavior=lt\n")
    tokens = [t for t, v in RKM if v > 0]
    got = op([f"I{k} 0 n{k} 1\nR{k} n{k} 0 {t}" for k, t in enumerate(tokens)], lt)
    c = parse_netlist("t\n" + "\n".join(f"I{k} 0 n{k} 1\nR{k} n{k} 0 {t}" for k, t in enumerate(tokens)))
    for k, tok in enumerate(tokens):
        assert math.isclose(got[f"n{k}"], c.element(f"r{k}").r, rel_tol=1e-6), tok


@pytest.mark.ngspice
def test_ac_specs_and_gnd_agree_with_ngspice(ngspice):
    text = ("ac specs\nV1 n1 0 DC 0 AC 1\nR1 n1 0 1\nV2 n2 0 AC 1\nR2 n2 0 1\nV3 n3 GND DC 2 AC 1 90\n"
            "R3 n3 0 1\nV4 n4 0 1 AC 1\nR4 n4 gnd 1\n.global gnd")
    got = ngspice(text)
    c = parse_netlist(text)
    for k in range(1, 5):
        assert got[f"n{k}"] == pytest.approx(c.element(f"v{k}").wave.value, abs=1e-12)


# --------------------------------------------------------------------------- 4. + 5. text

@pytest.mark.parametrize("sep", ["\x0c", "\x85", "\u2028", "\u2029", "\x1c", "\x1d", "\x1e", "\x0b"])
def test_only_newlines_end_a_line(sep):
    text = f"title{sep}more title\nV1 a 0 1\n* comment{sep}still comment\nR1 a 0 0\n"
    err = error_of(text)
    assert err.line == 4 and "resistance must be > 0" in str(err)


def test_form_feed_and_vertical_tab_separate_fields():
    c = parse_netlist("t\nV1\x0ca 0 1\nR1 a\x0b0 2k\n")
    assert c.element("r1").r == 2e3 and c.element("r1").loc.line == 3


@pytest.mark.parametrize("text, line", [("t\rV1 a 0 1\rR1 a 0 0\r", 3),
                                         ("t\r\nV1 a 0 1\r\n\r\nR1 a 0 0\r\n", 4),
                                         ("t\nV1 a 0 1\r\rR1 a 0 0\n", 4)])
def test_cr_and_crlf_line_ends(text, line):
    assert error_of(text).line == line


@pytest.mark.parametrize("char, name", [("\xa0", "U+00A0 (no-break space)"),
                                        ("\u2028", "U+2028 (line separator)"),
                                        ("\x00", "U+0000 (control character)"),
                                        ("\u200b", "U+200B (zero width space)"),
                                        ("\ufffd", "U+FFFD (replacement character)")])
def test_odd_characters_in_a_card_name_the_line(char, name):
    err = error_of(f"t\n* fine in a comment {char}\n{OK}R2 a{char}0 1k\n")
    assert err.line == 5 and f"character {name} cannot be part of a name or number" in str(err)


def test_odd_characters_in_the_title_and_comments_are_fine():
    c = parse_netlist(f"t\xa0\u2028itle\n* \x00\ufffd\n{OK}R2 a 0 1k ; \x85\n")
    assert c.title == "t\xa0\u2028itle" and len(c.elements) == 3


def test_utf8_node_names_parse():
    c = parse_netlist("t\nV1 nœud 0 1\nR1 nœud 0 1k\n")
    assert c.nodes == ("nœud",)


# --------------------------------------------------------------------------- 6. errors without a line

@pytest.mark.parametrize("content, fragment", [("", "empty netlist"),
                                               ("title\nV1 a b 1\nR1 a b 1\n", "no element connects to ground"),
                                               ("title\n* nothing\n", "netlist has no elements")])
def test_file_level_errors_name_the_file(tmp_path, content, fragment):
    path = tmp_path / "f.cir"
    path.write_text(content)
    with pytest.raises(NetlistError) as exc:
        load_netlist(path)
    assert str(exc.value).startswith(f"{path}: ") and fragment in str(exc.value)
    assert exc.value.path == str(path) and exc.value.line is None


# --------------------------------------------------------------------------- 7. numbers, ranges

@pytest.mark.parametrize("token", ["1e1000000", "1e" + "9" * 1000, "1" + "0" * 400, "-1e309",
                                   "1e308k", "1" * 1_000_000])
def test_numbers_that_overflow_a_float_are_netlist_errors(token):
    with pytest.raises(NetlistError, match="not finite"):
        parse_value(token)
    err = error_of(f"t\n{OK}V2 b 0 {token}\nR2 b 0 1\n")
    assert err.line == 4 and "bad source value: number is out of range" in str(err)
    err = error_of(f"t\n.param p={token}\n{OK}")
    assert err.line == 2 and "not finite" in str(err)
    with pytest.raises(ParameterError, match="override p=.*not finite"):
        parse_netlist(f"t\n.param p=1\n{OK}", params={"p": token})


@pytest.mark.parametrize("token, value", [("1e-1000000", 0.0), ("0e99999999", 0.0),
                                          ("0." + "0" * 5000 + "1e5000", 0.1),
                                          ("1" + "0" * 1000 + "e-1000", 1.0),
                                          ("0" * 100_000 + "3n", 3e-9),
                                          ("1.00000000000000011102230246251565404236316680908203126", 1.0000000000000002)])
def test_long_and_extreme_but_valid_numbers(token, value):
    assert parse_value(token) == value


def test_number_parsing_is_linear_in_the_token_length():
    for token in ["1" * 200_000 + ".", "1" * 200_000 + "x-", "1" * 200_000 + ".1.2", "9" * 200_000]:
        start = time.perf_counter()
        try:
            parse_value(token)
        except NetlistError:
            pass
        assert time.perf_counter() - start < 0.5, token[-5:]
    start = time.perf_counter()
    with pytest.raises(NetlistError):
        parse_netlist(f"t\n.param p={{{'1' * 100_000}.1.2}}\n{OK}")
    with pytest.raises(NetlistError):
        parse_netlist(f"t\n.param {'a' * 100_000}\n{OK}")
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("token", ["٣", "３", "1٣", "१०", "3２k"])
def test_only_ascii_digits_are_digits(token):
    with pytest.raises(NetlistError, match="only ASCII digits 0-9") as exc:
        parse_value(token)
    assert f"(near '{token}')" in str(exc.value)
    with pytest.raises(NetlistError, match="unexpected character"):
        parse_netlist(f"t\n.param p={{{token}*2}}\n{OK}")


def test_huge_python_int_override_is_a_parameter_error():
    with pytest.raises(ParameterError, match="overflows a float"):
        parse_netlist(f"t\n.param p=1\n{OK}", params={"p": 10 ** 400})
    with pytest.raises(ParameterError, match="digits"):
        parse_netlist(f"t\n.param p=1\n{OK}", params={"p": 10 ** 5000})


@pytest.mark.parametrize("card, token, fragment", [
    ("C2 a 0 1e300", "1e300", "C2: capacitance 1e+300 F is outside the supported range [1e-21, 1] F"),
    ("C2 a 0 1e-24", "1e-24", "capacitance 1e-24 F is outside the supported range"),
    ("R2 a 0 5e-324", "5e-324", "R2: resistance 4.94066e-324 ohm is outside the supported range "
                                "[1e-06, 1e+18] ohm"),
    ("R2 a 0 1e19", "1e19", "resistance 1e+19 ohm is outside"),
    (".model sw sw(roff=5e-324)", "5e-324", ".model sw: ROFF 4.94066e-324 ohm is outside the supported "
                                            "range [1e-06, 1e+18] ohm"),
    (".model sw sw(ron=1e-9)", "1e-9", ".model sw: RON 1e-09 ohm is outside"),
    (".model sw sw(vt=1e300)", "1e300", "VT 1e+300 V is outside the supported range |x| <= 1e+06 V"),
    (".tran 1n 5e-324", "5e-324", ".tran: tstop 4.94066e-324 s is outside the supported range "
                                  "[1e-18, 1000] s (near"),
    (".tran 1n 1u 1e-30", "1e-30", ".tran: tstart 1e-30 s is outside the supported range "
                                   "[1e-18, 1000] s (or 0)"),
    (".tran 1e-20 1u", "1e-20", ".tran: tstep 1e-20 s is outside"),
    (".tran 1n 1e4", "1e4", ".tran: tstop 10000 s is outside"),
    ("V2 b 0 1e300", "1e300", "V2: source value 1e+300 V is outside the supported range"),
    ("I2 b 0 DC -2e6", "-2e6", "I2: DC value -2e+06 A is outside the supported range |x| <= 1e+06 A"),
    ("E2 b 0 a 0 1e300", "1e300", "E2: gain 1e+300 V/V is outside the supported range"),
    ("V2 b 0 PULSE(0 1 1e-30 1p 1p 5n 10n)", "1e-30", "PULSE: td 1e-30 s is outside"),
    ("V2 b 0 PULSE(0 1e9 0 1p 1p 5n 10n)", "1e9", "PULSE: v2 1e+09 V is outside"),
    ("V2 b 0 PWL(0 0 1e300 1)", "1e300", "V2: PWL time 1e+300 s is outside"),
    ("V2 b 0 PWL(0 0 1n 1e300)", "1e300", "V2: PWL value 1e+300 V is outside"),
])
def test_values_outside_the_physical_range_are_refused(card, token, fragment):
    err = error_of(f"t\n{OK}{card}\nR9 b 0 1\nS9 a 9 a 0 sw\nR8 9 0 1\n.model sw sw\n"
                   .replace(".model sw sw\n", "" if card.startswith(".model") else ".model sw sw\n"))
    assert err.line == 4 and err.token == token, str(err)
    assert fragment in str(err), str(err)


def test_range_refusal_through_a_parameter_override():
    with pytest.raises(NetlistError, match=r"d.cir:3: R1: resistance 1e\+300 ohm is outside"):
        parse_netlist("t\n.param r=1k\nR1 a 0 {r}\nV1 a 0 1\n", path="d.cir", params={"r": 1e300})


def test_limits_table_bounds_are_inclusive():
    lo, hi = LIMITS["resistance"].lo, LIMITS["resistance"].hi
    c = parse_netlist(f"t\nV1 a 0 1\nR1 a 0 {lo!r}\nR2 a 0 {hi!r}\nC1 a 0 1\nC2 a 0 1e-21\n")
    assert c.element("r1").r == lo and c.element("r2").r == hi


# --------------------------------------------------------------------------- 8. order of errors

@pytest.mark.parametrize("card, fragment", [
    ("M1 d g 0 0 nmos", "semiconductor devices (MOSFET)"),
    (".subckt amp a b", "'.subckt' is never closed"), ("X1 a b amp", "unknown subcircuit 'amp'"),
    (".include models.lib", ".include file 'models.lib' not found"),
    (".lib x.lib tt", ".lib file 'x.lib' not found"), (".func f(x) {y(}", "expression"),
    ("V2 a 0 AM(0 {va} 1meg)", "AM sources"), ("W1 a 0 v1 wm", "current-controlled switches"),
    (".frobnicate", "unknown card"),
])
def test_card_problems_come_before_param_resolution(card, fragment):
    text = f"t\n.param vin={{undefined_name*2}}\n.param p={{1/0}}\n{OK}{card}\n"
    err = error_of(text)
    assert err.line == 6 and fragment in str(err), str(err)


def test_first_card_problem_in_file_order():
    err = error_of(f"t\n{OK}.param a={{b}}\nQ1 c b e npn\nL1 a 0 1u\n")
    assert err.line == 5 and "Q1" in str(err)
