"""Errors every layer shares: a lookup that found nothing, a request the rules refuse.

They carry a message for the user and no transport detail: the service maps each class to
its HTTP status in one place (``leaderboard.app``); each command catches what it calls and exits
1 (its subject failed) or 2 (not run as asked), as docs/ARCHITECTURE.md describes.
"""

from __future__ import annotations

import errno


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


class Unreadable(HarnessError):
    """A stored file the request needs is missing or damaged (a stored zip that no longer opens)."""


class StorageFault(HarnessError):
    """The service's own storage failed (a full or failing disk): not the caller's doing; try again later."""

    retry_after = 60  # seconds, sent as Retry-After


class StorageFull(StorageFault):
    """No space left where the service writes (ENOSPC, EDQUOT)."""


class StorageFailed(StorageFault):
    """The service's disk reported an input/output error (EIO)."""


FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
FAILED_ERRNOS = frozenset({errno.EIO})


def storage_fault(exc: OSError, doing: str) -> StorageFault | None:
    """The storage fault ``exc`` stands for, while ``doing`` something (None when it is no such fault).

    The message names the service's storage and what it was doing, never a path or a file name.
    """
    if exc.errno in FULL_ERRNOS:
        return StorageFull(
            f"the service's storage is full while {doing}; this is not a problem of your files, try again later"
        )
    if exc.errno in FAILED_ERRNOS:
        return StorageFailed(
            f"the service's storage failed (input/output error) while {doing}; this is not a problem of your files, "
            "try again later"
        )
    return None
