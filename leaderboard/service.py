"""What the service does, without HTTP: teams, submissions and their lifecycle, ranking.

Routes and the worker call into this module; tests can too. Every state change of a
submission is committed at once, so the database tells the truth at all times.
"""

from __future__ import annotations

import hashlib
import math
import os
import secrets
import shutil
import tempfile
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import BinaryIO

import numpy as np
from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from baselines import reported
from baselines.reported import ReferenceTable
from harness import __version__
from harness.analysis.bootstrap import bootstrap
from harness.analysis.regions import RegionScores, overexposure_mask, region_scores
from harness.camera import read_rgb
from harness.challenge import ChallengeSpec, load_challenge
from harness.metrics import get_profile
from harness.npyio import ErrorCode, FileError, read_header
from harness.scoring import score_directories
from harness.settings import Settings
from leaderboard.jobs import JobQueue
from leaderboard.models import (
    FACT_FIELDS,
    BaselineInfo,
    BaselineRun,
    ImageResult,
    ImageScore,
    Job,
    JobState,
    LeaderboardRow,
    MeasuredFigures,
    ReferenceBoard,
    ReferenceMeasured,
    ReferenceRow,
    RegionMeans,
    Score,
    Significance,
    SplitScore,
    SplitState,
    Status,
    Submission,
    SubmissionPublic,
    Team,
    TeamCreated,
    TrackTableRow,
    facts_of,
    utcnow,
)
from submissions.intake import IntakeLimits, check_upload

CHUNK = 1 << 20


