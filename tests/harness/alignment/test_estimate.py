"""Transform estimation and warping on small images with known sub-pixel shifts and zooms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import shift as nd_shift

from harness.alignment.estimate import Motion, Transform, estimate_transform
from harness.alignment.planes import input_plane, raw_plane, srgb_to_linear
from harness.alignment.warp import covered_margin, crop, warp_raw
from harness.metrics.reference import psnr_reference
from tests.harness.alignment.scenes import SIZE, centre, scene, zoomed

SHIFTS = [(0.3, -0.7), (1.25, 0.4), (-2.6, 2.15), (0.05, 0.0), (-0.45, -1.9)]


@pytest.mark.parametrize("motion", ["translation", "affine"])
@pytest.mark.parametrize("k", range(len(SHIFTS)))
def test_known_subpixel_shift_is_recovered(k, motion):
    big = scene(k)
    dy, dx = SHIFTS[k]
    moving = centre(nd_shift(big, (dy, dx), order=3, mode="nearest"))
    t = estimate_transform(centre(big), moving, motion)
    assert np.abs(np.array(t.shift) - (dy, dx)).max() <= 0.05, (t.shift, (dy, dx))
    assert abs(t.scale - 1) <= 1e-3 and t.cc > 0.99


@pytest.mark.parametrize("z", [0.98, 0.987, 0.995, 1.004, 1.013, 1.02])
def test_known_scale_is_recovered(z):
    big = scene(int(z * 1000))
    t = estimate_transform(centre(big), centre(zoomed(big, z)), Motion.AFFINE)
    assert abs(t.scale - z) <= 1e-3, (t.scale, z)
    assert np.abs(t.shift).max() <= 0.05  # a zoom about the centre moves the centre nowhere


def test_aligned_pair_gives_identity():
    img = centre(scene(7))
    noisy = img + np.random.default_rng(1).normal(0, 30, img.shape)  # about 1/10 of the texture's spread
    for motion in Motion:
        same = estimate_transform(img, img * 0.5 + 100, motion)  # gain and offset do not matter
        assert np.abs(np.asarray(same.matrix) - [[1, 0, 0], [0, 1, 0]]).max() < 1e-6 and same.cc > 0.999999
        t = estimate_transform(img, noisy, motion)
        assert np.abs(t.shift).max() < 0.02 and abs(t.scale - 1) < 1e-3


def test_correlation_is_low_for_unrelated_images():
    t = estimate_transform(centre(scene(1)), centre(scene(2)), Motion.AFFINE)
    assert t.cc is None or t.cc < 0.5


def test_bad_planes_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="shapes differ"):
        estimate_transform(np.ones((20, 20)), np.ones((20, 21)))
    with pytest.raises(ValueError, match="one plane"):
        estimate_transform(np.ones((20, 20, 4)), np.ones((20, 20, 4)))
    with pytest.raises(ValueError, match="NaN"):
        estimate_transform(np.full((20, 20), np.nan), np.ones((20, 20)))


def test_identity_warp_leaves_a_prediction_exact_and_uncropped():
    rng = np.random.default_rng(3)
    pred = rng.integers(0, 1025, (SIZE, SIZE, 4)).astype(np.uint16)
    ident = Transform.identity((SIZE, SIZE))
    assert np.array_equal(warp_raw(pred, ident, 1024), pred)
    assert covered_margin(ident) == 0 and crop(pred, 0) is pred


def test_warp_undoes_a_shift_on_the_covered_crop():
    big = scene(11)
    planes = np.stack([big * f for f in (0.05, 0.08, 0.079, 0.06)], axis=-1)
    gt = np.clip(np.rint(centre(planes)), 0, 1024).astype(np.uint16)
    shifted = np.stack([nd_shift(planes[..., c], (1.4, -0.6), order=3, mode="nearest") for c in range(4)], -1)
    pred = np.clip(np.rint(centre(shifted)), 0, 1024).astype(np.uint16)
    t = estimate_transform(raw_plane(gt), raw_plane(pred), Motion.TRANSLATION)
    m = covered_margin(t)
    assert m == 2  # the shift reaches 1.4 px: two pixels per side are not covered everywhere
    official = psnr_reference(crop(gt, m), crop(pred, m))
    aligned = psnr_reference(crop(gt, m), crop(warp_raw(pred, t, 1024), m))
    assert aligned > official + 15


def test_input_plane_linearises_and_bins_2x2():
    rgb = np.zeros((4, 6, 3), dtype=np.uint8)
    rgb[:2, :2] = 255  # one packed pixel of white
    rgb[2:, 4:] = (10, 10, 10)  # the linear segment of the sRGB curve: 10 / 255 / 12.92
    plane = input_plane(rgb)
    assert plane.shape == (2, 3)
    assert plane[0, 0] == pytest.approx(1.0) and plane[1, 2] == pytest.approx(10 / 255 / 12.92)
    assert srgb_to_linear(np.array([128]))[0] == pytest.approx(0.2158605, abs=1e-6)
    with pytest.raises(ValueError, match=r"\(2h, 2w, 3\)"):
        input_plane(np.zeros((5, 6, 3)))
