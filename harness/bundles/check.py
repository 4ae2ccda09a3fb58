"""``harness challenge check`` and ``list``: is a laid-out challenge still what was laid out?

``check`` re-hashes every file against ``MANIFEST.sha256`` (changed, missing and unlisted files),
then validates the challenge again with the checks ``create`` runs (pairs, dtype, shape, range,
input sizes, grid, levels against ``challenge.toml``, ground truth reachable through a public
folder or file) and warns about ground truth that other users of the machine can read. ``list`` summarises every challenge under a data directory.
"""

from __future__ import annotations

import os
import stat
import time
import tomllib
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydantic import BaseModel, ValidationError

from harness import __version__
from harness.bundles.exposure import Folder, gt_files_public, gt_in_public_folders
from harness.bundles.measure import SplitScans, measure_track
from harness.bundles.patches import check_patches
from harness.bundles.place import read_manifest
from harness.bundles.problems import Code, Labeller, Problem, problem
from harness.bundles.scan import check_pairs, list_pairs
from harness.bundles.validate import Progress, ticker
from harness.challenge.layout import ChallengeLayout, SplitLayout
from harness.challenge.spec import FILENAME, ChallengeSpec, TrackSpec, load_challenge
from harness.hashing import file_sha256


class CheckReport(BaseModel):
    ok: bool
    name: str
    path: str
    files: int = 0  # files listed in MANIFEST.sha256
    pairs: int = 0  # pairs validated
    problems: list[Problem] = []
    warnings: list[str] = []
    seconds: float = 0.0
    harness_version: str = __version__


def _load(root: Path) -> tuple[ChallengeSpec | None, list[Problem]]:
    try:
        return load_challenge(root), []
    except FileNotFoundError:
        return None, [problem(FILENAME, Code.NOT_FOUND, "is missing")]
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return None, [problem(FILENAME, Code.BAD_TOML, f"cannot be read ({exc})")]
    except ValidationError as exc:
        return None, [problem(FILENAME, Code.BAD_VALUE, e["msg"]) for e in exc.errors()]


def check_manifest(
    root: Path,
    workers: int | None = None,
    on_file: Callable[[], None] | None = None,
    skip: Collection[str] = (),
) -> tuple[int, list[Problem]]:
    """Changed, missing and unlisted files, against ``MANIFEST.sha256``; the files in ``skip`` are not hashed."""
    layout = ChallengeLayout(root)
    if not layout.manifest.is_file():
        return 0, [problem(layout.manifest.name, Code.MISSING_FILE, "is missing: nothing to check the files against")]
    listed = read_manifest(layout.manifest)
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p != layout.manifest}
    problems = [
        problem(name, Code.MISSING_FILE, f"is listed in {layout.manifest.name} but missing")
        for name in sorted(set(listed) - present)
    ]
    problems += [
        problem(name, Code.UNLISTED_FILE, f"is not listed in {layout.manifest.name}")
        for name in sorted(present - set(listed))
    ]

    def rehash(name: str) -> Problem | None:
        if name in skip:
            return None
        try:
            digest = file_sha256(root / name)
        except OSError as exc:
            return problem(name, Code.CHANGED, f"cannot be read ({exc.strerror or exc})")
        finally:
            if on_file:
                on_file()
        if digest != listed[name]:
            return problem(
                name,
                Code.CHANGED,
                f"changed since it was laid out: sha256 {digest[:16]}..., listed {listed[name][:16]}...",
            )
        return None

    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        problems += [p for p in pool.map(rehash, sorted(set(listed) & present)) if p]
    return len(listed), problems


def _target(where: SplitLayout, kind: str) -> Path:
    return where.raw if kind == "train" else where.gt


def _exposed(root: Path, track: TrackSpec) -> list[str]:
    """Ground truth other users of the machine can read."""
    layout = ChallengeLayout(root)
    found = []
    for split in track.test_splits:
        where = layout.split(track.name, split.name)
        for folder in (where.gt, where.full.gt):
            if not folder.is_dir():
                continue
            open_files = [p for p in folder.iterdir() if stat.S_IMODE(p.stat().st_mode) & 0o077]
            if stat.S_IMODE(folder.stat().st_mode) & 0o077 or open_files:
                rel = folder.relative_to(root).as_posix()
                found.append(
                    f"{rel}: ground truth readable by other users of this machine "
                    f"({len(open_files)} file(s) and the folder); chmod 700 the folder, 600 the files"
                )
    return found


def _gt_in_public(root: Path, spec: ChallengeSpec, label: Labeller) -> list[Problem]:
    """Ground truth reachable through a public folder (a ``gt/`` linked into ``rgb/``, say) or file."""
    layout = ChallengeLayout(root)
    gt: list[Folder] = []
    public: list[Folder] = []
    gt_files: list[Path] = []
    public_files: list[Path] = []
    for track in spec.tracks:
        for split in track.splits:
            where = layout.split(track.name, split.name, track.kind)
            role = f"track {track.name!r} split {split.name!r}"
            for sub, prefix in ((where, ""), (where.full, "full/")):
                public.append(Folder(sub.rgb, f"{role} ({prefix}rgb)"))
                public_files += sub.rgb_files()
                if split.kind == "train" or track.forward:  # a forward track's inputs are its RAW
                    public.append(Folder(sub.raw, f"{role} ({prefix}raw)"))
                    public_files += sub.raw_files()
                else:
                    gt.append(Folder(sub.gt, f"{role} ({prefix}gt)"))
                    gt_files += sub.gt_files()
    return gt_in_public_folders(gt, public, label) or gt_files_public(gt_files, public_files, label)


