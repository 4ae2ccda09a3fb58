from __future__ import annotations

from fastapi import APIRouter, Request

from harness_client import routes
from leaderboard.api.deps import CtxDep, SessionDep, TeamDep, client_address
from leaderboard.schemas import TeamCreate, TeamCreated, TeamPublic

router = APIRouter(prefix=routes.TEAMS, tags=["teams"])


@router.post(routes.REGISTER_TEAM.path, status_code=201, response_model=TeamCreated)
def register_team(body: TeamCreate, request: Request, ctx: CtxDep, session: SessionDep) -> TeamCreated:
    """Register a team; the token in the answer is shown once and authorises its submissions.

    Limited per client address and hour (429 past it); where the organisers approve new teams,
    `approved` is false until they do (submissions are refused until then).
    """
    return ctx.teams.register(session, body.name, client_address(request))


@router.get("/me", response_model=TeamPublic)
def who_am_i(team: TeamDep) -> TeamPublic:
    """The team a token belongs to (pages use it to sign a team in and to mark its rows)."""
    return TeamPublic.model_validate(team, from_attributes=True)
