"""What a kind of job does: run it, record its final failure, reset what a lost attempt left.

The kinds themselves are one enum, ``leaderboard.models.JobKind``. The handlers are bound to the
services once, in ``leaderboard.context``; the job queue only looks them up by the job's kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from leaderboard.models import Job


def _nothing(job: Job) -> None:
    return None


@dataclass(frozen=True)
class JobHandler:
    run: Callable[[Job], object]  # does the work (raises to retry)
    on_failed: Callable[[Job, str], None]  # the last attempt failed: tell the user where they look
    on_requeue: Callable[[Job], None] = _nothing  # an attempt was lost: reset its half-done state
