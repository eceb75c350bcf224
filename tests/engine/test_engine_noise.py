"""Thermal noise: kT/C by Monte Carlo, RC covariance closed form, thread-count independence."""

import numba
import numpy as np
import pytest
from engine_circuits import Capacitor, Dc, Resistor, Switch, VSource, circuit, model

from dgcq_sim.engine import Phase, apply_program, compile_program

KT = 1.380649e-23 * 300.0


def sampler(c=5e-14, cp=0.0):
    m = model(ron=1e3, roff=1e15)
    els = [VSource("vin", "in", "0", Dc(0.0)), Switch("s", "in", "top", "x", "0", m),
           Capacitor("c", "top", "0", c)]
    if cp:
        els.append(Capacitor("cp", "top", "0", cp))
    return circuit(*els)


def test_ktc_on_sampling_cap_monte_carlo():
    c = 5e-14
    prog = compile_program(sampler(c), [Phase(2e-9, frozenset({"s"})), Phase(1e-9, frozenset())],
                           ["vin"], ["top"], noise_temperature=300.0)
    u = np.full((2, 1), 0.4)
    z_end, pv = apply_program(prog, prog.initial_state([0.4]), np.broadcast_to(u, (20000, 2, 1)),
                              rng=np.random.default_rng(7))
    held = pv[:, 1, 0]
    assert abs(held.mean() - 0.4) < 4 * np.sqrt(KT / c / 20000)
    assert abs(held.var() / (KT / c) - 1.0) < 0.05
    # the held sample equals the state carried forward: same noise draw seen by both
    np.testing.assert_allclose(pv[:, 0, 0], held, atol=1e-12)
    # without a Generator the program runs noise-free
    _, clean = apply_program(prog, prog.initial_state([0.4]), u)
    assert abs(clean[0, 1, 0] - 0.4) < 1e-12


@pytest.mark.parametrize("ron,c,t", [(10.0, 1e-16, 1e-6), (1e3, 5e-14, 2e-9), (10.0, 1e-11, 1e-6)])
def test_settled_sample_variance_is_ktc_for_fast_and_slow_modes(ron, c, t):
    """Fully settled sampling: variance kT/C exactly, also for τ = 1e-15 s in a 1 µs phase
    (where backward Euler with h = T/2^20 would give only 2/(2 + h/τ) of it)."""
    m = model(ron=ron, roff=1e15)
    ckt = circuit(VSource("vin", "in", "0", Dc(0.0)), Switch("s", "in", "top", "x", "0", m),
                  Capacitor("c", "top", "0", c))
    prog = compile_program(ckt, [Phase(t, frozenset({"s"}))], ["vin"], ["top"],
                           noise_temperature=300.0)
    var = (prog.noise_probe[0] @ prog.noise_probe[0].T)[0, 0]
    assert abs(var / (KT / c) - 1) < 1e-5


@pytest.mark.parametrize("t_over_rc", [0.3, 1.0, 4.0])
def test_rc_noise_covariance_closed_form(t_over_rc):
    """Noise-free start at the DC point: var v(T) = kT/C·(1 − exp(−2T/RC))."""
    r, c = 1e4, 1e-13
    ckt = circuit(VSource("v", "in", "0", Dc(0.0)), Resistor("r", "in", "o", r),
                  Capacitor("c", "o", "0", c))
    prog = compile_program(ckt, [Phase(t_over_rc * r * c)], ["v"], ["o"], noise_temperature=300.0)
    var_probe = prog.noise_probe[0] @ prog.noise_probe[0].T
    var_state = prog.noise[0] @ prog.noise[0].T
    exact = KT / c * -np.expm1(-2 * t_over_rc)
    assert abs(var_probe[0, 0] / exact - 1) < 1e-6
    assert abs(np.trace(var_state) / exact - 1) < 1e-6


def test_noise_does_not_depend_on_thread_count():
    prog = compile_program(sampler(), [Phase(2e-9, frozenset({"s"})), Phase(1e-9, frozenset())],
                           ["vin"], ["top"], noise_temperature=300.0)
    u = np.zeros((9000, 2, 1))
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        _, a = apply_program(prog, prog.initial_state([0.0]), u, rng=np.random.default_rng(3))
        numba.set_num_threads(max(2, before) if numba.config.NUMBA_NUM_THREADS >= 2 else 1)
        _, b = apply_program(prog, prog.initial_state([0.0]), u, rng=np.random.default_rng(3))
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(a, b)
    assert a[:, 1, 0].std() > 0


def test_probe_noise_at_node_without_capacitance_is_the_consistent_value():
    """An E buffer (gain 2) reading the RC node has no capacitance of its own: its probe
    noise is exactly twice the node's (no infinite-bandwidth white part)."""
    from engine_circuits import Vcvs
    r, c = 1e4, 1e-13
    ckt = circuit(VSource("v", "in", "0", Dc(0.0)), Resistor("r", "in", "o", r),
                  Capacitor("c", "o", "0", c), Vcvs("e", "o2", "0", "o", "0", 2.0))
    prog = compile_program(ckt, [Phase(2 * r * c)], ["v"], ["o", "o2"], noise_temperature=300.0)
    cov = prog.noise_probe[0] @ prog.noise_probe[0].T
    exact = KT / c * -np.expm1(-4.0)
    assert abs(cov[0, 0] / exact - 1) < 1e-6
    assert abs(cov[1, 1] / (4 * exact) - 1) < 1e-6
    assert abs(cov[0, 1] / (2 * exact) - 1) < 1e-6
