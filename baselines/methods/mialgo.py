"""MiAlgo's LiteISPNet_s with a shading head (AIM 2022 Reversed ISP), reimplemented."""

from __future__ import annotations

import torch
from torch import nn

from baselines.blocks import ChannelAttention, SpatialAttention
from baselines.registry import MethodCard, TrainRecipe, register
from harness.challenge import TrackSpec

CARD = MethodCard(
    name="mialgo",
    title="MiAlgo: LiteISPNet_s with shading head",
    team="MiAlgo",
    paper="AIM 2022 Reversed ISP challenge report (team MiAlgo)",
    kind="learned",
    fidelity="A",
    reported_params_m=4.5,
    reported_runtime_ms=18,
    reported_gpu="V100",
    full_resolution=True,
    multiple=16,
    expected_params={"s7": 4_537_202, "p20": 4_537_202},
    quirks=[
        "H and W must be divisible by 16: 504 px patches do not fit; the team stitched the 6x8 grid into full "
        "images (the harness pads patches instead, on the bottom and right, and crops the output)",
        "4,096 of the parameters are the frozen Haar wavelet filters, reported apart",
        "the output is mapped to [black, white] of the track (S7 0..1023, P20 60..1020), as in the team's test script",
        "training recipe not published: L1, Adam here",
    ],
    recipe=TrainRecipe(loss="l1", lr=2e-4, batch=4, crop=128),
)


def c3(cin: int, cout: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, padding=1)


class RCAB(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            c3(c, c), nn.ReLU(inplace=True), c3(c, c), ChannelAttention(c, 16), SpatialAttention(7, bias=True)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class RCAGroup(nn.Module):
    """nb residual attention blocks and a conv, with a long residual (the block and conv types can vary)."""

    def __init__(self, c: int, nb: int = 4, *, block=None, conv=None) -> None:
        super().__init__()
        block, conv = block or RCAB, conv or c3
        self.body = nn.Sequential(*(block(c) for _ in range(nb)), conv(c, c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def _haar() -> torch.Tensor:
    """The four orthonormal 2x2 Haar filters (LL, LH, HL, HH), shape 4 x 1 x 2 x 2."""
    return 0.5 * torch.tensor(
        [[[1, 1], [1, 1]], [[1, 1], [-1, -1]], [[1, -1], [1, -1]], [[1, -1], [-1, 1]]], dtype=torch.float32
    ).unsqueeze(1)


class DWT(nn.Module):
    """C x H x W -> 4C x H/2 x W/2: a frozen grouped 2x2 stride-2 conv."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c, 4 * c, 2, stride=2, groups=c, bias=False)
        self.conv.weight.data.copy_(_haar().repeat(c, 1, 1, 1))
        self.conv.weight.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class IDWT(nn.Module):
    """4C x H x W -> C x 2H x 2W: the exact inverse of DWT (orthonormal filters, transposed)."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv = nn.ConvTranspose2d(4 * c, c, 2, stride=2, groups=c, bias=False)
        self.conv.weight.data.copy_(_haar().repeat(c, 1, 1, 1))
        self.conv.weight.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class WaveletUNet(nn.Module):
    """LiteISPNet's body: three wavelet-downsampling stages, a middle, three inverse-wavelet stages with
    additive skips. MiAlgo and HIT-IIL differ in widths, layer types, head and tail."""

    def build_stages(self, widths: tuple[int, int, int], conv=c3, group=RCAGroup) -> None:
        c1, c2, cm = widths
        self.down1 = nn.Sequential(conv(c1, c1), group(c1), conv(c1, c1), DWT(c1))
        self.down2 = nn.Sequential(conv(4 * c1, c1), group(c1), DWT(c1))
        self.down3 = nn.Sequential(conv(4 * c1, c2), group(c2), DWT(c2))
        self.middle = nn.Sequential(conv(4 * c2, cm), group(cm), group(cm), conv(cm, 4 * c2))
        self.up3 = nn.Sequential(IDWT(c2), group(c2), conv(c2, 4 * c1))
        self.up2 = nn.Sequential(IDWT(c1), group(c1), conv(c1, 4 * c1))
        self.up1 = nn.Sequential(IDWT(c1), group(c1), conv(c1, c1))

    def stages(self, h: torch.Tensor, *, head_skip: bool) -> torch.Tensor:
        d1 = self.down1(h)
        d2 = self.down2(d1)
        d3 = self.down3(d2)
        u = self.up3(self.middle(d3) + d3) + d2
        u = self.up1(self.up2(u) + d1)
        return u + h if head_skip else u


class LiteISPNetS(WaveletUNet):
    def __init__(self, black: float, white: float, normaliser: float) -> None:
        super().__init__()
        c1 = 32
        self.head = nn.Conv2d(3, c1, 3, stride=2, padding=1)
        self.build_stages((c1, 64, 128))
        self.tail = nn.Sequential(c3(c1, 4), ChannelAttention(4, 4))
        self.shading = nn.Sequential(c3(c1, c1), nn.ReLU(inplace=True), c3(c1, 1), nn.Sigmoid())
        # the network predicts black-level-normalised RAW; the output is mapped back to the track's range
        self.register_buffer("black", torch.tensor(black / normaliser))
        self.register_buffer("span", torch.tensor((white - black) / normaliser))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u1 = self.stages(self.head(x), head_skip=False)
        out = self.tail(u1) * self.shading(u1)
        out = self.black + self.span * out
        return out if self.training else out.clamp(0, 1)


def build(track: TrackSpec) -> nn.Module:
    return LiteISPNetS(track.black, track.white, track.normaliser)


register(CARD, build)
