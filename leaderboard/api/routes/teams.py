from __future__ import annotations

from fastapi import APIRouter

from leaderboard.api.deps import ServiceDep, SessionDep
from leaderboard.models import TeamCreate, TeamCreated

router = APIRouter(prefix="/api/teams", tags=["teams"])


@router.post("", status_code=201, response_model=TeamCreated)
def register_team(body: TeamCreate, service: ServiceDep, session: SessionDep) -> TeamCreated:
    """Register a team; the token in the answer is shown once and authorises its submissions."""
    return service.register_team(session, body.name)
