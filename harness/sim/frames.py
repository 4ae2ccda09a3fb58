"""The demo's sources as frames: real sensor captures and unprocessed photographs, in linear camera space.

Real captures come from ``harness.sim.sources`` (the crops shipped in the package, or
``HARNESS_RAW_CAPTURES_DIR``); scikit-image's bundled photographs are unprocessed to RAW
(``harness.sim.unprocess``). Each frame is large enough for a patch of its track with ``MARGIN``
packed pixels of context around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.ndimage import zoom

from harness.challenge import TrackSpec
from harness.sim.sources import DEFAULT_ROOT, available, read_linear
from harness.sim.unprocess import unprocess_linear

PHOTOS = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "hubble_deep_field",
    "retina",
    "immunohistochemistry",
    "stereo_motorcycle",
)
MARGIN = 32  # packed pixels of context rendered around a patch (demosaic, sharpening, warp)


@dataclass
class Frame:
    """A source image in linear camera space (1.0 = white level) and the AWB the camera uses."""

    name: str
    kind: str  # "capture" | "photo"
    linear: np.ndarray
    wb_gains: tuple[float, float, float]


def _grey_world(linear: np.ndarray) -> tuple[float, float, float]:
    m = linear.reshape(-1, 4).mean(axis=0)
    g = (m[1] + m[2]) / 2
    return (float(g / max(m[0], 1e-6)), 1.0, float(g / max(m[3], 1e-6)))


def _at_least(linear: np.ndarray, side: int) -> np.ndarray:
    f = side / min(linear.shape[:2])
    return zoom(linear, (f, f, 1), order=1) if f > 1 else linear


def load_frames(track: TrackSpec, raw_root: Path = DEFAULT_ROOT) -> list[Frame]:
    """Every source as a frame for ``track``: real captures first, then photographs."""
    from skimage import data as skdata

    frames = []
    for cap in available(raw_root):
        lin = _at_least(read_linear(cap, raw_root), track.patch + 2 * MARGIN)
        frames.append(Frame(f"capture-{cap.name}", "capture", lin, _grey_world(lin)))
    for name in PHOTOS:
        img = getattr(skdata, name)()
        img = img[0] if isinstance(img, tuple) else img
        # upscale just enough that the mosaic (half the photo's size) holds a patch with context
        upscale = max(1.0, 2 * (track.patch + 2 * MARGIN) / min(img.shape[:2]))
        lin = unprocess_linear(img[..., :3], track.isp, upscale=upscale)
        frames.append(Frame(f"photo-{name}", "photo", lin, track.isp.wb_gains))
    return frames
