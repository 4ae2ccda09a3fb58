from __future__ import annotations

from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from harness.errors import Forbidden
from harness_client import routes
from leaderboard.api.deps import (
    AnySubmissionDep,
    CallerDep,
    CtxDep,
    MemberDep,
    OrganiserDep,
    OwnSubmissionDep,
    SessionDep,
    TeamDep,
)
from leaderboard.api.upload import SubmissionForm, openapi_body, read_submission_form
from leaderboard.context import Context
from leaderboard.models import Submission, Team
from leaderboard.schemas import ImageResult, SubmissionAccepted, SubmissionPublic
from submissions.store import Received

router = APIRouter(prefix=routes.SUBMISSIONS, tags=["submissions"])

LISTED_ERRORS = 3  # per submission in listings; GET /api/submissions/{id} has the stored ones (n_errors: all)


@router.post(
    routes.SUBMIT.path,
    status_code=202,
    response_model=SubmissionAccepted,
    openapi_extra={"requestBody": openapi_body()},
)
async def create_submission(request: Request, ctx: CtxDep, team: TeamDep) -> SubmissionAccepted:
    """Upload predictions (multipart: `file` = zip of <image>.npy and readme.txt, `track`, `split`, fact sheet).

    The token is checked before any byte of the body is stored; the body streams into the data
    dir and is refused (413) past the upload limit. Validation and scoring run in the background
    (poll GET /api/submissions/{id}).
    """
    if not team.approved:
        raise Forbidden("your team waits for the organisers' approval before it can submit")
    form, received = await read_submission_form(request, ctx.store, ctx.settings.max_upload_bytes)
    try:
        sub = await run_in_threadpool(_submit, ctx, team.id, form, received)
    finally:
        received.path.unlink(missing_ok=True)  # kept uploads were renamed away: this only removes a refused one
    return SubmissionAccepted(id=sub.id, status=sub.status)


def _submit(ctx: Context, team_id: int, form: SubmissionForm, received: Received) -> Submission:
    with Session(ctx.engine) as session:
        team = session.get(Team, team_id)
        sub = ctx.submissions.submit(session, team, form.track, form.split, received, form.facts())
        session.expunge(sub)
        return sub


@router.get("", response_model=list[SubmissionPublic])
def list_submissions(ctx: CtxDep, session: SessionDep, caller: MemberDep) -> list[SubmissionPublic]:
    """A team's own submissions (organisers: all), newest first."""
    subs = ctx.submissions.listing(session, None if caller.organiser else caller.team)
    return [ctx.submissions.public(session, s, caller.organiser, max_errors=LISTED_ERRORS) for s in subs]


@router.get(routes.SUBMISSION.path, response_model=SubmissionPublic)
def get_submission(sub: OwnSubmissionDep, ctx: CtxDep, session: SessionDep, caller: CallerDep) -> SubmissionPublic:
    return ctx.submissions.public(session, sub, caller.organiser)


@router.post("/{submission_id}/rescore", response_model=SubmissionAccepted, tags=["organiser"])
def rescore(sub: AnySubmissionDep, ctx: CtxDep, session: SessionDep, _org: OrganiserDep) -> SubmissionAccepted:
    """Score the stored upload again; the new score row replaces the current one, history stays."""
    sub = ctx.submissions.rescore(session, sub)
    return SubmissionAccepted(id=sub.id, status=sub.status)


@router.get("/{submission_id}/images", response_model=list[ImageResult])
def image_results(sub: OwnSubmissionDep, ctx: CtxDep, session: SessionDep, caller: CallerDep) -> list[ImageResult]:
    """Per-image PSNR/SSIM: organisers always; the team itself on public or revealed splits."""
    return ctx.submissions.image_results(session, sub, caller.organiser)
