"""Scoring PNG folders with profile srgb: the library entry point and `harness score --profile srgb`, in process."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from harness.cli.app import app
from harness.metrics.lpips import NOT_SUPPLIED, LpipsScorer
from harness.metrics.lpips_net import alexnet_features
from harness.metrics.profiles import SRGB
from harness.metrics.srgb import score_srgb_pair
from harness.npyio import ErrorCode
from harness.scoring import score_directories
from tests.harness.pngs import rgb16_png, save_png

runner = CliRunner()


@pytest.fixture
def folders(tmp_path):
    """Ground truth img_1, img_2, img_10 (64x48) and predictions: img_1 exact, the others noisy."""
    rng = np.random.default_rng(5)
    gt, pred = tmp_path / "gt", tmp_path / "pred"
    for i, name in enumerate(("img_1", "img_2", "img_10")):
        truth = rng.integers(0, 256, (64, 48, 3), dtype=np.uint8)
        noisy = np.clip(truth.astype(int) + rng.integers(-10 * i, 10 * i + 1, truth.shape), 0, 255).astype(np.uint8)
        save_png(gt / f"{name}.png", truth)
        save_png(pred / f"{name}.png", noisy)
    return pred, gt


@pytest.fixture(scope="module")
def random_lpips(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("backbone") / "alexnet-random.pth"
    torch.save({f"features.{k}": v for k, v in alexnet_features().state_dict().items()}, path)
    return LpipsScorer(path, expected_size=None, expected_sha256=None)


def read(path):
    from PIL import Image

    return np.asarray(Image.open(path))


def test_scores_png_folders(folders, monkeypatch):
    monkeypatch.delenv("HARNESS_LPIPS_BACKBONE", raising=False)
    pred, gt = folders
    report = score_directories(pred, gt, profile=SRGB)
    assert report.ok and report.profile == "srgb" and [r.name for r in report.images] == ["img_1", "img_2", "img_10"]
    for r in report.images:
        want = score_srgb_pair(read(gt / f"{r.name}.png"), read(pred / f"{r.name}.png"))
        assert (r.psnr, r.ssim, r.identical, r.lpips) == (want.psnr, want.ssim, want.identical, None)
    assert report.images[0].identical and report.psnr == np.mean([r.psnr for r in report.images])
    assert report.lpips is None and report.lpips_note == NOT_SUPPLIED


def test_lpips_with_a_backbone(folders, random_lpips):
    pred, gt = folders
    report = score_directories(pred, gt, profile=SRGB, lpips=random_lpips)
    assert report.ok and report.lpips_note is None
    for r in report.images:
        assert r.lpips == random_lpips.score(read(pred / f"{r.name}.png"), read(gt / f"{r.name}.png"))
    assert report.images[0].lpips == 0.0 < report.images[1].lpips < report.images[2].lpips
    assert report.lpips == np.mean([r.lpips for r in report.images])


def test_problems_are_listed_per_file(folders, tmp_path, random_lpips):
    pred, gt = folders
    (pred / "img_2.png").unlink()
    (pred / "img_10.png").write_bytes(b"GIF89a")
    save_png(pred / "extra.png", np.zeros((64, 48, 3), np.uint8))
    np.save(pred / "img_1.npy", np.zeros((32, 24, 4), np.uint16))  # a RAW file in a PNG folder
    report = score_directories(pred, gt, profile=SRGB, pred_label=lambda n: f"upload/{n}")
    assert not report.ok and report.images == [] and report.psnr is None
    got = {(e.file, e.code) for e in report.errors}
    assert got == {
        ("upload/img_2.png", ErrorCode.MISSING_PREDICTION),
        ("upload/img_10.png", ErrorCode.NOT_PNG),
        ("upload/extra.png", ErrorCode.EXTRA_FILE),
        ("upload/img_1.npy", ErrorCode.EXTRA_FILE),
    }
    assert any("only <image>.png predictions" in e.message for e in report.errors)
    # a prediction of the wrong size and a 16-bit one; a ground truth too small for LPIPS
    small = tmp_path / "small"
    save_png(small / "gt" / "a.png", np.zeros((20, 20, 3), np.uint8))
    save_png(small / "gt" / "b.png", np.zeros((40, 40, 3), np.uint8))
    save_png(small / "pred" / "a.png", np.zeros((20, 20, 3), np.uint8))
    rgb16_png(small / "pred" / "b.png", 40, 40)
    report = score_directories(small / "pred", small / "gt", profile=SRGB, lpips=random_lpips)
    assert {(Path(e.file).name, e.code) for e in report.errors} == {
        ("a.png", ErrorCode.TOO_SMALL),
        ("b.png", ErrorCode.WRONG_DTYPE),
    }


def test_cli_json(folders, monkeypatch):
    monkeypatch.delenv("HARNESS_LPIPS_BACKBONE", raising=False)
    pred, gt = folders
    res = runner.invoke(app, ["score", str(pred), str(gt), "--profile", "srgb", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["profile"] == "srgb" and doc["lpips"] is None and doc["lpips_note"] == NOT_SUPPLIED
    assert [set(i) for i in doc["images"]] == [{"name", "psnr", "ssim", "identical", "lpips"}] * 3
    assert doc["images"][1]["psnr"] == score_directories(pred, gt, profile=SRGB).images[1].psnr
    assert "aligned_psnr" not in doc and "alignment" not in doc
    # the aim22 document keeps its schema: no LPIPS fields
    aim = runner.invoke(app, ["score", str(pred), str(gt), "--json"])
    assert aim.exit_code == 1 and "lpips" not in json.loads(aim.stdout)


def test_cli_table_and_refusals(folders, monkeypatch, tmp_path):
    monkeypatch.delenv("HARNESS_LPIPS_BACKBONE", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    pred, gt = folders
    csv = tmp_path / "per_image.csv"
    res = runner.invoke(app, ["score", str(pred), str(gt), "--profile", "srgb", "--images", "--per-image", str(csv)])
    assert res.exit_code == 0 and "LPIPS" in res.stdout and NOT_SUPPLIED in res.stdout and "img_10" in res.stdout
    rows = csv.read_text().splitlines()
    assert (
        rows[0] == "name,psnr,ssim,identical,lpips" and rows[1].startswith("img_1,999.0,") and rows[1].endswith(",1,")
    )
    res = runner.invoke(app, ["score", str(pred), str(gt), "--profile", "srgb", "--align"])
    assert res.exit_code == 2 and "--align works on packed RAW" in res.output
    wrong = tmp_path / "wrong.pth"
    wrong.write_bytes(b"x" * 10)
    monkeypatch.setenv("HARNESS_LPIPS_BACKBONE", str(wrong))
    res = runner.invoke(app, ["score", str(pred), str(gt), "--profile", "srgb", "--json"])
    assert res.exit_code == 2 and "size mismatch" in res.output and "wrong.pth" in res.output
