from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException

from leaderboard.api.deps import CallerDep, OrganiserDep, ServiceDep, SessionDep
from leaderboard.models import LeaderboardRow, ReferenceBoard

router = APIRouter(prefix="/api", tags=["leaderboard"])


def _default_split(service, track: str) -> str:
    return next(s.name for s in service.spec.track(track).splits if s.kind == "test")


@router.get("/leaderboard/{track}", response_model=list[LeaderboardRow])
def leaderboard(
    track: str, service: ServiceDep, session: SessionDep, caller: CallerDep, split: str | None = None
) -> list[LeaderboardRow]:
    """Ranked rows of a track's split (default: its first test split)."""
    try:
        service.spec.track(track)
        name = split or _default_split(service, track)
        service.spec.track(track).split(name)
    except KeyError as exc:
        raise HTTPException(404, str(exc.args[0])) from None
    return service.leaderboard(session, track, name, caller.organiser)


@router.post("/splits/{track}/{split}/reveal", tags=["organiser"])
def reveal(track: str, split: str, service: ServiceDep, session: SessionDep, _org: OrganiserDep) -> dict:
    """Make a hidden split's results public."""
    service.update_split_state(session, track, split, revealed=True)
    return {"track": track, "split": split, "revealed": True}


@router.post("/splits/{track}/{split}/ranking", tags=["organiser"])
def set_ranking(
    track: str,
    split: str,
    rule: Literal["best", "latest"],
    service: ServiceDep,
    session: SessionDep,
    _org: OrganiserDep,
) -> dict:
    """Rank each team by its best (default) or its latest scored submission."""
    service.update_split_state(session, track, split, rank_by=rule)
    return {"track": track, "split": split, "rank_by": rule}


@router.get("/reference/{track}", response_model=ReferenceBoard | None)
def reference(track: str, service: ServiceDep, session: SessionDep, caller: CallerDep) -> ReferenceBoard | None:
    """The past edition's reported table for a track ("reported, not re-run"), beside the harness's re-runs.

    null when the challenge names no reference table or the table has no such track.
    """
    try:
        service.spec.track(track)
    except KeyError as exc:
        raise HTTPException(404, str(exc.args[0])) from None
    splits, rows = service.track_table(session, track, caller.organiser, details=False)  # baseline rows alone
    return service.reference_board(track, splits, rows)
