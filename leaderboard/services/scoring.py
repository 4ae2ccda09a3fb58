"""The scoring job: validate a stored upload and score it against the split's ground truth.

Every state change of a submission is a conditional update committed at once, so the database
tells the truth at all times and, of two attempts racing, the late one never overwrites a result.
"""

from __future__ import annotations

import logging
import math
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlmodel import Session, col, select

from harness import __version__
from harness.challenge.layout import SplitLayout
from harness.hashing import file_sha256
from harness.metrics import get_profile
from harness.npyio import ErrorCode
from harness.problems import Problem
from harness.scoring import ImageScores, ScoreReport, score_directories
from leaderboard.models import ImageScore, Score, Status, Submission, utcnow
from leaderboard.services.challenge import Challenge
from leaderboard.services.predictions import stored_predictions
from leaderboard.services.problems import stored_problems, stored_warnings
from leaderboard.services.splits import Splits
from leaderboard.settings import Settings
from submissions.intake import IntakeLimits, check_upload
from submissions.store import UploadStore, owner_gone, owner_tag

if TYPE_CHECKING:
    from harness.alignment.manifest import AlignPlan
    from harness.metrics.lpips import LpipsScorer

ENDED = (Status.SCORED, Status.FAILED)
log = logging.getLogger(__name__)


