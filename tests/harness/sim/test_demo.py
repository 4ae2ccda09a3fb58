"""The demo challenge: layout, realism of the RAW, decodable inputs, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from harness.challenge import ChallengeLayout, load_challenge
from harness.scoring import score_directories
from harness.sim.demo import build_demo
from harness.sim.naive import predict_split
from harness.sim.sources import DEFAULT_ROOT, available

SCALE = 0.5  # smallest sets: 1 full-resolution image, 2 test1 frames, 1 patch per frame


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data")
    return build_demo(root, seed=11, scale=SCALE)


@pytest.fixture(scope="module")
def spec(demo):
    return load_challenge(demo)


def test_layout_and_spec(demo, spec):
    assert [t.name for t in spec.tracks] == ["s7", "p20"]
    s7, p20 = spec.tracks
    assert (s7.black, s7.white, s7.patch, s7.rgb_patch, s7.misalignment) == (0, 1023, 252, 504, None)
    assert (p20.black, p20.white, p20.patch, p20.rgb_patch) == (60, 1020, 248, 496) and p20.misalignment
    assert p20.split("test2").primary_metric == "ssim" and s7.split("test1").primary_metric == "psnr"
    for track in spec.tracks:
        t = demo / track.name
        train = sorted(p.stem for p in (t / "train" / "raw").glob("*.npy"))
        assert train and train == sorted(p.stem for p in (t / "train" / "rgb").glob("*.jpg"))
        test1 = sorted(p.stem for p in (t / "test1" / "gt").glob("*.npy"))
        assert test1 and test1 == sorted(p.stem for p in (t / "test1" / "rgb").glob("*.jpg"))
        grid = sorted(p.stem for p in (t / "test2" / "gt").glob("*.npy"))
        assert grid == sorted(f"0_{k}" for k in range(48))


def test_inputs_decode_to_declared_sizes(demo, spec):
    for track in spec.tracks:
        for jpg in (demo / track.name).glob("*/rgb/*.jpg"):
            with Image.open(jpg) as im:
                assert im.format == "JPEG" and im.mode == "RGB"
                assert im.size == (track.rgb_patch, track.rgb_patch), jpg
        with Image.open(demo / track.name / "test2" / "full" / "rgb" / "0.jpg") as im:
            h, w = track.full_size
            assert im.size == (2 * w, 2 * h)


def test_full_image_is_its_grid_of_patches(demo, spec):
    for track in spec.tracks:
        full = np.load(demo / track.name / "test2" / "full" / "gt" / "0.npy")
        assert full.shape == (*track.full_size, 4)
        p = track.patch
        for k in (0, 9, 47):
            r, c = divmod(k, 8)
            patch = np.load(demo / track.name / "test2" / "gt" / f"0_{k}.npy")
            assert np.array_equal(patch, full[r * p : (r + 1) * p, c * p : (c + 1) * p])


def _patches(demo, track):
    return [np.load(f) for f in sorted((demo / track.name).glob("*/[gr][ta]*/*.npy")) if "full" not in f.parts]


def test_raw_statistics_are_plausible(demo, spec):
    for track in spec.tracks:
        patches = _patches(demo, track)
        assert len(patches) >= 50
        for raw in patches:
            assert raw.dtype == np.uint16 and raw.shape == (track.patch, track.patch, 4)
            assert raw.max() <= track.white
        means = np.array([r.reshape(-1, 4).mean(axis=0) - track.black for r in patches])
        g = (means[:, 1] + means[:, 2]) / 2
        # greens dominate a camera's raw response; red and blue sit well below (before white balance)
        assert 0.2 < np.median(means[:, 0] / g) < 1.0 and 0.2 < np.median(means[:, 3] / g) < 1.0
        assert np.allclose(np.median(means[:, 1] / means[:, 2]), 1.0, atol=0.05)
        clipped = np.array([np.mean(r >= track.white) for r in patches])
        assert (clipped > 0.001).any(), "some patches must have clipped highlights"
        assert np.median(clipped) < 0.05, "most of the image must not be clipped"
        dark = np.percentile(np.concatenate([r.ravel() for r in patches]), 0.1)
        assert track.black - 10 <= dark <= track.black + 40  # the black level is where the darks sit


def test_noise_grows_with_signal(demo, spec):
    """Shot noise: the Gr - Gb difference (same colour, neighbouring pixels) varies more when bright."""
    log = json.loads((demo / "frames.json").read_text())
    for track in spec.tracks:
        photo_stems = {e["stem"] for e in log if e["split"] == "train" and e["source"].startswith("photo")}
        diffs, levels = [], []
        for stem in photo_stems:
            raw = np.load(demo / track.name / "train" / "raw" / f"{stem}.npy").astype(np.float64) - track.black
            gr, gb = raw[..., 1], raw[..., 2]
            ok = (gr < track.white - track.black - 50) & (gb < track.white - track.black - 50)
            diffs.append((gr - gb)[ok])
            levels.append(((gr + gb) / 2)[ok])
        d, lv = np.concatenate(diffs), np.concatenate(levels)
        low, high = lv < np.percentile(lv, 20), lv > np.percentile(lv, 80)
        assert d[high].var() > 1.5 * d[low].var()


def test_naive_predictor_is_clearly_worse_than_ground_truth(demo, spec, tmp_path):
    s7 = spec.track("s7")
    test1 = ChallengeLayout(demo).split("s7", "test1")
    assert predict_split(test1, s7, tmp_path / "naive") > 0
    naive = score_directories(tmp_path / "naive", test1.gt)
    perfect = score_directories(test1.gt, test1.gt)
    assert naive.ok and perfect.ok and perfect.psnr == 999.0
    assert 8 < naive.psnr < 35 and naive.ssim < 0.95  # aligned enough to be better than noise, far from right


def test_same_seed_same_bytes_via_cli(demo, tmp_path):
    env = {**os.environ, "HARNESS_DATA_DIR": str(tmp_path / "unused")}
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "data",
            "demo",
            "--out",
            str(tmp_path),
            "--seed",
            "11",
            "--scale",
            str(SCALE),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr
    assert "warning" not in res.stderr  # the shipped captures are found
    again = tmp_path / "challenges" / "demo"
    assert (again / "MANIFEST.sha256").read_bytes() == (demo / "MANIFEST.sha256").read_bytes()
    assert not (tmp_path / "unused").exists()


def test_real_captures_are_used(demo):
    # the package ships crops of real captures: a fresh install builds from real sensor data
    assert available(DEFAULT_ROOT), f"no capture in {DEFAULT_ROOT}"
    sources = {e["source"] for e in json.loads((demo / "frames.json").read_text())}
    assert any(s.startswith("photo-") for s in sources)
    assert any(s.startswith("capture-") for s in sources)


def test_photos_alone_suffice_and_the_demo_says_it_found_no_capture(tmp_path):
    env = {**os.environ, "HARNESS_RAW_CAPTURES_DIR": str(tmp_path / "no-captures-here")}
    res = subprocess.run(
        [sys.executable, "-m", "harness", "data", "demo", "--out", str(tmp_path), "--seed", "1", "--scale", "0.25"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr
    assert "warning: no real sensor captures found" in res.stderr and "no-captures-here" in res.stderr
    sources = {e["source"] for e in json.loads((tmp_path / "challenges" / "demo" / "frames.json").read_text())}
    assert sources and all(s.startswith("photo-") for s in sources)
