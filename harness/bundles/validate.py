"""Validating a bundle's data: every split's pairs, then each track's numbers, all problems together.

:func:`validate_bundle` lists and checks the pairs of every split
(:mod:`~harness.bundles.scan`), measures each track against what ``challenge.toml`` states
(:mod:`~harness.bundles.measure`), checks given full-resolution patches against their images
(:mod:`~harness.challenge.grid`) and builds the :class:`~harness.challenge.spec.TrackSpec` of
each track. Nothing is written.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import BaseModel, ValidationError

from harness.bundles.bundle import Bundle, BundleTrack
from harness.bundles.exposure import gt_files_public
from harness.bundles.measure import SplitScans, TrackFacts, measure_track
from harness.bundles.patches import check_patches
from harness.bundles.problems import Code, Problem, problem
from harness.bundles.scan import check_pairs, list_pairs
from harness.bundles.source import Source
from harness.challenge.isp import IspConfig
from harness.challenge.spec import TrackSpec

Progress = Callable[[str, int, int | None], None]  # (stage, done, total)


def ticker(progress: Progress | None, stage: str, total: int | None) -> Callable[[], None] | None:
    """A callback counting one more file of ``stage`` (safe to call from threads)."""
    if progress is None:
        return None
    counter = itertools.count(1)
    return lambda: progress(stage, next(counter), total)


class SplitSummary(BaseModel):
    name: str
    kind: str
    visibility: str
    pairs: int  # patch pairs (inputs + RAW / ground truth)
    full: int = 0  # whole images
    cut: bool = False  # patches cut from the whole images by the harness


class TrackSummary(BaseModel):
    name: str
    patch: int | None
    grid: tuple[int, int] | None
    black: float | None
    white: float | None
    splits: list[SplitSummary]


@dataclass
class Validated:
    scans: dict[str, list[SplitScans]] = field(default_factory=dict)  # track -> its splits' scans
    tracks: list[TrackSpec] = field(default_factory=list)  # complete only when there is no problem
    summaries: list[TrackSummary] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _scan(src: Source, spec: Bundle, workers: int | None, progress: Progress | None):
    """List and check every split's pairs; returns {track: [SplitScans]} and the problems."""
    problems: list[Problem] = []
    listed: dict[str, list[tuple]] = {}
    for track in spec.tracks:
        for split in track.splits:
            t = split.target
            entry = [split, None, None]
            keys = [(track.name, split.name, key) for key in split.folders()]
            if not all(k in src.folders and src.folders[k].is_dir() for k in keys):
                listed.setdefault(track.name, []).append(tuple(entry))  # a folder is missing: reported already
                continue
            for i, (rgb_key, tgt_key) in enumerate((("rgb", t), ("full_rgb", f"full_{t}")), start=1):
                if getattr(split, rgb_key) is None:
                    continue
                pairs, found = list_pairs(
                    src.folders[(track.name, split.name, rgb_key)],
                    src.folders[(track.name, split.name, tgt_key)],
                    t,
                    src.labeller,
                )
                problems.extend(found)
                entry[i] = pairs
            listed.setdefault(track.name, []).append(tuple(entry))
    total = sum(len(x) for rows in listed.values() for row in rows for x in row[1:] if x)
    tick = ticker(progress, "checking", total)

    scans: dict[str, list[SplitScans]] = {}
    for track in spec.tracks:
        for split, patches, full in listed[track.name]:
            t = split.target
            s = SplitScans(split.name, None, None)
            if patches is not None:
                s.patches = check_pairs(patches, int(track.normaliser), src.labeller, workers=workers, on_file=tick)
                s.patch_folder = src.folders[(track.name, split.name, t)]
            if full is not None:
                s.full = check_pairs(
                    full, int(track.normaliser), src.labeller, what="whole images", workers=workers, on_file=tick
                )
                s.full_folder = src.folders[(track.name, split.name, f"full_{t}")]
            problems.extend(p for x in (s.patches, s.full) if x for p in x.problems)
            scans.setdefault(track.name, []).append(s)
    return scans, problems


