"""The model contract: how every network that maps sRGB to packed RAW is fed and read.

One module for every runner: the baselines (PyTorch tensors, ``baselines/infer.py``) and the
model submissions (NumPy arrays through ONNX Runtime, ``submissions/model/child.py``) call these
functions, so both predict the same way by construction:

- **input**: 8-bit sRGB ``H x W x 3`` -> float32 ``1 x 3 x H x W``, value / 255; H and W even;
- **padding**: bottom and right only, repeating the edge values (the origin, hence the Bayer
  phase, is kept), up to a multiple of the model's ``multiple``; the output is cropped back to
  ``H/2 x W/2``;
- **tiling**: a full-resolution image is run in ``TILE`` px tiles with ``MARGIN`` px of context
  on each side, cropped away afterwards (an image that fits one tile and its margins goes in
  one pass, as does every image in mode "whole");
- **output**: float32 ``1 x 4 x H/2 x W/2`` (R, Gr, Gb, B) in [0, 1]; quantised as x1024,
  clipped to [0, 1024], truncated to uint16 ``h x w x 4``.

The array functions take the operations they need (``forward``, ``pad``, ``empty``) from the
caller, so this module imports neither torch nor onnxruntime: :func:`numpy_ops` gives the NumPy
ones. The manifest that tells a runner a model's multiple and mode is
:mod:`harness.model_manifest`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

TILE = 1024  # RGB pixels per tile side for whole images (a multiple of 16)
MARGIN = 64  # context around each tile, cropped away afterwards
INPUT_SCALE = 255.0  # the 8-bit sRGB value / 255
OUTPUT_SCALE = 1024.0  # the RAW value in DN / 1024


class ContractError(ValueError):
    """An input the contract cannot take or an output it cannot read; the message says which."""


@dataclass(frozen=True)
class Ops:
    """What the contract needs of an array library: ``pad(x, ph, pw)`` repeats the bottom and right edges,
    ``empty(x, shape)`` allocates an array like ``x`` (its dtype and device)."""

    pad: Callable[[Any, int, int], Any]
    empty: Callable[[Any, tuple[int, ...]], Any]


def numpy_ops() -> Ops:
    return Ops(
        pad=lambda x, ph, pw: np.pad(x, ((0, 0), (0, 0), (0, ph), (0, pw)), mode="edge"),
        empty=lambda x, shape: np.empty(shape, dtype=x.dtype),
    )


@dataclass(frozen=True)
class Window:
    """One tile: its own RGB rows/columns ``[y0, y1) x [x0, x1)`` and, with context, ``[ya, yb) x [xa, xb)``."""

    y0: int
    y1: int
    x0: int
    x1: int
    ya: int
    yb: int
    xa: int
    xb: int


def input_array(rgb: np.ndarray) -> np.ndarray:
    """uint8 ``H x W x 3`` -> float32 ``1 x 3 x H x W`` in [0, 1]; H and W must be even."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ContractError(f"input: expected uint8 H x W x 3, got {rgb.dtype} {tuple(rgb.shape)}")
    check_even(rgb.shape[0], rgb.shape[1])
    return np.ascontiguousarray(rgb.transpose(2, 0, 1))[None].astype(np.float32) / np.float32(INPUT_SCALE)


def check_even(h: int, w: int) -> None:
    if h % 2 or w % 2:
        raise ContractError(f"input {h}x{w}: height and width must be even (one RAW sample per 2x2 RGB pixels)")


def pad_amounts(h: int, w: int, multiple: int) -> tuple[int, int]:
    """Rows and columns added at the bottom and right so both sides are multiples of ``multiple``."""
    return -h % multiple, -w % multiple


def one_pass(h: int, w: int, *, tile: int = TILE, margin: int = MARGIN, whole: bool = False) -> bool:
    """Whether an ``h x w`` image goes through the model in one pass rather than in tiles."""
    return whole or (h <= tile + 2 * margin and w <= tile + 2 * margin)


