"""Every CLI argument checked before work; characterize / export; --plot / --csv content."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from dgcq_sim.cli import build_parser, main
from dgcq_sim.report.demo import DemoConfig


@pytest.mark.parametrize("argv, message", [
    (["nn-eval", "--seed", "-1"], "--seed: must be >= 0, got -1"),
    (["nn-eval", "--images", "0"], "--images: must be >= 1, got 0"),
    (["nn-eval", "--limit", "0"], "--limit: must be >= 1, got 0"),
    (["enob", "sar", "--mc", "0"], "--mc: must be >= 1"),
    (["demo", "--seed", "-3"], "--seed: must be >= 0"),
    (["convert", "sar", "--vin", "0.1", "--seed", "x"], "expected a whole number"),
    (["enob", "sar", "--n-sine", "15"], "--n-sine: must be >= 16, got 15"),
    (["budget", "sar", "--n-sine", "8"], "--n-sine: must be >= 16, got 8"),
    (["characterize", "sar", "--out", "t.npz", "--noise-points", "1"],
     "--noise-points: must be >= 2, got 1"),
])
def test_bad_numbers_are_usage_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


QUANTIZER_COMMANDS = {"convert": ["--vin", "0.1"], "enob": [], "budget": [],
                      "characterize": ["--out", "t.npz"], "export": ["--vin", "0.1"]}


@pytest.mark.parametrize("command", sorted(QUANTIZER_COMMANDS))
def test_quantizer_commands_share_one_argument_group(command):
    """NETLIST, --param, --ideal and --seed mean the same in every command that loads a
    quantizer (budget has no --ideal: it starts from the ideal circuit itself)."""
    parser = build_parser()
    args = parser.parse_args([command, "dgcq", *QUANTIZER_COMMANDS[command], "--param", "NC=2",
                              "--param", "CPAR={2*10f}", "--seed", "7",
                              *(["--ideal"] if command != "budget" else [])])
    from dgcq_sim.cli._common import load_quantizer_from, quantizer_params

    assert quantizer_params(args) == {"NC": "2", "CPAR": "{2*10f}"}
    assert args.ideal is (command != "budget") and args.seed == 7
    q = load_quantizer_from(args)
    assert (q.kind, q.seed, q.ideal, q.stage_bits("coarse")) == ("dgcq", 7, command != "budget", 2)
    assert q.params["cpar"] == pytest.approx(20e-15)
    with pytest.raises(SystemExit):
        parser.parse_args([command, "dgcq", *QUANTIZER_COMMANDS[command], "--seed", "-1"])


@pytest.mark.parametrize("extra, given", [
    (["--quantizer", "ideal:6", "--param", "NC=3"], "--param NC"),
    (["--quantizer", "ideal:6", "--ideal"], "--ideal"),
    (["--param", "NF=8"], "--param NF"),
])
def test_nn_eval_refuses_ignored_params(extra, given, capsys):
    assert main(["nn-eval", "--no-progress", *extra]) == 1
    err = capsys.readouterr().err
    assert given in err and "takes no netlist parameters" in err


def test_nn_eval_ignored_param_with_saved_tf(tmp_path, capsys):
    from dgcq_sim.transfer import TransferFunction
    p = tmp_path / "t.npz"
    TransferFunction.ideal(4).save(p)
    assert main(["nn-eval", "--quantizer", str(p), "--param", "NC=3", "--no-progress"]) == 1
    assert "saved transfer function" in capsys.readouterr().err


def test_text_files_as_model_data_quantizer(tmp_path, capsys):
    txt = tmp_path / "readme.npz"
    txt.write_text("plain text\n")
    for flag, label in (("--model", "model file"), ("--data", "data file"),
                        ("--calib", "calibration file"), ("--quantizer", "transfer function")):
        assert main(["nn-eval", flag, str(txt), "--no-progress", "--images", "2"]) == 1
        err = capsys.readouterr().err
        assert f"{label} '{txt}' is not a .npz archive" in err, err
        assert "Traceback" not in err and "pickle" not in err


def test_nn_eval_json_carries_the_configuration(capsys):
    rc = main(["nn-eval", "--quantizer", "ideal:8", "--images", "8", "--json", "--no-progress",
               "--seed", "4", "--rows", "64"])
    assert rc == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["quantizer"] == "ideal:8" and res["quantizer_kind"] == "ideal"
    assert res["params"] == {} and res["model"] == "resnet20" and res["seed"] == 4
    assert res["cim"]["rows"] == 64 and res["cim"]["signed"] == "differential"
    assert res["transfer"]["bits"] == 8 and res["images"] == 8


@pytest.mark.parametrize("argv, flag", [
    (["demo", "--quick", "--no-progress", "--out", "/proc/dgcq_x"], "--out"),
    (["demo", "--quick", "--no-progress", "--out", "/tmp/" + "d" * 300], "--out"),
    (["characterize", "sar", "--out", "/proc/x.npz"], "--out"),
    (["enob", "sar", "--plot", "/proc/x.png"], "--plot"),
    (["enob", "sar", "--csv", "/no/such/dir/x.csv"], "--csv"),
    (["convert", "sar", "--vin", "0.1", "--plot", "/proc/x.png"], "--plot"),
    (["tran", "xval_sc_integrator", "--csv", "/proc/x.csv"], "--csv"),
    (["export", "sar", "--vin", "0.1", "--out", "/tmp/" + "e" * 300 + ".cir"], "--out"),
])
def test_unwritable_outputs_refused_before_work(argv, flag, capsys):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"error: {flag}" in err
    assert "cannot write" in err or "bytes long" in err or "does not exist" in err


def test_demo_help_states_the_true_defaults():
    """The help's numbers are the configuration's (it once said 30 --quick images where 16
    ran, and 'a few minutes' for a 35 s run)."""
    from dgcq_sim.cli import demo

    quick = DemoConfig.preset(quick=True)
    full = DemoConfig.preset(quick=False)
    sub = build_parser()._subparsers._group_actions[0].choices["demo"]
    text = " ".join(sub.format_help().split())
    assert f"default {full.n_images}, {quick.n_images} with --quick" in text
    assert f"Defaults: {full.n_images} ResNet-20 images" in text
    assert f"{full.n_sine} sine samples per quantizer; about {demo.FULL_RUN_S} s" in text
    assert f"smoke run (about {demo.QUICK_RUN_S} s): {quick.n_images} images, " \
        f"{quick.n_sine} sine samples" in text
    for cfg in (full, quick):
        for series in cfg.resolution:
            assert f"{series.name} {series.param} = {', '.join(map(str, series.values))}" \
                in text


@pytest.mark.parametrize("at, message", [
    ("80x", "'80x' ends in 'x'"),
    ("1e-8x", "ends in 'x'"),
    ("10nV", "ends in 'v'"),
    ("1", "--at 1 s is outside the simulated interval [0, 8e-08] s"),
])
def test_tran_at_is_strict_and_messages_plain(at, message, capsys):
    assert main(["tran", "xval_sc_integrator", "--at", at]) == 1
    err = capsys.readouterr().err
    assert message in err and "np.float64" not in err


def test_tran_at_accepts_unit_seconds(capsys):
    assert main(["tran", "xval_sc_integrator", "--node", "out", "--at", "10ns,20n",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["t"] == pytest.approx([1e-8, 2e-8])


def test_tran_unknown_sweep_source_lists_the_sources(capsys):
    assert main(["tran", "xval_sc_integrator", "--sweep", "vzz=0:1:3"]) == 1
    assert "sources: vdec, vin, vphi1, vphi2" in capsys.readouterr().err


def test_characterize_then_nn_eval_reads_it(tmp_path, capsys):
    out = tmp_path / "sar6.npz"
    assert main(["characterize", "sar", "--param", "NBITS=6", "--ideal", "--out", str(out),
                 "--json", "--points-per-lsb", "4"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["bits"] == 6 and summary["n_codes"] == 64 and summary["edges"] == 63
    assert summary["missing_codes"] == 0 and summary["noise_free"] is True
    from dgcq_sim.transfer import TransferFunction
    tf = TransferFunction.load(out)
    assert tf.meta["params"] == {"NBITS": "6"} and tf.meta["architecture"] == "sar"
    # ideal 6-bit SAR: the k-th transition at k/64 V (within the bisection resolution)
    np.testing.assert_allclose(tf.edges, np.arange(1, 64) / 64, atol=1e-9)
    assert main(["nn-eval", "--quantizer", str(out), "--images", "4", "--json",
                 "--no-progress"]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["quantizer_kind"] == "file" and res["transfer"]["bits"] == 6


def test_export_writes_the_deck_of_one_conversion(tmp_path, capsys):
    deck = tmp_path / "deck.cir"
    assert main(["export", "sar", "--param", "NBITS=6", "--ideal", "--vin", "300m",
                 "--out", str(deck), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["code"] == int(0.3 * 64) and len(info["decisions"]) == 6
    # decisions of an ideal SAR are the bits of the code, MSB first
    assert info["decisions"] == [int(b) for b in np.binary_repr(info["code"], 6)]
    text = deck.read_text()
    assert "vin=0.3" in text and ".tran" in text.lower() and "pwl" in text.lower()
    assert main(["export", "sar", "--vin", "1.5"]) == 1
    assert "outside the input range" in capsys.readouterr().err


# ------------------------------------------------------------------ --plot / --csv content
def _read_png(path):
    import matplotlib.image

    return matplotlib.image.imread(str(path))


def test_enob_plot_and_csv(tmp_path, capsys, monkeypatch):
    from dgcq_sim.report import figures

    made = {}
    orig = figures.enob_figure

    def spy(*a, **k):
        made["fig"] = orig(*a, **k)
        return made["fig"]

    monkeypatch.setattr(figures, "enob_figure", spy)
    png, table = tmp_path / "e.png", tmp_path / "e.csv"
    assert main(["enob", "sar", "--param", "NBITS=6", "--ideal", "--n-sine", "1024",
                 "--plot", str(png), "--csv", str(table)]) == 0
    capsys.readouterr()
    ax1, ax2 = made["fig"].axes
    assert ax1.get_xlabel() == "frequency (cycles per sample)"
    assert "dB" in ax1.get_ylabel() and ax2.get_xlabel() == "output code"
    assert ax2.get_ylabel() == "error (LSB)"
    labels = [line.get_label() for line in ax1.get_lines()]
    assert any(lbl.startswith("harmonics 2..9") for lbl in labels)
    fund = next(line for line in ax1.get_lines() if line.get_label().startswith("fundamental"))
    assert fund.get_ydata()[0] == pytest.approx(0.0)        # the reference of the dB scale
    harm = next(line for line in ax1.get_lines() if line.get_label().startswith("harmonics"))
    assert len(harm.get_xdata()) == 8 and np.all(np.asarray(harm.get_ydata()) < 0)
    img = _read_png(png)
    assert img.shape[0] > 500 and img.shape[1] > 700 and img[..., :3].std() > 0.05
    rows = list(csv.DictReader(io.StringIO(table.read_text())))
    assert [int(r["code"]) for r in rows] == list(range(1, 64))
    # an ideal quantizer on a uniform ramp: every code width within 0.2 LSB of 1 LSB
    assert max(abs(float(r["dnl_lsb"])) for r in rows if r["dnl_lsb"]) < 0.2


def test_enob_plot_refused_with_mc(tmp_path, capsys):
    assert main(["enob", "sar", "--mc", "2", "--plot", str(tmp_path / "x.png")]) == 1
    assert "drop --mc" in capsys.readouterr().err


def test_convert_plot_and_csv(tmp_path, capsys):
    png, table = tmp_path / "c.png", tmp_path / "c.csv"
    assert main(["convert", "sar", "--param", "NBITS=4", "--ideal", "--vin", "0.3,0.8",
                 "--plot", str(png), "--csv", str(table), "--ramp", "160"]) == 0
    capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(table.read_text())))
    assert len(rows) == 160
    v = np.array([float(r["vin_v"]) for r in rows])
    c = np.array([int(r["code"]) for r in rows])
    np.testing.assert_array_equal(c, np.minimum(np.floor(v * 16), 15).astype(int))
    err = np.array([float(r["error_lsb"]) for r in rows])
    assert err.min() >= -0.5 - 1e-9 and err.max() <= 0.5 + 1e-9   # ideal: within half an LSB
    assert _read_png(png)[..., :3].std() > 0.05


def test_tran_plot_and_csv(tmp_path, capsys):
    from dgcq_sim.report.figures import waveform_figure

    png, table = tmp_path / "w.png", tmp_path / "w.csv"
    assert main(["tran", "xval_sc_integrator", "--node", "out", "--sweep", "vin=0:1:3",
                 "--at", "20n,80n", "--plot", str(png), "--csv", str(table)]) == 0
    capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(table.read_text())))
    assert len(rows) == 6 and set(rows[0]) == {"sample", "t_s", "vin", "v(out)_v"}
    assert [float(r["vin"]) for r in rows] == [0.0, 0.0, 0.5, 0.5, 1.0, 1.0]
    fig = waveform_figure("x", np.array([0.0, 1e-8]), {"out": np.array([[0.0, 0.5]])})
    ax = fig.axes[0]
    assert ax.get_xlabel() == "time (ns)" and ax.get_ylabel() == "node voltage (V)"
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), [0.0, 10.0])
    assert _read_png(png)[..., :3].std() > 0.05


def test_limit_is_a_deprecated_alias_of_images(capsys):
    """One name for the image count in demo and nn-eval (--images); --limit still works and
    says so on stderr."""
    parser = build_parser()
    assert parser.parse_args(["nn-eval", "--images", "7"]).images == 7
    args = parser.parse_args(["nn-eval", "--limit", "7"])
    assert args.images == 7 and not hasattr(args, "limit")
    assert "--limit is deprecated; use --images" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parser.parse_args(["demo", "--limit", "12"])      # demo never had --limit
    helps = parser._subparsers._group_actions[0].choices
    for command in ("demo", "nn-eval"):
        assert "--images N" in helps[command].format_help()
