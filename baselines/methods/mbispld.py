"""Model-based ISP with learnable dictionaries (MBISPLD, Conde et al., AAAI 2022): the reverse pass, reimplemented.

sRGB -> learned inverse tone curve (per-pixel MLP) -> learned inverse gamma -> colour matrix as a
mix of dictionary atoms chosen by an encoder -> white balance / digital gain as a mix of gain atoms
chosen by a second encoder -> lens shading (a radial Gaussian and a learned attention mask) -> RGGB
mosaic. There is no public code: the encoders, the dictionary size and the training schedule are
guesses sized to the paper's ~0.59 M parameters, and only the RAW loss is used (the paper also
supervises every intermediate image, which needs forward-ISP ground truth the challenge does not give).
"""

from __future__ import annotations

import torch
from torch import nn

from baselines.blocks import mosaic_rggb
from baselines.registry import MethodCard, TrainRecipe, register
from harness.challenge import TrackSpec

ATOMS = 16
CARD = MethodCard(
    name="mbispld",
    title="MBISPLD reimplementation (model-based ISP with learnable dictionaries)",
    team="organisers (Conde et al.)",
    paper="Model-Based Image Signal Processors via Learnable Dictionaries, AAAI 2022",
    kind="learned",
    fidelity="C",
    reported_params_m=0.59,
    multiple=16,
    quirks=[
        "a reimplementation from the paper's structure: encoder design, dictionary size (16 atoms), gamma "
        "parameterisation and training schedule are unknown and chosen here",
        "trained on the RAW loss only; the paper's losses on the intermediate images are not possible here",
        "RAW is mapped to the track's [black, white] range as the other model-based baselines do",
    ],
    recipe=TrainRecipe(
        loss="mse",
        lr=2e-3,
        schedule="cosine",
        batch=4,
        crop=64,
        steps=300,
        seed=0,
        note="demo recipe (the paper's schedule is unknown): 300 steps of 4 crops of 64 px, about 6 min on 2 CPU cores",
    ),
)


class Encoder(nn.Module):
    """A small CNN pooled to one vector: softmax weights over the dictionary atoms."""

    def __init__(self, atoms: int) -> None:
        super().__init__()
        widths = (3, 32, 64, 128, 128)
        layers: list[nn.Module] = []
        for cin, cout in zip(widths, widths[1:], strict=False):
            layers += [nn.Conv2d(cin, cout, 3, stride=2, padding=1), nn.ReLU(inplace=True)]
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Sequential(nn.Linear(128, 320), nn.ReLU(inplace=True), nn.Linear(320, atoms))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)).softmax(dim=-1)


class ReverseISP(nn.Module):
    def __init__(self, black: float, white: float, normaliser: float, atoms: int = ATOMS) -> None:
        super().__init__()
        self.tone = nn.Sequential(
            nn.Conv2d(3, 32, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 32, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 32, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 3, 1),
        )
        self.log_gamma = nn.Parameter(torch.log(torch.tensor(2.2)))
        eye = torch.eye(3).expand(atoms, 3, 3).clone()
        self.ccm_atoms = nn.Parameter(eye + 0.05 * torch.randn(atoms, 3, 3))
        self.ccm_encoder = Encoder(atoms)
        self.wb_atoms = nn.Parameter(torch.empty(atoms, 3).uniform_(1, 2))  # global, red, blue gains
        self.wb_encoder = Encoder(atoms)
        self.shading_sigma = nn.Parameter(torch.tensor(1.0))
        self.shading = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 32, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 1, 3, padding=1),
            nn.Sigmoid(),
        )
        self.register_buffer("black", torch.tensor(black / normaliser))
        self.register_buffer("span", torch.tensor((white - black) / normaliser))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = (x + self.tone(x)).clamp(0, 1)  # inverse tone mapping (residual per-pixel curve)
        x2 = x1.clamp_min(1e-6) ** self.log_gamma.exp()  # inverse gamma
        atoms = self.ccm_atoms / self.ccm_atoms.abs().sum(dim=1, keepdim=True)  # l1-normalised columns
        ccm = torch.einsum("na,aij->nij", self.ccm_encoder(x2), atoms)
        x3 = torch.einsum("nij,njhw->nihw", ccm, x2)
        g = self.wb_encoder(x3) @ self.wb_atoms  # N x 3: global, red, blue
        gains = torch.stack((g[:, 1], torch.ones_like(g[:, 0]), g[:, 2]), dim=1) * g[:, :1]
        x4 = x3 / gains.view(-1, 3, 1, 1)  # inverse white balance and digital gain
        h, w = x.shape[-2:]
        yy = torch.linspace(-1, 1, h, device=x.device).view(h, 1)
        xx = torch.linspace(-1, 1, w, device=x.device).view(1, w)
        radial = torch.exp(-(yy**2 + xx**2) / (2 * self.shading_sigma**2 + 1e-6))
        x5 = x4 * radial * self.shading(x)  # lens shading: radial Gaussian and learned attention
        raw = mosaic_rggb(x5)
        out = self.black + self.span * raw
        return out if self.training else out.clamp(0, 1)


def build(track: TrackSpec) -> nn.Module:
    return ReverseISP(track.black, track.white, track.normaliser)


register(CARD, build)
