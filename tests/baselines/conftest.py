"""A tiny challenge with RGB inputs: a learnable sRGB -> RAW mapping at small sizes, for CPU tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness.camera import IspConfig, encode_jpeg
from harness.challenge import ChallengeSpec, SplitSpec, TrackSpec, save_challenge
from harness.raw import pack
from tests.conftest import save

PATCH = 16  # packed RAW side; RGB patches are 32 x 32 and full images 6x8 patches


def smooth_scene(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A smooth random linear RGB image in [0.02, 0.9] (upsampled noise)."""
    small = rng.uniform(0.02, 0.9, (h // 8 + 1, w // 8 + 1, 3))
    ys, xs = np.linspace(0, small.shape[0] - 1, h), np.linspace(0, small.shape[1] - 1, w)
    rows = np.stack(
        [np.interp(ys, np.arange(small.shape[0]), small[:, j, c]) for j in range(small.shape[1]) for c in range(3)],
        axis=1,
    ).reshape(h, small.shape[1], 3)
    return np.stack(
        [
            np.stack([np.interp(xs, np.arange(small.shape[1]), rows[i, :, c]) for c in range(3)], axis=-1)
            for i in range(h)
        ]
    )


def pair(rng, h, w, black=0, white=1023):
    """(RGB uint8 h x w x 3, packed RAW uint16): RAW = linear mosaic, RGB = its gamma-encoded rendering."""
    lin = smooth_scene(rng, h, w)
    rgb = np.clip(255 * lin ** (1 / 2.2) + 0.5, 0, 255).astype(np.uint8)
    mosaic = np.empty((h, w))
    mosaic[0::2, 0::2] = lin[0::2, 0::2, 0]
    mosaic[0::2, 1::2] = lin[0::2, 1::2, 1]
    mosaic[1::2, 0::2] = lin[1::2, 0::2, 1]
    mosaic[1::2, 1::2] = lin[1::2, 1::2, 2]
    raw = np.round(black + (white - black) * mosaic).astype(np.uint16)
    return rgb, pack(raw)


def build_rgb_challenge(root: Path) -> Path:
    rng = np.random.default_rng(7)
    splits = [
        SplitSpec(name="train", kind="train"),
        SplitSpec(name="test1", limit_per_day=50, limit_total=100),
        SplitSpec(name="test2", visibility="hidden", full_resolution=True),
    ]
    tracks = [
        TrackSpec(
            name=name,
            title=name,
            camera="test",
            black=black,
            white=white,
            patch=PATCH,
            isp=IspConfig(black=black, white=white),
            splits=splits,
        )
        for name, black, white in (("s7", 0, 1023), ("p20", 60, 1020))
    ]
    chal = root / "challenges" / "demo"
    for t in tracks:
        base = chal / t.name
        for split, n in (("train", 6), ("test1", 3)):
            (base / split / "rgb").mkdir(parents=True)
            (base / split / ("raw" if split == "train" else "gt")).mkdir(parents=True)
            for i in range(n):
                side = 64 if split == "train" else 2 * PATCH
                rgb, raw = pair(rng, side, side, t.black, t.white)
                (base / split / "rgb" / f"{i}.jpg").write_bytes(encode_jpeg(rgb, 95))
                save(base / split / ("raw" if split == "train" else "gt") / f"{i}.npy", raw)
        rows, cols = t.grid
        rgb, raw = pair(rng, 2 * rows * PATCH, 2 * cols * PATCH, t.black, t.white)
        for sub in ("full/rgb", "full/gt", "rgb", "gt"):
            (base / "test2" / sub).mkdir(parents=True)
        (base / "test2" / "full" / "rgb" / "0.jpg").write_bytes(encode_jpeg(rgb, 95))
        save(base / "test2" / "full" / "gt" / "0.npy", raw)
        for k in range(rows * cols):
            r, c = divmod(k, cols)
            save(base / "test2" / "gt" / f"0_{k}.npy", raw[r * PATCH : (r + 1) * PATCH, c * PATCH : (c + 1) * PATCH])
            crop = rgb[2 * r * PATCH : 2 * (r + 1) * PATCH, 2 * c * PATCH : 2 * (c + 1) * PATCH]
            (base / "test2" / "rgb" / f"0_{k}.jpg").write_bytes(encode_jpeg(crop, 95))
    save_challenge(ChallengeSpec(name="demo", title="tiny", tracks=tracks), chal)
    return root


@pytest.fixture(scope="session")
def rgb_challenge(tmp_path_factory) -> Path:
    """data dir holding challenges/demo with tracks s7 and p20 (train, test1 patches, test2 full + grid)."""
    return build_rgb_challenge(tmp_path_factory.mktemp("rgbchal"))
