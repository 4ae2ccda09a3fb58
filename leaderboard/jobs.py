"""Jobs in the database: creation, dispatch, claim, heartbeat, retry, reaping.

The job table is the truth. A worker may run a job only after claiming it with a conditional
update (queued -> running), so a message delivered twice runs once. A running job sends a
heartbeat; when it stops (the worker died), the reaper puts the job back in the queue, or ends
it ``failed`` once it has used its attempts. Every transition is a conditional update, so
workers, reapers and the web process can all act at once without double work.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache, cached_property

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from harness.jobs.app import CPU_QUEUE, TASK_FOR_KIND, is_embedded, make_celery
from harness.settings import Settings
from leaderboard.models import Job, JobPublic, JobState, Status, Submission, WorkerBeat, utcnow

log = logging.getLogger("harness.jobs")

PRUNE_EVERY_S = 600  # the broker's delivered rows are pruned once an hour old: no need to look every tick


def worker_name() -> str:
    """host:pid of this process (computed late: a forked process has its own pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"


# --- what each kind of job does -------------------------------------------------------------
# handler(service, job) runs the job; on_failed(service, job, message) records a final failure
# where the user sees it; on_requeue(service, job) resets what a lost attempt left half-done.

Handler = Callable[["object", Job], object]


@dataclass(frozen=True)
class JobKind:
    run: Handler
    on_failed: Callable[[object, Job, str], None]
    on_requeue: Callable[[object, Job], None] = lambda service, job: None


KINDS: dict[str, JobKind] = {}


def register_kind(name: str, kind: JobKind) -> None:
    if name not in TASK_FOR_KIND:
        raise ValueError(f"no Celery task for job kind {name!r}")
    KINDS[name] = kind


def _this_attempt(job: Job) -> list:
    """Conditions that hold while ``job`` is still running the attempt we claimed (same worker, same number)."""
    return [Job.id == job.id, Job.state == JobState.RUNNING, Job.worker == job.worker, Job.attempts == job.attempts]


class JobQueue:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self._pruned_at = -math.inf

    @cached_property
    def celery(self):
        return make_celery(self.settings)

    # --- creation and dispatch ------------------------------------------------------------

    def add(
        self,
        session: Session,
        kind: str,
        *,
        submission_id: int | None = None,
        payload: dict | None = None,
        queue: str = CPU_QUEUE,
    ) -> Job:
        """A new queued job in the caller's transaction; ``send`` it after the commit."""
        if kind not in TASK_FOR_KIND:
            raise ValueError(f"unknown job kind {kind!r}")
        job = Job(
            kind=kind,
            queue=queue,
            submission_id=submission_id,
            payload=payload or {},
            max_attempts=self.settings.job_max_attempts,
        )
        session.add(job)
        session.flush()
        return job

    def dispatch(self, job_id: int, *, countdown: float = 0) -> bool:
        """Mark a queued job sent and send its message (the reaper and retries use this)."""
        with Session(self.engine) as session:
            res = session.exec(
                update(Job).where(Job.id == job_id, Job.state == JobState.QUEUED).values(dispatched_at=utcnow())
            )
            session.commit()
            if res.rowcount != 1:
                return False
            job = session.get(Job, job_id)
            kind, queue = job.kind, job.queue
        return self.send(job_id, kind, queue, countdown=countdown)

    def send(self, job_id: int, kind: str, queue: str, *, countdown: float = 0) -> bool:
        """Send a job's message; a broker that is down leaves the job queued for the reaper to resend.

        Touches no database connection, so a request that just committed the job can call it
        while still holding its own session.
        """
        try:
            self.celery.send_task(TASK_FOR_KIND[kind], args=[job_id], queue=queue, countdown=countdown or None)
        except Exception as exc:  # noqa: BLE001 - the job stays queued; the reaper sends it again
            log.warning("job %d: could not reach the broker (%s); the reaper will resend it", job_id, exc)
            return False
        return True

    # --- the worker side ------------------------------------------------------------------

    def claim(self, job_id: int, worker: str) -> Job | None:
        """Take a queued job for this worker; None when it is not queued (done, or someone has it)."""
        now = utcnow()
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
            res = session.exec(update(Job).where(*_this_attempt(job)).values(heartbeat_at=utcnow()))
            session.commit()
            return res.rowcount == 1

    def finish(self, job: Job) -> bool:
        with Session(self.engine) as session:
            res = session.exec(
                update(Job)
                .where(*_this_attempt(job))
                .values(state=JobState.SUCCEEDED, finished_at=utcnow(), last_error=None)
            )
            session.exec(
                update(WorkerBeat).where(WorkerBeat.name == job.worker).values(jobs_done=WorkerBeat.jobs_done + 1)
            )
            session.commit()
            return res.rowcount == 1

    def retry_or_fail(self, job: Job, error: str, *, stale_before=None, service=None) -> JobState | None:
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
        values = {"state": JobState.FAILED, "finished_at": utcnow()} if final else {"state": JobState.QUEUED}
        with Session(self.engine) as session:
            res = session.exec(update(Job).where(*conditions).values(last_error=message, **values))
            session.commit()
        if res.rowcount != 1:
            return None
        kind = KINDS.get(job.kind)
        service = service or _context().service
        if final:
            log.error("job %d (%s) failed: %s", job.id, job.kind, message)
            if kind:
                kind.on_failed(service, job, message)
            return JobState.FAILED
        log.warning("job %d (%s) requeued: %s", job.id, job.kind, message)
        if kind:
            kind.on_requeue(service, job)
        self.dispatch(job.id, countdown=min(60.0, 2.0**job.attempts))
        return JobState.QUEUED

    # --- the reaper -----------------------------------------------------------------------

    def reap(self, service=None) -> dict[str, int]:
        """Requeue (or fail) jobs whose heartbeat stopped; resend queued jobs nobody took."""
        now = utcnow()
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
        counts = {"requeued": 0, "failed": 0, "resent": 0}
        for job in lost:
            silent = (now - job.heartbeat_at).total_seconds()
            error = f"worker {job.worker} was lost (no heartbeat for {silent:.0f} s)"
            state = self.retry_or_fail(job, error, stale_before=stale_before, service=service)
            if state == JobState.QUEUED:
                counts["requeued"] += 1
            elif state == JobState.FAILED:
                counts["failed"] += 1
        for job_id in idle:
            counts["resent"] += self.dispatch(job_id)
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
                cutoff = utcnow().replace(tzinfo=None) - timedelta(seconds=older_than_s)
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
            beat.seen_at = utcnow()
            session.add(beat)
            session.commit()

    def forget_worker(self, name: str) -> None:
        with Session(self.engine) as session:
            session.exec(delete(WorkerBeat).where(WorkerBeat.name == name))
            session.commit()

    # --- reading --------------------------------------------------------------------------

    def summary(self, session: Session) -> dict:
        now = utcnow()
        alive_after = now - timedelta(seconds=self.settings.job_stale_s)
        states = {s.value: 0 for s in JobState}
        for state, n in session.exec(select(Job.state, func.count()).group_by(Job.state)).all():
            states[JobState(state).value] = n
        by_queue = dict(
            session.exec(select(Job.queue, func.count()).where(Job.state == JobState.QUEUED).group_by(Job.queue)).all()
        )
        running = session.exec(select(Job).where(Job.state == JobState.RUNNING).order_by(col(Job.id))).all()
        failed = session.exec(
            select(Job).where(Job.state == JobState.FAILED).order_by(col(Job.id).desc()).limit(10)
        ).all()
        workers = session.exec(
            select(WorkerBeat).where(col(WorkerBeat.seen_at) >= now - timedelta(hours=1)).order_by(WorkerBeat.name)
        ).all()
        worker_rows = [
            {
                "name": w.name,
                "queues": w.queues,
                "device": w.device,
                "concurrency": w.concurrency,
                "seen_s_ago": (now - w.seen_at).total_seconds(),
                "alive": w.seen_at >= alive_after,
                "jobs_done": w.jobs_done,
            }
            for w in workers
        ]
        return {
            "jobs": states,
            "queued_by_queue": by_queue,
            "running": [public_job(j, now) for j in running],
            "failed_recent": [public_job(j, now) for j in failed],
            "workers": worker_rows,
            "worker_alive": any(w["alive"] for w in worker_rows),
        }


def public_job(job: Job, now=None) -> JobPublic:
    now = now or utcnow()
    return JobPublic(
        id=job.id,
        kind=job.kind,
        queue=job.queue,
        state=job.state,
        submission_id=job.submission_id,
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        worker=job.worker,
        heartbeat_s_ago=(now - job.heartbeat_at).total_seconds() if job.heartbeat_at else None,
        last_error=job.last_error,
    )


# --- running a job inside a worker process -------------------------------------------------


class Heartbeat(threading.Thread):
    """Beats for one running job until stopped."""

    def __init__(self, jobs: JobQueue, job: Job) -> None:
        super().__init__(name=f"heartbeat-{job.id}", daemon=True)
        self.jobs, self.job = jobs, job
        self._stop_event = threading.Event()
        self.lost = False

    def run(self) -> None:
        while not self._stop_event.wait(self.jobs.settings.job_heartbeat_s):
            try:
                if not self.jobs.beat(self.job):
                    self.lost = True  # reaped: another attempt may be running; keep going, writes are guarded
                    log.warning("job %d is no longer ours (reaped)", self.job.id)
                    return
            except Exception as exc:  # noqa: BLE001 - a database hiccup; the next beat may pass
                log.warning("heartbeat of job %d failed: %s", self.job.id, exc)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)


