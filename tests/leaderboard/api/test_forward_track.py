"""A forward track (RAW -> sRGB) through the service, in-process on a tiny challenge: its RAW inputs
are downloaded, its sample (the classical pipeline's PNGs) is submitted and scored with profile srgb,
the board shows PSNR, SSIM and LPIPS (n/a without a backbone) and the classical baseline, and what
cannot work for it (visual comparisons, reverse methods) is refused with a reason."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from harness.challenge import ChallengeLayout, load_challenge
from harness.metrics.lpips import LpipsScorer
from harness.metrics.lpips_net import alexnet_features
from harness.rgbio import read_rgb
from harness.sim.classical import classical_srgb
from leaderboard.app import create_app
from leaderboard.settings import Settings
from tests.support import ORG, build_tiny_forward, npy_bytes

ORG_AUTH = {"Authorization": f"Bearer {ORG}"}


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _submit(client, token: str, payload: bytes, split: str = "test1"):
    return client.post(
        "/api/submissions",
        headers={"Authorization": f"Bearer {token}"},
        data={"track": "fwd", "split": split},
        files={"file": ("sub.zip", payload, "application/zip")},
    )


def random_backbone(folder) -> str:
    """A randomly initialised AlexNet state dict in torchvision's names (the harness checks the real file's sha256)."""
    torch.manual_seed(0)
    state = {f"features.{k}": v for k, v in alexnet_features().state_dict().items()}
    state["classifier.6.bias"] = torch.zeros(10)
    path = folder / "alexnet-random.pth"
    torch.save(state, path)
    return str(path)


def test_forward_track_from_download_to_board(tmp_path, monkeypatch):
    monkeypatch.delenv("HARNESS_LPIPS_BACKBONE", raising=False)
    build_tiny_forward(tmp_path)
    layout = ChallengeLayout.under(tmp_path, "demo")
    track = load_challenge(layout.root).track("fwd")
    where = layout.split("fwd", "test1", track.kind)
    app = create_app(Settings(data_dir=tmp_path, organiser_token=ORG, serve_worker=False, workers=1))
    ctx = app.state.ctx
    with TestClient(app) as client:
        data = client.get("/api/data/fwd").json()
        fmt = data["submission_format"]
        assert data["kind"] == "forward" and fmt["file_format"] == "PNG" and fmt["shape"] == [32, 32, 3]
        assert fmt["max_value"] == 255 and fmt["dtype"] == "uint8"
        test1 = next(s for s in data["splits"] if s["name"] == "test1")
        assert test1["images"] == 3 and {a["kind"] for a in test1["archives"]} == {"inputs", "sample"}

        r = client.get("/api/data/fwd/test1/inputs.zip")
        assert r.status_code == 200
        with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
            assert sorted(zf.namelist()) == ["raw/0.npy", "raw/1.npy", "raw/2.npy"]  # RAW in, never a PNG of gt/
            assert zf.read("raw/1.npy") == where.raw_of("1").read_bytes()
        r = client.get("/api/data/fwd/test1/sample.zip")
        with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
            sample = {n: zf.read(n) for n in zf.namelist()}
        assert sorted(sample) == ["0.png", "1.png", "2.png", "readme.txt"]
        assert b"classical pipeline" in sample["readme.txt"]

        tok = client.post("/api/teams", json={"name": "isp-team"}).json()["token"]
        # RAW predictions on a forward track: refused per file, nothing scored
        wrong = _zip({f"{s}.npy": npy_bytes(np.zeros((16, 16, 4), np.uint16)) for s in ("0", "1", "2")})
        r = _submit(client, tok, wrong)
        assert r.status_code == 202
        assert ctx.scoring.process(r.json()["id"]) == "failed"
        codes = {
            e["code"]
            for e in client.get(
                f"/api/submissions/{r.json()['id']}", headers={"Authorization": f"Bearer {tok}"}
            ).json()["errors"]
        }
        assert codes == {"extra_file", "missing_prediction"}

        r = _submit(client, tok, _zip(sample))
        sub_id = r.json()["id"]
        assert ctx.scoring.process(sub_id) == "scored"
        ctx.baselines.run("classical", "fwd", "test1", device="cpu")

        rows = client.get("/api/leaderboard/fwd?split=test1").json()
        team = next(r for r in rows if r["team"] == "isp-team")
        base = next(r for r in rows if r["baseline"])
        assert team["rank"] == 1 and base["baseline"]["method"] == "classical" and base["rank"] is None
        # the sample is the classical pipeline: the same score, which offline arithmetic confirms
        psnrs = []
        for stem in ("0", "1", "2"):
            gt = read_rgb(where.gt_of(stem)).astype(np.float64)
            pred = classical_srgb(np.load(where.raw_of(stem)), track).astype(np.float64)
            psnrs.append(10 * np.log10(255.0**2 / np.mean((gt - pred) ** 2)))
        assert abs(team["psnr"] - np.mean(psnrs)) < 1e-9 and abs(base["psnr"] - team["psnr"]) < 0.05
        assert 0 < team["ssim"] < 1
        assert team["lpips"] is None and "backbone not supplied" in team["lpips_note"]
        assert team["aligned_psnr_diagnostic"] is None
        images = client.get(f"/api/submissions/{sub_id}/images", headers={"Authorization": f"Bearer {tok}"}).json()
        assert sorted(i["name"] for i in images) == ["0", "1", "2"] and all(i["psnr_oe"] is None for i in images)

        page = client.get("/leaderboard/fwd?split=test1").text
        assert ">LPIPS</th>" in page and ">n/a</td>" in page and "LPIPS n/a: backbone not supplied" in page
        assert "aligned PSNR" not in page and "PSNR oe" not in page and "classical" in page
        overview = client.get("/tracks/fwd").text
        assert "this harness's own extension" in overview and "metric profile <code>srgb</code>" in overview
        assert "Not made on a forward track" in client.get("/analysis/fwd").text
        evaluation = client.get("/evaluation/fwd").text
        assert (
            "Model submissions are not taken on a forward track" in evaluation and "<dt>Regions</dt>" not in evaluation
        )
        assert "One <code>.png</code> per test input" in client.get("/submit?track=fwd").text
        assert (
            "<code>&lt;stem&gt;.png</code> for every input <code>raw/&lt;stem&gt;.npy</code>"
            in client.get("/data/fwd").text
        )

        # with a backbone (here a random AlexNet of the right layout: the real file is the organiser's),
        # the next score carries LPIPS, per image and as the mean the board shows
        ctx.scoring.lpips = LpipsScorer(random_backbone(tmp_path), expected_size=None, expected_sha256=None)
        tok2 = client.post("/api/teams", json={"name": "lpips-team"}).json()["token"]
        sub2 = _submit(client, tok2, _zip(sample)).json()["id"]
        assert ctx.scoring.process(sub2) == "scored"
        row = next(r for r in client.get("/api/leaderboard/fwd?split=test1").json() if r["team"] == "lpips-team")
        expected = [
            ctx.scoring.lpips.score(read_rgb(io.BytesIO(sample[f"{s}.png"])), read_rgb(where.gt_of(s)))
            for s in ("0", "1", "2")
        ]
        assert row["lpips_note"] is None and row["lpips"] > 0 and abs(row["lpips"] - np.mean(expected)) < 1e-6
        images = client.get(f"/api/submissions/{sub2}/images", headers={"Authorization": f"Bearer {tok2}"}).json()
        assert [i["lpips"] for i in sorted(images, key=lambda i: i["name"])] == pytest.approx(expected, abs=1e-6)
        assert f"{row['lpips']:.4f}" in client.get("/leaderboard/fwd?split=test1").text

        r = client.get("/api/analysis/fwd/compare.png?image=0&split=test1", headers=ORG_AUTH)
        assert r.status_code == 400 and "forward track" in r.json()["detail"]
        r = client.post(
            "/api/organiser/baselines", headers=ORG_AUTH, json={"method": "unet", "track": "fwd", "split": "test1"}
        )
        assert r.status_code == 400 and "reverse method" in r.json()["detail"]
