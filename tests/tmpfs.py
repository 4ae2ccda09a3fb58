"""Real, tiny file systems for tests of a full disk: a tmpfs mounted where the service writes.

Mounting needs root (the test machines run as root); ``fill`` leaves no free byte on one.
"""

from __future__ import annotations

import errno
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def tmpfs(path: Path, size: str = "1m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``path`` (created if needed), unmounted on exit."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "--lazy", str(path)], check=True)


def fill(folder: Path, name: str = "filler") -> Path:
    """Write ``folder/name`` until its file system is full (ENOSPC); returns the file."""
    target = folder / name
    block = b"\0" * 4096
    with open(target, "wb", buffering=0) as f:
        try:
            while True:
                f.write(block)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    return target
