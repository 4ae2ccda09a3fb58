"""A past edition's reported table ("reported, not re-run") beside the harness's own re-runs."""

from __future__ import annotations

import math
from functools import cached_property

from baselines import reported
from baselines.reported import ReferenceTable
from leaderboard.schemas import MeasuredFigures, ReferenceBoard, ReferenceMeasured, ReferenceRow, TrackTable
from leaderboard.services.challenge import Challenge
from leaderboard.settings import Settings


class Reference:
    def __init__(self, settings: Settings, challenge: Challenge) -> None:
        self.settings = settings
        self.challenge = challenge

    @cached_property
    def table(self) -> ReferenceTable | None:
        """The past edition's reported table the challenge names (or the settings' override of it)."""
        name = self.challenge.spec.reference
        if not name:
            return None
        return reported.load(name, self.settings.reference_file)

    def board(self, track: str, ours: TrackTable) -> ReferenceBoard | None:
        """The reference table's teams on a track, each beside the harness's re-run of its method if any.

        ``ours`` is the track's table as the caller may see it (``track_table``): the measured side
        comes from its baseline rows, so it never shows what the caller may not.
        """
        table = self.table
        if table is None or track not in table.tracks:
            return None
        measured: dict[str, ReferenceMeasured] = {}
        for split in ours.splits:
            for row in ours.rows:
                entry = row.scores.get(split)
                b = entry.baseline if entry else None
                if b is None or b.method in measured:
                    continue
                measured[b.method] = ReferenceMeasured(
                    method=b.method,
                    split=split,
                    submission_id=entry.submission_id,
                    psnr=None if b.untrained else entry.psnr,
                    ssim=None if b.untrained else entry.ssim,
                    weights_label=b.weights_label,
                    **b.model_dump(include=set(MeasuredFigures.model_fields) - {"method"}),
                )
        teams = table.for_track(track)
        # the report's order where it has scores (the track's primary metric on its first split), else the table's
        first = table.splits[0]
        tests = self.challenge.track(track).test_splits
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
