"""HTML pages (Jinja): the challenge overview and per-track leaderboards."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from leaderboard.api.deps import CtxDep, SessionDep

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, ctx: CtxDep) -> HTMLResponse:
    return templates.TemplateResponse(request, "overview.html", {"spec": ctx.challenge.spec})


@router.get("/leaderboard/{track}", response_class=HTMLResponse)
def leaderboard_page(request: Request, track: str, ctx: CtxDep, session: SessionDep) -> HTMLResponse:
    spec = ctx.challenge.track(track)
    # public pages show public (or revealed) splits only; organisers use the API and exports
    splits, rows = ctx.ranking.track_table(session, track, organiser=False)
    primary = spec.split(splits[0]).primary_metric if splits else "psnr"
    reference = ctx.reference.board(track, splits, rows)
    context = {
        "spec": ctx.challenge.spec,
        "track": spec,
        "splits": splits,
        "rows": rows,
        "primary": primary,
        "reference": reference,
    }
    return templates.TemplateResponse(request, "leaderboard.html", context)


@router.get("/analysis/{track}", response_class=HTMLResponse)
def analysis_page(request: Request, track: str, ctx: CtxDep) -> HTMLResponse:
    """Significance, plots and visual comparisons (hidden splits with the organiser token)."""
    spec = ctx.challenge.track(track)
    splits = spec.test_splits
    return templates.TemplateResponse(request, "analysis.html", {"spec": ctx.challenge.spec, "track": spec, "splits": splits})


@router.get("/submit", response_class=HTMLResponse)
def submit_page(request: Request, ctx: CtxDep) -> HTMLResponse:
    return templates.TemplateResponse(request, "submit.html", {"spec": ctx.challenge.spec})


@router.get("/submissions", response_class=HTMLResponse)
def my_submissions_page(request: Request, ctx: CtxDep) -> HTMLResponse:
    return templates.TemplateResponse(request, "submissions.html", {"spec": ctx.challenge.spec})


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(request: Request, submission_id: int, ctx: CtxDep) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "submission.html", {"spec": ctx.challenge.spec, "submission_id": submission_id}
    )


@router.get("/organiser", response_class=HTMLResponse)
def organiser_page(request: Request, ctx: CtxDep) -> HTMLResponse:
    """The page itself holds nothing private: everything on it comes from the organiser API."""
    return templates.TemplateResponse(request, "organiser.html", {"spec": ctx.challenge.spec})
