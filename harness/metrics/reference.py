"""A plain float64 scipy/numpy restatement of the metric recipes (profiles ``aim22`` and ``srgb``).

It is slow and obvious on purpose: tests and benchmarks hold the fast engine against it, and the
``srgb`` profile (:mod:`harness.metrics.srgb`) scores with its channel map.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from harness.metrics.profiles import AIM22, MetricProfile


def psnr_reference(gt: np.ndarray, pred: np.ndarray, profile: MetricProfile = AIM22) -> float:
    """PSNR: ``10 log10(data_range^2 / mean((x - y)^2))`` with x, y divided by the normaliser."""
    x = gt.astype(np.float64) / profile.normaliser
    y = pred.astype(np.float64) / profile.normaliser
    mse = np.mean((x - y) ** 2)
    if mse == 0:
        return profile.psnr_identical
    return float(10 * np.log10(profile.data_range * profile.data_range / mse))


def ssim_channel_map(a: np.ndarray, b: np.ndarray, profile: MetricProfile = AIM22) -> np.ndarray:
    """The SSIM map of one channel (float64 ``a``, ``b`` already divided by the normaliser), uncropped."""
    c1, c2 = profile.c1, profile.c2

    def blur(img: np.ndarray) -> np.ndarray:
        return gaussian_filter(img, profile.sigma, truncate=profile.truncate, mode="reflect")

    mu1, mu2 = blur(a), blur(b)
    s11 = blur(a * a) - mu1 * mu1
    s22 = blur(b * b) - mu2 * mu2
    s12 = blur(a * b) - mu1 * mu2
    return ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1 * mu1 + mu2 * mu2 + c1) * (s11 + s22 + c2))


def ssim_map_reference(gt: np.ndarray, pred: np.ndarray, profile: MetricProfile = AIM22) -> np.ndarray:
    """The SSIM map per channel, uncropped: shape ``(h, w, channels)``."""
    x = gt.astype(np.float64) / profile.normaliser
    y = pred.astype(np.float64) / profile.normaliser
    return np.stack([ssim_channel_map(x[..., c], y[..., c], profile) for c in range(x.shape[-1])], axis=-1)


def ssim_reference(gt: np.ndarray, pred: np.ndarray, profile: MetricProfile = AIM22) -> float:
    """SSIM: Gaussian SSIM per channel, cropped map mean, channel mean."""
    crop = profile.crop
    ssim_map = ssim_map_reference(gt, pred, profile)
    return float(np.mean([ssim_map[crop:-crop, crop:-crop, c].mean() for c in range(ssim_map.shape[-1])]))
