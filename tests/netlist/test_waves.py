"""SIN, EXP, SFFM, PULSE NP and PWL r=/td= as ngspice-39 reads them."""

import pytest

from dgcq_sim.errors import NetlistError
from dgcq_sim.netlist import Exp, Pulse, Pwl, Sffm, Sin, parse_netlist


def wave(spec, tran=".tran 1n 1u"):
    c = parse_netlist(f"t\nV1 a 0 {spec}\nR1 a 0 1k\n{tran}\n", path="w.cir")
    return c.element("v1").wave, c


def test_sin_all_fields_and_defaults():
    assert wave("SIN(0.1 1 1k 2u 500 30)")[0] == Sin(0.1, 1.0, 1e3, 2e-6, 500.0, 30.0)
    assert wave("SIN(0 1)")[0] == Sin(0.0, 1.0, 1e6, 0.0, 0.0, 0.0)        # freq = 1/tstop
    w, c = wave("DC 0 SIN(0 1 0) AC 1")
    assert w.freq == 1e6 and any("freq=0 read as 1e+06" in n for n in c.ignored)


def test_exp_defaults_follow_ngspice():
    assert wave("EXP(0 1 1u 2u 5u 1u)")[0] == Exp(0.0, 1.0, 1e-6, 2e-6, 5e-6, 1e-6)
    # TD1 = TAU1 = TAU2 = TSTEP, TD2 = TD1 + TSTEP when missing or zero
    assert wave("EXP(0 1)")[0] == Exp(0.0, 1.0, 1e-9, 1e-9, 2e-9, 1e-9)
    assert wave("exp 0 1 0 3n")[0] == Exp(0.0, 1.0, 1e-9, 3e-9, 2e-9, 1e-9)


def test_sffm_fields():
    assert wave("SFFM(0 1 10k 2 1k 45 30)")[0] == Sffm(0.0, 1.0, 1e4, 2.0, 1e3, 45.0, 30.0)
    assert wave("SFFM(0.5 1)")[0] == Sffm(0.5, 1.0, 1e6, 0.0, 1e6, 0.0, 0.0)


def test_pulse_np_and_pwl_options():
    assert wave("PULSE(0 1 1n 1p 1p 5n 10n 3)")[0] == Pulse(0, 1, 1e-9, 1e-12, 1e-12, 5e-9, 1e-8, 3)
    assert wave("PULSE(0 1 1n 1p 1p 5n 10n)")[0].npulses == 0
    w = wave("PWL(0 0 1n 1 2n 0) r=1n td=0.5n")[0]
    assert w == Pwl((0.0, 1e-9, 2e-9), (0.0, 1.0, 0.0), 5e-10, 1e-9)
    assert wave("PWL 0 0 1n 1 2n 0 td=1n r=0")[0] == Pwl((0.0, 1e-9, 2e-9), (0.0, 1.0, 0.0), 1e-9, 0.0)
    assert wave("PWL(0 0 1n 1) r=-1")[0].r is None                    # ngspice: no repeat
    assert wave("PWL(0 0 1n 1)")[0] == Pwl((0.0, 1e-9), (0.0, 1.0))   # unchanged


def test_current_sources_take_them_too():
    c = parse_netlist("t\nI1 a 0 SIN(0 1m 1meg)\nR1 a 0 1k\n.tran 1n 1u\n")
    assert c.element("i1").wave == Sin(0.0, 1e-3, 1e6)


@pytest.mark.parametrize("spec, token, fragment", [
    ("SIN(0 1 1k 0 0 0 7)", "7", "at most 6 values"),
    ("EXP(0 1 1n 1n 1n 1n 9)", "9", "at most 6 values"),
    ("SFFM(0 1 1k 1 1k 0 0 8)", "8", "at most 7 values"),
    ("SIN(0 1 1k {-1})", "{-1}", "must be >= 0"),
    ("SFFM(0 1 1k 5000 1k)", "5000", "outside the supported range"),
    ("PWL(0 0 1n 1) r=1n", "1n", "before the last PWL time"),
    ("PWL(0 0 1n 1) td=1n td=2n", "td", "given twice"),
    ("PWL(0 0 1n 1) td=-1n", "-1n", "must be >= 0"),
])
def test_bad_values_name_the_token(spec, token, fragment):
    with pytest.raises(NetlistError) as exc:
        wave(spec)
    assert exc.value.line == 2 and exc.value.token == token and fragment in str(exc.value), str(exc.value)


def test_defaults_without_tran_are_an_error():
    with pytest.raises(NetlistError, match="takes its ngspice default from .tran"):
        parse_netlist("t\nV1 a 0 SIN(0 1)\nR1 a 0 1k\n")
    c = parse_netlist("t\nV1 a 0 SIN(0 1 1k)\nR1 a 0 1k\n")     # nothing to default
    assert c.element("v1").wave == Sin(0.0, 1.0, 1e3)
