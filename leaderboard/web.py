"""HTML pages (Jinja): the challenge overview and per-track leaderboards."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from leaderboard.api.deps import ServiceDep, SessionDep

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, service: ServiceDep) -> HTMLResponse:
    return templates.TemplateResponse(request, "overview.html", {"spec": service.spec})


@router.get("/leaderboard/{track}", response_class=HTMLResponse)
def leaderboard_page(request: Request, track: str, service: ServiceDep, session: SessionDep) -> HTMLResponse:
    try:
        spec = service.spec.track(track)
    except KeyError:
        raise HTTPException(404, "no such track") from None
    # public pages show public (or revealed) splits only; organisers use the API
    boards = {
        s.name: service.leaderboard(session, track, s.name, False)
        for s in spec.splits
        if s.kind == "test" and service.visible(session, track, s.name, False)
    }
    return templates.TemplateResponse(
        request, "leaderboard.html", {"spec": service.spec, "track": spec, "boards": boards}
    )


@router.get("/submit", response_class=HTMLResponse)
def submit_page(request: Request, service: ServiceDep) -> HTMLResponse:
    return templates.TemplateResponse(request, "submit.html", {"spec": service.spec})
