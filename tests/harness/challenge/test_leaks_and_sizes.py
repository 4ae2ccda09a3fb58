"""Ground truth where teams are handed files, and inputs larger than their pixels: refused, nothing written."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from harness.bundles.build import create_challenge
from harness.cli.app import app
from tests.harness.challenge.conftest import AimBundle, make_aim_bundle, png_bytes
from tests.harness.challenge.test_bad_bundles import _zip, create_fails

runner = CliRunner()
ADVICE = "keep ground truth in a folder of its own, outside every input and training folder"


def _point(aim: AimBundle, old: str, new: str) -> None:
    spec = aim.spec.read_text()
    assert old in spec
    aim.spec.write_text(spec.replace(old, new))


def _move_files(src: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for p in sorted(src.iterdir()):
        p.rename(dest / p.name)
    src.rmdir()


def test_ground_truth_beside_its_inputs(aim):
    _move_files(aim.organiser / "s7-test1-gt", aim.root / "data-s7" / "val_rgb")
    _point(aim, f'gt = "{aim.organiser}/s7-test1-gt"', 'gt = "data-s7/val_rgb"')
    assert create_fails(aim) == [
        (
            "data-s7/val_rgb",
            "gt_in_public_folder",
            "data-s7/val_rgb: the ground truth of track 's7' split 'test1' (gt) is the folder of "
            f"track 's7' split 'test1' (rgb), data-s7/val_rgb: teams handed that folder would hold the "
            f"ground truth; {ADVICE}",
        )
    ]


def test_ground_truth_inside_an_input_folder(aim):
    _move_files(aim.organiser / "p20-test1-gt", aim.root / "data-p20" / "val_rgb" / "gt")
    _point(aim, f'gt = "{aim.organiser}/p20-test1-gt"', 'gt = "data-p20/val_rgb/gt"')
    found = {(f, c): m for f, c, m in create_fails(aim)}
    assert set(found) == {("data-p20/val_rgb/gt", "gt_in_public_folder"), ("data-p20/val_rgb/gt", "extra_file")}
    message = found[("data-p20/val_rgb/gt", "gt_in_public_folder")]
    assert (
        "ground truth of track 'p20' split 'test1' (gt) lies inside the folder of track 'p20' split 'test1' (rgb)"
        in (message)
    )


def test_ground_truth_inside_another_tracks_training_folder(aim):
    _move_files(aim.organiser / "s7-test2-full-gt", aim.root / "data-p20" / "train" / "hidden")
    _point(aim, f'full_gt = "{aim.organiser}/s7-test2-full-gt"', 'full_gt = "data-p20/train/hidden"')
    found = [(f, c, m) for f, c, m in create_fails(aim) if c == "gt_in_public_folder"]
    assert [(f, c) for f, c, _ in found] == [("data-p20/train/hidden", "gt_in_public_folder")]
    assert (
        "the ground truth of track 's7' split 'test2' (full_gt) lies inside the folder of "
        "track 'p20' split 'train' (rgb); track 'p20' split 'train' (raw), data-p20/train:"
    ) in found[0][2]


@pytest.mark.parametrize("how", ["symlink", "dotdot"])
def test_ground_truth_reached_through_a_link_or_dotdot(aim, how):
    hidden = aim.root / "data-s7" / "val_rgb" / "hidden"
    _move_files(aim.organiser / "s7-test1-gt", hidden)
    if how == "symlink":
        (aim.organiser / "elsewhere").symlink_to(hidden, target_is_directory=True)
        value = f"{aim.organiser}/elsewhere"
    else:
        value = f"{aim.organiser}/../aim2022/data-s7/./val_rgb/hidden"
    _point(aim, f'gt = "{aim.organiser}/s7-test1-gt"', f'gt = "{value}"')
    codes = {(f, c) for f, c, _ in create_fails(aim)}
    assert ("data-s7/val_rgb/hidden", "gt_in_public_folder") in codes


def test_an_input_folder_inside_the_ground_truth_folder_is_an_extra_folder(aim):
    # handing out the inputs hands out no ground truth: not a leak, but a data folder holds files only
    gt = aim.organiser / "p20-test1-gt"
    _move_files(aim.root / "data-p20" / "val_rgb", gt / "inputs")
    _point(aim, 'rgb = "data-p20/val_rgb"', f'rgb = "{gt}/inputs"')
    assert [(f, c) for f, c, _ in create_fails(aim)] == [(str(gt / "inputs"), "extra_file")]


def test_a_ground_truth_file_that_is_a_training_file(aim):
    gt = aim.organiser / "s7-test1-gt" / "10_0.npy"
    train = aim.root / "data-s7" / "train"
    os.link(gt, train / "10_0.npy")
    shutil.copyfile(aim.root / "data-s7" / "val_rgb" / "10_0.jpg", train / "10_0.jpg")
    assert create_fails(aim) == [
        (
            str(gt),
            "gt_in_public_folder",
            f"{gt}: is the same file as the public file data-s7/train/10_0.npy (a hard or symbolic link): "
            f"teams handed that file would hold the ground truth; {ADVICE}",
        )
    ]


def test_ground_truth_beside_its_inputs_in_a_zipped_bundle(tmp_path):
    aim = make_aim_bundle(tmp_path, organiser_inside=True)
    _move_files(aim.organiser / "p20-test1-gt", aim.root / "data-p20" / "val_rgb")
    _point(aim, 'gt = "organiser/p20-test1-gt"', 'gt = "data-p20/val_rgb"')
    [(file, code, message)] = create_fails(aim, _zip(aim, tmp_path / "bundle.zip"))
    assert (file, code) == ("bundle.zip:data-p20/val_rgb", "gt_in_public_folder")
    assert "is the folder of track 'p20' split 'test1' (rgb), bundle.zip:data-p20/val_rgb" in message


def _check(aim: AimBundle) -> list[tuple[str, str, str]]:
    res = runner.invoke(app, ["challenge", "check", "aim2022", "--data-dir", str(aim.data_dir), "--json"])
    assert res.exit_code == 1, res.output
    return [(p["file"], p["code"], p["message"]) for p in json.loads(res.stdout)["problems"]]


def test_check_finds_ground_truth_moved_into_an_input_folder(aim):
    assert create_challenge(aim.root, aim.data_dir).ok
    split = aim.data_dir / "challenges" / "aim2022" / "s7" / "test1"
    (split / "gt").rename(split / "rgb" / "gt")
    (split / "gt").symlink_to(split / "rgb" / "gt", target_is_directory=True)
    found = [(f, c, m) for f, c, m in _check(aim) if c == "gt_in_public_folder"]
    assert [(f, c) for f, c, _ in found] == [("s7/test1/gt", "gt_in_public_folder")]
    assert (
        "track 's7' split 'test1' (gt) lies inside the folder of track 's7' split 'test1' (rgb), s7/test1/rgb"
        in (found[0][2])
    )


def test_check_finds_a_ground_truth_file_linked_into_training_data(aim):
    assert create_challenge(aim.root, aim.data_dir).ok
    root = aim.data_dir / "challenges" / "aim2022"
    os.link(root / "p20" / "test1" / "gt" / "11_1.npy", root / "p20" / "train" / "raw" / "11_1.npy")
    found = [(f, c, m) for f, c, m in _check(aim) if c == "gt_in_public_folder"]
    assert found == [
        (
            "p20/test1/gt/11_1.npy",
            "gt_in_public_folder",
            "p20/test1/gt/11_1.npy: is the same file as the public file p20/train/raw/11_1.npy "
            f"(a hard or symbolic link): teams handed that file would hold the ground truth; {ADVICE}",
        )
    ]


def test_a_jpeg_followed_by_10_gb_is_refused_before_it_is_read(aim):
    path = aim.root / "data-s7" / "val_rgb" / "10_1.jpg"
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(10 * 2**30)  # a sparse tail: costs no disk, would cost minutes to hash or copy
    [(file, code, message)] = create_fails(aim, unread=frozenset({path}))
    assert (file, code) == ("data-s7/val_rgb/10_1.jpg", "input_too_large")
    bound = 4 * 32 * 32 + 2**20
    assert message == (
        f"data-s7/val_rgb/10_1.jpg: is 10,737,418,240 bytes, more than the {bound:,} an image of 32x32 pixels "
        "may take (4 bytes per pixel + 1 MiB): it holds more than its image; re-save it"
    )
    assert size < bound  # the image itself was fine
    res = runner.invoke(app, ["challenge", "create", str(aim.root), "--data-dir", str(aim.data_dir), "--json"])
    assert json.loads(res.stdout)["seconds"] < 10  # hashing 10 GB takes tens of seconds


def test_an_oversized_input_in_a_zipped_bundle_is_named_without_being_inflated(tmp_path):
    aim = make_aim_bundle(tmp_path, organiser_inside=True)
    path = aim.root / "data-p20" / "val_rgb" / "11_0.jpg"
    image = path.read_bytes()
    path.unlink()  # written into the zip below, with a 256 MiB tail
    archive = _zip(aim, tmp_path / "bundle.zip")
    with zipfile.ZipFile(archive, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("data-p20/val_rgb/11_0.jpg", "w", force_zip64=True) as f:
            f.write(image)
            for _ in range(16):
                f.write(bytes(1 << 24))
    size = len(image) + 2**28
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo("data-p20/val_rgb/11_0.jpg")
    with open(archive, "r+b") as f:  # spoil the end of its compressed data: inflating it all would fail
        f.seek(info.header_offset + 26)
        head = f.read(4)
        start = info.header_offset + 30 + int.from_bytes(head[:2], "little") + int.from_bytes(head[2:], "little")
        f.seek(start + info.compress_size - 64)
        f.write(b"\xa5" * 32)
    [(file, code, message)] = create_fails(aim, archive)
    assert (file, code) == ("bundle.zip:data-p20/val_rgb/11_0.jpg", "input_too_large")
    assert f"is {size:,} bytes, more than the {4 * 24 * 24 + 2**20:,} an image of 24x24 pixels may take" in message


@pytest.mark.parametrize("fmt", ["jpg", "png"])
def test_bytes_after_the_image_end(aim, fmt):
    path = aim.root / "data-p20" / "val_rgb" / "10_0.jpg"
    if fmt == "png":
        path.unlink()
        path = path.with_suffix(".png")
        image = png_bytes(np.full((24, 24, 3), 128, np.uint8))
    else:
        image = path.read_bytes()
    path.write_bytes(image + b"\0" * 4096)  # padding within the allowance is accepted
    assert create_challenge(aim.root, aim.data_dir, name="padded").ok
    path.write_bytes(image + b"x" * 5000)
    shutil.rmtree(aim.data_dir)
    [(file, code, message)] = create_fails(aim)
    assert (file, code) == (f"data-p20/val_rgb/10_0.{fmt}", "trailing_data")
    kind = "PNG" if fmt == "png" else "JPEG"
    assert f"has 5,000 bytes after the end of its {kind} image (at most 4,096 are allowed); " in message
    assert f"keep its first {len(image):,} bytes" in message


def test_check_names_an_input_grown_after_it_was_laid_out_without_hashing_it(aim):
    assert create_challenge(aim.root, aim.data_dir).ok
    path = aim.data_dir / "challenges" / "aim2022" / "s7" / "test1" / "rgb" / "11_0.jpg"
    os.unlink(path)  # a file of its own, not the organiser's (the inputs are hard links)
    shutil.copyfile(aim.root / "data-s7" / "val_rgb" / "11_0.jpg", path)
    with open(path, "r+b") as f:
        f.truncate(10 * 2**30)
    res = runner.invoke(app, ["challenge", "check", "aim2022", "--data-dir", str(aim.data_dir), "--json"])
    assert res.exit_code == 1, res.output
    report = json.loads(res.stdout)
    assert [(p["file"], p["code"]) for p in report["problems"]] == [("s7/test1/rgb/11_0.jpg", "input_too_large")]
    assert report["seconds"] < 10  # not hashed: 10 GB would take tens of seconds
