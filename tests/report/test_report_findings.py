"""Findings and the table are computed from the numbers: change a number, the text changes."""

from __future__ import annotations

import json

import pytest

from dgcq_sim.errors import InputError
from dgcq_sim.report.findings import compute_findings, find_row, ratio_phrase
from dgcq_sim.report.writer import check_out_dir, format_table, results_json, write_report


def test_headline_ratios_follow_the_numbers(results):
    text = " ".join(compute_findings(results))
    # 9800 / 2100 = 4.67 (area vs SAR); 20.5 us / 180 ns = 114 (latency vs coarse)
    assert "4.67× less area than the SAR 11b" in text
    assert "114× less latency than the coarse 2048" in text
    find_row(results, "sar", "ideal")["area_um2"] = 4200.0
    find_row(results, "coarse", "ideal")["latency_s"] = 90e-9
    text2 = " ".join(compute_findings(results))
    assert "2× less area than the SAR 11b" in text2
    assert "2× more latency than the coarse 2048" in text2
    assert text2 != text


def test_parasitic_loss_is_the_enob_difference(results):
    text = " ".join(compute_findings(results))
    assert "DGCQ 3+8 loses 1.20 bits of sine-fit ENOB (10.90 → 9.70)" in text
    assert "Largest sine-fit ENOB loss: coarse 2048" in text
    assert "DGCQ 3+8 10.95 → 9.90" in text and "largest static loss: coarse 2048" in text
    find_row(results, "dgcq", "parasitic")["enob_sine"] = 5.0
    find_row(results, "sar", "parasitic")["enob_static"] = 2.0
    text = " ".join(compute_findings(results))
    assert "DGCQ 3+8 loses 5.90 bits" in text
    assert "Largest sine-fit ENOB loss: DGCQ 3+8" in text
    assert "largest static loss: SAR 11b" in text


def test_lossless_claim_verdict_follows_lossless_bits(results):
    text = " ".join(compute_findings(results))
    assert "12 lossless bits for DGCQ 3+8 does not hold" in text
    assert "only 2^11 levels" in text
    row = find_row(results, "dgcq", "ideal")
    row["bits"], row["lossless_bits"] = 12, 12
    text = " ".join(compute_findings(results))
    assert "does not hold" not in text.split("lossless bits for")[1].split(".")[0]
    assert "12 lossless bits for DGCQ 3+8 holds" in text


def test_lossless_claim_reads_the_dgcq_sweep(results):
    text = " ".join(compute_findings(results))
    assert "DGCQ c+8, ideal: 12 lossless bits are reached with N = 16 coarse iterations" in text
    assert "DGCQ c+8, parasitic: no swept N (up to 16) reaches 12 lossless bits (best 9)" in text
    results["sweep"]["DGCQ c+8, parasitic"]["lossless_bits"] = [8, 12, 12]
    text = " ".join(compute_findings(results))
    assert "DGCQ c+8, parasitic: 12 lossless bits are reached with N = 8" in text


def test_accuracy_and_sweep_findings(results):
    text = " ".join(compute_findings(results))
    assert "lowest: coarse 2048 (parasitic) at 61.0 % (-27.6 points)" in text
    assert "Highest with a quantizer: SAR 11b (ideal) at 88.6 % (+0.0 points vs int8)" in text
    assert "One image = 0.5 points" in text
    assert "coarse, parasitic: ENOB peaks at 6.30 bits at N = 256" in text
    assert "coarse, ideal: ENOB still rises at the largest N = 1024" in text
    find_row(results, "coarse", "parasitic")["top1"] = 0.30
    assert "at 30.0 % (-58.6 points)" in " ".join(compute_findings(results))


def test_missing_entries_are_skipped_not_invented():
    assert compute_findings({"quantizers": []}) == []
    with pytest.raises(InputError):
        compute_findings([1, 2])


def test_ratio_phrase():
    assert ratio_phrase(10.0, 2.0, "less area", "more area") == "5× less area"
    assert ratio_phrase(2.0, 10.0, "less area", "more area") == "5× more area"
    assert ratio_phrase(1.0, 1.01, "less area", "more area") == "about the same area"
    with pytest.raises(InputError):
        ratio_phrase(0.0, 1.0, "a", "b")


def test_table_has_every_row_and_scaled_units(results):
    table = format_table(results)
    lines = table.splitlines()
    assert len(lines) == 2 + 6 + 2  # header, rule, 6 quantizer rows, 2 baselines
    dgcq = lines[2]
    assert "10.90" in dgcq and "180" in dgcq and "88.5" in dgcq and "1.2" in dgcq
    assert "int8 digital" in lines[-1] and "88.6" in lines[-1]
    with pytest.raises(InputError):
        format_table({"quantizers": []})