class ServiceError(Exception):
    """A refusal with an HTTP status and a message for the user."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Service:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.root = Path(settings.data_dir) / "challenges" / settings.challenge
        self.uploads = Path(settings.data_dir) / "submissions"
        self._manifests: dict[tuple[str, str], str] = {}

    @cached_property
    def jobs(self) -> JobQueue:
        return JobQueue(self.settings, self.engine)

    @cached_property
    def spec(self) -> ChallengeSpec:
        return load_challenge(self.root)

    # --- teams --------------------------------------------------------------------------

    def register_team(self, session: Session, name: str) -> TeamCreated:
        if not self.settings.registration_open:
            raise ServiceError(403, "registration is closed by the organisers")
        if session.exec(select(Team).where(func.lower(Team.name) == name.lower())).first():
            raise ServiceError(409, f"a team named {name!r} already exists")
        token = secrets.token_urlsafe(24)
        team = Team(name=name, token_sha256=token_hash(token))
        session.add(team)
        session.commit()
        session.refresh(team)
        return TeamCreated(id=team.id, name=team.name, token=token)

    def team_for_token(self, session: Session, token: str) -> Team | None:
        return session.exec(select(Team).where(Team.token_sha256 == token_hash(token))).first()

    def is_organiser(self, token: str | None) -> bool:
        expected = self.settings.organizer_token
        return bool(expected and token and secrets.compare_digest(token, expected))

    # --- splits -------------------------------------------------------------------------

    def split_state(self, session: Session, track: str, split: str) -> SplitState:
        state = session.exec(
            select(SplitState).where(
                SplitState.challenge == self.spec.name, SplitState.track == track, SplitState.split == split
            )
        ).first()
        if state is None:
            state = SplitState(challenge=self.spec.name, track=track, split=split)
            session.add(state)
            session.commit()
            session.refresh(state)
        return state

    def update_split_state(self, session: Session, track: str, split: str, **fields) -> SplitState:
        """Change an organiser switch of a split (404 for an unknown track or split)."""
        try:
            self.spec.track(track).split(split)
        except KeyError as exc:
            raise ServiceError(404, str(exc.args[0])) from None
        state = self.split_state(session, track, split)
        for key, value in fields.items():
            setattr(state, key, value)
        session.add(state)
        session.commit()
        return state

    def visible(self, session: Session, track: str, split: str, organiser: bool) -> bool:
        """May this caller see results of the split? Hidden splits only once revealed."""
        if organiser:
            return True
        spec = self.spec.track(track).split(split)
        return spec.visibility == "public" or self.split_state(session, track, split).revealed

    def gt_dir(self, track: str, split: str) -> Path:
        return self.root / track / split / "gt"

    def gt_manifest(self, track: str, split: str) -> str:
        """sha256 over the sorted (name, file sha256) of a split's ground truth."""
        key = (track, split)
        if key not in self._manifests:
            h = hashlib.sha256()
            for p in sorted(self.gt_dir(track, split).glob("*.npy")):
                h.update(p.name.encode() + b"\0" + hashlib.sha256(p.read_bytes()).digest())
            self._manifests[key] = h.hexdigest()
        return self._manifests[key]

    # --- submissions --------------------------------------------------------------------

    def submit(self, session: Session, team: Team, track: str, split: str, upload: BinaryIO, facts: dict) -> Submission:
        try:
            split_spec = self.spec.track(track).split(split)
        except KeyError as exc:
            raise ServiceError(404, str(exc.args[0])) from None
        if split_spec.kind != "test":
            raise ServiceError(400, f"split {split!r} takes no submissions")
        now = utcnow()
        if split_spec.opens and now < split_spec.opens:
            raise ServiceError(403, f"split {split!r} opens at {split_spec.opens.isoformat()}")
        if split_spec.closes and now > split_spec.closes:
            raise ServiceError(403, f"split {split!r} closed at {split_spec.closes.isoformat()}")
        mine = (
            select(func.count())
            .select_from(Submission)
            .where(Submission.team_id == team.id, Submission.track == track, Submission.split == split)
        )
        total = session.exec(mine).one()
        if total >= split_spec.limit_total:
            raise ServiceError(
                429, f"the total limit of {split_spec.limit_total} submissions to {track}/{split} is reached"
            )
        today = session.exec(
            mine.where(Submission.created_at >= now - timedelta(days=1), Submission.status != Status.FAILED)
        ).one()
        if today >= split_spec.limit_per_day:
            raise ServiceError(
                429,
                f"the limit of {split_spec.limit_per_day} submissions per 24 h to {track}/{split} is reached (failed ones do not count)",
            )

        return self.store(session, team, track, split, upload, facts)

    def store(
        self, session: Session, team: Team, track: str, split: str, upload: BinaryIO, facts: dict, *, before_commit=None
    ) -> Submission:
        """Keep the upload (immutable, hashed), record the submission and its scoring job, send the job.

        ``before_commit(session, submission)`` adds rows that must land with the submission.
        """
        self.uploads.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.uploads, prefix=".upload-")
        digest, size = hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := upload.read(CHUNK):
                    size += len(chunk)
                    if size > self.settings.max_upload_bytes:
                        raise ServiceError(413, f"upload exceeds {self.settings.max_upload_bytes} bytes")
                    digest.update(chunk)
                    out.write(chunk)
            sub = Submission(
                team_id=team.id,
                challenge=self.spec.name,
                track=track,
                split=split,
                upload_sha256=digest.hexdigest(),
                upload_bytes=size,
                **facts,
            )
            session.add(sub)
            session.flush()  # the id exists now, but no other session sees the row yet
            job = self.jobs.add(session, "score", submission_id=sub.id)
            if before_commit:
                before_commit(session, sub)
            folder = self.uploads / str(sub.id)
            folder.mkdir(parents=True, exist_ok=True)
            final = folder / "upload.zip"
            os.replace(tmp, final)
            final.chmod(0o444)  # immutable: re-scoring reads the very bytes that were uploaded
            try:
                session.commit()  # only now can a worker claim it: the file is already in place
            except Exception:
                final.unlink(missing_ok=True)
                raise
            session.refresh(sub)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self.jobs.send(job.id, job.kind, job.queue)
        return sub

    def rescore(self, session: Session, sub: Submission) -> Submission:
        """Score the stored upload again (one job; asking twice while it waits adds nothing)."""
        active = session.exec(
            select(Job).where(Job.submission_id == sub.id, col(Job.state).in_([JobState.QUEUED, JobState.RUNNING]))
        ).first()
        if active is not None:
            return sub
        sub.status = Status.RECEIVED
        sub.updated_at = utcnow()
        session.add(sub)
        job = self.jobs.add(session, "score", submission_id=sub.id)
        session.commit()
        session.refresh(sub)
        self.jobs.send(job.id, job.kind, job.queue)
        return sub

    def fail_submission(self, submission_id: int, message: str) -> None:
        """A submission whose scoring job gave up: failed, with the reason shown to its team."""
        err = FileError(file="upload.zip", code=ErrorCode.UNREADABLE, message=f"scoring failed: {message}")
        with Session(self.engine) as session:
            session.exec(
                update(Submission)
                .where(Submission.id == submission_id, Submission.status != Status.SCORED)
                .values(status=Status.FAILED, updated_at=utcnow(), errors=[err.model_dump(mode="json")])
            )
            session.commit()

    def _advance(self, session: Session, sub_id: int, status: Status, *, commit: bool = True, **fields) -> bool:
        """Move an unfinished submission to ``status``; False if it has ended meanwhile.

        Conditional, so of two attempts racing (a worker taken for dead that was only slow)
        the late one can never overwrite the other's result.
        """
        res = session.exec(
            update(Submission)
            .where(Submission.id == sub_id, col(Submission.status).not_in([Status.SCORED, Status.FAILED]))
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
            if sub is None or sub.status in (Status.SCORED, Status.FAILED):
                return sub.status if sub else Status.FAILED
            sub_id, track, split, sha = sub.id, sub.track, sub.split, sub.upload_sha256
            session.expunge(sub)
            if not self._advance(session, sub_id, Status.VALIDATING):
                return self._ended(session, sub_id)
            upload = self.uploads / str(sub_id) / "upload.zip"
            work = Path(tempfile.mkdtemp(prefix=f"sub-{sub_id}-"))
            try:
                if hashlib.sha256(upload.read_bytes()).hexdigest() != sha:
                    err = FileError(
                        file="upload.zip",
                        code=ErrorCode.UNREADABLE,
                        message="upload.zip: stored bytes changed since upload",
                    )
                    self._advance(session, sub_id, Status.FAILED, errors=[err.model_dump(mode="json")])
                    return self._ended(session, sub_id)
                gt = self.gt_dir(track, split)
                report = check_upload(
                    upload, gt, work / "preds", IntakeLimits(max_upload_bytes=self.settings.max_upload_bytes)
                )
                fields = {"warnings": report.warnings, "readme": report.readme.model_dump() if report.readme else None}
                if not report.ok:
                    errors = [e.model_dump(mode="json") for e in report.errors]
                    self._advance(session, sub_id, Status.FAILED, errors=errors, **fields)
                    return self._ended(session, sub_id)
                if not self._advance(session, sub_id, Status.SCORING, **fields):
                    return self._ended(session, sub_id)
                profile = get_profile(self.spec.profile)
                result = score_directories(work / "preds", gt, profile=profile, workers=self.settings.workers)
                if not result.ok or result.psnr is None or math.isnan(result.psnr) or math.isnan(result.ssim):
                    self._advance(
                        session, sub_id, Status.FAILED, errors=[e.model_dump(mode="json") for e in result.errors]
                    )
                    return self._ended(session, sub_id)
                # the status change and the score rows land in one transaction, or not at all
                if not self._advance(session, sub_id, Status.SCORED, commit=False, errors=[]):
                    return self._ended(session, sub_id)
                session.exec(
                    update(Score).where(Score.submission_id == sub_id, col(Score.current)).values(current=False)
                )
                score = Score(
                    submission_id=sub_id,
                    split=split,
                    psnr=result.psnr,
                    ssim=result.ssim,
                    n_images=result.n_images,
                    profile=profile.name,
                    harness_version=__version__,
                    gt_manifest_sha256=self.gt_manifest(track, split),
                )
                session.add(score)
                session.flush()
                regions = self.region_scores(track, split, work / "preds", {i.name: i for i in result.images})
                session.add_all(
                    ImageScore(
                        score_id=score.id,
                        name=i.name,
                        psnr=i.psnr,
                        ssim=i.ssim,
                        **(regions[i.name].model_dump() if i.name in regions else {}),
                    )
                    for i in result.images
                )
                session.commit()
                return Status.SCORED
            except Exception:
                # not the submission's fault (a full disk, a lost database): the job runner
                # records it and retries; after the last attempt the submission fails with it
                session.rollback()
                raise
            finally:
                shutil.rmtree(work, ignore_errors=True)

    def region_scores(self, track: str, split: str, preds: Path, overall: dict) -> dict[str, RegionScores]:
        """Region metrics per image where the split has its RGB inputs (see harness.analysis.regions)."""
        rgb_dir = self.root / track / split / "rgb"
        if not rgb_dir.is_dir():
            return {}
        out = {}
        for name, img in overall.items():
            rgb_path = rgb_dir / f"{name}.jpg"
            if not rgb_path.exists():
                continue
            gt_path = self.gt_dir(track, split) / f"{name}.npy"
            mask = overexposure_mask(read_rgb(rgb_path))
            if mask.shape != read_header(gt_path).shape[:2]:  # the header only: most images need no pixels
                continue  # an input that is not twice the RAW size (misaligned data): no regions
            if not mask.any():  # the rest is the whole image: its scores are the official ones
                out[name] = RegionScores(
                    oe_fraction=0.0, psnr_oe=None, ssim_oe=None, psnr_rest=img.psnr, ssim_rest=img.ssim
                )
                continue
            gt = np.load(gt_path, allow_pickle=False)
            pred = np.load(preds / f"{name}.npy", allow_pickle=False)
            out[name] = region_scores(gt, pred, mask, get_profile(self.spec.profile))
        return out

    # --- reading ------------------------------------------------------------------------

    def public_submission(self, session: Session, sub: Submission, organiser: bool) -> SubmissionPublic:
        team = session.get(Team, sub.team_id)
        scores: dict[str, SplitScore] = {}
        if self.visible(session, sub.track, sub.split, organiser):
            score = session.exec(select(Score).where(Score.submission_id == sub.id, Score.current)).first()
            if score is not None:
                scores[score.split] = SplitScore(psnr=score.psnr, ssim=score.ssim, n_images=score.n_images)
        return SubmissionPublic(
            id=sub.id,
            team=team.name,
            track=sub.track,
            split=sub.split,
            status=sub.status,
            created_at=sub.created_at,
            errors=sub.errors or [],
            warnings=sub.warnings or [],
            scores=scores,
            description=sub.description,
            **facts_of(sub),
        )

    def leaderboard(
        self, session: Session, track: str, split: str, organiser: bool, details: bool = True
    ) -> list[LeaderboardRow]:
        """Ranked rows of a split: one per team, by the split's primary metric.

        ``details=False`` leaves out the region means and the bootstrap (per-image reads and 2000
        resamples) for callers that need the rows alone.

        Best (or, if the organiser chose so, latest) scored submission per team; ties go to
        the earlier submission; unscored and NaN entries are never ranked.
        """
        split_spec = self.spec.track(track).split(split)
        if not self.visible(session, track, split, organiser):
            raise ServiceError(404, f"no leaderboard for {track}/{split} yet")
        rule = self.split_state(session, track, split).rank_by
        metric = Score.psnr if split_spec.primary_metric == "psnr" else Score.ssim
        if rule == "latest":
            order = [col(Submission.created_at).desc(), col(Submission.id).desc()]
        else:
            order = [col(metric).desc(), col(Submission.created_at), col(Submission.id)]
        pick = func.row_number().over(partition_by=Submission.team_id, order_by=order).label("pick")
        best = (
            select(
                Score.psnr,
                Score.ssim,
                Score.n_images,
                Submission.id.label("sub_id"),
                Score.id.label("score_id"),
                Submission.created_at,
                *(getattr(Submission, name) for name in FACT_FIELDS),
                Team.name.label("team"),
                Team.kind.label("kind"),
                *(getattr(BaselineRun, name).label(f"b_{name}") for name in BaselineInfo.model_fields),
                pick,
            )
            .join(Submission, Score.submission_id == Submission.id)
            .join(Team, Submission.team_id == Team.id)
            .outerjoin(BaselineRun, BaselineRun.submission_id == Submission.id)
            .where(
                Submission.track == track,
                Submission.split == split,
                Submission.status == Status.SCORED,
                Score.current,
                col(metric).is_not(None),
                col(metric) < float("inf"),  # PostgreSQL sorts NaN above everything
            )
            .subquery()
        )
        key = best.c.psnr if split_spec.primary_metric == "psnr" else best.c.ssim
        query = sa_select(best).where(best.c.pick == 1).order_by(key.desc(), best.c.created_at, best.c.sub_id)
        rows = [r for r in session.execute(query).all() if not (math.isnan(r.psnr) or math.isnan(r.ssim))]
        ids = [r.score_id for r in rows] if details else []
        regions = self._region_means(session, ids)
        per_image = self._per_image(session, ids, split_spec.primary_metric)
        stats = {}
        if details and len(rows) >= 2 and len({len(v) for v in per_image.values()}) == 1:
            report = bootstrap(
                {str(r.score_id): per_image[r.score_id] for r in rows},
                metric=split_spec.primary_metric,
                n_resamples=2000,
            )
            stats = {
                e.name: Significance(
                    metric=report.metric, ci_low=e.ci_low, ci_high=e.ci_high, p_order=e.p_order, group=e.group
                )
                for e in report.entries
            }
        out: list[LeaderboardRow] = []
        rank = 0
        for r in rows:
            baseline = None
            if r.kind == "baseline" and r.b_method is not None:
                baseline = BaselineInfo(**{name: getattr(r, f"b_{name}") for name in BaselineInfo.model_fields})
            else:
                rank += 1
            out.append(
                LeaderboardRow(
                    rank=rank if baseline is None else None,
                    team=r.team,
                    kind=r.kind,
                    baseline=baseline,
                    regions=regions.get(r.score_id),
                    significance=stats.get(str(r.score_id)),
                    submission_id=r.sub_id,
                    split=split,
                    psnr=r.psnr,
                    ssim=r.ssim,
                    n_images=r.n_images,
                    date=r.created_at,
                    **facts_of(r),
                )
            )
        return out

    def _region_means(self, session: Session, score_ids: list[int]) -> dict[int, RegionMeans]:
        if not score_ids:
            return {}
        cols = ("psnr_oe", "ssim_oe", "psnr_rest", "ssim_rest")
        query = (
            sa_select(ImageScore.score_id, *(func.avg(getattr(ImageScore, c)).label(c) for c in cols))
            .where(col(ImageScore.score_id).in_(score_ids))
            .group_by(ImageScore.score_id)
        )
        out = {}
        for r in session.execute(query).all():
            if r.psnr_rest is not None or r.psnr_oe is not None:
                out[r.score_id] = RegionMeans(**{c: getattr(r, c) for c in cols})
        return out

    def _per_image(self, session: Session, score_ids: list[int], metric: str) -> dict[int, np.ndarray]:
        """Per-image values of each score, in image-name order (the pairing of the bootstrap)."""
        out: dict[int, list] = {i: [] for i in score_ids}
        if score_ids:
            query = (
                sa_select(ImageScore.score_id, getattr(ImageScore, metric))
                .where(col(ImageScore.score_id).in_(score_ids))
                .order_by(ImageScore.score_id, ImageScore.name)
            )
            for sid, value in session.execute(query).all():
                out[sid].append(value)
        return {k: np.array(v) for k, v in out.items()}

    def per_image_psnr(self, session: Session, submission_ids: list[int]) -> dict[int, np.ndarray]:
        """Per-image PSNR of each submission's current score."""
        query = select(Score.id, Score.submission_id).where(
            col(Score.submission_id).in_(submission_ids or [-1]), col(Score.current)
        )
        score_of = {sub: sid for sid, sub in session.exec(query).all()}
        values = self._per_image(session, list(score_of.values()), "psnr")
        return {sub: values.get(sid, np.array([])) for sub, sid in score_of.items()}

    def image_results(self, session: Session, sub: Submission, organiser: bool) -> list[ImageResult]:
        """Per-image scores of the current scoring (only where the caller may see the split)."""
        if not self.visible(session, sub.track, sub.split, organiser):
            raise ServiceError(404, "per-image results of a hidden split are not shown")
        score = session.exec(select(Score).where(Score.submission_id == sub.id, Score.current)).first()
        if score is None:
            return []
        rows = session.exec(
            select(ImageScore).where(ImageScore.score_id == score.id).order_by(col(ImageScore.id))
        ).all()
        return [ImageResult(**r.model_dump(include=set(ImageResult.model_fields))) for r in rows]

    def track_table(
        self, session: Session, track: str, organiser: bool, details: bool = True
    ) -> tuple[list[str], list[TrackTableRow]]:
        """A track's leaderboard with one column group per visible test split.

        Teams are ranked on the first visible split (its primary metric); teams without a
        scored entry there follow, unranked.
        """
        spec = self.spec.track(track)
        splits = [s.name for s in spec.splits if s.kind == "test" and self.visible(session, track, s.name, organiser)]
        per_split = {
            name: {r.team: r for r in self.leaderboard(session, track, name, organiser, details)} for name in splits
        }
        teams: list[str] = []
        for name in splits:
            for team in per_split[name]:  # in leaderboard order: ranked teams and baselines by score
                if team not in teams:
                    teams.append(team)
        rows = []
        for team in teams:
            first = per_split[splits[0]].get(team) if splits else None
            rows.append(
                TrackTableRow(
                    rank=first.rank if first else None,
                    team=team,
                    scores={n: per_split[n][team] for n in splits if team in per_split[n]},
                )
            )
        return splits, rows

    @cached_property
    def reference(self) -> ReferenceTable | None:
        """The past edition's reported table the challenge names (or the settings' override of it)."""
        if not self.spec.reference:
            return None
        return reported.load(self.spec.reference, self.settings.reference_file)

    def reference_board(self, track: str, splits: list[str], rows: list[TrackTableRow]) -> ReferenceBoard | None:
        """The reference table's teams on a track, each beside the harness's re-run of its method if any.

        ``splits``/``rows`` are the track's table as the caller may see it (``track_table``): the
        measured side comes from its baseline rows, so it never shows what the caller may not.
        """
        table = self.reference
        if table is None or track not in table.tracks:
            return None
        measured: dict[str, ReferenceMeasured] = {}
        for split in splits:
            for row in rows:
                entry = row.scores.get(split)
                b = entry.baseline if entry else None
                if b is None or b.method in measured:
                    continue
                measured[b.method] = ReferenceMeasured(
                    method=b.method,
                    split=split,
                    submission_id=entry.submission_id,
                    psnr=entry.psnr,
                    ssim=entry.ssim,
                    **b.model_dump(include=set(MeasuredFigures.model_fields) - {"method"}),
                )
        teams = table.for_track(track)
        # the report's order where it has scores (the track's primary metric on its first split), else the table's
        first = table.splits[0]
        tests = [sp for sp in self.spec.track(track).splits if sp.kind == "test"]
        primary = tests[0].primary_metric if tests else "psnr"
        teams.sort(key=lambda t: -getattr(t.score(track, first), primary) if t.score(track, first) else math.inf)
        return ReferenceBoard(
            name=table.name,
            title=table.title,
            source=table.source,
            track=track,
            splits=table.splits,
            scores_available=any(t.score(track, s) for t in teams for s in table.splits),
            rows=[
                ReferenceRow(
                    **t.model_dump(exclude={"tracks", "scores"}),
                    scores={s: t.score(track, s) for s in table.splits},
                    measured=measured.get(t.method) if t.method else None,
                )
                for t in teams
            ],
        )

    def queue_state(self, session: Session) -> dict:
        counts = {s.value: 0 for s in Status}
        for status, n in session.exec(select(Submission.status, func.count()).group_by(Submission.status)).all():
            counts[Status(status).value] = n
        oldest = session.exec(
            select(func.min(Submission.created_at)).where(
                col(Submission.status).in_([Status.RECEIVED, Status.VALIDATING, Status.QUEUED, Status.SCORING])
            )
        ).one()
        waited = None
        if oldest is not None:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=utcnow().tzinfo)
            waited = (utcnow() - oldest).total_seconds()
        return {"counts": counts, "oldest_waiting_s": waited, **self.jobs.summary(session)}
