"""The classical forward pipeline (RAW -> sRGB) as a network: the forward track's floor, no learning.

The stages of the challenge's ISP block, in order: black level and saturation, grey-world white
balance (red and blue means brought to the green mean of the image), Malvar-He-Cutler demosaic, the
track's colour matrix, sRGB gamma. The same arithmetic as ``harness.sim.classical`` (NumPy, the
sample submission of a forward track), here in torch so the measurement protocol counts and times it.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from baselines.registry import MethodCard, register
from harness.challenge import TrackSpec
from harness.sim.camera import MHC_KERNELS
from harness.sim.classical import classical_config


def srgb_gamma(x: torch.Tensor) -> torch.Tensor:
    """The sRGB transfer curve on linear values in [0, 1]."""
    x = x.clamp(0, 1)
    return torch.where(x <= 0.0031308, 12.92 * x, 1.055 * x.clamp_min(1e-12) ** (1 / 2.4) - 0.055)


def _sites() -> torch.Tensor:
    """1 x 4 x 2 x 2: one-hot masks of the R, Gr, Gb, B sites of an RGGB cell."""
    return F.pixel_shuffle(torch.eye(4).reshape(1, 16, 1, 1), 2).reshape(4, 2, 2)[None]


class Classical(nn.Module):
    """N x 4 x h x w packed RAW / normaliser -> N x 3 x 2h x 2w sRGB in [0, 1]."""

    def __init__(self, track: TrackSpec) -> None:
        super().__init__()
        cfg = classical_config(track)
        # constants of the track, not learned: kept out of any state dict (a network built on this one saves its own)
        self.register_buffer("black", torch.tensor(cfg.black / track.normaliser, dtype=torch.float32), persistent=False)
        self.register_buffer(
            "span", torch.tensor((cfg.white - cfg.black) / track.normaliser, dtype=torch.float32), persistent=False
        )
        self.register_buffer("ccm", torch.tensor(np.asarray(cfg.ccm), dtype=torch.float32), persistent=False)
        kernels = np.stack(MHC_KERNELS)[:, None]  # g at R/B, row, column, diagonal neighbours
        self.register_buffer("kernels", torch.tensor(kernels, dtype=torch.float32), persistent=False)
        self.register_buffer("sites", _sites(), persistent=False)

    def demosaic(self, lin: torch.Tensor) -> torch.Tensor:
        """Malvar-He-Cutler: packed N x 4 x h x w -> N x 3 x 2h x 2w (mirrored edges, as scipy's ``mirror``)."""
        n, _, h, w = lin.shape
        m = F.pixel_shuffle(lin, 2)  # the RGGB mosaic, N x 1 x 2h x 2w
        g, row, col, diag = F.conv2d(F.pad(m, (2, 2, 2, 2), mode="reflect"), self.kernels).unbind(1)
        r_s, gr_s, gb_s, b_s = self.sites.repeat(1, 1, h, w).unbind(1)
        m = m[:, 0]
        red = m * r_s + row * gr_s + col * gb_s + diag * b_s
        green = m * (gr_s + gb_s) + g * (r_s + b_s)
        blue = m * b_s + row * gb_s + col * gr_s + diag * r_s
        return torch.stack((red, green, blue), dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lin = ((x - self.black) / self.span).clamp(0, 1)
        means = lin.mean(dim=(2, 3), keepdim=True)
        green = (means[:, 1:2] + means[:, 2:3]) / 2
        gains = torch.cat(
            (
                green / means[:, :1].clamp_min(1e-6),
                torch.ones_like(green).expand(-1, 2, -1, -1),
                green / means[:, 3:].clamp_min(1e-6),
            ),
            dim=1,
        )
        rgb = self.demosaic((lin * gains).clamp(0, 1))
        rgb = torch.einsum("ij,njhw->nihw", self.ccm, rgb).clamp_min(0)
        return srgb_gamma(rgb)


def build(track: TrackSpec) -> nn.Module:
    return Classical(track)


register(
    MethodCard(
        name="classical",
        title="Classical ISP: black level, grey-world white balance, MHC demosaic, colour matrix, sRGB gamma",
        team="reference (the challenge's ISP block)",
        paper="Malvar, He, Cutler, High-quality linear interpolation for demosaicing of Bayer-patterned color images, ICASSP 2004",
        kind="model-based",
        fidelity="A",
        reported_params_m=0.0,
        multiple=1,
        direction="forward",
        quirks=[
            "the harness's own forward baseline (not a challenge entry): no tone mapping, no sharpening",
            "white balance by grey world over the whole input; the colour matrix is the track's camera's "
            "(IspConfig's default on a track without a simulated camera)",
        ],
    ),
    build,
)
