"""Directory scoring and the `harness score` command, run as a real process."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from harness.metrics.reference import psnr_reference, ssim_reference
from harness.npyio import ErrorCode
from harness.scoring import score_directories
from harness.sim.synth import write_score_fixture
from tests.support import save

HARNESS = [sys.executable, "-m", "harness"]


@pytest.fixture
def fixture_dirs(tmp_path):
    return write_score_fixture(tmp_path / "set", n_images=5, size=(40, 48), seed=3)


def run(*args, cwd=None):
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([*HARNESS, *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def test_scores_match_reference_per_image(fixture_dirs):
    report = score_directories(fixture_dirs["noisy"], fixture_dirs["gt"], workers=2)
    assert report.ok and report.n_images == 5
    for img in report.images:
        g = np.load(fixture_dirs["gt"] / f"{img.name}.npy")
        p = np.load(fixture_dirs["noisy"] / f"{img.name}.npy")
        assert img.psnr == psnr_reference(g, p)
        assert abs(img.ssim - ssim_reference(g, p)) <= 1e-9
    assert report.psnr == float(np.mean([i.psnr for i in report.images]))
    assert report.readme["device"] == "cpu" and report.warnings == []


def test_pairing_is_by_name_not_position(tmp_path, rng):
    gt_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    gt_dir.mkdir()
    pred_dir.mkdir()
    imgs = {name: rng.integers(0, 1025, (20, 20, 4)).astype(np.uint16) for name in ("b", "a", "10", "9")}
    for name, arr in imgs.items():
        save(gt_dir / f"{name}.npy", arr)
        # predictions written in another order and each equal to its own GT: only name pairing gives 999
        save(pred_dir / f"{name}.npy", arr)
    report = score_directories(pred_dir, gt_dir)
    assert [i.name for i in report.images] == ["9", "10", "a", "b"]
    assert all(i.psnr == 999.0 and i.identical for i in report.images)
    # swap two predictions' contents: pairing by sorted position would not notice names
    save(pred_dir / "a.npy", imgs["b"])
    save(pred_dir / "b.npy", imgs["a"])
    report = score_directories(pred_dir, gt_dir)
    assert {i.name: i.identical for i in report.images} == {"9": True, "10": True, "a": False, "b": False}


def test_missing_extra_and_bad_files_all_listed_nothing_scored(fixture_dirs, tmp_path):
    pred = tmp_path / "pred"
    shutil.copytree(fixture_dirs["noisy"], pred)
    (pred / "0_0.npy").unlink()
    save(pred / "stray.npy", np.zeros((40, 48, 4), np.uint16))
    (pred / "notes.pdf").write_bytes(b"%PDF")
    (pred / ".DS_Store").write_bytes(b"x")  # dotfiles are ignored
    (pred / "sub").mkdir()
    save(pred / "0_1.npy", np.zeros((40, 48, 4), np.float32))
    save(pred / "0_2.npy", np.zeros((40, 47, 4), np.uint16))
    report = score_directories(pred, fixture_dirs["gt"])
    assert not report.ok and report.images == [] and report.psnr is None
    got = {(Path(e.file).name, e.code) for e in report.errors}
    assert got == {
        ("0_0.npy", ErrorCode.MISSING_PREDICTION),
        ("stray.npy", ErrorCode.EXTRA_FILE),
        ("notes.pdf", ErrorCode.EXTRA_FILE),
        ("sub", ErrorCode.EXTRA_FILE),
        ("0_1.npy", ErrorCode.WRONG_DTYPE),
        ("0_2.npy", ErrorCode.WRONG_SHAPE),
    }


def test_bad_ground_truth_is_reported(tmp_path):
    gt, pred = tmp_path / "gt", tmp_path / "pred"
    gt.mkdir()
    pred.mkdir()
    save(gt / "x.npy", np.zeros((8, 8, 4), np.uint16))
    save(pred / "x.npy", np.zeros((8, 8, 4), np.uint16))
    report = score_directories(pred, gt)
    assert [e.code for e in report.errors] == [ErrorCode.TOO_SMALL]
    assert score_directories(pred, tmp_path / "nope").errors[0].code == ErrorCode.NOT_A_DIRECTORY
    assert score_directories(tmp_path / "nope", gt).errors[0].code == ErrorCode.NOT_A_DIRECTORY
    (gt / "x.npy").unlink()
    assert score_directories(pred, gt).errors[0].code == ErrorCode.EMPTY_SET


def test_malformed_readme_is_a_warning(fixture_dirs, tmp_path):
    pred = tmp_path / "pred"
    shutil.copytree(fixture_dirs["noisy"], pred)
    (pred / "readme.txt").write_bytes(b"\xff\xfe garbage\nRuntime per image [s] : soon\n")
    report = score_directories(pred, fixture_dirs["gt"])
    assert report.ok
    assert any("runtime 'soon'" in w for w in report.warnings)


def test_cli_json_schema_and_exit_0(fixture_dirs, tmp_path):
    csv_path = tmp_path / "per.csv"
    res = run("score", fixture_dirs["blurred"], fixture_dirs["gt"], "--json", "--per-image", csv_path, "--workers", "2")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert {"profile", "n_images", "psnr", "ssim", "images", "errors"} <= set(doc)
    assert doc["profile"] == "aim22" and doc["n_images"] == 5 and doc["errors"] == []
    assert [i["name"] for i in doc["images"]] == ["0_0", "0_1", "0_2", "0_3", "0_4"]
    assert all(set(i) >= {"name", "psnr", "ssim"} for i in doc["images"])
    rows = list(csv.DictReader(open(csv_path)))
    assert [float(r["psnr"]) for r in rows] == [i["psnr"] for i in doc["images"]]
    assert doc["psnr"] == float(np.mean([i["psnr"] for i in doc["images"]]))


def test_cli_human_table(fixture_dirs):
    res = run("score", fixture_dirs["noisy"], fixture_dirs["gt"], "--images")
    assert res.returncode == 0, res.stderr
    assert "mean" in res.stdout and "0_4" in res.stdout and "PSNR" in res.stdout
    assert "readme.txt: runtime 0.01" in res.stdout


def test_cli_errors_exit_1(fixture_dirs, tmp_path):
    pred = tmp_path / "pred"
    shutil.copytree(fixture_dirs["noisy"], pred)
    arr = np.load(pred / "0_3.npy")
    arr[0, 0, 0] = 2000
    save(pred / "0_3.npy", arr)
    res = run("score", pred, fixture_dirs["gt"], "--json")
    assert res.returncode == 1
    doc = json.loads(res.stdout)
    assert doc["n_images"] == 0 and doc["images"] == [] and doc["psnr"] is None
    assert doc["errors"] == [
        {
            "file": str(pred / "0_3.npy"),
            "code": "out_of_range",
            "message": "0_3.npy: 1 values exceed 1024 (largest 2000)",
        }
    ]
    human = run("score", pred, fixture_dirs["gt"])
    assert human.returncode == 1 and "out_of_range" in human.stdout and "nothing was scored" in human.stdout


def test_cli_usage_exit_2(fixture_dirs):
    assert run("score", fixture_dirs["noisy"]).returncode == 2
    bad = run("score", fixture_dirs["noisy"], fixture_dirs["gt"], "--profile", "nope")
    assert bad.returncode == 2 and "aim22" in bad.stderr
    assert run("score", fixture_dirs["noisy"], fixture_dirs["gt"], "--workers", "0").returncode == 2


def test_cli_help_lists_options():
    res = run("score", "--help")
    assert res.returncode == 0
    for opt in ("--json", "--per-image", "--profile", "--workers"):
        assert opt in res.stdout


def test_importing_scoring_loads_no_service_parts():
    """harness.scoring is the offline library: no web framework, database, queue or HTTP client, no numba yet."""
    code = "import json, sys\nimport harness.scoring\nprint(json.dumps(sorted(sys.modules)))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    loaded = {m.split(".")[0] for m in json.loads(res.stdout)}
    assert "harness" in loaded
    service = {"fastapi", "starlette", "sqlmodel", "sqlalchemy", "celery", "kombu", "httpx", "pydantic_settings"}
    assert not loaded & service, sorted(loaded & service)
    assert "numba" not in loaded  # the engine loads it when the first ScoringEngine is made


def test_cli_score_imports_only_what_scoring_needs(fixture_dirs):
    """No settings, HTTP, imaging, plotting or scipy (numba's BLAS probe included) on the scoring path."""
    res = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "harness",
            "score",
            fixture_dirs["noisy"],
            fixture_dirs["gt"],
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in res.stderr.splitlines() if line.startswith("import time:")}
    assert {"numba", "harness.scoring"} <= imported
    heavy = {"PIL", "httpx", "pydantic_settings", "matplotlib", "skimage", "torch", "sqlalchemy", "fastapi"}
    assert not [m for m in imported if m.split(".")[0] in heavy]
    # numba's BLAS probe is answered without loading scipy.linalg (its failed attempt is listed, in microseconds)
    assert not {"scipy.linalg", "scipy.ndimage", "rich.progress"} & imported  # and no bar when nobody watches
