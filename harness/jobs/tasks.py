"""The Celery tasks: each takes a job id and hands it to the job runner.

The runner lives with the database models (``leaderboard.jobs``) and is imported lazily, so
``harness`` itself imports nothing of the service (DESIGN "Layout").
"""

from __future__ import annotations

from celery import Celery

from harness.jobs.app import TASK_FOR_KIND


def _execute(job_id: int) -> str:
    from leaderboard.jobs import run_job

    return run_job(int(job_id))


def register(app: Celery) -> None:
    for name in TASK_FOR_KIND.values():
        # one function, a task name per kind: queues, logs and monitoring tell the kinds apart
        app.task(name=name, acks_late=True, reject_on_worker_lost=True)(_execute)