def _track_spec(track: BundleTrack, facts: TrackFacts, label: str) -> tuple[TrackSpec | None, list[Problem]]:
    isp = None
    if track.isp is not None:
        values = track.isp.model_dump()
        for level in ("black", "white"):
            if level not in track.isp.model_fields_set:
                values[level] = getattr(facts, level)
            elif values[level] != getattr(facts, level):
                return None, [
                    problem(
                        label,
                        Code.LEVELS,
                        f"track {track.name!r}: isp.{level} = {values[level]:g} "
                        f"differs from the track's {level} level {getattr(facts, level):g}",
                    )
                ]
        isp = IspConfig.model_validate(values)
    fields = dict(
        name=track.name,
        title=track.title or track.name,
        camera=track.camera,
        bayer=track.bayer,
        normaliser=track.normaliser,
        black=facts.black,
        white=facts.white,
        patch=facts.patch,
        misalignment=track.misalignment,
        isp=isp,
        splits=[s.spec() for s in track.splits],
    )
    if facts.grid is not None:
        fields["grid"] = facts.grid
    try:
        return TrackSpec(**fields), []
    except ValidationError as exc:
        return None, [
            problem(label, Code.BAD_VALUE, f"track {track.name!r}: {e['msg'].removeprefix('Value error, ')}")
            for e in exc.errors()
        ]


def _summary(track: BundleTrack, facts: TrackFacts, scans: list[SplitScans]) -> TrackSummary:
    cells = facts.grid[0] * facts.grid[1] if facts.grid else 0
    splits = []
    for b, s in zip(track.splits, scans, strict=True):
        n_full = len(s.full.pairs) if s.full else 0
        pairs = len(s.patches.pairs) if s.patches else n_full * cells
        splits.append(
            SplitSummary(
                name=b.name,
                kind=b.kind,
                visibility=b.visibility,
                pairs=pairs,
                full=n_full,
                cut=s.patches is None and s.full is not None,
            )
        )
    return TrackSummary(
        name=track.name, patch=facts.patch, grid=facts.grid, black=facts.black, white=facts.white, splits=splits
    )


def validate_bundle(src: Source, spec: Bundle, workers: int | None, progress: Progress | None) -> Validated:
    """Check every file the bundle names and every track's numbers (``src.folders`` resolved)."""
    out = Validated()
    out.scans, out.problems = _scan(src, spec, workers, progress)
    for btrack in spec.tracks:
        scans = out.scans[btrack.name]
        facts, found = measure_track(
            btrack.name,
            scans,
            src.labeller,
            src.label,
            patch=btrack.patch,
            grid=btrack.grid,
            black=btrack.black,
            white=btrack.white,
        )
        out.problems += found
        out.notes += facts.notes
        out.warnings += facts.warnings
        for s in scans:
            clean = not found and s.patches and s.full and not s.patches.problems and not s.full.problems
            if clean and facts.patch and facts.grid:
                out.problems += check_patches(
                    s.full, s.patches, facts.patch, facts.grid, src.labeller, int(btrack.normaliser)
                )
        if not found:
            track, found = _track_spec(btrack, facts, src.label)
            out.problems += found
            if track is not None:
                out.tracks.append(track)
        out.summaries.append(_summary(btrack, facts, scans))
    return out


def linked_ground_truth(spec: Bundle, scans: dict[str, list[SplitScans]], src: Source) -> list[Problem]:
    """Test splits' ground-truth files that are inputs or training RAW under another name."""
    gt, public = [], []
    for btrack in spec.tracks:
        for split, s in zip(btrack.splits, scans[btrack.name], strict=True):
            for x in (s.patches, s.full):
                for pair in x.pairs if x else []:
                    public.append(pair.rgb)
                    (gt if split.kind == "test" else public).append(pair.target)
    return gt_files_public(gt, public, src.labeller)
