"""``harness worker``: a Celery worker that runs scoring and baseline jobs."""

from __future__ import annotations

import logging
import os
import socket
import warnings

from leaderboard.context import process_context
from leaderboard.jobs import tasks
from leaderboard.jobs.celery_app import GPU_QUEUE
from leaderboard.jobs.queue import worker_name
from leaderboard.jobs.runner import Maintenance, run_job
from leaderboard.queues import known_queues

POOLS = ("threads", "solo", "prefork")


def device_of(queues: list[str]) -> str:
    """What this worker computes on: the CUDA device for GPU workers when there is one."""
    if GPU_QUEUE in queues:
        try:
            import torch

            if torch.cuda.is_available():
                return f"cuda: {torch.cuda.get_device_name(0)}"
        except ImportError:
            pass
    return f"cpu ({os.cpu_count()} cores)"


def run_worker(queues: list[str], concurrency: int = 1, pool: str = "threads", loglevel: str | None = None) -> None:
    """Start a worker on ``queues`` (blocking); settings come from the HARNESS_* environment.

    The thread pool is the default: scoring and PyTorch release the GIL, and killing the
    process kills every job it ran (no orphaned children), which the reaper then requeues.
    """
    known_queues(queues)
    if pool not in POOLS:
        raise ValueError(f"unknown pool {pool!r}; choose from {', '.join(POOLS)}")
    ctx = process_context()  # opens (and migrates) the database before any job is taken
    loglevel = (loglevel or ctx.settings.log_level).upper()
    level_no = logging.getLevelName(loglevel)
    quiet = isinstance(level_no, int) and level_no >= logging.WARNING
    logging.basicConfig(level=loglevel, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if quiet:  # no banner, and not Celery's advice against running as root (a container's default)
        warnings.filterwarnings("ignore", message=".*superuser privileges.*")
    ctx.scoring.sweep()  # scratch folders a killed worker of this host left behind
    tasks.register(ctx.jobs.celery, lambda job_id: run_job(ctx.jobs, job_id))
    name = worker_name()
    upkeep = Maintenance(
        ctx.jobs,
        worker={"name": name, "queues": ",".join(queues), "concurrency": concurrency, "device": device_of(queues)},
    )
    upkeep.start()
    try:
        ctx.jobs.celery.worker_main(
            [
                *(["--quiet"] if quiet else []),
                "worker",
                f"--pool={pool}",
                f"--concurrency={concurrency}",
                f"--queues={','.join(queues)}",
                f"--loglevel={loglevel}",
                f"--hostname={'-'.join(queues)}-{os.getpid()}@{socket.gethostname()}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ]
        )
    finally:
        upkeep.stop()
