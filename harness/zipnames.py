"""Names inside a zip archive that no extraction may follow (uploads and challenge bundles alike)."""

from __future__ import annotations

from pathlib import PurePosixPath


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
