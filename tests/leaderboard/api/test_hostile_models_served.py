"""Hostile model uploads through a real service (uvicorn, its embedded worker, real ONNX files over HTTP).

- a 56 MB model of 4 M tiny nodes fails ``too_many_nodes`` without growing any process of the service,
  and another team's healthy model is scored after it;
- a model whose outputs are NaN fails ``non_finite`` naming the image, uncharged;
- the team and the organisers read which confinement held for a run; the leaderboard does not show it;
- one team sending the same hostile model ten times at once: the daily limit admits exactly as many
  as it allows, they run one at a time in order, another team's model goes between them, and the
  failed runs do not use up the team's day.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, col, select

from harness.challenge import load_challenge, save_challenge
from leaderboard.db import make_engine
from leaderboard.launch import start_server, stop_server
from leaderboard.models import Job, Run, Submission
from tests.submissions.model_helpers import healthy, nan_model, tiny_nodes_bytes
from tests.support import ORG, build_rgb_challenge, team, wait

ORG_H = {"Authorization": f"Bearer {ORG}"}
PER_DAY = 6


def upload(base: str, token: str, blob: bytes) -> httpx.Response:
    return httpx.post(
        f"{base}/api/submissions",
        headers={"Authorization": f"Bearer {token}"},
        data={"track": "s7", "split": "test1", "kind": "model"},
        files={"file": ("model.onnx", blob, "application/octet-stream")},
        timeout=120,
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile-models")
    data = build_rgb_challenge(tmp / "data")
    chal = data / "challenges" / "demo"
    spec = load_challenge(chal)
    for t in spec.tracks:
        for s in t.splits:
            if s.name == "test1":
                s.limit_per_day, s.model_wall_s = PER_DAY, 60.0
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
    engine = make_engine(f"sqlite:///{data / 'harness.db'}")
    yield base, data, proc.pid, engine
    engine.dispose()
    stop_server(proc, wait=False)


def service_tree(root: int) -> list[int]:
    """``root`` and every process below it (the web server, its worker, their children)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(parents.get(pid, []))
    return out


