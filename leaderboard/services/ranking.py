"""Ranking: a split's leaderboard (one row per team) and a track's table ranked on a chosen split.

Best (or, if the organiser chose so, latest) scored submission per team; ties go to the earlier
submission; unscored and NaN entries are never ranked. Every figure of a row comes from the
submission the row ranks.
"""

from __future__ import annotations

import math

import numpy as np
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from baselines.provenance import SCORED
from harness.analysis.bootstrap import bootstrap
from leaderboard.models import FACT_FIELDS, ImageScore, Run, Score, Status, Submission, Team, facts_of
from leaderboard.schemas import (
    BaselineInfo,
    LeaderboardRow,
    ModelFigures,
    OnnxFigures,
    RegionMeans,
    Significance,
    TrackTable,
    TrackTableRow,
)
from leaderboard.services.challenge import Challenge
from leaderboard.services.splits import Splits


def _untrained(r) -> bool:
    return r.kind == "baseline" and r.b_method is not None and r.b_weights_state not in SCORED


class Ranking:
    def __init__(self, challenge: Challenge, splits: Splits) -> None:
        self.challenge = challenge
        self.splits = splits

    def leaderboard(
        self, session: Session, track: str, split: str, organiser: bool, details: bool = True
    ) -> list[LeaderboardRow]:
        """Ranked rows of a split: one per team, by the split's primary metric.

        ``details=False`` leaves out the region means and the bootstrap (per-image reads and 2000
        resamples) for callers that need the rows alone.

        Best (or, if the organiser chose so, latest) scored submission per team; ties go to
        the earlier submission; unscored and NaN entries are never ranked.
        """
        split_spec = self.challenge.split(track, split)
        self.splits.require_visible(session, track, split, organiser, f"no leaderboard for {track}/{split} yet")
        rule = self.splits.state(session, track, split).rank_by
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
                Score.aligned,  # shown beside the row as a diagnostic; never in the order
                Score.lpips,  # a forward track's perceptual distance: shown, never in the order
                Score.lpips_note,
                Submission.id.label("sub_id"),
                Score.id.label("score_id"),
                Submission.created_at,
                *(getattr(Submission, name) for name in FACT_FIELDS),
                Team.name.label("team"),
                Team.kind.label("kind"),
                *(getattr(Run, name).label(f"b_{name}") for name in BaselineInfo.run_columns()),
                Run.report.label("b_report"),  # a baseline's ONNX export timed as a team's model is
                pick,
            )
            .join(Submission, Score.submission_id == Submission.id)
            .join(Team, Submission.team_id == Team.id)
            .outerjoin(Run, (Run.submission_id == Submission.id) & (Run.kind == "baseline"))
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
        compared = [r for r in rows if not _untrained(r)]  # an untrained baseline's score is not its method's
        if details and len(compared) >= 2 and len({len(per_image[r.score_id]) for r in compared}) == 1:
            report = bootstrap(
                {str(r.score_id): per_image[r.score_id] for r in compared},
                metric=split_spec.primary_metric,
                n_resamples=2000,
            )
            stats = {
                e.name: Significance(
                    metric=report.metric, ci_low=e.ci_low, ci_high=e.ci_high, p_order=e.p_order, group=e.group
                )
                for e in report.entries
            }
        models = self._model_figures(session, [r.sub_id for r in rows])
        out: list[LeaderboardRow] = []
        rank = 0
        for r in rows:
            baseline = None
            if r.kind == "baseline" and r.b_method is not None:
                baseline = BaselineInfo(
                    **{name: getattr(r, f"b_{name}") for name in BaselineInfo.run_columns()},
                    onnx=OnnxFigures.from_report(r.b_report),
                )
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
                    model=models.get(r.sub_id),
                    aligned_psnr_diagnostic=(r.aligned or {}).get("psnr"),
                    aligned_ssim_diagnostic=(r.aligned or {}).get("ssim"),
                    lpips=r.lpips,
                    lpips_note=r.lpips_note,
                    **facts_of(r),
                )
            )
        return out

    @staticmethod
    def _model_figures(session: Session, submission_ids: list[int]) -> dict[int, ModelFigures]:
        """What the harness measured for the rows that are model submissions it re-ran."""
        if not submission_ids:
            return {}
        runs = session.exec(select(Run).where(col(Run.submission_id).in_(submission_ids), Run.kind == "model")).all()
        return {run.submission_id: ModelFigures.model_validate(run, from_attributes=True) for run in runs}

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

    def per_image(self, session: Session, submission_ids: list[int], metric: str = "psnr") -> dict[int, np.ndarray]:
        """Per-image values (``psnr`` or ``ssim``) of each submission's current score."""
        query = select(Score.id, Score.submission_id).where(
            col(Score.submission_id).in_(submission_ids or [-1]), col(Score.current)
        )
        score_of = {sub: sid for sid, sub in session.exec(query).all()}
        values = self._per_image(session, list(score_of.values()), metric)
        return {sub: values.get(sid, np.array([])) for sub, sid in score_of.items()}

    def default_split(self, session: Session, track: str, organiser: bool) -> str | None:
        """The split a track's table is ranked on unless one is asked for: its first visible test split."""
        visible = self.splits.visible_test_splits(session, track, organiser)
        return visible[0] if visible else None

    def track_table(
        self, session: Session, track: str, organiser: bool, details: bool = True, split: str | None = None
    ) -> TrackTable:
        """A track's leaderboard ranked on ``split`` (default: the first visible test split).

        Rows with an entry on that split come first, in its order (teams ranked, baselines
        unranked); teams seen only on other visible splits follow, unranked. A row's ``entry`` is
        the submission it is ranked by: its score, fact sheet and significance all come from it.
        ``scores`` holds each visible split's own entry of the team (other submissions).
        """
        splits = self.splits.visible_test_splits(session, track, organiser)
        if split is None:
            split = splits[0] if splits else None
        elif split not in splits:
            self.challenge.test_split(track, split)  # NotFound / Invalid for an unknown or training split
            self.splits.require_visible(session, track, split, organiser, f"no leaderboard for {track}/{split} yet")
        per_split = {
            name: {r.team: r for r in self.leaderboard(session, track, name, organiser, details)} for name in splits
        }
        order = [split, *(s for s in splits if s != split)] if split else []
        teams: list[str] = []
        for name in order:
            for team in per_split[name]:  # in leaderboard order: ranked teams and baselines by score
                if team not in teams:
                    teams.append(team)
        rows = []
        for team in teams:
            entry = per_split[split].get(team) if split else None
            any_entry = entry or next(per_split[n][team] for n in order if team in per_split[n])
            rows.append(
                TrackTableRow(
                    rank=entry.rank if entry else None,
                    team=team,
                    kind=any_entry.kind,
                    entry=entry,
                    scores={n: per_split[n][team] for n in splits if team in per_split[n]},
                )
            )
        metric = self.challenge.split(track, split).primary_metric if split else "psnr"
        return TrackTable(track=track, split=split, metric=metric, splits=splits, rows=rows)
