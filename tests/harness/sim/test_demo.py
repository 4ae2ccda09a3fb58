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
from harness.sim.naive import predict_split
from harness.sim.sources import DEFAULT_ROOT, available
from tests.harness.conftest import DEMO_SCALE

DEMO = [sys.executable, "-m", "harness", "data", "demo"]
SCALE = DEMO_SCALE  # the session's `demo` fixture (tests/harness/conftest.py) is built at this scale, seed 11


@pytest.fixture(scope="module")
def spec(demo):
    return load_challenge(demo)


def _reverse(spec):
    return [t for t in spec.tracks if not t.forward]


def test_layout_and_spec(demo, spec):
    assert [t.name for t in spec.tracks] == ["s7", "p20", "fwd"]
    s7, p20, _fwd = spec.tracks
    assert (s7.black, s7.white, s7.patch, s7.rgb_patch, s7.misalignment) == (0, 1023, 252, 504, None)
    assert (p20.black, p20.white, p20.patch, p20.rgb_patch) == (60, 1020, 248, 496) and p20.misalignment
    assert p20.split("test2").primary_metric == "ssim" and s7.split("test1").primary_metric == "psnr"
    for track in _reverse(spec):
        t = demo / track.name
        train = sorted(p.stem for p in (t / "train" / "raw").glob("*.npy"))
        assert train and train == sorted(p.stem for p in (t / "train" / "rgb").glob("*.jpg"))
        test1 = sorted(p.stem for p in (t / "test1" / "gt").glob("*.npy"))
        assert test1 and test1 == sorted(p.stem for p in (t / "test1" / "rgb").glob("*.jpg"))
        grid = sorted(p.stem for p in (t / "test2" / "gt").glob("*.npy"))
        rows, cols = track.grid
        assert (rows, cols) == (3, 4) and grid == sorted(f"0_{k}" for k in range(rows * cols))  # scale 0.5


def test_inputs_decode_to_declared_sizes(demo, spec):
    for track in _reverse(spec):
        for jpg in (demo / track.name).glob("*/rgb/*.jpg"):
            with Image.open(jpg) as im:
                assert im.format == "JPEG" and im.mode == "RGB"
                assert im.size == (track.rgb_patch, track.rgb_patch), jpg
        with Image.open(demo / track.name / "test2" / "full" / "rgb" / "0.jpg") as im:
            h, w = track.full_size
            assert im.size == (2 * w, 2 * h)


def test_full_image_is_its_grid_of_patches(demo, spec):
    for track in _reverse(spec):
        full = np.load(demo / track.name / "test2" / "full" / "gt" / "0.npy")
        assert full.shape == (*track.full_size, 4)
        p, (rows, cols) = track.patch, track.grid
        for k in (0, cols + 1, rows * cols - 1):
            r, c = divmod(k, cols)
            patch = np.load(demo / track.name / "test2" / "gt" / f"0_{k}.npy")
            assert np.array_equal(patch, full[r * p : (r + 1) * p, c * p : (c + 1) * p])


def _patches(demo, track):
    return [np.load(f) for f in sorted((demo / track.name).glob("*/[gr][ta]*/*.npy")) if "full" not in f.parts]


def test_raw_statistics_are_plausible(demo, spec):
    for track in spec.tracks:
        patches = _patches(demo, track)
        assert len(patches) >= 25, track.name
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
        photo_stems = {
            e["stem"]
            for e in log
            if e["track"] == track.name and e["split"] == "train" and e["source"].startswith("photo")
        }
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


