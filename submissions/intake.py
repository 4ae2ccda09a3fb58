"""Safe intake of an uploaded submission zip.

The archive is checked before anything is extracted: size and entry-count caps, per-file and
total uncompressed caps, compression ratio, overlapping entries (zip bombs), absolute paths and
``..``, symlinks, encryption, nested archives and the layout (files at the top or inside one
folder; ``__MACOSX/`` and dotfiles ignored). Extraction then streams each member with a byte
counter, never trusting the sizes the archive declares. Finally the files are paired by name
with the split's ground truth (missing and unexpected files; no data is read) and ``readme.txt``
is parsed. The result lists every problem, per file, with a code and a message.

The contents of the predictions are checked once, while they are scored:
``harness.scoring.score_directories(workdir, gt_dir, pred_label=report.label, ...)`` reports
their problems under the names they had inside the archive.
"""

from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from pydantic import BaseModel

from harness.errors import StorageFault, storage_fault
from harness.names import shown_name
from harness.npyio import ErrorCode
from harness.pairing import README_NAME, list_ground_truth, pair_files
from harness.predictions import SUFFIXES
from harness.problems import Problem
from harness.readme import ReadmeInfo, parse_readme
from harness.zipnames import MAX_NAME_BYTES, name_bytes, too_long_name, unsafe_member_name

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
NESTED_SUFFIXES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar")
CHUNK = 1 << 20
SHOWN_FOLDERS = 5  # a layout problem names this many of the folders found


class IntakeLimits(BaseModel):
    """Caps on an upload (settings can override each)."""

    max_upload_bytes: int = 1 << 30
    max_entries: int = 10_000
    max_file_bytes: int = 256 << 20
    max_total_bytes: int = 8 << 30
    max_ratio: float = 2000.0  # deflate alone tops out near 1032:1; beyond is a trick


class IntakeReport(BaseModel):
    ok: bool
    errors: list[Problem]
    warnings: list[str] = []
    readme: ReadmeInfo | None = None
    n_predictions: int = 0
    folder: str = ""  # the one folder inside the archive that held the files ("" = at the top)

    def label(self, name: str) -> str:
        """How problems name an extracted file: as it was called inside the archive."""
        return _inside(self.folder, name)


def _inside(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def _err(name: str, code: ErrorCode, message: str) -> Problem:
    """A problem of one member: the name is kept whole only when it is of a length files may have."""
    file = name if name_bytes(name) <= MAX_NAME_BYTES else shown_name(name)
    return Problem(file=file, code=code, message=f"{shown_name(name)}: {message}")


def _why(exc: BaseException) -> str:
    """An exception's text as a problem quotes it (a library's message may quote member names)."""
    return shown_name(str(exc), 200)


def _infrastructure(exc: BaseException, doing: str) -> None:
    """Raise the storage fault behind ``exc`` (a full or failing disk is never the archive's fault)."""
    fault = storage_fault(exc, doing) if isinstance(exc, OSError) else None
    if fault is not None:
        raise fault from exc


def _ignored(parts: tuple[str, ...]) -> bool:
    return parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts)


def member_key(name: str) -> str:
    """One name per file: the normalised path ('./' and '//' dropped), case-folded."""
    return "/".join(PurePosixPath(name).parts).casefold()


def prediction_member(infos: list[zipfile.ZipInfo], image: str) -> zipfile.ZipInfo | None:
    """The archive member holding ``image``'s prediction, found as intake pairs it (None if not exactly one)."""
    found = [
        i
        for i in infos
        if not i.is_dir()
        and not _ignored(PurePosixPath(i.filename).parts)
        and PurePosixPath(i.filename).stem == image
        and PurePosixPath(i.filename).suffix.lower() in SUFFIXES
    ]
    return found[0] if len(found) == 1 else None


