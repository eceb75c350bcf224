"""Syntax, elements, waveforms and switch models of the netlist subset."""

from __future__ import annotations

from dataclasses import astuple
from pathlib import Path

import pytest

from dgcq_sim.netlist import (Capacitor, Circuit, Dc, ISource, Pulse, Pwl, Resistor, SourceLoc,
                              Switch, SwitchModel, Tran, Vcvs, VSource, load_netlist, parse_netlist)

DATA = Path(__file__).parent / "data"


def test_title_comments_continuations_and_case():
    text = """* this first line is the title, even though it looks like a comment
* a comment
   * an indented comment

R1 IN Out 1k ; inline comment
r2 out GND 2k $ another inline comment
V1 in 0
+ DC
+ 1.5   $ continued value
.END
"""
    c = parse_netlist(text, path="x.cir")
    assert c.title == "* this first line is the title, even though it looks like a comment"
    assert c.nodes == ("in", "out")
    assert c.element("R1") == Resistor("r1", "in", "out", 1e3, SourceLoc("x.cir", 5))
    assert c.element("r2").n2 == "0"
    assert c.element("v1") == VSource("v1", "in", "0", Dc(1.5), SourceLoc("x.cir", 7))
    assert c.path == "x.cir" and c.tran is None


def test_dollar_inside_a_word_is_not_a_comment():
    c = parse_netlist("t\nV1 a$b 0 1\nR1 a$b 0 1\n")
    assert c.nodes == ("a$b",)


def test_everything_after_end_is_ignored():
    c = parse_netlist("t\nV1 a 0 1\nR1 a 0 1\n.end\nthis is not a card\nL1 a 0 1u\n")
    assert len(c.elements) == 2


def test_control_block_is_skipped():
    text = "t\nV1 a 0 1\n.control\nrun\nset x = 3\nplot v(a)\n.endc\nR1 a 0 1\n"
    c = parse_netlist(text)
    assert [e.name for e in c.elements] == ["v1", "r1"]


def test_nodes_in_order_of_first_appearance_including_control_nodes():
    c = parse_netlist("t\nV1 b 0 1\nE1 c 0 b 0 2\nR1 c a 1\nR2 a 0 1\nR3 b 0 1\n")
    assert c.nodes == ("b", "c", "a")


@pytest.mark.parametrize("spec, wave", [
    ("3", Dc(3.0)), ("DC 3", Dc(3.0)), ("dc {1+2}", Dc(3.0)), ("3V", Dc(3.0)),
    ("PULSE(0 1 1n 2n 3n 4n 10n)", Pulse(0, 1, 1e-9, 2e-9, 3e-9, 4e-9, 10e-9)),
    ("pulse 0 1 1n 2n 3n 4n 10n", Pulse(0, 1, 1e-9, 2e-9, 3e-9, 4e-9, 10e-9)),
    ("PULSE(0, 1, 1n, 2n, 3n, 4n, 10n)", Pulse(0, 1, 1e-9, 2e-9, 3e-9, 4e-9, 10e-9)),
    ("PULSE (0 1 1n 2n 3n 4n 0)", Pulse(0, 1, 1e-9, 2e-9, 3e-9, 4e-9, 0.0)),
    ("DC 0 PULSE(0 1 1n 2n 3n 4n 10n)", Pulse(0, 1, 1e-9, 2e-9, 3e-9, 4e-9, 10e-9)),
    # missing trailing args take ngspice defaults: td=0, tr=tf=tstep, pw=per=tstop
    ("PULSE(0 1)", Pulse(0, 1, 0, 1e-10, 1e-10, 1e-7, 1e-7)),
    ("PULSE(0 1 5n 1n)", Pulse(0, 1, 5e-9, 1e-9, 1e-10, 1e-7, 1e-7)),
    ("PWL(0 0 1n 1 2n 0.5)", Pwl((0.0, 1e-9, 2e-9), (0.0, 1.0, 0.5))),
    ("pwl 0 0, 1n 1", Pwl((0.0, 1e-9), (0.0, 1.0))),
])
def test_source_waveforms(spec, wave):
    c = parse_netlist(f"t\nV1 a 0 {spec}\nR1 a 0 1\nI1 0 a {spec}\n.tran 0.1n 100n\n")
    assert c.element("v1").wave == wave
    assert c.element("i1") == ISource("i1", "0", "a", wave, SourceLoc("<string>", 4))


