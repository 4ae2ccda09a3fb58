"""CS^2U's SSDNet, "Learned Reverse ISP with Soft Supervision" (AIM 2022 Reversed ISP), reimplemented.

A Restormer-like 4-level U-Net of CFM blocks (a 7x7 depthwise branch beside channel-wise
attention, each gating the other) predicting a mean RAW (mu) and, for training, an uncertainty
(sigma). ``ssdnet`` predicts mu; ``ssdnet-tr`` averages K samples of mu + sigma z at test time
(the paper's test-resampling, an ensemble) with the same weights.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from baselines.registry import MethodCard, TrainRecipe, register

DIMS = (48, 96, 192, 384)
HEADS = (1, 2, 4, 8)
BLOCKS = (4, 6, 6, 8)
EXPANSION = 2.66


class BiasFreeLayerNorm(nn.Module):
    """Over channels, without mean subtraction or bias (Restormer's bias-free variant)."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        var = x.var(dim=1, keepdim=True, unbiased=False)
        return x / torch.sqrt(var + 1e-5) * self.weight.view(1, -1, 1, 1)


class Attention(nn.Module):
    def __init__(self, c: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        # the spec sheet leaves one C-vector per block unaccounted; modelled as this branch's bias
        self.big = nn.Conv2d(c, c, 7, padding=3, groups=c, bias=True)
        self.qkv = nn.Conv2d(c, 3 * c, 1, bias=False)
        self.qkv_dw = nn.Conv2d(3 * c, 3 * c, 3, padding=1, groups=3 * c, bias=False)
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.ca = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(c, c, 1, bias=False),
            nn.GELU(),
            nn.Conv2d(c, c, 1, bias=False),
            nn.Sigmoid(),
        )
        self.gate = nn.Sequential(
            nn.Conv2d(c, c, 1, bias=False), nn.GELU(), nn.Conv2d(c, c, 1, bias=False), nn.Sigmoid()
        )
        self.proj = nn.Conv2d(2 * c, c, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        ys = self.big(x)
        q, k, v = self.qkv_dw(self.qkv(x)).chunk(3, dim=1)
        v = v * self.ca(ys)
        q, k, v = (t.reshape(b, self.heads, c // self.heads, h * w) for t in (q, k, v))
        q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
        attn = (q @ k.transpose(-2, -1) * self.temperature).softmax(dim=-1)
        out = (attn @ v).reshape(b, c, h, w)
        return self.proj(torch.cat((ys * self.gate(out), out), dim=1))


class FeedForward(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        hidden = int(c * EXPANSION)
        self.inp = nn.Conv2d(c, 2 * hidden, 1, bias=False)
        self.dw = nn.Conv2d(2 * hidden, 2 * hidden, 3, padding=1, groups=2 * hidden, bias=False)
        self.out = nn.Conv2d(hidden, c, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.dw(self.inp(x)).chunk(2, dim=1)
        return self.out(F.gelu(a) * b)


class CFM(nn.Module):
    def __init__(self, c: int, heads: int) -> None:
        super().__init__()
        self.norm1, self.norm2 = BiasFreeLayerNorm(c), BiasFreeLayerNorm(c)
        self.attn = Attention(c, heads)
        self.ffn = FeedForward(c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.ffn(self.norm2(x))


def _stage(c: int, heads: int, n: int) -> nn.Sequential:
    return nn.Sequential(*(CFM(c, heads) for _ in range(n)))


class SSDNet(nn.Module):
    def __init__(self, samples: int = 0) -> None:
        super().__init__()
        d = DIMS
        self.samples = samples  # > 0: test-resampling with this many draws
        self.pack_first = nn.Conv2d(3, 3, 3, padding=1, bias=False)
        self.embed = nn.Conv2d(3, d[0], 3, padding=1, bias=False)
        self.enc = nn.ModuleList([_stage(d[i], HEADS[i], BLOCKS[i]) for i in range(3)])
        self.down = nn.ModuleList(
            [
                nn.Sequential(nn.Conv2d(d[i], d[i] // 2, 3, padding=1, bias=False), nn.PixelUnshuffle(2))
                for i in range(3)
            ]
        )
        self.latent = _stage(d[3], HEADS[3], BLOCKS[3])
        self.up = nn.ModuleList(
            [nn.Sequential(nn.Conv2d(d[i], 2 * d[i], 3, padding=1, bias=False), nn.PixelShuffle(2)) for i in (3, 2, 1)]
        )
        self.reduce = nn.ModuleList(
            [nn.Conv2d(2 * d[2], d[2], 1, bias=False), nn.Conv2d(2 * d[1], d[1], 1, bias=False)]
        )
        self.dec = nn.ModuleList([_stage(d[2], HEADS[2], 6), _stage(d[1], HEADS[1], 6), _stage(d[1], HEADS[0], 4)])
        self.refine = _stage(d[1], HEADS[0], 4)
        self.refine_out = nn.Sequential(nn.Conv2d(d[1], 3, 3, padding=1, bias=False), nn.GELU())
        self.mu_head = nn.Conv2d(3, 1, 3, padding=1, bias=False)
        # train-only uncertainty branch (and test-resampling)
        self.sigma_branch = nn.Sequential(
            nn.Conv2d(3, d[1], 3, padding=1, bias=False),
            nn.GELU(),
            _stage(d[1], HEADS[0], 4),
            nn.Conv2d(d[1], 1, 3, padding=1, bias=False),
        )

    def features(self, inp: torch.Tensor) -> torch.Tensor:
        x = self.embed(self.pack_first(inp))
        skips = []
        for enc, down in zip(self.enc, self.down, strict=True):
            x = enc(x)
            skips.append(x)
            x = down(x)
        x = self.latent(x)
        x = self.dec[0](self.reduce[0](torch.cat((self.up[0](x), skips[2]), dim=1)))
        x = self.dec[1](self.reduce[1](torch.cat((self.up[1](x), skips[1]), dim=1)))
        x = self.dec[2](torch.cat((self.up[2](x), skips[0]), dim=1))
        return self.refine_out(self.refine(x)) + inp

    def mu_sigma(self, inp: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.features(inp)
        mu = F.pixel_unshuffle(self.mu_head(f), 2).clamp(0, 1)
        sigma = F.pixel_unshuffle(self.sigma_branch(f), 2).clamp(0, 1)
        return mu, sigma

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        if self.samples > 0 and not self.training:
            mu, sigma = self.mu_sigma(inp)
            gen = None if inp.is_meta else torch.Generator(device=inp.device).manual_seed(0)
            draws = [
                mu + sigma * torch.randn(mu.shape, generator=gen, device=mu.device, dtype=mu.dtype)
                for _ in range(self.samples)
            ]
            return torch.stack(draws).mean(0).clamp(0, 1)
        return F.pixel_unshuffle(self.mu_head(self.features(inp)), 2).clamp(0, 1)


def soft_supervision_loss(model: SSDNet, x: torch.Tensor, y: torch.Tensor, alpha: float = 1e-3) -> torch.Tensor:
    """Training-resampling: |mu + |mu - gt| z - gt| clamped to [1/1024, 1], plus alpha |sigma - |mu - gt||."""
    mu, sigma = model.mu_sigma(x)
    err = (mu - y).abs()
    z = torch.randn_like(mu)
    main = (mu + err.detach() * z - y).abs().clamp(1 / 1024, 1).mean()
    return main + alpha * (sigma - err.detach()).abs().mean()


COMMON = dict(
    team="CS^2U",
    paper="Learned Reverse ISP with Soft Supervision (AIM 2022 Reversed ISP, team CS^2U)",
    kind="learned",
    fidelity="B",
    reported_params_m=105,
    reported_runtime_ms=1300,
    reported_gpu="3090",
    multiple=16,
    expected_params={"s7": 35_563_936, "p20": 35_563_936},
    recipe=TrainRecipe(
        loss="l1",
        lr=3e-4,
        weight_decay=1e-4,
        batch=2,
        crop=128,
        note="soft-supervision loss (training-resampling); team: AdamW 3e-4, cosine, progressive patches",
    ),
)
QUIRKS = [
    "the reported 105 M cannot be reproduced: the public architecture has 35.6 M at inference "
    "(+677,692 in the train-only sigma branch, counted apart as never called at inference)",
    "one C-sized parameter per block is not in the spec sheet's description; here it is the 7x7 branch's bias",
    "the public training code is broken; the loss is rewritten from the paper",
]
register(
    MethodCard(name="ssdnet", title="SSDNet (CFM blocks), mean prediction", quirks=QUIRKS, **COMMON),
    lambda track: SSDNet(),
    train_loss=soft_supervision_loss,
)
register(
    MethodCard(
        name="ssdnet-tr",
        title="SSDNet with test-resampling (mean of 50 draws of mu + sigma z)",
        ensemble=True,
        weights_of="ssdnet",
        quirks=QUIRKS + ["test-resampling averages 50 draws (fixed seed): an ensemble (ENS)", "uses ssdnet's weights"],
        **{**COMMON, "expected_params": {"s7": 36_241_628, "p20": 36_241_628}},
    ),
    lambda track: SSDNet(samples=50),
)
