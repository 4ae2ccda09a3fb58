"""Small textured test images for the alignment tests (shared with the service's test)."""

from __future__ import annotations

import io

import numpy as np
from scipy.ndimage import affine_transform, gaussian_filter

SIZE, PAD = 64, 16
GAINS = (0.05, 0.08, 0.078, 0.06)  # R, Gr, Gb, B of one scene plane


def scene(seed: int) -> np.ndarray:
    """A textured plane larger than the test images, so that shifted crops have no made-up borders."""
    rng = np.random.default_rng(seed)
    n = SIZE + 2 * PAD
    return gaussian_filter(rng.random((n, n)), 1.5) * 4000 + gaussian_filter(rng.random((n, n)), 6) * 8000


def centre(a: np.ndarray) -> np.ndarray:
    return a[PAD : PAD + SIZE, PAD : PAD + SIZE]


def zoomed(a: np.ndarray, z: float) -> np.ndarray:
    """``a`` magnified by ``z`` about its centre: content at distance r from it moves to z*r."""
    c = (np.array(a.shape) - 1) / 2
    m = np.eye(2) / z
    return affine_transform(a, m, c - m @ c, order=3, mode="nearest")


def packed(plane: np.ndarray) -> np.ndarray:
    """Four channels of one scene plane with different gains, as packed uint16 RAW."""
    return np.clip(np.rint(np.stack([plane * g for g in GAINS], axis=-1)), 0, 1024).astype(np.uint16)


def srgb_png(plane: np.ndarray) -> bytes:
    """A PNG input (2h, 2w, 3) whose linear luminance is ``plane`` (scaled), each packed pixel a 2x2 cell."""
    from PIL import Image

    lin = plane / plane.max() * 0.9
    v = np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055)
    rgb = np.repeat(np.repeat(np.rint(v * 255).astype(np.uint8), 2, axis=0), 2, axis=1)
    buf = io.BytesIO()
    Image.fromarray(np.stack([rgb] * 3, axis=-1)).save(buf, format="PNG")
    return buf.getvalue()
