"""PSNR and SSIM restricted to overexposed pixels and to the rest.

Mask (as the overexposure-mask fusion method defines it): the input sRGB in [0, 1] gives
Y = 0.299 R + 0.587 G + 0.114 B; a packed RAW pixel (i, j) comes from the RGB 2x2 cell
(2i..2i+1, 2j..2j+1) and is overexposed when the mean of Y over that cell is >= 0.978.

Restricted metrics, per image, on the official scaling (values / 1024):
- PSNR: 10 log10(1 / MSE) with the MSE over the masked pixels and all 4 channels;
- SSIM: the official SSIM map of each channel (Gaussian window over the whole image, so
  neighbours outside the region still inform a masked position), averaged over the masked
  positions inside the official crop (5 pixels from each border), then over the 4 channels.
A region with no pixel (inside the crop, for SSIM) has no value (None), and is left out of means.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from harness.metrics.profiles import AIM22, MetricProfile

THRESHOLD = 0.978
LUMA = np.array([0.299, 0.587, 0.114])


class RegionScores(BaseModel):
    oe_fraction: float  # share of RAW pixels in the overexposed region
    psnr_oe: float | None
    ssim_oe: float | None
    psnr_rest: float | None
    ssim_rest: float | None


def overexposure_mask(rgb: np.ndarray, threshold: float = THRESHOLD) -> np.ndarray:
    """uint8 sRGB (2h, 2w, 3) -> bool (h, w): the 2x2 cell's mean luma >= threshold."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] % 2 or rgb.shape[1] % 2:
        raise ValueError(f"RGB input must be (2h, 2w, 3), got {rgb.shape}")
    y = (rgb.astype(np.float64) / 255.0) @ LUMA
    cells = y.reshape(y.shape[0] // 2, 2, y.shape[1] // 2, 2).mean(axis=(1, 3))
    return cells >= threshold


def _psnr(sq_err: np.ndarray, mask: np.ndarray, profile: MetricProfile) -> float | None:
    if not mask.any():
        return None
    mse = float(sq_err[mask].mean())
    return profile.psnr_identical if mse == 0 else float(10 * np.log10(1 / mse))


def region_scores(gt: np.ndarray, pred: np.ndarray, mask: np.ndarray, profile: MetricProfile = AIM22) -> RegionScores:
    """PSNR and SSIM of ``pred`` against ``gt`` inside the mask and outside it (see the module notes)."""
    from harness.metrics.reference import ssim_map_reference  # scipy: only where a region is scored

    if mask.shape != gt.shape[:2] or gt.shape != pred.shape:
        raise ValueError(f"mask {mask.shape}, gt {gt.shape} and prediction {pred.shape} do not match")
    x = gt.astype(np.float64) / profile.normaliser
    y = pred.astype(np.float64) / profile.normaliser
    sq_err = ((x - y) ** 2).mean(axis=-1)  # mean over the 4 channels: equal counts per pixel
    ssim_map = ssim_map_reference(gt, pred, profile)
    c = profile.crop
    inner = np.zeros_like(mask)
    inner[c:-c, c:-c] = True

    def ssim_over(region: np.ndarray) -> float | None:
        sel = region & inner
        if not sel.any():
            return None
        return float(np.mean([ssim_map[..., ch][sel].mean() for ch in range(ssim_map.shape[-1])]))

    return RegionScores(
        oe_fraction=float(mask.mean()),
        psnr_oe=_psnr(sq_err, mask, profile),
        ssim_oe=ssim_over(mask),
        psnr_rest=_psnr(sq_err, ~mask, profile),
        ssim_rest=ssim_over(~mask),
    )
