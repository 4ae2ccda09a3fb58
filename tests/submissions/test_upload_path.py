"""The service's upload path, without the service: intake, then one scoring pass with regions.

Each prediction and each ground truth is read exactly once (intake reads no data; scoring
reads each file once and computes PSNR, SSIM and the region metrics from the same arrays).
"""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import harness.rgbio
from harness.analysis.regions import RegionScores, overexposure_mask, region_scores
from harness.challenge import ChallengeLayout
from harness.metrics.reference import psnr_reference, ssim_reference
from harness.rgbio import encode_jpeg, read_rgb
from harness.scoring import score_directories
from submissions.intake import check_upload
from tests.support import npy_bytes, save

SIDE = 24  # packed RAW side; RGB inputs are 48 x 48
README = b"Runtime per image [s] : 0.5\nCPU[1] / GPU[0] : 1\nExtra Data [1] / No Extra Data [0] : 0\n"


@pytest.fixture
def upload(tmp_path, rng):
    """A split (gt/ + rgb/) and a zip of predictions for it, inside a folder of the archive.

    Images: ``bright`` and ``glare`` have overexposed inputs, ``dim`` has none, ``bare`` has
    no input at all and ``skewed`` an input that is not twice the RAW size.
    """
    split = ChallengeLayout(tmp_path / "chal").split("s7", "test1")
    split.gt.mkdir(parents=True)
    split.rgb.mkdir()
    entries = {"preds/readme.txt": README}
    for name in ("bright", "glare", "dim", "bare", "skewed"):
        gt = rng.integers(40, 1000, (SIDE, SIDE, 4)).astype(np.uint16)
        pred = np.clip(gt.astype(int) + rng.integers(-40, 41, gt.shape), 0, 1024).astype(np.uint16)
        save(split.gt_of(name), gt)
        entries[f"preds/{name}.npy"] = npy_bytes(pred)
        rgb = rng.integers(0, 200, (2 * SIDE, 2 * SIDE, 3)).astype(np.uint8)
        if name == "bright":
            rgb[:20, :24] = 255
        elif name == "glare":
            rgb[10:40, 16:48] = 255
        elif name == "skewed":
            rgb = rgb[:-4]
        if name != "bare":
            split.rgb_path(name).write_bytes(encode_jpeg(rgb, 95))
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return split, archive


def test_each_npy_is_read_once_and_regions_come_from_the_same_arrays(upload, tmp_path, monkeypatch):
    split, archive = upload
    work = tmp_path / "work"
    data_reads: Counter[str] = Counter()
    rgb_reads: Counter[str] = Counter()
    fromfile = np.fromfile

    def counting_fromfile(file, *args, **kwargs):  # harness.npyio reads every array's data with this
        data_reads[Path(file.name).name if hasattr(file, "name") else Path(file).name] += 1
        return fromfile(file, *args, **kwargs)

    def no_np_load(*args, **kwargs):
        raise AssertionError("an .npy was read around harness.npyio")

    def counting_read_rgb(path):
        rgb_reads[Path(path).stem] += 1
        return read_rgb(path)

    with monkeypatch.context() as m:
        m.setattr(np, "fromfile", counting_fromfile)
        m.setattr(np, "load", no_np_load)
        m.setattr(harness.rgbio, "read_rgb", counting_read_rgb)
        intake = check_upload(archive, split.gt, work)
        assert intake.ok, intake.errors
        assert not data_reads  # intake pairs by name: it reads no data
        report = score_directories(work, split.gt, workers=2, regions=split.rgb_of, pred_label=intake.label)
    assert report.ok, report.errors
    names = ["bare", "bright", "dim", "glare", "skewed"]
    # every ground truth and every prediction once (they share names, so 2 per name), nothing else
    assert data_reads == {f"{n}.npy": 2 for n in names}
    assert rgb_reads == {n: 1 for n in names if n != "bare"}  # each input once, for its mask

    by_name = {i.name: i for i in report.images}
    assert [i.name for i in report.images] == names
    for name in names:
        gt, pred = np.load(split.gt_of(name)), np.load(work / f"{name}.npy")
        img = by_name[name]
        assert img.psnr == psnr_reference(gt, pred) and abs(img.ssim - ssim_reference(gt, pred)) < 1e-9
        if name in ("bare", "skewed"):
            assert img.regions is None  # no input, or one that does not match the RAW
            continue
        mask = overexposure_mask(read_rgb(split.rgb_of(name)))
        if name == "dim":
            assert not mask.any()
            assert img.regions == RegionScores(
                oe_fraction=0.0, psnr_oe=None, ssim_oe=None, psnr_rest=img.psnr, ssim_rest=img.ssim
            )
        else:
            assert mask.any() and not mask.all()
            assert img.regions == region_scores(gt, pred, mask)


def test_a_bad_file_on_the_upload_path_is_reported_as_inside_the_archive(upload, tmp_path):
    split, archive = upload
    with zipfile.ZipFile(archive) as zf:
        entries = {i.filename: zf.read(i) for i in zf.infolist()}
    entries["preds/dim.npy"] = npy_bytes(np.zeros((SIDE, SIDE + 1, 4), np.uint16))
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    intake = check_upload(bad, split.gt, tmp_path / "work")
    assert intake.ok  # names are right: the contents are judged while scoring
    report = score_directories(tmp_path / "work", split.gt, regions=split.rgb_of, pred_label=intake.label)
    assert not report.ok and report.images == []
    assert [(e.file, e.code, e.message) for e in report.errors] == [
        (
            "preds/dim.npy",
            "wrong_shape",
            f"dim.npy: shape must be {(SIDE, SIDE, 4)} like its ground truth, got {(SIDE, SIDE + 1, 4)}",
        )
    ]
