"""Failed bearer tokens counted per client address: past the limit, every token is refused for a while.

A token that is neither the organisers' nor a team's is a failure. Once an address has
``limit`` failures within ``window_s`` seconds, requests from it that carry any token answer
429 with ``Retry-After`` until the oldest failure leaves the window, so guessing the organiser
token costs a minute per ``limit`` guesses. The counts live in the web process (one count per
process; several web processes each allow ``limit``), and the client address is the one the
proxy rule gives (``leaderboard.api.proxy``).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from harness.errors import LimitReached

MAX_ADDRESSES = 10_000  # beyond this many addresses with recent failures, the stalest are forgotten


class TokensThrottled(LimitReached):
    """429: this address presented too many unknown tokens lately."""

    code = "token_failures_throttled"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Authorization: too many unknown tokens from this address; try again in {retry_after} s")
        self.retry_after = retry_after


class TokenFailures:
    def __init__(self, limit: int, window_s: float = 60.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._seen.get(client)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._seen[client]
        return times

    def retry_after(self, client: str) -> int | None:
        """Seconds until ``client`` may present a token again; None when it may now."""
        with self._lock:
            now = time.monotonic()
            times = self._recent(client, now)
            if len(times) < self.limit:
                return None
            return max(1, math.ceil(times[-self.limit] + self.window_s - now))

    def failed(self, client: str) -> None:
        with self._lock:
            now = time.monotonic()
            times = self._recent(client, now)
            if not times:
                if len(self._seen) >= MAX_ADDRESSES:
                    stalest = min(self._seen, key=lambda c: self._seen[c][-1])
                    del self._seen[stalest]
                self._seen[client] = times
            times.append(now)