def tile_windows(h: int, w: int, *, tile: int = TILE, margin: int = MARGIN) -> list[Window]:
    """The tiles of an ``h x w`` image, row by row; with context clipped at the image's borders."""
    out = []
    for y0 in range(0, h, tile):
        for x0 in range(0, w, tile):
            y1, x1 = min(y0 + tile, h), min(x0 + tile, w)
            ya, yb = max(0, y0 - margin), min(h, y1 + margin)
            out.append(Window(y0, y1, x0, x1, ya, yb, max(0, x0 - margin), min(w, x1 + margin)))
    return out


def run_shapes(
    h: int, w: int, multiple: int, *, tile: int = TILE, margin: int = MARGIN, whole: bool = False
) -> list[tuple[int, int]]:
    """The padded input sizes the model sees for an ``h x w`` image (one per tile)."""
    if one_pass(h, w, tile=tile, margin=margin, whole=whole):
        sizes = [(h, w)]
    else:
        sizes = [(t.yb - t.ya, t.xb - t.xa) for t in tile_windows(h, w, tile=tile, margin=margin)]
    return [(th + ph, tw + pw) for th, tw in sizes for ph, pw in [pad_amounts(th, tw, multiple)]]


def padded(forward: Callable[[Any], Any], x: Any, multiple: int, ops: Ops) -> Any:
    """``forward`` on ``x`` (N x 3 x H x W) padded to ``multiple``; the output cropped to N x 4 x H/2 x W/2."""
    h, w = x.shape[-2:]
    check_even(h, w)
    ph, pw = pad_amounts(h, w, multiple)
    if ph or pw:
        x = ops.pad(x, ph, pw)
    y = forward(x)
    expected = (x.shape[0], 4, x.shape[-2] // 2, x.shape[-1] // 2)
    if tuple(getattr(y, "shape", ())) != expected:
        raise ContractError(
            f"for an input of {x.shape[-2]}x{x.shape[-1]} the model returned "
            f"{tuple(getattr(y, 'shape', ()))}; expected {expected}"
        )
    return y[..., : h // 2, : w // 2]


def tiled(
    forward: Callable[[Any], Any],
    x: Any,
    multiple: int,
    ops: Ops,
    *,
    tile: int = TILE,
    margin: int = MARGIN,
    whole: bool = False,
) -> Any:
    """A full-resolution image: in tiles with context (bounded memory); equal to :func:`padded` in one pass."""
    h, w = x.shape[-2:]
    if one_pass(h, w, tile=tile, margin=margin, whole=whole):
        return padded(forward, x, multiple, ops)
    check_even(h, w)
    if tile % 2 or margin % 2:
        raise ContractError(f"tile {tile} and margin {margin} must be even")
    out = None
    for t in tile_windows(h, w, tile=tile, margin=margin):
        part = padded(forward, x[..., t.ya : t.yb, t.xa : t.xb], multiple, ops)
        if out is None:
            out = ops.empty(part, (x.shape[0], 4, h // 2, w // 2))
        oy, ox = (t.y0 - t.ya) // 2, (t.x0 - t.xa) // 2
        out[..., t.y0 // 2 : t.y1 // 2, t.x0 // 2 : t.x1 // 2] = part[
            ..., oy : oy + (t.y1 - t.y0) // 2, ox : ox + (t.x1 - t.x0) // 2
        ]
    return out


def quantise(y: np.ndarray) -> np.ndarray:
    """float ``1 x 4 x h x w`` in [0, 1] -> uint16 ``h x w x 4``: x1024, clipped, truncated (the challenge's rule)."""
    if y.ndim != 4 or y.shape[0] != 1 or y.shape[1] != 4:
        raise ContractError(f"output: expected 1 x 4 x h x w, got {tuple(y.shape)}")
    return (np.clip(y[0].transpose(1, 2, 0).astype(np.float32), 0.0, 1.0) * np.float32(OUTPUT_SCALE)).astype(np.uint16)
