"""Running jobs in a process: claim one, beat while it runs, record how it ended; the upkeep thread."""

from __future__ import annotations

import logging
import threading

from leaderboard.jobs.queue import JobQueue, worker_name
from leaderboard.models import Job, JobState

log = logging.getLogger("harness.jobs")


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


def run_job(jobs: JobQueue, job_id: int) -> str:
    """Claim and run one job (the body of every Celery task); returns its end state."""
    job = jobs.claim(job_id, worker_name())
    if job is None:
        return "skipped"  # a duplicate delivery, or a job already finished
    handler = jobs.handlers.get(job.kind)
    heartbeat = Heartbeat(jobs, job)
    heartbeat.start()
    try:
        if handler is None:
            raise RuntimeError(f"this worker cannot run jobs of kind {str(job.kind)!r}")
        handler.run(job)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the job
        log.exception("job %d (%s) raised", job.id, job.kind)
        state = jobs.retry_or_fail(job, f"{type(exc).__name__}: {exc}")
        return state.value if state else "lost"
    finally:
        heartbeat.stop()
    jobs.finish(job)
    return JobState.SUCCEEDED.value


class Maintenance(threading.Thread):
    """Every heartbeat interval: report this worker alive (if it is one) and run the reaper.

    Runs in every worker process and in the web process; reaping is a set of conditional
    updates, so any number of reapers at once do the work once.
    """

    def __init__(self, jobs: JobQueue, *, worker: dict | None = None) -> None:
        super().__init__(name="job-maintenance", daemon=True)
        self.jobs = jobs
        self.worker = worker  # name, queues, concurrency, device
        self._stop_event = threading.Event()

    def tick(self) -> None:
        if self.worker:
            self.jobs.record_worker(**self.worker)
        counts = self.jobs.reap()
        if any(counts.values()):
            log.info("reaper: %s", counts)

    def run(self) -> None:
        while True:
            try:
                self.tick()
            except Exception as exc:  # noqa: BLE001 - a database hiccup must not end upkeep for good
                log.warning("job maintenance failed: %s", exc)
            if self._stop_event.wait(self.jobs.settings.job_heartbeat_s):
                return

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)
        if self.worker:
            self.jobs.forget_worker(self.worker["name"])
