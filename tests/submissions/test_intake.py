"""Upload intake: every unsafe or malformed archive gets its own code; nothing escapes the work dir."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from harness.npyio import ErrorCode
from harness.scoring import score_directories
from submissions.intake import IntakeLimits, check_upload
from tests.support import SHAPE, good_entries, npy_bytes, save
from tests.support import write_zip as make_zip


@pytest.fixture
def gt_dir(tmp_path, rng):
    d = tmp_path / "gt"
    d.mkdir()
    for stem in ("0", "1", "2"):
        save(d / f"{stem}.npy", rng.integers(0, 1025, SHAPE).astype(np.uint16))
    return d


def codes(report):
    return {(e.file, e.code) for e in report.errors}


@pytest.mark.parametrize("prefix", ["", "my_preds/"])
def test_good_upload_at_top_or_in_one_folder(tmp_path, gt_dir, rng, prefix):
    entries = good_entries(rng, prefix)
    entries["__MACOSX/._0.npy"] = b"junk"
    entries[f"{prefix}.DS_Store"] = b"junk"
    z = make_zip(tmp_path / "up.zip", entries)
    report = check_upload(z, gt_dir, tmp_path / "work")
    assert report.ok, report.errors
    assert report.n_predictions == 3 and report.readme.runtime_s == 0.5 and report.readme.device == "gpu"
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == ["0.npy", "1.npy", "2.npy", "readme.txt"]


def test_pairing_problems_name_the_file_inside_the_zip(tmp_path, gt_dir, rng):
    entries = good_entries(rng, "p/")
    entries["p/1.npy"] = npy_bytes(np.zeros(SHAPE, np.float32))  # contents are checked while scoring
    del entries["p/2.npy"]
    entries["p/9.npy"] = npy_bytes(np.zeros(SHAPE, np.uint16))
    report = check_upload(make_zip(tmp_path / "up.zip", entries), gt_dir, tmp_path / "work")
    assert not report.ok
    assert codes(report) == {
        ("p/2.npy", ErrorCode.MISSING_PREDICTION),
        ("p/9.npy", ErrorCode.EXTRA_FILE),
    }
    assert not (tmp_path / "work").exists()  # nothing is left of a rejected upload


def test_content_problems_name_the_file_inside_the_zip(tmp_path, gt_dir, rng):
    """The upload path (intake, then scoring): problems in the data keep the archive's names."""
    entries = good_entries(rng, "p/")
    entries["p/1.npy"] = npy_bytes(np.zeros(SHAPE, np.float32))
    entries["p/2.npy"] = npy_bytes(np.full(SHAPE, 2000, np.uint16))
    report = check_upload(make_zip(tmp_path / "up.zip", entries), gt_dir, tmp_path / "work")
    assert report.ok and report.folder == "p" and report.label("1.npy") == "p/1.npy"
    scored = score_directories(tmp_path / "work", gt_dir, workers=1, pred_label=report.label)
    assert not scored.ok and scored.images == []
    assert [(e.file, e.code, e.message) for e in scored.errors] == [
        ("p/1.npy", ErrorCode.WRONG_DTYPE, "1.npy: dtype must be uint16, got float32"),
        ("p/2.npy", ErrorCode.OUT_OF_RANGE, f"2.npy: {16 * 16 * 4} values exceed 1024 (largest 2000)"),
    ]


@pytest.mark.parametrize(
    "name,code",
    [
        ("../evil.npy", ErrorCode.UNSAFE_PATH),
        ("/etc/evil.npy", ErrorCode.UNSAFE_PATH),
        ("a\\b.npy", ErrorCode.UNSAFE_PATH),
        ("inner.zip", ErrorCode.NESTED_ARCHIVE),
    ],
)
def test_unsafe_entries(tmp_path, gt_dir, rng, name, code):
    entries = good_entries(rng)
    entries[name] = b"PK\x03\x04" if name.endswith(".zip") else b"x"
    report = check_upload(make_zip(tmp_path / "up.zip", entries), gt_dir, tmp_path / "work")
    assert (name, code) in codes(report)
    assert not (tmp_path / "evil.npy").exists() and not Path("/etc/evil.npy").exists()


def test_disguised_nested_zip_is_found_by_content(tmp_path, gt_dir, rng):
    entries = good_entries(rng)
    entries["0.npy"] = make_zip(tmp_path / "inner.zip", {"x": b"y"}).read_bytes()
    report = check_upload(make_zip(tmp_path / "up.zip", entries), gt_dir, tmp_path / "work")
    assert ("0.npy", ErrorCode.NESTED_ARCHIVE) in codes(report)


def test_symlink_entry(tmp_path, gt_dir, rng):
    z = make_zip(tmp_path / "up.zip", good_entries(rng))
    with zipfile.ZipFile(z, "a") as zf:
        info = zipfile.ZipInfo("link.npy")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/etc/passwd")
    report = check_upload(z, gt_dir, tmp_path / "work")
    assert ("link.npy", ErrorCode.SYMLINK) in codes(report)


def test_layout_rules(tmp_path, gt_dir, rng):
    entries = {**good_entries(rng, "a/"), "b/0.npy": b"x"}
    report = check_upload(make_zip(tmp_path / "two.zip", entries), gt_dir, tmp_path / "w1")
    assert any(e.code == ErrorCode.BAD_LAYOUT for e in report.errors)
    deep = good_entries(rng, "a/b/")
    report = check_upload(make_zip(tmp_path / "deep.zip", deep), gt_dir, tmp_path / "w2")
    assert any(e.code == ErrorCode.BAD_LAYOUT for e in report.errors)


