"""Where a submission's predictions are: one answer for every reader (scoring, re-scoring, comparisons).

A predictions submission's predictions are its upload (``upload.zip``); a model submission's are
the ``predictions.zip`` its run made beside the model. A stored zip that is missing or no longer
opens is ``Unreadable`` (422 on the API), never a crash.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from harness.errors import Unreadable, storage_fault
from leaderboard.models import Run, Submission
from submissions.store import UploadStore

# what reading a damaged zip can raise
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError)


@dataclass(frozen=True)
class StoredPredictions:
    submission_id: int
    path: Path
    sha256: str  # what the bytes must hash to (recorded when they were stored)


def stored_predictions(session: Session, store: UploadStore, sub: Submission) -> StoredPredictions:
    """The zip holding ``sub``'s predictions and its recorded sha256 (Unreadable when it has none yet)."""
    if sub.kind == "model":
        run = session.exec(select(Run).where(Run.submission_id == sub.id)).first()
        if run is None:
            raise Unreadable(f"submission {sub.id}: the model has not run yet, so there are no predictions")
        return StoredPredictions(sub.id, store.predictions_of(sub.id, sub.kind), run.predictions_sha256)
    return StoredPredictions(sub.id, store.predictions_of(sub.id, sub.kind), sub.upload_sha256)


def unreadable(stored: StoredPredictions, exc: BaseException) -> Unreadable:
    """The refusal for a stored zip that cannot be read (a failing disk is the service's fault instead)."""
    fault = storage_fault(exc, "reading stored predictions") if isinstance(exc, OSError) else None
    if fault is not None:
        raise fault from exc
    if isinstance(exc, FileNotFoundError):
        return Unreadable(f"submission {stored.submission_id}: its stored {stored.path.name} is missing")
    return Unreadable(
        f"submission {stored.submission_id}: its stored {stored.path.name} cannot be read as a zip archive "
        f"({type(exc).__name__})"
    )


@contextmanager
def open_predictions(stored: StoredPredictions) -> Iterator[zipfile.ZipFile]:
    """The stored zip, open for reading; Unreadable when it is missing or damaged."""
    try:
        zf = zipfile.ZipFile(stored.path)
    except ZIP_ERRORS as exc:
        raise unreadable(stored, exc) from exc
    with zf:
        yield zf


def check_readable(session: Session, store: UploadStore, sub: Submission) -> None:
    """Refuse (Unreadable) a submission whose stored predictions no longer open; a model that has
    not run yet passes (its run makes them)."""
    if sub.kind == "model" and session.exec(select(Run.id).where(Run.submission_id == sub.id)).first() is None:
        return
    with open_predictions(stored_predictions(session, store, sub)):
        pass
