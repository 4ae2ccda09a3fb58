"""One model run per team at a time, in the order the team submitted them.

A job that carries a ``team_id`` (a model run) is admitted ``queued`` only when none of its team's
other such jobs is queued or running; otherwise it is ``waiting``: it has no message at the
broker and the reaper never resends it. When a team's job ends (succeeded, or failed for good),
the team's oldest waiting job is promoted to ``queued`` and sent. The broker's FIFO then holds at
most one message per team, so teams take turns: a team that queues many slow models holds one
runner slot, not all of them.

Every decision runs under the team's row lock (a no-op update of the row: PostgreSQL locks the
row, SQLite takes its write lock), and every state change is a conditional update, so any number
of web processes, workers and reapers can admit and promote at once: a team never has two jobs
queued or running. A process that dies between a job's end and the promotion leaves a team with
waiting jobs and none going; the reaper finds such teams and promotes for them (``stalled_teams``).
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from leaderboard.models import Clock, Job, JobState, Team, utcnow

GOING = (JobState.QUEUED, JobState.RUNNING)  # a team's turn is taken while one of its jobs is in these


def _lock_team(session: Session, team_id: int) -> None:
    session.exec(update(Team).where(Team.id == team_id).values(token_sha256=Team.token_sha256))


def _going(session: Session, team_id: int) -> bool:
    query = select(Job.id).where(Job.team_id == team_id, col(Job.state).in_(GOING)).limit(1)
    return session.exec(query).first() is not None


def admit(session: Session, job: Job) -> None:
    """Before ``job`` is first flushed, in the caller's transaction: queued if its team's turn is free, else waiting."""
    _lock_team(session, job.team_id)
    if _going(session, job.team_id):
        job.state = JobState.WAITING
        job.dispatched_at = None


def promote(engine: Engine, team_id: int, clock: Clock = utcnow) -> Job | None:
    """Queue the team's oldest waiting job when none of its jobs is queued or running.

    Returns the promoted job (detached; the caller sends its message), or None when the team's
    turn is taken or nothing waits.
    """
    with Session(engine) as session:
        _lock_team(session, team_id)
        if _going(session, team_id):
            session.rollback()
            return None
        next_id = session.exec(
            select(Job.id).where(Job.team_id == team_id, Job.state == JobState.WAITING).order_by(col(Job.id)).limit(1)
        ).first()
        if next_id is None:
            session.rollback()
            return None
        res = session.exec(
            update(Job)
            .where(Job.id == next_id, Job.state == JobState.WAITING)
            .values(state=JobState.QUEUED, dispatched_at=clock())
        )
        session.commit()
        if res.rowcount != 1:
            return None
        job = session.get(Job, next_id)
        session.expunge(job)
        return job


def stalled_teams(session: Session) -> list[int]:
    """Teams with waiting jobs and none queued or running (their promotion was lost with a process)."""
    going = select(Job.team_id).where(col(Job.team_id).is_not(None), col(Job.state).in_(GOING))
    query = select(Job.team_id).where(Job.state == JobState.WAITING, col(Job.team_id).not_in(going)).distinct()
    return [t for t in session.exec(query).all() if t is not None]
