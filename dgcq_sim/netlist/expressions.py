"""Safe arithmetic expressions for ``.param`` and ``{...}`` values.

A small recursive-descent parser (no ``eval``).  Grammar, loosest first, matching ngspice::

    expr   := term (('+' | '-') term)*
    term   := unary (('*' | '/') unary)*
    unary  := ('-' | '+') unary | power
    power  := atom (('**' | '^') exponent)*        # left-associative, as in ngspice
    exponent := ('-' | '+') exponent | atom
    atom   := NUMBER | NAME | NAME '(' expr (',' expr)* ')' | '(' expr ')'

So ``-2**2`` is -4 and ``2^3^2`` is (2^3)^2 = 64 (ngspice gives the same).  Numbers are
SPICE numbers (``1k``, ``2.2u``, ``1e-12``).  Names are parameters (case-insensitive) or
the constant ``pi``.  Functions: ``sqrt exp log ln log10 min max abs pow``; ``log`` is the
natural logarithm, as in ngspice.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Mapping

from ..errors import NetlistError
from .values import UNIT_LETTERS, split_number

CONSTANTS: dict[str, float] = {"pi": math.pi}


def _pow(x: float, y: float) -> float:
    return math.pow(x, y)  # math.pow raises on (-8)**(1/3) instead of returning complex


def _min(*xs: float) -> float:
    return min(xs)


def _max(*xs: float) -> float:
    return max(xs)


# name -> (function, min args, max args or None)
FUNCTIONS: dict[str, tuple[Callable[..., float], int, int | None]] = {
    "sqrt": (math.sqrt, 1, 1),
    "exp": (math.exp, 1, 1),
    "log": (math.log, 1, 1),
    "ln": (math.log, 1, 1),
    "log10": (math.log10, 1, 1),
    "abs": (abs, 1, 1),
    "min": (_min, 2, None),
    "max": (_max, 2, None),
    "pow": (_pow, 2, 2),
}

_TOKEN = re.compile(
    r"\s*(?:"
    f"(?P<num>(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?[{UNIT_LETTERS}]*)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|[-+*/^(),])"
    r")"
)

# Tree nodes are tuples: ("num", v) ("name", n) ("neg", x) ("bin", op, a, b) ("call", f, args)
Node = tuple


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            bad = text[pos:].strip()
            raise NetlistError(f"unexpected character {bad[:1]!r} in expression '{text.strip()}'",
                               token=bad[:12])
        pos = m.end()
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.text = text.strip()
        self.tokens = _tokenize(text)
        self.i = 0

    def _error(self, what: str) -> NetlistError:
        return NetlistError(f"{what} in expression '{self.text}'", token=self.text)

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def _take_op(self, *ops: str) -> str | None:
        tok = self._peek()
        if tok is not None and tok[0] == "op" and tok[1] in ops:
            self.i += 1
            return tok[1]
        return None

    def parse(self) -> Node:
        if not self.tokens:
            raise self._error("empty expression")
        node = self._expr()
        if self.i != len(self.tokens):
            raise self._error(f"unexpected '{self.tokens[self.i][1]}'")
        return node

    def _expr(self) -> Node:
        node = self._term()
        while (op := self._take_op("+", "-")) is not None:
            node = ("bin", op, node, self._term())
        return node

    def _term(self) -> Node:
        node = self._unary()
        while (op := self._take_op("*", "/")) is not None:
            node = ("bin", op, node, self._unary())
        return node

    def _unary(self) -> Node:
        if (op := self._take_op("-", "+")) is not None:
            inner = self._unary()
            return ("neg", inner) if op == "-" else inner
        return self._power()

    def _power(self) -> Node:
        node = self._atom()
        while self._take_op("**", "^") is not None:
            node = ("bin", "^", node, self._exponent())
        return node

    def _exponent(self) -> Node:
        if (op := self._take_op("-", "+")) is not None:
            inner = self._exponent()
            return ("neg", inner) if op == "-" else inner
        return self._atom()

    def _atom(self) -> Node:
        tok = self._peek()
        if tok is None:
            raise self._error("expression ends too early")
        kind, text = tok
        self.i += 1
        if kind == "num":
            try:
                parsed = split_number(text)
            except NetlistError as err:
                raise self._error(f"bad number '{text[:40]}': {err.reason}") from None
            if parsed is None:
                raise self._error(f"bad number '{text[:40]}'")
            return ("num", parsed[0])
        if kind == "name":
            name = text.lower()
            if self._take_op("(") is not None:
                return self._call(name)
            return ("name", name)
        if text == "(":
            node = self._expr()
            if self._take_op(")") is None:
                raise self._error("missing ')'")
            return node
        raise self._error(f"unexpected '{text}'")

    def _call(self, name: str) -> Node:
        if name not in FUNCTIONS:
            raise self._error(f"unknown function '{name}' (known: {', '.join(FUNCTIONS)})")
        args = [self._expr()]
        while self._take_op(",") is not None:
            args.append(self._expr())
        if self._take_op(")") is None:
            raise self._error(f"missing ')' after arguments of {name}()")
        _, lo, hi = FUNCTIONS[name]
        if len(args) < lo or (hi is not None and len(args) > hi):
            want = str(lo) if lo == hi else (f"{lo} or more" if hi is None else f"{lo}..{hi}")
            raise self._error(f"{name}() takes {want} arguments, got {len(args)}")
        return ("call", name, tuple(args))


def _names(node: Node, out: set[str]) -> None:
    kind = node[0]
    if kind == "name":
        if node[1] not in CONSTANTS:
            out.add(node[1])
    elif kind == "neg":
        _names(node[1], out)
    elif kind == "bin":
        _names(node[2], out)
        _names(node[3], out)
    elif kind == "call":
        for arg in node[2]:
            _names(arg, out)


@dataclass(frozen=True)
class Expression:
    """A parsed expression: ``text`` as written, ``names`` = parameters it references."""

    text: str
    tree: Node
    names: frozenset[str]

    def evaluate(self, env: Mapping[str, float]) -> float:
        """Value of the expression with parameter values ``env`` (lower-case names).

        Raises NetlistError (without location; the caller adds it) naming an undefined
        parameter, or a math error (division by zero, sqrt/log of a bad argument, overflow).
        """
        try:
            value = self._eval(self.tree, env)
        except NetlistError:
            raise
        except RecursionError:
            raise NetlistError("expression is nested too deeply", token=self.text[:40]) from None
        except ZeroDivisionError:
            raise NetlistError(f"division by zero in expression '{self.text}'",
                               token=self.text) from None
        except (ValueError, OverflowError) as exc:
            raise NetlistError(f"math error ({exc}) in expression '{self.text}'",
                               token=self.text) from None
        if not math.isfinite(value):
            raise NetlistError(f"expression '{self.text}' is not finite ({value})", token=self.text)
        return float(value)

    def _eval(self, node: Node, env: Mapping[str, float]) -> float:
        kind = node[0]
        if kind == "num":
            return node[1]
        if kind == "name":
            name = node[1]
            if name in env:
                return env[name]
            if name in CONSTANTS:
                return CONSTANTS[name]
            raise NetlistError(f"undefined parameter '{name}' in expression '{self.text}'",
                               token=name)
        if kind == "neg":
            return -self._eval(node[1], env)
        if kind == "bin":
            a = self._eval(node[2], env)
            b = self._eval(node[3], env)
            op = node[1]
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if op == "/":
                return a / b
            return _pow(a, b)
        fn = FUNCTIONS[node[1]][0]
        return float(fn(*(self._eval(arg, env) for arg in node[2])))


@lru_cache(maxsize=8192)   # netlists repeat the same {expr} many times; Expression is immutable
def parse_expression(text: str) -> Expression:
    """Parse ``text`` (without braces) into an :class:`Expression`.

    Raises NetlistError (without location) for a syntax error, naming the expression.
    """
    try:
        tree = _Parser(text).parse()
        found: set[str] = set()
        _names(tree, found)
    except RecursionError:
        raise NetlistError("expression is nested too deeply", token=text.strip()[:40]) from None
    return Expression(text.strip(), tree, frozenset(found))


def evaluate(text: str, env: Mapping[str, float] | None = None) -> float:
    """Parse and evaluate ``text`` in one go (``env``: parameter values, lower-case names)."""
    return parse_expression(text).evaluate(env or {})
