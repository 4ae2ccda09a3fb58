"""Safe reading of packed RAW ``.npy`` files.

The header is parsed and checked (magic, version, size, dtype, shape, file length) before a
single data byte is read; arrays are read with ``numpy.fromfile`` and never unpickled. Every
problem becomes a :class:`~harness.problems.Problem` with a stable machine-readable code, so callers can list
all problems of all files at once.
"""

from __future__ import annotations

import ast
import math
import os
import struct
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from harness.names import shown_name
from harness.problems import Problem

MAGIC = b"\x93NUMPY"
MAX_HEADER_BYTES = 65536
PICKLE_PREFIXES = (b"\x80", b"(", b"c", b"]", b"}")


class ErrorCode(StrEnum):
    """Codes of every input problem the harness reports (stable: tools rely on them)."""

    MISSING_PREDICTION = "missing_prediction"
    EXTRA_FILE = "extra_file"
    UNREADABLE = "unreadable"
    NOT_NPY = "not_npy"
    PICKLED = "pickled"
    BAD_HEADER = "bad_header"
    OBJECT_ARRAY = "object_array"
    WRONG_DTYPE = "wrong_dtype"
    WRONG_SHAPE = "wrong_shape"
    TRUNCATED = "truncated"
    TRAILING_DATA = "trailing_data"
    NON_FINITE = "non_finite"
    OUT_OF_RANGE = "out_of_range"
    TOO_SMALL = "too_small"
    EMPTY_SET = "empty_set"
    NOT_A_DIRECTORY = "not_a_directory"
    # PNG predictions and ground truth (harness/pngio.py, profile srgb)
    NOT_PNG = "not_png"
    WRONG_MODE = "wrong_mode"
    IMAGE_TOO_LARGE = "image_too_large"
    # upload intake (submissions/intake.py)
    CORRUPT_ARCHIVE = "corrupt_archive"
    UPLOAD_TOO_LARGE = "upload_too_large"
    TOO_MANY_FILES = "too_many_files"
    FILE_TOO_LARGE = "file_too_large"
    ZIP_BOMB = "zip_bomb"
    UNSAFE_PATH = "unsafe_path"
    SYMLINK = "symlink"
    NESTED_ARCHIVE = "nested_archive"
    ENCRYPTED = "encrypted"
    UNSUPPORTED_COMPRESSION = "unsupported_compression"
    BAD_LAYOUT = "bad_layout"
    DUPLICATE_FILE = "duplicate_file"
    NAME_TOO_LONG = "name_too_long"
    # the service itself (its storage, its workers), not the submitted files
    INFRASTRUCTURE = "infrastructure"


