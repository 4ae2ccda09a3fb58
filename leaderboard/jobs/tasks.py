"""The Celery tasks: each takes a job id and hands it to the job runner."""

from __future__ import annotations

from collections.abc import Callable

from celery import Celery

from leaderboard.jobs.celery_app import TASK_FOR_KIND


def register(app: Celery, execute: Callable[[int], str]) -> None:
    """Register one task per kind of job on ``app``, each running ``execute(job_id)``."""

    def task(job_id: int) -> str:
        return execute(int(job_id))

    for name in TASK_FOR_KIND.values():
        # one function, a task name per kind: queues, logs and monitoring tell the kinds apart
        app.task(name=name, acks_late=True, reject_on_worker_lost=True)(task)