def inspect_archive(path: Path, limits: IntakeLimits) -> tuple[list[zipfile.ZipInfo], str, list[Problem]]:
    """Check the archive's directory; returns the members to extract, their folder, and problems."""
    label = path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        _infrastructure(exc, "reading the stored upload")
        raise
    if size > limits.max_upload_bytes:
        return (
            [],
            "",
            [
                _err(
                    label,
                    ErrorCode.UPLOAD_TOO_LARGE,
                    f"upload of {size} bytes exceeds the {limits.max_upload_bytes}-byte limit",
                )
            ],
        )
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        _infrastructure(exc, "reading the stored upload")
        return [], "", [_err(label, ErrorCode.CORRUPT_ARCHIVE, f"not a readable zip archive ({_why(exc)})")]
    if len(infos) > limits.max_entries:
        return (
            [],
            "",
            [_err(label, ErrorCode.TOO_MANY_FILES, f"{len(infos)} entries exceed the limit of {limits.max_entries}")],
        )
    errors: list[Problem] = []
    members: list[zipfile.ZipInfo] = []
    total = 0
    spans = []
    seen: dict[str, str] = {}
    for info in infos:
        name = info.filename
        too_long = too_long_name(name)  # before anything else is done with the name
        if too_long:
            errors.append(_err(name, ErrorCode.NAME_TOO_LONG, too_long))
            continue
        spans.append(
            (
                info.header_offset,
                info.header_offset
                + 30
                + len(info.orig_filename.encode("utf-8", "surrogateescape"))
                + info.compress_size,
                name,
            )
        )
        reason = unsafe_member_name(name)
        if reason:
            errors.append(_err(name, ErrorCode.UNSAFE_PATH, reason))
            continue
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            errors.append(_err(name, ErrorCode.SYMLINK, "is a symbolic link; links are refused"))
            continue
        if info.is_dir():
            continue
        parts = PurePosixPath(name).parts
        if _ignored(parts):
            continue
        key = member_key(name)
        if key in seen:
            first = seen[key]
            why = "appears twice in the archive" if first == name else f"is the same file as {shown_name(first)!r}"
            errors.append(
                _err(name, ErrorCode.DUPLICATE_FILE, f"{why} (names that differ only in case or by './' are one file)")
            )
            continue
        seen[key] = name
        if info.flag_bits & 0x1:
            errors.append(_err(name, ErrorCode.ENCRYPTED, "is encrypted; upload an unencrypted zip"))
            continue
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            errors.append(
                _err(
                    name,
                    ErrorCode.UNSUPPORTED_COMPRESSION,
                    f"uses compression method {info.compress_type}; use deflate or store",
                )
            )
            continue
        if name.lower().endswith(NESTED_SUFFIXES):
            errors.append(
                _err(
                    name,
                    ErrorCode.NESTED_ARCHIVE,
                    "is an archive inside the archive; put the files themselves in the zip",
                )
            )
            continue
        if info.file_size > limits.max_file_bytes:
            errors.append(
                _err(
                    name,
                    ErrorCode.FILE_TOO_LARGE,
                    f"{info.file_size} bytes exceed the per-file limit of {limits.max_file_bytes}",
                )
            )
            continue
        if info.file_size > 1 << 16 and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            errors.append(
                _err(
                    name,
                    ErrorCode.ZIP_BOMB,
                    f"expands {info.file_size / max(info.compress_size, 1):.0f}-fold; the limit is {limits.max_ratio:.0f}",
                )
            )
            continue
        total += info.file_size
        members.append(info)
    if total > limits.max_total_bytes:
        errors.append(
            _err(label, ErrorCode.ZIP_BOMB, f"expands to {total} bytes; the limit is {limits.max_total_bytes}")
        )
    spans.sort()
    for (_s0, e0, n0), (s1, _e1, n1) in zip(spans, spans[1:], strict=False):
        if s1 < e0:
            errors.append(
                _err(
                    label,
                    ErrorCode.ZIP_BOMB,
                    f"entries {shown_name(n0)!r} and {shown_name(n1)!r} overlap inside the archive",
                )
            )
    folders = {PurePosixPath(m.filename).parts[:-1] for m in members}
    if len(folders) > 1 or any(len(f) > 1 for f in folders):
        names = sorted("/".join(f) or "(top)" for f in folders)
        shown = ", ".join(shown_name(n) for n in names[:SHOWN_FOLDERS])
        if len(names) > SHOWN_FOLDERS:
            shown += f" and {len(names) - SHOWN_FOLDERS} more"
        errors.append(
            _err(label, ErrorCode.BAD_LAYOUT, f"files must sit at the top or inside one folder; found {shown}")
        )
    folder = "/".join(next(iter(folders))) if len(folders) == 1 else ""
    return members, folder, errors


