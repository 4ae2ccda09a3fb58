"""Quoted names stay short; member names past a file system's limit are refused; disk faults are told apart."""

from __future__ import annotations

import errno

from harness.errors import StorageFailed, StorageFull, storage_fault
from harness.names import MAX_SHOWN, shown_name
from harness.zipnames import MAX_NAME_BYTES, too_long_name


def test_a_short_name_is_quoted_whole():
    assert shown_name("preds/0.npy") == "preds/0.npy"
    assert shown_name("x" * MAX_SHOWN) == "x" * MAX_SHOWN


def test_a_long_name_keeps_its_head_and_tail_within_the_limit():
    name = "head-" + "m" * 60_000 + "-tail.npy"
    shown = shown_name(name)
    assert len(shown) == MAX_SHOWN
    assert shown.startswith("head-mmm") and shown.endswith("m-tail.npy") and "…" in shown


def test_names_over_255_bytes_are_too_long_counting_bytes_not_characters():
    assert too_long_name("a" * MAX_NAME_BYTES) is None
    assert "256 bytes" in too_long_name("a" * (MAX_NAME_BYTES + 1))
    assert too_long_name("é" * 127) is None  # 254 bytes
    assert "256 bytes" in too_long_name("é" * 128)


def test_full_and_failing_disks_are_storage_faults_and_other_errors_are_not():
    full = storage_fault(OSError(errno.ENOSPC, "No space left on device", "/data/x"), "writing")
    quota = storage_fault(OSError(errno.EDQUOT, "Disk quota exceeded"), "writing")
    failed = storage_fault(OSError(errno.EIO, "Input/output error"), "reading")
    assert isinstance(full, StorageFull) and isinstance(quota, StorageFull) and isinstance(failed, StorageFailed)
    assert "/data/x" not in full.message and "storage is full while writing" in full.message
    assert storage_fault(OSError(errno.ENOENT, "No such file"), "reading") is None
    assert storage_fault(OSError(errno.EACCES, "Permission denied"), "reading") is None
