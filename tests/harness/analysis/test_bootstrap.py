"""Paired bootstrap: known answers, coverage on a simulated case, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from harness.analysis.bootstrap import bootstrap


def test_a_constant_lead_on_every_image_is_certain():
    rng = np.random.default_rng(1)
    b = rng.normal(30, 2, 40)
    r = bootstrap({"a": b + 1.0, "b": b, "c": b - 0.5}, n_resamples=1000)
    assert [e.name for e in r.entries] == ["a", "b", "c"]
    assert r.entries[0].p_order == 1.0 and r.entries[1].p_order == 1.0 and r.entries[2].p_order is None
    assert [e.group for e in r.entries] == [1, 2, 3]
    # pairing: a's interval is b's shifted by exactly 1 dB
    assert r.entries[0].ci_low == pytest.approx(r.entries[1].ci_low + 1) and r.entries[0].ci_high == pytest.approx(
        r.entries[1].ci_high + 1
    )


def test_identical_entries_are_one_group_at_even_odds():
    v = np.linspace(20, 30, 25)
    r = bootstrap({"x": v, "y": v.copy()}, n_resamples=500)
    assert r.entries[0].p_order == 0.5 and {e.group for e in r.entries} == {1}


def test_a_constant_entry_has_a_degenerate_interval():
    r = bootstrap({"flat": np.full(10, 25.0), "other": np.arange(10.0)}, n_resamples=200)
    flat = next(e for e in r.entries if e.name == "flat")
    assert flat.ci_low == flat.ci_high == 25.0


def test_noise_larger_than_the_gap_groups_entries_together():
    rng = np.random.default_rng(2)
    base = rng.normal(30, 3, 30)
    noise = rng.normal(0, 2.0, 30)
    a = base + noise - noise.mean() + 0.1  # exactly 0.1 dB better on average, per-image noise of 2 dB
    r = bootstrap({"a": a, "b": base}, n_resamples=2000)
    assert 0.05 < r.entries[0].p_order < 0.95 and r.entries[0].group == r.entries[1].group


def test_intervals_cover_the_true_mean_about_95_percent_of_the_time():
    rng = np.random.default_rng(3)
    hits = 0
    trials = 300
    for _ in range(trials):
        sample = rng.normal(28.0, 1.5, 40)
        e = bootstrap({"m": sample}, n_resamples=1000, seed=int(rng.integers(1 << 30))).entries[0]
        hits += e.ci_low <= 28.0 <= e.ci_high
    # percentile intervals at n = 40 run slightly narrow; 95% nominal, binomial sd ~1.3%
    assert 0.90 <= hits / trials <= 0.985


def test_same_seed_same_numbers_and_bad_input_refused():
    v = {"a": np.arange(12.0), "b": np.arange(12.0)[::-1]}
    assert bootstrap(v, seed=5) == bootstrap(v, seed=5)
    with pytest.raises(ValueError, match="finite"):
        bootstrap({"a": np.array([1.0, np.nan])})
    with pytest.raises(ValueError, match="same, non-zero"):
        bootstrap({"a": np.array([])})
    with pytest.raises(ValueError):
        bootstrap({"a": np.arange(3.0), "b": np.arange(4.0)})


def _score_json(path, values):
    images = [{"name": f"img_{i}", "psnr": float(p), "ssim": 0.9, "identical": False} for i, p in enumerate(values)]
    path.write_text(json.dumps({"psnr": float(np.mean(values)), "ssim": 0.9, "images": images}))


def test_cli_on_score_files(tmp_path):
    rng = np.random.default_rng(4)
    base = rng.normal(30, 2, 30)
    _score_json(tmp_path / "first.json", base + 2)
    _score_json(tmp_path / "second.json", base)
    (tmp_path / "third.csv").write_text(
        "name,psnr,ssim,identical\n"
        + "".join(f"img_{i},{float(p)!r},0.9,0\n" for i, p in enumerate(base - 0.01))
        + "extra,1,1,0\n"
    )
    args = [
        sys.executable,
        "-m",
        "harness",
        "analyze",
        *(str(tmp_path / n) for n in ("second.json", "first.json", "third.csv")),
    ]
    res = subprocess.run([*args, "--json"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert [e["name"] for e in doc["entries"]] == ["first", "second", "third"]
    assert doc["entries"][0]["group"] == 1 and doc["entries"][1]["group"] == 2 and doc["n_images"] == 30
    assert doc["images_left_out"] == {"third": 1}
    table = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert table.returncode == 0 and "P(beats next)" in table.stdout
    (tmp_path / "bad.json").write_text("{}")
    bad = subprocess.run([*args[:4], str(tmp_path / "bad.json")], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "no 'images' list" in bad.stderr
