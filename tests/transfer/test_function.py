"""TransferFunction core: ideal staircase, lookup, noise kernel, errors, save/load."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from dgcq_sim.errors import InputError, ModelFileError, ParameterError
from dgcq_sim.transfer import TransferFunction


def floor_formula(v, bits, vmin, vmax):
    v = np.clip(v, vmin, vmax)
    code = np.floor((v - vmin) / (vmax - vmin) * 2 ** bits)
    return np.clip(code, 0, 2 ** bits - 1).astype(np.int64)


@pytest.mark.parametrize("bits,vmin,vmax", [(1, 0.0, 1.0), (8, 0.0, 1.0), (11, -0.3, 0.9),
                                            (12, 0.1, 0.35), (16, -1.0, 1.0)])
def test_ideal_matches_floor_formula_dense_and_random(bits, vmin, vmax):
    tf = TransferFunction.ideal(bits, vmin, vmax)
    fs = vmax - vmin
    dense = np.linspace(vmin - 0.1 * fs, vmax + 0.1 * fs, 64 * 2 ** bits + 7)
    rnd = np.random.default_rng(bits).uniform(vmin - 0.05 * fs, vmax + 0.05 * fs, 200_000)
    # Inputs exactly at and one ulp around every nominal transition level.
    lv = vmin + np.arange(1, 2 ** bits) * (fs / 2 ** bits)
    near = np.concatenate([lv, np.nextafter(lv, -np.inf), np.nextafter(lv, np.inf),
                           tf.edges, np.nextafter(tf.edges, -np.inf)])
    for v in (dense, rnd, near):
        np.testing.assert_array_equal(tf.convert(v), floor_formula(v, bits, vmin, vmax))
    assert tf.n_codes == 2 ** bits and tf.edges.shape == (2 ** bits - 1,)


def test_ideal_code_values_are_bin_centres_and_apply_is_fused_to_voltage():
    tf = TransferFunction.ideal(6, -1.0, 3.0)
    lsb = 4.0 / 64
    np.testing.assert_allclose(tf.code_values, -1.0 + (np.arange(64) + 0.5) * lsb,
                               rtol=0, atol=1e-15)
    v = np.random.default_rng(3).uniform(-1.5, 3.5, (37, 11))
    est = tf.apply(v)
    assert est.shape == v.shape and est.dtype == np.float64
    np.testing.assert_array_equal(est, tf.to_voltage(tf.convert(v)))
    inside = (v >= -1.0) & (v <= 3.0)
    assert np.abs(est - v)[inside].max() <= lsb / 2 + 1e-12


def test_shapes_scalars_and_empty():
    tf = TransferFunction.ideal(4)
    assert tf.convert(0.5).shape == () and int(tf.convert(0.5)) == 8
    with pytest.raises(InputError, match="empty"):     # the rule of Quantizer.convert
        tf.convert(np.zeros((0, 3)))
    assert tf.convert([[0.0, 0.99], [1.5, -2.0]]).tolist() == [[0, 15], [15, 0]]
    assert tf.convert(np.float32(0.25)) == 4


def test_non_monotonic_staircase_lookup_matches_searchsorted():
    rng = np.random.default_rng(7)
    # Many edges, some extremely close together (cluster), non-monotonic codes.
    e = np.sort(np.concatenate([rng.uniform(0.0, 1.0, 3000),
                                0.4 + np.arange(200) * 1e-9, [0.0, 1.0]]))
    e = np.unique(e)
    codes = rng.integers(0, 500, e.size + 1)
    tf = TransferFunction(0.0, 1.0, 9, e, codes, n_codes=500)
    v = np.concatenate([rng.uniform(-0.1, 1.1, 300_000), e, np.nextafter(e, -1),
                        0.4 + rng.uniform(0, 2e-7, 10_000)])
    ref = codes[np.searchsorted(e, np.clip(v, 0.0, 1.0), side="right")]
    np.testing.assert_array_equal(tf.convert(v), ref)


def test_noise_model_statistics_match_closed_form():
    # Wide bins, input in the middle: P(code change) = 2*Q(half_bin / sigma).
    tf = TransferFunction.ideal(3).with_noise([0.0, 1.0], [0.05, 0.05])
    v = np.full(400_000, 0.5 + 1 / 16)   # centre of code 4, half bin = 1/16 V
    c = tf.convert(v, np.random.default_rng(11))
    from math import erfc, sqrt
    p_up = 0.5 * erfc((1 / 16) / 0.05 / sqrt(2))
    assert abs(np.mean(c == 5) - p_up) < 5 * np.sqrt(p_up / v.size)
    assert abs(np.mean(c == 3) - p_up) < 5 * np.sqrt(p_up / v.size)
    # Noisy estimates of an 11-bit TF: std of the code error ~ sqrt(sigma^2 + 1/12) LSB.
    tf11 = TransferFunction.ideal(11).with_noise([0.0, 1.0], [1 / 2048, 1 / 2048])
    x = np.random.default_rng(12).uniform(0.05, 0.95, 400_000)
    d = tf11.convert(x, np.random.default_rng(13)) - np.floor(x * 2048)
    assert abs(np.mean(d + 0.5) - 0.5) < 0.01
    assert abs(np.std(d - (x * 2048 - np.floor(x * 2048))) - np.sqrt(1.0 + 1 / 12)) < 0.01


def test_input_dependent_sigma_is_piecewise_linear():
    tf = TransferFunction.ideal(10).with_noise([0.0, 0.5, 1.0], [0.0, 4e-3, 1e-3])
    np.testing.assert_allclose(tf.sigma([0.0, 0.25, 0.5, 0.75, 1.0, 2.0]),
                               [0.0, 2e-3, 4e-3, 2.5e-3, 1e-3, 1e-3])
    for v0, s in ((0.25, 2e-3), (0.75, 2.5e-3)):
        est = tf.apply(np.full(200_000, v0), np.random.default_rng(5))
        assert abs(np.std(est) - np.sqrt(s ** 2 + tf.lsb ** 2 / 12)) < 0.02 * s


def _two_threads():
    """numba thread count for the 'many threads' side: 2 at least (a one-core machine would
    otherwise compare 1 thread with 1 thread); skip if numba's pool has a single thread."""
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba was started with a single thread (NUMBA_NUM_THREADS=1)")
    return max(2, numba.get_num_threads())


