"""Baselines exported to ONNX and run as model submissions agree with the PyTorch runs: predictions within
1 DN, the protocol's parameter count exactly, MACs within 1% of FlopCounterMode's."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from baselines import registry
from baselines.cli import baselines_app
from baselines.infer import run_split
from baselines.onnx_export import ExportError, build_model, export_method, export_model
from baselines.protocol import static_profile
from harness.challenge import ChallengeLayout, load_challenge
from harness.scoring import score_directories
from harness.settings import get_settings
from submissions.model import ModelLimits, run_model
from submissions.model.manifest import parse_manifest

LIMITS = ModelLimits(threads=2, warmup=0, repeats=1, crosscheck_macs=False)
CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def challenge(rgb_challenge):
    layout = ChallengeLayout.under(rgb_challenge, "demo")
    return layout, load_challenge(layout.root).track("s7")


def max_dn(a_dir, b_dir, files) -> int:
    return max(int(np.abs(np.load(a_dir / f).astype(int) - np.load(b_dir / f).astype(int)).max()) for f in files)


# "cycleisp" is the large one: 788 GMACs on a 504 px patch, the most of the methods run by default
@pytest.mark.parametrize("name", ["unet", "mialgo", "zeronoise", "mbispld", "cycleisp"])
def test_an_exported_baseline_runs_like_its_pytorch_model(challenge, tmp_path, name):
    layout, track = challenge
    split = layout.split("s7", "test1")
    card = registry.get(name).card
    exported = export_method(name, track, tmp_path / f"{name}.zip")
    assert exported.exporter == "torchscript" and exported.max_abs_diff < 1e-4
    report = run_model(tmp_path / f"{name}.zip", track, split, tmp_path / "onnx", limits=LIMITS, device="cpu")
    assert report.ok, report.errors
    run = run_split(build_model(name, track), track, split, tmp_path / "torch", multiple=card.multiple, device=CPU)
    assert sorted(report.files) == sorted(run.files)
    assert max_dn(tmp_path / "onnx", tmp_path / "torch", report.files) <= 1
    used, _frozen, _defined, macs = static_profile(build_model(name, track), track.rgb_patch, card.multiple)
    assert report.params == exported.params == used == card.expected_params.get("s7", used)
    assert report.macs_patch == pytest.approx(macs, rel=0.01) and not report.macs_unresolved
    onnx_scores = score_directories(tmp_path / "onnx", split.gt, workers=1)
    torch_scores = score_directories(tmp_path / "torch", split.gt, workers=1)
    assert onnx_scores.psnr == pytest.approx(torch_scores.psnr, abs=0.05)


def test_the_export_is_deterministic_and_its_manifest_is_an_upload_manifest(challenge, tmp_path):
    _layout, track = challenge
    a = export_method("zeronoise", track, tmp_path / "a" / "model.onnx")
    b = export_method("zeronoise", track, tmp_path / "b" / "model.onnx")
    assert (
        a.sha256 == b.sha256
        and (tmp_path / "a" / "model.onnx").read_bytes() == (tmp_path / "b" / "model.onnx").read_bytes()
    )
    manifest = parse_manifest(tmp_path / "a" / "manifest.toml")
    assert (manifest.multiple, manifest.mode, manifest.input.name, manifest.output.name) == (2, "patches", "rgb", "raw")


def test_the_dynamo_exporter_takes_over_where_torchscript_cannot(tmp_path):
    class SpectralNet(torch.nn.Module):  # spectral norm's vdot has no TorchScript ONNX symbolic
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.utils.parametrizations.spectral_norm(torch.nn.Conv2d(3, 4, 2, stride=2))

        def forward(self, x):
            return torch.sigmoid(self.conv(x))

    model = SpectralNet().eval()
    notes: list[str] = []
    proto, how, diff, _sizes = export_model(model, 32, 2, notes=notes)
    assert how == "dynamo" and diff < 1e-4 and "torchscript exporter failed" in notes[0]
    assert sum(int(np.prod(t.dims)) for t in proto.graph.initializer) == static_profile(model, 32, 2)[0]


def test_a_model_that_cannot_be_exported_says_why():
    class Noisy(torch.nn.Module):
        def forward(self, x):
            return torch.rand_like(x[:, :1, ::2, ::2]).expand(-1, 4, -1, -1)

    with pytest.raises(ExportError, match="cannot be exported to ONNX: .*differs from PyTorch"):
        export_model(Noisy(), 16, 2)


def test_the_export_command(rgb_challenge, tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_DATA_DIR", str(rgb_challenge))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            baselines_app, ["export", "mbispld", "--track", "s7", "--onnx", str(tmp_path / "m.zip"), "--json"]
        )
        bad = CliRunner().invoke(baselines_app, ["export", "nope", "--track", "s7", "--onnx", str(tmp_path / "x.onnx")])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["params"] == out["params_protocol"] == 587_462 and out["multiple"] == 16
    assert "random weights" in out["notes"][0] and (tmp_path / "m.zip").is_file()
    assert bad.exit_code == 2 and "no method named 'nope'" in bad.output
