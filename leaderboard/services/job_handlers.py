"""The kinds of job and their handlers: scoring (queue cpu), baseline and model runs (queue gpu).

Baseline payload: method, track, split (run only), device, mode; "train": {steps | epochs | minutes, seed}.
"""

from __future__ import annotations

import logging

from leaderboard.jobs.kinds import JobHandler
from leaderboard.models import Job, JobKind
from leaderboard.services.baseline_runs import BaselineRuns
from leaderboard.services.model_runs import ModelRuns
from leaderboard.services.scoring import Scoring

log = logging.getLogger("harness.jobs")


def job_handlers(scoring: Scoring, baselines: BaselineRuns, models: ModelRuns) -> dict[JobKind, JobHandler]:
    def score(job: Job) -> None:
        scoring.process(job.submission_id)

    def score_failed(job: Job, message: str) -> None:
        scoring.fail(job.submission_id, message)

    def score_requeued(job: Job) -> None:
        scoring.requeued(job.submission_id)

    def model_run(job: Job) -> None:
        models.process(job.submission_id)

    def train(job: Job) -> None:
        p = job.payload
        baselines.train(p["method"], p["track"], device=p.get("device"), **p.get("train", {}))

    def run(job: Job) -> None:
        p = job.payload
        if p.get("train") and not baselines.has_weights(p["method"], p["track"]):
            train(job)
        baselines.run(
            p["method"], p["track"], p["split"], device=p.get("device"), mode=p.get("mode"), onnx=p.get("onnx", False)
        )

    def baseline_failed(job: Job, message: str) -> None:
        log.error("baseline job %d (%s) failed for good: %s", job.id, job.payload, message)

    return {
        JobKind.SCORE: JobHandler(run=score, on_failed=score_failed, on_requeue=score_requeued),
        JobKind.MODEL_RUN: JobHandler(run=model_run, on_failed=score_failed, on_requeue=score_requeued),
        JobKind.BASELINE_TRAIN: JobHandler(run=train, on_failed=baseline_failed),
        JobKind.BASELINE_RUN: JobHandler(run=run, on_failed=baseline_failed),
    }
