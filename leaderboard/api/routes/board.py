from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from leaderboard.api.deps import CallerDep, CtxDep, OrganiserDep, SessionDep
from leaderboard.schemas import LeaderboardRow, ReferenceBoard

router = APIRouter(prefix="/api", tags=["leaderboard"])


@router.get("/leaderboard/{track}", response_model=list[LeaderboardRow])
def leaderboard(
    track: str, ctx: CtxDep, session: SessionDep, caller: CallerDep, split: str | None = None
) -> list[LeaderboardRow]:
    """Ranked rows of a track's split (default: its first test split)."""
    name = split or ctx.challenge.default_split(track)
    ctx.challenge.split(track, name)
    return ctx.ranking.leaderboard(session, track, name, caller.organiser)


@router.post("/splits/{track}/{split}/reveal", tags=["organiser"])
def reveal(track: str, split: str, ctx: CtxDep, session: SessionDep, _org: OrganiserDep) -> dict:
    """Make a hidden split's results public (undo with `.../hide`)."""
    ctx.splits.update(session, track, split, revealed=True)
    return {"track": track, "split": split, "revealed": True}


@router.post("/splits/{track}/{split}/hide", tags=["organiser"])
def hide(track: str, split: str, ctx: CtxDep, session: SessionDep, _org: OrganiserDep) -> dict:
    """Undo a reveal: the split's results are organisers-only again."""
    ctx.splits.update(session, track, split, revealed=False)
    return {"track": track, "split": split, "revealed": False}


@router.post("/splits/{track}/{split}/ranking", tags=["organiser"])
def set_ranking(
    track: str,
    split: str,
    rule: Literal["best", "latest"],
    ctx: CtxDep,
    session: SessionDep,
    _org: OrganiserDep,
) -> dict:
    """Rank each team by its best (default) or its latest scored submission."""
    ctx.splits.update(session, track, split, rank_by=rule)
    return {"track": track, "split": split, "rank_by": rule}


@router.get("/reference/{track}", response_model=ReferenceBoard | None)
def reference(track: str, ctx: CtxDep, session: SessionDep, caller: CallerDep) -> ReferenceBoard | None:
    """The past edition's reported table for a track ("reported, not re-run"), beside the harness's re-runs.

    null when the challenge names no reference table or the table has no such track.
    """
    ctx.challenge.track(track)
    ours = ctx.ranking.track_table(session, track, caller.organiser, details=False)  # baseline rows alone
    return ctx.reference.board(track, ours)
