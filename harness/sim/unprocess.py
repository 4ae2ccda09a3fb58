"""Unprocessing: 8-bit sRGB photographs -> plausible linear packed RGGB RAW.

Inverse of the simulated camera's global stages, in reverse order: inverse tone curve,
inverse sRGB gamma, inverse colour matrix, inverse white balance, exposure, mosaic, then
sensor noise (shot noise proportional to signal plus read noise) and clipping at the white
level, so bright regions saturate as a real sensor does.
"""

from __future__ import annotations

import numpy as np

from harness.raw import tone_curve
from harness.sim.camera import IspConfig

_LUT_X = np.linspace(0.0, 1.0, 4097)


def inverse_srgb_gamma(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def inverse_tone(y: np.ndarray, strength: float) -> np.ndarray:
    """Invert ``(1 - s) x + s smoothstep(x)`` (monotone on [0, 1]) by table lookup."""
    forward = (1 - strength) * _LUT_X + strength * tone_curve(_LUT_X)
    return np.interp(np.clip(y, 0.0, 1.0), forward, _LUT_X)


def mosaic_rgb(rgb: np.ndarray) -> np.ndarray:
    """Sample full RGB ``(2h, 2w, 3)`` on an RGGB pattern -> packed ``(h, w, 4)``."""
    h2, w2 = rgb.shape[0] // 2 * 2, rgb.shape[1] // 2 * 2
    x = rgb[:h2, :w2]
    return np.stack([x[0::2, 0::2, 0], x[0::2, 1::2, 1], x[1::2, 0::2, 1], x[1::2, 1::2, 2]], axis=-1)


def unprocess_linear(srgb: np.ndarray, cfg: IspConfig, *, upscale: float = 1.0) -> np.ndarray:
    """An sRGB uint8 photo -> linear packed RGGB in camera space (1.0 = white level), no noise."""
    x = srgb.astype(np.float64) / 255.0
    if upscale != 1.0:
        from scipy.ndimage import zoom  # on first use: the service imports this module, rarely upscales

        x = np.clip(zoom(x, (upscale, upscale, 1), order=1), 0.0, 1.0)
    lin = inverse_srgb_gamma(inverse_tone(x, cfg.tone))
    cam = lin @ np.linalg.inv(np.asarray(cfg.ccm)).T
    r, g, b = cfg.wb_gains
    return mosaic_rgb(np.clip(cam / np.array([r, g, b]), 0.0, None))


def sensor_quantise(
    linear: np.ndarray,
    black: float,
    white: float,
    rng: np.random.Generator,
    *,
    exposure: float = 1.0,
    shot_noise: float = 0.6,
    read_noise: float = 1.5,
) -> np.ndarray:
    """Linear packed RAW (1.0 = white) -> uint16 sensor values with noise, clipped at ``white``.

    ``exposure`` > 1 pushes highlights past the white level, where they clip. Noise is in RAW
    units: variance = shot_noise * signal + read_noise^2.
    """
    signal = np.clip(linear, 0.0, None) * exposure * (white - black)
    noisy = signal + rng.normal(0.0, 1.0, signal.shape) * np.sqrt(shot_noise * signal + read_noise**2)
    return np.clip(np.round(black + noisy), 0, white).astype(np.uint16)
