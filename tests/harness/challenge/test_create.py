"""`harness challenge create` and `check` on a bundle in the AIM 2022 layout."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import zipfile
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from harness.bundles.build import create_challenge
from harness.bundles.check import check_challenge
from harness.challenge import ChallengeLayout, load_challenge
from harness.cli.app import app
from harness.npyio import read_raw
from harness.rgbio import read_rgb
from harness.scoring import score_directories
from tests.harness.challenge.conftest import GRID, P20_PATCH, S7_PATCH, make_aim_bundle, npy_bytes, write_pair
from tests.support import snapshot

runner = CliRunner()


def cli(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_aim_bundle_is_created_and_checked(aim):
    before = snapshot(aim.files())
    dirs_before = sorted(str(p) for d in (aim.root, aim.organiser) for p in d.rglob("*") if p.is_dir())
    res = cli("challenge", "create", str(aim.root), "--data-dir", str(aim.data_dir), "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["ok"] and report["name"] == "aim2022" and report["problems"] == []
    root = aim.data_dir / "challenges" / "aim2022"
    assert Path(report["path"]) == root

    # the organiser's files and folders are exactly as they were
    assert snapshot(aim.files()) == before
    assert sorted(str(p) for d in (aim.root, aim.organiser) for p in d.rglob("*") if p.is_dir()) == dirs_before

    spec = load_challenge(root)
    s7, p20 = spec.track("s7"), spec.track("p20")
    assert (s7.patch, s7.grid, p20.patch, p20.black, p20.white) == (S7_PATCH, GRID, P20_PATCH, 60, 1020)
    s7_values = [read_raw(p) for p in aim.root.joinpath("data-s7").rglob("*.npy")]
    s7_values += [read_raw(p) for p in aim.organiser.rglob("s7-*/*.npy")]
    assert s7.black == min(int(a.min()) for a in s7_values) and s7.white == max(int(a.max()) for a in s7_values)
    assert s7.split("test1").limit_per_day == 3 and s7.split("test1").opens.year == 2022
    assert s7.split("test2").visibility == "hidden" and s7.split("test2").full_resolution
    assert spec.reference == "aim2022" and s7.isp is None

    layout = ChallengeLayout(root)
    train = layout.split("s7", "train")
    assert (
        [p.stem for p in train.raw_files()]
        == [p.stem for p in train.rgb_files()]
        == sorted(f"{i}_{k}" for i in range(3) for k in range(2))
    )
    # public files are hard links of the organiser's; ground truth is a private copy
    src = aim.root / "data-s7" / "train" / "0_1.npy"
    assert os.stat(train.raw_of("0_1")).st_ino == os.stat(src).st_ino
    assert os.stat(train.rgb_of("0_1")).st_ino == os.stat(src.with_suffix(".jpg")).st_ino
    test1 = layout.split("s7", "test1")
    gt_src = aim.organiser / "s7-test1-gt" / "10_0.npy"
    assert os.stat(test1.gt_of("10_0")).st_ino != os.stat(gt_src).st_ino
    assert test1.gt_of("10_0").read_bytes() == gt_src.read_bytes()
    for track, split in (("s7", "test1"), ("s7", "test2"), ("p20", "test1")):
        where = layout.split(track, split)
        for folder in (where.gt, where.full.gt) if split == "test2" else (where.gt,):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
            assert folder.iterdir() and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.iterdir())
    assert stat.S_IMODE(gt_src.stat().st_mode) == before[str(gt_src)][2]  # the organiser's file kept its mode

    # test2 came as whole images: the grid was cut, RAW exactly, inputs as lossless PNG crops
    test2 = layout.split("s7", "test2")
    rows, cols = GRID
    assert sorted(test2.image_names()) == sorted(f"{i}_{k}" for i in (20, 21) for k in range(rows * cols))
    whole, whole_rgb = read_raw(test2.full.gt_of("20")), read_rgb(test2.full.rgb_of("20"))
    p = S7_PATCH
    for k in (0, 4, 5):
        r, c = divmod(k, cols)
        assert np.array_equal(read_raw(test2.gt_of(f"20_{k}")), whole[r * p : (r + 1) * p, c * p : (c + 1) * p])
        rgb = test2.rgb_of(f"20_{k}")
        assert rgb.suffix == ".png"
        assert np.array_equal(read_rgb(rgb), whole_rgb[2 * r * p : 2 * (r + 1) * p, 2 * c * p : 2 * (c + 1) * p])

    # MANIFEST.sha256: every file but itself, sorted, in the demo's format
    lines = layout.manifest.read_text().splitlines()
    assert lines == sorted(lines)
    listed = {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in lines}
    present = {q.relative_to(root).as_posix() for q in root.rglob("*") if q.is_file() and q != layout.manifest}
    assert set(listed) == present
    assert listed["challenge.toml"] == hashlib.sha256(layout.spec_file.read_bytes()).hexdigest()

    # the laid-out splits score like the demo's
    assert score_directories(test1.gt, test1.gt).psnr == 999.0

    res = cli("challenge", "check", "aim2022", "--data-dir", str(aim.data_dir), "--json")
    assert res.exit_code == 0, res.output
    checked = json.loads(res.stdout)
    assert checked["ok"] and checked["files"] == len(lines) and checked["pairs"] == 6 + 4 + 2 + 12 + 6 + 4
    assert not [w for w in checked["warnings"] if "readable by other users" in w]


def test_check_finds_changed_missing_and_unlisted_files(aim):
    assert create_challenge(aim.root, aim.data_dir).ok
    root = aim.data_dir / "challenges" / "aim2022"
    layout = ChallengeLayout(root)
    gt = layout.split("p20", "test1").gt_of("10_1")
    arr = read_raw(gt)
    arr[0, 0, 0] = 1 if arr[0, 0, 0] != 1 else 2
    gt.write_bytes(npy_bytes(arr))
    layout.split("s7", "test1").rgb_of("11_0").unlink()
    (layout.split("s7", "train").rgb / "stray.txt").write_text("x")
    res = cli("challenge", "check", str(root), "--json")
    assert res.exit_code == 1
    problems = {(p["file"], p["code"]) for p in json.loads(res.stdout)["problems"]}
    assert ("p20/test1/gt/10_1.npy", "changed") in problems
    assert ("s7/test1/rgb/11_0.jpg", "missing_file") in problems
    assert ("s7/train/rgb/stray.txt", "unlisted_file") in problems
    assert ("s7/test1/gt/11_0.npy", "missing_pair") in problems  # re-validation sees the lost pair too
    assert ("s7/train/rgb/stray.txt", "extra_file") in problems


def test_zipped_bundle_is_created(tmp_path):
    aim = make_aim_bundle(tmp_path, organiser_inside=True)
    archive = tmp_path / "aim2022.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(aim.root.rglob("*")):
            if p.is_file():
                zf.write(p, "aim2022/" + p.relative_to(aim.root).as_posix())
    report = create_challenge(archive, aim.data_dir)
    assert report.ok, report.problems
    root = aim.data_dir / "challenges" / "aim2022"
    assert check_challenge(root).ok
    assert sorted(p.name for p in (aim.data_dir / "challenges").iterdir()) == ["aim2022"]  # no staging left
    assert stat.S_IMODE(ChallengeLayout(root).split("s7", "test1").gt.stat().st_mode) == 0o700


def test_files_are_copied_where_links_are_refused(aim, monkeypatch):
    def refuse(*_a, **_k):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", refuse)
    before = snapshot(aim.files())
    report = create_challenge(aim.root, aim.data_dir)
    assert report.ok and report.linked == 0 and report.copied > 0
    assert snapshot(aim.files()) == before
    assert check_challenge(aim.data_dir / "challenges" / "aim2022").ok


def test_an_existing_challenge_is_kept_unless_replaced(aim):
    assert create_challenge(aim.root, aim.data_dir).ok
    again = create_challenge(aim.root, aim.data_dir)
    assert not again.ok and [p.code for p in again.problems] == ["exists"]
    replaced = create_challenge(aim.root, aim.data_dir, replace=True)
    assert replaced.ok and check_challenge(Path(replaced.path)).ok
    assert sorted(p.name for p in (aim.data_dir / "challenges").iterdir()) == ["aim2022"]


def test_full_resolution_patches_given_must_match_their_images(aim):
    spec = aim.spec.read_text().replace(
        'full_rgb = "data-s7/test2_full_rgb"',
        'full_rgb = "data-s7/test2_full_rgb"\nrgb = "data-s7/test2_rgb"\ngt = "' + str(aim.organiser) + '/s7-test2-gt"',
    )
    aim.spec.write_text(spec)
    rows, cols = GRID
    p = S7_PATCH
    for image in ("20", "21"):
        whole = read_raw(aim.organiser / "s7-test2-full-gt" / f"{image}.npy")
        for k in range(rows * cols):
            r, c = divmod(k, cols)
            part = whole[r * p : (r + 1) * p, c * p : (c + 1) * p].copy()
            write_pair(aim.root / "data-s7" / "test2_rgb", aim.organiser / "s7-test2-gt", f"{image}_{k}", part, 0, 1023)
    report = create_challenge(aim.root, aim.data_dir)
    assert report.ok, report.problems
    assert check_challenge(Path(report.path)).ok

    bad = aim.organiser / "s7-test2-gt" / "21_4.npy"
    arr = read_raw(bad)
    arr[1, 1, 1] ^= 1
    bad.write_bytes(npy_bytes(arr))
    report = create_challenge(aim.root, aim.data_dir, name="other")
    assert [(p.file, p.code) for p in report.problems] == [(str(bad), "grid")]
    assert "differs from its crop" in report.problems[0].message
