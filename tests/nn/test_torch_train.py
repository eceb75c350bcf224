"""ADC-aware fine-tuning: the loss falls, the archive evaluates as it was trained, bad input."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from dgcq_sim.errors import InputError, ModelFileError, ParameterError  # noqa: E402
from dgcq_sim.nn.data import Dataset  # noqa: E402
from dgcq_sim.nn.evaluate import evaluate  # noqa: E402
from dgcq_sim.nn.forward import predict  # noqa: E402
from dgcq_sim.nn.model import load_model  # noqa: E402
from dgcq_sim.nn.record import REMAP_FIELDS, read_record  # noqa: E402
from dgcq_sim.nn.torch import resnet_to_torch, to_cim  # noqa: E402
from dgcq_sim.nn.torch.train import TrainConfig, Trainer, augment, train  # noqa: E402
from dgcq_sim.transfer import TransferFunction  # noqa: E402


@pytest.fixture(scope="module")
def images(calib):
    # calibration images are training images: a small stand-in for the training split
    return Dataset(calib.x[::2][:192], calib.y[::2][:192], "calib subset")


@pytest.fixture(scope="module")
def config(calib, tmp_path_factory):
    """TrainConfig calibrating on 96 calibration images (not the training stand-in's)
    instead of the 500 bundled ones every run would pass through its calibration and range
    search, without a progress bar."""
    import functools
    path = tmp_path_factory.mktemp("calib") / "calib96.npz"
    np.savez(path, x=calib.x[1::2][:96], y=calib.y[1::2][:96])
    return functools.partial(TrainConfig, calib=str(path))


def test_steps_lower_the_loss_of_the_batch(config, images):
    cfg = config(quantizer="ideal:3", init_ranges="max", lr=1e-3)
    tr = Trainer(cfg, total_steps=100)
    xb = tr.norm(torch.from_numpy(images.x[:96]))
    yb = torch.from_numpy(images.y[:96])
    with torch.no_grad():
        before = float(tr.loss(xb, yb)[0])
    for _ in range(4):
        tr.step(xb, yb)
    with torch.no_grad():
        after = float(tr.loss(xb, yb)[0])
    assert after < before - 0.02


def test_archive_records_and_reproduces_the_trained_network(config, images, tmp_path, test_set):
    out = tmp_path / "ft.npz"
    res = train(config(quantizer="ideal:4", init_ranges="max", out=str(out), batch=96),
                train_set=images)
    assert res["steps"] == 2 and out.is_file()
    rec = read_record(out)
    assert rec["quantizer"] == "ideal:4" and rec["mapping"]["rows"] == 128
    assert set(rec["layers"]) >= {"conv1", "layer1.0.conv1", "fc"}
    # the weights changed, and numpy evaluates the archive with the trained scales/ranges:
    # the same logits as the torch module carrying that state
    base, tuned = load_model("resnet20"), load_model(out)
    assert not np.array_equal(base.layers()[1].w, tuned.layers()[1].w)
    x = test_set.x[::50]
    tf = TransferFunction.ideal(4, 0.0, 1.0)
    tnet = resnet_to_torch(tuned)
    tc = to_cim(tnet, tf, ranges=rec["layers"])
    with torch.no_grad():
        logits_torch = tc(tnet.normalize(x)).numpy()
    from dgcq_sim.nn.cim import CimModel
    from dgcq_sim.nn.quant import QuantConfig, quantize_model
    from dgcq_sim.nn.record import apply_record, record_mapping
    from dgcq_sim.nn.quant import collect_act_stats
    qm = quantize_model(tuned, None, QuantConfig(), stats=collect_act_stats(tuned, x))
    cm = CimModel(qm, tf, record_mapping(rec), ranges=apply_record(qm, rec))
    assert np.array_equal(cm.predict(x), logits_torch)
    r = evaluate(str(out), "bundled", tf=tf, limit=40, record=rec)
    assert r["images"] == 40 and 0 <= r["top1"] <= 1
    assert r["ranges"] == {k: v["psum_range"] for k, v in rec["layers"].items() if v["analog"]}


def test_balanced_mid_tread_arrays_are_recorded_and_threads_survive_the_range_search(
        config, images, tmp_path):
    # the numpy range search launches numba's OpenMP pool, which resets torch's thread count
    out = tmp_path / "bal.npz"
    before = torch.get_num_threads()
    try:
        train(config(quantizer="ideal:3", row_split="balanced", mid_tread=True, threads=1,
                     out=str(out), batch=96, limit=96), train_set=images)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    rec = read_record(out)
    assert rec["mapping"]["row_split"] == "balanced" and rec["mapping"]["mid_tread"] is True
    r = evaluate(str(out), "bundled", tf=TransferFunction.ideal(3, 0.0, 1.0), limit=20,
                 record=rec)
    assert r["ranges"] == {k: v["psum_range"] for k, v in rec["layers"].items() if v["analog"]}


def test_column_gains_are_learned_recorded_and_evaluated_as_trained(config, images, tmp_path,
                                                                    test_set):
    out = tmp_path / "gains.npz"
    train(config(quantizer="ideal:3", mid_tread=True, column_gains=True, range_lr=0.05,
                 init_ranges="max", out=str(out), batch=96, epochs=2, keep_epochs=True),
          train_set=images)
    # every epoch's checkpoint kept beside the archive (the last one is the archive)
    ep1, ep2 = tmp_path / "gains-ep1.npz", tmp_path / "gains-ep2.npz"
    z2, zo = np.load(ep2), np.load(out)
    assert ep1.is_file() and all(np.array_equal(z2[k], zo[k]) for k in zo.files)
    assert not np.array_equal(np.load(ep1)["layer1.0.conv1.weight"], zo["layer1.0.conv1.weight"])
    rec = read_record(out)
    layers = rec["layers"]
    for name, st in layers.items():
        assert ("weight_gain" in st) == st["analog"]
    g = np.concatenate([st["weight_gain"] for st in layers.values() if st["analog"]])
    assert np.all(g > 0) and np.ptp(g) > 0.05           # two Adam steps at 0.05 moved them
    # numpy re-quantizes the weights with the gains: the torch module's logits
    from dgcq_sim.nn.cim import CimModel
    from dgcq_sim.nn.quant import QuantConfig, collect_act_stats, quantize_model
    from dgcq_sim.nn.record import apply_record, record_mapping
    tuned = load_model(out)
    x = test_set.x[::50]
    tf = TransferFunction.ideal(3, 0.0, 1.0)
    qm = quantize_model(tuned, None, QuantConfig(), stats=collect_act_stats(tuned, x))
    plain = {n: q.w_int.copy() for n, q in qm.layers.items()}
    cm = CimModel(qm, tf, record_mapping(rec), ranges=apply_record(qm, rec))
    assert not np.array_equal(plain["layer1.0.conv1"], qm.layers["layer1.0.conv1"].w_int)
    assert np.array_equal(plain["conv1"], qm.layers["conv1"].w_int)
    tnet = resnet_to_torch(tuned)
    tc = to_cim(tnet, tf, ranges=layers, mid_tread=True)
    with torch.no_grad():
        assert np.array_equal(cm.predict(x), tc(tnet.normalize(x)).numpy())
    # a run continuing the archive starts from its gains
    tr = Trainer(config(model=str(out), quantizer="ideal:3", mid_tread=True), 10)
    assert tr.net.quant_state()["layer1.0.conv1"]["weight_gain"] == pytest.approx(
        layers["layer1.0.conv1"]["weight_gain"], rel=1e-6)


def test_array_gains_are_learned_recorded_and_evaluated_as_trained(config, images, tmp_path,
                                                                   test_set):
    from dgcq_sim.nn.cim import CimModel
    from dgcq_sim.nn.quant import QuantConfig, collect_act_stats, quantize_model
    from dgcq_sim.nn.record import apply_record, record_mapping
    out = tmp_path / "arrays.npz"
    train(config(quantizer="ideal:3", mid_tread=True, row_split="balanced",
                 array_gains=True, range_lr=0.05, init_ranges="max", out=str(out),
                 batch=96, epochs=1), train_set=images)
    rec = read_record(out)
    st = rec["layers"]["layer3.0.conv1"]                       # K = 288: 3 arrays of 96
    g = np.array(st["weight_gain"])
    assert g.shape == (3, 64) and np.all(g > 0)
    assert np.ptp(np.log(g), axis=0).max() > 0.01               # the arrays moved apart
    assert np.array(rec["layers"]["layer1.0.conv1"]["weight_gain"]).shape == (2, 16)
    tuned = load_model(out)
    x = test_set.x[::50]
    tf = TransferFunction.ideal(3, 0.0, 1.0)
    qm = quantize_model(tuned, None, QuantConfig(), stats=collect_act_stats(tuned, x))
    cm = CimModel(qm, tf, record_mapping(rec), ranges=apply_record(qm, rec))
    tnet = resnet_to_torch(tuned)
    tc = to_cim(tnet, tf, ranges=rec["layers"], mid_tread=True, row_split="balanced")
    with torch.no_grad():
        assert np.array_equal(cm.predict(x), tc(tnet.normalize(x)).numpy())
    # continued with column gains asked, the archive keeps its per-array ones
    tr = Trainer(config(model=str(out), quantizer="ideal:3", mid_tread=True,
                        row_split="balanced", column_gains=True), 10)
    assert tr.net.quant_state()["layer3.0.conv1"]["weight_gain"] == st["weight_gain"]


def test_column_gains_need_cim_layers(tmp_path):
    for bad in ({"quantizer": None}, {"weights_shared": (8, 4)}):
        for kind in ("column_gains", "array_gains"):
            with pytest.raises(ParameterError, match="column_gains"):
                train(TrainConfig(**{kind: True}, out=str(tmp_path / "a.npz"), **bad))
    assert not (tmp_path / "a.npz").exists()


def test_identity_batchnorm_archive_folds_back_to_the_same_weights(tmp_path):
    from dgcq_sim.nn.torch import save_archive
    net = load_model("resnet20")
    path = save_archive(resnet_to_torch(net), tmp_path / "same.npz")
    again = load_model(path)
    for a, b in zip(net.layers(), again.layers()):
        assert np.array_equal(a.w, b.w) and np.array_equal(a.b, b.b)


def test_state_dict_of_a_standard_cifar_resnet(r20, test_set):
    from dgcq_sim.nn.torch import resnet_from_state_dict
    # a kuangliu-style state_dict with unfolded BatchNorm, built from the archive's arrays
    from dgcq_sim.archive import read_npz
    from dgcq_sim.nn.model import BUNDLED_RESNET20
    arrs = read_npz(BUNDLED_RESNET20, "model file")
    sd = {}
    for k, v in arrs.items():
        if v.dtype.kind not in "f":
            continue
        k = (k.replace(".gamma", ".weight").replace(".beta", ".bias")
              .replace(".mean", ".running_mean").replace(".var", ".running_var")
              .replace("shortcut.conv", "shortcut.0").replace("shortcut.bn", "shortcut.1")
              .replace("fc.", "linear."))
        sd[k] = torch.from_numpy(v.copy())
    sd["bn1.num_batches_tracked"] = torch.tensor(5)
    net = resnet_from_state_dict(sd)
    x = test_set.x[::100]
    assert np.array_equal(predict(net, x), predict(r20, x))
    with pytest.raises(Exception, match="layer1.0.bn2.running_var"):
        resnet_from_state_dict({k: v for k, v in sd.items() if k != "layer1.0.bn2.running_var"})
    # a projection network missing one projection is not taken for option A
    with pytest.raises(ModelFileError, match=r"layer3\.0\.shortcut\.conv\.weight"):
        resnet_from_state_dict({k: v for k, v in sd.items() if not k.startswith("layer3.0.shortcut")})


def test_augment_is_a_seeded_crop_and_flip():
    x = torch.arange(2 * 32 * 32 * 3, dtype=torch.int64).reshape(2, 32, 32, 3).to(torch.uint8)
    a = augment(x, torch.Generator().manual_seed(1))
    b = augment(x, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and a.shape == x.shape and a.dtype == torch.uint8
    # every output row is a (possibly flipped) window of an input row or zero padding
    win = a[0, 10].numpy()
    rows = np.pad(x[0].numpy(), ((4, 4), (4, 4), (0, 0)))
    found = any(np.array_equal(win, rows[r, c:c + 32]) or np.array_equal(win, rows[r, c:c + 32][::-1])
                for r in range(40) for c in range(9))
    assert found


def test_bad_configs_fail_before_work(tmp_path):
    with pytest.raises(ParameterError, match="epochs"):
        train(TrainConfig(epochs=0, out=str(tmp_path / "a.npz")))
    with pytest.raises(ParameterError, match="weights_shared"):
        train(TrainConfig(weights_shared=(8, 2), out=str(tmp_path / "a.npz")))
    with pytest.raises(InputError, match="does not exist"):
        train(TrainConfig(out=str(tmp_path / "no" / "a.npz")))
    with pytest.raises(InputError, match="training data not found.*missing.npz"):
        train(TrainConfig(out=str(tmp_path / "a.npz"), data=str(tmp_path / "missing.npz")))
    assert not (tmp_path / "a.npz").exists()


def test_a_fine_tuned_archive_continues_from_its_record(config, images):
    # its float pass is no calibration source: the scales and ranges come from the record,
    # and the torch module then gives the numpy evaluation's top-1 on the same images
    rec = read_record("dgcq_sim/data/resnet20-adc3.npz")
    remap = {k: rec["mapping"][k] for k in REMAP_FIELDS}      # its own arrays and zero point
    tr = Trainer(config(model="resnet20-adc3", teacher="resnet20", quantizer="ideal:3",
                        **remap), total_steps=10)
    state = tr.net.quant_state()
    for name, st in rec["layers"].items():
        assert state[name]["act_scale"] == pytest.approx(st["act_scale"], rel=1e-12)
        if st["analog"]:
            assert state[name]["psum_range"] == pytest.approx(st["psum_range"], rel=1e-6)
    assert tr.teacher is not tr.base
    x = images.x[:64]
    with torch.no_grad():
        top_torch = tr.net(tr.norm(torch.from_numpy(x))).argmax(1).numpy()
        top_teacher = tr.teacher(tr.norm(torch.from_numpy(x))).argmax(1).numpy()
    assert np.mean(top_teacher == images.y[:64]) > 0.8          # the pretrained float net
    assert np.mean(top_torch == images.y[:64]) > 0.45   # recalibrating from the float pass: 0.27
    # another converter continues from the trained ranges; another setup is refused
    tr2 = Trainer(config(model="resnet20-adc3", quantizer="ideal:2", **remap), 10)
    assert tr2.net.quant_state() == state
    with pytest.raises(ParameterError, match="on CIM arrays; continue it the same way"):
        Trainer(config(model="resnet20-adc3", quantizer=None), 10)
    with pytest.raises(ParameterError, match="different setup.*signed"):
        Trainer(config(model="resnet20-adc3", quantizer="ideal:3", signed="pos-neg",
                       **remap), 10)


def test_a_fine_tuned_archive_continues_on_other_arrays_with_ranges_searched_again(config, images):
    # (the column-gain archive: per-array gains would be refused on other arrays)
    # the other row split than the archive's (K = 144: 72 + 72 rows against 128 + 16): the
    # record's activation scales stay, its partial-sum ranges no longer fit the arrays, so
    # they are searched again on those scales; the network stays usable (recalibrating from
    # its float pass instead gives 0.27)
    rec = read_record("dgcq_sim/data/resnet20-adc3-cg.npz")
    other = {"packed": "balanced", "balanced": "packed"}[rec["mapping"]["row_split"]]
    tr = Trainer(config(model="resnet20-adc3-cg", teacher="resnet20", quantizer="ideal:3",
                        row_split=other, mid_tread=rec["mapping"]["mid_tread"]), total_steps=10)
    state = tr.net.quant_state()
    analog = [n for n, st in rec["layers"].items() if st["analog"]]
    for name, st in rec["layers"].items():
        assert state[name]["act_scale"] == pytest.approx(st["act_scale"], rel=1e-12)
    moved = [n for n in analog
             if state[n]["psum_range"] != pytest.approx(rec["layers"][n]["psum_range"], rel=1e-3)]
    assert len(moved) > len(analog) // 2
    x = images.x[:64]
    with torch.no_grad():
        top = tr.net(tr.norm(torch.from_numpy(x))).argmax(1).numpy()
    assert np.mean(top == images.y[:64]) > 0.4


def test_vsquant_qat_writes_a_record_that_evaluates_as_trained(config, images, tmp_path,
                                                               test_set):
    out = tmp_path / "vs.npz"
    cfg = config(quantizer=None, vsquant=(16, 4), weight_bits=4, act_bits=4, lr=5e-5,
                 out=str(out), batch=96)
    res = train(cfg, train_set=images)
    rec = read_record(out)
    assert res["steps"] == 2 and rec["vsquant"] == [16, 4] and rec["quantizer"] is None
    assert (rec["weight_bits"], rec["act_bits"]) == (4, 4)
    # the numpy digital path with the record's bits, vectors and scales = the torch module
    x = test_set.x[::50]
    tnet = resnet_to_torch(load_model(out))
    tc = to_cim(tnet, None, vsquant=(16, 4), weight_bits=4, act_bits=4, ranges=rec["layers"])
    with torch.no_grad():
        ref = tc(tnet.normalize(x)).numpy().argmax(1)
    ev = evaluate(str(out), Dataset(x, test_set.y[::50], "every 50th"), record=rec,
                  progress=False)
    assert ev["top1"] == pytest.approx(float(np.mean(ref == test_set.y[::50])))
    with pytest.raises(ParameterError, match="differs"):
        from dgcq_sim.nn.quant import QuantConfig
        evaluate(str(out), "bundled", record=rec, limit=5,
                 quant=QuantConfig(vs_vector=8, vs_scale_bits=4))


@pytest.mark.parametrize("changes, what", [
    ({"vsquant": (16, 4)}, "quantizer None"),                      # with ideal:3
    ({"quantizer": None, "vsquant": (16, 4), "weights_shared": (8, 4)}, "weights_shared"),
    ({"quantizer": None, "vsquant": (16, 0)}, "vs_scale_bits"),
    ({"weight_bits": 9}, "weight_bits"),
    ({"params": {"NC": "2"}}, "--param NC.*ideal ADC"),                 # with ideal:3
    ({"quantizer": None, "ideal": True}, "--ideal"),
    ({"quantizer": "dgcq", "params": {"NOPE": "1"}}, "(?i)parameter .nope.: the netlist"),
    ({"quantizer": None, "weights_shared": (8, 4), "weight_bits": 4}, "weight_bits must be 8"),
])
def test_bad_vsquant_and_bits_configs_fail_before_work(tmp_path, changes, what):
    with pytest.raises(ParameterError, match=what):
        train(TrainConfig(out=str(tmp_path / "a.npz"), **changes))
    assert not (tmp_path / "a.npz").exists()


def test_a_netlist_quantizer_with_overrides_is_recorded_and_evaluated_as_trained(
        config, images, tmp_path, capsys):
    # DGCQ 1+2 (default parasitics): the record keeps the --param overrides, and nn-eval
    # of the archive characterizes the same design from them (JSON params, bits)
    import json

    from dgcq_sim.cli import main

    out = tmp_path / "dgcq12.npz"
    params = {"NC": "1", "NF": "2"}
    res = train(config(quantizer="dgcq", params=params, init_ranges="max", batch=96,
                       out=str(out)), train_set=images)
    assert res["steps"] == 2
    rec = read_record(out)
    assert (rec["quantizer"], rec["params"], rec["ideal"]) == ("dgcq", params, False)
    assert main(["nn-eval", "--model", str(out), "--images", "20", "--json",
                 "--no-progress"]) == 0
    ev = json.loads(capsys.readouterr().out)
    assert ev["quantizer"] == "dgcq" and ev["params"] == params and ev["trained_record"]
    assert ev["transfer"]["bits"] == 3


def test_holdout_is_kept_out_and_scored_as_numpy_evaluates_the_archive(config, images, tmp_path):
    """The held-out images are disjoint from the trained ones, class-balanced strides of the
    split, and their top-1 after the epoch is the numpy path's on the written archive."""
    rest, held = images.holdout(48)
    assert len(rest) == 144 and len(held) == 48
    rows = {r.tobytes() for r in rest.x}
    assert not any(h.tobytes() in rows for h in held.x)
    out = tmp_path / "ho.npz"
    res = train(config(quantizer="ideal:3", init_ranges="max", out=str(out), batch=96,
                       holdout=48), train_set=images)
    assert res["images"] == 144 and res["holdout_images"] == 48 and res["steps"] == 2
    h = res["history"][0]["holdout_top1"]
    rec = read_record(out)
    ev = evaluate(str(out), held, tf=TransferFunction.ideal(3, 0.0, 1.0), record=rec)
    assert ev["images"] == 48 and h == ev["top1"]
    with pytest.raises(InputError, match="holdout must be an integer in 1..191"):
        images.holdout(192)
    with pytest.raises(ParameterError, match="holdout"):
        train(config(holdout=-1, out=str(tmp_path / "b.npz")))


def test_swa_holds_the_mean_of_every_nth_step_at_a_constant_rate(config, images):
    """Stochastic weight averaging: the network written is the uniform mean of the
    parameters after every ``swa_every``-th step (weights, log ranges, log gains), while
    training goes on from the last step's; the constant schedule keeps lr."""
    cfg = config(quantizer="ideal:3", init_ranges="max", lr=1e-3, mid_tread=True,
                 row_split="balanced", array_gains=True, swa_every=2, schedule="constant")
    tr = Trainer(cfg, total_steps=4)
    snaps = []
    for k in range(4):
        sl = slice(48 * k, 48 * (k + 1))
        tr.step(tr.norm(torch.from_numpy(images.x[sl])), torch.from_numpy(images.y[sl]))
        if k % 2 == 1:
            snaps.append({n: p.detach().clone() for n, p in tr.net.named_parameters()})
    assert tr.opt.param_groups[0]["lr"] == pytest.approx(1e-3)
    assert int(tr.swa.n_averaged) == 2
    avg = dict(tr.written().named_parameters())
    assert set(avg) == set(snaps[0])
    for n, p in snaps[1].items():
        torch.testing.assert_close(avg[n].detach(), (snaps[0][n] + p) / 2)
    w = "layer2.0.conv1.weight"
    name = next(n for n in avg if n.endswith(w))
    assert not torch.equal(avg[name], snaps[1][name])          # the average is not the last
    # the averaged network's record: ranges and gains from the mean of the logs
    # the averaged network's record: its gains from the mean of the log gains
    (key,) = [n for n in avg if "layer3.0.conv1" in n and n.endswith("gain_log")]
    ref = dict(tr.written().named_buffers())[key.replace("gain_log", "gain_ref")]
    want = ref * torch.exp((snaps[0][key] + snaps[1][key]).double() / 2)
    got = tr.written().quant_state()["layer3.0.conv1"]["weight_gain"]
    torch.testing.assert_close(torch.tensor(got, dtype=torch.float64), want)


def test_swa_archive_is_what_is_scored_and_bad_averaging_fails_before_work(config, images,
                                                                           tmp_path):
    out = tmp_path / "swa.npz"
    res = train(config(quantizer="ideal:3", init_ranges="max", out=str(out), batch=48,
                       holdout=48, swa_every=1, schedule="constant"), train_set=images)
    row = res["history"][0]
    assert res["steps"] == 3 and row["swa_snapshots"] == 3
    ev = evaluate(str(out), images.holdout(48)[1], tf=TransferFunction.ideal(3, 0.0, 1.0),
                  record=read_record(out))
    assert ev["top1"] == row["holdout_top1"]
    for changes, what in (({"swa_every": 4}, "swa_every 4 exceeds the 3 optimizer steps"),
                          ({"swa_every": -1}, "swa_every must be an integer >= 0"),
                          ({"schedule": "linear"}, "schedule must be 'cosine' or 'constant'")):
        bad = tmp_path / "bad.npz"
        with pytest.raises(ParameterError, match=what):
            train(config(quantizer="ideal:3", init_ranges="max", out=str(bad), batch=48,
                         holdout=48, **changes), train_set=images)
        assert not bad.exists()
