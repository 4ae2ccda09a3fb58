"""Large downloads built once: zips written atomically under the data dir and served as files.

An archive is named ``<dir>/<name>.zip`` and keyed by a fingerprint of what goes into it (the
caller's choice: each member's name, size and mtime, and whatever else its bytes depend on).
Beside it lie ``<name>.zip.sha256`` (``sha256sum`` format) and ``<name>.json`` (key, sha256,
size, counts). The JSON is written last: an archive whose JSON carries the current key and
whose size matches is complete, and is never rebuilt.

A build holds an exclusive lock file (``fcntl.flock``: threads and processes alike, so two
requests that race build once), writes a temporary file tagged with its process
(``.tmp.<host>~<pid>~...``, swept once that process is gone) and renames it into place.
Members keep a fixed date, sorted names and mode 0644, so the same files give the same bytes.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

from harness.hashing import file_sha256, write_sidecar
from submissions.store import owner_gone, owner_tag

log = logging.getLogger(__name__)

CHUNK = 1 << 20
T = TypeVar("T")
R = TypeVar("R")
TMP = ".tmp."  # temporary files: ".tmp.<host>~<pid>~<random>"
DEFLATE_LEVEL = 1
DATE = (2020, 1, 1, 0, 0, 0)  # every member's date: equal inputs give equal archives
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class Member:
    """One file of an archive: copied from ``path``, or made by ``make()`` while the archive is written."""

    name: str
    path: Path | None = None
    make: Callable[[], bytes] | None = None


@dataclass(frozen=True)
class ArchiveInfo:
    """A built archive: where it is, its sha256 and size, what it holds, and the key it was built for."""

    path: Path
    sha256: str
    size: int
    files: int
    content_bytes: int
    key: str


def prefetch(fn: Callable[[T], R], items: Iterable[T], depth: int | None = None) -> Iterator[R]:
    """``fn`` of each item, in order, computed ahead on ``depth`` threads (numpy and zlib release the GIL)."""
    depth = depth or os.cpu_count() or 1
    with ThreadPoolExecutor(depth) as pool:
        ahead: deque = deque()
        for item in items:
            ahead.append(pool.submit(fn, item))
            if len(ahead) > 2 * depth:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()


def fingerprint(parts: Iterable[str], files: Iterable[tuple[str, os.stat_result]]) -> str:
    """A key over ``parts`` and each (member name, its file's stat): name, size, mtime and inode."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() + b"\0")
    for name, st in files:
        h.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\0".encode())
    return h.hexdigest()


def write_zip(dest, members: Iterable[Member], compression: int = zipfile.ZIP_STORED) -> tuple[int, int]:
    """Write ``members`` (in their order) to ``dest`` (a path or a binary file); returns (files, content bytes).

    Deflated members use level 1: on packed RAW it gives nearly what level 6 does, four times faster.
    """
    files = content = 0
    with zipfile.ZipFile(dest, "w", compression, allowZip64=True, compresslevel=DEFLATE_LEVEL) as zf:
        for m in members:
            info = zipfile.ZipInfo(m.name, date_time=DATE)
            info.compress_type = compression
            info.external_attr = 0o100644 << 16
            if m.path is not None:
                info.file_size = m.path.stat().st_size  # lets zipfile choose zip64 for a member above 4 GiB
                with open(m.path, "rb") as src, zf.open(info, "w") as out:
                    shutil.copyfileobj(src, out, CHUNK)
                content += info.file_size
            else:
                data = m.make()
                zf.writestr(info, data, compresslevel=DEFLATE_LEVEL)
                content += len(data)
            files += 1
    return files, content


class ArchiveCache:
    """Archives under ``root``, named by slash-separated names of safe parts (``s7/test1-inputs``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _zip(self, name: str) -> Path:
        parts = name.split("/")
        if not all(_SAFE.match(p) for p in parts):
            raise ValueError(f"not a safe archive name: {name!r}")
        return self.root.joinpath(*parts[:-1], f"{parts[-1]}.zip")

    def _meta(self, name: str) -> Path:
        return self._zip(name).with_suffix(".json")

    def ready(self, name: str, key: str) -> ArchiveInfo | None:
        """The archive built for ``key``, or None when there is none (missing, stale, half-written)."""
        try:
            doc = json.loads(self._meta(name).read_text())
            path = self._zip(name)
            if doc.get("key") != key or path.stat().st_size != doc.get("size"):
                return None
            return ArchiveInfo(path=path, **{k: doc[k] for k in ("sha256", "size", "files", "content_bytes", "key")})
        except (OSError, ValueError, KeyError, TypeError):
            return None

    @contextmanager
    def _locked(self, name: str) -> Iterator[None]:
        path = self._zip(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.parent / f".{path.name}.lock", "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def ensure(
        self,
        name: str,
        key: str,
        members: Callable[[], Iterable[Member]],
        compression: int = zipfile.ZIP_STORED,
    ) -> ArchiveInfo:
        """The archive for ``key``: the one on disk, or built now (once, whoever else asks meanwhile)."""
        info = self.ready(name, key)
        if info is not None:
            return info
        with self._locked(name):
            info = self.ready(name, key)  # built by whoever held the lock before us
            if info is not None:
                return info
            return self._build(name, key, members(), compression)

    def _build(self, name: str, key: str, members: Iterable[Member], compression: int) -> ArchiveInfo:
        path = self._zip(name)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{TMP}{owner_tag()}")
        try:
            with os.fdopen(fd, "w+b") as out:
                files, content = write_zip(out, members, compression)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o644)
            sha, size = file_sha256(Path(tmp)), os.stat(tmp).st_size
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        info = ArchiveInfo(path=path, sha256=sha, size=size, files=files, content_bytes=content, key=key)
        write_sidecar(path, sha, tmp_prefix=f"{TMP}{owner_tag()}")
        doc = {k: v for k, v in asdict(info).items() if k != "path"}
        _atomic_text(self._meta(name), json.dumps(doc, indent=1) + "\n")  # last: the archive is complete
        return info

    def sweep(self) -> list[Path]:
        """Remove temporary files whose writer is gone (a process of this host that no longer runs)."""
        removed = []
        if not self.root.is_dir():
            return removed
        for p in self.root.rglob(f"{TMP}*"):
            if p.is_file() and owner_gone(p.name.removeprefix(TMP)):
                p.unlink(missing_ok=True)
                removed.append(p)
        return removed


def _atomic_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{TMP}{owner_tag()}")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


class Background:
    """Jobs run one at a time on a daemon thread, started when there is work and gone when there is none;
    a job already waiting is not queued twice. A job that raises is logged (whoever needs it retries)."""

    def __init__(self, run: Callable[..., object], name: str) -> None:
        self.run = run
        self.name = name
        self._mutex = threading.Lock()
        self._todo: deque[tuple] = deque()
        self._pending: set[tuple] = set()
        self.thread: threading.Thread | None = None

    def add(self, *job) -> None:
        with self._mutex:
            if job in self._pending:
                return
            self._pending.add(job)
            self._todo.append(job)
            if self.thread is None:
                self.thread = threading.Thread(target=self._drain, name=self.name, daemon=True)
                self.thread.start()

    def _drain(self) -> None:
        while True:
            with self._mutex:
                if not self._todo:
                    self.thread = None
                    return
                job = self._todo.popleft()
            try:
                self.run(*job)
            except Exception:  # noqa: BLE001 - logged; the job is asked for again by whoever needs it
                log.exception("%s: %r failed", self.name, job)
            finally:
                with self._mutex:
                    self._pending.discard(job)
