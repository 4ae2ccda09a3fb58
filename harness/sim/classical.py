"""The classical forward pipeline: packed RAW -> 8-bit sRGB by the challenge's ISP block, no learning.

Stages: black level and saturation, grey-world white balance (the gains that make the mean red
and blue equal the mean green of the image), Malvar-He-Cutler demosaic, the track's colour matrix
(camera RGB -> linear sRGB), sRGB gamma, 8-bit quantisation. It is the simulated camera
(``harness.sim.camera``) with its local and global tone mapping and sharpening left out and its
white balance estimated from the image: the floor of a forward track, as ``naive`` is the floor of
a reverse one. A track without a simulated camera uses ``IspConfig``'s colour matrix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.challenge import SplitLayout, TrackSpec
from harness.challenge.isp import IspConfig
from harness.rgbio import encode_png


def classical_config(track: TrackSpec) -> IspConfig:
    """The ISP settings the pipeline uses: the track's levels and colour matrix, no tone or sharpening."""
    base = track.isp or IspConfig(black=track.black, white=track.white)
    return base.model_copy(update={"local_tone": 0.0, "tone": 0.0, "sharpen": 0.0, "exposure": 1.0})


def grey_world_gains(packed: np.ndarray, black: float, white: float) -> tuple[float, float, float]:
    """White-balance gains (R, G, B) that equal the means of red and blue to the mean green."""
    x = np.clip((np.asarray(packed, dtype=np.float64) - black) / (white - black), 0.0, 1.0)
    m = x.reshape(-1, 4).mean(axis=0)
    g = (m[1] + m[2]) / 2
    return float(g / max(m[0], 1e-6)), 1.0, float(g / max(m[3], 1e-6))


def classical_srgb(packed: np.ndarray, track: TrackSpec) -> np.ndarray:
    """Packed RAW ``(h, w, 4)`` of ``track`` -> sRGB uint8 ``(2h, 2w, 3)``."""
    from harness.sim.camera import render

    cfg = classical_config(track)
    gains = grey_world_gains(packed, cfg.black, cfg.white)
    return render(packed, cfg.model_copy(update={"wb_gains": gains}))


def predict_split(split: SplitLayout, track: TrackSpec, out: Path) -> int:
    """Write ``out/<stem>.png`` for every RAW input of a forward split; returns the number written."""
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for path in split.patch_inputs():
        (out / f"{path.stem}.png").write_bytes(encode_png(classical_srgb(np.load(path, allow_pickle=False), track)))
        n += 1
    return n
