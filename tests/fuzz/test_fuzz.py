"""Property-based fuzzing (hypothesis): bad input never crashes, hangs or returns NaN.

Over netlist text mutations (seeded from the bundled netlists and tests/netlist/data),
parameter values, ``--param`` strings, damaged ``.npz`` files and API inputs, the only
outcomes allowed are a typed :class:`~dgcq_sim.errors.DgcqError` or a finite result,
within a per-example time limit (SIGALRM; a hang is a failure).

The default run uses a few hundred examples (``QUICK``); ``pytest -m slow`` runs the same
properties with ``SLOW`` examples each (>= 10 000 in total).  Every example is counted in
``COUNTS`` and the totals are printed at the end of the session (``-s`` to see them).
"""

from __future__ import annotations

import io
import math
import signal
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dgcq_sim.errors import DgcqError

ROOT = Path(__file__).resolve().parents[2]
SEED_FILES = sorted((ROOT / "dgcq_sim" / "netlists").glob("*.cir")) + \
    sorted((ROOT / "tests" / "netlist" / "data").glob("*.cir"))
SEEDS = {p.name: p.read_text() for p in SEED_FILES}
SMALL_SEEDS = [n for n in SEEDS if n.startswith("xval_") or n == "sc_integrator.cir"]

#: per-example wall-clock limit, s (parse: small; a parse + simulate of a tiny circuit)
TIME_LIMIT = 20
QUICK = {"netlist": 120, "simulate": 40, "params": 60, "param_strings": 60, "npz": 60,
         "api": 80}
SLOW = {"netlist": 4000, "simulate": 600, "params": 1200, "param_strings": 2000, "npz": 1200,
        "api": 2000}
COUNTS: Counter = Counter()

#: Values that broke (or could break) number parsing, element values and the time axis.
NASTY_VALUES = [
    "0", "-0", "1", "-1", "1e300", "-1e300", "1e308", "1e-300", "5e-324", "1e1000000",
    "1e999999999", "9" * 400, "1" + "0" * 2000, "0." + "0" * 500 + "1", "1xyz", "1meg",
    "1MEG", "1m", "1f", "1t", "1g", "nan", "inf", "-inf", "1e", "e5", ".", "-", "+",
    "{1/0}", "{1e308*10}", "{", "}", "{cs*2}", "{sqrt(-1)}", "٣", "３", "1_000", "0x10",
    "1.5.5", "1e-9999", "2**3", "''", "\"", "µ", "1µ", "1e+",
]
NASTY_TEXT = ["\x0c", "\x85", "\u2028", "\x00", "\t", "\r", "\r\n", "\\", "+", "*", ";",
              "$", "=", "(", ")", ",", ".end", ".tran 1n 1xyz", ".param x=", ".subckt a 1",
              ".ends", ".include nothere.cir", ".lib x y", "X1 a b c", "R1 a 0",
              "C1 a 0 1e300", "V1 a 0 PULSE(0 1 0 0 0 1e-30 2e-30)", "E1 a 0 b 0 1e308",
              "S1 a 0 c 0 sw", ".model sw SW(RON=5e-324 ROFF=1e308)"]


class Hang(Exception):
    """Raised by SIGALRM: the example ran past TIME_LIMIT."""


def _alarm(signum, frame):
    raise Hang(f"example ran past {TIME_LIMIT} s")


