"""Model submissions through the service: a team uploads an ONNX model, the gpu-queue worker (on
the CPU here) runs it contained, measures it, stores its predictions and scores them; hostile
models fail with their reason and never stop the worker; the split's model policy holds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from baselines.onnx_export import export_method
from harness.challenge import load_challenge, save_challenge
from leaderboard.launch import start_server, stop_server
from tests.support import build_rgb_challenge, team, wait

ORG = "model-organiser-token-of-the-test-service"  # at least 32 characters, or the service refuses to start


def env_for(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    env.update(
        HARNESS_DATA_DIR=str(data),
        HARNESS_ORGANISER_TOKEN=ORG,
        HARNESS_WORKERS="1",
        HARNESS_JOB_HEARTBEAT_S="0.5",
        HARNESS_MODEL_WALL_S="60",
        HARNESS_MODEL_MEMORY_MB="3072",
    )
    return env


def cli(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "leaderboard", *map(str, args)], env=env, capture_output=True, text=True, timeout=600
    )


def upload_model(base: str, token: str, name: str, blob: bytes, split: str = "test1") -> httpx.Response:
    return httpx.post(
        f"{base}/api/submissions",
        headers={"Authorization": f"Bearer {token}"},
        data={"track": "s7", "split": split, "kind": "model"},
        files={"file": (name, blob, "application/octet-stream")},
        timeout=60,
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("models")
    data = build_rgb_challenge(tmp / "data")
    chal = data / "challenges" / "demo"
    spec = load_challenge(chal)
    for t in spec.tracks:
        for s in t.splits:
            if s.name == "test2":
                s.models = "required"
    save_challenge(spec, chal)
    env = env_for(data)
    proc, base = start_server(env, tmp / "server.log")
    exported = export_method("zeronoise", spec.track("s7"), tmp / "zeronoise.zip")
    yield base, env, data, tmp, exported
    stop_server(proc, wait=False)


def test_a_model_is_run_measured_and_scored_like_an_upload(served):
    base, env, _data, tmp, exported = served
    t = team(base, "onnx team")
    res = cli(env, "submit", "--model", tmp / "zeronoise.zip", "--token", t["token"], "--track", "s7",
              "--split", "test1", "--server", base, "--json")  # fmt: skip
    assert res.returncode == 0, res.stderr + res.stdout
    doc = httpx.get(
        f"{base}/api/submissions/{__import__('json').loads(res.stdout)['id']}",
        headers={"Authorization": f"Bearer {t['token']}"},
    ).json()
    assert doc["status"] == "scored" and doc["upload"] == "model", doc
    m = doc["model"]
    assert m["params"] == exported.params == exported.params_protocol  # measured exactly as the protocol counts
    assert m["macs_g_patch"] > 0 and m["runtime_patch_ms"] > 0 and m["device"] == "cpu"
    assert doc["scores"]["test1"]["n_images"] == 3
    rows = httpx.get(f"{base}/api/leaderboard/s7", params={"split": "test1"}).json()
    row = next(r for r in rows if r["team"] == "onnx team")
    assert row["model"]["params"] == exported.params and row["rank"] == 1


def test_comparisons_read_a_model_s_predictions_and_a_damaged_zip_is_422(served):
    base, _env, data, tmp, _exported = served
    org = {"Authorization": f"Bearer {ORG}"}
    t = team(base, "compared model")
    sub_id = upload_model(base, t["token"], "model.zip", (tmp / "zeronoise.zip").read_bytes()).json()["id"]
    assert wait(base, t["token"], sub_id, timeout=300)["status"] == "scored"
    rows = httpx.get(f"{base}/api/leaderboard/s7", params={"split": "test1"}).json()
    assert sub_id in [r["submission_id"] for r in rows[:4]]  # the default comparison takes it
    image = httpx.get(f"{base}/api/analysis/s7/images", params={"split": "test1"}).json()["images"][0]
    png = httpx.get(f"{base}/api/analysis/s7/compare.png", params={"image": image, "split": "test1"}, headers=org)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG"), png.text[:300]
    stored = data / "submissions" / str(sub_id) / "predictions.zip"
    kept = stored.read_bytes()
    stored.chmod(0o644)
    stored.write_bytes(b"PK\x03\x04 damaged on disk")
    try:
        bad = httpx.get(
            f"{base}/api/analysis/s7/compare.png",
            params={"image": image, "split": "test1", "entries": str(sub_id)},
            headers=org,
        )
        assert bad.status_code == 422, bad.text
        assert f"submission {sub_id}" in bad.json()["detail"] and "predictions.zip" in bad.json()["detail"]
        again = httpx.post(f"{base}/api/submissions/{sub_id}/rescore", headers=org)
        assert again.status_code == 422 and "cannot be read as a zip" in again.json()["detail"], again.text
        stored.unlink()
        gone = httpx.get(
            f"{base}/api/analysis/s7/compare.png",
            params={"image": image, "split": "test1", "entries": str(sub_id)},
            headers=org,
        )
        assert gone.status_code == 422 and "is missing" in gone.json()["detail"], gone.text
    finally:
        stored.write_bytes(kept)
        stored.chmod(0o444)


def test_hostile_models_fail_with_their_reason_and_the_worker_goes_on(served):
    base, _env, _data, tmp, _exported = served
    t = team(base, "hostile team")
    bad = upload_model(base, t["token"], "model.onnx", b"this is not a protobuf at all" * 10)
    assert bad.status_code == 202, bad.text
    healthy = upload_model(base, t["token"], "model.zip", (tmp / "zeronoise.zip").read_bytes())
    failed = wait(base, t["token"], bad.json()["id"], timeout=300)
    assert failed["status"] == "failed" and failed["errors"][0]["code"] == "not_onnx", failed["errors"]
    assert wait(base, t["token"], healthy.json()["id"], timeout=300)["status"] == "scored"
    # nothing of the failed run is left in the data dir's scratch
    assert not [p for p in (_data / "work").iterdir()] if (_data / "work").exists() else True


def test_the_split_policy_decides_what_may_be_uploaded(served):
    base, _env, _data, tmp, _exported = served
    t = team(base, "policy team")
    required = httpx.post(
        f"{base}/api/submissions",
        headers={"Authorization": f"Bearer {t['token']}"},
        data={"track": "s7", "split": "test2"},
        files={"file": ("p.zip", b"PK\x05\x06" + b"\0" * 18, "application/zip")},
    )
    assert required.status_code == 400 and "requires a model" in required.json()["detail"]


def test_a_rescore_scores_the_stored_predictions_again(served):
    base, _env, _data, tmp, _exported = served
    t = team(base, "rescore team")
    sub_id = upload_model(base, t["token"], "model.zip", (tmp / "zeronoise.zip").read_bytes()).json()["id"]
    first = wait(base, t["token"], sub_id, timeout=300)
    assert first["status"] == "scored"
    r = httpx.post(f"{base}/api/submissions/{sub_id}/rescore", headers={"Authorization": f"Bearer {ORG}"})
    assert r.status_code == 200
    again = wait(base, t["token"], sub_id, timeout=300)
    assert again["status"] == "scored" and again["scores"] == first["scores"] and again["model"] == first["model"]


def test_the_leaderboard_marks_a_re_run_model_and_filters_measured_entries(served, browser):
    from playwright.sync_api import expect

    from tests.support import ARTIFACTS

    base, _env, data, _tmp, exported = served
    t = team(base, "reported only")  # a predictions upload beside the model entries: self-reported figures
    import io
    import zipfile

    import numpy as np

    from tests.support import npy_bytes

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for p in sorted((data / "challenges" / "demo" / "s7" / "test1" / "gt").glob("*.npy")):
            zf.writestr(p.name, npy_bytes(np.load(p)))
    r = httpx.post(
        f"{base}/api/submissions",
        headers={"Authorization": f"Bearer {t['token']}"},
        data={"track": "s7", "split": "test1", "params_m": "1.5", "runtime_s": "0.2", "device": "gpu"},
        files={"file": ("p.zip", buf.getvalue(), "application/zip")},
    )
    assert wait(base, t["token"], r.json()["id"], timeout=300)["status"] == "scored"
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{base}/leaderboard/s7?split=test1")
    row = page.locator("#board tr.team-row", has_text="onnx team")
    expect(row.locator(".badge.rerun")).to_have_text("re-run here")
    expect(row.locator("td.measured").first).to_contain_text(f"{exported.params / 1e6:.3g}")
    expect(page.locator("#board tr.team-row", has_text="reported only").locator(".badge.rerun")).to_have_count(0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "leaderboard-model-submission.png"), full_page=True)
    page.check("#measured-only")
    expect(page.locator("#board tr.team-row", has_text="reported only")).to_be_hidden()
    expect(row).to_be_visible()
    page.close()
