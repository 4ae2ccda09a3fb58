"""Baseline runs end to end on CPU: the CLI, the database, the leaderboard, and a job on the gpu queue."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import pytest
import sqlalchemy as sa
import torch

from baselines.protocol import device_name
from leaderboard.launch import start_server, stop_server
from tests.support import BASELINE_ORG as ORG
from tests.support import env_for


def harness(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "leaderboard", *args], env=env, capture_output=True, text=True, timeout=600
    )


def rows(data_dir, sql):
    engine = sa.create_engine(f"sqlite:///{data_dir / 'harness.db'}")
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


@pytest.mark.slow
def test_list_shows_cards_and_measured_counts():
    res = harness(os.environ.copy(), "baselines", "list", "--json")
    assert res.returncode == 0, res.stderr
    cards = {c["name"]: c for c in json.loads(res.stdout)}
    assert cards["mialgo"]["measured"]["params"] == 4_537_202 and cards["mialgo"]["measured"]["params_frozen"] == 4096
    assert cards["unet"]["measured"]["params"] == 1_861_764 and cards["cycleisp"]["kind"] == "learned"
    assert cards["upi"]["kind"] == "model-based" and cards["mialgo"]["full_resolution"] is True


@pytest.mark.slow
def test_train_run_record_and_show(data_dir):
    env = env_for(data_dir)
    missing = harness(env, "baselines", "run", "unet", "-t", "s7", "-s", "test1")
    assert missing.returncode == 2 and "train it first" in missing.stderr
    trained = harness(env, "baselines", "train", "unet", "-t", "s7", "--steps", "3", "--json")
    assert trained.returncode == 0, trained.stderr
    t = json.loads(trained.stdout)
    assert t["steps"] == 3 and (data_dir / "baselines" / "demo" / "unet" / "s7.safetensors").exists()
    ran = harness(env, "baselines", "run", "unet", "-t", "s7", "-s", "test1", "--json")
    assert ran.returncode == 0, ran.stderr
    r = json.loads(ran.stdout)
    assert r["status"] == "scored" and r["n_images"] == 3 and r["weights_sha256"] == t["sha256"]
    assert r["measurement"]["params"] == 1_861_764 and r["measurement"]["macs_patch"] > 0
    # 3 steps of a recipe of more: its provenance says untrained, with what it did and on what it was timed
    prov = r["provenance"]
    assert (
        prov["state"] == "short"
        and prov["steps"] == 3
        and prov["budget"] == "steps 3"
        and prov["sha256"] == t["sha256"]
    )
    assert (
        prov["recipe_steps"] > 3
        and prov["device"] == device_name(torch.device("cpu"))
        and prov["recipe"]["loss"] == "mse"
    )
    assert r["runtime"] == f"torch {torch.__version__}, cpu" and r["measurement"]["peak_memory_mb"] > 0
    assert rows(
        data_dir,
        "SELECT run.method, submission.track, submission.split, run.inputs, run.params, run.weights_sha256, "
        "run.weights_state, run.train_steps, run.runtime "
        "FROM run JOIN submission ON submission.id = run.submission_id WHERE run.kind = 'baseline'",
    ) == [("unet", "s7", "test1", "patches", 1_861_764, t["sha256"], "short", 3, f"torch {torch.__version__}")]
    assert rows(data_dir, "SELECT name, kind FROM team") == [("baseline: unet", "baseline")]
    assert rows(data_dir, "SELECT count(*) FROM score WHERE current") == [(1,)]

    proc, base = start_server(env, data_dir / "server.log")
    try:
        board = httpx.get(f"{base}/api/leaderboard/s7", params={"split": "test1"}).json()
        assert len(board) == 1 and board[0]["kind"] == "baseline" and board[0]["rank"] is None
        assert board[0]["baseline"]["params"] == 1_861_764 and board[0]["psnr"] == pytest.approx(r["psnr"])
        html = httpx.get(f"{base}/leaderboard/s7").text
        # its own section, apart from the ranked teams, with the method's name
        assert 'id="baselines-title"' in html and '<tr class="baseline untrained" data-team="baseline: unet"' in html
        assert board[0]["baseline"]["untrained"] is True and board[0]["baseline"]["weights_state"] == "short"

        # the same through the job system: the organiser queues it, the embedded gpu worker runs it
        org = {"Authorization": f"Bearer {ORG}"}
        assert httpx.post(
            f"{base}/api/organiser/baselines", json={"method": "mialgo", "track": "p20", "split": "test2"}
        ).status_code in (401, 403)
        bad = httpx.post(
            f"{base}/api/organiser/baselines", headers=org, json={"method": "nope", "track": "p20", "split": "test2"}
        )
        assert bad.status_code == 404
        job = httpx.post(
            f"{base}/api/organiser/baselines",
            headers=org,
            json={"method": "mialgo", "track": "p20", "split": "test2", "train": {"steps": 2}},
        )
        assert job.status_code == 202 and job.json()["queue"] == "gpu"
        deadline = time.time() + 300
        board = []
        while time.time() < deadline and not board:
            board = httpx.get(f"{base}/api/leaderboard/p20", params={"split": "test2"}, headers=org).json()
            time.sleep(0.5)
        assert board, (data_dir / "server.log").read_text()[-3000:]
        row = board[0]
        assert row["team"] == "baseline: mialgo" and row["full_resolution"] is True and row["n_images"] == 48
        assert row["baseline"]["params"] == 4_537_202 and row["baseline"]["runtime_full_ms"] > 0
        assert row["baseline"]["reported_params_m"] == 4.5 and row["baseline"]["reported_gpu"] == "V100"
        for _ in range(100):  # the job is marked done just after its row appears
            if rows(data_dir, "SELECT state FROM job WHERE kind = 'baseline-run'") == [("SUCCEEDED",)]:
                break
            time.sleep(0.1)
        assert rows(data_dir, "SELECT state FROM job WHERE kind = 'baseline-run'") == [("SUCCEEDED",)]
        assert rows(data_dir, "SELECT queues, device FROM workerbeat WHERE queues = 'gpu'")[0][1].startswith("cpu")
    finally:
        stop_server(proc, wait=False)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, track",
    [
        # one per kind of method and inputs: the path from here on is the same for every method. hitiil
        # and ssdnet (about a minute each on 2 cores: tens of GMACs per patch) are built, trained and
        # run through their shapes in test_methods.py and test_tta.py
        ("cvip", "p20"),
        ("sensebrains", "p20"),
        ("rstisp", "p20"),
        ("mbispld", "p20"),
    ],
)
def test_each_team_method_trains_runs_and_lands_on_the_leaderboard(name, track, data_dir):
    """End to end at tiny size on the CPU: train a step, run p20/test1, score, record, read it back."""
    from leaderboard.context import build_context
    from leaderboard.db import make_engine
    from leaderboard.settings import Settings

    settings = Settings(data_dir=data_dir, workers=1)
    engine = make_engine(f"sqlite:///{data_dir / 'harness.db'}")
    service = build_context(settings, engine)
    try:
        trained = service.baselines.train(name, track, steps=1)
        assert trained.steps == 1 and len(trained.sha256) == 64
        result = service.baselines.run(name, track, "test1", device="cpu")
        assert result.status == "scored" and result.n_images == 3
        from baselines import registry

        expected = registry.get(name).card.expected_params.get(track)
        if expected is not None:
            assert result.measurement.params == expected
        assert result.measurement.tta is False
        from sqlmodel import Session

        with Session(engine) as session:
            rows = service.ranking.leaderboard(session, track, "test1", organiser=True)
        row = next(r for r in rows if r.team == f"baseline: {name}")
        assert row.baseline.params == result.measurement.params and row.rank is None
    finally:
        engine.dispose()