@dataclass
class _Context:
    service: object
    jobs: JobQueue


@cache
def _context() -> _Context:
    """The service of this worker process (settings from the environment)."""
    from harness.settings import database_url, get_settings
    from leaderboard.db import init_db, make_engine
    from leaderboard.service import Service

    settings = get_settings()
    engine = make_engine(database_url(settings))
    init_db(engine)
    service = Service(settings, engine)
    return _Context(service=service, jobs=service.jobs)


def run_job(job_id: int, *, service=None) -> str:
    """Claim and run one job (the body of every Celery task); returns its end state."""
    ctx = _Context(service=service, jobs=service.jobs) if service is not None else _context()
    job = ctx.jobs.claim(job_id, worker_name())
    if job is None:
        return "skipped"  # a duplicate delivery, or a job already finished
    kind = KINDS.get(job.kind)
    heartbeat = Heartbeat(ctx.jobs, job)
    heartbeat.start()
    try:
        if kind is None:
            raise RuntimeError(f"this worker cannot run jobs of kind {job.kind!r}")
        kind.run(ctx.service, job)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the job
        log.exception("job %d (%s) raised", job.id, job.kind)
        state = ctx.jobs.retry_or_fail(job, f"{type(exc).__name__}: {exc}", service=ctx.service)
        return state.value if state else "lost"
    finally:
        heartbeat.stop()
    ctx.jobs.finish(job)
    return JobState.SUCCEEDED.value


