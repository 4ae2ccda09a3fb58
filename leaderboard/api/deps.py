"""Typed dependencies: the database session, the context and the caller's role, checked once here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from sqlmodel import Session

from leaderboard.api.throttle import TokensThrottled
from leaderboard.context import Context
from leaderboard.models import Submission, Team


def get_ctx(request: Request) -> Context:
    return request.app.state.ctx


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.ctx.engine) as session:
        yield session


CtxDep = Annotated[Context, Depends(get_ctx)]
SessionDep = Annotated[Session, Depends(get_session)]


@dataclass
class Caller:
    team: Team | None = None
    organiser: bool = False


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def client_address(request: Request) -> str | None:
    """The caller's address under the proxy rule (``leaderboard.api.proxy``)."""
    return request.client.host if request.client else None


def get_caller(request: Request, ctx: CtxDep, session: SessionDep) -> Caller:
    token = _bearer(request)
    if token is None:
        return Caller()
    failures = request.app.state.token_failures
    client = client_address(request) or "?"
    wait = failures.retry_after(client)
    if wait is not None:
        raise TokensThrottled(wait)
    if ctx.teams.is_organiser(token):
        return Caller(organiser=True)
    team = ctx.teams.for_token(session, token)
    if team is None:
        failures.failed(client)
        raise HTTPException(401, "unknown token", headers={"WWW-Authenticate": "Bearer"})
    # detached with its columns loaded, and the connection handed back: a route that then streams
    # a large body holds no database connection while it does
    session.expunge(team)
    session.rollback()
    return Caller(team=team)


CallerDep = Annotated[Caller, Depends(get_caller)]


def require_team(caller: CallerDep) -> Team:
    if caller.team is None:
        raise HTTPException(
            401, "a team token is required (Authorization: Bearer <token>)", headers={"WWW-Authenticate": "Bearer"}
        )
    return caller.team


def require_member(caller: CallerDep) -> Caller:
    """A team or the organisers (listings of submissions)."""
    if caller.team is None and not caller.organiser:
        raise HTTPException(401, "a team token is required", headers={"WWW-Authenticate": "Bearer"})
    return caller


def require_organiser(caller: CallerDep) -> Caller:
    if not caller.organiser:
        raise HTTPException(403, "organisers only")
    return caller


TeamDep = Annotated[Team, Depends(require_team)]
MemberDep = Annotated[Caller, Depends(require_member)]
OrganiserDep = Annotated[Caller, Depends(require_organiser)]

# ids are 32-bit in the database (PostgreSQL INTEGER): larger ones are refused as invalid, not looked up
SubmissionId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def get_submission(submission_id: SubmissionId, ctx: CtxDep, session: SessionDep) -> Submission:
    """Any submission by id (organiser routes)."""
    return ctx.submissions.get(session, submission_id)


def get_own_submission(submission_id: SubmissionId, ctx: CtxDep, session: SessionDep, caller: CallerDep) -> Submission:
    """A submission its team or the organisers may read; another team's answers exactly like a missing one."""
    sub = session.get(Submission, submission_id)
    if sub is None or not (caller.organiser or (caller.team is not None and caller.team.id == sub.team_id)):
        raise HTTPException(404, "no such submission")
    return sub


AnySubmissionDep = Annotated[Submission, Depends(get_submission)]
OwnSubmissionDep = Annotated[Submission, Depends(get_own_submission)]
