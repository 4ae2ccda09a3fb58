"""The newcomer's path on a forward track, against a real server (the one end-to-end test of the
forward track): download its RAW inputs, predict PNGs with the classical pipeline, submit them with
the client and read PSNR/SSIM (LPIPS n/a without a backbone) equal to the offline scorer's."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from harness_client.cli import app
from leaderboard.launch import start_server, stop_server
from tests.leaderboard.web.conftest import env_for
from tests.support import CPU_ONLY, ORG, build_tiny_forward

runner = CliRunner()


def cli(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def forward_service(tmp_path_factory):
    data_dir = build_tiny_forward(tmp_path_factory.mktemp("fwd"))
    env = env_for(data_dir, ORG, queues=CPU_ONLY)
    env.pop("HARNESS_LPIPS_BACKBONE", None)
    proc, base = start_server(env, data_dir / "server.log")
    yield base, data_dir
    stop_server(proc)


@pytest.mark.slow  # a served instance with its worker
def test_download_raw_predict_pngs_submit_and_score_like_offline(forward_service, tmp_path):
    base, data_dir = forward_service
    res = cli(
        "data",
        "download",
        "--server",
        base,
        "--track",
        "fwd",
        "--split",
        "test1",
        "--out",
        str(tmp_path / "dl"),
        "--json",
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout.strip().splitlines()[-1])
    assert doc["ok"] and doc["kind"] == "inputs" and doc["files"] == 3
    split_dir = tmp_path / "dl" / "fwd" / "test1"
    assert sorted(p.name for p in (split_dir / "raw").iterdir()) == ["0.npy", "1.npy", "2.npy"]
    assert not (split_dir / "rgb").exists() and not (split_dir / "gt").exists()

    preds = tmp_path / "preds"
    res = cli("data", "predict-naive", str(split_dir), "--black", "0", "--white", "1023", "--out", str(preds))
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in preds.iterdir()) == ["0.png", "1.png", "2.png"]

    token = cli("team", "create", "newcomer", "--server", base, "--quiet").stdout.strip()
    res = cli("submit", str(preds), "--token", token, "--track", "fwd", "--split", "test1", "--server", base, "--json")
    assert res.exit_code == 0, res.output
    online = json.loads(res.stdout)
    assert online["status"] == "scored", online
    scores = online["scores"]["test1"]
    assert scores["lpips"] is None and "backbone not supplied" in scores["lpips_note"]

    gt = data_dir / "challenges" / "demo" / "fwd" / "test1" / "gt"
    res = cli("score", str(preds), str(gt), "--profile", "srgb", "--json")
    assert res.exit_code == 0, res.output
    offline = json.loads(res.stdout)
    assert (scores["psnr"], scores["ssim"], scores["n_images"]) == (
        offline["psnr"],
        offline["ssim"],
        offline["n_images"],
    )
    assert 15 < scores["psnr"] < 40
