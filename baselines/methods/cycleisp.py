"""CycleISP's RGB2RAW branch (Zamir et al., CVPR 2020), reimplemented, trained on the challenge data."""

from __future__ import annotations

import torch
from torch import nn

from baselines.blocks import ChannelAttention, SpatialAttention, mosaic_rggb
from baselines.registry import MethodCard, TrainRecipe, register
from harness.challenge import TrackSpec

C = 96
CARD = MethodCard(
    name="cycleisp",
    title="CycleISP RGB2RAW branch",
    team="reference (Zamir et al.)",
    paper="CycleISP: Real Image Restoration via Improved Data Synthesis, CVPR 2020",
    kind="learned",
    fidelity="A",
    reported_params_m=3.14,
    multiple=2,
    expected_params={"s7": 3_143_109, "p20": 3_143_109},
    quirks=[
        "one PReLU is shared by every block of the branch (tied weights, counted once)",
        "the 3-channel output is at full resolution; the RGGB samples are picked by the mosaic operator",
        "trained from scratch on the challenge's train split (the released weights were trained on MIT-Adobe FiveK)",
        "the original generation script blurs the input (5x5, sigma 1) and pads to 512; not applied here",
    ],
    recipe=TrainRecipe(loss="l1", lr=2e-4, batch=2, crop=96, note="paper: L1, Adam 1e-4 cosine to 1e-6"),
)


class DAB(nn.Module):
    """Dual attention block: conv, act, conv; spatial and channel attention side by side; 1x1 fusion; residual."""

    def __init__(self, act: nn.Module) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(C, C, 3, padding=1), act, nn.Conv2d(C, C, 3, padding=1))
        self.spatial = SpatialAttention(3, bias=False)
        self.channel = ChannelAttention(C, 8)
        self.fuse = nn.Conv2d(2 * C, C, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r = self.body(x)
        return x + self.fuse(torch.cat((self.spatial(r), self.channel(r)), dim=1))


class RRG(nn.Module):
    def __init__(self, act: nn.Module) -> None:
        super().__init__()
        self.body = nn.Sequential(*(DAB(act) for _ in range(5)), nn.Conv2d(C, C, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class Rgb2Raw(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        act = nn.PReLU(C)  # one instance for the whole branch
        self.head = nn.Conv2d(3, C, 3, padding=1)
        self.body = nn.Sequential(*(RRG(act) for _ in range(3)), nn.Conv2d(C, C, 3, padding=1), act)
        self.tail = nn.Conv2d(C, 3, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = mosaic_rggb(self.tail(self.body(self.head(x))))
        return out if self.training else out.clamp(0, 1)


def build(track: TrackSpec) -> nn.Module:
    return Rgb2Raw()


register(CARD, build)
