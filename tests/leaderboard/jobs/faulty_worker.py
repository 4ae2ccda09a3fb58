"""A real ``harness worker`` process with two faults planted, for the job tests.

- ``FAULT_SLOW_SCORING_S``: scoring sleeps this long first, so a test can kill the worker
  while a job is known to be mid-scoring;
- a submission whose description contains ``POISON`` kills the whole worker process (SIGKILL),
  as a crash in native code would.

Run as ``python -m tests.leaderboard.jobs.faulty_worker [harness worker options]`` from the repository root.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from sqlmodel import Session

import leaderboard.services.scoring as scoring_module
from leaderboard.models import Submission

_score_directories = scoring_module.score_directories
_process = scoring_module.Scoring.process


def _slow_score_directories(*args, **kwargs):
    time.sleep(float(os.environ.get("FAULT_SLOW_SCORING_S", "0")))
    return _score_directories(*args, **kwargs)


def _process_or_crash(self, submission_id: int):
    with Session(self.engine) as session:
        sub = session.get(Submission, submission_id)
        if sub is not None and "POISON" in sub.description:
            os.kill(os.getpid(), signal.SIGKILL)
    return _process(self, submission_id)


scoring_module.score_directories = _slow_score_directories
scoring_module.Scoring.process = _process_or_crash

if __name__ == "__main__":
    from leaderboard.cli.main import app

    app(["worker", *sys.argv[1:]], prog_name="harness")
