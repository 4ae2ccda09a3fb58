"""The simulated camera: demosaic accuracy, colour neutrality, clipping, JPEG."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from harness.raw import demosaic, pack
from harness.rgbio import encode_jpeg
from harness.sim.camera import IspConfig, demosaic_mhc, render
from harness.sim.synth import synthetic_raw


def test_mhc_is_exact_on_flat_and_linear_fields():
    flat = np.empty((10, 12, 4))
    flat[...] = [0.2, 0.5, 0.5, 0.3]
    assert np.allclose(demosaic_mhc(flat)[4:-4, 4:-4], [0.2, 0.5, 0.3])
    yy, xx = np.mgrid[0:20, 0:24].astype(float)
    ramp = 0.01 * yy + 0.02 * xx  # the same linear ramp in every colour
    rgb = demosaic_mhc(pack(ramp))
    assert np.allclose(rgb[4:-4, 4:-4], ramp[4:-4, 4:-4, None])


def test_mhc_beats_bilinear_on_detail(rng):
    # natural-image-like: fine luminance detail shared by all channels on slowly varying colour
    yy, xx = np.mgrid[0:96, 0:96].astype(float)
    detail = 0.5 + 0.3 * np.sin(xx / 2.3) * np.cos(yy / 3.1)
    colour = np.stack([0.8 + 0.1 * np.sin(yy / 30), 0.9 + 0 * xx, 0.6 + 0.1 * np.cos(xx / 25)], axis=-1)
    truth = detail[..., None] * colour
    mosaic = np.empty((96, 96))
    mosaic[0::2, 0::2] = truth[0::2, 0::2, 0]
    mosaic[0::2, 1::2] = truth[0::2, 1::2, 1]
    mosaic[1::2, 0::2] = truth[1::2, 0::2, 1]
    mosaic[1::2, 1::2] = truth[1::2, 1::2, 2]
    inner = np.s_[6:-6, 6:-6]
    err_mhc = np.abs(demosaic_mhc(pack(mosaic)) - truth)[inner].mean()
    err_bil = np.abs(demosaic(pack(mosaic)) - truth)[inner].mean()
    assert err_mhc < 0.7 * err_bil


def test_grey_under_the_camera_white_balance_renders_neutral():
    cfg = IspConfig(local_tone=0.0, sharpen=0.0)
    r, g, b = cfg.wb_gains
    packed = np.empty((16, 16, 4))
    packed[...] = np.array([0.3 / r, 0.3, 0.3, 0.3 / b]) * 1023  # grey lit so that WB neutralises it
    rgb = render(packed, cfg)
    assert rgb.shape == (32, 32, 3)
    assert np.ptp(rgb[8:-8, 8:-8].reshape(-1, 3).mean(axis=0)) <= 1.5  # CCM rows sum to 1: grey stays grey


def test_clipped_sensor_renders_white():
    packed = np.full((12, 12, 4), 1023, np.uint16)
    assert render(packed, IspConfig(local_tone=0.0)).min() >= 250


def test_black_level_is_subtracted():
    cfg = IspConfig(black=60, white=1020, local_tone=0.0, sharpen=0.0)
    assert render(np.full((8, 8, 4), 60, np.uint16), cfg).max() == 0


def test_jpeg_decodes_to_declared_size_and_is_deterministic(rng):
    rgb = render(synthetic_raw(rng, 40, 48), IspConfig())
    data = encode_jpeg(rgb, 90)
    assert data == encode_jpeg(rgb, 90)
    decoded = np.asarray(Image.open(io.BytesIO(data)))
    assert decoded.shape == (80, 96, 3)
    assert np.abs(decoded.astype(int) - rgb).mean() < 6
