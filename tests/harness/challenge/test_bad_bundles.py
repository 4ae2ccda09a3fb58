"""Each bad bundle gets its precise error, naming the file, and nothing is written."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from harness.bundles.build import create_challenge
from harness.cli.app import app
from tests.harness.challenge.conftest import AimBundle, make_aim_bundle, npy_bytes, png_bytes
from tests.support import snapshot

runner = CliRunner()


def create_fails(
    aim: AimBundle, bundle: Path | None = None, *, unread: frozenset[Path] = frozenset()
) -> list[tuple[str, str, str]]:
    """Run `harness challenge create`, expect exit 1, nothing written; returns (file, code, message).

    The files in ``unread`` (huge ones) are compared by size, time and mode only, not by their bytes.
    """
    files = [p for p in aim.files() if p not in unread]

    def stats() -> dict[Path, tuple[int, int, int]]:
        return {p: (p.stat().st_size, p.stat().st_mtime_ns, p.stat().st_mode) for p in unread}

    before = snapshot(files), stats()
    res = runner.invoke(
        app, ["challenge", "create", str(bundle or aim.root), "--data-dir", str(aim.data_dir), "--json"]
    )
    assert res.exit_code == 1, res.output
    report = json.loads(res.stdout)
    assert not report["ok"] and report["problems"]
    assert not aim.data_dir.exists(), sorted(aim.data_dir.rglob("*"))  # nothing written, not even a folder
    assert (snapshot(files), stats()) == before
    for p in report["problems"]:
        assert p["message"].startswith(p["file"] + ":"), p  # every message names its file first
    return [(p["file"], p["code"], p["message"]) for p in report["problems"]]


def test_a_missing_pair(aim):
    (aim.root / "data-s7" / "train" / "1_0.npy").unlink()
    assert create_fails(aim) == [
        ("data-s7/train/1_0.jpg", "missing_pair", "data-s7/train/1_0.jpg: has no RAW 1_0.npy beside it")
    ]


def test_a_ground_truth_without_its_input(aim):
    (aim.root / "data-p20" / "val_rgb" / "11_1.jpg").unlink()
    gt = aim.organiser / "p20-test1-gt" / "11_1.npy"
    assert create_fails(aim) == [
        (str(gt), "missing_pair", f"{gt}: has no input 11_1.jpg / .jpeg / .png in data-p20/val_rgb")
    ]


def test_an_extra_file(aim):
    (aim.root / "data-s7" / "val_rgb" / "notes.txt").write_text("camera settings")
    [(file, code, message)] = create_fails(aim)
    assert (file, code) == ("data-s7/val_rgb/notes.txt", "extra_file") and "unexpected file" in message


def test_a_wrong_size_jpeg(aim):
    path = aim.root / "data-s7" / "val_rgb" / "10_0.jpg"
    Image.new("RGB", (32, 30)).save(path, format="JPEG")
    [(file, code, message)] = create_fails(aim)
    assert (file, code) == ("data-s7/val_rgb/10_0.jpg", "wrong_size")
    assert "is 30x32" in message and "twice its RAW 10_0.npy (16x16x4): 32x32" in message


def test_a_float_raw(aim):
    path = aim.root / "data-s7" / "train" / "0_0.npy"
    path.write_bytes(npy_bytes(np.full((16, 16, 4), 0.5, np.float32)))
    [(file, code, message)] = create_fails(aim)
    assert (file, code) == ("data-s7/train/0_0.npy", "wrong_dtype") and "float32" in message


def test_values_above_1024(aim):
    path = aim.organiser / "s7-test1-gt" / "10_1.npy"
    arr = np.load(path)
    arr[3, 4, 2] = 1100
    path.write_bytes(npy_bytes(arr))
    [(file, code, message)] = create_fails(aim)
    assert (file, code) == (str(path), "out_of_range") and "1 values exceed 1024 (largest 1100)" in message


def test_values_above_the_declared_white_level(aim):
    path = aim.root / "data-p20" / "train" / "2_1.npy"
    arr = np.load(path)
    arr[0, 0, 0] = 1023
    path.write_bytes(npy_bytes(arr))
    [(file, code, message)] = create_fails(aim)
    assert (file, code) == ("data-p20/train", "levels")
    assert "above the white level 1020" in message and "2_1.npy" in message


def test_a_corrupt_jpeg(aim):
    path = aim.root / "data-p20" / "val_rgb" / "10_0.jpg"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # the header is intact: only decoding the whole file finds it
    [(file, code, message)] = create_fails(aim)
    assert (file, code) == ("data-p20/val_rgb/10_0.jpg", "bad_image") and "does not decode" in message


def test_a_16_bit_png_input(aim):
    path = aim.root / "data-s7" / "val_rgb" / "11_0.jpg"
    path.unlink()
    path.with_suffix(".png").write_bytes(png_bytes(np.zeros((32, 32), np.uint16)))
    [(file, code, message)] = create_fails(aim)
    assert (file, code) == ("data-s7/val_rgb/11_0.png", "bad_image") and "must be 8-bit RGB" in message


def test_two_splits_pointing_at_the_same_ground_truth(aim):
    spec = aim.spec.read_text()
    aim.spec.write_text(spec.replace(f'gt = "{aim.organiser}/p20-test1-gt"', f'gt = "{aim.organiser}/s7-test1-gt"'))
    problems = create_fails(aim)
    shared = [p for p in problems if p[1] == "shared_folder"]
    assert [p[0] for p in shared] == [str(aim.organiser / "s7-test1-gt")]
    assert "track 'p20' split 'test1' (gt); track 's7' split 'test1' (gt)" in shared[0][2]
    assert "cannot share their ground truth" in shared[0][2]


def test_an_unknown_key(aim):
    spec = aim.spec.read_text()
    aim.spec.write_text(spec.replace('name = "test1"\nprimary_metric = "ssim"', 'name = "test1"\nground_truth = "x"'))
    assert create_fails(aim) == [
        (
            "challenge.toml",
            "unknown_key",
            "challenge.toml: unknown key 'ground_truth' (in track 'p20', split 'test1')",
        )
    ]


def test_a_missing_folder_and_the_other_splits_still_checked(aim):
    spec = aim.spec.read_text()
    aim.spec.write_text(spec.replace('rgb = "data-p20/val_rgb"', 'rgb = "data-p20/val"'))
    (aim.root / "data-s7" / "train" / "2_0.npy").unlink()
    [(file, code, message), other] = create_fails(aim)
    assert (file, code) == ("challenge.toml", "not_found")
    assert "track 'p20', split 'test1': rgb = 'data-p20/val'" in message
    assert other[:2] == ("data-s7/train/2_0.jpg", "missing_pair")


def test_every_problem_in_one_report(aim):
    (aim.root / "data-s7" / "train" / "1_0.npy").unlink()
    (aim.root / "data-s7" / "val_rgb" / "notes.txt").write_text("x")
    (aim.root / "data-p20" / "train" / "0_0.npy").write_bytes(npy_bytes(np.zeros((12, 12, 4), np.float64)))
    bad = aim.root / "data-p20" / "val_rgb" / "10_1.jpg"
    bad.write_bytes(b"not an image at all")
    found = {(f, c) for f, c, _ in create_fails(aim)}
    assert found == {
        ("data-s7/train/1_0.jpg", "missing_pair"),
        ("data-s7/val_rgb/notes.txt", "extra_file"),
        ("data-p20/train/0_0.npy", "wrong_dtype"),
        ("data-p20/val_rgb/10_1.jpg", "bad_image"),
    }


def _zip(aim: AimBundle, archive: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(aim.root.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(aim.root).as_posix())
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return archive


def test_a_folder_that_escapes_a_zipped_bundle(tmp_path):
    aim = make_aim_bundle(tmp_path, organiser_inside=True)
    spec = aim.spec.read_text()
    aim.spec.write_text(spec.replace('gt = "organiser/p20-test1-gt"', 'gt = "../organiser/p20-test1-gt"'))
    archive = _zip(aim, tmp_path / "bundle.zip")
    assert create_fails(aim, archive) == [
        (
            "bundle.zip:challenge.toml",
            "unsafe_path",
            "bundle.zip:challenge.toml: track 'p20', split 'test1': gt = '../organiser/p20-test1-gt' "
            "leaves the zipped bundle; a zipped bundle holds all its data",
        )
    ]


@pytest.mark.parametrize("value", ["/etc", "data-s7/../../x"])
def test_absolute_and_climbing_folders_leave_a_zipped_bundle(tmp_path, value):
    aim = make_aim_bundle(tmp_path, organiser_inside=True)
    aim.spec.write_text(aim.spec.read_text().replace('rgb = "data-p20/val_rgb"', f'rgb = "{value}"'))
    [(file, code, _)] = create_fails(aim, _zip(aim, tmp_path / "bundle.zip"))
    assert (file, code) == ("bundle.zip:challenge.toml", "unsafe_path")


def test_a_zip_entry_that_escapes(tmp_path):
    aim = make_aim_bundle(tmp_path, organiser_inside=True)
    archive = _zip(aim, tmp_path / "bundle.zip", {"../evil.npy": b"x"})
    assert create_fails(aim, archive) == [
        ("bundle.zip:../evil.npy", "unsafe_path", "bundle.zip:../evil.npy: climbs out of the archive with '..'")
    ]
    assert not (tmp_path / "evil.npy").exists()


def test_bad_files_inside_a_zipped_bundle_are_named_inside_it(tmp_path):
    aim = make_aim_bundle(tmp_path, organiser_inside=True)
    (aim.root / "data-s7" / "train" / "2_1.npy").unlink()
    assert create_fails(aim, _zip(aim, tmp_path / "bundle.zip")) == [
        (
            "bundle.zip:data-s7/train/2_1.jpg",
            "missing_pair",
            "bundle.zip:data-s7/train/2_1.jpg: has no RAW 2_1.npy beside it",
        )
    ]


def test_a_pickle_is_never_loaded(aim):
    import pickle

    (aim.root / "data-s7" / "train" / "0_1.npy").write_bytes(pickle.dumps(np.zeros((16, 16, 4), np.uint16)))
    [(file, code, _)] = create_fails(aim)
    assert (file, code) == ("data-s7/train/0_1.npy", "pickled")


def test_noise_below_the_black_level_is_a_warning_only(aim):
    path = aim.root / "data-p20" / "train" / "1_1.npy"
    arr = np.load(path)
    arr[2, 2, 3] = 51
    path.write_bytes(npy_bytes(arr))
    report = create_challenge(aim.root, aim.data_dir)
    assert report.ok
    assert any("below its black level 60 (smallest 51)" in w for w in report.warnings)


def test_a_declared_patch_the_data_contradict(aim):
    spec = aim.spec.read_text()
    aim.spec.write_text(spec.replace('camera = "Samsung Galaxy S7, Sony IMX260"', 'camera = "S7"\npatch = 20'))
    problems = create_fails(aim)
    assert ("data-s7/train", "wrong_size") in {(f, c) for f, c, _ in problems}
    assert any("patches are 16x16x4 where challenge.toml says patch = 20" in m for _, _, m in problems)


def test_usage_errors_exit_2(aim, tmp_path):
    res = runner.invoke(app, ["challenge", "create", str(aim.root), "--name", "../x", "--data-dir", str(aim.data_dir)])
    assert res.exit_code == 2
    res = runner.invoke(app, ["challenge", "create", str(tmp_path / "nope")])
    assert res.exit_code == 2
    assert not aim.data_dir.exists()
