"""Analysis of a split's leaderboard entries: image list, plots, visual comparisons.

Who may see what is the leaderboard's rule (``Ranking.leaderboard`` asks ``Splits``); the
comparisons show the ground truth, so they also wait for the split to close (organisers excepted).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from sqlmodel import Session

from harness.analysis.compare import comparison_png
from harness.analysis.plots import Point, distribution_plot, efficiency_plot, plottable
from harness.errors import Forbidden, Invalid, NotFound, Unreadable
from harness.names import shown_name
from harness.npyio import NpyError, read_raw
from harness.rgbio import read_rgb
from leaderboard.models import Clock, Submission, utcnow
from leaderboard.schemas import LeaderboardRow
from leaderboard.services.challenge import Challenge
from leaderboard.services.predictions import ZIP_ERRORS, open_predictions, stored_predictions, unreadable
from leaderboard.services.ranking import Ranking
from leaderboard.services.reference import Reference
from submissions.intake import prediction_member
from submissions.store import UploadStore

MAX_COMPARED = 6  # entries in one comparison picture
DEFAULT_COMPARED = 4  # the top entries compared when none are named


def label(row: LeaderboardRow) -> str:
    return row.baseline.method + " (baseline)" if row.baseline else row.team


def _points(rows: list[LeaderboardRow], metric: str) -> list[Point]:
    """This challenge's points: baselines as measured by the harness, teams with their own figures."""
    points = []
    for r in rows:
        score = getattr(r, metric)
        b = r.baseline
        if b:
            runtime = b.runtime_full_ms if r.full_resolution and b.runtime_full_ms else b.runtime_patch_ms
            points.append(
                Point(label=b.method, score=score, source="measured", params_m=b.params / 1e6, runtime_ms=runtime)
            )
        elif r.model is not None:  # a submitted model the harness re-ran: measured here, drawn filled
            m = r.model
            runtime = m.runtime_full_ms if m.inputs == "full" and m.runtime_full_ms else m.runtime_patch_ms
            points.append(
                Point(label=r.team, score=score, source="measured", params_m=m.params / 1e6, runtime_ms=runtime)
            )
        else:
            runtime = r.runtime_s * 1000 if r.runtime_s is not None else None
            points.append(Point(label=r.team, score=score, source="team", params_m=r.params_m, runtime_ms=runtime))
    return points


