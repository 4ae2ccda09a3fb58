"""Model runs take turns per team, on real databases: one queued or running per team, the rest
waiting in submission order, promoted when the previous one ends, healed by the reaper, and never
two at once however many processes promote together."""

from __future__ import annotations

import io
import threading

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from leaderboard.context import Context, build_context
from leaderboard.db import make_engine
from leaderboard.jobs import fairness
from leaderboard.models import Job, JobState, Team
from leaderboard.settings import Settings
from tests.support import build_tiny_challenge, drop_postgres, postgres_url


@pytest.fixture(params=["sqlite", "postgres"])
def service(request, tmp_path):
    data = build_tiny_challenge(tmp_path / "data", test1_limits=(20, 50))
    url = f"sqlite:///{data / 'harness.db'}" if request.param == "sqlite" else postgres_url()
    # the embedded broker under tmp: messages are sent but no worker consumes them
    settings = Settings(data_dir=data, database_url=url, job_stale_s=1, job_max_attempts=1, workers=1)
    engine = make_engine(url)
    yield build_context(settings, engine)
    engine.dispose()
    if request.param == "postgres":
        drop_postgres(url)


def register(service: Context, name: str) -> int:
    with Session(service.engine) as session:
        return service.teams.register(session, name).id


def model_upload(service: Context, team_id: int) -> int:
    """A model submission's job id (the bytes are never run here: no worker consumes the queue)."""
    with Session(service.engine) as session:
        team = session.get(Team, team_id)
        sub = service.submissions.submit(session, team, "s7", "test1", io.BytesIO(b"onnx bytes"), {"kind": "model"})
        return session.exec(select(Job.id).where(Job.submission_id == sub.id)).one()


def states(service: Context, ids: list[int]) -> list[str]:
    with Session(service.engine) as session:
        return [session.get(Job, i).state.value for i in ids]


def test_a_teams_model_runs_wait_for_their_turn_in_order(service):
    a, b = register(service, "looping team"), register(service, "healthy team")
    a_jobs = [model_upload(service, a) for _ in range(3)]
    b_job = model_upload(service, b)
    assert states(service, [*a_jobs, b_job]) == ["queued", "waiting", "waiting", "queued"]
    with Session(service.engine) as session:
        waiting = session.get(Job, a_jobs[1])
        assert waiting.dispatched_at is None and waiting.team_id == a
    assert service.jobs.reap()["resent"] == 0  # a waiting job has no message to resend

    first = service.jobs.claim(a_jobs[0], "w:1")
    assert service.jobs.claim(a_jobs[1], "w:1") is None  # a waiting job cannot be claimed
    assert service.jobs.finish(first)
    assert states(service, a_jobs) == ["succeeded", "queued", "waiting"]
    with Session(service.engine) as session:
        assert session.get(Job, a_jobs[1]).dispatched_at is not None  # sent when promoted

    second = service.jobs.claim(a_jobs[1], "w:1")
    assert service.jobs.retry_or_fail(second, "RuntimeError: boom") == JobState.FAILED  # a final failure ends it too
    assert states(service, a_jobs) == ["succeeded", "failed", "queued"]
    assert states(service, [b_job]) == ["queued"]  # the other team was never held back


def test_the_reaper_gives_a_turn_lost_with_a_process(service):
    a = register(service, "team a")
    jobs = [model_upload(service, a) for _ in range(2)]
    with Session(service.engine) as session:  # the job ended, then its process died before promoting
        session.exec(update(Job).where(Job.id == jobs[0]).values(state=JobState.SUCCEEDED))
        session.commit()
        assert fairness.stalled_teams(session) == [a]
    assert service.jobs.reap()["promoted"] == 1
    assert states(service, jobs) == ["succeeded", "queued"]
    assert service.jobs.reap()["promoted"] == 0


def test_racing_promotions_queue_one_job(service):
    a = register(service, "team a")
    jobs = [model_upload(service, a) for _ in range(6)]
    with Session(service.engine) as session:
        session.exec(update(Job).where(Job.id == jobs[0]).values(state=JobState.SUCCEEDED))
        session.commit()
    barrier = threading.Barrier(5)
    promoted = []

    def promote():
        barrier.wait()
        promoted.append(fairness.promote(service.engine, a))

    threads = [threading.Thread(target=promote) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [p.id for p in promoted if p is not None] == [jobs[1]]
    with Session(service.engine) as session:
        going = session.exec(select(Job.id).where(Job.team_id == a, col(Job.state).in_(fairness.GOING))).all()
    assert going == [jobs[1]]


def test_a_rescore_of_a_waiting_model_adds_nothing_and_a_new_one_waits(service):
    a = register(service, "team a")
    jobs = [model_upload(service, a) for _ in range(2)]
    with Session(service.engine) as session:
        sub = service.submissions.get(session, session.get(Job, jobs[1]).submission_id)
        service.submissions.rescore(session, sub)
        assert len(session.exec(select(Job).where(Job.submission_id == sub.id)).all()) == 1
        first = service.submissions.get(session, session.get(Job, jobs[0]).submission_id)
    finished = service.jobs.claim(jobs[0], "w:1")
    service.jobs.finish(finished)  # the first ended: the second is queued; a re-run of the first waits behind it
    with Session(service.engine) as session:
        service.submissions.rescore(session, session.merge(first))
        rerun = session.exec(select(Job).where(Job.submission_id == first.id).order_by(col(Job.id).desc())).first()
        assert rerun.state == JobState.WAITING and rerun.team_id == a


def test_the_organiser_summary_lists_each_teams_turns(service):
    a, b = register(service, "team a"), register(service, "team b")
    a_jobs = [model_upload(service, a) for _ in range(3)]
    b_job = model_upload(service, b)
    service.jobs.claim(a_jobs[0], "w:1")
    with Session(service.engine) as session:
        queues = service.jobs.summary(session)["model_queues"]
    assert [q["team"] for q in queues] == ["team a", "team b"]
    assert [(j["job_id"], j["state"]) for j in queues[0]["jobs"]] == [
        (a_jobs[0], "running"),
        (a_jobs[1], "waiting"),
        (a_jobs[2], "waiting"),
    ]
    assert queues[0]["jobs"][0]["running_s"] >= 0 and queues[0]["jobs"][1]["waiting_s"] >= 0
    assert [(j["job_id"], j["state"]) for j in queues[1]["jobs"]] == [(b_job, "queued")]


def test_jobs_status_prints_each_teams_turns(service):
    import json
    import os
    import subprocess
    import sys

    a = register(service, "team a")
    jobs = [model_upload(service, a) for _ in range(2)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    env.update(HARNESS_DATA_DIR=str(service.settings.data_dir), HARNESS_DATABASE_URL=service.settings.database_url)
    text = subprocess.run(
        [sys.executable, "-m", "leaderboard", "jobs", "status"], env=env, capture_output=True, text=True, timeout=120
    )
    assert text.returncode == 0, text.stderr
    assert "model runs per team" in text.stdout and "waiting" in text.stdout
    out = subprocess.run(
        [sys.executable, "-m", "leaderboard", "jobs", "status", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    doc = json.loads(out.stdout)
    assert doc["jobs"]["waiting"] == 1
    assert [(j["job_id"], j["state"]) for j in doc["model_queues"][0]["jobs"]] == [
        (jobs[0], "queued"),
        (jobs[1], "waiting"),
    ]
