"""Charge injection and clock feedthrough of the MOS switches, as linear circuit elements.

When a MOS switch turns off, its channel charge Qch = CCH_SW*(VDD - VTH_SW - V) (CCH_SW =
W*L*Cox, V the channel voltage, gate at VDD) leaves the channel: a fraction QINJ goes to
the switch's second node n2, the rest to n1; and the gate's fall from VDD to 0 couples
through the gate-drain/source overlap capacitance CGD_SW into both terminals (clock
feedthrough).  Both are affine in the node voltages, so they stay exact in the engine's
affine phase maps: :func:`with_switch_charge` writes them as ordinary R/C/S/E elements that
the engine and ngspice both simulate (``Quantizer.export_spice`` contains them):

* channel charge, per terminal n (not ground) of switch S, fraction f (QINJ for n2,
  1 - QINJ for n1)::

      cpqi_S_j  n     qi_S_j  f*CCH_SW        the channel's share f of the charge
      sqi_S_j   qi_S_j qh_sw  (S's control)   closed with S: qi at VDD - VTH_SW (vqh_sw)
      eqf_S_j   qf_S_j 0 n 0 1                a follower of n
      sqo_S_j   qi_S_j qf_S_j (S's control reversed, VT -> -VT)  closed while S is open

  While S conducts the capacitor holds -f*CCH_SW*(VDD - VTH_SW - v(n)) on its n plate
  (the input source supplies it, as it supplies the channel); when S opens, qi is handed
  to the follower, the capacitor's voltage goes to 0 and its n-plate charge stays on node
  n: the jump v(n) -> v(n) - f*CCH_SW*(VDD - VTH_SW - v(n))/C_n of the textbook, with the
  capacitance C_n of n.  Afterwards the capacitor carries no charge whatever n does.
* clock feedthrough, per switch::

      sgh_S gg_S gh_sw (S's control)          the gate at VDD (vgh_sw) while S conducts
      sgl_S gg_S 0     (S's control reversed) the gate at 0 while S is open
      cpgd_S_j n gg_S CGD_SW                  overlap capacitance at each terminal

The companion switches share S's control node; :func:`follow_controls` closes them in the
controller's phases (the controller names S only), and the SPICE export drives them from
S's control source (a reversed switch closes when that source is low).  The follower and
the companion switches add no charge of their own; their RON only sets a sub-ps settling
of the tiny qi/gg nodes, and their thermal noise reaches a floating node through
f*CCH_SW only (sqrt(kT*f*CCH_SW)/C_n, ~2 uV for 1 fF on 1 pF).

The channel-charge model is that of an NMOS switch with its gate at VDD; it is affine in
v(n) for every voltage (the switch model itself conducts at RON whatever VGS - VTH is;
bootstrapped or transmission-gate switches are not modelled separately).  Parameters:
CCH_SW, QINJ, VTH_SW, CGD_SW (params.py); CCH_SW = CGD_SW = 0 (the default) adds nothing.
"""

from __future__ import annotations

import dataclasses

from ..errors import NetlistError
from ..netlist import Capacitor, Circuit, Dc, Switch, SwitchModel, Vcvs, VSource
from .params import SWITCH_CHARGE  # noqa: F401  (the parameters, declared in params.py)
from .schedule import Schedule

GROUND = "0"


def _tag(name: str) -> str:
    return name.replace(".", "_").replace(":", "_")


def inverted_model(m: SwitchModel) -> SwitchModel:
    """The same switch with its control reversed: closed when v(cp) - v(cn) < VT."""
    return SwitchModel(f"{m.name}_inv", m.ron, m.roff, -m.vt, m.vh)


