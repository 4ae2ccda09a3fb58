"""Real captures: each format read with its own layout, black level and bit depth."""

from __future__ import annotations

import os

import numpy as np
import pytest

from harness.sources import CAPTURES, DEFAULT_ROOT, available, read_linear, read_mosaic, to_track_range

HAVE_DATA = DEFAULT_ROOT.is_dir()
if os.environ.get("CI") == "true":
    assert HAVE_DATA, f"CI must have the shared captures at {DEFAULT_ROOT}"
needs_data = pytest.mark.skipif(not HAVE_DATA, reason="../shared/data/raw is absent (never skipped in CI)")


@needs_data
def test_every_capture_is_present():
    assert {c.name for c in available()} == {c.name for c in CAPTURES}


@needs_data
@pytest.mark.parametrize("cap", CAPTURES, ids=[c.name for c in CAPTURES])
def test_capture_reads_to_plausible_linear_rggb(cap):
    mosaic = read_mosaic(cap)
    assert mosaic.max() <= cap.white * 1.1, "values far beyond the declared white level: wrong bit depth?"
    lin = read_linear(cap)
    h, w, c = lin.shape
    assert c == 4 and h > 100 and w > 100
    assert 0.0 <= lin.min() and lin.max() <= 1.0
    means = lin.reshape(-1, 4).mean(axis=0)
    # the two greens of one cell see the same colour: a wrong CFA phase would pair green with red/blue
    assert abs(means[1] - means[2]) < 0.1 * max(means[1], 1e-3), means
    # greens are the most sensitive channel under ordinary light (a swapped layout breaks this)
    assert means[1] >= 0.8 * max(means[0], means[3]), means


@needs_data
def test_dng_uses_active_area_and_levels():
    cap = next(c for c in CAPTURES if c.kind == "dng")
    assert read_mosaic(cap).shape == (1156, 1734)
    lin = read_linear(cap)
    assert lin.shape == (578, 867, 4)
    assert 0.0 < lin.mean() < 0.9


def test_unpack_bits_msb_first():
    from harness.sources import unpack_bits

    values = np.array([[1, 16383, 8192, 3], [0, 5, 77, 16000]], dtype=np.uint16)
    bits = "".join(format(int(v), "014b") for v in values.ravel())
    data = int(bits, 2).to_bytes(len(bits) // 8, "big")
    assert np.array_equal(unpack_bits(data, 2, 4, 14), values)


def test_to_track_range_maps_levels():
    lin = np.array([[[0.0, 0.5, 1.0, 2.0]]])
    assert to_track_range(lin, 60, 1020).tolist() == [[[60, 540, 1020, 1020]]]
    assert to_track_range(lin, 0, 1023).dtype == np.uint16
