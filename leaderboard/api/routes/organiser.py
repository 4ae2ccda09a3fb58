from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from baselines import registry
from leaderboard import export
from leaderboard.api.deps import CtxDep, OrganiserDep, SessionDep
from leaderboard.jobs.celery_app import GPU_QUEUE
from leaderboard.schemas import QueueState, TeamPublic

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


EXPORTS = {  # format -> (file suffix, media type)
    "csv": ("table1.csv", "text/csv"),
    "md": ("table1.md", "text/markdown"),
    "tex": ("table1.tex", "application/x-tex"),
    "table2-md": ("table2.md", "text/markdown"),
    "table2-tex": ("table2.tex", "application/x-tex"),
}


@router.get("/export/{track}", response_class=PlainTextResponse)
def export_track(
    track: str,
    ctx: CtxDep,
    session: SessionDep,
    _org: OrganiserDep,
    format: Literal["csv", "md", "tex", "table2-md", "table2-tex"] = "csv",
    split: str | None = None,
) -> PlainTextResponse:
    """The track's leaderboard ranked on `split` (default: its first test split), every split's scores
    included, as CSV, Markdown or LaTeX (report Table 1, with bootstrap intervals and groups), or the
    report's Table 2 (input, epochs, ED/ENS/FR, params, runtime, GPU) beside the scores.

    Every fact-sheet figure of a row comes from its entry on the ranking split. Sent as a file
    (`Content-Disposition: attachment`)."""
    spec = ctx.challenge.track(track)
    table = ctx.ranking.track_table(session, track, organiser=True, split=split)
    if format == "csv":
        text = export.to_csv(table)
    elif format.startswith("table2-"):
        text = export.table2(spec.title, table, format.removeprefix("table2-"))
    elif format == "md":
        text = export.to_markdown(spec.title, table)
    else:
        text = export.to_latex(spec.title, table)
    suffix, media = EXPORTS[format]
    filename = f"{ctx.challenge.name}-{track}-{table.split or 'none'}-{suffix}"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in filename)
    return PlainTextResponse(text, media_type=media, headers={"Content-Disposition": f'attachment; filename="{safe}"'})


class SplitStatePublic(BaseModel):
    track: str
    split: str
    visibility: str
    revealed: bool
    rank_by: str
    primary_metric: str


@router.get("/splits", response_model=list[SplitStatePublic])
def split_states(ctx: CtxDep, session: SessionDep, _org: OrganiserDep) -> list[SplitStatePublic]:
    """Every test split with its visibility, whether it was revealed and its ranking rule."""
    out = []
    for t in ctx.challenge.spec.tracks:
        for s in t.test_splits:
            state = ctx.splits.state(session, t.name, s.name)
            out.append(
                SplitStatePublic(
                    track=t.name,
                    split=s.name,
                    visibility=s.visibility,
                    revealed=state.revealed,
                    rank_by=state.rank_by,
                    primary_metric=s.primary_metric,
                )
            )
    return out


class TrainBudget(BaseModel):
    steps: int | None = Field(None, ge=1, le=10_000_000)
    epochs: float | None = Field(None, gt=0, le=100_000)
    minutes: float | None = Field(None, gt=0, le=10_000)
    seed: int = 0


class BaselineJobRequest(BaseModel):
    method: str = Field(max_length=64)
    track: str = Field(max_length=64)
    split: str = Field(max_length=64)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    mode: Literal["patches", "full"] | None = None
    train: TrainBudget | None = Field(None, description="train first (if no weights exist) with this budget")


class JobAccepted(BaseModel):
    job_id: int
    queue: str


@router.post("/baselines", response_model=JobAccepted, status_code=202)
def run_baseline(request: BaselineJobRequest, ctx: CtxDep, session: SessionDep, _org: OrganiserDep) -> JobAccepted:
    """Queue a baseline run (and its training, if asked) on the `gpu` queue; the row appears when it ends."""
    registry.get(request.method)
    ctx.challenge.test_split(request.track, request.split)
    payload = request.model_dump(exclude_none=True)
    if request.train:
        payload["train"] = request.train.model_dump(exclude_none=True)
    job = ctx.jobs.add(session, "baseline-run", payload=payload, queue=GPU_QUEUE)
    session.commit()
    ctx.jobs.send(job.id, job.kind, job.queue)
    return JobAccepted(job_id=job.id, queue=job.queue)
