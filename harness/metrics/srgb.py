"""PSNR and SSIM of 8-bit sRGB pairs, profile ``srgb`` (the forward track).

The recipe (stated in :mod:`harness.metrics.profiles` and docs/ARCHITECTURE.md) is scikit-image's
PSNR and Gaussian SSIM with data range 255, restated with scipy: the tests hold it against
``skimage.metrics`` itself. PSNR comes from the exact integer sum of squared differences; SSIM is
computed one channel at a time (float64), so an image costs a few float64 planes of memory, not 15.
"""

from __future__ import annotations

import numpy as np

from harness.metrics.engine import PairScore, check_pair
from harness.metrics.profiles import SRGB, MetricProfile, psnr_from_sse
from harness.metrics.reference import ssim_channel_map


def score_srgb_pair(gt: np.ndarray, pred: np.ndarray, profile: MetricProfile = SRGB) -> PairScore:
    """PSNR (999 when identical) and SSIM of one uint8 (h, w, 3) pair."""
    check_pair(gt, pred, profile)
    d = (gt.astype(np.int32) - pred.astype(np.int32)).ravel()
    sse = int(np.dot(d.astype(np.int64), d))  # exact: integers, no float rounding
    del d
    c = profile.crop
    means = []
    for ch in range(profile.channels):
        x = gt[..., ch].astype(np.float64)
        y = pred[..., ch].astype(np.float64)
        means.append(ssim_channel_map(x, y, profile)[c:-c, c:-c].mean(dtype=np.float64))
    return PairScore(psnr=psnr_from_sse(sse, gt.size, profile), ssim=float(np.mean(means)))
