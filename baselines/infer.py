"""Running a method on a split: padding, tiling, quantisation, a prediction folder ``harness score`` takes.

Patches are predicted one by one; a full-resolution split (test2) can instead be predicted on the
stitched images under ``full/`` and cut back into the 6x8 grid (``<image>_<k>``, k = 8 row + col),
as MiAlgo and HIT-IIL did. Inputs are padded on the bottom and right (so the Bayer phase at the
origin is kept) to the size a network needs and the output is cropped: no pixel is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from baselines.blocks import pad_to
from baselines.data import load_rgb
from harness.challenge import SplitLayout, TrackSpec
from harness.challenge.grid import save_grid

TILE = 1024  # RGB pixels per tile side for whole images (a multiple of 16)
MARGIN = 64  # context around each tile, cropped away afterwards


def to_tensor(rgb: np.ndarray, device: torch.device | str) -> torch.Tensor:
    """uint8 H x W x 3 -> float32 1 x 3 x H x W in [0, 1] (the challenge's /255 normalisation)."""
    return torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None].to(device).float() / 255


def padded_forward(model, x: torch.Tensor, multiple: int) -> torch.Tensor:
    """model(x) with x padded on the bottom/right to a multiple of ``multiple``; output cropped to H/2 x W/2."""
    h, w = x.shape[-2:]
    if h % 2 or w % 2:
        raise ValueError(f"input {h}x{w}: height and width must be even (one RAW sample per 2x2 RGB pixels)")
    x = pad_to(x, multiple)
    out = model(x)
    expected = (x.shape[-2] // 2, x.shape[-1] // 2)
    if tuple(out.shape[-2:]) != expected or out.shape[1] != 4:
        raise RuntimeError(
            f"the network returned {tuple(out.shape[1:])} for input {tuple(x.shape[-2:])}; expected 4 x {expected}"
        )
    return out[..., : h // 2, : w // 2]


def tiled_forward(model, x: torch.Tensor, multiple: int, tile: int = TILE, margin: int = MARGIN) -> torch.Tensor:
    """Whole-image inference in overlapping tiles (bounded memory); equal to padded_forward below one tile."""
    h, w = x.shape[-2:]
    if h <= tile + 2 * margin and w <= tile + 2 * margin:
        return padded_forward(model, x, multiple)
    out = torch.empty((x.shape[0], 4, h // 2, w // 2), dtype=x.dtype, device=x.device)
    for y0 in range(0, h, tile):
        for x0 in range(0, w, tile):
            y1, x1 = min(y0 + tile, h), min(x0 + tile, w)
            ya, xa = max(0, y0 - margin), max(0, x0 - margin)
            yb, xb = min(h, y1 + margin), min(w, x1 + margin)
            part = padded_forward(model, x[..., ya:yb, xa:xb], multiple)
            oy, ox = (y0 - ya) // 2, (x0 - xa) // 2
            out[..., y0 // 2 : y1 // 2, x0 // 2 : x1 // 2] = part[
                ..., oy : oy + (y1 - y0) // 2, ox : ox + (x1 - x0) // 2
            ]
    return out


def quantise(raw: torch.Tensor) -> np.ndarray:
    """1 x 4 x h x w in [0, 1] -> uint16 h x w x 4: x1024, clipped, truncated (the challenge's rule)."""
    arr = raw[0].permute(1, 2, 0).float().cpu().numpy()
    return (np.clip(arr, 0.0, 1.0) * 1024.0).astype(np.uint16)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@dataclass
class SplitRun:
    mode: str  # patches | full
    n_inputs: int = 0
    seconds: list[float] = field(default_factory=list)  # per forward (patch or full image), synchronised
    files: list[str] = field(default_factory=list)


def run_split(
    model,
    track: TrackSpec,
    split: SplitLayout,
    out_dir: Path,
    *,
    multiple: int,
    device: torch.device,
    mode: str = "patches",
    on_progress: Callable[[int, int], None] | None = None,
) -> SplitRun:
    """Predict every input of a split into ``out_dir/<stem>.npy``; returns the timings."""
    out_dir.mkdir(parents=True, exist_ok=True)
    run = SplitRun(mode=mode)
    if mode == "full":
        inputs = split.full.rgb_files()
        if not inputs:
            raise FileNotFoundError(f"{split.full.rgb}: no full-resolution images (use mode 'patches')")
    elif mode == "patches":
        inputs = split.rgb_files()
    else:
        raise ValueError(f"mode must be 'patches' or 'full', got {mode!r}")
    model.eval()
    with torch.inference_mode():
        for i, path in enumerate(inputs):
            rgb = load_rgb(path)
            x = to_tensor(rgb, device)
            _sync(device)
            t0 = time.perf_counter()
            y = tiled_forward(model, x, multiple) if mode == "full" else padded_forward(model, x, multiple)
            _sync(device)
            run.seconds.append(time.perf_counter() - t0)
            raw = quantise(y)
            if mode == "full":
                run.files += save_grid(raw, path.stem, track.grid, track.patch, out_dir)
            else:
                np.save(out_dir / f"{path.stem}.npy", raw)
                run.files.append(f"{path.stem}.npy")
            run.n_inputs += 1
            if on_progress:
                on_progress(i + 1, len(inputs))
    return run
