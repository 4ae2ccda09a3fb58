"""Layers several methods share."""

from __future__ import annotations

import torch
from torch import nn


def conv(
    cin: int, cout: int, k: int = 3, *, stride: int = 1, bias: bool = True, padding_mode: str = "zeros"
) -> nn.Conv2d:
    return nn.Conv2d(
        cin,
        cout,
        k,
        stride=stride,
        padding=k // 2 if stride == 1 else (k - stride) // 2,
        bias=bias,
        padding_mode=padding_mode,
    )


def pad_to(x: torch.Tensor, multiple: int, phase: int = 0) -> torch.Tensor:
    """Replicate-pad the bottom and right so H and W are ``phase`` modulo ``multiple`` (origin and Bayer phase kept)."""
    import torch.nn.functional as F

    ph, pw = (phase - x.shape[-2]) % multiple, (phase - x.shape[-1]) % multiple
    return F.pad(x, (0, pw, 0, ph), mode="replicate") if ph or pw else x


def mosaic_rggb(x: torch.Tensor) -> torch.Tensor:
    """N x 3 x H x W -> N x 4 x H/2 x W/2 (R, Gr, Gb, B): each 2x2 cell's RGGB samples."""
    return torch.stack((x[:, 0, 0::2, 0::2], x[:, 1, 0::2, 1::2], x[:, 1, 1::2, 0::2], x[:, 2, 1::2, 1::2]), dim=1)


class ChannelAttention(nn.Module):
    """Squeeze-excitation: global average, 1x1 C -> C/r, ReLU, 1x1 C/r -> C, sigmoid gate."""

    def __init__(self, channels: int, reduction: int) -> None:
        super().__init__()
        mid = max(1, channels // reduction)
        self.body = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(channels, mid, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid, channels, 1),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.body(x)


class SpatialAttention(nn.Module):
    """Gate from [channel max, channel mean] through one k x k conv and a sigmoid."""

    def __init__(self, k: int, *, bias: bool) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 1, k, padding=k // 2, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = torch.cat((x.amax(dim=1, keepdim=True), x.mean(dim=1, keepdim=True)), dim=1)
        return x * torch.sigmoid(self.conv(pooled))