def test_forward_track_renders_its_ground_truth_from_its_raw_input(demo, spec):
    """The forward track: RAW inputs under raw/, 8-bit PNG ground truth of twice their size under gt/,
    exactly what the S7's camera renders from that RAW; no alignment manifest, no full images."""
    from harness.sim.camera import render

    fwd = spec.track("fwd")
    assert fwd.forward and fwd.isp == spec.track("s7").isp and spec.profile_of("fwd") == "srgb"
    assert all(s.models == "none" for s in fwd.test_splits) and fwd.split("test2").visibility == "hidden"
    layout = ChallengeLayout(demo)
    log = json.loads((demo / "frames.json").read_text())
    for split in ("test1", "test2"):
        where = layout.split("fwd", split, fwd.kind)
        stems = [p.stem for p in where.gt_files()]
        assert stems and stems == [p.stem for p in where.input_files()] and not where.has_full
        assert not where.alignment.exists() and not where.rgb.exists()
        raw = np.load(where.input_of(stems[0]))
        assert raw.dtype == np.uint16 and raw.shape == (fwd.patch, fwd.patch, 4)
        with Image.open(where.gt_of(stems[0])) as im:
            assert im.format == "PNG" and im.mode == "RGB" and im.size == (fwd.rgb_patch, fwd.rgb_patch)
            gt = np.asarray(im)
        entry = next(e for e in log if e["track"] == "fwd" and e["split"] == split and e["stem"] == stems[0])
        cfg = fwd.isp.model_copy(update={"wb_gains": tuple(entry["wb_gains"])})
        # rendered with context around the patch (its local tone mapping saw more): close, not equal;
        # the other camera's rendering of the same RAW is far off
        inner = np.s_[16:-16, 16:-16]
        assert np.abs(render(raw, cfg)[inner].astype(int) - gt[inner]).mean() < 4.0
        other = spec.track("p20").isp.model_copy(update={"black": 0.0, "white": 1023.0})
        assert np.abs(render(raw, other)[inner].astype(int) - gt[inner]).mean() > 8.0
    train = layout.split("fwd", "train", fwd.kind)
    assert [p.stem for p in train.raw_files()] == [p.stem for p in train.rgb_files()]
    assert all(p.suffix == ".png" for p in train.rgb_files())
    # `harness challenge check` holds the forward track to its manifest and says it reads no more of it
    from harness.bundles.check import check_challenge

    report = check_challenge(demo, workers=1)
    assert report.ok and not report.problems, report.problems
    assert "fwd: a forward track's files are checked against MANIFEST.sha256 only, not read" in report.warnings


def test_naive_predictor_is_clearly_worse_than_ground_truth(demo, spec, tmp_path):
    s7 = spec.track("s7")
    test1 = ChallengeLayout(demo).split("s7", "test1")
    assert predict_split(test1, s7, tmp_path / "naive") > 0
    naive = score_directories(tmp_path / "naive", test1.gt)
    perfect = score_directories(test1.gt, test1.gt)
    assert naive.ok and perfect.ok and perfect.psnr == 999.0
    assert 8 < naive.psnr < 35 and naive.ssim < 0.95  # aligned enough to be better than noise, far from right


