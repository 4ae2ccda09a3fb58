"""Start the service as a separate process and wait until it answers (tests, benchmarks, tools)."""

from __future__ import annotations

import atexit
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict[str, str], log_path: Path, *, timeout_s: float = 60) -> tuple[subprocess.Popen, str]:
    """Run ``harness serve`` on a free loopback port with ``env``; returns the process and base URL.

    Output goes to ``log_path``, never to a pipe: nobody drains a pipe, and once its buffer
    is full the server blocks on its next log line and stops answering.
    """
    import httpx

    port = free_port()
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "leaderboard", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    proc.wait(10)
    raise RuntimeError(f"the service did not start; its log:\n{Path(log_path).read_text(errors='replace')[-4000:]}")


_stopping: list[subprocess.Popen] = []


def stop_server(proc: subprocess.Popen, *, wait: bool = True) -> None:
    """Ask the service to shut down (SIGTERM: its workers finish a running job first).

    ``wait=False`` returns at once: for a caller done with the server and its files, the warm
    shutdown (a few seconds of broker polls) goes on in the background; whatever is still
    running when this process exits is waited for then.
    """
    proc.terminate()
    if not wait:
        _stopping.append(proc)
        return
    _wait(proc)


def _wait(proc: subprocess.Popen) -> None:
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@atexit.register
def _wait_for_stopping() -> None:
    for proc in _stopping:
        _wait(proc)
