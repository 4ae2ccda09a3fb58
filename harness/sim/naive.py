"""The trivial predictor: undo the sRGB gamma of the input and mosaic it.

It knows nothing of white balance, colour matrix or tone curve: a floor every real method
must beat, and a quick way to produce a well-formed prediction set.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.challenge import SplitLayout, TrackSpec
from harness.rgbio import read_rgb
from harness.sim.unprocess import inverse_srgb_gamma, mosaic_rgb


def naive_raw(rgb: np.ndarray, track: TrackSpec) -> np.ndarray:
    """sRGB uint8 ``(2h, 2w, 3)`` -> packed uint16 ``(h, w, 4)`` in the track's range."""
    lin = inverse_srgb_gamma(rgb.astype(np.float64) / 255.0)
    packed = mosaic_rgb(lin)
    return np.clip(np.round(track.black + packed * (track.white - track.black)), 0, track.normaliser).astype(np.uint16)


def predict_split(split: SplitLayout, track: TrackSpec, out: Path) -> int:
    """Write ``out/<stem>.npy`` for every input of a split; returns the number written."""
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for path in split.rgb_files():
        with open(out / f"{path.stem}.npy", "wb") as f:
            np.save(f, naive_raw(read_rgb(path), track))
        n += 1
    return n