def run_limited(fn, *args, **kwargs):
    """Call ``fn``; return its result or the DgcqError it raised.  Anything else (and a
    hang past TIME_LIMIT) propagates and fails the example."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIME_LIMIT)
    try:
        out = fn(*args, **kwargs)
        COUNTS["outcome: result"] += 1
        return out
    except DgcqError as exc:
        COUNTS["outcome: typed error"] += 1
        return exc
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def assert_finite(obj, what: str) -> None:
    if isinstance(obj, DgcqError):
        return
    if isinstance(obj, np.ndarray) and obj.dtype.kind in "fc":
        assert np.all(np.isfinite(obj)), f"{what}: non-finite result"
    elif isinstance(obj, float):
        assert math.isfinite(obj) or obj == math.inf, f"{what}: {obj}"


def _settings(name: str, n: int):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck), print_blob=True)


# ------------------------------------------------------------------ strategies
@st.composite
def mutated_netlist(draw, seeds=tuple(SEEDS)):
    name = draw(st.sampled_from(seeds))
    lines = SEEDS[name].splitlines()
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["token", "token", "insert", "delete", "dup", "chars",
                                   "truncate", "swap"]))
        if not lines:
            lines = [""]
        i = draw(st.integers(0, len(lines) - 1))
        if op == "token":
            toks = lines[i].split()
            if toks:
                j = draw(st.integers(0, len(toks) - 1))
                toks[j] = draw(st.one_of(st.sampled_from(NASTY_VALUES),
                                         st.sampled_from(NASTY_TEXT),
                                         st.text(max_size=8)))
                lines[i] = " ".join(toks)
        elif op == "insert":
            lines.insert(i, draw(st.one_of(st.sampled_from(NASTY_TEXT),
                                           st.text(max_size=30))))
        elif op == "delete":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "chars":
            s = lines[i]
            k = draw(st.integers(0, len(s)))
            lines[i] = s[:k] + draw(st.text(max_size=6)) + s[k:]
        elif op == "truncate":
            lines = lines[:i]
        else:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    return name, "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n", "\x0c"]))


spice_number = st.one_of(st.sampled_from(NASTY_VALUES),
                         st.floats(allow_nan=True, allow_infinity=True).map(repr),
                         st.integers(-10 ** 30, 10 ** 30).map(str),
                         st.text(alphabet="0123456789.eE+-mkunpfgtMEGx{}", max_size=12))


# ------------------------------------------------------------------ properties
def _netlist_property(name_text):
    from dgcq_sim.netlist import parse_netlist

    COUNTS["netlist"] += 1
    name, text = name_text
    run_limited(parse_netlist, text, path=name)


def _simulate_property(name_text):
    from dgcq_sim.engine import simulate
    from dgcq_sim.netlist import parse_netlist

    COUNTS["simulate"] += 1
    name, text = name_text

    def parse_and_run():
        c = parse_netlist(text, path=name)
        if c.tran is None:
            return None
        res = simulate(c)
        for node, v in res.v.items():
            assert np.all(np.isfinite(v)), f"{name}: v({node}) not finite, exit 0 (silent NaN)"
        return res

    run_limited(parse_and_run)


def _params_property(arch_name_value):
    from dgcq_sim.quantizers import get_architecture, load_quantizer

    COUNTS["params"] += 1
    arch, pick, value = arch_name_value
    names = sorted(get_architecture(arch).params())
    name = names[pick % len(names)]

    def go():
        q = load_quantizer(arch, params={name.upper(): value}, ideal=True)
        r = q.convert(np.linspace(q.vmin, q.vmax, 17), noise=False)
        assert np.all((r.codes >= 0) & (r.codes < q.n_codes))
        assert np.all(np.isfinite(r.estimate))
        return r

    run_limited(go)


def _param_string_property(text):
    from dgcq_sim.netlist import parse_param_assignments

    COUNTS["param_strings"] += 1

    def go():
        parsed = parse_param_assignments([text])
        from dgcq_sim.quantizers import load_quantizer
        return load_quantizer("sar", params=parsed, ideal=True)

    run_limited(go)


_NPZ_CACHE: dict = {}


def _npz_seed(kind: str) -> bytes:
    if kind not in _NPZ_CACHE:
        buf = io.BytesIO()
        if kind == "tf":
            from dgcq_sim.transfer import TransferFunction

            tf = TransferFunction.ideal(4).with_noise([0.0, 1.0], [1e-3, 2e-3])
            p = ROOT / "build" / "_fuzz_tf.npz"
            p.parent.mkdir(exist_ok=True)
            tf.save(p)
            _NPZ_CACHE[kind] = p.read_bytes()
            p.unlink()
            return _NPZ_CACHE[kind]
        from dgcq_sim.nn.data import BUNDLED_TEST
        with np.load(BUNDLED_TEST) as z:
            np.savez_compressed(buf, x=z["x"][:6], y=z["y"][:6])
        _NPZ_CACHE[kind] = buf.getvalue()
    return _NPZ_CACHE[kind]


def _npz_property(kind, ops, tmp_dir):
    from dgcq_sim.nn.data import load_npz_dataset
    from dgcq_sim.transfer import TransferFunction

    COUNTS["npz"] += 1
    b = bytearray(_npz_seed(kind))
    for op, pos, val in ops:
        if not b:
            break
        i = pos % len(b)
        if op == 0:
            b[i] ^= 1 << (val % 8)
        elif op == 1:
            b = b[:i]
        elif op == 2:
            b[i] = val % 256
        else:
            b[i:i] = bytes([val % 256]) * (val % 7 + 1)
    path = tmp_dir / f"fuzz_{kind}.npz"
    path.write_bytes(bytes(b))
    loader = TransferFunction.load if kind == "tf" else load_npz_dataset
    out = run_limited(loader, path)
    if isinstance(out, TransferFunction):
        v = np.linspace(out.vmin - 1, out.vmax + 1, 33)
        assert_finite(run_limited(out.apply, v, np.random.default_rng(0)), "tf.apply")


def _api_property(case):
    from dgcq_sim.metrics import code_density, lossless_bits, sine_metrics, static_enob
    from dgcq_sim.transfer import TransferFunction

    COUNTS["api"] += 1
    target, value = case
    tf = TransferFunction.ideal(5)
    calls = {
        "tf.convert": lambda: tf.convert(value),
        "tf.apply": lambda: tf.apply(value, np.random.default_rng(1)),
        "tf.to_voltage": lambda: tf.to_voltage(value),
        "ideal": lambda: TransferFunction.ideal(value),
        "sine_metrics": lambda: sine_metrics(value, 0.0, 1.0),
        "static_enob": lambda: static_enob(value, value, 0.0, 1.0),
        "code_density": lambda: code_density(value, 32, "ramp"),
        "lossless": lambda: lossless_bits(lambda u: tf.apply(u), 0.0, 1.0, value),
    }
    out = run_limited(calls[target])
    if hasattr(out, "enob"):
        assert_finite(float(out.enob), target)
    else:
        assert_finite(out, target)


api_values = st.one_of(
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=40).map(np.array),
    st.lists(st.integers(-2 ** 70, 2 ** 70), max_size=20),
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=300).map(np.array),
    st.sampled_from([[], "0.5", b"0.5", None, True, 3, 3.5, -1, 0, 2 ** 40, [[1], [1, 2]],
                     np.array([0.5 + 1j]), np.array([True]), np.array(["a"]),
                     np.array([1], "datetime64[s]"), np.zeros((0, 3)), np.array(0.25),
                     object(), {"a": 1}, np.float32(0.3), np.int8(3), 1e308, float("nan")]),
)
api_targets = st.sampled_from(["tf.convert", "tf.apply", "tf.to_voltage", "ideal",
                               "sine_metrics", "static_enob", "code_density", "lossless"])


def _make_tests(sizes, mark=None):
    @_settings("netlist", sizes["netlist"])
    @given(mutated_netlist())
    def t_netlist(name_text):
        _netlist_property(name_text)

    @_settings("simulate", sizes["simulate"])
    @given(mutated_netlist(tuple(SMALL_SEEDS)))
    def t_simulate(name_text):
        _simulate_property(name_text)

    @_settings("params", sizes["params"])
    @given(st.tuples(st.sampled_from(["sar", "dgcq", "flash", "coarse"]),
                     st.integers(0, 50), spice_number))
    def t_params(case):
        _params_property(case)

    @_settings("param_strings", sizes["param_strings"])
    @given(st.one_of(st.text(max_size=30),
                     st.tuples(st.sampled_from(["NBITS", "VREF", "nbits", "x", "", "=", "1a"]),
                               spice_number).map(lambda t: f"{t[0]}={t[1]}")))
    def t_param_strings(text):
        _param_string_property(text)

    @_settings("npz", sizes["npz"])
    @given(st.sampled_from(["tf", "data"]),
           st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10 ** 7),
                              st.integers(0, 10 ** 4)), min_size=1, max_size=4))
    def t_npz(kind, ops):
        _npz_property(kind, ops, ROOT / "build")

    @_settings("api", sizes["api"])
    @given(st.tuples(api_targets, api_values))
    def t_api(case):
        _api_property(case)

    tests = {"netlist": t_netlist, "simulate": t_simulate, "params": t_params,
             "param_strings": t_param_strings, "npz": t_npz, "api": t_api}
    if mark is not None:
        tests = {k: mark(v) for k, v in tests.items()}
    return tests


_quick = _make_tests(QUICK)
test_quick_netlist_mutations = _quick["netlist"]
test_quick_simulate_mutations = _quick["simulate"]
test_quick_quantizer_params = _quick["params"]
test_quick_param_strings = _quick["param_strings"]
test_quick_damaged_npz = _quick["npz"]
test_quick_api_inputs = _quick["api"]

_slow = _make_tests(SLOW, pytest.mark.slow)
test_slow_netlist_mutations = _slow["netlist"]
test_slow_simulate_mutations = _slow["simulate"]
test_slow_quantizer_params = _slow["params"]
test_slow_param_strings = _slow["param_strings"]
test_slow_damaged_npz = _slow["npz"]
test_slow_api_inputs = _slow["api"]


def test_slow_budget_is_at_least_ten_thousand():
    assert sum(SLOW.values()) >= 10_000
    assert sum(QUICK.values()) >= 300


@pytest.fixture(scope="session", autouse=True)
def _report_counts():
    yield
    if COUNTS:
        print("\nfuzz examples run: " + ", ".join(f"{k} {v}" for k, v in sorted(COUNTS.items()))
              + f" (total examples {sum(v for k, v in COUNTS.items() if not k.startswith('outcome'))})")