def test_duplicate_names(tmp_path, gt_dir, rng):
    z = make_zip(tmp_path / "up.zip", good_entries(rng))
    with pytest.warns(UserWarning), zipfile.ZipFile(z, "a") as zf:
        zf.writestr("0.npy", b"second")
    assert ("0.npy", ErrorCode.DUPLICATE_FILE) in codes(check_upload(z, gt_dir, tmp_path / "work"))


@pytest.mark.parametrize("twin", ["0.NPY", "./0.npy", "preds/../0.npy"])
def test_names_that_differ_only_in_case_or_dot_slash_are_one_file(tmp_path, gt_dir, rng, twin):
    z = make_zip(tmp_path / "up.zip", good_entries(rng))
    with zipfile.ZipFile(z, "a") as zf:
        zf.writestr(zipfile.ZipInfo(twin), b"second")
    found = codes(check_upload(z, gt_dir, tmp_path / "work"))
    assert (twin, ErrorCode.DUPLICATE_FILE) in found or (twin, ErrorCode.UNSAFE_PATH) in found, found


def test_caps(tmp_path, gt_dir, rng):
    z = make_zip(tmp_path / "up.zip", good_entries(rng))
    small = IntakeLimits(max_upload_bytes=100)
    assert [e.code for e in check_upload(z, gt_dir, tmp_path / "w", small).errors] == [ErrorCode.UPLOAD_TOO_LARGE]
    assert [e.code for e in check_upload(z, gt_dir, tmp_path / "w", IntakeLimits(max_entries=2)).errors] == [
        ErrorCode.TOO_MANY_FILES
    ]
    report = check_upload(z, gt_dir, tmp_path / "w", IntakeLimits(max_file_bytes=1000))
    assert {e.code for e in report.errors} == {ErrorCode.FILE_TOO_LARGE}
    report = check_upload(z, gt_dir, tmp_path / "w", IntakeLimits(max_total_bytes=3000))
    assert ErrorCode.ZIP_BOMB in {e.code for e in report.errors}


def test_compression_ratio_bomb(tmp_path, gt_dir, rng):
    entries = good_entries(rng)
    entries["0.npy"] = bytes(50 << 20)  # 50 MiB of zeros deflate ~1000-fold
    z = make_zip(tmp_path / "bomb.zip", entries)
    report = check_upload(z, gt_dir, tmp_path / "work", IntakeLimits(max_ratio=100))
    assert ("0.npy", ErrorCode.ZIP_BOMB) in codes(report)


def test_lying_sizes_are_caught_while_streaming(tmp_path, gt_dir, rng):
    """A member whose directory entry claims fewer bytes than it holds stops at the claim."""
    entries = good_entries(rng)
    z = make_zip(tmp_path / "up.zip", entries, compression=zipfile.ZIP_STORED)
    data = bytearray(z.read_bytes())
    cd = data.rfind(b"PK\x01\x02", 0, data.rfind(b"readme.txt"))  # central entry of the last npy
    real = struct.unpack_from("<I", data, cd + 24)[0]
    struct.pack_into("<I", data, cd + 24, real - 64)  # uncompressed size: 64 bytes short
    z.write_bytes(bytes(data))
    report = check_upload(z, gt_dir, tmp_path / "work")
    assert not report.ok
    assert {e.code for e in report.errors} <= {ErrorCode.ZIP_BOMB, ErrorCode.CORRUPT_ARCHIVE}


def test_overlapping_entries(tmp_path, gt_dir, rng):
    z = make_zip(tmp_path / "up.zip", good_entries(rng), compression=zipfile.ZIP_STORED)
    data = bytearray(z.read_bytes())
    first = data.find(b"PK\x01\x02")
    second = data.find(b"PK\x01\x02", first + 4)
    struct.pack_into("<I", data, second + 42, struct.unpack_from("<I", data, first + 42)[0])  # same local header
    z.write_bytes(bytes(data))
    report = check_upload(z, gt_dir, tmp_path / "work")
    assert any(e.code == ErrorCode.ZIP_BOMB and "overlap" in e.message for e in report.errors)


def test_encrypted_entry(tmp_path, gt_dir, rng):
    z = make_zip(tmp_path / "up.zip", good_entries(rng), compression=zipfile.ZIP_STORED)
    data = bytearray(z.read_bytes())
    for sig, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        pos = data.find(sig)
        struct.pack_into("<H", data, pos + flag_at, struct.unpack_from("<H", data, pos + flag_at)[0] | 1)
    z.write_bytes(bytes(data))
    assert ErrorCode.ENCRYPTED in {e.code for e in check_upload(z, gt_dir, tmp_path / "work").errors}


@pytest.mark.parametrize("payload", [b"", b"not a zip", b"PK\x03\x04" + bytes(40)])
def test_corrupt_archives(tmp_path, gt_dir, payload):
    (tmp_path / "bad.zip").write_bytes(payload)
    report = check_upload(tmp_path / "bad.zip", gt_dir, tmp_path / "work")
    assert [e.code for e in report.errors] == [ErrorCode.CORRUPT_ARCHIVE]


def test_truncated_archive(tmp_path, gt_dir, rng):
    z = make_zip(tmp_path / "up.zip", good_entries(rng))
    z.write_bytes(z.read_bytes()[:-200])
    assert not check_upload(z, gt_dir, tmp_path / "work").ok


def test_missing_readme_is_a_warning(tmp_path, gt_dir, rng):
    entries = good_entries(rng)
    del entries["readme.txt"]
    report = check_upload(make_zip(tmp_path / "up.zip", entries), gt_dir, tmp_path / "work")
    assert report.ok and report.readme is None and any("readme" in w for w in report.warnings)
