"""Metric profiles: the constants that define a challenge's official metric.

``aim22`` (packed RAW ``.npy``, the official scorer of the challenge) and ``srgb`` (8-bit sRGB
``.png``, the forward track's recipe) are described in docs/ARCHITECTURE.md. ``srgb`` is
scikit-image's ``structural_similarity(gaussian_weights=True, sigma=1.5,
use_sample_covariance=False, data_range=255, channel_axis=-1)`` and ``peak_signal_noise_ratio(
data_range=255)`` restated: float64, Gaussian sigma 1.5 truncated at 3.5 sigma (radius 5, 11 taps,
``reflect`` borders), population (co)variances, C1 = (0.01 * 255)^2, C2 = (0.03 * 255)^2, the SSIM
map cropped by 5 pixels per side, the mean of the 3 channel means; PSNR = 10 log10(255^2 / MSE) over
all values; identical images get PSNR 999 (scikit-image says inf) and are flagged ``identical``.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict


class MetricProfile(BaseModel):
    """Constants of one official metric recipe.

    Attributes mirror the recipe in docs/ARCHITECTURE.md; a profile is immutable so a score row can
    record the profile name and trust that the numbers behind it never change.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    normaliser: float = 1024.0
    max_value: int = 1024
    psnr_identical: float = 999.0
    sigma: float = 1.5
    truncate: float = 4.0
    k1: float = 0.01
    k2: float = 0.03
    data_range: float = 1.0
    crop: int = 5
    channels: int = 4
    suffix: str = ".npy"  # the file type of ground truth and predictions: ".npy" packed RAW, ".png" sRGB
    lpips: bool = False  # LPIPS (AlexNet, v0.1) is reported beside PSNR/SSIM, where a backbone is supplied

    @property
    def radius(self) -> int:
        """Kernel radius exactly as ``scipy.ndimage.gaussian_filter`` derives it."""
        return int(self.truncate * float(self.sigma) + 0.5)

    @property
    def c1(self) -> float:
        return (self.k1 * self.data_range) ** 2

    @property
    def c2(self) -> float:
        return (self.k2 * self.data_range) ** 2

    @property
    def min_size(self) -> int:
        """Smallest height/width whose cropped SSIM map is not empty."""
        return 2 * self.crop + 1

    def gaussian_weights(self) -> np.ndarray:
        """The 1-D kernel of ``scipy.ndimage.gaussian_filter`` (same formula, same order)."""
        r = self.radius
        x = np.arange(-r, r + 1)
        phi = np.exp(-0.5 / (self.sigma * self.sigma) * x.astype(np.float64) ** 2)
        return phi / phi.sum()


AIM22 = MetricProfile(name="aim22")
SRGB = MetricProfile(
    name="srgb",
    normaliser=1.0,
    max_value=255,
    truncate=3.5,
    data_range=255.0,
    crop=5,
    channels=3,
    suffix=".png",
    lpips=True,
)

PROFILES: dict[str, MetricProfile] = {AIM22.name: AIM22, SRGB.name: SRGB}


def get_profile(name: str) -> MetricProfile:
    """Look a profile up by name; raises ``KeyError`` naming the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise KeyError(f"unknown metric profile {name!r}; known profiles: {known}") from None


def psnr_from_sse(sse: int, n_values: int, profile: MetricProfile = AIM22) -> float:
    """PSNR ``10 log10(data_range^2 / mse)`` from the exact integer sum of squared differences.

    ``mean(((g - p) / 1024) ** 2)`` in float64 is exact up to its final division (each
    square is a multiple of 2**-20 below 2**44 in total), so this reproduces the official
    float64 value bit for bit (same operations, same order, numpy's log10; ``aim22``'s data
    range is 1, so its numerator is exactly 1). For ``srgb`` (normaliser 1) the mean is
    ``sse / n``, as numpy's float64 mean of the squared differences gives it, so the value equals
    scikit-image's ``peak_signal_noise_ratio(data_range=255)`` bit for bit.
    """
    if sse == 0:
        return profile.psnr_identical
    mse = np.float64(float(sse) / (profile.normaliser * profile.normaliser)) / n_values
    # numpy's log10, as the official script uses: libm's math.log10 differs by an ulp at times
    return float(10 * np.log10(profile.data_range * profile.data_range / mse))
