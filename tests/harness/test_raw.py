"""RAW helpers: packing for every layout, demosaic and the visualiser."""

from __future__ import annotations

import numpy as np
import pytest

from harness.raw import CFA, demosaic, pack, to_rggb, unpack, visualise


def labelled_mosaic(cfa: CFA, h: int = 6, w: int = 8) -> np.ndarray:
    """A mosaic whose every pixel holds 10 * channel index + a running count."""
    names = {"RGGB": "R G G B", "GRBG": "G R B G", "GBRG": "G B R G", "BGGR": "B G G R"}[cfa.value].split()
    mosaic = np.zeros((h, w), np.int64)
    for r in range(h):
        for c in range(w):
            colour = names[(r % 2) * 2 + (c % 2)]
            if colour == "G":  # Gr sits on the row with red, Gb on the row with blue
                row_has_red = "R" in names[(r % 2) * 2 : (r % 2) * 2 + 2]
                colour = "Gr" if row_has_red else "Gb"
            mosaic[r, c] = ["R", "Gr", "Gb", "B"].index(colour) * 1000 + r * w + c
    return mosaic


@pytest.mark.parametrize("cfa", list(CFA))
def test_pack_puts_each_colour_in_its_channel(cfa):
    packed = pack(labelled_mosaic(cfa), cfa)
    assert packed.shape == (3, 4, 4)
    assert np.array_equal(packed // 1000, np.broadcast_to(np.arange(4), packed.shape))


@pytest.mark.parametrize("cfa", list(CFA))
def test_round_trips(cfa, rng):
    mosaic = rng.integers(0, 1024, (10, 14)).astype(np.uint16)
    assert np.array_equal(unpack(pack(mosaic, cfa), cfa), mosaic)
    packed = rng.integers(0, 1024, (5, 7, 4)).astype(np.uint16)
    assert np.array_equal(pack(unpack(packed, cfa), cfa), packed)
    assert pack(mosaic, cfa).dtype == np.uint16


@pytest.mark.parametrize("cfa", list(CFA))
def test_to_rggb_gives_an_rggb_mosaic(cfa):
    rggb = to_rggb(labelled_mosaic(cfa, 8, 10), cfa)
    assert rggb.shape[0] % 2 == 0 and rggb.shape[1] % 2 == 0
    assert np.array_equal(pack(rggb, CFA.RGGB) // 1000, np.broadcast_to(np.arange(4), pack(rggb).shape))


def test_pack_rejects_bad_shapes():
    with pytest.raises(ValueError, match="even"):
        pack(np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"\(h, w, 4\)"):
        unpack(np.zeros((4, 4, 3)))
    with pytest.raises(ValueError):
        pack(np.zeros((4, 4)), "XYZW")


def test_demosaic_reproduces_flat_colour_and_keeps_samples():
    packed = np.empty((6, 6, 4))
    packed[...] = [100.0, 200.0, 200.0, 50.0]
    rgb = demosaic(packed)
    assert rgb.shape == (12, 12, 3)
    assert np.allclose(rgb, [100.0, 200.0, 50.0])
    ramp = np.add.outer(np.arange(6.0), np.arange(6.0))[..., None] * np.ones(4)
    rgb = demosaic(ramp)
    assert np.allclose(rgb[0::2, 0::2, 0], ramp[..., 0])  # measured red samples are kept


def test_visualise_is_uint8_right_size_and_neutral_for_grey():
    packed = np.empty((8, 10, 4), np.uint16)
    packed[...] = [300, 600, 600, 400]  # a grey surface under a tinted light
    img = visualise(packed)
    assert img.shape == (16, 20, 3) and img.dtype == np.uint8
    assert np.ptp(img.reshape(-1, 3).mean(axis=0)) <= 1  # grey world makes it neutral
    with pytest.raises(ValueError):
        visualise(packed, black=100, white=50)


def test_render_command_writes_png(tmp_path, rng):
    import subprocess
    import sys

    from PIL import Image

    from harness.sim.synth import synthetic_raw
    from tests.support import save

    save(tmp_path / "r.npy", synthetic_raw(rng, 20, 30))
    res = subprocess.run(
        [sys.executable, "-m", "harness", "data", "render", tmp_path / "r.npy", "-o", tmp_path / "r.png"],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    assert Image.open(tmp_path / "r.png").size == (60, 40)
