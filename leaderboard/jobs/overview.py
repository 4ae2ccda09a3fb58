"""What the organiser page and ``harness jobs status`` show of the job table: every state, with
what each job is about (method, track, split, team), each team's model runs in their turn order,
and the workers seen lately."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, func, select

from leaderboard.models import Job, JobState, Submission, Team, WorkerBeat, utcnow
from leaderboard.schemas import JobPublic

LISTED = 50  # queued jobs listed (oldest first); the counts cover all of them
FAILED_LISTED = 10


def _aware(t):
    return t if t is None or t.tzinfo else t.replace(tzinfo=utcnow().tzinfo)


def public_job(job: Job, now=None, about: dict | None = None) -> JobPublic:
    """A job as the API shows it; ``about``: track, split, team of its submission (score jobs)."""
    now = now or utcnow()
    payload = job.payload or {}
    about = about or {}
    created = _aware(job.created_at)
    heartbeat = _aware(job.heartbeat_at)
    return JobPublic(
        id=job.id,
        kind=job.kind,
        queue=job.queue,
        state=job.state,
        submission_id=job.submission_id,
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        worker=job.worker,
        heartbeat_s_ago=(now - heartbeat).total_seconds() if heartbeat else None,
        last_error=job.last_error,
        method=payload.get("method"),
        track=payload.get("track") or about.get("track"),
        split=payload.get("split") or about.get("split"),
        team=about.get("team"),
        age_s=(now - created).total_seconds() if created else None,
    )


def _about(session: Session, jobs: list[Job]) -> dict[int, dict]:
    """Track, split and team of the submissions these jobs score."""
    ids = {j.submission_id for j in jobs if j.submission_id is not None}
    if not ids:
        return {}
    query = (
        select(Submission.id, Submission.track, Submission.split, Team.name)
        .join(Team, Submission.team_id == Team.id)
        .where(col(Submission.id).in_(ids))
    )
    return {sid: {"track": t, "split": s, "team": n} for sid, t, s, n in session.exec(query).all()}


TURN_ORDER = {JobState.RUNNING: 0, JobState.QUEUED: 1, JobState.WAITING: 2}


def team_queues(session: Session, now) -> list[dict]:
    """Each team's model runs that have not ended (running or queued, then waiting in order),
    the team whose oldest run has waited longest first."""
    rows = session.exec(
        select(Job, Team.name, Submission.track, Submission.split)
        .join(Team, Job.team_id == Team.id)
        .join(Submission, Job.submission_id == Submission.id, isouter=True)
        .where(col(Job.state).in_(list(TURN_ORDER)))
        .order_by(col(Job.id))
    ).all()
    teams: dict[int, dict] = {}
    for job, name, track, split in rows:
        started = _aware(job.started_at)
        created = _aware(job.created_at)
        teams.setdefault(job.team_id, {"team_id": job.team_id, "team": name, "jobs": []})["jobs"].append(
            {
                "job_id": job.id,
                "submission_id": job.submission_id,
                "state": job.state,
                "track": track,
                "split": split,
                "waiting_s": (now - created).total_seconds() if created else None,
                "running_s": (now - started).total_seconds() if started and job.state == JobState.RUNNING else None,
                "_order": (TURN_ORDER[JobState(job.state)], job.id),
            }
        )
    for team in teams.values():
        team["jobs"].sort(key=lambda j: j["_order"])
        for j in team["jobs"]:
            del j["_order"]
    return sorted(teams.values(), key=lambda t: min(j["job_id"] for j in t["jobs"]))


def summary(session: Session, stale_s: float, now=None) -> dict:
    """Jobs per state and queue; the queued (oldest first), running and latest failed jobs; workers."""
    now = now or utcnow()
    alive_after = now - timedelta(seconds=stale_s)
    states = {s.value: 0 for s in JobState}
    for state, n in session.exec(select(Job.state, func.count()).group_by(Job.state)).all():
        states[JobState(state).value] = n
    by_queue = dict(
        session.exec(select(Job.queue, func.count()).where(Job.state == JobState.QUEUED).group_by(Job.queue)).all()
    )
    queued = session.exec(
        select(Job).where(Job.state == JobState.QUEUED).order_by(col(Job.created_at), col(Job.id)).limit(LISTED)
    ).all()
    running = session.exec(select(Job).where(Job.state == JobState.RUNNING).order_by(col(Job.id))).all()
    failed = session.exec(
        select(Job).where(Job.state == JobState.FAILED).order_by(col(Job.id).desc()).limit(FAILED_LISTED)
    ).all()
    about = _about(session, [*queued, *running, *failed])
    workers = session.exec(
        select(WorkerBeat).where(col(WorkerBeat.seen_at) >= now - timedelta(hours=1)).order_by(WorkerBeat.name)
    ).all()
    worker_rows = [
        {
            "name": w.name,
            "queues": w.queues,
            "device": w.device,
            "concurrency": w.concurrency,
            "seen_s_ago": (now - _aware(w.seen_at)).total_seconds(),
            "alive": _aware(w.seen_at) >= alive_after,
            "jobs_done": w.jobs_done,
        }
        for w in workers
    ]

    def listed(jobs):
        return [public_job(j, now, about.get(j.submission_id)) for j in jobs]

    return {
        "jobs": states,
        "queued_by_queue": by_queue,
        "queued": listed(queued),
        "running": listed(running),
        "failed_recent": listed(failed),
        "workers": worker_rows,
        "worker_alive": any(w["alive"] for w in worker_rows),
        "model_queues": team_queues(session, now),
    }
