"""The methods and the framework pieces: exact parameter counts, shapes, ranges, training, weights, augmentation."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from baselines import registry
from baselines.data import Pair, random_crop, train_pairs
from baselines.infer import padded_forward, quantise, run_split, tiled_forward
from baselines.protocol import measure, static_profile
from baselines.train import train
from baselines.weights import WeightsError, load_weights, save_weights
from harness.challenge import ChallengeLayout, load_challenge
from harness.hashing import file_sha256
from harness.raw import unpack
from harness.sim.demo import demo_spec

FIVE = ["unet", "upi", "upi-calibrated", "cycleisp", "mialgo", "zeronoise"]
TRACKS = {t.name: t for t in demo_spec().tracks}  # the real patch sizes: 504 (s7) and 496 (p20)


def test_the_methods_are_registered():
    assert set(FIVE) <= set(registry.names())
    with pytest.raises(KeyError, match="no method named 'nope'"):
        registry.get("nope")


@pytest.mark.parametrize("track", ["s7", "p20"])
@pytest.mark.parametrize("name", FIVE)
def test_measured_params_equal_the_reference_counts(name, track):
    method = registry.get(name)
    t = TRACKS[track]
    used, frozen, defined, macs = static_profile(method.build(t), t.rgb_patch, method.card.multiple)
    assert used == method.card.expected_params[track]
    assert frozen == (4096 if name == "mialgo" else 0)  # MiAlgo's Haar filters, reported apart
    assert defined == used
    assert macs > 0


def test_macs_match_the_spec_sheet():
    """FlopCounterMode MACs for the spec sheet's inputs (MiAlgo at 512, the others at 504)."""
    expected = {"unet": 98.3, "cycleisp": 788, "mialgo": 24.1, "zeronoise": 43.2}
    t = TRACKS["s7"]
    for name, gmacs in expected.items():
        method = registry.get(name)
        macs = static_profile(method.build(t), 504, method.card.multiple)[3]
        assert macs / 1e9 == pytest.approx(gmacs, rel=2e-3), name


def test_a_parameter_shared_by_many_blocks_counts_once_and_dead_modules_not_at_all():
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            act = torch.nn.PReLU(4)
            self.a = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1), act)
            self.b = torch.nn.Sequential(torch.nn.Conv2d(4, 4, 1), act)
            self.unused = torch.nn.Conv2d(4, 4, 3)  # defined, never called
            self.out = torch.nn.Conv2d(4, 4, 2, stride=2)

        def forward(self, x):
            return self.out(self.b(self.a(x)))

    used, frozen, defined, _ = static_profile(Net(), 8, 2)
    assert used == (12 + 4) + (16 + 4) + 4 + (4 * 4 * 4 + 4)
    assert defined == used + 4 * 4 * 9 + 4 and frozen == 0


