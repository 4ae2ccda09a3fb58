"""The LPIPS network (AlexNet, v0.1) in plain torch: torchvision's AlexNet feature layers, the taps
after its 5 ReLUs, and the linear layers of the ``lpips`` package.

torchvision is not imported (it cannot be beside this project's CPU torch); the feature stack
below has torchvision's layout and key names, so its ``alexnet-owt-7be5be79.pth`` state dict loads
into it with strict key and shape checks. Constants as the ``lpips`` package (0.1.4) defines them:
inputs in [-1, 1] are shifted by ``SHIFT`` and divided by ``SCALE`` per channel; each tapped
feature map is divided by its per-pixel channel norm (plus ``EPS``); the squared difference of
the two images' maps goes through a 1x1 convolution with no bias (``lin0..lin4``), is averaged
over the pixels, and the 5 layers' values are summed.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)
EPS = 1e-10
TAPS = (1, 4, 7, 9, 11)  # features.<i> whose output is tapped: the 5 ReLUs
CHANNELS = (64, 192, 384, 256, 256)  # channels at each tap


def alexnet_features() -> nn.Sequential:
    """torchvision's ``alexnet().features`` without its last max-pool (LPIPS does not use it)."""
    return nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),  # features.0
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(64, 192, kernel_size=5, padding=2),  # features.3
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(192, 384, kernel_size=3, padding=1),  # features.6
        nn.ReLU(),
        nn.Conv2d(384, 256, kernel_size=3, padding=1),  # features.8
        nn.ReLU(),
        nn.Conv2d(256, 256, kernel_size=3, padding=1),  # features.10
        nn.ReLU(),
    )


class LpipsNet(nn.Module):
    """LPIPS v0.1 distance of two (1, 3, H, W) float32 images in [-1, 1]: a (1, 1, 1, 1) tensor."""

    def __init__(self) -> None:
        super().__init__()
        self.features = alexnet_features()
        self.register_buffer("shift", torch.tensor(SHIFT, dtype=torch.float32)[None, :, None, None])
        self.register_buffer("scale", torch.tensor(SCALE, dtype=torch.float32)[None, :, None, None])
        for k, c in enumerate(CHANNELS):
            self.register_buffer(f"lin{k}", torch.zeros(1, c, 1, 1))
        self.eval()
        self.requires_grad_(False)

    def taps(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The 5 ReLU outputs of one scaled image."""
        out = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in TAPS:
                out.append(x)
        return out

    def forward(self, in0: torch.Tensor, in1: torch.Tensor) -> torch.Tensor:
        feats0 = self.taps((in0 - self.shift) / self.scale)
        feats1 = self.taps((in1 - self.shift) / self.scale)
        total = 0
        for k, (f0, f1) in enumerate(zip(feats0, feats1, strict=True)):
            n0 = f0 / (torch.sqrt(torch.sum(f0**2, dim=1, keepdim=True)) + EPS)
            n1 = f1 / (torch.sqrt(torch.sum(f1**2, dim=1, keepdim=True)) + EPS)
            total = total + F.conv2d((n0 - n1) ** 2, getattr(self, f"lin{k}")).mean([2, 3], keepdim=True)
        return total


def load_backbone(net: LpipsNet, state: dict, source: str) -> None:
    """Load torchvision's AlexNet state dict (``features.*``; ``classifier.*`` is ignored), strictly."""
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{source}: not a state dict of tensors")
    other = sorted(k for k in state if not k.startswith(("features.", "classifier.")))
    if other:
        raise ValueError(f"{source}: not an AlexNet state dict (unexpected keys {other[:5]})")
    features = {k.removeprefix("features."): v for k, v in state.items() if k.startswith("features.")}
    try:
        net.features.load_state_dict(features, strict=True)
    except RuntimeError as exc:
        raise ValueError(f"{source}: does not fit torchvision's AlexNet features ({exc})") from None


def load_linear(net: LpipsNet, state: dict, source: str) -> None:
    """Load the ``lpips`` package's ``lin<k>.model.1.weight`` tensors (v0.1, alex)."""
    for k, c in enumerate(CHANNELS):
        w = state.get(f"lin{k}.model.1.weight")
        if not isinstance(w, torch.Tensor) or tuple(w.shape) != (1, c, 1, 1):
            raise ValueError(f"{source}: lin{k}.model.1.weight is missing or not of shape (1, {c}, 1, 1)")
        getattr(net, f"lin{k}").copy_(w.to(torch.float32))
