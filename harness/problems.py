"""The one record of a problem with a file, used by every check the harness makes.

Predictions (``harness.npyio`` codes), uploads (``submissions.intake``), challenge bundles
(``harness.bundles.problems``) and model submissions (``submissions.model.errors``) all report
a :class:`Problem`: the file it concerns, a stable machine-readable code (each checker keeps its
codes as a ``StrEnum``; the record holds the plain string) and a message that starts with the
file's name. The API and the CLI print it as ``{"file", "code", "message"}``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel


class Problem(BaseModel):
    """One problem with one file; ``message`` starts with the file's name."""

    file: str
    code: str
    message: str


def problem(file: str | Path, code: str, what: str) -> Problem:
    """A problem whose message is ``<file>: <what>``."""
    return Problem(file=str(file), code=str(code), message=f"{file}: {what}")
