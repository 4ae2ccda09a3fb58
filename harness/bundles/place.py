"""Writing a laid-out challenge: link or copy files in, keep ground truth private, hash everything.

Public files (inputs, training RAW) are hard-linked from the organiser's folders where the file
system allows (same device, linking permitted), copied otherwise; the organiser's files are
never opened for writing, moved or re-permissioned. Ground truth is always *copied*, into
files created with mode 0600 inside folders with mode 0700: a hard link would share the
organiser's inode, and so its permissions, and a ``chmod`` on it would change the organiser's
file. ``MANIFEST.sha256`` lists the sha256 of every file, in the format of the demo's.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from harness.hashing import file_sha256

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
CHUNK = 1 << 20


def private_dir(path: Path) -> None:
    """Make ``path`` (and missing parents) with the ground-truth folder itself at mode 0700."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir(mode=PRIVATE_DIR, exist_ok=True)
    os.chmod(path, PRIVATE_DIR)


class Placer:
    """Puts files into a staging tree and counts what it linked, copied and wrote."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: list[Path] = []
        self.linked = self.copied = self.written = 0

    def _ready(self, dest: Path) -> None:
        if not dest.parent.is_dir():
            dest.parent.mkdir(parents=True, exist_ok=True)
        self.files.append(dest)

    def link(self, src: Path, dest: Path) -> None:
        """A public file: a hard link when the file system allows it, else a copy."""
        self._ready(dest)
        try:
            os.link(src, dest)
            self.linked += 1
        except OSError:  # another device, linking not permitted (protected_hardlinks), a FAT volume...
            shutil.copyfile(src, dest)
            self.copied += 1

    def copy_private(self, src: Path, dest: Path) -> None:
        """Ground truth: a copy, created 0600 (never readable by others, not even for a moment)."""
        self._ready(dest)
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        with open(src, "rb") as fsrc, os.fdopen(fd, "wb") as fdst:
            shutil.copyfileobj(fsrc, fdst, CHUNK)
        os.chmod(dest, PRIVATE_FILE)
        self.copied += 1

    def write(self, dest: Path, data: bytes, *, private: bool = False) -> None:
        self._ready(dest)
        mode = PRIVATE_FILE if private else 0o666  # the umask applies to public files
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if private:
            os.chmod(dest, PRIVATE_FILE)
        self.written += 1

    def write_npy(self, dest: Path, arr: np.ndarray, *, private: bool = False) -> None:
        import io

        buf = io.BytesIO()
        np.save(buf, arr)
        self.write(dest, buf.getvalue(), private=private)


def manifest_lines(
    root: Path, files: Iterable[Path], workers: int | None = None, on_file: Callable[[], None] | None = None
) -> list[str]:
    """``<sha256>  <path relative to root>`` for each file, sorted (the demo's MANIFEST.sha256 format)."""
    files = list(files)

    def line(path: Path) -> str:
        digest = file_sha256(path)
        if on_file:
            on_file()
        return f"{digest}  {path.relative_to(root).as_posix()}"

    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        return sorted(pool.map(line, files))


def write_manifest(manifest: Path, lines: list[str]) -> None:
    manifest.write_text("\n".join(lines) + "\n")


def read_manifest(manifest: Path) -> dict[str, str]:
    """relative path -> sha256, as listed."""
    out = {}
    for line in manifest.read_text().splitlines():
        if line.strip():
            digest, _, name = line.partition("  ")
            out[name] = digest
    return out
