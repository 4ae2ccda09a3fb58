"""Baseline runs asked for over the API: checked here, then queued as a job on the gpu queue."""

from __future__ import annotations

import threading

from sqlmodel import Session

from baselines import registry
from leaderboard.jobs.celery_app import GPU_QUEUE
from leaderboard.jobs.queue import JobQueue
from leaderboard.models import Job, JobKind
from leaderboard.schemas import BaselineJobRequest
from leaderboard.services.challenge import Challenge


class BaselineJobs:
    def __init__(self, challenge: Challenge, jobs: JobQueue) -> None:
        self.challenge = challenge
        self.jobs = jobs

    def warm(self) -> threading.Thread:
        """Load the method registry (and torch with it, a few seconds of CPU) on a background thread:
        the service answers at once, and the first request that names a method does not wait for it."""
        thread = threading.Thread(target=registry.names, name="warm-baselines", daemon=True)
        thread.start()
        return thread

    def queue_run(self, session: Session, request: BaselineJobRequest) -> Job:
        """Queue a run of a known method on a test split (training first, if asked); committed and sent.

        An unknown method, track or split is refused (NotFound), and so is a method of the other kind of
        track (Invalid: a reverse method on a forward track), before anything is written."""
        registry.for_track(request.method, self.challenge.track(request.track))  # a method of the track's kind
        self.challenge.test_split(request.track, request.split)
        payload = request.model_dump(exclude_none=True)
        if request.train:
            payload["train"] = request.train.model_dump(exclude_none=True)
        job = self.jobs.submit(session, JobKind.BASELINE_RUN, payload=payload, queue=GPU_QUEUE)
        session.commit()
        return job
