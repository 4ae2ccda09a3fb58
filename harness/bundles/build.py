"""``harness challenge create``: check a bundle completely, then lay out its challenge.

Every file is checked before anything is written, and every problem is reported together
(:mod:`~harness.bundles.scan`, :mod:`~harness.bundles.measure`,
:mod:`~harness.challenge.grid`, :mod:`~harness.bundles.exposure`: no test split's ground truth
in or under a folder teams are handed). Only a bundle without problems is laid out, into a staging
folder beside the target (``DATA_DIR/challenges/.NAME.*.partial``) renamed into place at the
end; on any problem the staging folder is removed and nothing is left behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel

from harness import __version__
from harness.bundles.bundle import NAME_RE, parse_bundle
from harness.bundles.patches import cut
from harness.bundles.place import Placer, manifest_lines, private_dir, write_manifest
from harness.bundles.problems import Code, Problem, problem
from harness.bundles.scan import Pair
from harness.bundles.source import gt_in_public, open_source, resolve_folders, shared_folders
from harness.bundles.validate import Progress, TrackSummary, linked_ground_truth, ticker, validate_bundle
from harness.challenge.layout import ChallengeLayout, SplitLayout
from harness.challenge.spec import ChallengeSpec, TrackSpec, save_challenge


class CreateReport(BaseModel):
    ok: bool
    name: str | None = None
    path: str | None = None
    problems: list[Problem] = []
    warnings: list[str] = []
    notes: list[str] = []
    tracks: list[TrackSummary] = []
    linked: int = 0  # public files hard-linked from the bundle
    copied: int = 0  # files copied (all ground truth; public files where linking failed)
    written: int = 0  # files the harness made (cut patches, challenge.toml)
    seconds: float = 0.0
    harness_version: str = __version__


def _mkdirs(path: Path) -> list[Path]:
    """Make ``path`` and its missing parents; returns those made (deepest last), to undo."""
    made = []
    for p in reversed([path, *path.parents]):
        if not p.exists():
            p.mkdir()
            made.append(p)
    return made


def _cut_all(placer: Placer, where: SplitLayout, kind: str, track: TrackSpec, images: list[Pair]) -> None:
    private = kind == "test"
    if private:
        private_dir(where.gt)

    def write_raw(stem: str, arr) -> None:
        placer.write_npy(where.target_of(stem, kind), arr, private=private)

    def write_rgb(stem: str, data: bytes) -> None:
        placer.write(where.rgb_file(stem, ".png"), data)

    for img in images:
        cut(img, track.patch, track.grid, int(track.normaliser), write_raw, write_rgb)


def _lay_out(root: Path, spec: ChallengeSpec, scans, progress: Progress | None) -> Placer:
    placer = Placer(root)
    layout = ChallengeLayout(root)
    total = sum(len(x.pairs) for rows in scans.values() for s in rows for x in (s.patches, s.full) if x)
    tick = ticker(progress, "laying out", total)
    for track in spec.tracks:
        for split, s in zip(track.splits, scans[track.name], strict=True):
            where = layout.split(track.name, split.name)
            private = split.kind == "test"
            for sub, scan in ((where, s.patches), (where.full, s.full)):
                if scan is None:
                    continue
                if private:
                    private_dir(sub.gt)
                for pair in scan.pairs:
                    placer.link(pair.rgb, sub.rgb_file(pair.stem, pair.rgb.suffix))
                    dest = sub.target_of(pair.stem, split.kind)
                    (placer.copy_private if private else placer.link)(pair.target, dest)
                    if tick:
                        tick()
            if s.patches is None and s.full is not None:  # only whole images given: cut the grid
                _cut_all(placer, where, split.kind, track, s.full.pairs)
    placer.files.append(save_challenge(spec, root))
    placer.written += 1
    return placer


def create_challenge(
    bundle: Path,
    data_dir: Path,
    *,
    name: str | None = None,
    replace: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
) -> CreateReport:
    """Check ``bundle`` and, when it has no problem, lay it out under ``data_dir/challenges/<name>``."""
    started = time.perf_counter()
    report = CreateReport(ok=False)
    challenges = Path(data_dir) / "challenges"
    made: list[Path] = []
    stage: Path | None = None
    try:
        existing = next(p for p in [challenges, *challenges.parents] if p.exists())
        src, problems = open_source(bundle, shutil.disk_usage(existing).free)
        if src is None:
            report.problems = problems
            return report
        spec, problems = parse_bundle(src.text, src.label)
        if spec is None:
            report.problems = problems
            return report
        report.name = name = name or spec.name or src.default_name
        if not NAME_RE.match(name):
            problems.append(
                problem(
                    src.label,
                    Code.BAD_VALUE,
                    f"challenge name {name!r} must be 1-64 letters, digits, '-' or '_'; give --name",
                )
            )
            report.problems = problems
            return report
        target = challenges / name
        if target.exists() and not replace:
            problems.append(
                problem(str(target), Code.EXISTS, "a challenge of this name exists; pass --replace to replace it")
            )
        if src.zipped is not None:
            made = _mkdirs(challenges)
            stage = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=challenges))
        problems += resolve_folders(
            src, spec, stage / "bundle" if stage else None, on_file=ticker(progress, "extracting", None)
        )
        if not any(p.code == Code.BAD_ARCHIVE for p in problems):  # an archive that did not extract: stop
            problems += shared_folders(src, spec)
            leaked = gt_in_public(src, spec)
            checked = validate_bundle(src, spec, workers, progress)
            problems += leaked + checked.problems
            if not leaked:  # a whole folder given out is said once, not once per file
                problems += linked_ground_truth(spec, checked.scans, src)
            tracks, scans = checked.tracks, checked.scans
            report.notes, report.warnings, report.tracks = checked.notes, checked.warnings, checked.summaries
        report.problems = problems
        if problems:
            return report
        challenge = ChallengeSpec(
            name=name, title=spec.title, profile=spec.profile, reference=spec.reference, tracks=tracks
        )
        if stage is None:
            made = _mkdirs(challenges)
            stage = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=challenges))
        root = stage / name
        root.mkdir()
        placer = _lay_out(root, challenge, scans, progress)
        from harness.alignment.manifest import align_challenge  # OpenCV: only when a challenge is made

        aligned, notes = align_challenge(root, challenge)
        placer.files += aligned
        report.warnings += notes
        lines = manifest_lines(root, placer.files, workers, on_file=ticker(progress, "hashing", len(placer.files)))
        write_manifest(ChallengeLayout(root).manifest, lines)
        if target.exists():
            os.rename(target, stage / "replaced")
        os.rename(root, target)
        made = []  # the challenge stands: keep its folders
        report.ok, report.path = True, str(target)
        report.linked, report.copied, report.written = placer.linked, placer.copied, placer.written
        return report
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        for p in reversed(made):
            try:
                p.rmdir()
            except OSError:
                pass
        report.seconds = time.perf_counter() - started
