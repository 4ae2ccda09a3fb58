"""Every kind of bad .npy gets its own code and a message naming the file; nothing is unpickled."""

from __future__ import annotations

import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

from harness.npyio import ErrorCode, NpyError, read_header, read_raw
from tests.support import save

SHAPE = (16, 16, 4)


def codes(path, expected=SHAPE):
    with pytest.raises(NpyError) as info:
        read_raw(path, expected)
    for e in info.value.errors:
        assert Path(path).name in e.message and e.file == str(path)
    return {e.code for e in info.value.errors}, info.value.errors


class Canary:
    """Unpickling this creates a file: its existence would prove code ran."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_good_file_round_trips(tmp_path, rng):
    arr = rng.integers(0, 1025, SHAPE).astype(np.uint16)
    save(tmp_path / "a.npy", arr)
    out = read_raw(tmp_path / "a.npy", SHAPE)
    assert out.dtype == np.uint16 and np.array_equal(out, arr) and out.flags.c_contiguous


def test_big_endian_and_fortran_order_are_read_correctly(tmp_path, rng):
    arr = rng.integers(0, 1025, SHAPE).astype(np.uint16)
    save(tmp_path / "be.npy", arr.astype(">u2"))
    save(tmp_path / "f.npy", np.asfortranarray(arr))
    assert np.array_equal(read_raw(tmp_path / "be.npy", SHAPE), arr)
    assert np.array_equal(read_raw(tmp_path / "f.npy", SHAPE), arr)


def test_pickled_object_array_never_executes(tmp_path):
    canary = tmp_path / "canary"
    arr = np.empty(1, dtype=object)
    arr[0] = Canary(str(canary))
    with open(tmp_path / "obj.npy", "wb") as f:
        np.save(f, arr, allow_pickle=True)
    found, errors = codes(tmp_path / "obj.npy")
    assert found == {ErrorCode.OBJECT_ARRAY}
    assert not canary.exists()


def test_plain_pickle_named_npy_never_executes(tmp_path):
    canary = tmp_path / "canary"
    (tmp_path / "p.npy").write_bytes(pickle.dumps(Canary(str(canary))))
    found, errors = codes(tmp_path / "p.npy")
    assert found == {ErrorCode.PICKLED}
    assert "pickle" in errors[0].message
    assert not canary.exists()


def test_wrong_dtype_says_what_came(tmp_path):
    save(tmp_path / "f.npy", np.zeros(SHAPE, np.float32))
    found, errors = codes(tmp_path / "f.npy")
    assert found == {ErrorCode.WRONG_DTYPE}
    assert "uint16" in errors[0].message and "float32" in errors[0].message
    save(tmp_path / "i.npy", np.zeros(SHAPE, np.int32))
    assert "int32" in codes(tmp_path / "i.npy")[1][0].message


def test_nan_and_inf_are_reported_besides_dtype(tmp_path):
    arr = np.zeros(SHAPE, np.float64)
    arr[0, 0, 0] = np.nan
    arr[1, 1, 1] = np.inf
    save(tmp_path / "n.npy", arr)
    found, errors = codes(tmp_path / "n.npy")
    assert found == {ErrorCode.WRONG_DTYPE, ErrorCode.NON_FINITE}
    assert any("1 NaN and 1 infinite" in e.message for e in errors)


def test_values_above_1024(tmp_path):
    arr = np.zeros(SHAPE, np.uint16)
    arr[0, 0] = [1025, 4095, 0, 0]
    save(tmp_path / "o.npy", arr)
    found, errors = codes(tmp_path / "o.npy")
    assert found == {ErrorCode.OUT_OF_RANGE}
    assert "2 values exceed 1024" in errors[0].message and "4095" in errors[0].message


def test_1024_itself_is_allowed(tmp_path):
    save(tmp_path / "m.npy", np.full(SHAPE, 1024, np.uint16))
    assert read_raw(tmp_path / "m.npy", SHAPE).max() == 1024


def test_wrong_shape_is_refused_before_reading_data(tmp_path):
    save(tmp_path / "s.npy", np.zeros((16, 16, 3), np.uint16))
    found, errors = codes(tmp_path / "s.npy")
    assert found == {ErrorCode.WRONG_SHAPE}
    assert "(16, 16, 4)" in errors[0].message and "(16, 16, 3)" in errors[0].message


def test_huge_declared_shape_is_refused_without_reading(tmp_path):
    # a header claiming 10^12 elements over a tiny file: refused on the header alone
    header = "{'descr': '<u2', 'fortran_order': False, 'shape': (1000000, 1000000, 4), }"
    header = header + " " * (63 - len(header) % 64) + "\n"
    (tmp_path / "h.npy").write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    assert codes(tmp_path / "h.npy")[0] == {ErrorCode.WRONG_SHAPE}


def test_truncated_and_trailing(tmp_path):
    save(tmp_path / "t.npy", np.zeros(SHAPE, np.uint16))
    data = (tmp_path / "t.npy").read_bytes()
    (tmp_path / "t.npy").write_bytes(data[:-10])
    assert codes(tmp_path / "t.npy")[0] == {ErrorCode.TRUNCATED}
    (tmp_path / "x.npy").write_bytes(data + b"junk")
    assert codes(tmp_path / "x.npy")[0] == {ErrorCode.TRAILING_DATA}


@pytest.mark.parametrize(
    "payload",
    [
        b"not a numpy file at all",
        b"",
        b"\x93NUMPY\x09\x00\x10\x00{}",
        b"\x93NUMPY\x01\x00\x20\x00{'descr': __import__('os')}     \n",
        b"\x93NUMPY\x01\x00\xff\x00{'descr': '<u2'",
        b"\x93NUMPY\x01\x00\x30\x00{'descr': '<u2', 'shape': (1,)}                 \n",
    ],
    ids=["text", "empty", "bad-version", "code-in-header", "short-header", "missing-key"],
)
def test_malformed_files(tmp_path, payload):
    (tmp_path / "bad.npy").write_bytes(payload)
    found, _ = codes(tmp_path / "bad.npy")
    assert found <= {ErrorCode.NOT_NPY, ErrorCode.BAD_HEADER} and found


def test_structured_dtype_is_refused(tmp_path):
    save(tmp_path / "r.npy", np.zeros((16, 16, 4), dtype=[("a", "<u2")]))
    assert codes(tmp_path / "r.npy")[0] == {ErrorCode.WRONG_DTYPE}


def test_header_only_read(tmp_path):
    save(tmp_path / "a.npy", np.zeros((5, 6, 4), np.uint16))
    h = read_header(tmp_path / "a.npy")
    assert h.shape == (5, 6, 4) and h.dtype == np.uint16 and h.data_bytes == 240
