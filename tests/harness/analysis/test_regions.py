"""Region metrics against a straightforward restatement on small images."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.analysis.regions import overexposure_mask, region_scores
from harness.metrics.reference import psnr_reference, ssim_reference


def _mask_by_loops(rgb):
    h, w = rgb.shape[0] // 2, rgb.shape[1] // 2
    out = np.zeros((h, w), bool)
    for i in range(h):
        for j in range(w):
            ys = []
            for dy in (0, 1):
                for dx in (0, 1):
                    r, g, b = (rgb[2 * i + dy, 2 * j + dx] / 255.0).tolist()
                    ys.append(0.299 * r + 0.587 * g + 0.114 * b)
            out[i, j] = sum(ys) / 4 >= 0.978
    return out


def _ssim_map_by_windows(a, b, c1=0.01**2, c2=0.03**2, sigma=1.5, radius=6):
    """SSIM map from explicit 13x13 Gaussian windows with reflected borders (scipy's 'reflect')."""
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    k /= k.sum()
    wnd = np.outer(k, k)
    pa, pb = np.pad(a, radius, mode="symmetric"), np.pad(b, radius, mode="symmetric")
    out = np.empty_like(a)
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            x, y = pa[i : i + 13, j : j + 13], pb[i : i + 13, j : j + 13]
            mx, my = (wnd * x).sum(), (wnd * y).sum()
            vx, vy = (wnd * x * x).sum() - mx * mx, (wnd * y * y).sum() - my * my
            cxy = (wnd * x * y).sum() - mx * my
            out[i, j] = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return out


@pytest.fixture
def case():
    rng = np.random.default_rng(9)
    gt = rng.integers(50, 1000, (24, 28, 4)).astype(np.uint16)
    pred = np.clip(gt.astype(int) + rng.integers(-30, 31, gt.shape), 0, 1024).astype(np.uint16)
    rgb = rng.integers(0, 256, (48, 56, 3)).astype(np.uint8)
    rgb[:20, :24] = 255  # a bright corner
    rgb[30:34, 40:50] = 250
    return gt, pred, rgb


def test_mask_matches_the_cell_by_cell_definition(case):
    _, _, rgb = case
    mask = overexposure_mask(rgb)
    assert mask.shape == (24, 28) and np.array_equal(mask, _mask_by_loops(rgb)) and mask.any() and not mask.all()


def test_region_psnr_and_ssim_against_the_restatement(case):
    gt, pred, rgb = case
    mask = overexposure_mask(rgb)
    r = region_scores(gt, pred, mask)
    x, y = gt / 1024.0, pred / 1024.0
    for region, psnr in ((mask, r.psnr_oe), (~mask, r.psnr_rest)):
        errs = [(x[i, j, c] - y[i, j, c]) ** 2 for i, j in zip(*np.nonzero(region), strict=True) for c in range(4)]
        assert psnr == pytest.approx(10 * math.log10(1 / (sum(errs) / len(errs))), abs=1e-9)
    inner = np.zeros_like(mask)
    inner[5:-5, 5:-5] = True
    maps = [_ssim_map_by_windows(x[..., c], y[..., c]) for c in range(4)]
    for region, ssim in ((mask, r.ssim_oe), (~mask, r.ssim_rest)):
        sel = region & inner
        assert ssim == pytest.approx(np.mean([m[sel].mean() for m in maps]), abs=1e-12)
    assert r.oe_fraction == pytest.approx(mask.mean())


def test_whole_and_empty_regions(case):
    gt, pred, _ = case
    everything = region_scores(gt, pred, np.ones(gt.shape[:2], bool))
    assert everything.psnr_oe == pytest.approx(psnr_reference(gt, pred), abs=1e-12)
    assert everything.ssim_oe == pytest.approx(ssim_reference(gt, pred), abs=1e-12)
    assert everything.psnr_rest is None and everything.ssim_rest is None and everything.oe_fraction == 1.0
    corner_only = np.zeros(gt.shape[:2], bool)
    corner_only[:3, :3] = True  # inside the 5-pixel SSIM border: a PSNR but no SSIM
    r = region_scores(gt, pred, corner_only)
    assert r.psnr_oe is not None and r.ssim_oe is None
    with pytest.raises(ValueError):
        overexposure_mask(np.zeros((5, 4, 3), np.uint8))
