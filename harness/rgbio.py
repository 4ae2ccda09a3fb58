"""sRGB input files: read as uint8 RGB, and written as deterministic JPEG bytes."""

from __future__ import annotations

import io

import numpy as np


def read_rgb(path) -> np.ndarray:
    """An sRGB input file as uint8 (H, W, 3) in RGB order (writable)."""
    from PIL import Image

    with Image.open(path) as im:
        return np.array(im.convert("RGB"))


def encode_jpeg(rgb: np.ndarray, quality: int) -> bytes:
    """Deterministic baseline JPEG bytes (4:2:0, no EXIF, no timestamps)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality, subsampling=2, optimize=False)
    return buf.getvalue()
