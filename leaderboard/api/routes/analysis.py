"""Analysis endpoints: plots and visual comparisons of a split's leaderboard entries.

Public splits (and revealed ones) are open to everyone; hidden ones to organisers only,
exactly like the leaderboard itself.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Literal

import numpy as np
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from harness.analysis.compare import comparison_png
from harness.analysis.plots import Point, distribution_plot, efficiency_plot, plottable
from harness.names import shown_name
from harness.npyio import NpyError, read_raw
from harness.rgbio import read_rgb
from leaderboard.api.deps import CallerDep, CtxDep, SessionDep
from leaderboard.context import Context
from leaderboard.models import Submission, utcnow
from leaderboard.schemas import LeaderboardRow
from leaderboard.services.predictions import ZIP_ERRORS, open_predictions, stored_predictions, unreadable
from submissions.intake import prediction_member

router = APIRouter(prefix="/api/analysis", tags=["analysis"])

MEDIA = {"png": "image/png", "svg": "image/svg+xml"}
MAX_COMPARED = 6


def _rows(ctx: Context, session, track: str, split: str | None, organiser: bool) -> tuple[str, list[LeaderboardRow]]:
    name = split or ctx.challenge.default_split(track)
    ctx.challenge.split(track, name)
    return name, ctx.ranking.leaderboard(session, track, name, organiser)


def _label(row: LeaderboardRow) -> str:
    return row.baseline.method + " (baseline)" if row.baseline else row.team


@router.get("/{track}/images")
def images(track: str, ctx: CtxDep, session: SessionDep, caller: CallerDep, split: str | None = None) -> dict:
    """The split's image names (for choosing a comparison) and its entries, best first."""
    name, rows = _rows(ctx, session, track, split, caller.organiser)
    names = ctx.challenge.files(track, name).image_names()
    return {
        "split": name,
        "images": names,
        "entries": [
            {"submission_id": r.submission_id, "label": _label(r), "psnr": r.psnr, "ssim": r.ssim} for r in rows
        ],
    }


PlotKind = Literal[
    "psnr-distribution",
    "psnr-vs-runtime",
    "psnr-vs-params",
    "ssim-distribution",
    "ssim-vs-runtime",
    "ssim-vs-params",
]


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


def _reported(ctx: Context, track: str, split: str, metric: str) -> tuple[list[Point], str]:
    """The reference table's teams on this track and split: reported score against reported figures."""
    table = ctx.reference.table
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


@router.get("/{track}/plot/{kind}.{fmt}")
def plot(
    track: str,
    kind: PlotKind,
    fmt: Literal["png", "svg"],
    ctx: CtxDep,
    session: SessionDep,
    caller: CallerDep,
    split: str | None = None,
) -> Response:
    """A split's per-image distribution, or its score against runtime / params (efficiency), on PSNR or SSIM.

    Efficiency plots keep measured (harness re-runs) and self-reported (teams) points of this challenge
    in one panel, with a frontier through the measured ones only; a reference table's reported scores
    and figures get a panel of their own. `X-Plot-Points` tells how many points were drawn (0: the
    picture only says so)."""
    name, rows = _rows(ctx, session, track, split, caller.organiser)
    metric, _, what = kind.partition("-")
    title = f"{track} / {name}: {metric.upper()}"
    if what == "distribution":
        per_image = ctx.ranking.per_image(session, [r.submission_id for r in rows], metric)
        entries = [(_label(r), per_image[r.submission_id]) for r in rows]
        data = distribution_plot(entries, title=title, metric=metric, fmt=fmt)
        n = len(entries)
    else:
        x = "runtime_ms" if what == "vs-runtime" else "params_m"
        points = _points(rows, metric)
        reference, ref_title = _reported(ctx, track, name, metric)
        data = efficiency_plot(
            points, x=x, title=title, metric=metric, fmt=fmt, reference=reference, reference_title=ref_title
        )
        n = len(plottable(points, x)) + len(plottable(reference, x))
    headers = {"Cache-Control": "no-store", "X-Plot-Points": str(n)}
    return Response(data, media_type=MEDIA[fmt], headers=headers)


def _prediction(ctx: Context, session, submission_id: int, image: str, shape: tuple[int, ...]) -> np.ndarray:
    """One predicted image, read from the submission's stored predictions (its upload, or the zip its
    model's run made) and checked like any submitted file; a damaged stored zip answers 422."""
    stored = stored_predictions(session, ctx.store, session.get(Submission, submission_id))
    with open_predictions(stored) as zf:
        member = prediction_member(zf.infolist(), image)  # the very file intake paired and scoring read
        if member is None:
            raise HTTPException(404, f"submission {submission_id} has no prediction {shown_name(image)}.npy")
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
                raise HTTPException(
                    422, f"submission {submission_id}: {shown_name(image)}.npy is not a valid prediction"
                ) from exc


@router.get("/{track}/compare.png")
def compare(
    track: str,
    image: str,
    ctx: CtxDep,
    session: SessionDep,
    caller: CallerDep,
    split: str | None = None,
    entries: str | None = Query(None, description="comma-separated submission ids (default: the top 4)"),
) -> Response:
    """Input, ground truth and each entry rendered alike, error maps, zoomed crops of the worst window.

    The picture shows the ground truth: organisers may see it at any time, everyone else once the
    split has closed (after its `closes` date); before that it answers 403.
    """
    name, rows = _rows(ctx, session, track, split, caller.organiser)
    files = ctx.challenge.files(track, name)
    if image not in set(files.image_names()):  # a name from the split's list, never a path built from input
        raise HTTPException(404, f"no image {shown_name(image)!r} in {track}/{name}")
    closes = ctx.challenge.split(track, name).closes
    if not caller.organiser and (closes is None or utcnow() <= closes):
        raise HTTPException(403, "comparisons show the ground truth: organisers only until the split closes")
    gt_path = files.gt_of(image)
    by_id = {r.submission_id: r for r in rows}
    if entries:
        try:
            ids = [int(v) for v in entries.split(",") if v.strip()]
        except ValueError:
            raise HTTPException(422, "entries must be comma-separated submission ids") from None
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise HTTPException(404, f"not on this leaderboard: {unknown}")
    else:
        ids = [r.submission_id for r in rows[:4]]
    if len(ids) > MAX_COMPARED:
        raise HTTPException(422, f"at most {MAX_COMPARED} entries at once")
    gt = np.load(gt_path, allow_pickle=False)
    rgb_path = files.rgb_of(image)
    rgb = read_rgb(rgb_path) if rgb_path is not None else None
    if rgb is not None and rgb.shape[:2] != (2 * gt.shape[0], 2 * gt.shape[1]):
        rgb = None
    preds = [(_label(by_id[i]), _prediction(ctx, session, i, image, gt.shape)) for i in ids]
    t = ctx.challenge.track(track)
    png = comparison_png(rgb, gt, preds, black=t.black, white=t.white)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})
