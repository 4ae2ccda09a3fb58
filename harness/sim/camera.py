"""The simulated camera ISP: packed RGGB RAW -> 8-bit sRGB (and JPEG), one config per track.

Stages, in order: black level and saturation, white balance, Malvar-He-Cutler demosaic,
colour matrix (camera RGB -> linear sRGB), exposure, mild local tone mapping, global tone
curve, sRGB gamma, unsharp-mask sharpening, 8-bit quantisation, JPEG encoding. The config is a
pydantic model so it can be recorded next to the data it produced and replayed.
"""

from __future__ import annotations

import numpy as np

from harness.challenge.isp import IspConfig
from harness.raw import srgb_gamma, tone_curve, unpack

__all__ = ["MHC_KERNELS", "IspConfig", "demosaic_mhc", "render", "render_linear"]


# Malvar-He-Cutler (2004) 5x5 demosaic kernels, all divided by 8
_G_AT_RB = np.array([[0, 0, -1, 0, 0], [0, 0, 2, 0, 0], [-1, 2, 4, 2, -1], [0, 0, 2, 0, 0], [0, 0, -1, 0, 0]]) / 8
_ROW = np.array([[0, 0, 0.5, 0, 0], [0, -1, 0, -1, 0], [-1, 4, 5, 4, -1], [0, -1, 0, -1, 0], [0, 0, 0.5, 0, 0]]) / 8
_COL = _ROW.T
_DIAG = np.array([[0, 0, -1.5, 0, 0], [0, 2, 0, 2, 0], [-1.5, 0, 6, 0, -1.5], [0, 2, 0, 2, 0], [0, 0, -1.5, 0, 0]]) / 8
# the four kernels in order: green at R/B sites, row, column and diagonal neighbours (baselines' torch demosaic)
MHC_KERNELS = (_G_AT_RB, _ROW, _COL, _DIAG)


def _ndimage():
    """scipy.ndimage on first use (about 1 s to import): the service imports this module for IspConfig alone."""
    import scipy.ndimage

    return scipy.ndimage


def demosaic_mhc(packed: np.ndarray) -> np.ndarray:
    """Malvar-He-Cutler demosaic of packed RGGB (float) to ``(2h, 2w, 3)`` RGB.

    Gradient-corrected bilinear interpolation: sharper than bilinear, exact on linear ramps.
    """
    m = unpack(np.asarray(packed, dtype=np.float64), "RGGB")
    conv = {
        name: _ndimage().convolve(m, k, mode="mirror")
        for name, k in (("g", _G_AT_RB), ("row", _ROW), ("col", _COL), ("diag", _DIAG))
    }
    h2, w2 = m.shape
    out = np.empty((h2, w2, 3))
    r_site, gr_site, gb_site, b_site = (np.s_[0::2, 0::2], np.s_[0::2, 1::2], np.s_[1::2, 0::2], np.s_[1::2, 1::2])
    # red: measured at R; from the row neighbours at Gr, column neighbours at Gb, diagonals at B
    out[(*r_site, 0)] = m[r_site]
    out[(*gr_site, 0)] = conv["row"][gr_site]
    out[(*gb_site, 0)] = conv["col"][gb_site]
    out[(*b_site, 0)] = conv["diag"][b_site]
    # green: measured at Gr/Gb, interpolated at R and B
    out[(*gr_site, 1)] = m[gr_site]
    out[(*gb_site, 1)] = m[gb_site]
    out[(*r_site, 1)] = conv["g"][r_site]
    out[(*b_site, 1)] = conv["g"][b_site]
    # blue: measured at B; row neighbours at Gb, column neighbours at Gr, diagonals at R
    out[(*b_site, 2)] = m[b_site]
    out[(*gb_site, 2)] = conv["row"][gb_site]
    out[(*gr_site, 2)] = conv["col"][gr_site]
    out[(*r_site, 2)] = conv["diag"][r_site]
    return out


def _local_tone(rgb: np.ndarray, strength: float) -> np.ndarray:
    """Compress large-scale luminance contrast (shadows up, highlights down), keep detail."""
    if strength <= 0:
        return rgb
    y = np.maximum(rgb @ np.array([0.2126, 0.7152, 0.0722]), 1e-6)
    # the base layer is very smooth: compute it at 1/8 resolution, then bring it back up
    small = np.log(y)[::8, ::8]
    base_small = _ndimage().gaussian_filter(small, sigma=max(small.shape) / 32, mode="nearest")
    base = _ndimage().zoom(
        base_small, (y.shape[0] / small.shape[0], y.shape[1] / small.shape[1]), order=1, mode="nearest"
    )
    base = base[: y.shape[0], : y.shape[1]]
    gain = np.exp(-strength * (base - np.log(0.18)))
    return rgb * gain[..., None]


def render_linear(packed: np.ndarray, cfg: IspConfig) -> np.ndarray:
    """RAW -> display-referred float RGB in [0, 1] (everything but quantisation and JPEG)."""
    x = (np.asarray(packed, dtype=np.float64) - cfg.black) / (cfg.white - cfg.black)
    x = np.clip(x, 0.0, 1.0)  # saturation: clipped highlights stay clipped
    r, g, b = cfg.wb_gains
    x = np.clip(x * np.array([r, g, g, b]), 0.0, 1.0)
    rgb = demosaic_mhc(x)
    rgb = np.clip(rgb @ np.asarray(cfg.ccm).T, 0.0, None) * cfg.exposure
    rgb = _local_tone(rgb, cfg.local_tone)
    s = srgb_gamma(np.clip(rgb, 0.0, 1.0))
    s = (1 - cfg.tone) * s + cfg.tone * tone_curve(s)
    if cfg.sharpen > 0:
        s = s + cfg.sharpen * (s - _ndimage().gaussian_filter(s, sigma=(1.0, 1.0, 0)))
    return np.clip(s, 0.0, 1.0)


def render(packed: np.ndarray, cfg: IspConfig) -> np.ndarray:
    """RAW -> 8-bit sRGB ``(2h, 2w, 3)``."""
    return np.round(render_linear(packed, cfg) * 255).astype(np.uint8)
