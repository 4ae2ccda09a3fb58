"""Inputs and training pairs of a challenge split, and Bayer-phase-preserving augmentation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.challenge import SplitLayout
from harness.raw import pack, unpack
from harness.rgbio import read_rgb

# the packed channel at each site of an RGGB mosaic's 2x2 cell: R 0, Gr 1, Gb 2, B 3
_SITES = unpack(np.arange(4, dtype=np.uint8).reshape(1, 1, 4))


def load_rgb(path: Path) -> np.ndarray:
    """An sRGB input as uint8 H x W x 3 (RGB order)."""
    return read_rgb(path)


def load_raw(path: Path) -> np.ndarray:
    """A packed RAW ground truth, uint16 h x w x 4 (never unpickled)."""
    return np.load(path, allow_pickle=False)


@dataclass
class Pair:
    name: str
    rgb: np.ndarray  # uint8 H x W x 3
    raw: np.ndarray  # uint16 H/2 x W/2 x 4


def train_pairs(split: SplitLayout) -> list[Pair]:
    """Every (RGB, RAW) pair of a training split, by name."""
    pairs = []
    for raw_path in split.raw_files():
        rgb_path = split.rgb_of(raw_path.stem)
        if rgb_path is None:
            raise FileNotFoundError(f"{split.rgb}: the RGB input of {raw_path.name} is missing")
        rgb, raw = load_rgb(rgb_path), load_raw(raw_path)
        if rgb.shape[:2] != (2 * raw.shape[0], 2 * raw.shape[1]):
            raise ValueError(f"{raw_path.stem}: RGB {rgb.shape[:2]} is not twice RAW {raw.shape[:2]}")
        pairs.append(Pair(raw_path.stem, rgb, raw))
    if not pairs:
        raise FileNotFoundError(f"no training pairs under {split.root}")
    return pairs


def _d4(a: np.ndarray, k: int) -> np.ndarray:
    """The k-th of the 8 symmetries of the square (k = 0..7) on the first two axes."""
    if k >= 4:
        a = np.swapaxes(a, 0, 1)
    return np.rot90(a, k % 4, axes=(0, 1))


def random_crop(
    pair: Pair, size: int, rng: np.random.Generator, *, augment: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """An aligned (RGB size x size x 3, RAW size/2 x size/2 x 4) crop, optionally flipped/rotated.

    The transform is applied to the full-resolution mosaic and the RGB together, and the crop
    starts where the transformed mosaic has a red site, so every packed sample stays at its
    true position under the RGB pixel it belongs to (flipping the packed 4-channel array, as
    several teams did, shifts samples by one pixel). Transposing transforms put Gb sites where
    Gr sites were; both are green samples at their exact positions.
    """
    if size % 2:
        raise ValueError(f"crop size must be even, got {size}")
    k = int(rng.integers(8)) if augment else 0
    mosaic = _d4(unpack(pair.raw), k)
    rgb = _d4(pair.rgb, k)
    sites = _d4(np.tile(_SITES, (mosaic.shape[0] // 2, mosaic.shape[1] // 2)), k)
    py, px = (int(v[0]) for v in np.nonzero(sites[:2, :2] == 0))
    h, w = mosaic.shape
    if h - py < size or w - px < size:
        raise ValueError(f"{pair.name}: {h}x{w} is smaller than the crop {size}")
    y = py + 2 * int(rng.integers((h - py - size) // 2 + 1))
    x = px + 2 * int(rng.integers((w - px - size) // 2 + 1))
    return np.ascontiguousarray(rgb[y : y + size, x : x + size]), pack(
        np.ascontiguousarray(mosaic[y : y + size, x : x + size])
    )
