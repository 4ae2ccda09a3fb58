"""Synthetic packed RAW images and prediction sets, for tests, benchmarks and the quick demo.

Images mix what matters to the metric: smooth illumination fields, fine texture and edges,
and clipped highlights at the white level. Everything is a pure function of the seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter

WHITE = 1023
CHANNEL_GAINS = np.array([0.55, 1.0, 1.0, 0.7])  # R, Gr, Gb, B of a daylight-ish scene


def synthetic_raw(
    rng: np.random.Generator, h: int, w: int, *, texture: float = 1.0, highlights: float = 0.03
) -> np.ndarray:
    """One packed RGGB image, uint16 (h, w, 4) in [0, 1023].

    ``highlights`` is roughly the fraction of pixels pushed past the white level (clipped).
    """
    base = gaussian_filter(rng.standard_normal((h, w)), sigma=min(max(h, w) / 8, 24.0), mode="reflect")
    base = (base - base.min()) / max(np.ptp(base), 1e-12)
    scene = 0.08 + 0.6 * base
    detail = gaussian_filter(rng.standard_normal((h, w)), sigma=0.8)
    scene = scene * (1 + 0.25 * texture * detail / max(detail.std(), 1e-12))
    for _ in range(max(1, (h * w) // 4000)):  # edges: a few flat rectangles
        r0, c0 = rng.integers(0, h), rng.integers(0, w)
        scene[r0 : r0 + rng.integers(2, max(3, h // 4)), c0 : c0 + rng.integers(2, max(3, w // 4))] *= rng.uniform(
            0.4, 1.6
        )
    if highlights > 0:
        thresh = np.quantile(scene, 1 - highlights)
        scene = np.where(scene >= thresh, scene * 3.0, scene)
    tint = CHANNEL_GAINS * rng.uniform(0.85, 1.15, 4)
    linear = scene[..., None] * tint * 900.0
    noisy = linear + rng.normal(0, 1, linear.shape) * np.sqrt(2.0 + 0.5 * np.maximum(linear, 0))
    return np.clip(np.round(noisy), 0, WHITE).astype(np.uint16)


def degrade(gt: np.ndarray, rng: np.random.Generator, kind: str) -> np.ndarray:
    """A plausible imperfect prediction of ``gt``: ``noisy``, ``blurred`` or ``biased``."""
    x = gt.astype(np.float64)
    if kind == "noisy":
        x = x + rng.normal(0, 6, x.shape)
    elif kind == "blurred":
        x = gaussian_filter(x, sigma=(1.0, 1.0, 0))
    elif kind == "biased":
        x = x * 0.97 + 5
    else:
        raise ValueError(f"unknown degradation {kind!r}; use noisy, blurred or biased")
    return np.clip(np.round(x), 0, 1024).astype(np.uint16)


def write_score_fixture(
    out: Path, *, n_images: int = 6, size: tuple[int, int] = (64, 64), seed: int = 0
) -> dict[str, Path]:
    """Write ``gt/`` and prediction sets ``preds/{noisy,blurred,biased}/`` under ``out``.

    Returns the folders by name. Image stems follow the challenge's ``<image>_<k>`` naming.
    """
    rng = np.random.default_rng(seed)
    out = Path(out)
    dirs = {"gt": out / "gt", **{k: out / "preds" / k for k in ("noisy", "blurred", "biased")}}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    for i in range(n_images):
        stem = f"{i // 48}_{i % 48}"
        gt = synthetic_raw(rng, *size)
        np.save(dirs["gt"] / f"{stem}.npy", gt)
        for kind in ("noisy", "blurred", "biased"):
            np.save(dirs[kind] / f"{stem}.npy", degrade(gt, rng, kind))
    for kind in ("noisy", "blurred", "biased"):
        (dirs[kind] / "readme.txt").write_text(
            "Runtime per image [s] : 0.01\nCPU[1] / GPU[0] : 1\nExtra Data [1] / No Extra Data [0] : 0\n"
            f"Other description : synthetic '{kind}' predictions made by the harness\n"
        )
    return dirs
