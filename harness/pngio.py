"""Safe reading of 8-bit sRGB ``.png`` files (profile ``srgb``: the forward track's predictions and ground truth).

The PNG header (signature, IHDR: size, bit depth, colour type) is parsed and checked by this module
before Pillow decodes a byte of image data, so a 16-bit file is refused rather than quietly cut to
8 bits (Pillow reads 16-bit RGB as 8-bit), a file claiming billions of pixels is refused before
any memory is spent on it, and a wrong size is reported without decoding. Every problem is a
:class:`~harness.problems.Problem` with an :class:`~harness.npyio.ErrorCode`, raised in a
:class:`PngError`, so callers collect them as they do for ``.npy`` files.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np

from harness.names import shown_name
from harness.npyio import ErrorCode, NpyError
from harness.problems import Problem

SIGNATURE = b"\x89PNG\r\n\x1a\n"
IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"  # the empty closing chunk with its checksum
MAX_PIXELS = 1 << 26  # 67,108,864 pixels (about 200 MB decoded): far above any camera's frame
COLOUR_TYPES = {
    0: "greyscale",
    2: "RGB",
    3: "palette (indexed colour)",
    4: "greyscale with alpha",
    6: "RGB with alpha (RGBA)",
}


class PngError(NpyError):
    """Raised by :func:`read_png`; carries every problem found in the file."""


def _err(path: Path, code: ErrorCode, message: str) -> PngError:
    return PngError([Problem(file=str(path), code=code, message=f"{shown_name(path.name)}: {message}")])


def read_png_header(path: Path) -> tuple[int, int]:
    """Check the signature and IHDR of ``path``; returns (height, width). Reads 33 bytes."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(33)
    except OSError as exc:
        raise _err(path, ErrorCode.UNREADABLE, f"cannot be read ({exc.strerror or exc})") from None
    if head[:8] != SIGNATURE[: len(head[:8])] or len(head) < 8:
        raise _err(path, ErrorCode.NOT_PNG, f"not a PNG file (starts with {head[:8]!r})")
    if len(head) < 33:
        raise _err(path, ErrorCode.TRUNCATED, f"cut short: {len(head)} bytes, not even a PNG header")
    length, kind = struct.unpack(">I4s", head[8:16])
    if kind != b"IHDR" or length != 13:
        raise _err(path, ErrorCode.BAD_HEADER, "the PNG does not start with its 13-byte IHDR chunk")
    if zlib.crc32(head[12:29]) != struct.unpack(">I", head[29:33])[0]:
        raise _err(path, ErrorCode.BAD_HEADER, "the PNG header (IHDR) fails its checksum")
    width, height, depth, colour, _comp, _filt, _interlace = struct.unpack(">IIBBBBB", head[16:29])
    if colour != 2:
        what = COLOUR_TYPES.get(colour, f"colour type {colour} (not defined by PNG)")
        raise _err(path, ErrorCode.WRONG_MODE, f"{what} PNG ({depth}-bit); save 8-bit RGB (no alpha, no palette)")
    if depth != 8:
        raise _err(path, ErrorCode.WRONG_DTYPE, f"{depth}-bit RGB PNG; save 8 bits per channel")
    if width == 0 or height == 0:
        raise _err(path, ErrorCode.BAD_HEADER, f"declares an empty image ({height}x{width})")
    if width * height > MAX_PIXELS:
        raise _err(
            path,
            ErrorCode.IMAGE_TOO_LARGE,
            f"declares {height}x{width} = {width * height:,} pixels, over the {MAX_PIXELS:,}-pixel limit; not decoded",
        )
    return height, width


def read_png(path: Path | str, expected_shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Read an 8-bit RGB PNG as uint8 ``(H, W, 3)``, fully checked.

    With ``expected_shape`` (the ground truth's ``(H, W, 3)``) the size must match; it is checked
    from the header, before decoding. Raises :class:`PngError` naming the file and the problem:
    ``not_png``, ``wrong_mode`` (greyscale, palette or alpha, said which), ``wrong_dtype`` (16-bit),
    ``image_too_large`` (over :data:`MAX_PIXELS`), ``wrong_shape``, ``truncated``, ``unreadable``.
    """
    from PIL import Image  # Pillow: decodes only what the header check let through

    path = Path(path)
    h, w = read_png_header(path)
    if expected_shape is not None and (h, w, 3) != tuple(expected_shape):
        raise _err(
            path, ErrorCode.WRONG_SHAPE, f"{h}x{w} pixels; its ground truth is {expected_shape[0]}x{expected_shape[1]}"
        )
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            f.seek(max(0, size - len(IEND)))
            tail = f.read()
    except OSError as exc:
        raise _err(path, ErrorCode.UNREADABLE, f"cannot be read ({exc.strerror or exc})") from None
    if tail != IEND:
        raise _err(path, ErrorCode.TRUNCATED, f"does not end with the PNG end chunk (IEND): cut short ({size} bytes)")
    try:
        with Image.open(path, formats=["PNG"]) as im:
            if getattr(im, "n_frames", 1) > 1:
                raise _err(path, ErrorCode.WRONG_MODE, f"an animated PNG of {im.n_frames} frames; save one still image")
            im.load()
            arr = np.asarray(im)
    except PngError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, zlib.error, Image.DecompressionBombError) as exc:
        text = str(exc)
        if "truncated" in text.lower() or isinstance(exc, EOFError):
            raise _err(path, ErrorCode.TRUNCATED, f"image data is cut short ({size} bytes; {text})") from None
        raise _err(path, ErrorCode.UNREADABLE, f"cannot be decoded as a PNG ({type(exc).__name__}: {text})") from None
    if arr.dtype != np.uint8 or arr.shape != (h, w, 3):
        raise _err(path, ErrorCode.WRONG_MODE, f"decodes to {arr.dtype} {arr.shape}, not 8-bit RGB ({h}, {w}, 3)")
    return np.ascontiguousarray(arr)
