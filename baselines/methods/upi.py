"""Unprocessing (Brooks et al., CVPR 2019): sRGB -> RAW by inverting a simple ISP, no learning.

``upi`` is the deterministic "UPI-mean" setting: the expected value of the paper's random camera
(equal weights of its four XYZ->camera matrices, mean gains). ``upi-calibrated`` keeps the steps
but fits the colour matrix and gains per track by least squares on the train split (not in the
paper). Both map [0,1] RAW to the track's [black, white] range (the black-level option; it is the
identity on a track with black 0).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from baselines.blocks import mosaic_rggb
from baselines.registry import MethodCard, register
from harness.challenge import TrackSpec

RGB2XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
XYZ2CAMS = np.array(
    [
        [[1.0234, -0.2969, -0.2266], [-0.5625, 1.6328, -0.0469], [-0.0703, 0.2188, 0.6406]],
        [[0.4913, -0.0541, -0.0202], [-0.613, 1.3513, 0.2906], [-0.1564, 0.2151, 0.7183]],
        [[0.838, -0.263, -0.0639], [-0.2887, 1.0725, 0.2496], [-0.0627, 0.1427, 0.5438]],
        [[0.6596, -0.2079, -0.0562], [-0.4782, 1.3016, 0.1933], [-0.097, 0.1581, 0.5181]],
    ]
)
MEAN_GAINS = {"rgb": 1.25, "red": 2.15, "blue": 1.70}  # 1/E[N(0.8, 0.1)] and the means of U(1.9, 2.4), U(1.5, 1.9)


def mean_rgb2cam() -> np.ndarray:
    """rgb2cam of the paper's random camera at its mean: rows normalised to sum to 1."""
    m = XYZ2CAMS.mean(axis=0) @ RGB2XYZ
    return m / m.sum(axis=1, keepdims=True)


def linearise(x: torch.Tensor) -> torch.Tensor:
    """Inverse smoothstep tone curve, then gamma expansion (steps 1-2 of unprocessing)."""
    x = x.clamp(0, 1)
    x = 0.5 - torch.sin(torch.asin(1 - 2 * x) / 3)
    return x.clamp_min(1e-8) ** 2.2


class Unprocess(nn.Module):
    def __init__(self, rgb2cam: np.ndarray, gains: np.ndarray, black: float, white: float, normaliser: float) -> None:
        super().__init__()
        self.register_buffer("rgb2cam", torch.tensor(rgb2cam, dtype=torch.float32))
        self.register_buffer("gains", torch.tensor(gains, dtype=torch.float32))  # multiplied in (inverse WB)
        self.register_buffer("black", torch.tensor(black / normaliser))
        self.register_buffer("span", torch.tensor((white - black) / normaliser))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lin = linearise(x)
        cam = torch.einsum("ij,njhw->nihw", self.rgb2cam, lin)
        # safe inverse gains: blend toward 1 near white so highlights are not pushed out of range
        grey = cam.mean(dim=1, keepdim=True)
        mask = ((grey - 0.9).clamp_min(0) / 0.1) ** 2
        g = self.gains.view(1, 3, 1, 1)
        cam = cam * torch.maximum(mask + (1 - mask) * g, g)
        raw = mosaic_rggb(cam.clamp(0, 1))
        return (self.black + self.span * raw).clamp(0, 1)


def build_mean(track: TrackSpec) -> nn.Module:
    g = MEAN_GAINS
    gains = np.array([1 / g["red"], 1.0, 1 / g["blue"]]) / g["rgb"]
    return Unprocess(mean_rgb2cam(), gains, track.black, track.white, track.normaliser)


def fit_calibrated(model: Unprocess, pairs: list[tuple[np.ndarray, np.ndarray]], track: TrackSpec) -> dict:
    """Least squares of the RAW samples on the linearised RGB at the same Bayer sites, per colour.

    ``pairs``: (rgb uint8 H x W x 3, raw uint16 H/2 x W/2 x 4). Clipped RAW samples are left out.
    The fitted 3x3 matrix A = diag(gains) . CCM is split into gains (row sums) and a CCM whose rows
    sum to 1, as in the paper's parameterisation.
    """
    rows: dict[int, list] = {0: [], 1: [], 2: []}
    targets: dict[int, list] = {0: [], 1: [], 2: []}
    span = (track.white - track.black) / track.normaliser
    black = track.black / track.normaliser
    sites = ((0, 0, 0, 0), (1, 0, 1, 1), (2, 1, 0, 1), (3, 1, 1, 2))  # packed channel, dy, dx, colour
    for rgb, raw in pairs:
        lin = linearise(torch.from_numpy(np.array(rgb)).permute(2, 0, 1)[None].float() / 255)[0].numpy()
        y = (raw.astype(np.float64) / track.normaliser - black) / span
        ok = raw < track.white - 2
        for ch, dy, dx, colour in sites:
            feats = lin[:, dy::2, dx::2].reshape(3, -1).T
            keep = ok[..., ch].reshape(-1)
            rows[colour].append(feats[keep])
            targets[colour].append(y[..., ch].reshape(-1)[keep])
    a = np.zeros((3, 3))
    for colour in range(3):
        X, t = np.concatenate(rows[colour]), np.concatenate(targets[colour])
        a[colour] = np.linalg.lstsq(X, t, rcond=None)[0]
    gains = a.sum(axis=1)
    ccm = a / gains[:, None]
    model.rgb2cam.copy_(torch.tensor(ccm, dtype=torch.float32))
    model.gains.copy_(torch.tensor(gains, dtype=torch.float32))
    return {"ccm": ccm.round(5).tolist(), "gains": gains.round(5).tolist()}


COMMON = dict(
    team="reference (Brooks et al.)",
    paper="Unprocessing Images for Learned Raw Denoising, CVPR 2019",
    kind="model-based",
    fidelity="A",
    reported_params_m=0.0,
    multiple=2,
    expected_params={"s7": 0, "p20": 0},
)
register(
    MethodCard(
        name="upi",
        title="UPI (unprocessing), deterministic mean camera",
        quirks=[
            "UPI-mean: equal weights of the four XYZ->camera matrices, rgb gain 1.25, red 2.15, blue 1.70",
            "black-level option: RAW = black + (white - black) x (P20: 60..1020)",
            "no noise is added",
        ],
        **COMMON,
    ),
    build_mean,
)
register(
    MethodCard(
        name="upi-calibrated",
        title="UPI with colour matrix and gains fitted on the train split",
        quirks=["not in the paper: the CCM and gains are least-squares fits per track on the train split"],
        **COMMON,
    ),
    build_mean,
    fit=fit_calibrated,
)