def test_reproducible_and_thread_count_independent():
    tf = TransferFunction.ideal(11).with_noise([0.0, 1.0], [2e-4, 9e-4])
    v = np.random.default_rng(0).uniform(0, 1, 50_001)
    old = numba.get_num_threads()
    many = _two_threads()
    try:
        numba.set_num_threads(many)
        a = tf.convert(v, np.random.default_rng(42))
        b = tf.convert(v, np.random.default_rng(42))
        numba.set_num_threads(1)
        c = tf.convert(v, np.random.default_rng(42))
        e1 = tf.apply(v, np.random.default_rng(42))
    finally:
        numba.set_num_threads(old)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(e1, tf.to_voltage(a))
    assert not np.array_equal(a, tf.convert(v, np.random.default_rng(43)))
    assert (a != tf.convert(v)).mean() > 0.3   # the noise really acts


def test_zero_sigma_region_stays_noise_free_and_reproducible():
    # sigma = 0 below 0.5 V, > 0 above: the lower half must be exactly noise-free.
    tf = TransferFunction.ideal(10).with_noise([0.0, 0.5, 0.5 + 1e-9, 1.0], [0, 0, 2e-3, 2e-3])
    v = np.random.default_rng(3).uniform(0, 1, 100_003)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(_two_threads())
        a = tf.convert(v, np.random.default_rng(8))
    finally:
        numba.set_num_threads(old)
    low = v < 0.5
    np.testing.assert_array_equal(a[low], tf.convert(v[low]))
    assert (a[~low] != tf.convert(v[~low])).mean() > 0.5
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        np.testing.assert_array_equal(a, tf.convert(v, np.random.default_rng(8)))
    finally:
        numba.set_num_threads(old)


