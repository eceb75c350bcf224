"""Our ENOB/SNDR and code-density DNL/INL against adctoolbox on the same codes."""

import numpy as np
import pytest

from dgcq_sim.metrics import code_density, coherent_sine, sine_metrics

from metrics_synth import IdealQuantizer

adctoolbox = pytest.importorskip("adctoolbox")  # a declared test dependency (setup.cfg [test])


def _quantizers():
    rng = np.random.default_rng(11)
    yield "ideal10", IdealQuantizer(10)
    yield "dnl10", IdealQuantizer(10, edges_lsb=rng.uniform(-0.3, 0.3, 1023))
    yield "ideal8", IdealQuantizer(8)


@pytest.mark.parametrize("name, q", list(_quantizers()))
def test_enob_and_sndr_match_adctoolbox(name, q):
    v = coherent_sine(2 ** 15, None, q.vmin, q.vmax)
    est = q.estimate(v)
    ours = sine_metrics(est, q.vmin, q.vmax)
    theirs = adctoolbox.analyze_spectrum(est, max_scale_range=[q.vmin, q.vmax],
                                         win_type="boxcar", create_plot=False)
    assert ours.enob_fft == pytest.approx(theirs["enob"], abs=0.05)
    assert ours.sinad_fft_db == pytest.approx(theirs["sndr_db"], abs=0.3)
    assert ours.enob_sinad == pytest.approx(theirs["enob"], abs=0.05)


@pytest.mark.parametrize("name, q", list(_quantizers()))
def test_dnl_inl_match_adctoolbox(name, q):
    v = coherent_sine(2 ** 18, None, q.vmin, q.vmax)
    codes = q.codes(v)
    ours = code_density(codes, q.n_codes, "sine")
    theirs = adctoolbox.analyze_inl_from_sine(codes, num_bits=q.bits, create_plot=False)
    # adctoolbox drops 1 % of the codes at each end, normalises the LSB over what is left, labels
    # the width of code k+1 as "code k" (checked against the injected widths: ours match them),
    # and reports INL as the running sum of its DNL.  Put ours on the same codes and footing.
    idx = np.asarray(theirs["code"]) + 1 - ours.codes[0]
    width = ours.dnl[idx] + 1.0
    dnl = width / width.mean() - 1.0
    assert np.max(np.abs(dnl - theirs["dnl"])) < 0.05
    assert np.max(np.abs(np.cumsum(dnl) - theirs["inl"])) < 0.05
    # and the injected truth, which adctoolbox does not see, is what ours recovers
    true = np.diff(q.transitions) / q.lsb - 1.0  # widths of codes 1..n-2
    true = (true + 1) / (true + 1).mean() - 1
    assert np.max(np.abs(ours.dnl - true)) < 0.05
