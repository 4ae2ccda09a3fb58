"""The organisers' official U-Net baseline (AIM 2022 Reversed ISP notebook), reimplemented."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from baselines.registry import MethodCard, TrainRecipe, register
from harness.challenge import TrackSpec

CARD = MethodCard(
    name="unet",
    title="Official U-Net baseline",
    team="organisers",
    paper="AIM 2022 Reversed ISP challenge, official baseline notebook",
    kind="learned",
    fidelity="A",
    multiple=4,
    expected_params={"s7": 1_861_764, "p20": 1_861_764},
    quirks=[
        "the decoder works at full RGB resolution and the output is resampled to H/2 x W/2 with nearest "
        "interpolation, i.e. one pixel of every 2x2 block is kept and three are discarded (kept, as in the original)",
        "the original hard-codes the output size per track (252 or 248); here it is H/2 x W/2 of the input",
        "the saved notebook trains on 100 pairs (DEBUG=True); the harness trains on the whole train split",
    ],
    recipe=TrainRecipe(
        loss="mse",
        lr=1e-3,
        weight_decay=1e-6,
        schedule="cosine",
        batch=4,
        crop=64,
        steps=200,
        seed=0,
        note="official: MSE, Adam lr 1e-3, weight decay 1e-6, batch 8, 504 px patches, 20 epochs; the demo "
        "recipe keeps the loss, optimiser and lr and trains 200 steps of 4 crops of 64 px (cosine decay) on a CPU",
    ),
    track_recipes={
        "p20": TrainRecipe(
            loss="mse",
            lr=1e-3,
            weight_decay=1e-6,
            schedule="cosine",
            batch=4,
            crop=96,
            steps=2000,
            seed=0,
            note="P20's RAW is zoomed and shifted against its RGB, so each target is a displaced copy the RGB "
            "cannot tell apart: the gradient is noisy and the best answer under MSE is the mean over the "
            "displacements, which takes many more samples to learn. Ten times the steps of the s7 recipe, on "
            "crops of 96 px (2.25 times the pixels per step, and less of each crop at its zero-padded border)",
        )
    },
)


def _double(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.enc1, self.enc2, self.enc3 = _double(3, 64), _double(64, 128), _double(128, 256)
        self.pool = nn.MaxPool2d(2)
        self.up1 = nn.ConvTranspose2d(256, 128, 2, stride=2)
        self.dec1 = _double(256, 128)
        self.up2 = nn.ConvTranspose2d(128, 64, 2, stride=2)
        self.dec2 = _double(128, 64)
        self.head = nn.Conv2d(64, 4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        e3 = self.enc3(self.pool(e2))
        self.pool(e3)  # the original pools once more and discards the result
        d1 = self.dec1(torch.cat((self.up1(e3), e2), dim=1))
        d2 = self.dec2(torch.cat((self.up2(d1), e1), dim=1))
        out = F.interpolate(self.head(d2), size=(h // 2, w // 2))  # nearest: the top-left pixel of each 2x2
        return out.clamp(0, 1)


def build(track: TrackSpec) -> nn.Module:
    return UNet()


register(CARD, build)