class Scoring:
    def __init__(self, settings: Settings, engine, challenge: Challenge, splits: Splits, store: UploadStore) -> None:
        self.settings = settings
        self.engine = engine
        self.challenge = challenge
        self.splits = splits
        self.store = store
        # scratch folders of running jobs, in the data dir (never the system temp directory), named
        # after their process so that a sweep removes exactly those whose process is gone
        self.work_root = settings.data_dir / "work"
        self.lpips: LpipsScorer | None = None  # built at the first forward-track score (lpips_scorer)

    def lpips_scorer(self) -> LpipsScorer:
        """LPIPS of the srgb profile, from ``HARNESS_LPIPS_BACKBONE`` (built once: the network loads at its
        first image; unavailable, with its reason, when the setting is unset)."""
        if self.lpips is None:
            from harness.metrics.lpips import LpipsScorer

            self.lpips = LpipsScorer(self.settings.lpips_backbone)
        return self.lpips

    def fail(self, submission_id: int, message: str) -> None:
        """A submission whose job gave up: failed, with the reason shown to its team.

        A job gives up on what is not the submission's fault (a full or failing disk, a lost worker:
        problems of the files end the submission ``failed`` without raising), so the reason names
        the service, with its own code, and never the archive.
        """
        err = Problem(
            file="(service)",
            code=ErrorCode.INFRASTRUCTURE,
            message=f"the service could not finish this submission, through no fault of its files ({message}); "
            "an organiser can score it again",
        )
        with Session(self.engine) as session:
            session.exec(
                update(Submission)
                .where(Submission.id == submission_id, Submission.status != Status.SCORED)
                .values(status=Status.FAILED, updated_at=utcnow(), **stored_problems([err]))
            )
            session.commit()

    def sweep(self) -> list[Path]:
        """Remove scratch folders whose process no longer runs (at start-up and on requeue)."""
        removed = []
        if self.work_root.is_dir():
            for p in self.work_root.iterdir():
                if owner_gone(p.name):
                    shutil.rmtree(p, ignore_errors=True)
                    removed.append(p)
        return removed

    def requeued(self, submission_id: int) -> None:
        """An attempt was lost half-way: the submission waits again (and its dead scratch is swept)."""
        self.sweep()
        with Session(self.engine) as session:
            session.exec(
                update(Submission)
                .where(
                    Submission.id == submission_id,
                    col(Submission.status).not_in(list(ENDED)),
                )
                .values(status=Status.QUEUED, updated_at=utcnow())
            )
            session.commit()

    @staticmethod
    def _alignment(files: SplitLayout) -> AlignPlan | None:
        """The split's reference alignment (a diagnostic): None where it has none, or where its
        manifest no longer matches its sha256 (logged; the official scores do not depend on it)."""
        from harness.alignment.manifest import reference_plan

        try:
            return reference_plan(files)
        except ValueError as exc:
            log.warning("no aligned diagnostics for %s: %s", files.root, exc)
            return None

    def _advance(self, session: Session, sub_id: int, status: Status, *, commit: bool = True, **fields) -> bool:
        """Move an unfinished submission to ``status``; False if it has ended meanwhile."""
        res = session.exec(
            update(Submission)
            .where(Submission.id == sub_id, col(Submission.status).not_in(list(ENDED)))
            .values(status=status, updated_at=utcnow(), **fields)
        )
        if commit:
            session.commit()
        return res.rowcount == 1

    def _ended(self, session: Session, sub_id: int) -> Status:
        session.rollback()
        return Status(session.exec(select(Submission.status).where(Submission.id == sub_id)).one())

    def process(self, submission_id: int) -> Status:
        """Validate and score one submission (idempotent: a scored one is left as it is)."""
        with Session(self.engine) as session:
            sub = session.get(Submission, submission_id)
            if sub is None or sub.status in ENDED:
                return sub.status if sub else Status.FAILED
            sub_id, track, split = sub.id, sub.track, sub.split
            stored = stored_predictions(session, self.store, sub)  # a model's: the zip its run made here
            upload, sha = stored.path, stored.sha256
            session.expunge(sub)
            if not self._advance(session, sub_id, Status.VALIDATING):
                return self._ended(session, sub_id)
            self.work_root.mkdir(parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(prefix=f"{owner_tag()}sub-{sub_id}-", dir=self.work_root))
            try:
                return self._validate_and_score(session, sub_id, track, split, upload, sha, work)
            except Exception:
                # not the submission's fault (a full disk, a lost database): the job runner
                # records it and retries; after the last attempt the submission fails with it
                session.rollback()
                raise
            finally:
                shutil.rmtree(work, ignore_errors=True)

    def _validate_and_score(
        self, session: Session, sub_id: int, track: str, split: str, upload: Path, sha: str, work: Path
    ) -> Status:
        if file_sha256(upload) != sha:
            err = Problem(
                file=upload.name, code=ErrorCode.UNREADABLE, message=f"{upload.name}: stored bytes changed since upload"
            )
            self._advance(session, sub_id, Status.FAILED, **stored_problems([err]))
            return self._ended(session, sub_id)
        files = self.challenge.files(track, split)
        profile = get_profile(self.challenge.profile(track))
        report = check_upload(
            upload,
            files.gt,
            work / "preds",
            IntakeLimits(max_upload_bytes=self.settings.max_upload_bytes),
            suffix=profile.suffix,
        )
        fields = {
            "warnings": stored_warnings(report.warnings),
            "readme": report.readme.model_dump() if report.readme else None,
        }
        if not report.ok:
            self._advance(session, sub_id, Status.FAILED, **stored_problems(report.errors), **fields)
            return self._ended(session, sub_id)
        if not self._advance(session, sub_id, Status.SCORING, **fields):
            return self._ended(session, sub_id)
        # a forward track (sRGB PNG predictions) has neither region metrics (they are RAW's) nor alignment
        align = None if files.forward else self._alignment(files)
        # one pass: each file's header checked, read once, scored, region metrics from the same arrays
        result = score_directories(
            work / "preds",
            files.gt,
            profile=profile,
            workers=self.settings.workers,
            regions=None if files.forward else files.rgb_of,
            pred_label=report.label,
            align=align,
            lpips=self.lpips_scorer() if profile.lpips else None,
        )
        if not result.ok or result.psnr is None or math.isnan(result.psnr) or math.isnan(result.ssim):
            self._advance(session, sub_id, Status.FAILED, **stored_problems(result.errors))
            return self._ended(session, sub_id)
        # the status change and the score rows land in one transaction, or not at all
        if not self._advance(session, sub_id, Status.SCORED, commit=False, **stored_problems([])):
            return self._ended(session, sub_id)
        session.exec(update(Score).where(Score.submission_id == sub_id, col(Score.current)).values(current=False))
        score = Score(
            submission_id=sub_id,
            split=split,
            psnr=result.psnr,
            ssim=result.ssim,
            n_images=result.n_images,
            profile=profile.name,
            harness_version=__version__,
            gt_manifest_sha256=self.splits.gt_manifest(track, split),
            aligned=_aligned_summary(result),
            lpips=result.lpips,
            lpips_note=result.lpips_note,
        )
        session.add(score)
        session.flush()
        session.add_all(
            ImageScore(
                score_id=score.id,
                name=i.name,
                psnr=i.psnr,
                ssim=i.ssim,
                aligned=_aligned_image(i),
                lpips=i.lpips,
                **(i.regions.model_dump() if i.regions else {}),
            )
            for i in result.images
        )
        session.commit()
        return Status.SCORED


def _aligned_summary(result: ScoreReport) -> dict | None:
    """What a score row keeps of the alignment diagnostics (JSON; never read by the ranking)."""
    a = result.alignment
    if a is None:
        return None
    return {"psnr": result.aligned_psnr, "ssim": result.aligned_ssim, **a.model_dump(exclude={"source"})}


def _aligned_image(i: ImageScores) -> dict | None:
    if i.shift is None:
        return None
    return {
        "psnr": i.aligned_psnr,
        "ssim": i.aligned_ssim,
        "shift": list(i.shift),
        "scale": i.scale,
        "cc": i.cc,
        "included": i.aligned_psnr is not None,
    }