@pytest.mark.slow
def test_same_seed_same_bytes_via_cli(demo, tmp_path):
    env = {**os.environ, "HARNESS_DATA_DIR": str(tmp_path / "unused")}
    res = subprocess.run(
        [*DEMO, "--out", str(tmp_path), "--seed", "11", "--scale", str(SCALE), "--no-align"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr
    assert "warning" not in res.stderr  # the shipped captures are found
    again = tmp_path / "challenges" / "demo"

    def unaligned(manifest: Path) -> list[str]:
        return [line for line in manifest.read_text().splitlines() if "/alignment.json" not in line]

    built = (demo / "MANIFEST.sha256").read_text().splitlines()
    assert (
        sum("/alignment.json" in line for line in built) == 2 * 2 * 2
    )  # 2 reverse tracks x 2 test splits x (json, sha256)
    assert unaligned(again / "MANIFEST.sha256") == unaligned(demo / "MANIFEST.sha256")
    assert not (tmp_path / "unused").exists()


def test_reference_alignment_is_deterministic(demo, spec):
    """The same files give the same alignment.json bytes (what MANIFEST.sha256 records)."""
    from harness.alignment.manifest import align_split, motion_of

    where = ChallengeLayout(demo).split("p20", "test1")
    again = align_split(where, motion_of(spec.track("p20")))
    stored = json.loads(where.alignment.read_text())
    assert json.loads(json.dumps(again.model_dump(mode="json"))) == stored


def test_real_captures_are_used(demo):
    # the package ships crops of real captures: a fresh install builds from real sensor data
    assert available(DEFAULT_ROOT), f"no capture in {DEFAULT_ROOT}"
    sources = {e["source"] for e in json.loads((demo / "frames.json").read_text())}
    assert any(s.startswith("photo-") for s in sources)
    assert any(s.startswith("capture-") for s in sources)


@pytest.mark.slow
def test_photos_alone_suffice_and_the_demo_says_it_found_no_capture(tmp_path):
    env = {**os.environ, "HARNESS_RAW_CAPTURES_DIR": str(tmp_path / "no-captures-here")}
    res = subprocess.run(
        [*DEMO, "--out", str(tmp_path), "--seed", "1", "--scale", "0.25", "--no-align"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr
    assert "warning: no real sensor captures found" in res.stderr and "no-captures-here" in res.stderr
    sources = {e["source"] for e in json.loads((tmp_path / "challenges" / "demo" / "frames.json").read_text())}
    assert sources and all(s.startswith("photo-") for s in sources)


def _true_displacement(track, entry: dict, stem: str) -> tuple[np.ndarray, float]:
    """Where a patch's centre moved, [dy, dx] in packed pixels, and the zoom, from frames.json.

    The demo zooms the rendered RGB by z about the centre c of what it rendered (a patch's region,
    or a whole image) and shifts it by s RGB pixels: content at RGB position q goes to
    z (q - c) + c + s. Packed pixel i covers RGB pixels 2i and 2i + 1 (centre 2i + 0.5).
    """
    z = entry["misalignment"]["zoom"]
    s = np.asarray(entry["misalignment"]["shift_px"])
    if "_" not in stem:  # a patch rendered with equal margins: its centre is the zoom's centre
        return s / 2, z
    _image, k = map(int, stem.split("_"))
    r, c = divmod(k, track.grid[1])
    p = track.patch
    centre_rgb = np.array([2 * r * p + p - 0.5, 2 * c * p + p - 0.5])
    zoom_centre = np.asarray(track.full_size, dtype=np.float64) - 0.5  # (2H - 1) / 2
    return ((z - 1) * (centre_rgb - zoom_centre) + s) / 2, z


def test_p20_reference_alignment_matches_the_simulated_misalignment(demo, spec):
    """The manifests the demo writes recover the zoom and shift it applied (frames.json)."""
    from harness.alignment.manifest import reference_plan

    p20 = spec.track("p20")
    log = [e for e in json.loads((demo / "frames.json").read_text()) if "misalignment" in e]  # p20's only
    layout = ChallengeLayout(demo)
    errors, zoom_errors = [], []
    for split in ("test1", "test2"):
        plan = reference_plan(layout.split("p20", split))
        assert plan is not None and plan.motion == "affine" and plan.source == "reference"
        assert len(plan.included) >= 0.9 * len(plan.transforms)
        for stem in sorted(plan.included):
            key = ("stem", stem) if split == "test1" else ("image", stem.split("_")[0])
            entry = next(e for e in log if e["split"] == split and e.get(key[0]) == key[1])
            shift, z = _true_displacement(p20, entry, stem)
            t = plan.transforms[stem]
            errors.append(np.abs(np.asarray(t.shift) - shift).max())
            zoom_errors.append(abs(t.scale - z))
    # JPEG, tone mapping and sharpening stand between the RGB and the RAW: tolerances say so
    assert max(errors) <= 0.25 and float(np.median(errors)) <= 0.08, errors
    assert max(zoom_errors) <= 5e-3 and float(np.median(zoom_errors)) <= 1e-3, zoom_errors
    s7 = reference_plan(layout.split("s7", "test1"))
    # an aligned track: what the estimate finds is its error alone, within the same bound as p20's
    assert s7.motion == "translation" and all(np.abs(t.shift).max() <= 0.25 for t in s7.transforms.values())


def test_the_challenge_grid_from_scale_one_and_smaller_below():
    from harness.sim.demo import demo_spec

    for scale, grid in ((1, (6, 8)), (2, (6, 8)), (0.5, (3, 4)), (0.25, (2, 2))):
        assert [t.grid for t in _reverse(demo_spec(scale=scale))] == [grid, grid], scale
