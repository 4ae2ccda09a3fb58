from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from harness.jobs.app import GPU_QUEUE
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
    format: Literal["csv", "md", "tex", "table2-md", "table2-tex"] = "csv",
) -> PlainTextResponse:
    """The track's leaderboard, every split included, as CSV, Markdown or LaTeX (report Table 1, with
    bootstrap intervals and groups), or the report's Table 2 (input, epochs, ED/ENS/FR, params,
    runtime, GPU) beside the scores."""
    try:
        spec = service.spec.track(track)
    except KeyError as exc:
        raise HTTPException(404, str(exc.args[0])) from None
    splits, rows = service.track_table(session, track, organiser=True)
    if format == "csv":
        return PlainTextResponse(export.to_csv(splits, rows), media_type="text/csv")
    if format.startswith("table2-"):
        fmt = format.removeprefix("table2-")
        return PlainTextResponse(
            export.table2(spec.title, splits, rows, fmt),
            media_type="text/markdown" if fmt == "md" else "application/x-tex",
        )
    if format == "md":
        return PlainTextResponse(export.to_markdown(spec.title, splits, rows), media_type="text/markdown")
    return PlainTextResponse(export.to_latex(spec.title, splits, rows), media_type="application/x-tex")


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
def run_baseline(
    request: BaselineJobRequest, service: ServiceDep, session: SessionDep, _org: OrganiserDep
) -> JobAccepted:
    """Queue a baseline run (and its training, if asked) on the `gpu` queue; the row appears when it ends."""
    from baselines import registry

    try:
        registry.get(request.method)
        split = service.spec.track(request.track).split(request.split)
    except KeyError as exc:
        raise HTTPException(404, str(exc.args[0])) from None
    if split.kind != "test":
        raise HTTPException(400, f"split {request.split!r} is not a test split")
    payload = request.model_dump(exclude_none=True)
    if request.train:
        payload["train"] = request.train.model_dump(exclude_none=True)
    job = service.jobs.add(session, "baseline-run", payload=payload, queue=GPU_QUEUE)
    session.commit()
    service.jobs.send(job.id, job.kind, job.queue)
    return JobAccepted(job_id=job.id, queue=job.queue)