@pytest.mark.parametrize("name", FIVE)
@pytest.mark.parametrize("hw", [(74, 90), (32, 48)])  # even sizes that are not multiples of 16
def test_output_shape_and_range_on_odd_sizes(name, hw):
    method = registry.get(name)
    model = method.build(TRACKS["p20"]).eval()
    x = torch.rand(1, 3, *hw)
    with torch.inference_mode():
        y = padded_forward(model, x, method.card.multiple)
    assert tuple(y.shape) == (1, 4, hw[0] // 2, hw[1] // 2)
    assert float(y.min()) >= 0 and float(y.max()) <= 1
    q = quantise(y)
    assert q.dtype == np.uint16 and q.shape == (hw[0] // 2, hw[1] // 2, 4) and int(q.max()) <= 1024


def test_tiles_join_seamlessly_for_a_local_network():
    """0noise sees 9x9 pixels: tiles with a 16-pixel margin give the untiled result (float rounding aside)."""
    model = registry.get("zeronoise").build(TRACKS["s7"]).eval()
    x = torch.rand(1, 3, 96, 160)
    with torch.inference_mode():
        whole = padded_forward(model, x, 2)
        tiled = tiled_forward(model, x, 2, tile=32, margin=16)
    assert tiled.shape == whole.shape
    assert torch.allclose(tiled, whole, atol=1e-5)


@pytest.mark.parametrize("name", ["mialgo", "upi"])
def test_full_resolution_images_are_cut_into_the_grid(name, rgb_challenge, tmp_path):
    """Whole-image inference (tiled) on the stitched test2 image, written as the 48 grid patches."""
    chal = ChallengeLayout.under(rgb_challenge, "demo")
    spec = load_challenge(chal.root)
    method = registry.get(name)
    track = spec.track("p20")
    model = method.build(track)
    out = tmp_path / "preds"
    run = run_split(
        model,
        track,
        chal.split("p20", "test2"),
        out,
        multiple=method.card.multiple,
        device=torch.device("cpu"),
        mode="full",
    )
    names = sorted(p.name for p in out.iterdir())
    assert run.n_inputs == 1 and len(names) == 48 and names == sorted(f"0_{k}.npy" for k in range(48))
    patch = np.load(out / "0_47.npy")
    assert patch.shape == (track.patch, track.patch, 4) and patch.dtype == np.uint16


def test_measure_records_the_protocol(rgb_challenge):
    t = load_challenge(rgb_challenge / "challenges" / "demo").track("s7")
    m = measure(
        registry.get("mialgo").build(t),
        method="mialgo",
        track=t,
        device=torch.device("cpu"),
        multiple=16,
        repeats=2,
        full=True,
    )
    assert m.params == 4_537_202 and m.params_frozen == 4096 and m.device == "cpu" and m.repeats == 2
    assert m.runtime_patch_ms > 0 and m.runtime_full_ms > 0 and m.macs_full > m.macs_patch > 0
    assert m.torch_version == torch.__version__ and m.dtype == "float32" and m.tta is False and m.peak_memory_mb > 0


# --- Bayer-phase-preserving augmentation --------------------------------------------------------


def test_every_augmented_crop_keeps_each_sample_under_its_rgb_pixel():
    h = w = 64
    yy, xx = np.mgrid[0:h, 0:w]
    mosaic = (yy * 64 + xx).astype(np.uint16)
    rgb = np.stack([yy, xx, np.zeros_like(yy)], axis=-1).astype(np.uint8)
    p = Pair("coords", rgb, np.stack([mosaic[r::2, c::2] for r, c in ((0, 0), (0, 1), (1, 0), (1, 1))], axis=-1))
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(200):
        crop_rgb, crop_raw = random_crop(p, 16, rng)
        crop_mosaic = unpack(crop_raw)
        oy, ox = crop_rgb[..., 0].astype(int), crop_rgb[..., 1].astype(int)
        assert np.array_equal(crop_mosaic, oy * 64 + ox)  # each sample under the RGB pixel it came from
        assert np.all((oy[0::2, 0::2] % 2 == 0) & (ox[0::2, 0::2] % 2 == 0))  # R at R sites
        assert np.all((oy[1::2, 1::2] % 2 == 1) & (ox[1::2, 1::2] % 2 == 1))  # B at B sites
        assert np.all((oy[0::2, 1::2] + ox[0::2, 1::2]) % 2 == 1)  # greens at green sites
        # where a step right and a step down in the crop go in the source: one of the 8 symmetries
        seen.add(
            tuple(int(v) for v in (oy[0, 1] - oy[0, 0], ox[0, 1] - ox[0, 0], oy[1, 0] - oy[0, 0], ox[1, 0] - ox[0, 0]))
        )
    assert len(seen) == 8  # all eight flips/rotations were drawn


@pytest.mark.slow
def test_training_lowers_the_loss_and_is_deterministic(rgb_challenge, tmp_path):
    chal = ChallengeLayout.under(rgb_challenge, "demo")
    track = load_challenge(chal.root).track("s7")
    method = registry.get("unet")
    a = train(method, track, chal, tmp_path / "a.safetensors", steps=25, seed=3, crop=32)
    b = train(method, track, chal, tmp_path / "b.safetensors", steps=25, seed=3, crop=32)
    assert a.steps == 25 and a.loss_last < 0.5 * a.loss_first
    assert a.sha256 == b.sha256 == file_sha256(tmp_path / "a.safetensors")
    assert (tmp_path / "a.safetensors.sha256").read_text().split()[0] == a.sha256


def test_upi_calibrated_fits_the_train_split(rgb_challenge, tmp_path):
    """On data rendered with a plain gamma and no colour matrix, the fitted matrix is close to identity."""
    chal = ChallengeLayout.under(rgb_challenge, "demo")
    track = load_challenge(chal.root).track("s7")
    res = train(registry.get("upi-calibrated"), track, chal, tmp_path / "u.safetensors")
    assert res.steps == 0 and res.fitted is not None
    a = np.array(res.fitted["ccm"]) * np.array(res.fitted["gains"])[:, None]
    assert np.abs(np.diag(a)).min() > 0.5  # each colour mostly from itself
    assert len(train_pairs(chal.split("s7", "train"))) == 6


# --- weights ------------------------------------------------------------------------------------


def test_safetensors_round_trip_with_a_tied_parameter(tmp_path):
    model = registry.get("cycleisp").build(TRACKS["s7"])  # its PReLU is shared by 15 blocks
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.01)
    digest = save_weights(model, tmp_path / "w.safetensors", {"method": "cycleisp"})
    fresh = registry.get("cycleisp").build(TRACKS["s7"])
    meta, got = load_weights(fresh, tmp_path / "w.safetensors", expected_sha256=digest)
    assert got == digest and meta["method"] == "cycleisp"
    for (k, v), (k2, v2) in zip(model.state_dict().items(), fresh.state_dict().items(), strict=True):
        assert k == k2 and torch.equal(v, v2)
    with pytest.raises(WeightsError, match="differs from the recorded"):
        load_weights(fresh, tmp_path / "w.safetensors", expected_sha256="0" * 64)
    with pytest.raises(WeightsError, match="does not fit the model"):
        load_weights(registry.get("unet").build(TRACKS["s7"]), tmp_path / "w.safetensors")


class _Boom:
    def __reduce__(self):
        return (Path.touch, (Path(_Boom.target),))


def test_pickled_checkpoints_are_refused_and_never_unpickled(tmp_path):
    model = registry.get("zeronoise").build(TRACKS["s7"])
    torch.save(model.state_dict(), tmp_path / "torch.pth")
    _Boom.target = str(tmp_path / "pwned")
    (tmp_path / "evil.safetensors").write_bytes(pickle.dumps(_Boom(), protocol=4))
    for name in ("torch.pth", "evil.safetensors"):
        with pytest.raises(WeightsError, match="pickled checkpoint .* is refused"):
            load_weights(model, tmp_path / name)
    assert not (tmp_path / "pwned").exists()
    (tmp_path / "junk.safetensors").write_bytes(b"\x05\x00\x00\x00\x00\x00\x00\x00{oops")
    with pytest.raises(WeightsError, match="not a safetensors file"):
        load_weights(model, tmp_path / "junk.safetensors")


# --- the teams' methods (issue 7, in progress) ------------------------------------------------------

TEAMS = ["cvip", "sensebrains", "ssdnet", "ssdnet-tr", "hitiil", "rstisp"]


@pytest.mark.slow
@pytest.mark.parametrize("track", ["s7", "p20"])
@pytest.mark.parametrize("name", TEAMS)
def test_team_methods_have_the_reference_counts(name, track):
    method = registry.get(name)
    t = TRACKS[track]
    model = method.build(t).eval()
    used, frozen, defined, macs = static_profile(model, t.rgb_patch, method.card.multiple)
    assert used == method.card.expected_params[track] and macs > 0
    with torch.inference_mode():  # profiling a copy leaves the model itself intact (spectral norm once broke here)
        assert padded_forward(model, torch.rand(1, 3, 64, 64), method.card.multiple).shape == (1, 4, 32, 32)
    if name == "ssdnet":
        assert defined - used == 677_692  # the train-only sigma branch, never called at inference
    if name == "hitiil":
        assert frozen == (8192 if track == "s7" else 0)
    if name == "rstisp":  # every parameter the public model defines, used or not
        from baselines.methods.rstisp import DEFINED

        assert defined == DEFINED[track] == {"s7": 86_317_068, "p20": 86_307_852}[track]


@pytest.mark.slow
def test_team_method_macs_match_the_spec_sheet():
    t = TRACKS["s7"]
    for name, side, gmacs in (
        ("cvip", 504, 722),
        ("sensebrains", 504, 523),
        ("hitiil", 512, 338),
        ("rstisp", 504, 47.9),
    ):
        method = registry.get(name)
        assert static_profile(method.build(t), side, method.card.multiple)[3] / 1e9 == pytest.approx(gmacs, rel=2e-3), (
            name
        )
    # HIT-IIL P20: NAFNet on the 2x2-pooled input, its channel attention's 1x1 conv at every pixel
    hit = registry.get("hitiil")
    macs = static_profile(hit.build(TRACKS["p20"]), 496, hit.card.multiple)[3]
    assert macs / 1e9 == pytest.approx(75.6, rel=2e-3)


def test_hitiil_channel_attention_uses_local_box_means():
    """Window 288/504 of the map per side; valid means replicate-padded, centred, back to the map's size."""
    import numpy as np
    import torch

    from baselines.methods.hitiil import LocalMean

    x = torch.randn(1, 2, 9, 12, dtype=torch.float64)
    out = LocalMean()(x).numpy()
    k1, k2 = 9 * 288 // 504, 12 * 288 // 504  # 5, 6
    a = x.numpy()
    valid = np.array(
        [
            [[a[0, c, i : i + k1, j : j + k2].mean() for j in range(12 - k2 + 1)] for i in range(9 - k1 + 1)]
            for c in range(2)
        ]
    )
    dh, dw = 9 - valid.shape[1], 12 - valid.shape[2]
    top, left = dh // 2, dw // 2
    assert out.shape == (1, 2, 9, 12)
    np.testing.assert_allclose(out[0, :, top : top + valid.shape[1], left : left + valid.shape[2]], valid, rtol=1e-12)
    np.testing.assert_allclose(out[0, :, 0, left : -((dw + 1) // 2)], valid[:, 0], rtol=1e-12)  # replicated above
    np.testing.assert_allclose(out[0, :, :, -1], out[0, :, :, -(dw + 1) // 2 - 1], rtol=1e-12)  # and on the right
    assert LocalMean()(torch.ones(1, 1, 1, 1)).item() == 1.0  # a 1-pixel map: a window of 1, no division by zero


@pytest.mark.parametrize("name", ["cvip", "sensebrains", "ssdnet", "ssdnet-tr", "rstisp", "mbispld"])
def test_team_methods_shapes_on_p20_sizes(name):
    """496 is where SenseBrains' (H + 8) % 16 rule fails in the original; here every method runs."""
    method = registry.get(name)
    model = method.build(TRACKS["p20"]).eval()
    x = torch.rand(1, 3, 48, 80)  # (48 + 8) % 16 != 0, like 496
    with torch.inference_mode():
        y = padded_forward(model, x, method.card.multiple)
    assert tuple(y.shape) == (1, 4, 24, 40) and 0 <= float(y.min()) and float(y.max()) <= 1


@pytest.mark.slow
def test_ssdnet_trains_with_its_soft_supervision_loss(rgb_challenge, tmp_path):
    chal = ChallengeLayout.under(rgb_challenge, "demo")
    res = train(
        registry.get("ssdnet"),
        load_challenge(chal.root).track("s7"),
        chal,
        tmp_path / "s.safetensors",
        steps=2,
        crop=32,
    )
    assert res.steps == 2 and all(np.isfinite(res.losses)) and all(0 < v < 1 for v in res.losses)


def test_mbispld_is_sized_like_the_paper_and_trains(rgb_challenge, tmp_path):
    method = registry.get("mbispld")
    used = static_profile(method.build(TRACKS["s7"]), 504, method.card.multiple)[0]
    assert used == pytest.approx(590_000, rel=0.02)  # the paper: ~0.59 M (its exact design is unknown)
    chal = ChallengeLayout.under(rgb_challenge, "demo")
    res = train(method, load_challenge(chal.root).track("p20"), chal, tmp_path / "m.safetensors", steps=20, crop=32)
    assert res.loss_last < res.loss_first


def test_full_resolution_measurement_of_a_parameterless_method():
    """UPI has buffers but no parameters: its MACs must still be counted on a meta copy."""
    t = TRACKS["s7"]
    m = measure(
        registry.get("upi").build(t),
        method="upi",
        track=t,
        device=torch.device("cpu"),
        multiple=2,
        repeats=1,
        full=True,
    )
    assert m.params == 0 and m.macs_full > 48 * m.macs_patch * 0.9 and m.runtime_full_ms > 0
