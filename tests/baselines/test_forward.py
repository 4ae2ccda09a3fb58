"""The forward baselines (RAW -> sRGB): the classical pipeline as a network, the small learned one,
measured and run by the same protocol and workflow as the reverse methods (tiny forward challenge)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from baselines import registry, workflow
from baselines.forward import quantise, to_tensor
from harness.challenge import ChallengeLayout, load_challenge
from harness.errors import Invalid
from harness.rgbio import read_rgb
from harness.sim.classical import classical_srgb
from harness.sim.demo import demo_spec
from tests.support import build_tiny_forward


@pytest.fixture(scope="module")
def challenge(tmp_path_factory):
    root = build_tiny_forward(tmp_path_factory.mktemp("fwd"))
    layout = ChallengeLayout.under(root, "demo")
    return layout, load_challenge(layout.root).track("fwd")


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255.0**2 / np.mean((a.astype(np.float64) - b) ** 2)))


def test_classical_network_is_the_numpy_pipeline(challenge):
    layout, track = challenge
    model = registry.for_track("classical", track).build(track).eval()
    where = layout.split("fwd", "test1", track.kind)
    for path in where.patch_inputs():
        raw = np.load(path)
        with torch.inference_mode():
            ours = quantise(model(to_tensor(raw, track, "cpu")))
        numpy = classical_srgb(raw, track)
        assert ours.shape == numpy.shape == (2 * track.patch, 2 * track.patch, 3)
        assert np.abs(ours.astype(int) - numpy).max() <= 1  # float32 against float64
        # the camera's tone curves and sharpening are what it leaves out: close to the truth, not equal
        assert 12 < _psnr(ours, read_rgb(where.gt_of(path.stem))) < 40


def test_methods_serve_their_kind_of_track(challenge):
    _layout, fwd = challenge
    s7 = demo_spec().track("s7")
    assert registry.names_for(fwd) == ["classical", "fwdnet"]
    assert "classical" not in registry.names_for(s7) and "unet" in registry.names_for(s7)
    with pytest.raises(Invalid, match="unet is a reverse method and track fwd is a forward track"):
        registry.for_track("unet", fwd)
    with pytest.raises(Invalid, match="classical is a forward method"):
        registry.for_track("classical", s7)


def test_classical_is_measured_and_predicts_pngs(challenge, tmp_path):
    layout, track = challenge
    method, model, provenance = workflow.load_model(
        "classical", track, tmp_path / "none", explicit=False, device=torch.device("cpu")
    )
    assert provenance.state == "none"
    mode, m, run = workflow.predict_split(
        "classical", model, track, layout, "test1", tmp_path / "preds", device=torch.device("cpu")
    )
    assert mode == "patches" and m.params == 0 and m.macs_patch > 0 and m.input_patch == (track.patch, track.patch)
    assert sorted(run.files) == ["0.png", "1.png", "2.png"] and len(run.seconds) == 3
    got = read_rgb(tmp_path / "preds" / "0.png")
    assert got.shape == (2 * track.patch, 2 * track.patch, 3)
    raw = np.load(layout.split("fwd", "test1", track.kind).raw_of("0"))
    assert np.abs(got.astype(int) - classical_srgb(raw, track)).max() <= 1


def test_fwdnet_starts_as_the_classical_pipeline_and_trains_by_its_recipe_machinery(challenge, tmp_path):
    layout, track = challenge
    net = registry.for_track("fwdnet", track).build(track).eval()
    classical = registry.get("classical").build(track).eval()
    x = to_tensor(np.load(layout.split("fwd", "test1", track.kind).raw_of("1")), track, "cpu")
    with torch.inference_mode():
        assert torch.equal(net(x), classical(x).clamp(0, 1))
    torch.set_num_threads(1)
    out = tmp_path / "fwdnet.safetensors"
    result = workflow.train_method("fwdnet", track, layout, out, steps=6, device="cpu")
    assert result.steps == 6 and result.budget == "steps 6" and out.exists() and len(result.losses) == 6
    _method, trained, provenance = workflow.load_model("fwdnet", track, out, explicit=False, device=torch.device("cpu"))
    assert provenance.state == "short" and provenance.steps == 6
    with torch.inference_mode():
        assert not torch.equal(trained(x), classical(x))  # the correction has moved off zero


def test_predict_naive_on_a_forward_track_writes_the_classical_pngs(challenge, tmp_path):
    from typer.testing import CliRunner

    from harness.cli.app import app

    layout, track = challenge
    res = CliRunner().invoke(
        app, ["data", "predict-naive", str(layout.root), "--track", "fwd", "--split", "test1", "--out", str(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    where = layout.split("fwd", "test1", track.kind)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.png", "1.png", "2.png"]
    for stem in ("0", "1", "2"):
        expected = classical_srgb(np.load(where.raw_of(stem)), track)
        assert np.array_equal(read_rgb(tmp_path / f"{stem}.png"), expected)
