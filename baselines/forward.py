"""Running a forward method (RAW -> sRGB) on a split of a forward track, under the forward contract.

The contract of a forward track's network, the mirror of the reverse one (``harness.model_contract``):

- **input**: the packed RAW ``(h, w, 4)`` uint16 of the track (R, Gr, Gb, B) as float32
  ``1 x 4 x h x w``, divided by the track's normaliser (1024): values in [0, 1], black level included;
- **output**: float32 ``1 x 3 x 2h x 2w`` sRGB in [0, 1], quantised as ``round(255 * clip(y, 0, 1))``
  to 8 bits and written as ``<stem>.png``;
- no padding: a forward network takes any patch size (its convolutions pad themselves).

Model submissions (ONNX) are not taken on a forward track: the service's model contract is the
reverse one. Patches are predicted one by one; a forward track has no full-resolution mode.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from harness.challenge import SplitLayout, TrackSpec
from harness.rgbio import encode_png


def to_tensor(raw: np.ndarray, track: TrackSpec, device: torch.device | str) -> torch.Tensor:
    """uint16 h x w x 4 -> float32 1 x 4 x h x w, divided by the track's normaliser (the contract's input)."""
    x = np.ascontiguousarray(np.asarray(raw, dtype=np.float32).transpose(2, 0, 1)[None]) / np.float32(track.normaliser)
    return torch.from_numpy(x).to(device)


def quantise(y: torch.Tensor) -> np.ndarray:
    """1 x 3 x H x W in [0, 1] -> uint8 H x W x 3 (the contract's quantisation)."""
    if y.ndim != 4 or y.shape[0] != 1 or y.shape[1] != 3:
        raise ValueError(f"a forward model's output must be 1 x 3 x H x W, got {tuple(y.shape)}")
    arr = y.detach().float().cpu().numpy()[0].transpose(1, 2, 0)
    return np.round(np.clip(arr, 0.0, 1.0) * 255).astype(np.uint8)


def checked_forward(model, x: torch.Tensor) -> torch.Tensor:
    """``model(x)``, its shape checked: twice the input's height and width, 3 channels."""
    y = model(x)
    expected = (x.shape[0], 3, 2 * x.shape[-2], 2 * x.shape[-1])
    if tuple(y.shape) != expected:
        raise ValueError(f"a forward model must map {tuple(x.shape)} to {expected}, got {tuple(y.shape)}")
    return y


def run_forward_split(
    model,
    track: TrackSpec,
    split: SplitLayout,
    out_dir: Path,
    *,
    device: torch.device,
    on_progress: Callable[[int, int], None] | None = None,
):
    """Predict every RAW input of a forward split into ``out_dir/<stem>.png``; returns the timings (a ``SplitRun``)."""
    from baselines.infer import SplitRun

    out_dir.mkdir(parents=True, exist_ok=True)
    run = SplitRun(mode="patches")
    inputs = split.patch_inputs()
    model.eval()
    with torch.inference_mode():
        for i, path in enumerate(inputs):
            x = to_tensor(np.load(path, allow_pickle=False), track, device)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            t0 = time.perf_counter()
            y = checked_forward(model, x)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            run.seconds.append(time.perf_counter() - t0)
            (out_dir / f"{path.stem}.png").write_bytes(encode_png(quantise(y)))
            run.files.append(f"{path.stem}.png")
            run.n_inputs += 1
            if on_progress:
                on_progress(i + 1, len(inputs))
    return run
