"""Where uploads are kept: ``DATA_DIR/submissions/<id>/upload.zip``, immutable and hashed.

An upload streams into a partial file (``.upload-*``) beside the store, counted and hashed
as it comes, and is renamed into place only once its submission exists.
"""

from __future__ import annotations

import hashlib
import os
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from harness.errors import TooLarge

CHUNK = 1 << 20
PARTIAL_PREFIX = ".upload-"


def owner_tag() -> str:
    """``<host>~<pid>~``: who writes a temporary file (so a sweep can tell whether its writer still runs)."""
    return f"{socket.gethostname()}~{os.getpid()}~"


def partial_prefix() -> str:
    return f"{PARTIAL_PREFIX}{owner_tag()}"


def owner_gone(tagged_name: str) -> bool:
    """True when ``tagged_name`` (starting with an owner tag) was written by a process of this host
    that no longer runs; False for another host's files or a live process (and for untagged names)."""
    host, sep, rest = tagged_name.partition("~")
    pid, sep2, _ = rest.partition("~")
    if not (sep and sep2 and pid.isdigit()) or host != socket.gethostname():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass
class Received:
    """A streamed upload waiting for its submission id."""

    path: Path
    sha256: str
    size: int


class Partial:
    """An upload being written chunk by chunk (counted, hashed; TooLarge past the limit)."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.size = 0
        self._digest = hashlib.sha256()
        self._file = open(path, "wb")  # noqa: SIM115 - closed by finish() or discard()

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise TooLarge(f"upload exceeds {self.max_bytes} bytes")
        self._digest.update(chunk)
        self._file.write(chunk)

    def finish(self) -> Received:
        self._file.close()
        return Received(self.path, self._digest.hexdigest(), self.size)

    def discard(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)


class UploadStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def partial(self, max_bytes: int) -> Partial:
        """A new partial upload file in the store's folder (never the system temp directory)."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=partial_prefix())
        os.close(fd)
        return Partial(Path(tmp), max_bytes)

    def sweep_partials(self) -> list[Path]:
        """Remove partial uploads whose writer is gone (a process of this host that no longer runs)."""
        removed = []
        if not self.root.is_dir():
            return removed
        for p in self.root.glob(f"{PARTIAL_PREFIX}*"):
            if owner_gone(p.name.removeprefix(PARTIAL_PREFIX)):
                p.unlink(missing_ok=True)
                removed.append(p)
        return removed

    def path(self, submission_id: int) -> Path:
        """The stored upload of a submission (a zip of predictions, or a model)."""
        return self.root / str(submission_id) / "upload.zip"

    def predictions_path(self, submission_id: int) -> Path:
        """The zip of the predictions a submitted model made on the harness's runner."""
        return self.root / str(submission_id) / "predictions.zip"

    @contextmanager
    def receive(self, stream: BinaryIO, max_bytes: int) -> Iterator[Received]:
        """Stream ``stream`` into a partial file (TooLarge past ``max_bytes``); removed on exit unless kept."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=partial_prefix())
        digest, size = hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(f"upload exceeds {max_bytes} bytes")
                    digest.update(chunk)
                    out.write(chunk)
            yield Received(Path(tmp), digest.hexdigest(), size)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def keep(self, received: Received, submission_id: int) -> Path:
        """Move a received upload to its submission's place, read-only (re-scoring reads these very bytes)."""
        final = self.path(submission_id)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(received.path, final)
        final.chmod(0o444)
        return final

    @staticmethod
    def sha256(path: Path) -> str:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                h.update(chunk)
        return h.hexdigest()
