"""`harness score --align`: aligned figures, shift and scale beside the official ones."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.ndimage import shift as nd_shift

from harness.alignment.offline import estimate_predictions
from harness.scoring import score_directories
from tests.harness.alignment.scenes import centre, packed, scene, zoomed
from tests.support import save

SHIFTS = {"0": (0.0, 0.0), "1": (1.3, -0.6), "2": (-0.4, 2.2)}
ZOOM = 1.015


@pytest.fixture(scope="module")
def dirs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("align")
    gt, pred = root / "gt", root / "pred"
    gt.mkdir()
    pred.mkdir()
    for stem, s in SHIFTS.items():
        big = scene(int(stem) + 20)
        save(gt / f"{stem}.npy", packed(centre(big)))
        save(pred / f"{stem}.npy", packed(centre(nd_shift(big, s, order=3, mode="nearest"))))
    big = scene(30)
    save(gt / "3.npy", packed(centre(big)))
    save(pred / "3.npy", packed(centre(zoomed(big, ZOOM))))
    save(gt / "4.npy", packed(centre(scene(40))))
    save(pred / "4.npy", packed(centre(scene(41))))  # unrelated content: left out
    return {"gt": gt, "pred": pred}


def run(*args):
    env = {**os.environ, "COLUMNS": "220"}
    cmd = [sys.executable, "-m", "harness", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)


def test_aligned_scores_recover_shifts_and_lift_psnr(dirs):
    plan = estimate_predictions(dirs["pred"], dirs["gt"])
    assert plan.excluded == ["4"] and plan.margin == 3  # 2.2 px of shift: 3 pixels per side are not covered
    report = score_directories(dirs["pred"], dirs["gt"], workers=1, align=plan)
    by = {i.name: i for i in report.images}
    for stem, s in SHIFTS.items():
        assert np.abs(np.array(by[stem].shift) - s).max() <= 0.05 and abs(by[stem].scale - 1) <= 1e-3
    assert abs(by["3"].scale - ZOOM) <= 1e-3
    for stem in ("1", "2", "3"):
        assert by[stem].aligned_psnr > by[stem].psnr + 10, by[stem]
    assert by["4"].aligned_psnr is None and (by["4"].cc is None or by["4"].cc < plan.threshold)
    # the official figures are those of a plain run: the diagnostic changes nothing of them
    plain = score_directories(dirs["pred"], dirs["gt"], workers=1)
    assert [(i.psnr, i.ssim) for i in plain.images] == [(i.psnr, i.ssim) for i in report.images]
    assert report.psnr == plain.psnr and report.alignment.n_images == 4
    assert report.aligned_psnr == pytest.approx(np.mean([by[s].aligned_psnr for s in "0123"]))


def test_cli_align_json_fields_and_table(dirs, tmp_path):
    per = tmp_path / "per.csv"
    res = run("score", dirs["pred"], dirs["gt"], "--align", "--json", "--per-image", per)
    assert res.returncode == 0, res.stderr[-2000:]
    doc = json.loads(res.stdout)
    images = {i["name"]: i for i in doc["images"]}
    assert set(images["1"]) >= {"psnr", "ssim", "aligned_psnr", "aligned_ssim", "shift", "scale"}
    assert images["1"]["shift"] == pytest.approx(list(SHIFTS["1"]), abs=0.05)
    assert images["1"]["aligned_ssim"] > images["1"]["ssim"]
    assert images["4"]["aligned_psnr"] is None
    assert doc["alignment"]["excluded"] == ["4"] and doc["alignment"]["source"] == "prediction"
    assert doc["aligned_psnr"] > doc["psnr"]
    rows = {r["name"]: r for r in csv.DictReader(open(per))}
    assert float(rows["2"]["dx"]) == pytest.approx(SHIFTS["2"][1], abs=0.05) and rows["4"]["aligned_psnr"] == ""
    human = run("score", dirs["pred"], dirs["gt"], "--align", "--images")
    assert human.returncode == 0 and "aligned PSNR (diagnostic)" in human.stdout
    assert "left out (correlation < 0.9): 4" in human.stdout


def test_cli_without_align_keeps_its_schema_and_skips_opencv(dirs):
    res = run("score", dirs["pred"], dirs["gt"], "--json")
    doc = json.loads(res.stdout)
    assert "alignment" not in doc and "aligned_psnr" not in doc
    assert all("shift" not in i and "aligned_psnr" not in i for i in doc["images"])
    code = "import sys, runpy; sys.argv = sys.argv[1:]; runpy.run_module('harness', run_name='__main__')"
    probe = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, "harness", "score", dirs["pred"], dirs["gt"], "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    imported = {
        line.rsplit("|", 1)[-1].strip() for line in probe.stderr.splitlines() if line.startswith("import time:")
    }
    assert "harness.scoring" in imported and "cv2" not in imported and "harness.alignment" not in imported


def test_cli_refuses_an_unknown_motion(dirs):
    res = run("score", dirs["pred"], dirs["gt"], "--align", "--motion", "shear")
    assert res.returncode == 2 and "affine or translation" in res.stderr