def extract(path: Path, members: list[zipfile.ZipInfo], dest: Path, limits: IntakeLimits) -> list[Problem]:
    """Stream members into ``dest`` (flat), counting bytes instead of trusting the directory."""
    errors: list[Problem] = []
    total = 0
    try:
        dest.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path) as zf:
            for info in members:
                target = dest / PurePosixPath(info.filename).name
                written = 0
                with zf.open(info) as src, open(target, "wb") as out:
                    head = src.read(4)
                    if head in ZIP_MAGIC:
                        errors.append(
                            _err(info.filename, ErrorCode.NESTED_ARCHIVE, "is a zip archive inside the archive")
                        )
                        continue
                    out.write(head)
                    written = len(head)
                    while chunk := src.read(CHUNK):
                        written += len(chunk)
                        total += len(chunk)
                        if written > min(info.file_size, limits.max_file_bytes) or total > limits.max_total_bytes:
                            raise _Overflow(info.filename)
                        out.write(chunk)
    except _Overflow as exc:
        errors.append(_err(str(exc), ErrorCode.ZIP_BOMB, "expands past its declared size or the limits"))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        _infrastructure(exc, "extracting the upload")  # a full or failing disk: retried, not the team's fault
        errors.append(_err(path.name, ErrorCode.CORRUPT_ARCHIVE, f"cannot be extracted ({_why(exc)})"))
    return errors


class _Overflow(Exception):
    pass


def check_upload(
    zip_path: Path, gt_dir: Path, workdir: Path, limits: IntakeLimits | None = None, *, suffix: str = ".npy"
) -> IntakeReport:
    """Inspect and extract an upload into ``workdir``, and pair its files with ``gt_dir`` by name.

    ``suffix`` is the file type of the ground truth and the predictions: ``.npy`` (packed RAW), or
    ``.png`` on a forward track (the metric profile's ``suffix``).

    On success the predictions lie flat in ``workdir`` ready to be scored (which checks their
    contents: pass ``pred_label=report.label`` to ``score_directories``); on failure
    ``workdir`` is removed and the report lists every problem.
    """
    limits = limits or IntakeLimits()
    zip_path, workdir = Path(zip_path), Path(workdir)
    members, folder, errors = inspect_archive(zip_path, limits)
    if errors:
        return IntakeReport(ok=False, errors=errors)
    try:
        errors = extract(zip_path, members, workdir, limits)
    except StorageFault:
        shutil.rmtree(workdir, ignore_errors=True)  # nothing half-extracted stays behind
        raise
    if errors:
        shutil.rmtree(workdir, ignore_errors=True)
        return IntakeReport(ok=False, errors=errors)
    gt, errors = list_ground_truth(Path(gt_dir), suffix)
    if gt:
        _preds, _readme, errors = pair_files(workdir, gt, suffix)  # by name: no data is read here
    errors = [
        e.model_copy(update={"file": _inside(folder, Path(e.file).name)}) if Path(e.file).parent == workdir else e
        for e in errors
    ]
    warnings: list[str] = []
    readme = None
    readme_path = workdir / README_NAME
    matches = [p for p in workdir.iterdir() if p.name.lower() == README_NAME]
    if matches:
        parsed = parse_readme(matches[0].read_bytes())
        readme, warnings = parsed.info, parsed.warnings
    elif not readme_path.exists():
        warnings.append("no readme.txt in the upload (runtime, CPU/GPU and extra data are then unknown)")
    n = sum(1 for p in workdir.iterdir() if p.suffix.lower() in SUFFIXES)
    if errors:
        shutil.rmtree(workdir, ignore_errors=True)
    return IntakeReport(ok=not errors, errors=errors, warnings=warnings, readme=readme, n_predictions=n, folder=folder)
