"""Intake under hostile names and a full disk: overlong member names are refused by code before
anything else looks at them, messages quote names briefly, and a full disk during extraction is
the service's fault (StorageFull), never a corrupt archive, with nothing half-extracted left."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from harness.errors import StorageFull
from harness.names import MAX_SHOWN
from harness.npyio import ErrorCode
from submissions.intake import check_upload
from tests.support import SHAPE, good_entries, save
from tests.support import write_zip as make_zip
from tests.tmpfs import fill, tmpfs


@pytest.fixture
def gt_dir(tmp_path, rng):
    d = tmp_path / "gt"
    d.mkdir()
    for stem in ("0", "1", "2"):
        save(d / f"{stem}.npy", rng.integers(0, 1025, SHAPE).astype(np.uint16))
    return d


def test_a_member_name_over_255_bytes_is_refused_by_its_own_code_before_other_checks(tmp_path, gt_dir, rng):
    entries = good_entries(rng)
    long = "../" + "a" * 60_000 + ".npy"  # also unsafe: the length is checked first
    entries[long] = b"x"
    report = check_upload(make_zip(tmp_path / "up.zip", entries), gt_dir, tmp_path / "work")
    assert not report.ok and [e.code for e in report.errors] == [ErrorCode.NAME_TOO_LONG]
    err = report.errors[0]
    assert len(err.file) <= MAX_SHOWN and err.file.startswith("../aaa")
    assert len(err.message) < MAX_SHOWN + 80 and "60007 bytes; the limit is 255" in err.message
    assert not (tmp_path / "work").exists()  # nothing was extracted


def test_a_name_of_255_bytes_is_not_too_long(tmp_path, gt_dir, rng):
    entries = good_entries(rng)
    entries["b" * 251 + ".npy"] = b"x"
    report = check_upload(make_zip(tmp_path / "up.zip", entries), gt_dir, tmp_path / "work")
    assert [e.code for e in report.errors] == [ErrorCode.EXTRA_FILE]
    assert len(report.errors[0].message) < 2 * MAX_SHOWN + 60  # it quotes the name (and its stem) briefly


def test_a_layout_problem_names_a_few_folders_and_counts_the_rest(tmp_path, gt_dir):
    entries = {f"{'f' * 200}{i}/{i}.npy": b"x" for i in range(300)}
    report = check_upload(make_zip(tmp_path / "up.zip", entries), gt_dir, tmp_path / "work")
    (layout,) = [e for e in report.errors if e.code == ErrorCode.BAD_LAYOUT]
    assert "and 295 more" in layout.message and len(layout.message) < 6 * (MAX_SHOWN + 2) + 120


def test_a_full_disk_during_extraction_is_a_storage_fault_and_leaves_nothing(tmp_path, gt_dir, rng):
    upload = make_zip(tmp_path / "up.zip", good_entries(rng), compression=zipfile.ZIP_STORED)
    with tmpfs(tmp_path / "scratch", "64k") as scratch:
        filler = fill(scratch)
        with pytest.raises(StorageFull) as caught:
            check_upload(upload, gt_dir, scratch / "work")
        assert "storage is full while extracting the upload" in caught.value.message
        assert sorted(p.name for p in scratch.iterdir()) == ["filler"]  # no half-extracted folder
        filler.unlink()  # space is back: the same upload passes
        assert check_upload(upload, gt_dir, scratch / "work").ok
