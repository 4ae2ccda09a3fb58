"""Bayer-exact 8-way TTA: a per-pixel network is left unchanged by it; the teams' plain flips are not."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from baselines import registry
from baselines.blocks import mosaic_rggb
from baselines.tta import TRANSFORMS, DihedralTTA, predict_transformed
from harness.sim.demo import demo_spec


class PerPixel(nn.Module):
    """A per-pixel colour map (1x1 conv) followed by the RGGB mosaic: equivariant to every symmetry."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.mix = nn.Conv2d(3, 3, 1)

    def forward(self, x):
        return mosaic_rggb(self.mix(x))


@pytest.mark.parametrize("hw", [(8, 12), (10, 6)])
def test_a_per_pixel_network_is_unchanged_by_the_bayer_exact_tta(hw):
    net = PerPixel().eval()
    x = torch.rand(1, 3, *hw, dtype=torch.float64)
    net.double()
    with torch.no_grad():
        plain = net(x)
        for t in TRANSFORMS:
            torch.testing.assert_close(predict_transformed(net, x, 2, t), plain, rtol=0, atol=1e-14, msg=str(t))
        torch.testing.assert_close(DihedralTTA(net, 2).eval()(x), plain, rtol=0, atol=1e-14)


def test_plain_flips_move_samples_off_their_sites():
    """What the teams' ensemble did: flip, predict, flip back; a per-pixel net shows the one-pixel shift."""
    net = PerPixel().double().eval()
    x = torch.rand(1, 3, 8, 12, dtype=torch.float64)
    with torch.no_grad():
        plain = net(x)
        shifted = predict_transformed(net, x, 2, (False, False, True), phase_exact=False)
    assert (shifted - plain).abs().max() > 1e-3


def test_the_tta_variant_shares_the_base_weights_and_counts():
    spec = demo_spec()
    card = registry.get("hitiil-tta").card
    assert card.ensemble and card.weights_of == "hitiil"
    for track in ("s7", "p20"):
        base = registry.get("hitiil").build(spec.track(track))
        tta = registry.get("hitiil-tta").build(spec.track(track))
        tta.load_state_dict(base.state_dict(), strict=True)  # the base method's keys, no prefix
        assert tta.tta is True and not getattr(base, "tta", False)  # what the protocol records as `tta`
        assert sum(p.numel() for p in tta.parameters()) == card.expected_params[track]
        tta.train()
        x = torch.rand(1, 3, 32, 32)
        assert tta(x).shape == base.train()(x).shape  # training calls the network alone
