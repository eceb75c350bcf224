"""The safe expression evaluator: precedence, functions, errors, and agreement with ngspice."""

from __future__ import annotations

import math

import pytest

from dgcq_sim.errors import NetlistError
from dgcq_sim.netlist import evaluate, parse_expression


@pytest.mark.parametrize("text, value", [
    ("1+2*3", 7.0), ("(1+2)*3", 9.0), ("10-4-3", 3.0), ("24/4/3", 2.0), ("2*3/4", 1.5),
    ("-2**2", -4.0), ("-2^2", -4.0), ("2^3^2", 64.0),        # ngspice: ^ left-associative
    ("2**-1", 0.5), ("2^-1", 0.5), ("-(-3)", 3.0), ("+4", 4.0), ("--4", 4.0),
    ("2*-3", -6.0), ("1k*2", 2000.0), ("1e-12*1e12", 1.0), ("3p/1p", 3.0),
    ("sqrt(16)", 4.0), ("exp(0)", 1.0), ("log(exp(2))", 2.0), ("ln(exp(3))", 3.0),
    ("log10(1000)", 3.0), ("min(3,1,2)", 1.0), ("max(3, 1, 2)", 3.0), ("abs(-2.5)", 2.5),
    ("pow(2,10)", 1024.0), ("PI", math.pi), ("2*pi", 2 * math.pi), ("SQRT(4)+Max(1,2)", 4.0),
])
def test_arithmetic_precedence_and_functions(text, value):
    assert evaluate(text) == pytest.approx(value, rel=1e-14)


def test_names_are_case_insensitive_and_collected():
    expr = parse_expression("Gain*CF + max(a, 2*pi)")
    assert expr.names == {"gain", "cf", "a"}
    assert expr.evaluate({"gain": 2.0, "cf": 3.0, "a": 1.0}) == pytest.approx(6.0 + 2 * math.pi)


@pytest.mark.parametrize("text, fragment", [
    ("", "empty expression"), ("2*", "ends too early"), ("1 2", "unexpected '2'"),
    ("(1+2", "missing ')'"), ("1+2)", "unexpected ')'"), ("foo(1)", "unknown function 'foo'"),
    ("sqrt(1,2)", "sqrt() takes 1 arguments, got 2"), ("pow(1)", "pow() takes 2 arguments, got 1"), ("1 ? 2", "missing ':'"),
    ("1 & 2", "unexpected character '&'"), ("__import__('os')", "unexpected character"),
    ("a.b", "unexpected character '.'"),
])
def test_syntax_errors_name_the_problem(text, fragment):
    with pytest.raises(NetlistError) as exc:
        parse_expression(text)
    assert fragment in str(exc.value)


@pytest.mark.parametrize("text, fragment", [
    ("1/0", "division by zero"), ("sqrt(-1)", "math error"), ("log(0)", "math error"),
    ("(-8)^(1/3)", "math error"), ("exp(1000)", "math error"), ("x+1", "undefined parameter 'x'"),
])
def test_evaluation_errors_name_the_problem(text, fragment):
    with pytest.raises(NetlistError) as exc:
        evaluate(text)
    assert fragment in str(exc.value)


@pytest.mark.ngspice
def test_expression_semantics_agree_with_ngspice(ngspice):
    """Same .param expressions through ngspice and through our evaluator (ngspice .param has no pi)."""
    exprs = ["-2**2", "2^3^2", "2**-1", "log(100)", "log10(100)", "sqrt(2)*3", "min(3,1)+max(2,5)",
             "abs(-2.5)", "pow(2,3)", "10-4-3", "24/4/3", "exp(1)", "1k*2m", "-(3+4)*2"]
    params = " ".join(f"p{k}={{{e}}}" for k, e in enumerate(exprs))
    lines = ["expression check", f".param {params}"]
    for k in range(len(exprs)):
        lines += [f"V{k} n{k} 0 {{p{k}}}", f"R{k} n{k} 0 1"]
    got = ngspice("\n".join(lines))
    for k, e in enumerate(exprs):
        assert math.isclose(got[f"n{k}"], evaluate(e), rel_tol=1e-5), e
