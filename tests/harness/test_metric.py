"""The fast engine against the plain scipy restatement, and the restatement against first principles."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from harness.metrics import AIM22, ScoringEngine, score_pair
from harness.metrics.engine import plan_items
from harness.metrics.reference import psnr_reference, ssim_reference
from harness.sim.synth import degrade, synthetic_raw

TOL = 1e-9


def _cases(rng):
    """Varied pairs: smooth fields, texture, saturation, extremes, odd and tiny sizes."""
    cases = {}
    gt = synthetic_raw(rng, 64, 80)
    cases["synthetic-noisy"] = (gt, degrade(gt, rng, "noisy"))
    cases["synthetic-blurred"] = (gt, degrade(gt, rng, "blurred"))
    smooth = np.clip(gaussian_filter(rng.uniform(0, 1024, (37, 53, 4)), (6, 6, 0)) * 3 - 1000, 0, 1024)
    cases["smooth-odd"] = (smooth.astype(np.uint16), np.clip(smooth * 0.9 + 20, 0, 1024).astype(np.uint16))
    tex = rng.integers(0, 1025, (31, 29, 4)).astype(np.uint16)
    cases["white-noise"] = (tex, rng.integers(0, 1025, tex.shape).astype(np.uint16))
    sat = np.full((24, 40, 4), 1023, np.uint16)
    sat[:, :10] = rng.integers(0, 1024, (24, 10, 4))
    cases["saturated"] = (sat, np.minimum(sat + 1, 1024).astype(np.uint16))
    cases["all-zero-vs-max"] = (np.zeros((13, 15, 4), np.uint16), np.full((13, 15, 4), 1024, np.uint16))
    cases["constant-equal"] = (np.full((12, 12, 4), 512, np.uint16), np.full((12, 12, 4), 512, np.uint16))
    cases["minimum-size"] = (
        rng.integers(0, 1025, (11, 11, 4)).astype(np.uint16),
        rng.integers(0, 1025, (11, 11, 4)).astype(np.uint16),
    )
    big = synthetic_raw(rng, 300, 270)  # several work items across
    cases["multi-item"] = (big, degrade(big, rng, "noisy"))
    tall = synthetic_raw(rng, 1100, 24)  # several row bands; 1090 output rows (not a multiple of 4)
    cases["multi-band"] = (tall, degrade(tall, rng, "biased"))
    for rows in (14, 15, 16, 17):  # every remainder of the 4-row vertical blocks
        g = synthetic_raw(rng, rows, 19)
        cases[f"rows-{rows}"] = (g, degrade(g, rng, "noisy"))
    return cases


@pytest.fixture(scope="module")
def cases():
    return _cases(np.random.default_rng(7))


@pytest.mark.parametrize("name", list(_cases(np.random.default_rng(7))))
@pytest.mark.parametrize("workers", [1, 2])
def test_engine_matches_reference(cases, name, workers):
    gt, pred = cases[name]
    got = score_pair(gt, pred, workers=workers)
    assert abs(got.ssim - ssim_reference(gt, pred)) <= TOL
    assert got.psnr == psnr_reference(gt, pred)  # bit-identical, not just close


def test_identical_pair_is_999_and_ssim_one(cases):
    gt, _ = cases["synthetic-noisy"]
    got = score_pair(gt, gt.copy())
    assert got.psnr == 999.0 and got.identical
    assert abs(got.ssim - 1.0) <= 1e-12


def test_result_does_not_depend_on_worker_count(cases):
    gt, pred = cases["multi-item"]
    assert len(plan_items(*gt.shape[:2])) > 2
    values = {score_pair(gt, pred, workers=w) for w in (1, 2, 3, 5)}
    assert len(values) == 1


def _ssim_first_principles(gt, pred):
    """SSIM from the recipe's words: explicit 13x13 Gaussian window over an edge-repeated pad."""
    x = gt.astype(np.float64) / 1024
    y = pred.astype(np.float64) / 1024
    r = 6
    t = np.arange(-r, r + 1)
    g1 = np.exp(-(t**2) / (2 * 1.5**2))
    g1 /= g1.sum()
    win = np.outer(g1, g1)
    h, w = x.shape[:2]
    vals = []
    for c in range(4):
        a = np.pad(x[..., c], r, mode="symmetric")  # 'symmetric' in numpy = scipy's 'reflect'
        b = np.pad(y[..., c], r, mode="symmetric")
        total = 0.0
        for i in range(5, h - 5):
            for j in range(5, w - 5):
                pa, pb = a[i : i + 13, j : j + 13], b[i : i + 13, j : j + 13]
                mu1, mu2 = (win * pa).sum(), (win * pb).sum()
                s11 = (win * pa * pa).sum() - mu1**2
                s22 = (win * pb * pb).sum() - mu2**2
                s12 = (win * pa * pb).sum() - mu1 * mu2
                total += ((2 * mu1 * mu2 + 1e-4) * (2 * s12 + 9e-4)) / ((mu1**2 + mu2**2 + 1e-4) * (s11 + s22 + 9e-4))
        vals.append(total / ((h - 10) * (w - 10)))
    return float(np.mean(vals))


