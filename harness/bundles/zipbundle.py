"""A challenge bundle given as a zip: checked before anything is extracted.

The archive's directory is checked first (absolute paths, ``..``, backslashes, NUL bytes,
symbolic links, encryption, unknown compression, duplicate names, compression ratios that only a
zip bomb has); ``challenge.toml`` sits at the top or inside one folder. Folders named by
``challenge.toml`` must stay inside the bundle. Only the members under those folders are then
extracted, streamed with a byte counter that never trusts the sizes the archive declares. An
input whose declared size exceeds what its header's pixels can need is not inflated: a sparse
stub of that size, holding its first MiB, stands in for it, and the input checks name it.
"""

from __future__ import annotations

import posixpath
import stat
import zipfile
from pathlib import Path, PurePosixPath

from harness.bundles.problems import Code, Problem, problem
from harness.bundles.rgbfile import oversized
from harness.challenge.spec import FILENAME
from harness.zipnames import unsafe_member_name

MAX_ENTRIES = 500_000
MAX_RATIO = 2000.0  # deflate alone tops out near 1032:1; beyond is a trick
CHUNK = 1 << 20


def _ignored(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and (parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts))


class ZipBundle:
    """A zipped bundle whose directory passed the checks; ``base`` is the folder of challenge.toml."""

    def __init__(self, path: Path, members: list[zipfile.ZipInfo], base: str) -> None:
        self.path = path
        self.members = members
        self.base = base  # "" (top) or "folder"

    @property
    def label(self) -> str:
        """How problems name challenge.toml inside the zip."""
        return f"{self.path.name}:{posixpath.join(self.base, FILENAME)}"

    def read_spec(self) -> bytes:
        with zipfile.ZipFile(self.path) as zf:
            return zf.read(posixpath.join(self.base, FILENAME))

    def folder(self, value: str) -> str | None:
        """``value`` (a folder named by challenge.toml) as a path inside the zip; None if it leaves the bundle."""
        if value.startswith("/") or "\\" in value or (len(value) > 1 and value[1] == ":"):
            return None
        inside = posixpath.normpath(posixpath.join(self.base or ".", value))
        if inside == ".." or inside.startswith("../") or (self.base and not (inside + "/").startswith(self.base + "/")):
            return None
        return "" if inside == "." else inside

    def extract(self, folders: list[str], dest: Path, on_file=None) -> list[Problem]:
        """Extract the members under ``folders`` (paths inside the zip) below ``dest``."""
        wanted = [f.rstrip("/") + "/" if f else "" for f in folders]  # "": the whole bundle
        problems: list[Problem] = []
        with zipfile.ZipFile(self.path) as zf:
            for info in self.members:
                if info.is_dir() or not any(info.filename.startswith(w) for w in wanted):
                    continue
                target = dest / info.filename
                target.parent.mkdir(parents=True, exist_ok=True)
                written = 0
                try:
                    with zf.open(info) as src, open(target, "xb") as out:
                        chunk = src.read(CHUNK)
                        if oversized(info.filename, info.file_size, chunk):
                            # its header and declared size condemn it: a sparse stub of that size, never
                            # inflated, so the input checks name it as they would the file itself
                            out.write(chunk)
                            out.truncate(info.file_size)
                            written, chunk = info.file_size, b""
                        while chunk:
                            written += len(chunk)
                            if written > info.file_size:
                                break
                            out.write(chunk)
                            chunk = src.read(CHUNK)
                except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                    problems.append(
                        problem(f"{self.path.name}:{info.filename}", Code.BAD_ARCHIVE, f"cannot be extracted ({exc})")
                    )
                    continue
                if written != info.file_size:
                    problems.append(
                        problem(
                            f"{self.path.name}:{info.filename}",
                            Code.BAD_ARCHIVE,
                            f"holds {written}+ bytes where the archive declares {info.file_size}",
                        )
                    )
                if on_file:
                    on_file()
        return problems


def open_zip_bundle(path: Path, free_bytes: int | None = None) -> tuple[ZipBundle | None, list[Problem]]:
    """Check a zipped bundle's directory; returns the bundle, or None and every problem found."""
    label = path.name
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        return None, [problem(label, Code.BAD_ARCHIVE, f"not a readable zip archive ({exc})")]
    if len(infos) > MAX_ENTRIES:
        return None, [problem(label, Code.BAD_ARCHIVE, f"{len(infos)} entries exceed the limit of {MAX_ENTRIES}")]
    problems: list[Problem] = []
    members: list[zipfile.ZipInfo] = []
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        where = f"{label}:{name}"
        reason = unsafe_member_name(name)
        if reason:
            problems.append(problem(where, Code.UNSAFE_PATH, reason))
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            problems.append(
                problem(where, Code.UNSAFE_PATH, "is a symbolic link; links are refused in a zipped bundle")
            )
            continue
        if info.is_dir() or _ignored(name):
            continue
        if info.flag_bits & 0x1:
            problems.append(problem(where, Code.BAD_ARCHIVE, "is encrypted"))
            continue
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            problems.append(
                problem(where, Code.BAD_ARCHIVE, f"uses compression method {info.compress_type}; use deflate or store")
            )
            continue
        if info.file_size > 1 << 16 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            problems.append(problem(where, Code.BAD_ARCHIVE, f"expands {ratio:.0f}-fold; the limit is {MAX_RATIO:.0f}"))
            continue
        if name in seen:
            problems.append(problem(where, Code.BAD_ARCHIVE, "appears twice in the archive"))
            continue
        seen.add(name)
        total += info.file_size
        members.append(info)
    if free_bytes is not None and total > free_bytes:
        problems.append(problem(label, Code.BAD_ARCHIVE, f"expands to {total} bytes; only {free_bytes} are free"))
    specs = sorted(m.filename for m in members if PurePosixPath(m.filename).name == FILENAME)
    tops = [s for s in specs if len(PurePosixPath(s).parts) <= 2]
    if len(tops) != 1:
        found = ", ".join(tops) if tops else "none"
        problems.append(
            problem(label, Code.NOT_FOUND, f"needs one {FILENAME} at the top or inside one folder; found {found}")
        )
        return None, problems
    if problems:
        return None, problems
    return ZipBundle(path, members, posixpath.dirname(tops[0])), []
