"""Topology checks on a parsed circuit: ground, dangling/floating/undriven nodes, V loops.

Each problem is a NetlistError naming the file, the line of the element that shows it and
the node or element.
"""

from __future__ import annotations

from ..errors import NetlistError
from .circuit import (GROUND, Capacitor, Cccs, Ccvs, Element, Inductor, ISource, Resistor, Switch,  # noqa: F401
                      Vccs, Vcvs, VSource)
from .behavioral import Behavioral
from .cards import Ctx

def _terminals(el: Element) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(power terminals, control terminals) of one element."""
    if isinstance(el, (Resistor, Capacitor, Inductor)):
        return (el.n1, el.n2), ()
    if isinstance(el, (VSource, ISource, Cccs, Ccvs)):
        return (el.pos, el.neg), ()
    if isinstance(el, Switch):
        return (el.n1, el.n2), (el.cp, el.cn)
    if isinstance(el, Behavioral):
        return (el.pos, el.neg), el.control_nodes
    return (el.pos, el.neg), (el.cp, el.cn)  # Vcvs, Vccs


class _UnionFind:
    def __init__(self):
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> bool:
        """Join the sets of a and b; False if they were already joined."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[ra] = rb
        return True


def _source_path(edges: list[tuple[str, str, str]], start: str, goal: str) -> list[str]:
    """Names of the voltage-defining elements on a path start -> goal (BFS over edges)."""
    prev: dict[str, tuple[str, str] | None] = {start: None}
    queue = [start]
    while queue:
        node = queue.pop(0)
        if node == goal:
            break
        for a, b, name in edges:
            for u, v in ((a, b), (b, a)):
                if u == node and v not in prev:
                    prev[v] = (node, name)
                    queue.append(v)
    names: list[str] = []
    node = goal
    while prev.get(node) is not None:
        node, name = prev[node]
        names.append(name)
    return names[::-1]


def check_topology(elements: list[Element], ctx: Ctx, uic: bool = False) -> tuple[str, ...]:
    """Ground, dangling/floating/undriven nodes, voltage-source loops.  Returns the node order.

    Inductors are shorts at DC, so without ``uic`` (a DC operating point is computed) they
    count in loops of voltage-defining elements."""
    order: list[str] = []
    power_count: dict[str, int] = {}
    control_count: dict[str, int] = {}
    first_use: dict[str, Element] = {}
    for el in elements:
        power, control = _terminals(el)
        for n in power + control:
            if n not in first_use:
                first_use[n] = el
                if n != GROUND:
                    order.append(n)
        for n in power:
            power_count[n] = power_count.get(n, 0) + 1
        for n in control:
            control_count[n] = control_count.get(n, 0) + 1

    if GROUND not in first_use:
        raise NetlistError("no element connects to ground (node 0 or gnd)", ctx.path)

    # Loops of voltage-defining elements (V, E/H outputs; L at DC) make the system singular.
    vloop = _UnionFind()
    vedges: list[tuple[str, str, str]] = []
    defining = (VSource, Vcvs, Ccvs) + (() if uic else (Inductor,))
    for el in elements:
        if isinstance(el, defining) or (isinstance(el, Behavioral) and el.is_voltage):
            a, b = _terminals(el)[0]
            if not vloop.union(a, b):
                names = _source_path(vedges, a, b) + [el.name]
                hint = (" (an inductor is a short at DC; with .tran ... UIC no operating point "
                        "is needed)" if any(n[0] == "l" for n in names) else "")
                raise NetlistError(f"loop of voltage sources {', '.join(names)} (singular: their "
                                   f"voltages are not independent){hint}", el.loc.path,
                                   el.loc.line, el.name)
            vedges.append((a, b, el.name))

    for n in order:
        if power_count.get(n, 0) == 0:
            el = first_use[n]
            raise NetlistError(f"control node '{n}' is not driven (it is only a switch/E/G control "
                               "terminal)", el.loc.path, el.loc.line, n)
        if power_count[n] + control_count.get(n, 0) == 1:
            el = first_use[n]
            raise NetlistError(f"node '{n}' is dangling (only {el.name} connects to it)",
                               el.loc.path, el.loc.line, n)

    # DC path to ground through elements that conduct at DC (R, V, E output, S: RON or ROFF).
    dc = _UnionFind()
    dc.find(GROUND)
    for el in elements:
        if isinstance(el, (Resistor, VSource, Vcvs, Switch, Inductor, Ccvs)) or \
                (isinstance(el, Behavioral) and el.is_voltage):
            a, b = _terminals(el)[0]
            dc.union(a, b)
    for n in order:
        if dc.find(n) != dc.find(GROUND):
            el = first_use[n]
            raise NetlistError(f"node '{n}' has no DC path to ground (floating: reached only through "
                               "capacitors or current sources)", el.loc.path, el.loc.line, n)
    return tuple(order)