def _validate(root: Path, spec: ChallengeSpec, report: CheckReport, workers: int | None, progress) -> list[Problem]:
    """The checks of ``create`` on the laid-out files; counts the pairs and adds warnings to ``report``."""
    problems: list[Problem] = []
    label = Labeller(root)
    tick = ticker(progress, "checking", None)
    layout = ChallengeLayout(root)
    for track in spec.tracks:
        if track.forward:
            # the pair checks read sRGB inputs and RAW targets: a forward track's files are held to the manifest
            report.warnings.append(
                f"{track.name}: a forward track's files are checked against {layout.manifest.name} only, not read"
            )
            report.warnings += _exposed(root, track)
            continue
        scans = []
        for split in track.splits:
            where = layout.split(track.name, split.name)
            kind = "raw" if split.kind == "train" else "gt"
            s = SplitScans(split.name, None, None, _target(where, split.kind), None)
            sets = [(where, "patches")] + ([(where.full, "whole images")] if split.full_resolution else [])
            for sub, what in sets:
                pairs, found = list_pairs(sub.rgb, _target(sub, split.kind), kind, label)
                problems += found
                scan = check_pairs(pairs, int(track.normaliser), label, what=what, workers=workers, on_file=tick)
                problems += scan.problems
                report.pairs += len(pairs)
                if what == "patches":
                    s.patches = scan
                else:
                    s.full, s.full_folder = scan, _target(sub, split.kind)
            scans.append(s)
        facts, found = measure_track(
            track.name,
            scans,
            label,
            FILENAME,
            patch=track.patch,
            grid=track.grid,
            black=track.black,
            white=track.white,
        )
        problems += found
        report.warnings += facts.warnings
        for s in scans:
            if (
                s.full is not None
                and s.patches is not None
                and not found
                and not s.full.problems
                and not s.patches.problems
            ):
                problems += check_patches(s.full, s.patches, track.patch, track.grid, label, int(track.normaliser))
        report.warnings += _exposed(root, track)
    return problems + _gt_in_public(root, spec, label)


def check_challenge(root: Path, *, workers: int | None = None, progress: Progress | None = None) -> CheckReport:
    """Re-hash and re-validate the challenge laid out at ``root``.

    The files are validated first, so an input larger than its pixels can need (a 10 GB tail) is
    named from its size and header and never hashed.
    """
    started = time.perf_counter()
    root = Path(root)
    spec, problems = _load(root)
    report = CheckReport(ok=False, name=spec.name if spec else root.name, path=str(root))
    checked = _validate(root, spec, report, workers, progress) if spec is not None else []
    too_large = {p.file for p in checked if p.code == Code.INPUT_TOO_LARGE}
    manifest = ChallengeLayout(root).manifest
    listed = len(read_manifest(manifest)) if manifest.is_file() else None
    report.files, found = check_manifest(root, workers, ticker(progress, "hashing", listed), skip=too_large)
    report.problems = problems + found + checked
    report.ok = not report.problems
    report.seconds = time.perf_counter() - started
    return report


class SplitEntry(BaseModel):
    name: str
    kind: str
    visibility: str
    images: int  # inputs (patches)
    full: int = 0  # whole images


class TrackEntry(BaseModel):
    name: str
    title: str
    splits: list[SplitEntry]


class ChallengeEntry(BaseModel):
    name: str
    title: str | None = None
    path: str
    tracks: list[TrackEntry] = []
    error: str | None = None


def list_challenges(data_dir: Path) -> list[ChallengeEntry]:
    """Every challenge under ``data_dir/challenges`` (folders being built, ``.*``, are skipped)."""
    folder = Path(data_dir) / "challenges"
    if not folder.is_dir():
        return []
    out = []
    for root in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        spec, problems = _load(root)
        if spec is None:
            out.append(ChallengeEntry(name=root.name, path=str(root), error=problems[0].message))
            continue
        layout = ChallengeLayout(root)
        tracks = []
        for t in spec.tracks:
            splits = []
            for s in t.splits:
                where = layout.split(t.name, s.name)
                splits.append(
                    SplitEntry(
                        name=s.name,
                        kind=s.kind,
                        visibility=s.visibility,
                        images=len(where.rgb_files()),
                        full=len(where.full.rgb_files()),
                    )
                )
            tracks.append(TrackEntry(name=t.name, title=t.title, splits=splits))
        out.append(ChallengeEntry(name=root.name, title=spec.title, path=str(root), tracks=tracks))
    return out
