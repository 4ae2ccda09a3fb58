"""A real ``harness worker`` process with two faults planted, for the job tests.

- ``FAULT_SLOW_SCORING_S``: scoring sleeps this long first, so a test can kill the worker
  while a job is known to be mid-scoring;
- a submission whose description contains ``POISON`` kills the whole worker process (SIGKILL),
  as a crash in native code would.

Run as ``python -m tests.jobs.faulty_worker [harness worker options]`` from the repository root.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from sqlmodel import Session

import leaderboard.service as service_module
from leaderboard.models import Submission

_score_directories = service_module.score_directories
_process = service_module.Service.process


def _slow_score_directories(*args, **kwargs):
    time.sleep(float(os.environ.get("FAULT_SLOW_SCORING_S", "0")))
    return _score_directories(*args, **kwargs)


def _process_or_crash(self, submission_id: int):
    with Session(self.engine) as session:
        sub = session.get(Submission, submission_id)
        if sub is not None and "POISON" in sub.description:
            os.kill(os.getpid(), signal.SIGKILL)
    return _process(self, submission_id)


service_module.score_directories = _slow_score_directories
service_module.Service.process = _process_or_crash

if __name__ == "__main__":
    from harness.cli.main import app

    app(["worker", *sys.argv[1:]], prog_name="harness")