# --- scoring jobs ---------------------------------------------------------------------------


def _score(service, job: Job) -> None:
    service.process(job.submission_id)


def _score_failed(service, job: Job, message: str) -> None:
    service.fail_submission(job.submission_id, message)


def _score_requeued(service, job: Job) -> None:
    with Session(service.engine) as session:
        session.exec(
            update(Submission)
            .where(
                Submission.id == job.submission_id,
                col(Submission.status).in_([Status.VALIDATING, Status.QUEUED, Status.SCORING]),
            )
            .values(status=Status.RECEIVED, updated_at=utcnow())
        )
        session.commit()


register_kind("score", JobKind(run=_score, on_failed=_score_failed, on_requeue=_score_requeued))


# --- background upkeep: worker beats and the reaper ------------------------------------------


class Maintenance(threading.Thread):
    """Every heartbeat interval: report this worker alive (if it is one) and run the reaper.

    Runs in every worker process and in the web process; reaping is a set of conditional
    updates, so any number of reapers at once do the work once.
    """

    def __init__(self, service, *, worker: dict | None = None) -> None:
        super().__init__(name="job-maintenance", daemon=True)
        self.service = service
        self.worker = worker  # name, queues, concurrency, device
        self._stop_event = threading.Event()

    def tick(self) -> None:
        jobs: JobQueue = self.service.jobs
        if self.worker:
            jobs.record_worker(**self.worker)
        counts = jobs.reap(service=self.service)
        if any(counts.values()):
            log.info("reaper: %s", counts)

    def run(self) -> None:
        while True:
            try:
                self.tick()
            except Exception as exc:  # noqa: BLE001 - a database hiccup must not end upkeep for good
                log.warning("job maintenance failed: %s", exc)
            if self._stop_event.wait(self.service.settings.job_heartbeat_s):
                return

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)
        if self.worker:
            self.service.jobs.forget_worker(self.worker["name"])


# --- baseline jobs (queue gpu) ------------------------------------------------------------------
# payload: method, track, split (run only), device, mode; "train": {steps | epochs | minutes, seed}


def _baseline_train(service, job: Job) -> None:
    from leaderboard.baselines import train_baseline

    p = job.payload
    train_baseline(service, p["method"], p["track"], device=p.get("device"), **p.get("train", {}))


def _baseline_run(service, job: Job) -> None:
    from baselines import registry
    from leaderboard.baselines import run_baseline, weights_path

    p = job.payload
    method = registry.get(p["method"])
    needs_weights = method.card.kind == "learned" or method.fit is not None
    if p.get("train") and needs_weights and not weights_path(service, p["method"], p["track"]).exists():
        _baseline_train(service, job)
    run_baseline(service, p["method"], p["track"], p["split"], device=p.get("device"), mode=p.get("mode"))


def _baseline_failed(service, job: Job, message: str) -> None:
    log.error("baseline job %d (%s) failed for good: %s", job.id, job.payload, message)


register_kind("baseline-train", JobKind(run=_baseline_train, on_failed=_baseline_failed))
register_kind("baseline-run", JobKind(run=_baseline_run, on_failed=_baseline_failed))
