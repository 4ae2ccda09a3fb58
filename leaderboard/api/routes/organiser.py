from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import PlainTextResponse

from leaderboard import export
from leaderboard.api.deps import CtxDep, OrganiserDep, SessionDep
from leaderboard.schemas import BaselineJobRequest, JobAccepted, QueueState, SplitStatePublic, TeamPublic

router = APIRouter(prefix="/api/organiser", tags=["organiser"])

TeamId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/queue", response_model=QueueState)
def queue(ctx: CtxDep, session: SessionDep, _org: OrganiserDep) -> QueueState:
    """Submissions per status, jobs per state and queue, running and failed jobs, workers alive."""
    return QueueState(**ctx.submissions.status_counts(session), **ctx.jobs.summary(session))


@router.get("/teams", response_model=list[TeamPublic])
def list_teams(ctx: CtxDep, session: SessionDep, _org: OrganiserDep) -> list[TeamPublic]:
    """Registered teams (baselines left out), oldest first, with their approval."""
    return [TeamPublic.model_validate(t, from_attributes=True) for t in ctx.teams.listing(session)]


@router.post("/teams/{team_id}/approval", response_model=TeamPublic)
def set_approval(team_id: TeamId, approved: bool, ctx: CtxDep, session: SessionDep, _org: OrganiserDep) -> TeamPublic:
    """Approve a team (it may submit) or withdraw the approval (with HARNESS_REGISTRATION_APPROVAL)."""
    return TeamPublic.model_validate(ctx.teams.set_approved(session, team_id, approved), from_attributes=True)


@router.get("/export/{track}", response_class=PlainTextResponse)
def export_track(
    track: str,
    ctx: CtxDep,
    session: SessionDep,
    _org: OrganiserDep,
    format: export.ExportFormat = "csv",
    split: str | None = None,
) -> PlainTextResponse:
    """The track's leaderboard ranked on `split` (default: its first test split), every split's scores
    included, as CSV, Markdown or LaTeX (report Table 1, with bootstrap intervals and groups), or the
    report's Table 2 (input, epochs, ED/ENS/FR, params, runtime, GPU) beside the scores.

    Every fact-sheet figure of a row comes from its entry on the ranking split. Sent as a file
    (`Content-Disposition: attachment`)."""
    title = ctx.challenge.track(track).title
    table = ctx.ranking.track_table(session, track, organiser=True, split=split)
    text, filename, media = export.as_file(ctx.challenge.name, track, title, table, format)
    return PlainTextResponse(
        text, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.get("/splits", response_model=list[SplitStatePublic])
def split_states(ctx: CtxDep, session: SessionDep, _org: OrganiserDep) -> list[SplitStatePublic]:
    """Every test split with its visibility, whether it was revealed and its ranking rule."""
    return ctx.splits.organiser_states(session)


@router.post("/baselines", response_model=JobAccepted, status_code=202)
def run_baseline(request: BaselineJobRequest, ctx: CtxDep, session: SessionDep, _org: OrganiserDep) -> JobAccepted:
    """Queue a baseline run (and its training, if asked) on the `gpu` queue; the row appears when it ends."""
    job = ctx.baseline_jobs.queue_run(session, request)
    return JobAccepted(job_id=job.id, queue=job.queue)
