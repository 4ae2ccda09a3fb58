"""A plain float64 scipy/numpy restatement of the official metric (profile ``aim22``).

It is slow and obvious on purpose: tests and benchmarks hold the fast engine against it.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from harness.metrics.profiles import AIM22, MetricProfile


def psnr_reference(gt: np.ndarray, pred: np.ndarray, profile: MetricProfile = AIM22) -> float:
    """Official PSNR: ``10 log10(1 / mean((x - y)^2))`` with x, y divided by the normaliser."""
    x = gt.astype(np.float64) / profile.normaliser
    y = pred.astype(np.float64) / profile.normaliser
    mse = np.mean((x - y) ** 2)
    if mse == 0:
        return profile.psnr_identical
    return float(10 * np.log10(1 / mse))


def ssim_map_reference(gt: np.ndarray, pred: np.ndarray, profile: MetricProfile = AIM22) -> np.ndarray:
    """The official SSIM map per channel, uncropped: shape ``(h, w, channels)``."""
    x = gt.astype(np.float64) / profile.normaliser
    y = pred.astype(np.float64) / profile.normaliser
    c1, c2 = profile.c1, profile.c2

    def blur(img: np.ndarray) -> np.ndarray:
        return gaussian_filter(img, profile.sigma, truncate=profile.truncate, mode="reflect")

    maps = []
    for c in range(x.shape[-1]):
        a, b = x[..., c], y[..., c]
        mu1, mu2 = blur(a), blur(b)
        s11 = blur(a * a) - mu1 * mu1
        s22 = blur(b * b) - mu2 * mu2
        s12 = blur(a * b) - mu1 * mu2
        maps.append(((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1 * mu1 + mu2 * mu2 + c1) * (s11 + s22 + c2)))
    return np.stack(maps, axis=-1)


def ssim_reference(gt: np.ndarray, pred: np.ndarray, profile: MetricProfile = AIM22) -> float:
    """Official SSIM: Gaussian SSIM per channel (scipy defaults), cropped map mean, channel mean."""
    crop = profile.crop
    ssim_map = ssim_map_reference(gt, pred, profile)
    return float(np.mean([ssim_map[crop:-crop, crop:-crop, c].mean() for c in range(ssim_map.shape[-1])]))
