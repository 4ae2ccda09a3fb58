"""sha256 of files, and the ``<name>.sha256`` sidecar that travels beside a file.

Every file the harness hashes (uploads, predictions archives, weights, downloads, manifests) is
read here, in 1 MiB chunks: a file of any size costs one chunk of memory. A sidecar holds one
``sha256sum``-style line (``<hex>  <name>``) and is written atomically, so a reader never sees half
of one.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

CHUNK = 1 << 20
SIDECAR_SUFFIX = ".sha256"


def hash_file_into(path: Path, h) -> int:
    """Feed ``path``'s bytes to the hash object ``h``; returns how many there were."""
    n = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            n += len(chunk)
    return n


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes, read in chunks."""
    h = hashlib.sha256()
    hash_file_into(Path(path), h)
    return h.hexdigest()


def sidecar_path(path: Path) -> Path:
    """Where ``path``'s sidecar lives: ``<name>.sha256`` beside it."""
    path = Path(path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def read_sidecar(path: Path) -> str | None:
    """The sha256 recorded in ``path``'s sidecar; None when there is none or it is empty."""
    try:
        fields = sidecar_path(path).read_text().split()
    except OSError:
        return None
    return fields[0] if fields else None


def write_sidecar(path: Path, digest: str | None = None, *, tmp_prefix: str | None = None) -> Path:
    """Write ``<name>.sha256`` beside ``path`` (hashing it unless ``digest`` is given), atomically.

    ``tmp_prefix`` names the temporary file it is written through (a caller whose sweeps remove
    its own leftovers passes its prefix).
    """
    path = Path(path)
    digest = digest or file_sha256(path)
    dest = sidecar_path(path)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=tmp_prefix or f".{dest.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(f"{digest}  {path.name}\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest
