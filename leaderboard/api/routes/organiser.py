from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException
from fastapi.responses import PlainTextResponse

from leaderboard import export
from leaderboard.api.deps import OrganiserDep, ServiceDep, SessionDep
from leaderboard.models import QueueState

router = APIRouter(prefix="/api/organiser", tags=["organiser"])


@router.get("/queue", response_model=QueueState)
def queue(service: ServiceDep, session: SessionDep, _org: OrganiserDep) -> QueueState:
    """Submissions per status, jobs per state and queue, running and failed jobs, workers alive."""
    return QueueState(**service.queue_state(session))


@router.get("/export/{track}", response_class=PlainTextResponse)
def export_track(
    track: str,
    service: ServiceDep,
    session: SessionDep,
    _org: OrganiserDep,
    format: Literal["csv", "md", "tex"] = "csv",
) -> PlainTextResponse:
    """The track's leaderboard, every split included, as CSV, Markdown or LaTeX (report Table 1)."""
    try:
        spec = service.spec.track(track)
    except KeyError as exc:
        raise HTTPException(404, str(exc.args[0])) from None
    splits, rows = service.track_table(session, track, organiser=True)
    if format == "csv":
        return PlainTextResponse(export.to_csv(splits, rows), media_type="text/csv")
    if format == "md":
        return PlainTextResponse(export.to_markdown(spec.title, splits, rows), media_type="text/markdown")
    return PlainTextResponse(export.to_latex(spec.title, splits, rows), media_type="application/x-tex")
