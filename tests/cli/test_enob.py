"""``dgcq-sim enob``: argument handling and output, on a stand-in quantizer and (below) on the
bundled netlists once :mod:`dgcq_sim.quantizers` provides them."""

import argparse
import json
from types import SimpleNamespace

import numpy as np
import pytest

import dgcq_sim.quantizers as quantizers
from dgcq_sim.cli import enob
from dgcq_sim.cost import CapBlock, HardwareSpec
from dgcq_sim.errors import ParameterError


class StandIn:
    """Ideal uniform quantizer with the quantizer interface (bits from params['NBITS'])."""

    kind = "sar"

    def __init__(self, bits):
        self.bits, self.vmin, self.vmax, self.n_codes = bits, 0.0, 1.0, 2 ** bits
        self.params = {"NBITS": bits}

    def convert(self, v, noise=True, rng=None):
        codes = np.clip(np.floor(np.asarray(v) * self.n_codes), 0, self.n_codes - 1).astype(np.int64)
        return SimpleNamespace(codes=codes, estimate=(codes + 0.5) / self.n_codes)

    def instance(self, k):
        return self

    def hardware(self):
        n = self.bits
        return HardwareSpec("sar", n, n + 2, (n + 2) * 1e-8, 1.0, 1.0,
                            (CapBlock("dac", 2.0 ** n * 1e-15, 1, 0.5),), 1, n, 0, 0.0, n, n * n)


@pytest.fixture
def stand_in(monkeypatch):
    calls = []

    def load(name, params=None, ideal=False, seed=0):
        calls.append((name, dict(params or {}), ideal, seed))
        return StandIn(int((params or {}).get("NBITS", 8)))

    monkeypatch.setattr(quantizers, "load_quantizer", load, raising=False)
    return calls


def _run(argv):
    parser = argparse.ArgumentParser()
    enob.register(parser.add_subparsers())
    args = parser.parse_args(["enob", *argv])
    return args.func(args)


def test_json_output_and_params(stand_in, capsys):
    assert _run(["sar", "--param", "NBITS=9", "--param", "rleak=1g", "--ideal", "--seed", "4",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert stand_in == [("sar", {"NBITS": "9", "rleak": "1g"}, True, 4)]
    assert out["enob_sine"] == pytest.approx(9, abs=0.05)
    assert out["dnl_max"] == 0 and out["inl_max"] == 0 and out["lossless_bits"] == 9


def test_table_output_and_mc(stand_in, capsys):
    assert _run(["sar", "--param", "NBITS=6", "--mc", "2"]) == 0
    text = capsys.readouterr().out
    assert "Monte Carlo over 2 instances" in text
    assert "enob_sine" in text and "mean=" in text and "p5=" in text


@pytest.mark.parametrize("bad", ["NBITS", "=3", "NBITS="])
def test_bad_param_is_refused_before_loading(stand_in, bad):
    with pytest.raises(ParameterError, match="NAME=VALUE"):
        _run(["sar", "--param", bad])
    assert stand_in == []


def test_param_values_reach_the_loader_as_spice_text(capsys):
    """--param values go to the netlist parser as text (SPICE suffixes, {expressions}), as
    in every other command; a value that is no number is refused naming the parameter."""
    from dgcq_sim.cli import main

    assert main(["enob", "sar", "--ideal", "--param", "NBITS=6", "--param", "CU={2*1f}",
                 "--n-sine", "1024", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["params"] == {"NBITS": "6", "CU": "{2*1f}"} and out["bits"] == 6
    assert main(["enob", "sar", "--param", "NBITS=ten", "--n-sine", "1024"]) == 1
    assert "nbits" in capsys.readouterr().err.lower()


# --- on the bundled netlists, through the dgcq-sim entry point -------------------------------

def _enob_json(capsys, *argv):
    from dgcq_sim.cli import main

    assert main(["enob", *argv, "--json", "--n-sine", "4096"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("bits", [6, 10])
def test_ideal_sar_has_n_bits_and_no_nonlinearity(capsys, bits):
    out = _enob_json(capsys, "sar", "--param", f"NBITS={bits}", "--ideal")
    assert out["kind"] == "sar" and out["bits"] == bits
    assert out["enob_sine"] == pytest.approx(bits, abs=0.05)
    assert out["enob_static"] == pytest.approx(bits, abs=0.05)
    assert out["dnl_max"] == pytest.approx(0, abs=1e-9)
    assert out["inl_max"] == pytest.approx(0, abs=1e-9)
    assert out["missing_codes"] == 0 and out["lossless_bits"] == bits


@pytest.mark.parametrize("c, f", [(2, 6), (3, 8)])
def test_ideal_dgcq_has_c_plus_f_bits(capsys, c, f):
    out = _enob_json(capsys, "dgcq", "--param", f"NC={c}", "--param", f"NF={f}", "--ideal")
    assert out["kind"] == "dgcq" and out["bits"] == c + f
    assert out["enob_sine"] == pytest.approx(c + f, abs=0.05)
    assert out["lossless_bits"] == c + f
    assert out["cycles"] > 2 ** c  # the coarse iterations come before the SAR cycles


@pytest.mark.parametrize("netlist, params", [("coarse", ["NITER=64"]), ("dgcq", ["NC=3", "NF=6"])])
def test_more_leakage_never_raises_enob(capsys, netlist, params):
    # Leakage alone (--ideal removes the other non-idealities; the RLEAK override still
    # applies).  With the default parasitics DGCQ 3+6 is not monotone in RLEAK: going from
    # 100 Gohm to 10 Mohm raises its sine ENOB by ~0.2 bit, because the leak partly cancels the
    # error of the SAR top-plate parasitic CPTOP (with CPTOP ~ 0 the leak only lowers ENOB).
    args = [a for p in params for a in ("--param", p)]
    runs = [_enob_json(capsys, netlist, *args, "--ideal", "--param", f"RLEAK={r}", "--seed", "1")
            for r in ("100g", "1g", "10meg", "1meg", "100k")]
    for hi, lo in zip(runs, runs[1:]):
        assert lo["enob_sine"] <= hi["enob_sine"] + 0.02  # 0.02 bit: scatter of the estimate
        assert lo["enob_static"] <= hi["enob_static"] + 1e-9
        assert lo["lossless_bits"] <= hi["lossless_bits"]
    assert runs[-1]["enob_sine"] < runs[0]["enob_sine"] - 2  # 100 kohm across CF: far worse


def test_missing_codes_are_named(capsys):
    """The default SAR's 1 mV comparator offset makes code 0 unreachable without noise
    (its bin is 0.98 mV wide at 10 bits): enob says which code is missing, not only how
    many.  (With the 0.3 mV noise on, code 0 is hit or not by chance.)"""
    from dgcq_sim.cli import main

    quiet = ["--param", "VNOISE=0"]
    assert main(["enob", "sar", "--n-sine", "4096", "--json"] + quiet) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["missing_codes"] == 1 and out["missing_code_list"] == [0]
    assert main(["enob", "sar", "--n-sine", "4096"] + quiet) == 0
    assert "(codes 0)" in capsys.readouterr().out
