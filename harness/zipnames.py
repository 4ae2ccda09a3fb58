"""Names inside a zip archive that no extraction may follow (uploads and challenge bundles alike)."""

from __future__ import annotations

from pathlib import PurePosixPath

MAX_NAME_BYTES = 255  # what a file system takes for one name; a member name longer than this is refused


def name_bytes(name: str) -> int:
    """The length of a member name in bytes, as the archive stores it."""
    return len(name.encode("utf-8", "surrogateescape"))


def too_long_name(name: str) -> str | None:
    """Why a member name is too long to handle (None when it is not); check this before anything else."""
    n = name_bytes(name)
    if n > MAX_NAME_BYTES:
        return f"has a name of {n} bytes; the limit is {MAX_NAME_BYTES}"
    return None


def unsafe_member_name(name: str) -> str | None:
    """Why an archive member's name is unsafe to extract (None when it is safe)."""
    if "\\" in name:
        return "uses backslashes in its path"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "has an absolute path"
    if any(p == ".." for p in PurePosixPath(name).parts):
        return "climbs out of the archive with '..'"
    if "\x00" in name:
        return "has a NUL byte in its name"
    return None
