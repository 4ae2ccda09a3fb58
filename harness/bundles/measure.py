"""A track's numbers as its data show them: patch size, full-resolution grid, black and white level.

Where ``challenge.toml`` states a number, the data must agree with it; where it does not, the
number is taken from the data (the black level from the smallest RAW value, the white level
from the largest: both are noted, since noise and unclipped highlights move them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.bundles.problems import Code, Labeller, Problem, problem
from harness.bundles.scan import SetScan
from harness.challenge.grid import grid_of


@dataclass
class SplitScans:
    name: str
    patches: SetScan | None  # the patch pairs (None: a full-resolution split without given patches)
    full: SetScan | None  # the whole images of a full-resolution split
    patch_folder: Path | None = None  # where the patches' RAW came from (named in problems)
    full_folder: Path | None = None


@dataclass
class TrackFacts:
    patch: int | None = None
    grid: tuple[int, int] | None = None
    black: float | None = None
    white: float | None = None
    lo: int | None = None  # smallest and largest RAW value of the track
    hi: int | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _fmt(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def measure_track(
    track: str,
    splits: list[SplitScans],
    label: Labeller,
    spec_label: str,
    *,
    patch: int | None = None,
    grid: tuple[int, int] | None = None,
    black: float | None = None,
    white: float | None = None,
) -> tuple[TrackFacts, list[Problem]]:
    """The track's numbers (declared ones checked against the data) and every disagreement."""
    facts = TrackFacts(patch=patch, grid=tuple(grid) if grid else None, black=black, white=white)
    problems: list[Problem] = []
    first: tuple[str, tuple[int, int]] | None = None
    for s in splits:
        if s.patches is None or s.patches.size is None:
            continue
        where = label(s.patch_folder) if s.patch_folder else spec_label
        size = s.patches.size
        if size[0] != size[1]:
            problems.append(problem(where, Code.WRONG_SIZE, f"patches are {_fmt(size)}x4; patches must be square"))
            continue
        if patch is not None and size[0] != patch:
            problems.append(
                problem(where, Code.WRONG_SIZE, f"patches are {_fmt(size)}x4 where {spec_label} says patch = {patch}")
            )
        elif first is not None and size != first[1]:
            problems.append(
                problem(
                    where,
                    Code.MIXED_SIZES,
                    f"patches are {_fmt(size)}x4 where split {first[0]}'s are {_fmt(first[1])}x4; a track has one patch size",
                )
            )
        elif first is None:
            first = (s.name, size)
    if facts.patch is None and first is not None:
        facts.patch = first[1][0]
    if facts.patch is None:
        if not problems:
            problems.append(
                problem(spec_label, Code.BAD_VALUE, f"track {track!r}: no split has patches to measure; give patch = N")
            )
        return facts, problems
    full_first: tuple[str, tuple[int, int]] | None = None
    for s in splits:
        if s.full is None or s.full.size is None:
            continue
        where = label(s.full_folder) if s.full_folder else spec_label
        size = s.full.size
        found = grid_of(size, facts.patch)
        if found is None:
            problems.append(
                problem(
                    where,
                    Code.GRID,
                    f"whole images are {_fmt(size)}x4: not a grid of {facts.patch}x{facts.patch} patches",
                )
            )
        elif full_first is not None and size != full_first[1]:
            problems.append(
                problem(
                    where,
                    Code.MIXED_SIZES,
                    f"whole images are {_fmt(size)}x4 where split {full_first[0]}'s are {_fmt(full_first[1])}x4",
                )
            )
        elif facts.grid is not None and found != facts.grid:
            problems.append(
                problem(
                    where,
                    Code.GRID,
                    f"whole images make a {_fmt(found)} grid where {spec_label} says grid = {list(facts.grid)}",
                )
            )
        else:
            full_first = full_first or (s.name, size)
            facts.grid = found
    _levels(track, splits, facts, problems, label, spec_label)
    return facts, problems


def _levels(track, splits, facts: TrackFacts, problems: list[Problem], label: Labeller, spec_label: str) -> None:
    sets = [
        (s, x, f) for s in splits for x, f in ((s.patches, s.patch_folder), (s.full, s.full_folder)) if x is not None
    ]
    los = [x.lo for _, x, _ in sets if x.lo is not None]
    his = [x.hi for _, x, _ in sets if x.hi is not None]
    if not los:
        return
    facts.lo, facts.hi = min(los), max(his)
    if facts.white is None:
        facts.white = float(facts.hi)
        facts.notes.append(f"track {track}: white level {facts.hi} taken from the data (its largest RAW value)")
    if facts.black is None:
        facts.black = float(facts.lo)
        facts.notes.append(f"track {track}: black level {facts.lo} taken from the data (its smallest RAW value)")
    for _split, x, folder in sets:
        where = label(folder) if folder else spec_label
        over = sorted(stem for stem, (_, hi) in x.extrema.items() if hi > facts.white)
        if over:
            shown = ", ".join(f"{stem}.npy" for stem in over[:5]) + (", ..." if len(over) > 5 else "")
            problems.append(
                problem(
                    where,
                    Code.LEVELS,
                    f"{len(over)} file(s) hold values above the white level {facts.white:g} that {spec_label} "
                    f"gives track {track!r} (largest {x.hi}): {shown}",
                )
            )
        under = [stem for stem, (lo, _) in x.extrema.items() if lo < facts.black]
        if under:
            facts.warnings.append(
                f"{where}: {len(under)} file(s) of track {track} go below its black level {facts.black:g} "
                f"(smallest {x.lo}): sensor noise around the black level, or a wrong level"
            )
    if facts.white <= facts.black:
        problems.append(
            problem(
                spec_label,
                Code.LEVELS,
                f"track {track!r}: white level {facts.white:g} must exceed black {facts.black:g}",
            )
        )
