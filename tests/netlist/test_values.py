"""SPICE numbers: suffix table, exponents, unit letters, and bad tokens."""

from __future__ import annotations

import math

import pytest

from dgcq_sim.errors import NetlistError
from dgcq_sim.netlist import parse_value

SUFFIX_TABLE = [
    ("1t", 1e12), ("1T", 1e12), ("1g", 1e9), ("2G", 2e9), ("1meg", 1e6), ("1MEG", 1e6),
    ("1Meg", 1e6), ("3k", 3e3), ("3K", 3e3), ("1m", 1e-3), ("1M", 1e-3), ("1u", 1e-6),
    ("1U", 1e-6), ("1n", 1e-9), ("1N", 1e-9), ("1p", 1e-12), ("1P", 1e-12), ("1f", 1e-15),
    ("1F", 1e-15),
]


@pytest.mark.parametrize("token, value", SUFFIX_TABLE)
def test_scale_suffixes(token, value):
    assert parse_value(token) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize("token, value", [
    ("0", 0.0), ("42", 42.0), ("-3", -3.0), ("+2.5", 2.5), (".5", 0.5), ("5.", 5.0),
    ("1e-12", 1e-12), ("1.5E3", 1500.0), ("2e+2", 200.0), ("-1.25e-3", -1.25e-3),
    ("1e3k", 1e6),                      # exponent and suffix combine
])
def test_plain_numbers_and_exponents(token, value):
    assert parse_value(token) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize("token, value", [
    ("1pF", 1e-12), ("10kOhm", 1e4), ("5ns", 5e-9), ("1V", 1.0), ("3.3v", 3.3),
    ("2.2uF", 2.2e-6), ("1megohm", 1e6), ("100mV", 0.1), ("7A", 7.0), ("1s", 1.0),
    # the classic SPICE traps: unit letters are scanned for a suffix first
    ("1MHz", 1e-3), ("1F", 1e-15), ("1Farad", 1e-15), ("1a", 1.0),
])
def test_trailing_unit_letters_are_ignored_after_suffix(token, value):
    assert parse_value(token) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize("token", ["k", "abc", "1.2.3", "1k5", "--1", "{1}", "1 2", "0x10", "1_0"])
def test_bad_tokens_raise_netlist_error_naming_the_token(token):
    with pytest.raises(NetlistError) as exc:
        parse_value(token)
    assert f"(near '{token}')" in str(exc.value)


def test_empty_token_is_rejected():
    with pytest.raises(NetlistError, match="empty value"):
        parse_value("  ")


def test_overflow_is_rejected():
    with pytest.raises(NetlistError, match="not finite"):
        parse_value("1e400")


def test_non_string_is_rejected():
    with pytest.raises(NetlistError):
        parse_value(1.0)  # type: ignore[arg-type]


@pytest.mark.ngspice
def test_suffixes_agree_with_ngspice(ngspice):
    tokens = ["1.5meg", "2k", "3m", "4u", "5n", "7p", "9f", "1MHz", "2kOhm", "1e-3", "2.5E2", "1a",
              "1g", "1t"]
    lines = ["suffix check"]
    for k, tok in enumerate(tokens):
        lines += [f"V{k} n{k} 0 {tok}", f"R{k} n{k} 0 1"]
    got = ngspice("\n".join(lines))
    for k, tok in enumerate(tokens):
        assert math.isclose(got[f"n{k}"], parse_value(tok), rel_tol=1e-6), tok
