"""Running a method on a split into a prediction folder ``harness score`` takes.

Padding, tiling, input scaling and quantisation are the model contract's
(:mod:`harness.model_contract`, which model submissions follow too); this module gives it torch's
padding and allocation. Patches are predicted one by one; a full-resolution split (test2) can
instead be predicted on the stitched images under ``full/`` and cut back into the 6x8 grid
(``<image>_<k>``, k = 8 row + col), as MiAlgo and HIT-IIL did.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from baselines.data import load_rgb
from harness import model_contract as contract
from harness.challenge import SplitLayout, TrackSpec
from harness.challenge.grid import save_grid

TILE, MARGIN = contract.TILE, contract.MARGIN


def torch_ops() -> contract.Ops:
    """The contract's padding (edge values, bottom and right) and allocation, on tensors (any device, meta too)."""
    import torch.nn.functional as F

    return contract.Ops(
        pad=lambda x, ph, pw: F.pad(x, (0, pw, 0, ph), mode="replicate"),
        empty=lambda x, shape: torch.empty(shape, dtype=x.dtype, device=x.device),
    )


def to_tensor(rgb: np.ndarray, device: torch.device | str) -> torch.Tensor:
    """uint8 H x W x 3 -> float32 1 x 3 x H x W in [0, 1] (the contract's input)."""
    return torch.from_numpy(contract.input_array(rgb)).to(device)


def padded_forward(model, x: torch.Tensor, multiple: int) -> torch.Tensor:
    """model(x) under the contract: padded to ``multiple``, output cropped to H/2 x W/2."""
    return contract.padded(model, x, multiple, torch_ops())


def tiled_forward(model, x: torch.Tensor, multiple: int, tile: int = TILE, margin: int = MARGIN) -> torch.Tensor:
    """Whole-image inference in the contract's tiles (bounded memory); equal to padded_forward below one tile."""
    return contract.tiled(model, x, multiple, torch_ops(), tile=tile, margin=margin)


def quantise(raw: torch.Tensor) -> np.ndarray:
    """1 x 4 x h x w in [0, 1] -> uint16 h x w x 4 (the contract's quantisation)."""
    return contract.quantise(raw.detach().float().cpu().numpy())


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
