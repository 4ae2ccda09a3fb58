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
    # public pages show public (or revealed) splits only; organisers use the API and exports
    splits, rows = service.track_table(session, track, organiser=False)
    primary = spec.split(splits[0]).primary_metric if splits else "psnr"
    reference = service.reference_board(track, splits, rows)
    context = {
        "spec": service.spec,
        "track": spec,
        "splits": splits,
        "rows": rows,
        "primary": primary,
        "reference": reference,
    }
    return templates.TemplateResponse(request, "leaderboard.html", context)


@router.get("/analysis/{track}", response_class=HTMLResponse)
def analysis_page(request: Request, track: str, service: ServiceDep) -> HTMLResponse:
    """Significance, plots and visual comparisons (hidden splits with the organiser token)."""
    try:
        spec = service.spec.track(track)
    except KeyError:
        raise HTTPException(404, "no such track") from None
    splits = [s for s in spec.splits if s.kind == "test"]
    return templates.TemplateResponse(request, "analysis.html", {"spec": service.spec, "track": spec, "splits": splits})


@router.get("/submit", response_class=HTMLResponse)
def submit_page(request: Request, service: ServiceDep) -> HTMLResponse:
    return templates.TemplateResponse(request, "submit.html", {"spec": service.spec})


@router.get("/submissions", response_class=HTMLResponse)
def my_submissions_page(request: Request, service: ServiceDep) -> HTMLResponse:
    return templates.TemplateResponse(request, "submissions.html", {"spec": service.spec})


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(request: Request, submission_id: int, service: ServiceDep) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "submission.html", {"spec": service.spec, "submission_id": submission_id}
    )


@router.get("/organiser", response_class=HTMLResponse)
def organiser_page(request: Request, service: ServiceDep) -> HTMLResponse:
    """The page itself holds nothing private: everything on it comes from the organiser API."""
    return templates.TemplateResponse(request, "organiser.html", {"spec": service.spec})
