"""Real captures: each format read with its own layout, black level and bit depth.

The crops shipped in the package are always tested. The whole original files are tested where a
folder holds them: ``HARNESS_RAW_CAPTURES_DIR``, else the folder this project's CI keeps beside
the checkout (present in CI: never skipped there).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np
import pytest

from harness.settings import LibrarySettings as Settings
from harness.sim.sources import (
    CAPTURES,
    DEFAULT_ROOT,
    ORIGINALS,
    PACKAGE_ROOT,
    SHIPPED,
    available,
    cut_shipped,
    read_linear,
    read_mosaic,
    to_track_range,
)


def _originals_root() -> Path:
    override = os.environ.get("HARNESS_RAW_CAPTURES_DIR")
    if override and Path(override).resolve() != PACKAGE_ROOT:
        return Path(override)
    checkout = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
    return checkout.parent / "shared" / "data" / "raw"


ORIGINALS_ROOT = _originals_root()
HAVE_ORIGINALS = ORIGINALS_ROOT.is_dir()
if os.environ.get("CI") == "true":
    assert HAVE_ORIGINALS, f"CI must have the original captures at {ORIGINALS_ROOT}"
needs_originals = pytest.mark.skipif(
    not HAVE_ORIGINALS, reason="the original captures are absent (HARNESS_RAW_CAPTURES_DIR names a folder of them)"
)
ROOT_OF = {c.name: PACKAGE_ROOT for c in SHIPPED} | {c.name: ORIGINALS_ROOT for c in ORIGINALS}


def test_the_package_ships_every_crop_by_default():
    assert Settings().raw_captures_dir.resolve() == PACKAGE_ROOT
    if not os.environ.get("HARNESS_RAW_CAPTURES_DIR"):
        assert DEFAULT_ROOT.resolve() == PACKAGE_ROOT
    assert [c.name for c in available(PACKAGE_ROOT)] == [c.name for c in SHIPPED]
    assert len(SHIPPED) == len(ORIGINALS) == 9


def test_shipped_crops_are_small_licensed_and_listed():
    manifest = (PACKAGE_ROOT / "MANIFEST.md").read_text()
    listed = {name: digest for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", manifest, flags=re.M)}
    total = 0
    for cap in SHIPPED:
        path = cap.path(PACKAGE_ROOT)
        size = path.stat().st_size
        total += size
        assert size <= 5 * 2**20, f"{path.name}: {size} bytes, over the 5 MiB a file may have"
        assert (PACKAGE_ROOT / cap.licence).is_file(), cap.licence
        assert f"`{path.name}`" in manifest and cap.licence in manifest
        original = next(o for o in ORIGINALS if o.name == cap.source)
        assert original.filename in manifest, f"the MANIFEST names {path.name}'s source"
        assert listed[path.name] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert total <= 15_000_000


@pytest.mark.parametrize("cap", CAPTURES, ids=[c.name for c in CAPTURES])
def test_capture_reads_to_plausible_linear_rggb(cap):
    root = ROOT_OF[cap.name]
    if root is ORIGINALS_ROOT and not HAVE_ORIGINALS:
        pytest.skip("the original captures are absent (HARNESS_RAW_CAPTURES_DIR names a folder of them)")
    mosaic = read_mosaic(cap, root)
    assert mosaic.max() <= cap.white * 1.1, "values far beyond the declared white level: wrong bit depth?"
    lin = read_linear(cap, root)
    h, w, c = lin.shape
    assert c == 4 and h > 100 and w > 100
    assert 0.0 <= lin.min() and lin.max() <= 1.0
    means = lin.reshape(-1, 4).mean(axis=0)
    # the two greens of one cell see the same colour: a wrong CFA phase would pair green with red/blue
    assert abs(means[1] - means[2]) < 0.1 * max(means[1], 1e-3), means
    # greens are the most sensitive channel under ordinary light (a swapped layout breaks this)
    assert means[1] >= 0.8 * max(means[0], means[3]), means


@needs_originals
def test_every_original_is_present():
    assert {c.name for c in available(ORIGINALS_ROOT)} == {c.name for c in ORIGINALS}


@needs_originals
def test_shipped_crops_are_exact_crops_of_the_originals(tmp_path):
    cut_shipped(ORIGINALS_ROOT, tmp_path)
    by_name = {c.name: c for c in ORIGINALS}
    for cap in SHIPPED:
        top, left, height, width = cap.crop
        shipped = read_mosaic(cap, PACKAGE_ROOT)
        original = read_mosaic(by_name[cap.source], ORIGINALS_ROOT)
        assert shipped.shape == (height, width)
        assert np.array_equal(shipped, original[top : top + height, left : left + width]), cap.name
        assert np.array_equal(read_mosaic(cap, tmp_path), shipped), f"{cap.name}: cut_shipped does not remake it"


@needs_originals
def test_dng_uses_active_area_and_levels():
    cap = next(c for c in ORIGINALS if c.kind == "dng")
    assert read_mosaic(cap, ORIGINALS_ROOT).shape == (1156, 1734)
    lin = read_linear(cap, ORIGINALS_ROOT)
    assert lin.shape == (578, 867, 4)
    assert 0.0 < lin.mean() < 0.9


def test_unpack_bits_msb_first():
    from harness.sim.sources import unpack_bits

    values = np.array([[1, 16383, 8192, 3], [0, 5, 77, 16000]], dtype=np.uint16)
    bits = "".join(format(int(v), "014b") for v in values.ravel())
    data = int(bits, 2).to_bytes(len(bits) // 8, "big")
    assert np.array_equal(unpack_bits(data, 2, 4, 14), values)


def test_to_track_range_maps_levels():
    lin = np.array([[[0.0, 0.5, 1.0, 2.0]]])
    assert to_track_range(lin, 60, 1020).tolist() == [[[60, 540, 1020, 1020]]]
    assert to_track_range(lin, 0, 1023).dtype == np.uint16