def with_switch_charge(circuit: Circuit, p) -> Circuit:
    """``circuit`` with the channel-charge and overlap elements of every switch (see the
    module docstring); unchanged when CCH_SW = CGD_SW = 0.

    ``p``: resolved parameters (lower-case keys cch_sw, qinj, vth_sw, cgd_sw, vdd)."""
    cch = float(p.get("cch_sw", 0.0))
    cgd = float(p.get("cgd_sw", 0.0))
    if cch == 0 and cgd == 0:
        return circuit
    qinj = float(p.get("qinj", 0.5))
    vdd = float(p.get("vdd", 1.0))
    vth = float(p.get("vth_sw", 0.0))
    switches = circuit.of_type(Switch)
    new: list = []
    if cch > 0:
        new.append(VSource("vqh_sw", "qh_sw", GROUND, Dc(vdd - vth)))
    if cgd > 0:
        new.append(VSource("vgh_sw", "gh_sw", GROUND, Dc(vdd)))
    for sw in switches:
        if sw.cp == GROUND or sw.cn != GROUND:
            raise NetlistError(f"switch {sw.name}: charge injection (CCH_SW, CGD_SW) needs its "
                               f"control between a node and ground (gate clock), got "
                               f"{sw.cp} {sw.cn}", circuit.path or "<netlist>")
        s, inv = _tag(sw.name), inverted_model(sw.model)
        sides = [(sw.n1, 1.0 - qinj, 1), (sw.n2, qinj, 2)]
        for node, frac, j in sides:
            if node == GROUND:
                continue
            if cch > 0 and frac > 0:
                qi, qf = f"qi_{s}_{j}", f"qf_{s}_{j}"
                new += [Capacitor(f"cpqi_{s}_{j}", node, qi, frac * cch),
                        Switch(f"sqi_{s}_{j}", qi, "qh_sw", sw.cp, sw.cn, sw.model),
                        Vcvs(f"eqf_{s}_{j}", qf, GROUND, node, GROUND, 1.0),
                        Switch(f"sqo_{s}_{j}", qi, qf, sw.cn, sw.cp, inv)]
            if cgd > 0:
                new.append(Capacitor(f"cpgd_{s}_{j}", node, f"gg_{s}", cgd))
        if cgd > 0:
            new += [Switch(f"sgh_{s}", f"gg_{s}", "gh_sw", sw.cp, sw.cn, sw.model),
                    Switch(f"sgl_{s}", f"gg_{s}", GROUND, sw.cn, sw.cp, inv)]
    taken = {el.name for el in circuit.elements}
    clash = sorted(taken & {el.name for el in new})
    if clash:
        raise NetlistError(f"the netlist already has elements named {clash}, which the switch "
                           f"charge model (CCH_SW, CGD_SW) generates", circuit.path or "<netlist>")
    nodes = dict.fromkeys(circuit.nodes)
    for el in new:
        for t in ((el.n1, el.n2) if isinstance(el, (Capacitor, Switch)) else (el.pos, el.neg)):
            if t != GROUND:
                nodes.setdefault(t, None)
    models = dict(circuit.models)
    for el in new:
        if isinstance(el, Switch):
            models.setdefault(el.model.name, el.model)
    return dataclasses.replace(circuit, elements=(*circuit.elements, *new), nodes=tuple(nodes),
                               models=models)


def follow_controls(schedule: Schedule, circuit: Circuit, vdd: float) -> Schedule:
    """The schedule with the switches the controller never names set by their control node.

    A control node (cp of a switch with grounded cn) is at VDD in a phase when the
    controller closes a switch on it, else at 0.  A switch the schedule does not name that
    shares its control node with another switch, or whose control is reversed (0, node),
    is closed when its control voltage v(cp) - v(cn)
    exceeds its VT (a reversed switch, control (0, node) and VT = -VDD/2, conducts while
    the node is low).  Switches the controller names keep their phases."""
    named = set().union(*(ph.closed for ph in schedule.phases))
    switches = circuit.of_type(Switch)
    on_net: dict[str, int] = {}
    for sw in switches:
        if sw.cn == GROUND:
            on_net[sw.cp] = on_net.get(sw.cp, 0) + 1
    followers = [sw for sw in switches if sw.name not in named and (
        (sw.cp == GROUND and sw.cn in on_net) or (sw.cn == GROUND and on_net[sw.cp] > 1))]
    if not followers:
        return schedule
    phases = []
    for ph in schedule.phases:
        high = {sw.cp for sw in switches if sw.name in ph.closed and sw.cn == GROUND}

        def level(node: str) -> float:
            return vdd if node in high else 0.0

        extra = {sw.name for sw in followers if level(sw.cp) - level(sw.cn) > sw.model.vt}
        phases.append(dataclasses.replace(ph, closed=ph.closed | extra))
    return dataclasses.replace(schedule, phases=tuple(phases))