class Analysis:
    def __init__(
        self,
        challenge: Challenge,
        ranking: Ranking,
        reference: Reference,
        store: UploadStore,
        clock: Clock = utcnow,
    ) -> None:
        self.challenge = challenge
        self.ranking = ranking
        self.reference = reference
        self.store = store
        self.clock = clock

    def entries(
        self, session: Session, track: str, split: str | None, organiser: bool
    ) -> tuple[str, list[LeaderboardRow]]:
        """The split's name (default: the track's first test split) and its entries as the caller may see them."""
        name = split or self.challenge.default_split(track)
        self.challenge.split(track, name)
        return name, self.ranking.leaderboard(session, track, name, organiser)

    def images(self, session: Session, track: str, split: str | None, organiser: bool) -> dict:
        """The split's image names (for choosing a comparison) and its entries, best first."""
        name, rows = self.entries(session, track, split, organiser)
        return {
            "split": name,
            "images": self.challenge.files(track, name).image_names(),
            "entries": [
                {"submission_id": r.submission_id, "label": label(r), "psnr": r.psnr, "ssim": r.ssim} for r in rows
            ],
        }

    def plot(
        self, session: Session, track: str, kind: str, fmt: str, split: str | None, organiser: bool
    ) -> tuple[bytes, int]:
        """A plot (``<metric>-distribution`` | ``<metric>-vs-runtime`` | ``<metric>-vs-params``) and the
        number of points drawn in it."""
        name, rows = self.entries(session, track, split, organiser)
        rows = [r for r in rows if not (r.baseline and r.baseline.untrained)]  # their scores are not the methods'
        metric, _, what = kind.partition("-")
        title = f"{track} / {name}: {metric.upper()}"
        if what == "distribution":
            per_image = self.ranking.per_image(session, [r.submission_id for r in rows], metric)
            entries = [(label(r), per_image[r.submission_id]) for r in rows]
            return distribution_plot(entries, title=title, metric=metric, fmt=fmt), len(entries)
        x = "runtime_ms" if what == "vs-runtime" else "params_m"
        points = _points(rows, metric)
        reference, ref_title = self._reported(track, name, metric)
        data = efficiency_plot(
            points, x=x, title=title, metric=metric, fmt=fmt, reference=reference, reference_title=ref_title
        )
        return data, len(plottable(points, x)) + len(plottable(reference, x))

    def _reported(self, track: str, split: str, metric: str) -> tuple[list[Point], str]:
        """The reference table's teams on this track and split: reported score against reported figures."""
        table = self.reference.table
        if table is None or track not in table.tracks:
            return [], ""
        points = []
        for t in table.for_track(track):
            sc = t.score(track, split)
            if sc is not None:
                points.append(
                    Point(
                        label=t.team,
                        score=getattr(sc, metric),
                        source="reported",
                        params_m=t.params_m,
                        runtime_ms=t.runtime_ms,
                    )
                )
        return points, table.title

    def compare(
        self, session: Session, track: str, image: str, split: str | None, ids: list[int] | None, organiser: bool
    ) -> bytes:
        """Input, ground truth and each entry (``ids``, default the top ones) rendered alike, as PNG.

        The picture shows the ground truth: organisers may see it at any time, everyone else once
        the split has closed (Forbidden before)."""
        name, rows = self.entries(session, track, split, organiser)
        files = self.challenge.files(track, name)
        if files.forward:
            raise Invalid(
                f"track {track} is a forward track (sRGB predictions): visual comparisons render RAW and are "
                "not made for it; its plots and per-image scores are"
            )
        if image not in set(files.image_names()):  # a name from the split's list, never a path built from input
            raise NotFound(f"no image {shown_name(image)!r} in {track}/{name}")
        closes = self.challenge.split(track, name).closes
        if not organiser and (closes is None or self.clock() <= closes):
            raise Forbidden("comparisons show the ground truth: organisers only until the split closes")
        by_id = {r.submission_id: r for r in rows}
        if ids is not None:
            unknown = [i for i in ids if i not in by_id]
            if unknown:
                raise NotFound(f"not on this leaderboard: {unknown}")
        else:
            ids = [r.submission_id for r in rows[:DEFAULT_COMPARED]]
        gt = np.load(files.gt_of(image), allow_pickle=False)
        rgb_path = files.rgb_of(image)
        rgb = read_rgb(rgb_path) if rgb_path is not None else None
        if rgb is not None and rgb.shape[:2] != (2 * gt.shape[0], 2 * gt.shape[1]):
            rgb = None
        preds = [(label(by_id[i]), self._prediction(session, i, image, gt.shape)) for i in ids]
        t = self.challenge.track(track)
        return comparison_png(rgb, gt, preds, black=t.black, white=t.white)

    def _prediction(self, session: Session, submission_id: int, image: str, shape: tuple[int, ...]) -> np.ndarray:
        """One predicted image, read from the submission's stored predictions (its upload, or the zip its
        model's run made) and checked like any submitted file; a damaged stored zip is Unreadable."""
        stored = stored_predictions(session, self.store, session.get(Submission, submission_id))
        with open_predictions(stored) as zf:
            member = prediction_member(zf.infolist(), image)  # the very file intake paired and scoring read
            if member is None:
                raise NotFound(f"submission {submission_id} has no prediction {shown_name(image)}.npy")
            with tempfile.NamedTemporaryFile(suffix=".npy") as tmp:
                try:
                    with zf.open(member) as src:
                        tmp.write(src.read(np.prod(shape) * 2 + 4096))
                except ZIP_ERRORS as exc:
                    raise unreadable(stored, exc) from exc
                tmp.flush()
                try:
                    return read_raw(Path(tmp.name), expected_shape=shape)
                except NpyError as exc:
                    raise Unreadable(
                        f"submission {submission_id}: {shown_name(image)}.npy is not a valid prediction"
                    ) from exc
