"""A worker process run beside ``harness serve``, restarted if it dies (the embedded default)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading

from leaderboard.settings import Settings, env_names

log = logging.getLogger("harness.jobs")


# settings a worker never needs: kept out of its environment (a job runs code the organiser did not
# write, e.g. a submitted model's runtime; nothing it can read should let it act as the organiser)
WORKER_SECRETS = ("organiser_token",)


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a worker process these settings (secrets it does not need left out)."""
    env = dict(os.environ)
    for name in WORKER_SECRETS:  # every variable a secret is read from, a deprecated spelling included
        for key in env_names(name):
            env.pop(key, None)
    for name, value in settings.model_dump().items():
        key = f"HARNESS_{name.upper()}"
        if value is None or name in WORKER_SECRETS:
            env.pop(key, None)
        else:
            env[key] = str(value.resolve()) if hasattr(value, "resolve") else str(value)
    return env


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the worker gets SIGTERM when the server process dies, even by SIGKILL."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class SupervisedWorker(threading.Thread):
    def __init__(self, settings: Settings, queues: str = "cpu", restart_delay_s: float = 1.0) -> None:
        super().__init__(name=f"embedded-worker-{queues}", daemon=True)
        self.settings = settings
        self.queues = queues
        self.restart_delay_s = restart_delay_s
        self.proc: subprocess.Popen | None = None
        self.restarts = 0
        self._stop_event = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        cmd = [sys.executable, "-m", "leaderboard", "worker", "--queues", self.queues]
        while not self._stop_event.is_set():
            with self._lock:
                if self._stop_event.is_set():
                    return
                self.proc = subprocess.Popen(
                    cmd,
                    env=settings_env(self.settings),
                    preexec_fn=_die_with_parent if sys.platform == "linux" else None,
                )
            code = self.proc.wait()
            if self._stop_event.is_set():
                return
            self.restarts += 1
            log.error("the worker process exited (%s); restarting it", code)
            self._stop_event.wait(self.restart_delay_s)

    def request_stop(self) -> None:
        """Ask the worker process for a warm shutdown (its running job may finish); returns at once."""
        with self._lock:
            self._stop_event.set()
            proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.terminate()

    def wait_stopped(self, timeout_s: float = 15) -> None:
        """Wait for the process asked to stop; kill it past ``timeout_s`` (the reaper requeues its job)."""
        proc = self.proc
        if proc is not None:
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        self.join(timeout=5)


def stop_workers(workers: list[SupervisedWorker], timeout_s: float = 15) -> None:
    """Stop every worker at once: a warm shutdown takes a broker poll or two, paid once, not per queue."""
    for w in workers:
        w.request_stop()
    for w in workers:
        w.wait_stopped(timeout_s)
