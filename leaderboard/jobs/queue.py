"""The job table: creation, dispatch, claim, heartbeat, retry, reaping.

The job table is the truth. A worker may run a job only after claiming it with a conditional
update (queued -> running), so a message delivered twice runs once. A running job sends a
heartbeat; when it stops (the worker died), the reaper puts the job back in the queue, or ends
it ``failed`` once it has used its attempts. Every transition is a conditional update, so
workers, reapers and the web process can all act at once without double work.

Jobs with a team (model runs) take turns per team (``leaderboard.jobs.fairness``): one queued or
running at a time, the others ``waiting`` until it ends.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import time
from datetime import timedelta
from functools import cached_property

from sqlalchemy import delete, event, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from leaderboard.jobs import fairness
from leaderboard.jobs.celery_app import CPU_QUEUE, TASK_FOR_KIND, is_embedded, make_celery
from leaderboard.jobs.kinds import JobHandler
from leaderboard.jobs.overview import summary as job_summary
from leaderboard.models import Clock, Job, JobKind, JobState, WorkerBeat, utcnow
from leaderboard.settings import Settings

log = logging.getLogger("harness.jobs")

PRUNE_EVERY_S = 600  # the broker's delivered rows are pruned once an hour old: no need to look every tick


def worker_name() -> str:
    """host:pid of this process (computed late: a forked process has its own pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _this_attempt(job: Job) -> list:
    """Conditions that hold while ``job`` is still running the attempt we claimed (same worker, same number)."""
    return [Job.id == job.id, Job.state == JobState.RUNNING, Job.worker == job.worker, Job.attempts == job.attempts]


OUTBOX = "harness.jobs.outbox"  # session.info key: (id, kind, queue) of the jobs to send once it commits


class JobQueue:
    def __init__(self, settings: Settings, engine: Engine, clock: Clock = utcnow) -> None:
        self.settings = settings
        self.engine = engine
        self.clock = clock
        self._pruned_at = -math.inf
        # what each kind of job does; filled once by the composition root (leaderboard.context)
        self.handlers: dict[JobKind, JobHandler] = {}

    @cached_property
    def celery(self):
        return make_celery(self.settings)

    # --- creation and dispatch ------------------------------------------------------------

    def submit(
        self,
        session: Session,
        kind: JobKind,
        *,
        submission_id: int | None = None,
        payload: dict | None = None,
        queue: str = CPU_QUEUE,
        team_id: int | None = None,
    ) -> Job:
        """A new job in the caller's transaction; its message is sent once that transaction commits
        (never when it rolls back), so a worker can only be told of a job it will find.

        With ``team_id`` the job takes its team's turn (``fairness``): it is ``waiting`` while
        another of the team's jobs is queued or running, else queued. A waiting job is not sent.
        """
        kind = JobKind(kind)
        job = Job(
            kind=kind,
            queue=queue,
            submission_id=submission_id,
            team_id=team_id,
            payload=payload or {},
            max_attempts=self.settings.job_max_attempts,
            created_at=self.clock(),
            # sent right after the commit; the reaper resends only if that send failed
            dispatched_at=self.clock(),
        )
        if team_id is not None:
            fairness.admit(session, job)
        session.add(job)
        session.flush()
        if job.state == JobState.QUEUED:
            self._outbox(session).append((job.id, kind, queue))
        return job

    def _outbox(self, session: Session) -> list[tuple[int, JobKind, str]]:
        """The jobs ``session`` will send when it commits (its listeners are set up on first use)."""
        if OUTBOX not in session.info:
            session.info[OUTBOX] = []
            event.listen(session, "after_commit", self._send_outbox)
            event.listen(session, "after_rollback", lambda s: s.info[OUTBOX].clear())
        return session.info[OUTBOX]

    def _send_outbox(self, session: Session) -> None:
        pending = list(session.info[OUTBOX])
        session.info[OUTBOX].clear()
        for job_id, kind, queue in pending:
            self.send(job_id, kind, queue)

    def dispatch(self, job_id: int, *, countdown: float = 0) -> bool:
        """Mark a queued job sent and send its message (the reaper and retries use this)."""
        with Session(self.engine) as session:
            res = session.exec(
                update(Job).where(Job.id == job_id, Job.state == JobState.QUEUED).values(dispatched_at=self.clock())
            )
            session.commit()
            if res.rowcount != 1:
                return False
            job = session.get(Job, job_id)
            kind, queue = job.kind, job.queue
        return self.send(job_id, kind, queue, countdown=countdown)

    def send(self, job_id: int, kind: JobKind, queue: str, *, countdown: float = 0) -> bool:
        """Send a job's message; a broker that is down leaves the job queued for the reaper to resend.

        Touches the database only when the broker cannot be reached (to have the reaper resend it).
        """
        try:
            self.celery.send_task(TASK_FOR_KIND[kind], args=[job_id], queue=queue, countdown=countdown or None)
        except Exception as exc:  # noqa: BLE001 - the job stays queued; the reaper sends it again
            log.warning("job %d: could not reach the broker (%s); the reaper will resend it", job_id, exc)
            self._mark_unsent(job_id)
            return False
        return True

    def _mark_unsent(self, job_id: int) -> None:
        """A job whose message never left: the reaper's next tick sends it."""
        try:
            with Session(self.engine) as session:
                session.exec(
                    update(Job).where(Job.id == job_id, Job.state == JobState.QUEUED).values(dispatched_at=None)
                )
                session.commit()
        except Exception as exc:  # noqa: BLE001 - then it is resent after job_redispatch_s instead
            log.warning("job %d: could not mark it unsent (%s)", job_id, exc)

    # --- the worker side ------------------------------------------------------------------

    def claim(self, job_id: int, worker: str) -> Job | None:
        """Take a queued job for this worker; None when it is not queued (done, or someone has it)."""
        now = self.clock()
        with Session(self.engine) as session:
            res = session.exec(
                update(Job)
                .where(Job.id == job_id, Job.state == JobState.QUEUED)
                .values(
                    state=JobState.RUNNING,
                    attempts=Job.attempts + 1,
                    worker=worker,
                    started_at=now,
                    heartbeat_at=now,
                    finished_at=None,
                )
            )
            session.commit()
            if res.rowcount != 1:
                return None
            job = session.get(Job, job_id)
            session.expunge(job)
            return job

    def beat(self, job: Job) -> bool:
        """Report the job alive; False when it is no longer ours (reaped while we looked dead)."""
        with Session(self.engine) as session:
            res = session.exec(update(Job).where(*_this_attempt(job)).values(heartbeat_at=self.clock()))
            session.commit()
            return res.rowcount == 1

    def finish(self, job: Job) -> bool:
        with Session(self.engine) as session:
            res = session.exec(
                update(Job)
                .where(*_this_attempt(job))
                .values(state=JobState.SUCCEEDED, finished_at=self.clock(), last_error=None)
            )
            session.exec(
                update(WorkerBeat).where(WorkerBeat.name == job.worker).values(jobs_done=WorkerBeat.jobs_done + 1)
            )
            session.commit()
        if res.rowcount == 1:
            self.next_turn(job)
        return res.rowcount == 1

    def next_turn(self, ended: Job) -> None:
        """A job of a team ended: queue and send the team's next waiting one (if its turn is free)."""
        if ended.team_id is None:
            return
        promoted = fairness.promote(self.engine, ended.team_id, self.clock)
        if promoted is not None:
            log.info("job %d: team %d's turn (after job %d)", promoted.id, promoted.team_id, ended.id)
            self.send(promoted.id, promoted.kind, promoted.queue)

    def retry_or_fail(self, job: Job, error: str, *, stale_before=None) -> JobState | None:
        """End one attempt that went wrong: back to the queue, or ``failed`` once attempts are spent.

        Conditional on the attempt still being the one we think (same worker and attempt
        number, and for the reaper a heartbeat older than ``stale_before``); None if it was not.
        """
        conditions = _this_attempt(job)
        if stale_before is not None:
            conditions.append(col(Job.heartbeat_at) < stale_before)
        final = job.attempts >= job.max_attempts
        message = (
            f"gave up after {job.attempts} attempt(s); last: {error}"
            if final
            else f"attempt {job.attempts} of {job.max_attempts}: {error}"
        )
        values = {"state": JobState.FAILED, "finished_at": self.clock()} if final else {"state": JobState.QUEUED}
        with Session(self.engine) as session:
            res = session.exec(update(Job).where(*conditions).values(last_error=message, **values))
            session.commit()
        if res.rowcount != 1:
            return None
        handler = self.handlers.get(job.kind)
        if final:
            log.error("job %d (%s) failed: %s", job.id, job.kind, message)
            if handler:
                handler.on_failed(job, message)
            self.next_turn(job)
            return JobState.FAILED
        log.warning("job %d (%s) requeued: %s", job.id, job.kind, message)
        if handler:
            handler.on_requeue(job)
        self.dispatch(job.id, countdown=min(60.0, 2.0**job.attempts))
        return JobState.QUEUED

    # --- the reaper -----------------------------------------------------------------------

    def reap(self) -> dict[str, int]:
        """Requeue (or fail) jobs whose heartbeat stopped; resend queued jobs nobody took; give a turn
        to teams whose jobs all wait (the process that should have promoted one died)."""
        now = self.clock()
        stale_before = now - timedelta(seconds=self.settings.job_stale_s)
        with Session(self.engine) as session:
            lost = session.exec(
                select(Job).where(Job.state == JobState.RUNNING, col(Job.heartbeat_at) < stale_before)
            ).all()
            for job in lost:
                session.expunge(job)
            resend_before = now - timedelta(seconds=self.settings.job_redispatch_s)
            idle = session.exec(
                select(Job.id).where(
                    Job.state == JobState.QUEUED,
                    (col(Job.dispatched_at).is_(None)) | (col(Job.dispatched_at) < resend_before),
                )
            ).all()
            stalled = fairness.stalled_teams(session)
        counts = {"requeued": 0, "failed": 0, "resent": 0, "promoted": 0}
        for job in lost:
            silent = (now - job.heartbeat_at).total_seconds()
            error = f"worker {job.worker} was lost (no heartbeat for {silent:.0f} s)"
            state = self.retry_or_fail(job, error, stale_before=stale_before)
            if state == JobState.QUEUED:
                counts["requeued"] += 1
            elif state == JobState.FAILED:
                counts["failed"] += 1
        for job_id in idle:
            counts["resent"] += self.dispatch(job_id)
        for team_id in stalled:
            promoted = fairness.promote(self.engine, team_id, self.clock)
            if promoted is not None:
                counts["promoted"] += 1
                self.send(promoted.id, promoted.kind, promoted.queue)
        if is_embedded(self.settings) and time.monotonic() - self._pruned_at > PRUNE_EVERY_S:
            self._pruned_at = time.monotonic()
            self.prune_embedded_broker()
        return counts

    def prune_embedded_broker(self, older_than_s: float = 3600) -> None:
        """The SQL transport keeps every delivered message; delete the old delivered ones."""
        from kombu.transport.sqlalchemy.models import Message

        channel_engine = None
        try:
            with self.celery.connection_for_write() as conn:
                channel = conn.default_channel
                channel_engine, _ = channel._open()
                cutoff = utcnow().replace(
                    tzinfo=None
                )  # the broker stamps wall-clock time - timedelta(seconds=older_than_s)
                with channel_engine.begin() as db:
                    db.execute(
                        delete(Message.__table__).where(
                            Message.__table__.c.visible.is_(False), Message.__table__.c.timestamp < cutoff
                        )
                    )
        except Exception as exc:  # noqa: BLE001 - pruning is housekeeping; never let it stop the reaper
            log.debug("broker pruning skipped: %s", exc)

    # --- workers --------------------------------------------------------------------------

    def record_worker(self, name: str, queues: str, concurrency: int, device: str) -> None:
        host, _, pid = name.rpartition(":")
        with Session(self.engine) as session:
            beat = session.get(WorkerBeat, name)
            if beat is None:
                beat = WorkerBeat(
                    name=name, host=host, pid=int(pid), queues=queues, concurrency=concurrency, device=device
                )
            beat.seen_at = self.clock()
            session.add(beat)
            session.commit()

    def forget_worker(self, name: str) -> None:
        with Session(self.engine) as session:
            session.exec(delete(WorkerBeat).where(WorkerBeat.name == name))
            session.commit()

    # --- reading --------------------------------------------------------------------------

    def summary(self, session: Session) -> dict:
        """Jobs per state and queue, the queued, running and failed ones, workers (``jobs.overview``)."""
        return job_summary(session, self.settings.job_stale_s, self.clock())