def test_noise_free_with_rng_equals_noise_free():
    tf = TransferFunction.ideal(8)
    v = np.random.default_rng(1).uniform(0, 1, 10_000)
    np.testing.assert_array_equal(tf.convert(v, np.random.default_rng(0)), tf.convert(v))


def test_bad_inputs_raise_typed_errors():
    tf = TransferFunction.ideal(8)
    with pytest.raises(InputError, match="NaN or inf"):
        tf.convert(np.array([0.1, np.nan, 0.3]))
    with pytest.raises(InputError, match="NaN or inf"):
        tf.apply(np.array([np.inf]), np.random.default_rng(0))
    with pytest.raises(InputError, match="256"):
        tf.to_voltage(np.array([0, 256]))
    with pytest.raises(InputError, match="-1"):
        tf.to_voltage([-1, 3])
    with pytest.raises(InputError, match="integer"):
        tf.to_voltage(np.array([1.0, 2.0]))
    with pytest.raises(InputError, match="real numbers"):
        tf.convert(["a", "b"])
    with pytest.raises(InputError, match="real numbers"):
        tf.apply(np.array([0.1 + 0.2j]))
    with pytest.raises(InputError, match="Generator"):
        tf.convert([0.1], rng=3)


def test_bad_construction_raises_parameter_error():
    with pytest.raises(ParameterError, match="vmax"):
        TransferFunction.ideal(4, 1.0, 1.0)
    with pytest.raises(ParameterError, match="full scale"):
        TransferFunction.ideal(4, -1e308, 1e308)
    with pytest.raises(ParameterError, match="ascending"):
        TransferFunction(0, 1, 2, [0.5, 0.25], [0, 1, 2])
    with pytest.raises(ParameterError, match=r"codes\[2\] = 4"):
        TransferFunction(0, 1, 2, [0.25, 0.5], [0, 1, 4])
    with pytest.raises(ParameterError, match="shape"):
        TransferFunction(0, 1, 2, [0.25, 0.5], [0, 1])
    with pytest.raises(ParameterError, match="edges"):
        TransferFunction(0, 1, 2, [0.25, 1.5], [0, 1, 2])
    with pytest.raises(ParameterError, match="noise_sigma"):
        TransferFunction.ideal(4).with_noise([0, 1], [0.1, -0.1])
    with pytest.raises(ParameterError, match="JSON"):
        TransferFunction(0, 1, 1, [0.5], [0, 1], meta={"x": object()})


def test_save_load_round_trip_bitwise(tmp_path):
    rng = np.random.default_rng(9)
    e = np.sort(rng.uniform(-0.2, 0.7, 500))
    tf = TransferFunction(-0.2, 0.7, 10, e, rng.integers(0, 1000, 501), n_codes=1000,
                          code_values=rng.normal(size=1000),
                          noise_grid=np.linspace(-0.2, 0.7, 9), noise_sigma=rng.uniform(0, 1e-3, 9),
                          meta={"netlist": "dgcq.cir", "seed": 5, "params": {"cs": 1e-13}})
    p = tmp_path / "tf.npz"
    tf.save(p)
    back = TransferFunction.load(p)
    for name in ("edges", "codes", "code_values", "noise_grid", "noise_sigma"):
        a, b = getattr(tf, name), getattr(back, name)
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), name
    assert (back.vmin, back.vmax, back.bits, back.n_codes, back.meta) == \
        (tf.vmin, tf.vmax, tf.bits, tf.n_codes, tf.meta)
    v = rng.uniform(-0.3, 0.8, 20_000)
    np.testing.assert_array_equal(back.convert(v, np.random.default_rng(1)),
                                  tf.convert(v, np.random.default_rng(1)))
    with np.load(p, allow_pickle=False) as z:   # no pickled objects inside
        assert all(z[k].dtype != object for k in z.files)


