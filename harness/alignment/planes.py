"""The single planes that alignment compares, on the packed grid.

- an sRGB input (2h, 2w, 3) becomes linear luminance: ``v / 255`` through the inverse sRGB
  transfer function (IEC 61966-2-1: ``v / 12.92`` up to 0.04045, else ``((v + 0.055) / 1.055) ** 2.4``),
  ``Y = 0.2126 R + 0.7152 G + 0.0722 B`` (Rec. 709 primaries), then the mean of each 2x2 cell, so
  pixel ``(i, j)`` covers the same scene as packed pixel ``(i, j)``;
- a packed RAW (h, w, 4) becomes the mean of its four channels, as float64.

No black level or gain is removed: the alignment's correlation ignores both.
"""

from __future__ import annotations

import numpy as np

LUMA = (0.2126, 0.7152, 0.0722)


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    """Inverse sRGB transfer of 8-bit values, as float64 in [0, 1]."""
    v = np.asarray(rgb, dtype=np.float64) / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


_LINEAR_OF_8BIT = srgb_to_linear(np.arange(256))


def input_plane(rgb: np.ndarray) -> np.ndarray:
    """Linear luminance of an sRGB input, averaged over 2x2 cells: shape (h, w) for (2h, 2w, 3)."""
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] % 2 or rgb.shape[1] % 2:
        raise ValueError(f"an RGB input must have shape (2h, 2w, 3), got {rgb.shape}")
    lin = _LINEAR_OF_8BIT[rgb] if rgb.dtype == np.uint8 else srgb_to_linear(rgb)
    lum = lin[..., 0] * LUMA[0] + lin[..., 1] * LUMA[1] + lin[..., 2] * LUMA[2]
    h, w = lum.shape[0] // 2, lum.shape[1] // 2
    return lum.reshape(h, 2, w, 2).mean(axis=(1, 3))


def raw_plane(raw: np.ndarray) -> np.ndarray:
    """Mean of a packed RAW's channels, float64, shape (h, w)."""
    raw = np.asarray(raw)
    if raw.ndim != 3:
        raise ValueError(f"a packed RAW must have shape (h, w, channels), got {raw.shape}")
    return raw.astype(np.float64).mean(axis=2)