def test_pulse_with_all_seven_values_needs_no_tran():
    c = parse_netlist("t\nV1 a 0 PULSE(0 1 0 1p 1p 5n 10n)\nR1 a 0 1\n")
    assert c.element("v1").wave == Pulse(0, 1, 0, 1e-12, 1e-12, 5e-9, 1e-8)


def test_switch_models_defaults_case_and_forward_reference():
    text = """t
S1 a b ctl 0 SWA
S2 b 0 ctl 0 swb
V1 a 0 1
Vc ctl 0 1
.model swa SW(RON=10 ROFF=1G VT=0.5 VH=0.1)
.model SWB sw
.model swc sw ron=5, roff = 1meg
"""
    c = parse_netlist(text)
    assert c.models["swa"] == SwitchModel("swa", 10.0, 1e9, 0.5, 0.1, SourceLoc("<string>", 6))
    assert c.models["swb"] == SwitchModel("swb", 1.0, 1e12, 0.0, 0.0, SourceLoc("<string>", 7))
    assert (c.models["swc"].ron, c.models["swc"].roff) == (5.0, 1e6)
    s1 = c.element("s1")
    assert isinstance(s1, Switch) and (s1.n1, s1.n2, s1.cp, s1.cn) == ("a", "b", "ctl", "0")
    assert s1.model is c.models["swa"]


def test_vcvs_and_tran():
    c = parse_netlist("t\nV1 a 0 1\nR1 a 0 1\nE1 o 0 a 0 -1e3\nR2 o 0 1\n.tran 1n 1u 10n 2n\n")
    assert c.element("e1") == Vcvs("e1", "o", "0", "a", "0", -1e3, SourceLoc("<string>", 4))
    assert c.tran == Tran(1e-9, 1e-6, 1e-8, 2e-9, SourceLoc("<string>", 6))


def test_sc_integrator_round_trip():
    """A realistic switched-capacitor netlist: every value, node and model as written."""
    c = load_netlist(DATA / "sc_integrator.cir")
    path = str(DATA / "sc_integrator.cir")
    assert isinstance(c, Circuit) and c.path == path
    assert c.title.startswith("Switched-capacitor integrator")
    assert c.params == pytest.approx({"vdd": 1.0, "cs": 100e-15, "cf": 400e-15, "gain": 1e3,
                                      "ron": 1e3, "roff": 1e12, "tclk": 10e-9, "vin": 0.3,
                                      "tr": 0.1e-9})
    assert c.nodes == ("phi1", "phi2", "in", "ref", "top", "x", "vm", "out")
    assert [e.name for e in c.elements] == ["vphi1", "vphi2", "vin", "vref", "s1", "s2", "cs", "s3",
                                           "s4", "cf", "eamp", "rleak", "ipar"]
    assert astuple(c.element("vphi1").wave) == pytest.approx((0, 1, 0, 1e-10, 1e-10, 4.8e-9, 1e-8, 0))
    ph2 = c.element("vphi2")
    assert ph2.neg == "0" and ph2.wave.td == pytest.approx(5e-9)
    assert c.element("vin").wave == Dc(0.3) and c.element("vref").wave == Dc(0.5)
    assert c.element("cs") == Capacitor("cs", "top", "x", pytest.approx(1e-13), SourceLoc(path, 15))
    assert c.element("cf").c == pytest.approx(4e-13)
    assert c.element("eamp") == Vcvs("eamp", "out", "0", "0", "vm", 1e3, SourceLoc(path, 19))
    assert c.element("rleak").r == 1e9
    assert c.element("ipar").wave == Pwl((0.0, 5e-9, 10e-9), (0.0, 1e-12, 0.0))
    assert c.element("ipar").loc.line == 21
    model = c.models["swm"]
    assert (model.ron, model.roff, model.vt, model.vh) == (1e3, 1e12, 0.5, 0.0)
    assert all(s.model is model for s in c.of_type(Switch))
    assert c.tran.tstep == pytest.approx(1e-10) and c.tran.tstop == pytest.approx(1e-7)
    assert len(c.of_type(Switch)) == 4 and len(c.of_type(VSource)) == 4