def test_write_report_roundtrip(tmp_path, results):
    report, rjson = write_report(tmp_path / "r", results, {"accuracy": "accuracy.png"},
                                 timings={"total": 1.5})
    assert json.loads(rjson.read_text()) == json.loads(results_json(results))
    md = report.read_text()
    assert "![accuracy](accuracy.png)" in md and "## Findings" in md and "total: 1.5 s" in md
    assert results_json(results) == results_json(json.loads(results_json(results)))


def test_check_out_dir_refuses_a_file(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        check_out_dir(f)
    with pytest.raises(InputError, match="is a file"):
        check_out_dir(f / "sub" / "dir")
    assert check_out_dir(tmp_path / "new" / "dir") == tmp_path / "new" / "dir"
    assert not (tmp_path / "new").exists()


def test_energy_per_image_finding_and_column(results):
    from dgcq_sim.nn.energy import energy_per_image
    counts = {"conversions": 462848, "analog_outputs": 180224, "digital_macs": 443008}
    for r in results["quantizers"]:
        e = energy_per_image(counts, r["energy_j"])
        r["energy_per_image_j"], r["adc_energy_fraction"] = (e["energy_per_image_j"],
                                                             e["adc_energy_fraction"])
    results["nn"]["energy_digital_j"] = e["energy_digital_j"]
    results["nn"]["conversions_per_image"] = counts["conversions"]
    text = " ".join(compute_findings(results))
    lo = min(results["quantizers"], key=lambda r: r["energy_per_image_j"])
    assert f"lowest {lo['name']} ({lo['variant']})" in text and "energy per image" in text
    assert "analog array and memory not included" in text
    assert "ResNet-20 energy/image (nJ)" in format_table(results)
    # unknown ADC energy: no invented total
    e = energy_per_image(counts, None)
    assert e["energy_per_image_j"] is None and "unknown" in e["energy_note"]


def _with_resolution(results, sar_top1, bits=(4, 5, 6, 8)):
    results["resolution"] = {"variant": "parasitic", "series": [
        {"key": "sar", "name": "SAR", "param": "NBITS", "values": list(bits), "bits": list(bits),
         "top1": list(sar_top1), "from_design": [None] * len(bits)}]}
    return results


def test_wilson_interval_known_values():
    from dgcq_sim.report.findings import wilson_interval

    lo, hi = wilson_interval(0.5, 100)             # 50 of 100: 40.38 % .. 59.62 %
    assert (round(float(lo), 4), round(float(hi), 4)) == (0.4038, 0.5962)
    lo, hi = wilson_interval([0.0, 1.0], 16)       # never an empty or inverted interval
    assert lo[0] == pytest.approx(0.0, abs=1e-12) and hi[0] == pytest.approx(0.1936, abs=1e-4)
    assert hi[1] == pytest.approx(1.0) and lo[1] == pytest.approx(0.8064, abs=1e-4)


def test_resolution_finding_says_where_accuracy_breaks(results):
    # int8 88.6 % on 200 images: its 95 % interval at 87 % is 81.7..90.9 %, at 30 % 24..37 %
    text = " ".join(compute_findings(_with_resolution(results, [0.10, 0.30, 0.87, 0.885])))
    assert "SAR matches int8 from 6 bits (4 b 10.0 %, 5 b 30.0 %, 6 b 87.0 %, 8 b 88.5 %)" in text
    # a dip at a higher resolution moves the break point up ("and every higher")
    text = " ".join(compute_findings(_with_resolution(results, [0.10, 0.88, 0.50, 0.885])))
    assert "SAR matches int8 from 8 bits" in text
    text = " ".join(compute_findings(_with_resolution(results, [0.10, 0.2, 0.3, 0.5])))
    assert "SAR does not reach int8 within the swept 4-8 bits" in text


def test_resolution_table_rows_are_bits(results):
    from dgcq_sim.report.writer import format_resolution_table

    assert format_resolution_table(results) is None
    r = _with_resolution(results, [0.10, 0.30, 0.87, 0.885])
    r["resolution"]["series"].append({"key": "dgcq", "name": "DGCQ 3+f", "param": "NF",
                                      "values": [3, 8], "bits": [6, 11], "top1": [0.5, 0.874],
                                      "from_design": [None, "dgcq"]})
    table = format_resolution_table(r).splitlines()
    assert table[0].split("|")[1:4] == [" bits ", " SAR (NBITS)    ", " DGCQ 3+f (NF) "]
    cells = {row.split("|")[1].strip(): [c.strip() for c in row.split("|")[2:4]]
             for row in table[2:]}
    assert cells == {"4": ["10.0 (NBITS=4)", "—"], "5": ["30.0 (NBITS=5)", "—"],
                     "6": ["87.0 (NBITS=6)", "50.0 (NF=3)"], "8": ["88.5 (NBITS=8)", "—"],
                     "11": ["—", "87.4 * (NF=8)"]}
