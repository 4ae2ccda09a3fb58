"""Test-time augmentation over the 8 flips/rotations that keeps every RAW sample at its Bayer site.

Flipping an sRGB image and its predicted RAW back, as teams did, moves each sample one pixel:
after a horizontal flip the red site of a 2x2 cell sits at an odd column, yet the network predicts
red at even ones. Here each flipped axis is first padded by one pixel on both sides (replicate),
so every site of the original lands on a site of the same colour; the prediction is unpacked to
the full-resolution mosaic, the padding cut, the transform undone on the mosaic, and the 8
mosaics averaged. A transpose maps Gr sites to Gb sites and back: the same colour, the other
green channel. With a network that is a per-pixel colour map followed by the mosaic, the TTA
output equals the plain one exactly (tested).
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn

from baselines.infer import padded_forward

# (transpose, flip rows, flip columns): the 8 symmetries of the square
TRANSFORMS = list(itertools.product((False, True), repeat=3))


def _apply(x: torch.Tensor, transpose: bool, flip_h: bool, flip_w: bool) -> torch.Tensor:
    if transpose:
        x = x.transpose(-2, -1)
    dims = [d for d, on in ((-2, flip_h), (-1, flip_w)) if on]
    return x.flip(dims) if dims else x


def _undo(x: torch.Tensor, transpose: bool, flip_h: bool, flip_w: bool) -> torch.Tensor:
    dims = [d for d, on in ((-2, flip_h), (-1, flip_w)) if on]
    x = x.flip(dims) if dims else x
    return x.transpose(-2, -1) if transpose else x


def predict_transformed(model, x: torch.Tensor, multiple: int, t: tuple[bool, bool, bool], phase_exact: bool = True):
    """The packed RAW prediction for ``x`` (N x 3 x H x W) through transform ``t``, in x's own coordinates."""
    xt = _apply(x, *t)
    pad_h, pad_w = (t[1], t[2]) if phase_exact else (False, False)
    if pad_h or pad_w:
        xt = F.pad(xt, (int(pad_w), int(pad_w), int(pad_h), int(pad_h)), mode="replicate")
    mosaic = F.pixel_shuffle(padded_forward(model, xt, multiple), 2)  # R, Gr, Gb, B -> their 2x2 sites
    mosaic = mosaic[..., int(pad_h) : mosaic.shape[-2] - int(pad_h), int(pad_w) : mosaic.shape[-1] - int(pad_w)]
    return F.pixel_unshuffle(_undo(mosaic, *t), 2)


class DihedralTTA(nn.Module):
    """Eval-time mean over the 8 Bayer-exact flips/rotations of ``inner``; training calls ``inner`` alone.

    The state dict is the inner network's (its keys are accepted without the ``inner.`` prefix), so a
    variant shares its base method's weights file.
    """

    tta = True

    def __init__(self, inner: nn.Module, multiple: int) -> None:
        super().__init__()
        self.inner = inner
        self.multiple = multiple
        self.register_load_state_dict_pre_hook(self._accept_plain_keys)

    @staticmethod
    def _accept_plain_keys(_module, state_dict, prefix, *_args) -> None:
        for key in list(state_dict):
            if key.startswith(prefix) and not key.startswith(prefix + "inner."):
                state_dict[prefix + "inner." + key[len(prefix) :]] = state_dict.pop(key)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            return self.inner(x)
        total = None
        for t in TRANSFORMS:
            y = predict_transformed(self.inner, x, self.multiple, t)
            total = y if total is None else total + y
        return total / len(TRANSFORMS)