def test_sc_integrator_overrides_follow_dependencies():
    c = load_netlist(DATA / "sc_integrator.cir", params={"cs": "200f", "tclk": 20e-9})
    assert c.element("cf").c == pytest.approx(800e-15)          # cf = 4*cs
    assert c.element("vphi1").wave.per == pytest.approx(20e-9)
    assert c.element("vphi1").wave.tr == pytest.approx(0.2e-9)  # tr = tclk/100


@pytest.mark.ngspice
def test_sc_integrator_runs_in_ngspice(tmp_path):
    """The subset is real SPICE: ngspice accepts the same file without errors."""
    import shutil
    import subprocess
    exe = shutil.which("ngspice")
    assert exe is not None, "ngspice binary not found on PATH"
    proc = subprocess.run([exe, "-b", str(DATA / "sc_integrator.cir")], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    out = proc.stdout + proc.stderr
    assert "error" not in out.lower() and "No. of Data Rows" in out, out


def pulse_value(p: Pulse, t: float) -> float:
    """ngspice PULSE waveform (reference for the defaults test): linear edges, period per."""
    if t < p.td:
        return p.v1
    tt = (t - p.td) % p.per if p.per > 0 else t - p.td
    if tt < p.tr:
        return p.v1 + (p.v2 - p.v1) * tt / p.tr
    if tt < p.tr + p.pw:
        return p.v2
    if tt < p.tr + p.pw + p.tf:
        return p.v2 + (p.v1 - p.v2) * (tt - p.tr - p.pw) / p.tf
    return p.v1


@pytest.mark.ngspice
def test_pulse_defaults_match_ngspice(tmp_path):
    """PULSE with missing trailing values: our filled-in Pulse reproduces ngspice's waveform."""
    import re
    import shutil
    import subprocess
    body = "pulse defaults\nV1 a 0 PULSE(0 1 1n)\nR1 a 0 1\nV2 b 0 PULSE(0 2 1n 0.2n)\nR2 b 0 1\n" \
           ".tran 0.5n 20n\n"
    c = parse_netlist(body)
    assert c.element("v1").wave == Pulse(0, 1, 1e-9, 0.5e-9, 0.5e-9, 20e-9, 20e-9)
    exe = shutil.which("ngspice")
    assert exe is not None, "ngspice binary not found on PATH"
    path = tmp_path / "p.cir"
    path.write_text(body + ".control\nrun\nprint v(a) v(b)\n.endc\n.end\n", encoding="utf-8")
    out = subprocess.run([exe, "-b", str(path)], capture_output=True, text=True, timeout=60).stdout
    rows = [tuple(map(float, r)) for r in re.findall(r"^\d+\s+(\S+)\s+(\S+)\s+(\S+)\s*$", out, re.M)]
    assert len(rows) > 20, out
    for t, va, vb in rows:
        assert va == pytest.approx(pulse_value(c.element("v1").wave, t), abs=1e-9)
        assert vb == pytest.approx(pulse_value(c.element("v2").wave, t), abs=1e-9)


def test_windows_line_endings_and_tabs():
    c = parse_netlist("t\r\nV1\ta\t0\t1\r\nR1 a 0\r\n+ 2k\r\n")
    assert c.element("r1").r == 2e3 and c.element("r1").loc.line == 3
