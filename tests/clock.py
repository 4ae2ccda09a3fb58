"""A clock the tests move by hand: services read the time from it instead of the wall."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class MovableClock:
    """Callable like ``utcnow``; ``advance`` moves it forward, nothing moves it otherwise."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
