"""0noise's network (AIM 2022 Reversed ISP), reimplemented from the team's public description."""

from __future__ import annotations

import torch
from torch import nn

from baselines.registry import MethodCard, TrainRecipe, register
from harness.challenge import TrackSpec

C = 36
CARD = MethodCard(
    name="zeronoise",
    title="0noise: tone / colour-shift / lens-shading blocks, learned 2x2 mosaic",
    team="0noise",
    paper="AIM 2022 Reversed ISP challenge report (team 0noise)",
    kind="learned",
    fidelity="A",
    reported_params_m=0.17,
    reported_runtime_ms=19,
    multiple=2,
    expected_params={"s7": 171_112, "p20": 171_112},
    quirks=["training recipe not published: L1 and Adam here", "inference ran with AMP in the original (fp32 here)"],
    recipe=TrainRecipe(
        loss="l1",
        lr=1e-3,
        schedule="cosine",
        batch=4,
        crop=64,
        steps=120,
        seed=0,
        note="the team's recipe is not published; demo recipe: 120 steps of 4 crops of 64 px on a CPU",
    ),
)


def _c3(cin: int, cout: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, padding=1, padding_mode="reflect")


class ResBlock(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(_c3(C, 2 * C), nn.SiLU(), _c3(2 * C, C))
        self.act = nn.SiLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x + self.body(x))


class ZeroNoise(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.p = nn.Sequential(nn.Conv2d(3, C, 1), nn.SiLU())
        self.tone = nn.Sequential(*(m for _ in range(3) for m in (nn.Conv2d(C, C, 1), nn.SiLU())), nn.Conv2d(C, C, 1))
        self.rb1 = ResBlock()
        self.colour = nn.Sequential(*(m for _ in range(3) for m in (_c3(C, C), nn.SiLU())), nn.Conv2d(C, C, 1))
        self.rb2 = ResBlock()
        self.shading = nn.Sequential(_c3(C, C), nn.SiLU(), _c3(C, C), nn.SiLU(), _c3(C, C), nn.Sigmoid())
        self.out = nn.Conv2d(C, 4, 2, stride=2)  # the learned "mosaic" step

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xp = self.p(x)
        y = xp * self.tone(xp)
        y = self.rb1(y) * self.colour(xp)
        y = self.rb2(y) * self.shading(xp)
        y = torch.relu(self.out(y))
        return y if self.training else y.clamp(0, 1)


def build(track: TrackSpec) -> nn.Module:
    return ZeroNoise()


register(CARD, build)
