"""CVIP's RISP (AIM 2022 Reversed ISP), reimplemented: dense residual blocks with channel and pixel attention."""

from __future__ import annotations

import torch
from torch import nn

from baselines.blocks import ChannelAttention, mosaic_rggb
from baselines.registry import MethodCard, TrainRecipe, register
from harness.challenge import TrackSpec

C = 64
CARD = MethodCard(
    name="cvip",
    title="CVIP: RISP (dense residual blocks, channel + pixel attention)",
    team="CVIP",
    paper="AIM 2022 Reversed ISP challenge report (team CVIP); public code RISP_ECCVW",
    kind="learned",
    fidelity="A",
    reported_params_m=2.8,
    reported_runtime_ms=400,
    multiple=2,
    expected_params={"s7": 2_850_203, "p20": 2_850_203},
    quirks=[
        "the public code declares 3,110,695 parameters; 260,492 sit in modules it never calls (each block's "
        "transposed conv, each DRDB's extra 1x1), so the reported 2.8 M is the used count; this "
        "reimplementation declares only what the forward pass uses",
        "the team's flips of the packed RAW shift samples by a pixel and its 90/180 degree rotations never fire "
        "(a typo); the harness trains with its own Bayer-phase-preserving augmentation",
        "training here: L1 (the team adds an SSIM term), Adam",
    ],
    recipe=TrainRecipe(loss="l1", lr=1e-4, batch=2, crop=96, note="team: L1 + SSIM (window 11), Adam amsgrad"),
)


def _c3(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(cin, cout, 3))


class DenseUnit(nn.Module):
    def __init__(self, cin: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, C, 3, padding=1),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(C, C, 3, padding=1),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(C, C, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat((x, self.body(x)), dim=1)


class PixelChannelAttention(nn.Module):
    """Channel attention, then a 1x1 pixel-attention gate, beside a parallel 1x1 conv."""

    def __init__(self) -> None:
        super().__init__()
        self.channel = ChannelAttention(C, 16)
        self.pixel = nn.Conv2d(C, C, 1)
        self.side = nn.Conv2d(C, C, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.channel(x)
        return y * torch.sigmoid(self.pixel(y)) + self.side(x)


class DRDB(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.dense = nn.Sequential(DenseUnit(C), DenseUnit(2 * C), DenseUnit(3 * C))
        self.fuse = nn.Conv2d(4 * C, C, 1)
        self.attention = PixelChannelAttention()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.fuse(self.dense(x)) + x
        return self.attention(y) + x


class RISP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.head = nn.Sequential(_c3(3, C), nn.ReLU(inplace=True), _c3(C, C), nn.ReLU(inplace=True))
        self.body = nn.Sequential(*(DRDB() for _ in range(6)))
        self.tail = _c3(C, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.head(x)
        out = mosaic_rggb(self.tail(self.body(h) + h))
        return out if self.training else out.clamp(0, 1)


def build(track: TrackSpec) -> nn.Module:
    return RISP()


register(CARD, build)
