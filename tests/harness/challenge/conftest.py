"""Challenge bundles in the AIM 2022 layout, small enough to build in a blink.

Per track: ``data-<track>/train/<image>_<patch>.jpg`` and ``.npy`` side by side, test inputs in
``data-<track>/val_rgb/``, whole test2 inputs in ``data-<track>/test2_full_rgb/``; the ground
truth of the test splits sits apart, outside the bundle, in ``organiser/``. Track ``s7`` states
no levels, patch or grid (all taken from the data); track ``p20`` is P20-like: black level 60,
white 1020, a smaller patch, and states its levels.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from harness.rgbio import encode_jpeg

S7_PATCH, P20_PATCH = 16, 12
GRID = (2, 3)


@dataclass
class AimBundle:
    root: Path  # the folder holding challenge.toml
    organiser: Path  # ground truth kept apart
    data_dir: Path  # where challenges are laid out

    @property
    def spec(self) -> Path:
        return self.root / "challenge.toml"

    def files(self) -> list[Path]:
        return sorted(p for d in (self.root, self.organiser) for p in d.rglob("*") if p.is_file())


def npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def raw_patch(rng: np.random.Generator, size: int, black: int, white: int) -> np.ndarray:
    """Smooth RAW with sensor-like noise (it goes a little below black) and some clipped highlights."""
    base = rng.uniform(0.05, 0.9) + 0.3 * np.sin(np.linspace(0, 3, size))[:, None, None]
    signal = black + np.clip(base + 0.05 * rng.standard_normal((size, size, 4)), 0, 1.2) * (white - black)
    noisy = signal + rng.normal(0, 2.0, signal.shape)
    return np.clip(np.round(noisy), 0, white).astype(np.uint16)


def rgb_of(raw: np.ndarray, black: int, white: int) -> np.ndarray:
    """A crude sRGB rendering, twice the RAW's size (what matters here is the size)."""
    lin = np.clip((raw.astype(np.float64) - black) / (white - black), 0, 1)
    rgb = np.stack([lin[..., 0], (lin[..., 1] + lin[..., 2]) / 2, lin[..., 3]], axis=-1) ** (1 / 2.2)
    return np.repeat(np.repeat((rgb * 255).astype(np.uint8), 2, axis=0), 2, axis=1)


def write_pair(rgb_dir: Path, raw_dir: Path, stem: str, raw: np.ndarray, black: int, white: int) -> None:
    rgb_dir.mkdir(parents=True, exist_ok=True)
    raw_dir.mkdir(parents=True, exist_ok=True)
    (rgb_dir / f"{stem}.jpg").write_bytes(encode_jpeg(rgb_of(raw, black, white), 90))
    (raw_dir / f"{stem}.npy").write_bytes(npy_bytes(raw))


SPEC = """\
title = "AIM 2022 Reversed ISP (test bundle)"
reference = "aim2022"

[[tracks]]
name = "s7"
title = "Track 1: Samsung S7"
camera = "Samsung Galaxy S7, Sony IMX260"

[[tracks.splits]]
name = "train"
kind = "train"
rgb = "data-s7/train"
raw = "data-s7/train"

[[tracks.splits]]
name = "test1"
primary_metric = "psnr"
opens = 2022-07-01T00:00:00Z
closes = 2022-08-01T00:00:00Z
limit_per_day = 3
limit_total = 50
rgb = "data-s7/val_rgb"
gt = "{organiser}/s7-test1-gt"

[[tracks.splits]]
name = "test2"
visibility = "hidden"
full_resolution = true
full_rgb = "data-s7/test2_full_rgb"
full_gt = "{organiser}/s7-test2-full-gt"

[[tracks]]
name = "p20"
title = "Track 2: Huawei P20 Pro"
camera = "Huawei P20 Pro, Sony IMX380"
black = 60
white = 1020

[[tracks.splits]]
name = "train"
kind = "train"
rgb = "data-p20/train"
raw = "data-p20/train"

[[tracks.splits]]
name = "test1"
primary_metric = "ssim"
rgb = "data-p20/val_rgb"
gt = "{organiser}/p20-test1-gt"
"""


def make_aim_bundle(tmp: Path, *, seed: int = 0, organiser_inside: bool = False) -> AimBundle:
    rng = np.random.default_rng(seed)
    root = tmp / "aim2022"
    organiser = (root / "organiser") if organiser_inside else (tmp / "organiser")
    for track, patch, black, white in (("s7", S7_PATCH, 0, 1023), ("p20", P20_PATCH, 60, 1020)):
        data = root / f"data-{track}"
        for i in range(3):
            for k in range(2):
                write_pair(
                    data / "train", data / "train", f"{i}_{k}", raw_patch(rng, patch, black, white), black, white
                )
        for i in range(2):
            for k in range(2):
                stem = f"{10 + i}_{k}"
                write_pair(
                    data / "val_rgb",
                    organiser / f"{track}-test1-gt",
                    stem,
                    raw_patch(rng, patch, black, white),
                    black,
                    white,
                )
        if track == "s7":
            for i in range(2):
                rows, cols = GRID
                whole = np.concatenate(
                    [
                        np.concatenate([raw_patch(rng, patch, black, white) for _ in range(cols)], axis=1)
                        for _ in range(rows)
                    ]
                )
                write_pair(data / "test2_full_rgb", organiser / "s7-test2-full-gt", f"{20 + i}", whole, black, white)
    where = "organiser" if organiser_inside else str(organiser)
    (root / "challenge.toml").write_text(SPEC.replace("{organiser}", where))
    return AimBundle(root, organiser, tmp / "var")


@pytest.fixture
def aim(tmp_path) -> AimBundle:
    return make_aim_bundle(tmp_path)


def png_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()
