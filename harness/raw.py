"""RAW helpers: pack/unpack Bayer mosaics, a simple demosaic and a visualiser for people.

Packed RAW is an ``(h, w, 4)`` array whose channels are R, Gr, Gb, B: the red pixel, the
green pixel on the red row, the green pixel on the blue row and the blue pixel of each 2x2
cell. A mosaic is the ``(2h, 2w)`` sensor image in one of four colour filter layouts.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import numpy as np

CHANNELS = ("R", "Gr", "Gb", "B")


class CFA(StrEnum):
    """Colour filter layout, read row by row over the 2x2 cell at the mosaic origin."""

    RGGB = "RGGB"
    GRBG = "GRBG"
    GBRG = "GBRG"
    BGGR = "BGGR"

    @property
    def offsets(self) -> tuple[tuple[int, int], ...]:
        """(row, col) inside the 2x2 cell of R, Gr, Gb and B, in that order."""
        return _OFFSETS[self]


_OFFSETS = {
    CFA.RGGB: ((0, 0), (0, 1), (1, 0), (1, 1)),
    CFA.GRBG: ((0, 1), (0, 0), (1, 1), (1, 0)),
    CFA.GBRG: ((1, 0), (1, 1), (0, 0), (0, 1)),
    CFA.BGGR: ((1, 1), (1, 0), (0, 1), (0, 0)),
}


def pack(mosaic: np.ndarray, cfa: CFA | str = CFA.RGGB) -> np.ndarray:
    """Mosaic ``(2h, 2w)`` -> packed ``(h, w, 4)`` R, Gr, Gb, B (dtype kept)."""
    cfa = CFA(cfa)
    if mosaic.ndim != 2:
        raise ValueError(f"mosaic must be 2-D (2h, 2w), got shape {mosaic.shape}")
    if mosaic.shape[0] % 2 or mosaic.shape[1] % 2:
        raise ValueError(f"mosaic height and width must be even, got {mosaic.shape}")
    return np.stack([mosaic[r::2, c::2] for r, c in cfa.offsets], axis=-1)


def unpack(packed: np.ndarray, cfa: CFA | str = CFA.RGGB) -> np.ndarray:
    """Packed ``(h, w, 4)`` R, Gr, Gb, B -> mosaic ``(2h, 2w)`` in layout ``cfa``."""
    cfa = CFA(cfa)
    if packed.ndim != 3 or packed.shape[2] != 4:
        raise ValueError(f"packed RAW must have shape (h, w, 4), got {packed.shape}")
    h, w, _ = packed.shape
    mosaic = np.empty((2 * h, 2 * w), dtype=packed.dtype)
    for ch, (r, c) in enumerate(cfa.offsets):
        mosaic[r::2, c::2] = packed[..., ch]
    return mosaic


def to_rggb(mosaic: np.ndarray, cfa: CFA | str) -> np.ndarray:
    """Crop a mosaic of any layout to RGGB by dropping a leading row and/or column.

    GBRG drops one row, GRBG one column, BGGR both; the result has even size.
    """
    cfa = CFA(cfa)
    r0 = 1 if cfa in (CFA.GBRG, CFA.BGGR) else 0
    c0 = 1 if cfa in (CFA.GRBG, CFA.BGGR) else 0
    out = mosaic[r0:, c0:]
    return out[: out.shape[0] // 2 * 2, : out.shape[1] // 2 * 2]


_K_GREEN = np.array([[0, 1, 0], [1, 4, 1], [0, 1, 0]], dtype=np.float64) / 4
_K_RB = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=np.float64) / 4


def demosaic(packed: np.ndarray) -> np.ndarray:
    """Bilinear demosaic of packed RGGB to float64 ``(2h, 2w, 3)`` RGB (same scale as input)."""
    from scipy.ndimage import convolve  # on first use: scipy costs about 1 s to import, most users never demosaic

    x = np.asarray(packed, dtype=np.float64)
    h, w, _ = x.shape
    planes = np.zeros((3, 2 * h, 2 * w))
    masks = np.zeros((3, 2 * h, 2 * w))
    for ch, (r, c) in enumerate(CFA.RGGB.offsets):
        plane = (0, 1, 1, 2)[ch]
        planes[plane, r::2, c::2] = x[..., ch]
        masks[plane, r::2, c::2] = 1.0
    out = np.empty((2 * h, 2 * w, 3))
    for plane, kernel in ((0, _K_RB), (1, _K_GREEN), (2, _K_RB)):
        num = convolve(planes[plane], kernel, mode="mirror")
        den = convolve(masks[plane], kernel, mode="mirror")
        out[..., plane] = num / den
    return out


def srgb_gamma(linear: np.ndarray) -> np.ndarray:
    """The sRGB transfer curve on linear values in [0, 1]."""
    x = np.clip(linear, 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)


def tone_curve(x: np.ndarray) -> np.ndarray:
    """A gentle S-shaped global tone curve (smoothstep), fixed points 0 and 1."""
    x = np.clip(x, 0.0, 1.0)
    return 3 * x**2 - 2 * x**3


def visualise(
    packed: np.ndarray, *, black: float = 0.0, white: float = 1023.0, reference: np.ndarray | None = None
) -> np.ndarray:
    """Render packed RGGB RAW to a uint8 ``(2h, 2w, 3)`` image for people to look at.

    Steps: black/white normalisation, grey-world white balance, bilinear demosaic, exposure so
    the 97th percentile maps near white, sRGB gamma, then a mild S-shaped tone curve. This is a viewer,
    not a camera model: colours are plausible, not calibrated. With ``reference`` (e.g. the ground
    truth) the white balance and exposure are those of the reference, so several predictions of one
    scene render comparably.
    """
    if packed.ndim != 3 or packed.shape[2] != 4:
        raise ValueError(f"packed RAW must have shape (h, w, 4), got {packed.shape}")
    if white <= black:
        raise ValueError(f"white level {white} must exceed black level {black}")
    x = np.clip((np.asarray(packed, dtype=np.float64) - black) / (white - black), 0.0, 1.0)
    ref = x if reference is None else np.clip((np.asarray(reference, dtype=np.float64) - black) / (white - black), 0, 1)
    means = ref.reshape(-1, 4).mean(axis=0)
    g = (means[1] + means[2]) / 2
    gains = np.array([g / max(means[0], 1e-6), 1.0, 1.0, g / max(means[3], 1e-6)])
    rgb = demosaic(x * gains)
    ref_rgb = rgb if reference is None else demosaic(ref * gains)
    p97 = np.percentile(ref_rgb, 97) if ref_rgb.size else 1.0
    rgb = rgb / max(p97, 1e-6)
    s = srgb_gamma(rgb)
    out = 0.7 * s + 0.3 * tone_curve(s)  # mild contrast: the full S-curve crushes shadows
    return np.round(np.clip(out, 0, 1) * 255).astype(np.uint8)


def save_png(image: np.ndarray, path: str | Path) -> None:
    """Write an ``(h, w, 3)`` uint8 image as PNG."""
    from PIL import Image

    Image.fromarray(image).save(path, format="PNG")