def test_reference_is_the_written_recipe(rng):
    gt = synthetic_raw(rng, 17, 21)
    pred = degrade(gt, rng, "noisy")
    first = _ssim_first_principles(gt, pred)
    assert abs(ssim_reference(gt, pred) - first) <= 1e-12
    assert abs(score_pair(gt, pred).ssim - first) <= 1e-12
    x, y = gt / 1024.0, pred / 1024.0
    assert score_pair(gt, pred).psnr == 10 * np.log10(1 / np.mean((x - y) ** 2))


def test_eleven_tap_window_is_not_the_official_metric(rng):
    """scikit-image-like 11-tap windows give other numbers: the profile must use 13 taps."""
    assert AIM22.radius == 6 and len(AIM22.gaussian_weights()) == 13
    gt = synthetic_raw(rng, 40, 40)
    pred = degrade(gt, rng, "blurred")
    x, y = gt / 1024.0, pred / 1024.0
    vals = []
    for c in range(4):
        f = lambda im: gaussian_filter(im, 1.5, truncate=3.5 / 1.5)  # noqa: E731  radius 5 -> 11 taps
        a, b = x[..., c], y[..., c]
        mu1, mu2 = f(a), f(b)
        m = ((2 * mu1 * mu2 + 1e-4) * (2 * (f(a * b) - mu1 * mu2) + 9e-4)) / (
            (mu1**2 + mu2**2 + 1e-4) * (f(a * a) - mu1**2 + f(b * b) - mu2**2 + 9e-4)
        )
        vals.append(m[5:-5, 5:-5].mean())
    assert abs(np.mean(vals) - score_pair(gt, pred).ssim) > 1e-7


@pytest.mark.parametrize(
    "gt_shape,pred_shape,dtype,match",
    [
        ((20, 20, 4), (20, 21, 4), np.uint16, "shapes differ"),
        ((20, 20, 3), (20, 20, 3), np.uint16, r"\(h, w, 4\)"),
        ((10, 20, 4), (10, 20, 4), np.uint16, "too small"),
        ((20, 20, 4), (20, 20, 4), np.float32, "uint16"),
    ],
)
def test_engine_rejects_bad_arrays(gt_shape, pred_shape, dtype, match):
    with pytest.raises(ValueError, match=match):
        score_pair(np.zeros(gt_shape, dtype), np.zeros(pred_shape, dtype))


def test_engine_keeps_several_images_in_flight(rng):
    pairs = [(synthetic_raw(rng, 30, 30), synthetic_raw(rng, 30, 30)) for _ in range(5)]
    with ScoringEngine(workers=2) as engine:
        handles = [engine.submit(g, p) for g, p in pairs]
        got = [h.result() for h in handles]
    for (g, p), r in zip(pairs, got, strict=True):
        assert abs(r.ssim - ssim_reference(g, p)) <= TOL


def test_psnr_is_bit_identical_over_many_pairs(rng):
    """numpy's log10, not libm's: the two differ by an ulp on some inputs (seen on real pairs)."""
    kinds = ("noisy", "blurred", "biased")
    for i in range(300):
        gt = synthetic_raw(rng, 16, 24)
        pred = degrade(gt, rng, kinds[i % 3])
        assert score_pair(gt, pred).psnr == psnr_reference(gt, pred)
