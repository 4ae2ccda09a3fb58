"""Typed dependencies: the database session, the service and the caller's role (checked once here)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlmodel import Session

from leaderboard.models import Team
from leaderboard.service import Service


def get_service(request: Request) -> Service:
    return request.app.state.service


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.service.engine) as session:
        yield session


ServiceDep = Annotated[Service, Depends(get_service)]
SessionDep = Annotated[Session, Depends(get_session)]


@dataclass
class Caller:
    team: Team | None = None
    organiser: bool = False


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def get_caller(request: Request, service: ServiceDep, session: SessionDep) -> Caller:
    token = _bearer(request)
    if token is None:
        return Caller()
    if service.is_organiser(token):
        return Caller(organiser=True)
    team = service.team_for_token(session, token)
    if team is None:
        raise HTTPException(401, "unknown token", headers={"WWW-Authenticate": "Bearer"})
    return Caller(team=team)


CallerDep = Annotated[Caller, Depends(get_caller)]


def require_team(caller: CallerDep) -> Team:
    if caller.team is None:
        raise HTTPException(
            401, "a team token is required (Authorization: Bearer <token>)", headers={"WWW-Authenticate": "Bearer"}
        )
    return caller.team


def require_organiser(caller: CallerDep) -> Caller:
    if not caller.organiser:
        raise HTTPException(403, "organisers only")
    return caller


TeamDep = Annotated[Team, Depends(require_team)]
OrganiserDep = Annotated[Caller, Depends(require_organiser)]
