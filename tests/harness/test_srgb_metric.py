"""Profile srgb: PSNR and SSIM equal scikit-image's (data range 255, Gaussian SSIM) bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from harness.metrics.profiles import AIM22, PROFILES, SRGB, get_profile
from harness.metrics.reference import psnr_reference, ssim_reference
from harness.metrics.srgb import score_srgb_pair


def skimage_pair(gt, pred) -> tuple[float, float]:
    ssim = structural_similarity(
        gt, pred, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255, channel_axis=-1
    )
    return peak_signal_noise_ratio(gt, pred, data_range=255), ssim


def test_profile_constants():
    assert get_profile("srgb") is SRGB and set(PROFILES) == {"aim22", "srgb"}
    assert (SRGB.channels, SRGB.max_value, SRGB.data_range, SRGB.normaliser) == (3, 255, 255.0, 1.0)
    assert SRGB.radius == 5 and len(SRGB.gaussian_weights()) == 11 and SRGB.crop == 5  # skimage's 11-tap window
    assert SRGB.c1 == (0.01 * 255) ** 2 and SRGB.c2 == (0.03 * 255) ** 2
    assert (SRGB.suffix, SRGB.lpips, AIM22.suffix, AIM22.lpips) == (".png", True, ".npy", False)


@pytest.mark.parametrize("shape, noise", [((64, 64, 3), 20), ((41, 77, 3), 3), ((11, 11, 3), 120)])
def test_equals_skimage(rng, shape, noise):
    gt = rng.integers(0, 256, shape, dtype=np.uint8)
    pred = np.clip(gt.astype(int) + rng.integers(-noise, noise + 1, shape), 0, 255).astype(np.uint8)
    score = score_srgb_pair(gt, pred)
    psnr, ssim = skimage_pair(gt, pred)
    assert score.psnr == psnr and score.ssim == ssim and not score.identical
    # the plain restatement agrees too
    assert score.psnr == psnr_reference(gt, pred, SRGB)
    assert abs(score.ssim - ssim_reference(gt, pred, SRGB)) < 1e-15


def test_identical_images(rng):
    gt = rng.integers(0, 256, (32, 40, 3), dtype=np.uint8)
    score = score_srgb_pair(gt, gt.copy())
    assert score.identical and score.psnr == 999.0  # scikit-image says inf
    assert abs(score.ssim - 1.0) < 1e-12


def test_checks_inputs(rng):
    a = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="uint8"):
        score_srgb_pair(a.astype(np.uint16), a)
    with pytest.raises(ValueError, match="shapes differ"):
        score_srgb_pair(a, a[:, :15])
    with pytest.raises(ValueError, match=r"\(h, w, 3\)"):
        score_srgb_pair(a[..., :2], a[..., :2])
    with pytest.raises(ValueError, match="too small"):
        score_srgb_pair(a[:10], a[:10])
