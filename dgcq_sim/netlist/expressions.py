"""Safe arithmetic expressions for ``.param``, ``.func`` and ``{...}`` values.

A small recursive-descent parser (no ``eval``).  Grammar, loosest first, matching ngspice's
``.param`` expressions (numparam)::

    expr     := or ('?' expr ':' expr)?                 # ternary, right-associative
    or       := and ('||' and)*
    and      := equal ('&&' equal)*
    equal    := compare (('==' | '!=') compare)*
    compare  := sum (('<' | '<=' | '>' | '>=') sum)*
    sum      := term (('+' | '-') term)*
    term     := unary (('*' | '/' | '%') unary)*
    unary    := ('-' | '+' | '!') unary | power
    power    := atom (('**' | '^') exponent)*           # left-associative, as in ngspice
    exponent := ('-' | '+') exponent | atom
    atom     := NUMBER | NAME | NAME '(' [expr (',' expr)*] ')' | '(' expr ')'

So ``-2**2`` is -4, ``2^3^2`` is (2^3)^2 = 64, ``!1+1`` is 1 and ``3>2>1`` is 0 (ngspice-39
gives the same).  Comparisons and logic give 1 or 0; ``%`` is C's ``fmod`` (sign of the
dividend).  Numbers are SPICE numbers (``1k``, ``2.2u``, ``1e-12``).  Names are parameters
(case-insensitive) or the constant ``pi``.  Built-in functions: :data:`FUNCTIONS` (those of
ngspice-39's ``.param``; ``log`` is the natural logarithm, ``nint`` rounds half to even and
``pwr(x, y)`` is ``|x|**y``, as there).  User functions (``.func``) are passed to
:func:`parse_expression` by name and arity and to :meth:`Expression.evaluate` as objects with
``args`` and ``body``.
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


def _sgn(x: float) -> float:
    return float((x > 0) - (x < 0))


def _ternary(c: float, a: float, b: float) -> float:
    return a if c != 0 else b


# name -> (function, min args, max args or None); the set of ngspice-39's .param functions
# (measured with ngspice -b; ``if`` is an alias of ternary_fcn that ngspice-39 lacks)
FUNCTIONS: dict[str, tuple[Callable[..., float], int, int | None]] = {
    "sqrt": (math.sqrt, 1, 1),
    "sqr": (lambda x: x * x, 1, 1),
    "exp": (math.exp, 1, 1),
    "log": (math.log, 1, 1),
    "ln": (math.log, 1, 1),
    "log10": (math.log10, 1, 1),
    "abs": (abs, 1, 1),
    "sgn": (_sgn, 1, 1),
    "min": (_min, 1, None),
    "max": (_max, 1, None),
    "pow": (_pow, 2, 2),
    "pwr": (lambda x, y: _pow(abs(x), y), 2, 2),
    "floor": (math.floor, 1, 1),
    "ceil": (math.ceil, 1, 1),
    "int": (math.trunc, 1, 1),
    "nint": (round, 1, 1),          # half to even, as ngspice's rint: nint(2.5) = 2
    "sin": (math.sin, 1, 1), "cos": (math.cos, 1, 1), "tan": (math.tan, 1, 1),
    "asin": (math.asin, 1, 1), "acos": (math.acos, 1, 1),
    "atan": (math.atan, 1, 1), "arctan": (math.atan, 1, 1),
    "sinh": (math.sinh, 1, 1), "cosh": (math.cosh, 1, 1), "tanh": (math.tanh, 1, 1),
    "asinh": (math.asinh, 1, 1), "acosh": (math.acosh, 1, 1), "atanh": (math.atanh, 1, 1),
    "ternary_fcn": (_ternary, 3, 3),
    "if": (_ternary, 3, 3),
}
_LAZY = ("ternary_fcn", "if")       # only the chosen branch is evaluated

_TOKEN = re.compile(
    r"\s*(?:"
    f"(?P<num>(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?[{UNIT_LETTERS}]*)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|==|!=|<=|>=|&&|\|\||[-+*/%^(),<>!?:])"
    r")"
)

# Tree nodes are tuples: ("num", v) ("name", n) ("neg", x) ("not", x) ("bin", op, a, b)
# ("tern", c, a, b) ("call", f, args) (built-in) ("ucall", f, args) (user function)
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
    def __init__(self, text: str, user: frozenset[tuple[str, int]] = frozenset()):
        self.text = text.strip()
        self.tokens = _tokenize(text)
        self.i = 0
        self.user = dict(user)

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
        node = self._binary(0)
        if self._take_op("?") is not None:
            yes = self._expr()
            if self._take_op(":") is None:
                raise self._error("missing ':' of 'cond ? a : b'")
            node = ("tern", node, yes, self._expr())
        return node

    _LEVELS = (("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="), ("+", "-"), ("*", "/", "%"))

    def _binary(self, level: int) -> Node:
        if level == len(self._LEVELS):
            return self._unary()
        node = self._binary(level + 1)
        while (op := self._take_op(*self._LEVELS[level])) is not None:
            node = ("bin", op, node, self._binary(level + 1))
        return node

    def _unary(self) -> Node:
        if (op := self._take_op("-", "+", "!")) is not None:
            inner = self._unary()
            return {"-": ("neg", inner), "!": ("not", inner)}.get(op, inner)
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
        if name not in FUNCTIONS and name not in self.user:
            user = f"; .func: {', '.join(sorted(self.user))}" if self.user else ""
            raise self._error(f"unknown function '{name}' (known: {', '.join(FUNCTIONS)}{user})")
        args: list[Node] = []
        if self._take_op(")") is None:
            args.append(self._expr())
            while self._take_op(",") is not None:
                args.append(self._expr())
            if self._take_op(")") is None:
                raise self._error(f"missing ')' after arguments of {name}()")
        if name in self.user:                   # a .func shadows nothing: names are distinct
            lo = hi = self.user[name]
        else:
            _, lo, hi = FUNCTIONS[name]
        if len(args) < lo or (hi is not None and len(args) > hi):
            want = str(lo) if lo == hi else (f"{lo} or more" if hi is None else f"{lo}..{hi}")
            raise self._error(f"{name}() takes {want} arguments, got {len(args)}")
        if name in _LAZY:
            return ("tern", *args)
        return ("ucall" if name in self.user else "call", name, tuple(args))


def _names(node: Node, out: set[str], calls: set[str]) -> None:
    kind = node[0]
    if kind == "name":
        if node[1] not in CONSTANTS:
            out.add(node[1])
    elif kind in ("neg", "not"):
        _names(node[1], out, calls)
    elif kind == "bin":
        _names(node[2], out, calls)
        _names(node[3], out, calls)
    elif kind == "tern":
        for sub in node[1:]:
            _names(sub, out, calls)
    elif kind in ("call", "ucall"):
        if kind == "ucall":
            calls.add(node[1])
        for arg in node[2]:
            _names(arg, out, calls)


_COMPARE = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


@dataclass(frozen=True)
class Expression:
    """A parsed expression: ``text`` as written, ``names`` = parameters it references,
    ``calls`` = user (``.func``) functions it calls."""

    text: str
    tree: Node
    names: frozenset[str]
    calls: frozenset[str] = frozenset()

    def evaluate(self, env: Mapping[str, float], funcs: Mapping[str, object] | None = None) -> float:
        """Value of the expression with parameter values ``env`` (lower-case names).

        ``funcs`` maps the name of each user function called to an object with ``args``
        (parameter names) and ``body`` (an Expression); its body sees ``env`` plus its
        arguments.

        Raises NetlistError (without location; the caller adds it) naming an undefined
        parameter, or a math error (division by zero, sqrt/log of a bad argument, overflow).
        """
        try:
            value = self._eval(self.tree, env, funcs or {})
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

    def _eval(self, node: Node, env: Mapping[str, float], funcs: Mapping[str, object]) -> float:
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
            return -self._eval(node[1], env, funcs)
        if kind == "not":
            return float(self._eval(node[1], env, funcs) == 0)
        if kind == "tern":
            pick = node[2] if self._eval(node[1], env, funcs) != 0 else node[3]
            return self._eval(pick, env, funcs)
        if kind == "bin":
            op = node[1]
            a = self._eval(node[2], env, funcs)
            if op in ("&&", "||"):            # short-circuit, as in C
                if (a != 0) == (op == "||"):
                    return float(a != 0)
                return float(self._eval(node[3], env, funcs) != 0)
            b = self._eval(node[3], env, funcs)
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if op == "/":
                return a / b
            if op == "%":
                if b == 0:
                    raise ZeroDivisionError
                return math.fmod(a, b)
            if op in _COMPARE:
                return float(_COMPARE[op](a, b))
            return _pow(a, b)
        args = [self._eval(arg, env, funcs) for arg in node[2]]
        if kind == "ucall":
            fn = funcs.get(node[1])
            if fn is None:
                raise NetlistError(f"unknown function '{node[1]}' in expression '{self.text}'",
                                   token=node[1])
            return fn.body.evaluate({**env, **dict(zip(fn.args, args))}, funcs)
        return float(FUNCTIONS[node[1]][0](*args))


@lru_cache(maxsize=8192)   # netlists repeat the same {expr} many times; Expression is immutable
def parse_expression(text: str, user: frozenset[tuple[str, int]] = frozenset()) -> Expression:
    """Parse ``text`` (without braces) into an :class:`Expression`.

    ``user``: the ``(name, arity)`` of every user function (``.func``) that may be called.
    Raises NetlistError (without location) for a syntax error, naming the expression.
    """
    try:
        tree = _Parser(text, user).parse()
        found: set[str] = set()
        calls: set[str] = set()
        _names(tree, found, calls)
    except RecursionError:
        raise NetlistError("expression is nested too deeply", token=text.strip()[:40]) from None
    return Expression(text.strip(), tree, frozenset(found), frozenset(calls))


def evaluate(text: str, env: Mapping[str, float] | None = None) -> float:
    """Parse and evaluate ``text`` in one go (``env``: parameter values, lower-case names)."""
    return parse_expression(text).evaluate(env or {})
