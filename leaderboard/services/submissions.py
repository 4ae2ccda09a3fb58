"""Submissions: quotas, keeping an upload with its scoring job, re-scoring, what a caller may read."""

from __future__ import annotations

from datetime import timedelta
from typing import BinaryIO

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from harness.challenge import SplitSpec
from harness.errors import Forbidden, Invalid, LimitReached, NotFound
from leaderboard.jobs.celery_app import GPU_QUEUE
from leaderboard.jobs.queue import JobQueue
from leaderboard.models import (
    Clock,
    ImageScore,
    Job,
    JobKind,
    JobState,
    Run,
    Score,
    Status,
    Submission,
    Team,
    facts_of,
    utcnow,
)
from leaderboard.schemas import ImageResult, ModelFigures, SplitScore, SubmissionPublic
from leaderboard.services.challenge import Challenge
from leaderboard.services.predictions import check_readable
from leaderboard.services.splits import Splits
from leaderboard.settings import Settings
from submissions.store import Received, UploadStore

ACTIVE = (Status.RECEIVED, Status.VALIDATING, Status.QUEUED, Status.SCORING)


class Submissions:
    def __init__(
        self,
        settings: Settings,
        challenge: Challenge,
        splits: Splits,
        store: UploadStore,
        jobs: JobQueue,
        clock: Clock = utcnow,
    ) -> None:
        self.clock = clock
        self.settings = settings
        self.challenge = challenge
        self.splits = splits
        self.store = store
        self.jobs = jobs

    # --- writing ----------------------------------------------------------------------------

    def check_open(self, team: Team, track: str, split: str) -> SplitSpec:
        """Refuse early what no upload can change: an unknown or closed split, an unapproved team."""
        split_spec = self.challenge.test_split(track, split)
        if not team.approved:
            raise Forbidden("your team waits for the organisers' approval before it can submit")
        now = self.clock()
        if split_spec.opens and now < split_spec.opens:
            raise Forbidden(f"split {split!r} opens at {split_spec.opens.isoformat()}")
        if split_spec.closes and now > split_spec.closes:
            raise Forbidden(f"split {split!r} closed at {split_spec.closes.isoformat()}")
        return split_spec

    def submit(self, session: Session, team: Team, track: str, split: str, upload: BinaryIO, facts: dict) -> Submission:
        """A team's upload to an open test split, within its limits (checked atomically with the insert)."""
        split_spec = self.check_open(team, track, split)
        kind = facts.get("kind", "predictions")
        if kind == "model" and split_spec.models == "none":
            raise Invalid(f"split {split!r} takes predictions only, not models")
        if kind != "model" and split_spec.models == "required":
            raise Invalid(f"split {split!r} requires a model: upload your ONNX model (kind=model)")
        return self.keep(session, team, track, split, upload, facts, limits=split_spec)

    def _check_quota(self, session: Session, team: Team, track: str, split: str, split_spec: SplitSpec) -> None:
        mine = (
            select(func.count())
            .select_from(Submission)
            .where(Submission.team_id == team.id, Submission.track == track, Submission.split == split)
        )
        if session.exec(mine).one() >= split_spec.limit_total:
            raise LimitReached(f"the total limit of {split_spec.limit_total} submissions to {track}/{split} is reached")
        recent = mine.where(Submission.created_at >= self.clock() - timedelta(days=1))
        today = session.exec(recent.where((Submission.status != Status.FAILED) | col(Submission.charged))).one()
        if today >= split_spec.limit_per_day:
            charged = session.exec(recent.where(col(Submission.charged))).one()
            raise LimitReached(
                f"the limit of {split_spec.limit_per_day} submissions per 24 h to {track}/{split} is reached "
                f"(failed ones do not count, except model runs stopped by a time or memory limit: "
                f"{charged} of yours in the last 24 h)"
            )

    def keep(
        self,
        session: Session,
        team: Team,
        track: str,
        split: str,
        upload: BinaryIO | Received,
        facts: dict,
        *,
        limits: SplitSpec | None = None,
        before_commit=None,
        job: bool = True,
    ) -> Submission:
        """Keep the upload (immutable, hashed), record the submission and its scoring job, send the job.

        ``upload`` is a stream (read here into the store's partial file) or an already received
        upload. With ``limits`` the team's quota is counted and the row inserted in one short
        transaction that holds the team's row lock (PostgreSQL) or the database's write lock
        (SQLite), so concurrent uploads can never pass the same free slot.
        ``before_commit(session, submission)`` adds rows that must land with the submission;
        ``job=False`` records no job: the caller scores it in place (a baseline run).
        """
        if isinstance(upload, Received):
            return self._record(session, team, track, split, upload, facts, limits, before_commit, job)
        with self.store.receive(upload, self.settings.max_upload_bytes) as received:
            return self._record(session, team, track, split, received, facts, limits, before_commit, job)

    def _record(self, session, team, track, split, received: Received, facts, limits, before_commit, job) -> Submission:
        session.rollback()  # nothing read before the lock may decide anything
        if limits is not None:
            # a write to the team's row first: PostgreSQL locks the row, SQLite takes its write lock
            session.exec(update(Team).where(Team.id == team.id).values(token_sha256=Team.token_sha256))
            self._check_quota(session, team, track, split, limits)
        sub = Submission(
            team_id=team.id,
            challenge=self.challenge.name,
            track=track,
            split=split,
            upload_sha256=received.sha256,
            upload_bytes=received.size,
            created_at=self.clock(),
            updated_at=self.clock(),
            **facts,
        )
        session.add(sub)
        session.flush()  # the id exists now, but no other session sees the row yet
        if job:  # the submission waits for its job: queued from the commit until a worker starts it
            sub.status = Status.QUEUED
            self._add_job(session, sub)  # sent by the queue once the commit below lands
        if before_commit:
            before_commit(session, sub)
        final = self.store.keep(received, sub.id)
        try:
            session.commit()  # only now can a worker claim it: the file is already in place
        except Exception:
            final.unlink(missing_ok=True)
            raise
        session.refresh(sub)
        return sub

    def _add_job(self, session: Session, sub: Submission):
        """The job that ends a submission: scoring (cpu), or for a model its run then scoring (gpu).

        Model runs take their team's turn: one at a time per team, in order (``leaderboard.jobs.fairness``).
        """
        if sub.kind == "model":
            return self.jobs.submit(
                session, JobKind.MODEL_RUN, submission_id=sub.id, queue=GPU_QUEUE, team_id=sub.team_id
            )
        return self.jobs.submit(session, JobKind.SCORE, submission_id=sub.id)

    def rescore(self, session: Session, sub: Submission) -> Submission:
        """Score the stored upload again (one job; asking twice while it waits adds nothing).

        Refused (Unreadable) when the stored predictions no longer open: no job could score them."""
        check_readable(session, self.store, sub)
        active = session.exec(
            select(Job).where(
                Job.submission_id == sub.id, col(Job.state).in_([JobState.WAITING, JobState.QUEUED, JobState.RUNNING])
            )
        ).first()
        if active is not None:
            return sub
        sub.status = Status.QUEUED
        sub.updated_at = self.clock()
        session.add(sub)
        self._add_job(session, sub)
        session.commit()
        session.refresh(sub)
        return sub

    # --- reading ----------------------------------------------------------------------------

    def get(self, session: Session, submission_id: int) -> Submission:
        sub = session.get(Submission, submission_id)
        if sub is None:
            raise NotFound("no such submission")
        return sub

    def listing(self, session: Session, team: Team | None) -> list[Submission]:
        """A team's submissions (None: everyone's), newest first."""
        query = select(Submission).order_by(col(Submission.id).desc())
        if team is not None:
            query = query.where(Submission.team_id == team.id)
        return list(session.exec(query).all())

    def public(
        self, session: Session, sub: Submission, organiser: bool, max_errors: int | None = None
    ) -> SubmissionPublic:
        """What a caller reads of a submission: with ``max_errors`` (listings) only that many of its
        stored problems, else all the stored ones (at most ``problems.MAX_STORED``); ``n_errors`` counts all."""
        team = session.get(Team, sub.team_id)
        scores: dict[str, SplitScore] = {}
        visible = self.splits.visible(session, sub.track, sub.split, organiser)
        if visible:
            score = session.exec(select(Score).where(Score.submission_id == sub.id, Score.current)).first()
            if score is not None:
                a = score.aligned or {}
                scores[score.split] = SplitScore(
                    psnr=score.psnr,
                    ssim=score.ssim,
                    n_images=score.n_images,
                    aligned_psnr_diagnostic=a.get("psnr"),
                    aligned_ssim_diagnostic=a.get("ssim"),
                    aligned_n_images=a.get("n_images"),
                    aligned_excluded=a.get("excluded") or [],
                    aligned_crop=a.get("crop"),
                    lpips=score.lpips,
                    lpips_note=score.lpips_note,
                )
        return SubmissionPublic(
            id=sub.id,
            team=team.name,
            track=sub.track,
            split=sub.split,
            status=sub.status,
            created_at=sub.created_at,
            errors=(sub.errors or [])[:max_errors],
            n_errors=max(sub.n_errors or 0, len(sub.errors or [])),
            warnings=sub.warnings or [],
            scores=scores,
            description=sub.description,
            upload=sub.kind,
            model=self.model_figures(session, sub.id) if sub.kind == "model" else None,
            results_hidden=not visible,
            **facts_of(sub),
        )

    @staticmethod
    def model_figures(session: Session, submission_id: int) -> ModelFigures | None:
        """The measured figures and what confined the run (the report's ``isolation``, as the child recorded it)."""
        run = session.exec(select(Run).where(Run.submission_id == submission_id, Run.kind == "model")).first()
        if run is None:
            return None
        report = run.report or {}
        return ModelFigures.model_validate(run, from_attributes=True).model_copy(
            update={
                "isolation": list(report.get("isolation") or []),
                "isolation_note": report.get("isolation_note", ""),
            }
        )

    def image_results(self, session: Session, sub: Submission, organiser: bool) -> list[ImageResult]:
        """Per-image scores of the current scoring (only where the caller may see the split)."""
        self.splits.require_visible(
            session, sub.track, sub.split, organiser, "per-image results of a hidden split are not shown"
        )
        score = session.exec(select(Score).where(Score.submission_id == sub.id, Score.current)).first()
        if score is None:
            return []
        rows = session.exec(
            select(ImageScore).where(ImageScore.score_id == score.id).order_by(col(ImageScore.id))
        ).all()
        return [ImageResult.of(r) for r in rows]

    def status_counts(self, session: Session) -> dict:
        """Submissions per status and how long the oldest unfinished one has waited (since it last changed)."""
        counts = {s.value: 0 for s in Status}
        for status, n in session.exec(select(Submission.status, func.count()).group_by(Submission.status)).all():
            counts[Status(status).value] = n
        # since the last change of each unfinished one (a re-score starts the wait again)
        oldest = session.exec(
            select(func.min(Submission.updated_at)).where(col(Submission.status).in_(list(ACTIVE)))
        ).one()
        waited = None
        if oldest is not None:
            now = self.clock()
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)
            waited = (now - oldest).total_seconds()
        return {"counts": counts, "oldest_waiting_s": waited}