def peak_mb(pid: int) -> float | None:
    """The process's peak resident set (VmHWM) in MiB, None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


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
def test_4m_tiny_nodes_fail_too_many_nodes_and_the_service_stays_small(served):
    base, data, pid, _engine = served
    hostile, other = team(base, "4m nodes"), team(base, "healthy neighbour")
    good = healthy().SerializeToString()
    first = upload(base, other["token"], good)  # the worker has run a model once: its imports are loaded
    assert wait(base, other["token"], first.json()["id"], timeout=120)["status"] == "scored"
    before = {p: peak_mb(p) for p in service_tree(pid)}
    blob = tiny_nodes_bytes(4_000_000)
    assert len(blob) > 50_000_000
    r = upload(base, hostile["token"], blob)
    assert r.status_code == 202, r.text
    after_hostile = upload(base, other["token"], good)  # sent while the hostile one is queued or running
    assert after_hostile.status_code == 202, after_hostile.text
    doc = wait(base, hostile["token"], r.json()["id"], timeout=120)
    assert doc["status"] == "failed" and doc["n_errors"] == 1, doc
    (e,) = doc["errors"]
    assert e["code"] == "too_many_nodes" and e["file"] == "model.onnx", e
    assert "more than 200000 nodes" in e["message"] and "the model was not parsed" in e["message"], e
    grew = {p: round(peak_mb(p) - mb, 1) for p, mb in before.items() if mb is not None and peak_mb(p) is not None}
    print(f"\npeak resident set growth of the service's processes over a 56 MB, 4 M-node upload (MiB): {grew}")
    assert len(grew) >= 2 and max(grew.values()) < 64, grew  # parsing 4 M nodes would take gigabytes
    assert wait(base, other["token"], after_hostile.json()["id"], timeout=120)["status"] == "scored"
    assert not list((data / "work").iterdir())  # nothing of the check child is left behind
    with Session(_engine) as session:
        assert session.get(Submission, r.json()["id"]).charged is False  # a refused model costs no turn of the day


def test_nan_outputs_fail_non_finite_naming_the_image(served):
    base, _data, _pid, _engine = served
    t = team(base, "nan team")
    r = upload(base, t["token"], nan_model().SerializeToString())
    assert r.status_code == 202, r.text
    doc = wait(base, t["token"], r.json()["id"], timeout=120)
    assert doc["status"] == "failed" and doc["model"] is None and doc["scores"] == {}, doc
    (e,) = doc["errors"]
    assert e["code"] == "non_finite" and e["file"] == "model.onnx", e
    assert "prediction 0:" in e["message"] and "NaN" in e["message"], e
    rows = httpx.get(f"{base}/api/leaderboard/s7", params={"split": "test1"}).json()
    assert "nan team" not in {row["team"] for row in rows}


def test_the_team_and_organisers_read_which_confinement_held(served):
    base, _data, _pid, engine = served
    t = team(base, "confined team")
    sub_id = upload(base, t["token"], healthy().SerializeToString()).json()["id"]
    doc = wait(base, t["token"], sub_id, timeout=120)
    assert doc["status"] == "scored", doc
    with Session(engine) as session:
        stored = session.exec(select(Run).where(Run.submission_id == sub_id, Run.kind == "model")).one().report
    held = doc["model"]["isolation"]
    assert held == stored["isolation"] and doc["model"]["isolation_note"] == stored["isolation_note"]
    if os.geteuid() == 0:  # as root every step holds (the service drops to user 65534 inside the private root)
        assert {"mount_namespace", "private_root", "uid 65534", "no_new_privs"} <= set(held), held
    else:
        assert "no_new_privs" in held, held
    org = httpx.get(f"{base}/api/submissions/{sub_id}", headers=ORG_H).json()
    assert org["model"]["isolation"] == held
    listed = httpx.get(f"{base}/api/submissions", headers={"Authorization": f"Bearer {t['token']}"}).json()
    assert [s["model"]["isolation"] for s in listed if s["id"] == sub_id] == [held]
    rows = httpx.get(f"{base}/api/leaderboard/s7", params={"split": "test1"}).json()
    (row,) = [row for row in rows if row["submission_id"] == sub_id]
    assert row["model"]["params"] == doc["model"]["params"] and row["model"]["isolation"] is None  # not public
    stranger = team(base, "stranger")
    other = httpx.get(f"{base}/api/submissions/{sub_id}", headers={"Authorization": f"Bearer {stranger['token']}"})
    assert other.status_code == 404 and "isolation" not in other.text  # another team reads nothing of it


@pytest.mark.slow
def test_ten_hostile_uploads_at_once_take_one_turn_each_within_the_daily_limit(served):
    base, _data, _pid, engine = served
    a, b = team(base, "burst team"), team(base, "patient team")
    blob = nan_model().SerializeToString()
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: upload(base, a["token"], blob), range(10)))
    codes = sorted(r.status_code for r in answers)
    assert codes == [202] * PER_DAY + [429] * (10 - PER_DAY), [(r.status_code, r.text[:200]) for r in answers]
    for r in answers:
        if r.status_code == 429:
            assert f"limit of {PER_DAY} submissions per 24 h to s7/test1" in r.json()["detail"], r.text
    a_subs = sorted(r.json()["id"] for r in answers if r.status_code == 202)
    b_sub = upload(base, b["token"], healthy().SerializeToString()).json()["id"]

    q = httpx.get(f"{base}/api/organiser/queue", headers=ORG_H).json()
    queues = {t["team"]: t["jobs"] for t in q["model_queues"]}
    burst = queues.get("burst team", [])
    assert sum(j["state"] != "waiting" for j in burst) <= 1, burst  # never two of its runs going at once
    assert [j["submission_id"] for j in burst] == a_subs[len(a_subs) - len(burst) :]  # the rest wait in order

    ended = [wait(base, a["token"], s, timeout=180) for s in a_subs]
    assert [d["errors"][0]["code"] for d in ended] == ["non_finite"] * PER_DAY
    assert wait(base, b["token"], b_sub, timeout=120)["status"] == "scored"
    a_jobs, (b_job,) = jobs_of(engine, a_subs), jobs_of(engine, [b_sub])
    assert [j.submission_id for j in a_jobs] == a_subs
    for before, after in zip(a_jobs, a_jobs[1:], strict=False):  # one at a time, in the order they arrived
        assert after.started_at >= before.finished_at, (before.id, after.id)
    assert sum(j.started_at < b_job.started_at for j in a_jobs) <= 1  # the other team waited one turn at most
    with Session(engine) as session:
        charged = session.exec(select(Submission.charged).where(col(Submission.id).in_(a_subs))).all()
    assert charged == [False] * PER_DAY
    again = upload(base, a["token"], healthy().SerializeToString())  # failed, uncharged runs free the day again
    assert again.status_code == 202, again.text
    assert wait(base, a["token"], again.json()["id"], timeout=120)["status"] == "scored"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        q = httpx.get(f"{base}/api/organiser/queue", headers=ORG_H).json()
        if "burst team" not in {t["team"] for t in q["model_queues"]}:
            break
        time.sleep(0.2)
    assert "burst team" not in {t["team"] for t in q["model_queues"]}
