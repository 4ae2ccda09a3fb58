from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Path, UploadFile
from sqlmodel import col, select

from leaderboard.api.deps import CallerDep, OrganiserDep, ServiceDep, SessionDep, TeamDep
from leaderboard.models import ImageResult, Submission, SubmissionAccepted, SubmissionPublic

router = APIRouter(prefix="/api/submissions", tags=["submissions"])

# ids are 32-bit in the database (PostgreSQL INTEGER): larger ones are refused as invalid, not looked up
SubmissionId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("", status_code=202, response_model=SubmissionAccepted)
def create_submission(
    service: ServiceDep,
    session: SessionDep,
    team: TeamDep,
    file: Annotated[UploadFile, File(description="zip of <image>.npy predictions and readme.txt")],
    track: Annotated[str, Form()],
    split: Annotated[str, Form()],
    extra_data: Annotated[bool, Form(description="ED: trained with extra data")] = False,
    ensemble: Annotated[bool, Form(description="ENS: ensemble or test-time augmentation")] = False,
    full_resolution: Annotated[bool, Form(description="FR: runs on full-resolution images")] = False,
    params_m: Annotated[float | None, Form(ge=0, description="parameters, millions")] = None,
    runtime_s: Annotated[float | None, Form(ge=0, description="runtime per image, seconds")] = None,
    device: Annotated[str | None, Form(pattern="^(cpu|gpu)$")] = None,
    description: Annotated[str, Form(max_length=4000)] = "",
    input_size: Annotated[
        str | None, Form(max_length=64, description="training/inference input size (Table 2)")
    ] = None,
    epochs: Annotated[int | None, Form(ge=0, le=1_000_000, description="training epochs (Table 2)")] = None,
    gpu: Annotated[str | None, Form(max_length=64, description="hardware of the runtime figure (Table 2)")] = None,
) -> SubmissionAccepted:
    """Upload predictions; validation and scoring run in the background (poll GET /api/submissions/{id})."""
    facts = dict(
        extra_data=extra_data,
        ensemble=ensemble,
        full_resolution=full_resolution,
        params_m=params_m,
        runtime_s=runtime_s,
        device=device,
        input_size=input_size,
        epochs=epochs,
        gpu=gpu,
        description=description,
    )
    sub = service.submit(session, team, track, split, file.file, facts)
    return SubmissionAccepted(id=sub.id, status=sub.status)


@router.get("", response_model=list[SubmissionPublic])
def list_submissions(service: ServiceDep, session: SessionDep, caller: CallerDep) -> list[SubmissionPublic]:
    """A team's own submissions (organisers: all), newest first."""
    if caller.team is None and not caller.organiser:
        raise HTTPException(401, "a team token is required", headers={"WWW-Authenticate": "Bearer"})
    query = select(Submission).order_by(col(Submission.id).desc())
    if not caller.organiser:
        query = query.where(Submission.team_id == caller.team.id)
    return [service.public_submission(session, s, caller.organiser) for s in session.exec(query).all()]


@router.get("/{submission_id}", response_model=SubmissionPublic)
def get_submission(
    submission_id: SubmissionId, service: ServiceDep, session: SessionDep, caller: CallerDep
) -> SubmissionPublic:
    sub = session.get(Submission, submission_id)
    # another team's submission answers exactly like a missing one
    if sub is None or not (caller.organiser or (caller.team is not None and caller.team.id == sub.team_id)):
        raise HTTPException(404, "no such submission")
    return service.public_submission(session, sub, caller.organiser)


@router.post("/{submission_id}/rescore", response_model=SubmissionAccepted, tags=["organiser"])
def rescore(
    submission_id: SubmissionId, service: ServiceDep, session: SessionDep, _org: OrganiserDep
) -> SubmissionAccepted:
    """Score the stored upload again; the new score row replaces the current one, history stays."""
    sub = session.get(Submission, submission_id)
    if sub is None:
        raise HTTPException(404, "no such submission")
    sub = service.rescore(session, sub)
    return SubmissionAccepted(id=sub.id, status=sub.status)


@router.get("/{submission_id}/images", response_model=list[ImageResult])
def image_results(
    submission_id: SubmissionId, service: ServiceDep, session: SessionDep, caller: CallerDep
) -> list[ImageResult]:
    """Per-image PSNR/SSIM: organisers always; the team itself on public or revealed splits."""
    sub = session.get(Submission, submission_id)
    if sub is None or not (caller.organiser or (caller.team is not None and caller.team.id == sub.team_id)):
        raise HTTPException(404, "no such submission")
    return service.image_results(session, sub, caller.organiser)
