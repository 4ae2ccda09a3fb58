"""HTML pages (Jinja): the challenge's overview, rules, and per track its overview, evaluation,
leaderboard and analysis; submitting, a team's submissions, the organiser page.

Pages carry public data only; whatever needs a token (a team's submissions, hidden splits, the
organiser's tools) the page's script fetches from the API with the token typed into the page.
The leaderboard's table is also served alone (``/leaderboard/{track}/board``), so an organiser
can load a hidden split's ranking into the page with the token.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from leaderboard.api.deps import CallerDep, CtxDep, SessionDep
from leaderboard.context import Context
from leaderboard.web import data as data_page

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(include_in_schema=False)
data_page.add_routes(router, templates)  # /data/{track}: the Data tab (leaderboard/web/data.py)


def _page(request: Request, name: str, ctx: Context, **context) -> HTMLResponse:
    return templates.TemplateResponse(request, name, {"spec": ctx.challenge.spec, **context})


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, ctx: CtxDep, session: SessionDep) -> HTMLResponse:
    states = {t.name: ctx.splits.views(session, t.name, False) for t in ctx.challenge.spec.tracks}
    return _page(request, "overview.html", ctx, states=states)


@router.get("/rules", response_class=HTMLResponse)
def rules(request: Request, ctx: CtxDep) -> HTMLResponse:
    return _page(request, "rules.html", ctx, max_upload_mb=ctx.settings.max_upload_bytes / 2**20)


@router.get("/tracks/{track}", response_class=HTMLResponse)
def track_overview(request: Request, track: str, ctx: CtxDep, session: SessionDep) -> HTMLResponse:
    spec = ctx.challenge.track(track)
    return _page(request, "track.html", ctx, track=spec, states=ctx.splits.views(session, track, False))


@router.get("/evaluation/{track}", response_class=HTMLResponse)
def evaluation(request: Request, track: str, ctx: CtxDep) -> HTMLResponse:
    return _page(request, "evaluation.html", ctx, track=ctx.challenge.track(track))


def _board(ctx: Context, session: Session, track: str, split: str, organiser: bool) -> dict:
    """What the leaderboard table of one split shows: ranked teams, then baselines apart."""
    rows = ctx.ranking.leaderboard(session, track, split, organiser)
    view = ctx.splits.view(session, track, split, organiser)
    return {
        "split": view.spec,
        "primary": view.spec.primary_metric,
        "teams": [r for r in rows if r.baseline is None],
        "baselines": [r for r in rows if r.baseline is not None],
        "rank_by": view.rank_by,
        "shown_as": view.shown_as,
    }


@router.get("/leaderboard/{track}", response_class=HTMLResponse)
def leaderboard_page(
    request: Request, track: str, ctx: CtxDep, session: SessionDep, split: str | None = None
) -> HTMLResponse:
    """One split's ranking (``?split=``, default the first test split); hidden ones say so."""
    spec = ctx.challenge.track(track)
    name = split or ctx.challenge.default_split(track)
    ctx.challenge.test_split(track, name)
    states = ctx.splits.views(session, track, False)
    visible = next(v.visible for v in states if v.spec.name == name)
    board = _board(ctx, session, track, name, False) if visible else None
    reference = ctx.reference.board(track, ctx.ranking.track_table(session, track, False, details=False))
    context = {"track": spec, "states": states, "chosen": ctx.challenge.split(track, name), "board": board}
    return _page(request, "leaderboard.html", ctx, reference=reference, **context)


@router.get("/leaderboard/{track}/board", response_class=HTMLResponse)
def leaderboard_board(
    request: Request, track: str, ctx: CtxDep, session: SessionDep, caller: CallerDep, split: str | None = None
) -> HTMLResponse:
    """The ranking table of one split alone (organisers: hidden splits too), for the page to load."""
    name = split or ctx.challenge.default_split(track)
    ctx.challenge.test_split(track, name)
    board = _board(ctx, session, track, name, caller.organiser)
    return _page(request, "board.html", ctx, track=ctx.challenge.track(track), board=board)


@router.get("/analysis/{track}", response_class=HTMLResponse)
def analysis_page(request: Request, track: str, ctx: CtxDep, session: SessionDep) -> HTMLResponse:
    """Significance, plots and visual comparisons (hidden splits with the organiser token)."""
    spec = ctx.challenge.track(track)
    return _page(request, "analysis.html", ctx, track=spec, states=ctx.splits.views(session, track, False))


@router.get("/submit", response_class=HTMLResponse)
def submit_page(request: Request, ctx: CtxDep, session: SessionDep, track: str | None = None) -> HTMLResponse:
    chosen = ctx.challenge.track(track) if track else ctx.challenge.spec.tracks[0]
    splits = {
        t.name: [
            {"name": v.spec.name, "hidden": not v.visible, "metric": v.spec.primary_metric}
            for v in ctx.splits.views(session, t.name, False)
        ]
        for t in ctx.challenge.spec.tracks
    }
    return _page(request, "submit.html", ctx, chosen=chosen, splits=splits, registration=ctx.settings.registration_open)


@router.get("/submissions", response_class=HTMLResponse)
def my_submissions_page(request: Request, ctx: CtxDep) -> HTMLResponse:
    return _page(request, "submissions.html", ctx)


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(request: Request, submission_id: int, ctx: CtxDep) -> HTMLResponse:
    return _page(request, "submission.html", ctx, submission_id=submission_id)


@router.get("/organiser", response_class=HTMLResponse)
def organiser_page(request: Request, ctx: CtxDep) -> HTMLResponse:
    """The page itself holds nothing private: everything on it comes from the organiser API."""
    return _page(request, "organiser.html", ctx, approval=ctx.settings.registration_approval)
