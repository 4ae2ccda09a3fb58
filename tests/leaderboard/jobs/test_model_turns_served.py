"""One team cannot hold the model queue: a real service with its embedded workers, real ONNX models.

Team A uploads five models that loop for ever (each stopped by the split's 3 s wall limit), then
team B one healthy model, then team A a sixth looping one. B's model runs after at most one of
A's, A's runs go one at a time in order, the runs that hit the limit count against A's daily
limit, and the organiser's queue (API and live page) shows each team's turn. Run with ``-s`` to
see the figures.
"""

from __future__ import annotations

import os
import time
from datetime import UTC

import httpx
import pytest
from sqlmodel import Session, col, select

from harness.challenge import load_challenge, save_challenge
from leaderboard.db import make_engine
from leaderboard.launch import start_server, stop_server
from leaderboard.models import Job, Submission
from tests.submissions.model_helpers import endless_loop, healthy
from tests.support import build_rgb_challenge, team, wait

ORG = "queue-organiser-token-of-the-tests-0123"
WALL_S = 5.0  # the healthy model must finish inside it on a busy 2-core machine too
LOOPING = 3  # runs A queues before B uploads (then one more): enough to show one turn, not a queue


def upload(base: str, token: str, blob: bytes) -> httpx.Response:
    return httpx.post(
        f"{base}/api/submissions",
        headers={"Authorization": f"Bearer {token}"},
        data={"track": "s7", "split": "test1", "kind": "model"},
        files={"file": ("model.onnx", blob, "application/octet-stream")},
        timeout=60,
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("turns")
    data = build_rgb_challenge(tmp / "data")
    chal = data / "challenges" / "demo"
    spec = load_challenge(chal)
    for t in spec.tracks:
        for s in t.splits:
            if s.name == "test1":
                s.model_wall_s, s.limit_per_day = WALL_S, LOOPING + 1
    save_challenge(spec, chal)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    env.update(
        HARNESS_DATA_DIR=str(data),
        HARNESS_ORGANISER_TOKEN=ORG,
        HARNESS_WORKERS="1",
        HARNESS_JOB_HEARTBEAT_S="0.5",
        HARNESS_MODEL_MEMORY_MB="3072",
        HARNESS_MODEL_MEASURE_FULL="false",
    )
    proc, base = start_server(env, tmp / "server.log")
    deadline = time.monotonic() + 60  # the gpu worker is up: waits measured below are the queue's, not its start
    while time.monotonic() < deadline:
        q = httpx.get(f"{base}/api/organiser/queue", headers={"Authorization": f"Bearer {ORG}"}).json()
        if any(w["alive"] and "gpu" in w["queues"].split(",") for w in q["workers"]):
            break
        time.sleep(0.2)
    else:
        raise AssertionError("no gpu worker reported alive within 60 s")
    engine = make_engine(f"sqlite:///{data / 'harness.db'}")
    yield base, engine
    engine.dispose()
    stop_server(proc, wait=False)


def jobs_of(engine, sub_ids: list[int]) -> list[Job]:
    with Session(engine) as session:
        rows = session.exec(select(Job).where(col(Job.submission_id).in_(sub_ids)).order_by(col(Job.id))).all()
        for j in rows:
            session.expunge(j)
    for j in rows:  # SQLite hands the times back without their zone
        for name in ("created_at", "started_at", "finished_at"):
            value = getattr(j, name)
            if value is not None and value.tzinfo is None:
                setattr(j, name, value.replace(tzinfo=UTC))
    return rows


@pytest.mark.slow
def test_a_team_with_looping_models_holds_one_turn_not_the_queue(served, browser):
    from playwright.sync_api import expect

    base, engine = served
    a, b = team(base, "looping team"), team(base, "healthy team")
    loop_blob, healthy_blob = endless_loop().SerializeToString(), healthy().SerializeToString()
    a_subs = []
    for _ in range(LOOPING):
        r = upload(base, a["token"], loop_blob)
        assert r.status_code == 202, r.text
        a_subs.append(r.json()["id"])
    r = upload(base, b["token"], healthy_blob)
    assert r.status_code == 202, r.text
    b_sub = r.json()["id"]
    r = upload(base, a["token"], loop_blob)  # A's sixth, while its others still wait
    assert r.status_code == 202, r.text
    a_subs.append(r.json()["id"])

    # (d) the organiser sees each team's turn: one of A's going, the rest waiting in submission order
    q = httpx.get(f"{base}/api/organiser/queue", headers={"Authorization": f"Bearer {ORG}"}).json()
    queues = {t["team"]: t["jobs"] for t in q["model_queues"]}
    a_queue = queues["looping team"]
    assert [j["submission_id"] for j in a_queue] == a_subs[len(a_subs) - len(a_queue) :]
    assert a_queue[0]["state"] in ("queued", "running") and {j["state"] for j in a_queue[1:]} == {"waiting"}
    assert len(a_queue) >= LOOPING  # at most the first one has ended by now
    assert all(j["waiting_s"] >= 0 for j in a_queue) and q["jobs"]["waiting"] >= LOOPING - 1
    # never more than one of a team's runs queued or running, however many it uploaded
    assert all(sum(j["state"] != "waiting" for j in jobs) == 1 for jobs in queues.values())
    # ... and on the live organiser page
    page = browser.new_page()
    page.goto(f"{base}/organiser")
    page.fill("#token", ORG)
    page.click("#load")
    rows = page.locator("#model-queue tbody tr")
    expect(rows.first).to_contain_text("looping team")
    expect(page.locator("#model-queue tbody")).to_contain_text("waiting")
    expect(page.locator("#model-queue tbody")).to_contain_text("healthy team")
    page.close()

    b_doc = wait(base, b["token"], b_sub, timeout=60)
    assert b_doc["status"] == "scored", b_doc
    ended = [wait(base, a["token"], s, timeout=120) for s in a_subs]
    assert [d["errors"][0]["code"] for d in ended] == ["wall_time_limit"] * len(a_subs)
    assert f"wall-clock limit of {WALL_S:g} s" in ended[0]["errors"][0]["message"]  # the split's own limit

    a_jobs, (b_job,) = jobs_of(engine, a_subs), jobs_of(engine, [b_sub])
    # (a) B's healthy model ran after at most one of A's looping runs, while A still had runs waiting
    b_wait = (b_job.started_at - b_job.created_at).total_seconds()
    b_run = (b_job.finished_at - b_job.started_at).total_seconds()
    a_after_b = sum(j.started_at >= b_job.finished_at for j in a_jobs)
    a_runs = [(j.finished_at - j.started_at).total_seconds() for j in a_jobs]
    print(
        f"\nhealthy model waited {b_wait:.1f} s behind {LOOPING} looping ones (wall {WALL_S:g} s), ran {b_run:.1f} s; "
        f"{a_after_b} of the looping team's {len(a_jobs)} runs started after it finished; "
        f"looping runs took {min(a_runs):.1f}-{max(a_runs):.1f} s each, {sum(a_runs):.1f} s in all"
    )
    assert a_after_b >= LOOPING - 1
    assert b_wait <= max(a_runs) + 5.0, (b_wait, a_runs)
    # (b) A's runs went one at a time, in submission order: each started after the previous ended
    for before, after in zip(a_jobs, a_jobs[1:], strict=False):
        assert after.started_at >= before.finished_at, (before.id, after.id)

    # (c) the runs stopped by the limit count against A's daily limit (failed ones otherwise do not)
    with Session(engine) as session:
        charged = session.exec(select(Submission.charged).where(col(Submission.id).in_(a_subs))).all()
    assert charged == [True] * len(a_subs)
    r = upload(base, a["token"], healthy_blob)
    assert r.status_code == 429, r.text
    detail = r.json()["detail"]
    assert f"limit of {LOOPING + 1} submissions per 24 h" in detail
    assert f"stopped by a time or memory limit: {len(a_subs)} of yours" in detail
    assert upload(base, b["token"], healthy_blob).status_code == 202  # another team is not affected

    # the organiser's queue is empty of A's runs once they ended
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        q = httpx.get(f"{base}/api/organiser/queue", headers={"Authorization": f"Bearer {ORG}"}).json()
        if "looping team" not in {t["team"] for t in q["model_queues"]}:
            break
        time.sleep(0.2)
    assert "looping team" not in {t["team"] for t in q["model_queues"]}
