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


def ssim_reference(gt: np.ndarray, pred: np.ndarray, profile: MetricProfile = AIM22) -> float:
    """Official SSIM: Gaussian SSIM per channel (scipy defaults), cropped map mean, channel mean."""
    x = gt.astype(np.float64) / profile.normaliser
    y = pred.astype(np.float64) / profile.normaliser
    c1, c2, crop = profile.c1, profile.c2, profile.crop
    values = []
    for c in range(x.shape[-1]):
        a, b = x[..., c], y[..., c]

        def blur(img: np.ndarray) -> np.ndarray:
            return gaussian_filter(img, profile.sigma, truncate=profile.truncate, mode="reflect")

        mu1, mu2 = blur(a), blur(b)
        s11 = blur(a * a) - mu1 * mu1
        s22 = blur(b * b) - mu2 * mu2
        s12 = blur(a * b) - mu1 * mu2
        ssim_map = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1 * mu1 + mu2 * mu2 + c1) * (s11 + s22 + c2))
        values.append(ssim_map[crop:-crop, crop:-crop].mean())
    return float(np.mean(values))
