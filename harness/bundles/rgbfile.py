"""An input's file against its pixels: how large it may be, and where its image data end.

An 8-bit RGB image of ``h x w`` pixels is stored in fewer than ``3 * h * w`` bytes plus its
headers, whatever the format; a file larger than :func:`size_bound` (4 bytes per pixel + 1 MiB)
holds something else as well. It is refused from its size and its header alone, before a byte
of it is decoded, hashed, linked or copied, so a valid JPEG followed by gigabytes costs nothing.

Within the bound, the bytes after the image's end (the JPEG end-of-image marker, the PNG
``IEND`` chunk) are refused beyond :data:`TRAILING_ALLOWANCE`: they would go into the inputs
archive and into every model run's folder, and no encoder writes more than padding there.
:func:`image_end` finds that end by walking the format's structure (JPEG segments and their
entropy-coded data, PNG chunks), never by searching for the last marker.
"""

from __future__ import annotations

import io
from pathlib import Path, PurePosixPath

from harness.challenge.layout import RGB_SUFFIXES

BYTES_PER_PIXEL = 4
SLACK = 1 << 20  # headers, metadata, an embedded thumbnail
TRAILING_ALLOWANCE = 4096  # padding to a block; a thumbnail, a video or a second image is more
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def size_bound(height: int, width: int) -> int:
    """The largest file an input of ``height x width`` pixels may be."""
    return BYTES_PER_PIXEL * height * width + SLACK


def oversized(name: str, size: int, head: bytes) -> bool:
    """Whether an input named ``name`` of ``size`` bytes, whose first bytes are ``head``, exceeds its bound.

    For a zipped bundle: the member's declared size and its first bytes say it before the rest is
    inflated. False when ``name`` is no input or ``head`` holds no readable header (checked later).
    """
    from PIL import Image

    if PurePosixPath(name).suffix.lower() not in RGB_SUFFIXES:
        return False
    try:
        with Image.open(io.BytesIO(head)) as im:
            width, height = im.size
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False
    return size > size_bound(height, width)


def _jpeg_end(data: bytes) -> int | None:
    """Offset just past the end-of-image marker of the first image, None when the stream has none."""
    if data[:2] != b"\xff\xd8":
        return None
    n, pos = len(data), 2
    while pos < n:
        if data[pos] != 0xFF:
            return None  # between segments only markers (and their 0xFF fill) may stand
        while pos < n and data[pos] == 0xFF:
            pos += 1
        if pos >= n:
            return None
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            return pos
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # TEM, RSTn: no length
            continue
        if pos + 2 > n:
            return None
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2:
            return None
        pos += length
        if marker != 0xDA:  # not SOS: the segment ends at its length
            continue
        while True:  # entropy-coded data run to the next marker that is not a stuffed 0x00 or RSTn
            pos = data.find(b"\xff", pos)
            if pos < 0 or pos + 1 >= n:
                return None
            nxt = data[pos + 1]
            if nxt == 0x00 or 0xD0 <= nxt <= 0xD7:
                pos += 2
            elif nxt == 0xFF:
                pos += 1  # fill before a marker
            else:
                break
    return None


def _png_end(path: Path) -> int | None:
    """Offset just past the ``IEND`` chunk, walking the chunk headers only."""
    with open(path, "rb") as f:
        if f.read(8) != PNG_SIGNATURE:
            return None
        pos = 8
        while True:
            head = f.read(8)
            if len(head) < 8:
                return None
            length = int.from_bytes(head[:4], "big")
            pos += 12 + length  # length, type, data, crc
            if head[4:] == b"IEND":
                return pos
            f.seek(pos)


def image_end(path: Path, fmt: str) -> int | None:
    """Where the image data of ``path`` end (``fmt`` "JPEG" or "PNG"); None when that cannot be told."""
    if fmt == "PNG":
        return _png_end(path)
    if fmt == "JPEG":
        return _jpeg_end(Path(path).read_bytes())
    return None
