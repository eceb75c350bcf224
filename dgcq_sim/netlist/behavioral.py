"""Behavioural ``B`` sources: a small, ngspice-compatible expression subset.

Card forms (ngspice's B source)::

    Bname n+ n- V=expr       v(n+) - v(n-) = expr        (a voltage source; branch current)
    Bname n+ n- I=expr       expr amperes from n+ through the source to n-

``expr`` may be written bare (the rest of the card), or in ``{...}`` or ``'...'``.  The
subset (everything else is a NetlistError naming the construct, with file:line):

* ``V(n)`` and ``V(a, b)`` node voltages (``V(a, b)`` = v(a) − v(b)); ``gnd``/``0`` is ground
* numbers (SPICE suffixes: ``1k``, ``2.5m``) and ``.param`` names (folded to their values)
* ``+ - * /``, unary ``-``/``+``, parentheses
* ``min(a, b)``, ``max(a, b)``, ``abs(x)``, ``tanh(x)``

This is what the op-amp slew/saturation model needs (clamps are ``max(min(x, hi), lo)``)
and what ngspice-39 runs identically.  ``limit()`` is refused: ngspice-39's B source has no
such function and silently evaluates it to 0.  Branch currents ``I(...)``, ``time``,
``if``/``?:``, comparisons and powers are refused as well (they need event handling or
are outside what the cross-checks cover).

The expression is compiled to a small stack program (:class:`BExpression`: ``ops``,
``vals``) that :mod:`dgcq_sim.engine.nonlinear` evaluates with its gradient inside numba.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..errors import NetlistError
from .cards import Card, Ctx, joined
from .circuit import GROUND, SourceLoc
from .values import split_number

SUBSET = ("V(n), V(a,b), numbers, .param names, + - * /, unary -, min(a,b), max(a,b), "
          "abs(x), tanh(x)")

# stack-program opcodes (shared with dgcq_sim.engine.nonlinear)
OP_CONST, OP_CTRL, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_NEG, OP_MIN, OP_MAX, OP_ABS, OP_TANH = \
    range(11)
_BINARY = {"+": OP_ADD, "-": OP_SUB, "*": OP_MUL, "/": OP_DIV}
_FUNCS = {"min": (OP_MIN, 2), "max": (OP_MAX, 2), "abs": (OP_ABS, 1), "tanh": (OP_TANH, 1)}
_REFUSED_FUNCS = {
    "limit": "limit() is not a function of ngspice-39's B source (ngspice evaluates it to 0); "
             "write max(min(x, hi), lo)",
    "i": "branch currents I(...) are not supported in B-source expressions (only node "
         "voltages)",
    "if": "conditionals (if, ?:) are not supported in B-source expressions; use min/max",
    "ternary_fcn": "conditionals (if, ?:) are not supported in B-source expressions; use "
                   "min/max",
}
_REFUSED_NAMES = {
    "time": "time-dependent B-source expressions ('time') are not supported; drive the "
            "circuit with a PWL/PULSE source instead",
    "temper": "'temper' is not supported in B-source expressions",
    "hertz": "'hertz' (AC analysis) is not supported in B-source expressions",
}

_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<num>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[A-Za-z]*)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|==|!=|<=|>=|&&|\|\||[-+*/^(),<>!?:%])"
    r")")
_NODE = re.compile(r"\s*([A-Za-z0-9_.:#+\-\[\]$]+?)\s*(?=[,)])")


@dataclass(frozen=True)
class BExpression:
    """A compiled B-source expression.

    ``text``: the expression as written.  ``controls``: the (pos, neg) node pairs it reads
    (neg may be ground ``"0"``), index = operand of OP_CTRL.  ``ops``/``vals``: the stack
    program (one opcode and one float operand per instruction: the constant of OP_CONST,
    the control index of OP_CTRL).  ``depth``: the largest stack depth.
    """

    text: str
    controls: tuple[tuple[str, str], ...]
    ops: tuple[int, ...]
    vals: tuple[float, ...]
    depth: int

    def spice(self) -> str:
        """The expression as ngspice text (parameters already folded to numbers)."""
        stack: list[str] = []
        for op, v in zip(self.ops, self.vals):
            if op == OP_CONST:
                stack.append(_number(v))
            elif op == OP_CTRL:
                a, b = self.controls[int(v)]
                stack.append(f"V({a})" if b == GROUND else f"V({a},{b})")
            elif op in (OP_NEG, OP_ABS, OP_TANH):
                x = stack.pop()
                stack.append(f"(-{x})" if op == OP_NEG else
                             f"{'abs' if op == OP_ABS else 'tanh'}({x})")
            else:
                y, x = stack.pop(), stack.pop()
                if op in (OP_MIN, OP_MAX):
                    stack.append(f"{'min' if op == OP_MIN else 'max'}({x}, {y})")
                else:
                    sym = {OP_ADD: "+", OP_SUB: "-", OP_MUL: "*", OP_DIV: "/"}[op]
                    stack.append(f"({x} {sym} {y})")
        return stack[0]

    def evaluate(self, voltages) -> float:
        """Value for node voltages ``voltages`` {node: V} (ground = 0); plain Python, for
        tests and error messages (the engine evaluates the same program in numba)."""
        ctrl = [voltages.get(a, 0.0) - voltages.get(b, 0.0) for a, b in self.controls]
        stack: list[float] = []
        for op, v in zip(self.ops, self.vals):
            if op == OP_CONST:
                stack.append(v)
            elif op == OP_CTRL:
                stack.append(ctrl[int(v)])
            elif op == OP_NEG:
                stack.append(-stack.pop())
            elif op == OP_ABS:
                stack.append(abs(stack.pop()))
            elif op == OP_TANH:
                stack.append(math.tanh(stack.pop()))
            else:
                y, x = stack.pop(), stack.pop()
                stack.append({OP_ADD: x + y, OP_SUB: x - y, OP_MUL: x * y,
                              OP_MIN: min(x, y), OP_MAX: max(x, y)}.get(op, None)
                             if op != OP_DIV else x / y)
        return stack[0]


def _number(v: float) -> str:
    return str(int(v)) if v == int(v) and abs(v) < 1e15 else repr(float(v))


@dataclass(frozen=True)
class Behavioral:
    """``Bname n+ n- V=expr`` (``quantity`` "v") or ``I=expr`` (``quantity`` "i")."""

    name: str
    pos: str
    neg: str
    quantity: str
    expr: BExpression
    loc: SourceLoc | None = None

    @property
    def is_voltage(self) -> bool:
        return self.quantity == "v"

    @property
    def control_nodes(self) -> tuple[str, ...]:
        """Nodes the expression reads (ground excluded), in order of first use."""
        seen: dict[str, None] = {}
        for a, b in self.expr.controls:
            for n in (a, b):
                if n != GROUND:
                    seen.setdefault(n, None)
        return tuple(seen)

    def spice_card(self) -> str:
        """The card as ngspice reads it."""
        return f"{self.name} {self.pos} {self.neg} {self.quantity.upper()}={{{self.expr.spice()}}}"


class _Parser:
    """Recursive descent over the subset; emits the stack program."""

    def __init__(self, text: str, params, fail):
        self.text = text
        self.params = params
        self.fail = fail                # fail(message, near) -> NetlistError
        self.pos = 0
        self.ops: list[int] = []
        self.vals: list[float] = []
        self.controls: list[tuple[str, str]] = []
        self.depth = 0
        self.max_depth = 0

    # ---- output
    def emit(self, op: int, val: float = 0.0, pops: int = 0) -> None:
        self.ops.append(op)
        self.vals.append(float(val))
        self.depth += 1 - pops
        self.max_depth = max(self.max_depth, self.depth)

    # ---- tokens
    def peek(self):
        m = _TOKEN.match(self.text, self.pos)
        if m is None or m.end() == self.pos:
            rest = self.text[self.pos:].strip()
            if not rest:
                return None, None, self.pos
            raise self.fail(f"unexpected character {rest[:1]!r} in B-source expression "
                            f"'{self.text.strip()}' (supported: {SUBSET})", rest[:12])
        kind = m.lastgroup
        return kind, m.group(kind), m.end()

    def take(self, op: str) -> bool:
        kind, tok, end = self.peek()
        if kind == "op" and tok == op:
            self.pos = end
            return True
        return False

    def expect(self, op: str, what: str) -> None:
        if not self.take(op):
            kind, tok, _ = self.peek()
            raise self.fail(f"expected '{op}' {what} in B-source expression "
                            f"'{self.text.strip()}'", tok or self.text.strip()[-12:])

    # ---- grammar
    def parse(self) -> None:
        self.sum()
        kind, tok, _ = self.peek()
        if kind is not None:
            raise self._unsupported(kind, tok)

    def _unsupported(self, kind, tok) -> NetlistError:
        if kind == "op" and tok in ("**", "^"):
            why = "powers (** or ^) are not in the B-source subset; multiply out"
        elif kind == "op" and tok in ("<", ">", "<=", ">=", "==", "!=", "&&", "||", "!", "?", ":"):
            why = f"comparisons and logic ('{tok}') are not in the B-source subset; use min/max"
        elif kind == "op" and tok == "%":
            why = "'%' is not in the B-source subset"
        else:
            why = f"unexpected '{tok}'"
        return self.fail(f"{why} in B-source expression '{self.text.strip()}' "
                         f"(supported: {SUBSET})", tok)

    def sum(self) -> None:
        self.term()
        while True:
            if self.take("+"):
                self.term()
                self.emit(OP_ADD, pops=2)
            elif self.take("-"):
                self.term()
                self.emit(OP_SUB, pops=2)
            else:
                return

    def term(self) -> None:
        self.unary()
        while True:
            if self.take("*"):
                self.unary()
                self.emit(OP_MUL, pops=2)
            elif self.take("/"):
                self.unary()
                self.emit(OP_DIV, pops=2)
            else:
                return

    def unary(self) -> None:
        if self.take("-"):
            self.unary()
            self.emit(OP_NEG, pops=1)
        elif self.take("+"):
            self.unary()
        else:
            self.atom()

    def atom(self) -> None:
        kind, tok, end = self.peek()
        if kind is None:
            raise self.fail(f"B-source expression '{self.text.strip()}' ends too early",
                            self.text.strip()[-12:] or "=")
        if kind == "num":
            parsed = None
            try:
                parsed = split_number(tok)
            except NetlistError:
                pass
            if parsed is None:
                raise self.fail(f"bad number '{tok}' in B-source expression "
                                f"'{self.text.strip()}'", tok)
            self.pos = end
            self.emit(OP_CONST, parsed[0])
            return
        if kind == "op" and tok == "(":
            self.pos = end
            self.sum()
            self.expect(")", "to close '('")
            return
        if kind != "name":
            raise self._unsupported(kind, tok)
        name = tok.lower()
        self.pos = end
        if self.take("("):
            self.call(name, tok)
            return
        if name in _REFUSED_NAMES:
            raise self.fail(_REFUSED_NAMES[name], tok)
        if name in self.params:
            self.emit(OP_CONST, self.params[name])
            return
        raise self.fail(f"undefined parameter '{name}' in B-source expression "
                        f"'{self.text.strip()}' (node voltages are written V(node))", tok)

    def call(self, name: str, tok: str) -> None:
        if name == "v":
            self.voltage()
            return
        if name in _REFUSED_FUNCS:
            raise self.fail(_REFUSED_FUNCS[name], tok)
        if name not in _FUNCS:
            raise self.fail(f"function '{tok}' is outside the B-source subset (supported: "
                            f"{SUBSET})", tok)
        op, arity = _FUNCS[name]
        self.sum()
        got = 1
        while self.take(","):
            self.sum()
            got += 1
        self.expect(")", f"after the arguments of {name}()")
        if got != arity:
            raise self.fail(f"{name}() takes {arity} argument{'s' if arity > 1 else ''}, got "
                            f"{got}", tok)
        self.emit(op, pops=arity)

    def voltage(self) -> None:
        nodes = []
        for _ in range(2):
            m = _NODE.match(self.text, self.pos)
            if m is None:
                raise self.fail(f"expected a node name in V(...) of B-source expression "
                                f"'{self.text.strip()}'", self.text[self.pos:self.pos + 12])
            node = m.group(1).lower()
            nodes.append(GROUND if node == "gnd" else node)
            self.pos = m.end()
            if not self.take(","):
                break
        self.expect(")", "to close V(...)")
        pair = (nodes[0], nodes[1] if len(nodes) > 1 else GROUND)
        if pair[0] == pair[1]:
            self.emit(OP_CONST, 0.0)
            return
        if pair not in self.controls:
            self.controls.append(pair)
        self.emit(OP_CTRL, self.controls.index(pair))


def compile_expression(text: str, params, fail) -> BExpression:
    """Compile ``text`` with ``.param`` values ``params`` (lower-case names); ``fail(message,
    near)`` builds the located NetlistError."""
    if not text.strip():
        raise fail("empty B-source expression", "=")
    p = _Parser(text, params, fail)
    p.parse()
    return BExpression(text.strip(), tuple(p.controls), tuple(p.ops), tuple(p.vals),
                       p.max_depth)


_HEAD = re.compile(r"\s*\S+\s+\S+\s+\S+\s*")


def parse_behavioral(card: Card, params, ctx: Ctx) -> Behavioral:
    """``Bname n+ n- V=expr`` / ``I=expr`` -> :class:`Behavioral` (errors with file:line)."""
    toks = card.tokens
    usage = "Bname n+ n- V={expr} | I={expr}"
    head = toks[0]
    if card.scope is not None:
        raise ctx.error(f"{head.text}: B sources inside subcircuits are not supported (node "
                        "names in V(...) are not renamed per instance); write it at the top "
                        "level", head.line, head.text)
    if len(toks) < 5:
        raise ctx.error(f"{head.text}: too few fields, expected '{usage}'", toks[-1].line,
                        " ".join(t.text for t in toks))
    for t in toks[1:3]:
        if t.text in "()=" or t.text[:1] in "{'":
            raise ctx.error(f"{head.text}: expected a node name, expected '{usage}'", t.line, t.text)
    pos, neg = (GROUND if t.low == "gnd" else t.low for t in toks[1:3])
    kind = toks[3]
    if kind.low not in ("v", "i") or toks[4].text != "=":
        raise ctx.error(f"{head.text}: expected V=expr or I=expr after the nodes, expected "
                        f"'{usage}'", kind.line, kind.text)
    text, line_of = joined(card)
    m = _HEAD.match(text)
    rest = text[m.end():] if m else ""
    eq = rest.find("=")
    expr_text = rest[eq + 1:].strip() if eq >= 0 else ""
    offset = (m.end() if m else 0) + eq + 1
    if expr_text[:1] in "{'":
        close = "}" if expr_text[0] == "{" else "'"
        if not expr_text.endswith(close):
            raise ctx.error(f"{head.text}: the expression must end with '{close}' (nothing may "
                            f"follow it)", card.line, expr_text[:40])
        expr_text = expr_text[1:-1]

    def fail(message: str, near: str) -> NetlistError:
        at = text.find(near, offset) if near else -1
        line = line_of[at] if 0 <= at < len(line_of) else card.line
        return ctx.error(f"{head.text}: {message}", line, near)

    expr = compile_expression(expr_text, params, fail)
    if pos == neg:
        raise ctx.error(f"{head.text}: both terminals are node '{pos}'", toks[1].line, toks[1].text)
    return Behavioral(head.low, pos, neg, kind.low, expr, ctx.loc(card.line))
