"""In-process scoring worker: a thread that takes received submissions one by one.

The embedded default until durable jobs arrive (DESIGN "Jobs and scale"): work never runs
inside a request, and submissions interrupted by a stop are requeued at start-up.
"""

from __future__ import annotations

import logging
import threading

from leaderboard.service import Service

log = logging.getLogger("harness.worker")


class ScoringThread(threading.Thread):
    def __init__(self, service: Service, poll_s: float = 0.2) -> None:
        super().__init__(name="scoring-worker", daemon=True)
        self.service = service
        self.poll_s = poll_s
        self._stop_event = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        n = self.service.requeue_interrupted()
        if n:
            log.warning("requeued %d submission(s) interrupted by the last stop", n)
        while not self._stop_event.is_set():
            sub_id = self.service.claim_next()
            if sub_id is None:
                self._stop_event.wait(self.poll_s)
                continue
            status = self.service.process(sub_id)
            log.info("submission %d: %s", sub_id, status.value)
