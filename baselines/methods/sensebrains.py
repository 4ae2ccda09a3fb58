"""SenseBrains' overexposure mask fusion (AIM 2022 Reversed ISP), reimplemented.

Two identical U-Nets read the sRGB input plus a binary overexposure mask (luma >= 0.978) and each
predict a full-resolution 3-channel "demosaiced RAW"; the OE network's output is taken where the
mask is 1 and the NOE network's where it is 0; the RGGB samples of the fused image are the RAW.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from baselines.blocks import mosaic_rggb, pad_to
from baselines.registry import MethodCard, TrainRecipe, register
from harness.challenge import TrackSpec

THRESHOLD = 0.978
LUMA = (0.299, 0.587, 0.114)
CARD = MethodCard(
    name="sensebrains",
    title="SenseBrains: overexposure mask fusion of two U-Nets",
    team="SenseBrains",
    paper="AIM 2022 Reversed ISP challenge report (team SenseBrains); overexposure-mask-reverse-ISP",
    kind="learned",
    fidelity="B",
    reported_params_m=69,
    reported_runtime_ms=50,
    reported_gpu="V100",
    multiple=2,
    expected_params={"s7": 69_055_494, "p20": 69_055_494},
    quirks=[
        "each U-Net pads its input with the constant 1 by 4 pixels per side, so (H + 8) must be divisible by 16: "
        "504 works, 496 (P20) does not; here the input is first padded (replicate, bottom/right) to the next "
        "size that fits and the output cropped, so P20 runs too",
        "the team's targets are demosaiced by a pre-trained DemosaicNet that is not public; not reproduced: "
        "the harness trains the fused output on the packed RAW (L1)",
        "BatchNorm running statistics are buffers (13,718 values), not parameters",
    ],
    recipe=TrainRecipe(loss="l1", lr=1e-4, batch=2, crop=120, note="crop 120: (120 + 8) is a multiple of 16"),
)


def overexposure(x: torch.Tensor) -> torch.Tensor:
    """N x 3 x H x W sRGB in [0, 1] -> N x 1 x H x W, 1 where luma >= 0.978."""
    w = torch.tensor(LUMA, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return ((x * w).sum(dim=1, keepdim=True) >= THRESHOLD).to(x.dtype)


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


def _up(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Upsample(scale_factor=2), nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class UNet(nn.Module):
    """5 levels (64..1024), max-pool down, nearest-upsample + conv up, concatenated skips; 34,527,747 params."""

    def __init__(self, cin: int = 4, cout: int = 3) -> None:
        super().__init__()
        f = (64, 128, 256, 512, 1024)
        self.down = nn.ModuleList([_block(cin, f[0])] + [_block(f[i], f[i + 1]) for i in range(4)])
        self.ups = nn.ModuleList([_up(f[i + 1], f[i]) for i in reversed(range(4))])
        self.dec = nn.ModuleList([_block(2 * f[i], f[i]) for i in reversed(range(4))])
        self.out = nn.Conv2d(f[0], cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        x = F.pad(x, (4, 4, 4, 4), value=1.0)
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        x = skips.pop()
        for up, dec in zip(self.ups, self.dec, strict=True):
            x = dec(torch.cat((skips.pop(), up(x)), dim=1))
        return self.out(x)[..., 4 : 4 + h, 4 : 4 + w].clamp(0, 1)


class MaskFusion(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.oe = UNet()
        self.noe = UNet()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        x = pad_to(x, 16, phase=8)  # the +8 rule, made explicit: (H + 8) % 16 == 0
        mask = overexposure(x)
        inp = torch.cat((x, mask), dim=1)
        fused = mask * self.oe(inp) + (1 - mask) * self.noe(inp)
        return mosaic_rggb(fused[..., :h, :w])


def build(track: TrackSpec) -> nn.Module:
    return MaskFusion()


register(CARD, build)
