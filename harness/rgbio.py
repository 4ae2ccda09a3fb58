"""sRGB files: read as uint8 RGB, and written as deterministic JPEG (inputs) or PNG (a forward track's
ground truth and predictions) bytes."""

from __future__ import annotations

import io

import numpy as np


def read_rgb(path) -> np.ndarray:
    """An sRGB input file as uint8 (H, W, 3) in RGB order (writable)."""
    from PIL import Image

    with Image.open(path) as im:
        return np.array(im.convert("RGB"))


def encode_png(rgb: np.ndarray) -> bytes:
    """Deterministic 8-bit RGB PNG bytes (no metadata, no timestamps): equal pixels give equal bytes."""
    from PIL import Image

    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"a PNG is written from uint8 (H, W, 3), not {rgb.dtype} {rgb.shape}")
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()


def encode_jpeg(rgb: np.ndarray, quality: int) -> bytes:
    """Deterministic baseline JPEG bytes (4:2:0, no EXIF, no timestamps)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality, subsampling=2, optimize=False)
    return buf.getvalue()
