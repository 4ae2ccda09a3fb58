"""Analysis endpoints: plots and visual comparisons of a split's leaderboard entries.

Public splits (and revealed ones) are open to everyone; hidden ones to organisers only,
exactly like the leaderboard itself. The work is ``leaderboard.services.analysis``.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from leaderboard.api.deps import CallerDep, CtxDep, SessionDep
from leaderboard.services.analysis import MAX_COMPARED

router = APIRouter(prefix="/api/analysis", tags=["analysis"])

MEDIA = {"png": "image/png", "svg": "image/svg+xml"}

PlotKind = Literal[
    "psnr-distribution",
    "psnr-vs-runtime",
    "psnr-vs-params",
    "ssim-distribution",
    "ssim-vs-runtime",
    "ssim-vs-params",
]


@router.get("/{track}/images")
def images(track: str, ctx: CtxDep, session: SessionDep, caller: CallerDep, split: str | None = None) -> dict:
    """The split's image names (for choosing a comparison) and its entries, best first."""
    return ctx.analysis.images(session, track, split, caller.organiser)


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
    data, n = ctx.analysis.plot(session, track, kind, fmt, split, caller.organiser)
    headers = {"Cache-Control": "no-store", "X-Plot-Points": str(n)}
    return Response(data, media_type=MEDIA[fmt], headers=headers)


def _entry_ids(entries: str | None) -> list[int] | None:
    """The ``entries`` parameter: comma-separated submission ids, at most MAX_COMPARED (None: the default)."""
    if not entries:
        return None
    try:
        ids = [int(v) for v in entries.split(",") if v.strip()]
    except ValueError:
        raise HTTPException(422, "entries must be comma-separated submission ids") from None
    if len(ids) > MAX_COMPARED:
        raise HTTPException(422, f"at most {MAX_COMPARED} entries at once")
    return ids


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
    ids = _entry_ids(entries)
    png = ctx.analysis.compare(session, track, image, split, ids, caller.organiser)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})