def test_load_bad_files_raise_model_file_error(tmp_path):
    good = tmp_path / "good.npz"
    TransferFunction.ideal(4).save(good)
    with np.load(good) as z:
        data = {k: z[k] for k in z.files}
    with pytest.raises(ModelFileError, match="no such file"):
        TransferFunction.load(tmp_path / "missing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ModelFileError, match="junk.npz"):
        TransferFunction.load(junk)
    missing = dict(data)
    del missing["noise_sigma"]
    np.savez(tmp_path / "m.npz", **missing)
    with pytest.raises(ModelFileError, match="'noise_sigma'"):
        TransferFunction.load(tmp_path / "m.npz")
    bad_shape = dict(data, codes=data["codes"][:-1])
    np.savez(tmp_path / "s.npz", **bad_shape)
    with pytest.raises(ModelFileError, match="'codes'"):
        TransferFunction.load(tmp_path / "s.npz")
    bad_dim = dict(data, edges=data["edges"].reshape(1, -1))
    np.savez(tmp_path / "d.npz", **bad_dim)
    with pytest.raises(ModelFileError, match="'edges'"):
        TransferFunction.load(tmp_path / "d.npz")
    bad_val = dict(data, codes=data["codes"] + 100)
    np.savez(tmp_path / "v.npz", **bad_val)
    with pytest.raises(ModelFileError, match="invalid content"):
        TransferFunction.load(tmp_path / "v.npz")


def test_the_kernels_sigma_lookup_is_the_interpolated_sigma_on_any_grid():
    # buckets without a grid point use their segment's line, the others scan (as the
    # kernels do): both must give np.interp's piecewise-linear sigma on uniform, clustered
    # and random grids; a uniform grid needs no scan (one bucket per segment)
    import numba as nb

    from dgcq_sim.transfer import _kernels as K

    @nb.njit
    def sigmas(v, grid, sigma, slope, g_inv_w, g_buckets, g_lo, g_line):
        out = np.empty(v.shape[0])
        n = grid.shape[0]
        for k in range(v.shape[0]):
            s = K._sigma_line(v[k], grid[0], grid[n - 1], g_inv_w, g_buckets - 1, 0, g_line)
            if np.isnan(s):
                s = K._sigma_scan(v[k], 0, n, grid, sigma, slope, g_inv_w, g_buckets - 1, 0,
                                  g_lo)
            out[k] = s
        return out

    rng = np.random.default_rng(7)
    grids = {"uniform": np.linspace(0.0, 1.0, 64),
             "cluster": np.concatenate([[0.0], 0.5 + 1e-9 * np.arange(40), [1.0]]),
             "random": np.sort(np.concatenate([[0.0, 1.0], rng.uniform(0, 1, 300)])),
             "single": np.array([0.3])}
    for name, grid in grids.items():
        sig = rng.uniform(1e-4, 1e-3, grid.size)
        tf = TransferFunction.ideal(6).with_noise(grid, sig)
        v = np.concatenate([rng.uniform(-0.1, 1.1, 20000), grid, np.nextafter(grid, 2.0),
                            np.nextafter(grid, -2.0)])
        got = sigmas(v, tf.noise_grid, tf.noise_sigma, tf._slope, tf._g_inv_w,
                     tf._g_buckets, tf._g_lo, tf._g_line)
        np.testing.assert_allclose(got, tf.sigma(v), rtol=1e-12, atol=1e-18, err_msg=name)
        scans = np.isnan(tf._g_line[:, 0])
        assert tf._g_scan == bool(scans.any()), name
        if name in ("uniform", "single"):
            assert not tf._g_scan and tf._g_buckets == max(1, grid.size - 1), name
        else:
            assert scans.any() and not scans.all(), name
