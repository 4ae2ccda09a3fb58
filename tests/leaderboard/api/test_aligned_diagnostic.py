"""The aligned diagnostic through the service: stored with each score, shown beside the official
figures on the API and the pages, and never used to rank (in-process app, temporary SQLite)."""

from __future__ import annotations

import io
import zipfile

import numpy as np
from fastapi.testclient import TestClient
from scipy.ndimage import shift as nd_shift

from harness.alignment.manifest import align_challenge, reference_plan
from harness.challenge import ChallengeLayout, ChallengeSpec, Misalignment, SplitSpec, TrackSpec, save_challenge
from harness.sim.camera import IspConfig
from leaderboard.app import create_app
from leaderboard.settings import Settings
from tests.harness.alignment.scenes import SIZE, centre, packed, scene, srgb_png
from tests.support import ORG, npy_bytes

SHIFTS = {"0": (1.2, -0.8), "1": (-0.5, 1.6), "2": (0.9, 0.7)}


def build(root):
    """Track p20 (misaligned) with one public test split: each input shows its scene shifted."""
    split = SplitSpec(name="test1", primary_metric="ssim", limit_per_day=10, limit_total=10)
    track = TrackSpec(
        name="p20",
        title="P20",
        camera="test",
        black=0,
        white=1023,
        patch=SIZE,
        misalignment=Misalignment(),
        isp=IspConfig(),
        splits=[SplitSpec(name="train", kind="train"), split],
    )
    spec = ChallengeSpec(name="demo", title="Aligned test", tracks=[track])
    layout = ChallengeLayout.under(root, "demo")
    where = layout.split("p20", "test1")
    truth, shifted = {}, {}
    for k, (stem, s) in enumerate(SHIFTS.items()):
        big = scene(50 + k)
        truth[stem] = packed(centre(big))
        shifted[stem] = packed(centre(nd_shift(big, s, order=3, mode="nearest")))
        where.gt.mkdir(parents=True, exist_ok=True)
        where.rgb.mkdir(parents=True, exist_ok=True)
        where.gt_of(stem).write_bytes(npy_bytes(truth[stem]))
        where.rgb_file(stem, ".png").write_bytes(srgb_png(centre(nd_shift(big, s, order=3, mode="nearest"))))
    save_challenge(spec, layout.root)
    written, notes = align_challenge(layout.root, spec)
    assert notes == [] and [p.name for p in written] == ["alignment.json", "alignment.json.sha256"]
    return where, truth, shifted


def upload(preds: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for stem, arr in preds.items():
            zf.writestr(f"{stem}.npy", npy_bytes(arr))
    return buf.getvalue()


def test_aligned_psnr_is_shown_beside_the_official_and_never_ranks(tmp_path):
    where, truth, shifted = build(tmp_path)
    plan = reference_plan(where)
    assert plan.motion == "affine" and plan.excluded == []
    for stem, s in SHIFTS.items():
        assert np.abs(np.asarray(plan.transforms[stem].shift) - s).max() <= 0.05
    rng = np.random.default_rng(4)
    noisy = {k: np.clip(v + rng.integers(-12, 13, v.shape), 0, 1024).astype(np.uint16) for k, v in truth.items()}

    app = create_app(Settings(data_dir=tmp_path, organiser_token=ORG, serve_worker=False, workers=1))
    ctx = app.state.ctx
    ids = {}
    with TestClient(app) as client:
        for name, preds in (("right-but-shifted", shifted), ("aligned-noisy", noisy)):
            tok = client.post("/api/teams", json={"name": name}).json()["token"]
            r = client.post(
                "/api/submissions",
                headers={"Authorization": f"Bearer {tok}"},
                data={"track": "p20", "split": "test1"},
                files={"file": ("sub.zip", upload(preds), "application/zip")},
            )
            assert r.status_code == 202, r.text
            ids[name] = (r.json()["id"], tok)
            assert ctx.scoring.process(r.json()["id"]) == "scored"

        rows = client.get("/api/leaderboard/p20?split=test1").json()
        by = {r["team"]: r for r in rows}
        shifted_row, noisy_row = by["right-but-shifted"], by["aligned-noisy"]
        # the method that is right but shifted: far better once aligned ...
        assert shifted_row["aligned_psnr_diagnostic"] > shifted_row["psnr"] + 10
        assert noisy_row["aligned_psnr_diagnostic"] < noisy_row["psnr"]
        assert shifted_row["aligned_psnr_diagnostic"] > noisy_row["aligned_psnr_diagnostic"]
        # ... yet the ranking follows the split's official metric, SSIM, whatever the diagnostic says
        assert shifted_row["aligned_ssim_diagnostic"] > noisy_row["aligned_ssim_diagnostic"]
        assert noisy_row["ssim"] > shifted_row["ssim"]
        assert [(r["team"], r["rank"]) for r in rows] == [("aligned-noisy", 1), ("right-but-shifted", 2)]

        sub_id, tok = ids["right-but-shifted"]
        auth = {"Authorization": f"Bearer {tok}"}
        score = client.get(f"/api/submissions/{sub_id}", headers=auth).json()["scores"]["test1"]
        assert score["aligned_psnr_diagnostic"] == shifted_row["aligned_psnr_diagnostic"]
        assert score["aligned_n_images"] == 3 and score["aligned_excluded"] == [] and score["aligned_crop"] == 2
        images = {i["name"]: i for i in client.get(f"/api/submissions/{sub_id}/images", headers=auth).json()}
        for stem, s in SHIFTS.items():
            assert np.abs(np.asarray(images[stem]["shift"]) - s).max() <= 0.05
            assert abs(images[stem]["scale"] - 1) <= 1e-3 and images[stem]["aligned_psnr_diagnostic"] > 40

        page = client.get("/leaderboard/p20?split=test1").text
        assert "aligned PSNR (diagnostic)" in page and f"{shifted_row['aligned_psnr_diagnostic']:.2f}" in page
        assert "never used to rank" in page
        assert "aligned PSNR (diagnostic)" in client.get(f"/submissions/{sub_id}").text