class NpyError(Exception):
    """Raised by the readers below; carries every problem found in the file."""

    def __init__(self, errors: list[Problem]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class NpyHeader:
    """What an ``.npy`` header declares, and where the data starts."""

    dtype: np.dtype
    shape: tuple[int, ...]
    fortran_order: bool
    data_offset: int
    file_size: int

    @property
    def data_bytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


def _err(path: Path | str, code: ErrorCode, message: str) -> Problem:
    return Problem(file=str(path), code=code, message=f"{shown_name(Path(path).name)}: {message}")


def read_header(path: Path) -> NpyHeader:
    """Parse and check the header of ``path`` without reading its data.

    Raises :class:`NpyError` for a file that is not a plain ``.npy`` array.
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(12)
            if head[:6] != MAGIC:
                if head.startswith(PICKLE_PREFIXES) and not head.startswith(b"\x93"):
                    raise NpyError(
                        [
                            _err(
                                path,
                                ErrorCode.PICKLED,
                                "is a Python pickle, not a .npy array; pickles are never loaded",
                            )
                        ]
                    )
                raise NpyError([_err(path, ErrorCode.NOT_NPY, f"not a NumPy .npy file (starts with {head[:6]!r})")])
            if len(head) < 10:
                raise NpyError([_err(path, ErrorCode.BAD_HEADER, "header is cut short")])
            major, minor = head[6], head[7]
            if (major, minor) not in ((1, 0), (2, 0), (3, 0)):
                raise NpyError([_err(path, ErrorCode.BAD_HEADER, f"unknown .npy format version {major}.{minor}")])
            if major == 1:
                (hlen,) = struct.unpack("<H", head[8:10])
                start = 10
            else:
                if len(head) < 12:
                    raise NpyError([_err(path, ErrorCode.BAD_HEADER, "header is cut short")])
                (hlen,) = struct.unpack("<I", head[8:12])
                start = 12
            if hlen > MAX_HEADER_BYTES:
                raise NpyError(
                    [
                        _err(
                            path,
                            ErrorCode.BAD_HEADER,
                            f"header of {hlen} bytes is larger than the {MAX_HEADER_BYTES}-byte limit",
                        )
                    ]
                )
            f.seek(start)
            raw = f.read(hlen)
    except OSError as exc:
        raise NpyError([_err(path, ErrorCode.UNREADABLE, f"cannot be read ({exc.strerror or exc})")]) from None
    if len(raw) < hlen:
        raise NpyError([_err(path, ErrorCode.BAD_HEADER, "header is cut short")])
    try:
        text = raw.decode("utf8" if major == 3 else "latin1")
        meta = ast.literal_eval(text)
    except (ValueError, SyntaxError, UnicodeDecodeError, MemoryError, RecursionError):
        raise NpyError([_err(path, ErrorCode.BAD_HEADER, "header is not a valid .npy header dictionary")]) from None
    if not isinstance(meta, dict) or set(meta) != {"descr", "fortran_order", "shape"}:
        raise NpyError(
            [_err(path, ErrorCode.BAD_HEADER, "header must hold exactly the keys descr, fortran_order and shape")]
        )
    shape, fortran, descr = meta["shape"], meta["fortran_order"], meta["descr"]
    if not isinstance(shape, tuple) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise NpyError([_err(path, ErrorCode.BAD_HEADER, f"shape {shape!r} is not a tuple of non-negative integers")])
    if not isinstance(fortran, bool):
        raise NpyError([_err(path, ErrorCode.BAD_HEADER, "fortran_order is not a boolean")])
    try:
        dtype = np.dtype(descr) if isinstance(descr, str) else np.dtype([tuple(x) for x in descr])
    except (TypeError, ValueError):
        raise NpyError([_err(path, ErrorCode.BAD_HEADER, f"dtype {descr!r} is not understood")]) from None
    if dtype.subdtype is not None or dtype.itemsize == 0:
        # numpy parses e.g. '(0,)u2' (a sub-array per element; np.save never writes one): refused here,
        # before its element count can disagree with the shape
        raise NpyError(
            [_err(path, ErrorCode.BAD_HEADER, f"dtype {descr!r} is a sub-array or empty dtype; save a uint16 array")]
        )
    if dtype.hasobject:
        raise NpyError(
            [
                _err(
                    path,
                    ErrorCode.OBJECT_ARRAY,
                    "holds Python objects (dtype object), which would need unpickling; save a uint16 array",
                )
            ]
        )
    return NpyHeader(dtype=dtype, shape=shape, fortran_order=fortran, data_offset=start + hlen, file_size=size)


def _describe(dtype: np.dtype) -> str:
    if dtype.fields is not None:
        return f"a structured dtype {dtype}"
    return dtype.name + (" (big-endian)" if dtype.byteorder == ">" else "")


def read_raw(
    path: Path, expected_shape: tuple[int, ...] | None = None, *, channels: int = 4, max_value: int = 1024
) -> np.ndarray:
    """Read a packed RAW ``.npy`` (uint16, (h, w, channels), values <= max_value), fully checked.

    With ``expected_shape`` the shape must match exactly. Returns a native-endian C-contiguous
    uint16 array. Raises :class:`NpyError` listing every problem found.
    """
    header = read_header(path)
    errors: list[Problem] = []
    dtype = header.dtype
    is_u16 = dtype.kind == "u" and dtype.itemsize == 2 and dtype.fields is None
    if not is_u16:
        errors.append(_err(path, ErrorCode.WRONG_DTYPE, f"dtype must be uint16, got {_describe(dtype)}"))
    if expected_shape is not None and header.shape != tuple(expected_shape):
        errors.append(
            _err(
                path,
                ErrorCode.WRONG_SHAPE,
                f"shape must be {tuple(expected_shape)} like its ground truth, got {header.shape}",
            )
        )
    elif expected_shape is None and (len(header.shape) != 3 or header.shape[2] != channels):
        errors.append(_err(path, ErrorCode.WRONG_SHAPE, f"shape must be (h, w, {channels}), got {header.shape}"))
    if any(e.code == ErrorCode.WRONG_SHAPE for e in errors) or dtype.fields is not None:
        raise NpyError(errors)  # never read data of an unexpected size or layout
    available = header.file_size - header.data_offset
    if available < header.data_bytes:
        errors.append(_err(path, ErrorCode.TRUNCATED, f"data is cut short: {available} of {header.data_bytes} bytes"))
        raise NpyError(errors)
    if available > header.data_bytes:
        errors.append(
            _err(
                path, ErrorCode.TRAILING_DATA, f"{available - header.data_bytes} unexpected bytes follow the array data"
            )
        )
    try:
        with open(path, "rb") as f:
            f.seek(header.data_offset)
            flat = np.fromfile(f, dtype=dtype, count=math.prod(header.shape))
    except OSError as exc:
        raise NpyError(errors + [_err(path, ErrorCode.UNREADABLE, f"cannot be read ({exc.strerror or exc})")]) from None
    arr = flat.reshape(header.shape, order="F" if header.fortran_order else "C")
    if dtype.kind == "f" or dtype.kind == "c":
        n_nan = int(np.count_nonzero(np.isnan(arr)))
        n_inf = int(np.count_nonzero(np.isinf(arr)))
        if n_nan or n_inf:
            errors.append(_err(path, ErrorCode.NON_FINITE, f"holds {n_nan} NaN and {n_inf} infinite values"))
    if is_u16 and arr.size:
        largest = int(arr.max())  # one pass without temporaries; values are counted only when needed
        if largest > max_value:
            over = int(np.count_nonzero(arr > max_value))
            errors.append(_err(path, ErrorCode.OUT_OF_RANGE, f"{over} values exceed {max_value} (largest {largest})"))
    elif arr.size and dtype.kind in "iuf":
        finite = arr[np.isfinite(arr)] if dtype.kind == "f" else arr
        if finite.size and (finite.min() < 0 or finite.max() > max_value):
            errors.append(
                _err(
                    path,
                    ErrorCode.OUT_OF_RANGE,
                    f"values must lie in [0, {max_value}], got [{finite.min()}, {finite.max()}]",
                )
            )
    if errors:
        raise NpyError(errors)
    return np.ascontiguousarray(arr.astype(np.uint16, copy=False).astype("=u2", copy=False))
