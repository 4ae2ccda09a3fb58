"""HIT-IIL's networks (AIM 2022 Reversed ISP), reimplemented: a spectral-normalised LiteISPNet for S7,
NAFNet-w64 on the 2x2-pooled input for P20. The optical-flow-aligned supervision of their training
(GCM + PWC-Net, weights not available here) is not reproduced."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from baselines.blocks import pad_to
from baselines.methods.mialgo import RCAGroup, WaveletUNet
from baselines.methods.upi import linearise
from baselines.registry import MethodCard, TrainRecipe, register
from baselines.tta import DihedralTTA
from harness.challenge import TrackSpec

CARD = MethodCard(
    name="hitiil",
    title="HIT-IIL: LiteISPNet (S7) / NAFNet-w64 (P20), without the optical-flow alignment",
    team="HIT-IIL",
    paper="AIM 2022 Reversed ISP challenge report (team HIT-IIL); LiteISPNet (Zhang et al., ICCV 2021), NAFNet",
    kind="learned",
    fidelity="B",
    reported_params_m=116,
    reported_runtime_ms=19818,
    full_resolution=True,
    multiple=32,
    expected_params={"s7": 8_884_692, "p20": 116_024_580},
    quirks=[
        "a different network per track: the report's 116 M is the P20 NAFNet; the S7 net has 8.9 M (8,192 frozen Haar)",
        "not reproduced: the training-time alignment (global colour mapping + PWC-Net flow warping of the GT); "
        "labelled a re-run without alignment",
        "every conv of the S7 net is spectral-normalised (its u/v vectors are buffers, not parameters)",
        "both nets linearise the input first (inverse smoothstep, gamma 2.2); P20 also 2x2-average-pools it",
        "the reported 19.8 s is CPU inference on stitched full images, probably with 8x TTA",
        "P20: the channel attention's statistics are local box means (window 288/504 of the feature map "
        "per side, replicate-padded back), so its 1x1 conv runs at every pixel: 75.6 GMACs at 496, not 66.0 "
        "as with a global mean; the team's module fixes the window on its first call, here it follows each "
        "input; a window of at least 1 (the original divides by zero on maps under 2 pixels)",
    ],
    recipe=TrainRecipe(
        loss="l1",
        lr=3e-4,
        weight_decay=0.01,
        batch=2,
        crop=128,
        note="team: AdamW 3e-4, cosine; L1 + SSIM + VGG on aligned targets",
    ),
)


def sn_conv(cin: int, cout: int, k: int = 3) -> nn.Module:
    return spectral_norm(nn.Conv2d(cin, cout, k, padding=k // 2))


class SNRCAB(nn.Module):
    """conv, ReLU, conv, channel attention (r 16); every conv spectral-normalised (no spatial attention,
    unlike MiAlgo's block: the count 8,884,692 holds only without it)."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.body = nn.Sequential(sn_conv(c, c), nn.ReLU(inplace=True), sn_conv(c, c))
        self.ca = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), sn_conv(c, c // 16, 1), nn.ReLU(inplace=True), sn_conv(c // 16, c, 1), nn.Sigmoid()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y * self.ca(y)


def SNRCAGroup(c: int) -> RCAGroup:  # noqa: N802 - a layer constructor
    return RCAGroup(c, block=SNRCAB, conv=sn_conv)


class LiteISPNet(WaveletUNet):
    def __init__(self) -> None:
        super().__init__()
        c1 = 64
        self.head = sn_conv(3, c1)
        self.build_stages((c1, 128, 128), conv=sn_conv, group=SNRCAGroup)
        self.tail = nn.Sequential(sn_conv(c1, 16), nn.PixelUnshuffle(2), sn_conv(64, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.tail(self.stages(self.head(linearise(x)), head_skip=True))
        return out if self.training else out.clamp(0, 1)


class LayerNorm2d(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.bias = nn.Parameter(torch.zeros(c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu = x.mean(1, keepdim=True)
        var = (x - mu).pow(2).mean(1, keepdim=True)
        return (x - mu) / torch.sqrt(var + 1e-6) * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


class LocalMean(nn.Module):
    """The P20 net's channel-attention statistics: a box mean, not a global one.

    The window is ``BASE / TRAIN`` of the feature map in each dimension (a 288 px window at the
    504 px training size, scaled to whatever map arrives); the valid part is replicate-padded,
    centred, back to the map's size, so the attention's 1x1 conv that follows runs at every pixel.
    """

    BASE, TRAIN = 288, 504

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        k1, k2 = max(1, h * self.BASE // self.TRAIN), max(1, w * self.BASE // self.TRAIN)
        # an integral image: O(1) per pixel whatever the window (a pooling kernel of ~150 x 150 is not)
        s = F.pad(x.cumsum(-1).cumsum(-2), (1, 0, 1, 0))
        out = (s[..., k1:, k2:] - s[..., :-k1, k2:] - s[..., k1:, :-k2] + s[..., :-k1, :-k2]) / (k1 * k2)
        dh, dw = h - out.shape[-2], w - out.shape[-1]
        if dh or dw:
            out = F.pad(out, (dw // 2, (dw + 1) // 2, dh // 2, (dh + 1) // 2), mode="replicate")
        return out


class NAFBlock(nn.Module):
    """LayerNorm, 1x1 to 2C, depthwise 3x3, SimpleGate, local channel attention, 1x1; then the FFN half."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.norm1, self.norm2 = LayerNorm2d(c), LayerNorm2d(c)
        self.conv1 = nn.Conv2d(c, 2 * c, 1)
        self.conv2 = nn.Conv2d(2 * c, 2 * c, 3, padding=1, groups=2 * c)
        self.sca = nn.Sequential(LocalMean(), nn.Conv2d(c, c, 1))
        self.conv3 = nn.Conv2d(c, c, 1)
        self.conv4 = nn.Conv2d(c, 2 * c, 1)
        self.conv5 = nn.Conv2d(c, c, 1)
        self.beta = nn.Parameter(torch.zeros(1, c, 1, 1))
        self.gamma = nn.Parameter(torch.zeros(1, c, 1, 1))

    @staticmethod
    def gate(x: torch.Tensor) -> torch.Tensor:
        a, b = x.chunk(2, dim=1)
        return a * b

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.gate(self.conv2(self.conv1(self.norm1(x))))
        y = self.conv3(y * self.sca(y))
        x = x + y * self.beta
        y = self.conv5(self.gate(self.conv4(self.norm2(x))))
        return x + y * self.gamma


class NAFISPNet(nn.Module):
    def __init__(self, width: int = 64, enc=(2, 2, 4, 8), middle: int = 12, dec=(2, 2, 2, 2)) -> None:
        super().__init__()
        self.intro = nn.Conv2d(3, width, 3, padding=1)
        self.intro_1 = nn.Conv2d(width, width, 3, padding=1)
        self.skip = nn.Conv2d(width, width, 1)
        self.encoders, self.downs, self.ups, self.decoders = (nn.ModuleList() for _ in range(4))
        c = width
        for n in enc:
            self.encoders.append(nn.Sequential(*(NAFBlock(c) for _ in range(n))))
            self.downs.append(nn.Conv2d(c, 2 * c, 2, stride=2))
            c *= 2
        self.middle = nn.Sequential(*(NAFBlock(c) for _ in range(middle)))
        for n in dec:
            self.ups.append(nn.Sequential(nn.Conv2d(c, 2 * c, 1, bias=False), nn.PixelShuffle(2)))
            c //= 2
            self.decoders.append(nn.Sequential(*(NAFBlock(c) for _ in range(n))))
        self.ending = nn.Conv2d(width, 4, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = linearise(F.avg_pool2d(x, 2))  # the network works at RAW resolution
        h, w = x.shape[-2:]
        first = self.intro(pad_to(x, 16))
        y = self.intro_1(first)
        skips = []
        for enc, down in zip(self.encoders, self.downs, strict=True):
            y = enc(y)
            skips.append(y)
            y = down(y)
        y = self.middle(y)
        for up, dec in zip(self.ups, self.decoders, strict=True):
            y = dec(up(y) + skips.pop())
        out = self.ending(y + self.skip(first))[..., :h, :w]
        return out if self.training else out.clamp(0, 1)


def build(track: TrackSpec) -> nn.Module:
    return NAFISPNet() if track.name == "p20" else LiteISPNet()


register(CARD, build)
register(
    CARD.model_copy(
        update=dict(
            name="hitiil-tta",
            title=CARD.title + "; 8x flip/rotation TTA (ENS)",
            ensemble=True,
            weights_of="hitiil",
            quirks=[
                *CARD.quirks,
                "ENS: the mean over the 8 flips/rotations, as the team's ensemble script does, but each flipped "
                "axis padded by a pixel so every RAW sample keeps its Bayer site (the team's flips shift them "
                "by one pixel); uses hitiil's weights; 8x the MACs",
            ],
        )
    ),
    lambda track: DihedralTTA(build(track), CARD.multiple),
)
