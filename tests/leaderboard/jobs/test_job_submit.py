"""Adding a job: one place adds it, and its message leaves only once the transaction commits."""

from __future__ import annotations

import json
import sqlite3

import pytest
from sqlmodel import Session, select

from leaderboard.context import build_context
from leaderboard.db import make_engine
from leaderboard.jobs.celery_app import TASK_FOR_KIND
from leaderboard.models import Job, JobKind, JobState
from leaderboard.settings import Settings
from tests.support import build_tiny_challenge


@pytest.fixture
def service(tmp_path):
    data = build_tiny_challenge(tmp_path / "data")
    url = f"sqlite:///{data / 'harness.db'}"
    engine = make_engine(url)
    # the embedded broker under tmp: messages are stored in broker.sqlite, no worker consumes them
    yield build_context(Settings(data_dir=data, database_url=url, workers=1), engine)
    engine.dispose()


def sent(service) -> list[str]:
    """The task names of the messages in the embedded broker's table (none before the first send)."""
    broker = service.settings.data_dir / "broker.sqlite"
    if not broker.exists():
        return []
    with sqlite3.connect(broker) as db:
        if not db.execute("select 1 from sqlite_master where name = 'kombu_message'").fetchone():
            return []
        payloads = [row[0] for row in db.execute("select payload from kombu_message order by id")]
    return [json.loads(p)["headers"]["task"] for p in payloads]


def test_a_job_is_sent_after_its_commit_and_never_after_a_rollback(service):
    with Session(service.engine) as session:
        job = service.jobs.submit(session, JobKind.BASELINE_TRAIN, payload={"method": "m"}, queue="gpu")
        assert job.id is not None and job.state == JobState.QUEUED
        assert sent(service) == []  # not before the commit: a worker would not find the row
        session.commit()
        assert sent(service) == [TASK_FOR_KIND[JobKind.BASELINE_TRAIN]]
    with Session(service.engine) as session:
        service.jobs.submit(session, JobKind.SCORE)
        session.rollback()
        session.commit()  # a later commit of the same session sends nothing that was rolled back
    assert sent(service) == [TASK_FOR_KIND[JobKind.BASELINE_TRAIN]]
    with Session(service.engine) as session:
        jobs = session.exec(select(Job)).all()
        assert [(j.kind, j.queue) for j in jobs] == [(JobKind.BASELINE_TRAIN, "gpu")]
        assert type(jobs[0].kind) is JobKind


def test_job_kinds_are_stored_as_their_plain_values(service):
    with Session(service.engine) as session:
        service.jobs.submit(session, JobKind.MODEL_RUN, queue="gpu")
        service.jobs.submit(session, "score")  # a plain value names the same kind
        session.commit()
    with service.engine.connect() as conn:
        stored = [row[0] for row in conn.exec_driver_sql("select kind from job order by id")]
    assert stored == ["model-run", "score"]
    with Session(service.engine) as session, pytest.raises(ValueError, match="not a valid JobKind"):
        service.jobs.submit(session, "nonsense")
