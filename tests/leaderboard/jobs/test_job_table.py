"""The job table's transitions on real databases: claim once, heartbeat, reap, give up, one score set."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from leaderboard.context import Context, build_context
from leaderboard.db import make_engine
from leaderboard.jobs.runner import run_job
from leaderboard.models import Job, JobState, Score, Status, Submission, Team, utcnow
from leaderboard.settings import Settings
from tests.clock import MovableClock
from tests.support import build_tiny_challenge, drop_postgres, make_zip, postgres_url


@pytest.fixture(params=["sqlite", "postgres"])
def service(request, tmp_path):
    data = build_tiny_challenge(tmp_path / "data")
    url = f"sqlite:///{data / 'harness.db'}" if request.param == "sqlite" else postgres_url()
    # the broker is the embedded one under tmp: messages are sent but no worker consumes them
    settings = Settings(data_dir=data, database_url=url, job_stale_s=1, job_max_attempts=2, workers=1)
    engine = make_engine(url)
    yield build_context(settings, engine)
    engine.dispose()
    if request.param == "postgres":
        drop_postgres(url)


def new_submission(service: Context, seed: int = 1) -> tuple[int, int]:
    with Session(service.engine) as session:
        team = service.teams.register(session, f"t{seed}")
        sub = service.submissions.submit(
            session,
            session.get(Team, team.id),
            "s7",
            "test1",
            io.BytesIO(make_zip(service.settings.data_dir, seed=seed)),
            {},
        )
        job = session.exec(select(Job).where(Job.submission_id == sub.id)).one()
        return sub.id, job.id


def test_a_job_is_claimed_once(service):
    _, job_id = new_submission(service)
    first = service.jobs.claim(job_id, "host:1")
    assert first is not None and first.attempts == 1 and first.state == JobState.RUNNING
    assert service.jobs.claim(job_id, "host:2") is None  # a duplicate delivery does nothing
    assert service.jobs.beat(first)
    assert service.jobs.finish(first)
    assert service.jobs.claim(job_id, "host:3") is None  # nor after it finished


def test_run_job_scores_and_a_redelivery_is_a_no_op(service, monkeypatch):
    sub_id, job_id = new_submission(service)
    assert run_job(service.jobs, job_id) == "succeeded"
    assert run_job(service.jobs, job_id) == "skipped"
    with Session(service.engine) as session:
        assert session.get(Submission, sub_id).status == Status.SCORED
        assert len(session.exec(select(Score).where(Score.submission_id == sub_id)).all()) == 1


def test_reaper_requeues_a_lost_job_then_gives_up(service):
    sub_id, job_id = new_submission(service)
    for attempt in (1, 2):
        job = service.jobs.claim(job_id, f"dead:{attempt}")
        assert job is not None and job.attempts == attempt
        with Session(service.engine) as session:  # the worker died: its heartbeat is old
            session.exec(update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow() - timedelta(seconds=5)))
            session.commit()
        counts = service.jobs.reap()
        with Session(service.engine) as session:
            job = session.get(Job, job_id)
            sub = session.get(Submission, sub_id)
            if attempt == 1:
                assert counts["requeued"] == 1 and job.state == JobState.QUEUED
                assert sub.status == Status.QUEUED and "dead:1 was lost" in job.last_error
            else:
                assert counts["failed"] == 1 and job.state == JobState.FAILED
                assert sub.status == Status.FAILED and "gave up after 2 attempt(s)" in sub.errors[0]["message"]
    assert service.jobs.reap() == {"requeued": 0, "failed": 0, "resent": 0, "promoted": 0}


def test_reaper_leaves_a_beating_job_alone(service):
    clock = MovableClock()
    service.jobs.clock = clock  # the queue reads the time from it: moved, never slept
    _, job_id = new_submission(service)
    job = service.jobs.claim(job_id, "alive:1")
    clock.advance(seconds=0.9)
    service.jobs.beat(job)
    clock.advance(seconds=0.9)  # 1.8 s since the claim, 0.9 s since the beat: alive with job_stale_s=1
    assert service.jobs.reap()["requeued"] == 0
    with Session(service.engine) as session:
        assert session.get(Job, job_id).state == JobState.RUNNING
    clock.advance(seconds=0.2)  # 1.1 s since the beat: now it is lost
    assert service.jobs.reap()["requeued"] == 1


def test_two_racing_attempts_write_one_score_set(service):
    sub_id, _ = new_submission(service)
    results = []
    threads = [threading.Thread(target=lambda: results.append(service.scoring.process(sub_id))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results) == {Status.SCORED}
    with Session(service.engine) as session:
        rows = session.exec(select(Score).where(Score.submission_id == sub_id)).all()
        assert len(rows) == 1 and rows[0].current


def test_a_crash_inside_scoring_is_retried_then_shown(service, monkeypatch):
    import leaderboard.services.scoring as scoring_module

    sub_id, job_id = new_submission(service)

    def broken(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(scoring_module, "score_directories", broken)
    assert run_job(service.jobs, job_id) == "queued"  # attempt 1 of 2: back in the queue
    with Session(service.engine) as session:
        assert session.get(Submission, sub_id).status == Status.QUEUED  # waits for its next attempt
    assert run_job(service.jobs, job_id) == "failed"
    with Session(service.engine) as session:
        sub = session.get(Submission, sub_id)
        job = session.get(Job, job_id)
        assert sub.status == Status.FAILED and "No space left on device" in sub.errors[0]["message"]
        assert job.state == JobState.FAILED and job.attempts == 2


def test_a_new_job_is_sent_once_not_again_by_the_reaper(service):
    """Created as dispatched (its message goes out right after the commit): the reaper resends nothing."""
    _, job_id = new_submission(service)
    with Session(service.engine) as session:
        assert session.get(Job, job_id).dispatched_at is not None
    assert service.jobs.reap()["resent"] == 0


def test_workers_never_receive_the_organiser_token(tmp_path, monkeypatch):
    from leaderboard.jobs.supervisor import settings_env

    # the deprecated spelling, set in the server's own environment, is kept from workers too
    monkeypatch.setenv("HARNESS_ORGANIZER_TOKEN", "the-organisers-secret")
    settings = Settings(data_dir=tmp_path)
    assert settings.organiser_token == "the-organisers-secret"
    env = settings_env(settings)
    assert "HARNESS_ORGANISER_TOKEN" not in env and "HARNESS_ORGANIZER_TOKEN" not in env
    assert "the-organisers-secret" not in env.values()
    assert env["HARNESS_DATA_DIR"] == str(tmp_path.resolve())


def test_a_submission_is_queued_while_its_job_waits_and_again_when_rescored(service, monkeypatch):
    import leaderboard.services.scoring as scoring_module

    sub_id, job_id = new_submission(service)
    with Session(service.engine) as session:
        assert session.get(Submission, sub_id).status == Status.QUEUED  # committed with its job, not started
    seen = []
    real = scoring_module.score_directories

    def watching(*args, **kwargs):  # what a reader sees while the job runs
        with Session(service.engine) as session:
            seen.append(session.get(Submission, sub_id).status)
        return real(*args, **kwargs)

    monkeypatch.setattr(scoring_module, "score_directories", watching)
    assert run_job(service.jobs, job_id) == "succeeded"
    assert seen == [Status.SCORING]
    with Session(service.engine) as session:
        sub = service.submissions.rescore(session, session.get(Submission, sub_id))
        assert sub.status == Status.QUEUED
        job = session.exec(select(Job).where(Job.submission_id == sub_id, Job.state == JobState.QUEUED)).one()
    assert run_job(service.jobs, job.id) == "succeeded"
    with Session(service.engine) as session:
        assert session.get(Submission, sub_id).status == Status.SCORED
