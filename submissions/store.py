"""Where uploads are kept: ``DATA_DIR/submissions/<id>/upload.zip``, immutable and hashed.

An upload streams into a partial file (``.upload-*``) beside the store, counted and hashed
as it comes, and is renamed into place only once its submission exists. A full or failing disk
while it arrives is a ``StorageFault`` (the service's, not the uploader's) and the partial file
is removed.
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

from harness.errors import TooLarge, storage_fault
from harness.hashing import file_sha256
from harness.predictions import write_predictions

CHUNK = 1 << 20
PARTIAL_PREFIX = ".upload-"
RECEIVING = "receiving the upload"
KEEPING_PREDICTIONS = "keeping the predictions"


def _raise_fault(exc: OSError, doing: str = RECEIVING) -> None:
    """Raise the storage fault an OSError while storing stands for (returns when it is none)."""
    fault = storage_fault(exc, doing)
    if fault is not None:
        raise fault from exc


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
        try:
            self._file = open(path, "wb")  # noqa: SIM115 - closed by finish() or discard()
        except OSError as exc:
            path.unlink(missing_ok=True)
            _raise_fault(exc)
            raise

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise TooLarge(f"upload exceeds {self.max_bytes} bytes")
        self._digest.update(chunk)
        try:
            self._file.write(chunk)
        except OSError as exc:
            _raise_fault(exc)
            raise

    def finish(self) -> Received:
        try:
            self._file.close()  # the last buffered bytes reach the disk here: it may be full
        except OSError as exc:
            self.discard()
            _raise_fault(exc)
            raise
        return Received(self.path, self._digest.hexdigest(), self.size)

    def discard(self) -> None:
        try:
            self._file.close()
        except OSError:
            pass  # a full disk refuses the buffered rest; the file goes anyway
        self.path.unlink(missing_ok=True)


class UploadStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def partial(self, max_bytes: int) -> Partial:
        """A new partial upload file in the store's folder (never the system temp directory)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=partial_prefix())
        except OSError as exc:
            _raise_fault(exc)
            raise
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

    def predictions_of(self, submission_id: int, kind: str) -> Path:
        """Where a submission's predictions lie: its upload, or for a model (``kind="model"``) its run's zip."""
        return self.predictions_path(submission_id) if kind == "model" else self.path(submission_id)

    @contextmanager
    def receive(self, stream: BinaryIO, max_bytes: int) -> Iterator[Received]:
        """Stream ``stream`` into a partial file (TooLarge past ``max_bytes``); removed on exit unless kept."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=partial_prefix())
        except OSError as exc:
            _raise_fault(exc)
            raise
        digest, size = hashlib.sha256(), 0
        try:
            try:
                with os.fdopen(fd, "wb") as out:
                    while chunk := stream.read(CHUNK):
                        size += len(chunk)
                        if size > max_bytes:
                            raise TooLarge(f"upload exceeds {max_bytes} bytes")
                        digest.update(chunk)
                        out.write(chunk)
            except OSError as exc:
                _raise_fault(exc)
                raise
            yield Received(Path(tmp), digest.hexdigest(), size)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    @contextmanager
    def received_predictions(self, folder: Path) -> Iterator[Received]:
        """The predictions archive of ``folder`` written into a partial file, as if it had been uploaded
        (``keep`` it under a submission); removed on exit unless kept."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=partial_prefix())
        except OSError as exc:
            _raise_fault(exc, KEEPING_PREDICTIONS)
            raise
        os.close(fd)
        path = Path(tmp)
        try:
            try:
                write_predictions(folder, path)
            except OSError as exc:
                _raise_fault(exc, KEEPING_PREDICTIONS)
                raise
            yield Received(path, file_sha256(path), path.stat().st_size)
        finally:
            path.unlink(missing_ok=True)

    def keep_predictions(self, submission_id: int, folder: Path) -> str:
        """Write the predictions archive of ``folder`` as the submission's ``predictions.zip`` (read-only)
        and return its sha256. It is written through ``predictions.partial``, which is removed whatever
        goes wrong (a full disk is a ``StorageFault``): a failed write leaves nothing behind."""
        final = self.predictions_path(submission_id)
        tmp = final.with_suffix(".partial")
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            write_predictions(folder, tmp)
            digest = file_sha256(tmp)
            tmp.chmod(0o444)
            os.replace(tmp, final)
        except BaseException as exc:
            tmp.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                _raise_fault(exc, KEEPING_PREDICTIONS)
            raise
        return digest

    def keep(self, received: Received, submission_id: int) -> Path:
        """Move a received upload to its submission's place, read-only (re-scoring reads these very bytes)."""
        final = self.path(submission_id)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(received.path, final)
        except OSError as exc:
            _raise_fault(exc, "keeping the upload")
            raise
        final.chmod(0o444)
        return final
