"""Errors every layer shares: a lookup that found nothing, a request the rules refuse.

They carry a message for the user and no transport detail: the service maps each class to
its HTTP status in one place (``leaderboard.app``), the CLI to an exit code.
"""

from __future__ import annotations


class HarnessError(Exception):
    """Base of the errors with a message meant for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotFound(HarnessError, KeyError):
    """Nothing by that name (a track, split, team, submission, method, image).

    A ``KeyError`` too, so lookups keep the mapping protocol's contract.
    """


class Refused(HarnessError):
    """The rules refuse the request (closed split, limit reached, wrong kind of split, ...)."""


class Forbidden(Refused):
    """Not allowed now or not for this caller (closed registration, a split not open yet)."""


class Conflict(Refused):
    """Clashes with what exists (a team name already taken)."""


class Invalid(Refused):
    """Well-formed but not acceptable here (a split that takes no submissions)."""


class LimitReached(Refused):
    """A quota is used up."""


class TooLarge(Refused):
    """A body above the size limit."""
