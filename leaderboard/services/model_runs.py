"""Model submissions: the harness re-runs a team's ONNX model on its runner, measures it by the
baselines' protocol, keeps its predictions like an upload, and scores them by the same path.

The model runs in a child process with limits (``submissions.model``); whatever the model does,
the submission ends ``failed`` with the reason, or with a measured ``Run`` row (kind model) and scores.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import update
from sqlmodel import Session, col, select

from harness.challenge.wall import model_wall_s
from leaderboard.models import Run, Status, Submission, utcnow
from leaderboard.services.challenge import Challenge
from leaderboard.services.problems import stored_problems, stored_warnings
from leaderboard.services.scoring import ENDED, Scoring
from leaderboard.settings import Settings
from submissions.model import ModelErrorCode, ModelLimits, run_model
from submissions.store import UploadStore, owner_tag

log = logging.getLogger("harness.models")

# how a failed run that still counts against the team's daily limit ended: on a time or memory limit
CHARGED = frozenset(
    c.value
    for c in (
        ModelErrorCode.WALL_TIME_LIMIT,
        ModelErrorCode.CPU_TIME_LIMIT,
        ModelErrorCode.MEMORY_LIMIT,
        ModelErrorCode.FILE_SIZE_LIMIT,
    )
)


def model_limits(settings: Settings, wall_s: float | None = None) -> ModelLimits:
    """What the service lets a model run take (``wall_s``: the run's own wall-clock limit, default the service's)."""
    return ModelLimits(
        max_upload_bytes=settings.max_upload_bytes,
        wall_s=settings.model_wall_s if wall_s is None else wall_s,
        cpu_s=settings.model_cpu_s,
        memory_mb=settings.model_memory_mb,
    )


class ModelRuns:
    def __init__(self, settings: Settings, engine, challenge: Challenge, store: UploadStore, scoring: Scoring) -> None:
        self.settings = settings
        self.engine = engine
        self.challenge = challenge
        self.store = store
        self.scoring = scoring

    def limits(self, track: str, split: str) -> ModelLimits:
        """The run's limits; its wall-clock limit is the split's (``harness.challenge.wall``), capped by the service's."""
        c = self.challenge
        wall = model_wall_s(c.track(track), c.split(track, split), c.files(track, split), self.settings.model_wall_s)
        return model_limits(self.settings, wall)

    def process(self, submission_id: int) -> Status:
        """Run, measure and score one model submission (idempotent: an ended one is left as it is)."""
        with Session(self.engine) as session:
            sub = session.get(Submission, submission_id)
            if sub is None or sub.status in ENDED:
                return sub.status if sub else Status.FAILED
            track, split = sub.track, sub.split
            if self._has_run(session, submission_id):
                return self.scoring.process(submission_id)  # measured already (a re-score): score again
            moved = session.exec(
                update(Submission)
                .where(Submission.id == submission_id, col(Submission.status).not_in(list(ENDED)))
                .values(status=Status.VALIDATING, updated_at=utcnow())
            )
            session.commit()
            if moved.rowcount != 1:
                return Status(session.get(Submission, submission_id).status)
        files = self.challenge.files(track, split)
        full = files.has_full  # whole images where the split has them (tiled by the child unless mode = whole)
        self.scoring.work_root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f"{owner_tag()}model-{submission_id}-", dir=self.scoring.work_root))
        try:
            report = run_model(
                self.store.path(submission_id),
                self.challenge.track(track),
                files,
                work / "preds",
                full=full,
                limits=self.limits(track, split),
                device=self.settings.model_device,
                measure_full=self.settings.model_measure_full and files.has_full,
                work_root=work,
            )
            if not report.ok:
                self._failed(submission_id, report)
                return Status.FAILED
            sha = self.store.keep_predictions(submission_id, work / "preds")
            with Session(self.engine) as session:
                session.add(
                    Run(
                        submission_id=submission_id,
                        kind="model",
                        inputs=report.inputs,
                        params=report.params or 0,
                        params_constant=report.params_constant or 0,
                        macs_g_patch=report.macs_patch / 1e9 if report.macs_patch is not None else None,
                        runtime_patch_ms=report.runtime_patch_ms,
                        runtime_full_ms=report.runtime_full_ms,
                        peak_memory_mb=report.peak_memory_mb,
                        device=report.device,
                        device_name=report.device_name,
                        onnxruntime_version=report.onnxruntime_version,
                        runtime=f"onnxruntime {report.onnxruntime_version}" if report.onnxruntime_version else None,
                        opset=report.opset,
                        network_isolated=report.network_isolated,
                        predictions_sha256=sha,
                        report=report.model_dump(mode="json", exclude={"files"}),
                    )
                )
                session.commit()
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return self.scoring.process(submission_id)

    def _has_run(self, session: Session, submission_id: int) -> bool:
        return session.exec(select(Run.id).where(Run.submission_id == submission_id)).first() is not None

    def _failed(self, submission_id: int, report) -> None:
        errors = [e.model_dump(mode="json") for e in report.errors] or [
            {"file": "model", "code": "runtime_error", "message": "the model run failed"}
        ]
        # a run stopped by a time or memory limit held the runner: it counts against the daily limit
        charged = any(e["code"] in CHARGED for e in errors)
        with Session(self.engine) as session:
            session.exec(
                update(Submission)
                .where(Submission.id == submission_id, col(Submission.status).not_in(list(ENDED)))
                .values(
                    status=Status.FAILED,
                    updated_at=utcnow(),
                    warnings=stored_warnings(report.warnings),
                    charged=charged,
                    **stored_problems(errors),
                )
            )
            session.commit()
        log.info("model submission %d failed: %s", submission_id, errors[0]["message"])
