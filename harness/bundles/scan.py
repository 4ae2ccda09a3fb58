"""Pair a split's files by name and check every one of them, all problems in one list.

Inputs (``.jpg`` / ``.jpeg`` / ``.png``) and RAW (``.npy``) pair by stem, never by position;
one folder may hold both. Each RAW is read with the header-first validator of
:mod:`harness.npyio` (never unpickled): uint16, ``(h, w, 4)``, values within the normaliser.
Each input is decoded in full (not only its header) and must be 8-bit RGB, twice its RAW's size;
before that its file size is held against its pixel count, and after it the bytes that follow its
image are counted (:mod:`~harness.bundles.rgbfile`).
The files of one set (a split's patches, or its whole images) share one size.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from harness.bundles.problems import Code, Labeller, Problem, from_npy, problem
from harness.bundles.rgbfile import TRAILING_ALLOWANCE, image_end, size_bound
from harness.challenge.layout import RGB_SUFFIXES
from harness.npyio import NpyError, read_raw

STEM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
IGNORED_NAMES = {"__MACOSX", "Thumbs.db", "desktop.ini"}
KIND_WORD = {"raw": "RAW", "gt": "ground truth"}


@dataclass(frozen=True)
class Pair:
    stem: str
    rgb: Path
    target: Path  # the RAW (train) or ground truth (test)


@dataclass
class SetScan:
    """What one set of pairs (a split's patches or its whole images) holds."""

    pairs: list[Pair] = field(default_factory=list)
    shapes: dict[str, tuple[int, int]] = field(default_factory=dict)  # stem -> RAW (h, w), valid pairs only
    extrema: dict[str, tuple[int, int]] = field(default_factory=dict)  # stem -> smallest, largest RAW value
    size: tuple[int, int] | None = None  # the set's RAW (h, w)
    lo: int | None = None  # smallest and largest RAW value
    hi: int | None = None
    problems: list[Problem] = field(default_factory=list)


def _visible(entry: os.DirEntry) -> bool:
    return not entry.name.startswith(".") and entry.name not in IGNORED_NAMES


def list_pairs(rgb_dir: Path, target_dir: Path, kind: str, label: Labeller) -> tuple[list[Pair], list[Problem]]:
    """Pair the inputs in ``rgb_dir`` with the ``.npy`` in ``target_dir`` (may be the same folder)."""
    problems: list[Problem] = []
    word = KIND_WORD[kind]
    rgbs: dict[str, Path] = {}
    targets: dict[str, Path] = {}
    same = rgb_dir == target_dir
    for folder, role in ((rgb_dir, "rgb"), (target_dir, kind)):
        if same and role == kind:
            break
        try:
            entries = sorted((e for e in os.scandir(folder) if _visible(e)), key=lambda e: e.name)
        except OSError as exc:
            return [], [problem(label(folder), Code.NOT_FOUND, f"cannot be read ({exc.strerror or exc})")]
        for entry in entries:
            path = folder / entry.name
            suffix = Path(entry.name).suffix.lower()
            stem = Path(entry.name).stem
            if entry.is_dir():
                problems.append(
                    problem(label(path), Code.EXTRA_FILE, "unexpected folder; a data folder holds files only")
                )
                continue
            if not entry.is_file():  # a dangling link, a pipe, a device: never opened
                problems.append(problem(label(path), Code.EXTRA_FILE, "is not a regular file"))
                continue
            takes_rgb = role == "rgb" and suffix in RGB_SUFFIXES
            takes_npy = (role == kind or same) and suffix == ".npy"
            if not (takes_rgb or takes_npy):
                wanted = "inputs (.jpg, .jpeg, .png)" if role == "rgb" else f"{word} (.npy)"
                if same:
                    wanted = f"inputs (.jpg, .jpeg, .png) and their {word} (.npy)"
                problems.append(problem(label(path), Code.EXTRA_FILE, f"unexpected file; this folder holds {wanted}"))
                continue
            if not STEM_RE.match(stem):
                problems.append(
                    problem(label(path), Code.BAD_NAME, "name must be letters, digits, '.', '_' or '-' (at most 200)")
                )
                continue
            into = rgbs if takes_rgb else targets
            if stem in into:
                problems.append(
                    problem(label(path), Code.DUPLICATE_NAME, f"{into[stem].name} has the same name; keep one")
                )
                continue
            into[stem] = path
    pairs = []
    for stem, rgb in rgbs.items():
        if stem in targets:
            pairs.append(Pair(stem, rgb, targets[stem]))
        else:
            where = "beside it" if same else f"in {label(target_dir)}"
            problems.append(problem(label(rgb), Code.MISSING_PAIR, f"has no {word} {stem}.npy {where}"))
    for stem, target in targets.items():
        if stem not in rgbs:
            where = "beside it" if same else f"in {label(rgb_dir)}"
            problems.append(
                problem(label(target), Code.MISSING_PAIR, f"has no input {stem}.jpg / .jpeg / .png {where}")
            )
    if not pairs and not problems:
        problems.append(problem(label(rgb_dir), Code.EMPTY_SPLIT, f"holds no input / {word} pairs"))
    return pairs, problems


def decode_rgb(path: Path) -> tuple[tuple[int, int] | None, tuple[Code, str] | None]:
    """Decode an input in full: (its (height, width), None) or (None, (code, what is wrong)).

    Its file size is held against its pixel count (from the header) before any pixel is decoded.
    """
    from PIL import Image

    try:
        on_disk = os.stat(path).st_size
        with Image.open(path) as im:  # reads the header only
            fmt, mode, (w, h) = im.format, im.mode, im.size
            if fmt not in ("JPEG", "PNG"):
                return None, (Code.BAD_IMAGE, f"is a {fmt} image; inputs must be JPEG or PNG")
            bound = size_bound(h, w)
            if on_disk > bound:
                return None, (
                    Code.INPUT_TOO_LARGE,
                    f"is {on_disk:,} bytes, more than the {bound:,} an image of {h}x{w} pixels may take "
                    "(4 bytes per pixel + 1 MiB): it holds more than its image; re-save it",
                )
            im.load()  # decode every pixel: a truncated or corrupt file fails here, not later
            if mode != "RGB":
                return None, (Code.BAD_IMAGE, f"must be 8-bit RGB, is a {fmt} in mode {mode}")
        end = image_end(path, fmt)
        if end is not None and on_disk - end > TRAILING_ALLOWANCE:
            return None, (
                Code.TRAILING_DATA,
                f"has {on_disk - end:,} bytes after the end of its {fmt} image (at most {TRAILING_ALLOWANCE:,} "
                f"are allowed); keep its first {end:,} bytes, or re-save it",
            )
        return (h, w), None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        return None, (Code.BAD_IMAGE, f"does not decode as a JPEG or PNG image ({exc})")


def _check_pair(pair: Pair, normaliser: int, label: Labeller):
    problems: list[Problem] = []
    shape = lo = hi = None
    try:
        arr = read_raw(pair.target, max_value=normaliser)
        shape, lo, hi = arr.shape[:2], int(arr.min()), int(arr.max())
    except NpyError as exc:
        problems.extend(from_npy(e, label(pair.target)) for e in exc.errors)
    size, bad = decode_rgb(pair.rgb)
    if bad:
        problems.append(problem(label(pair.rgb), *bad))
    elif shape is not None and size != (2 * shape[0], 2 * shape[1]):
        problems.append(
            problem(
                label(pair.rgb),
                Code.WRONG_SIZE,
                f"is {size[0]}x{size[1]} (rows x columns); it must be twice its RAW {pair.target.name} "
                f"({shape[0]}x{shape[1]}x4): {2 * shape[0]}x{2 * shape[1]}",
            )
        )
    return pair.stem, (shape if not problems else None), lo, hi, problems


def check_pairs(
    pairs: list[Pair],
    normaliser: int,
    label: Labeller,
    *,
    what: str = "patches",
    workers: int | None = None,
    on_file: Callable[[], None] | None = None,
) -> SetScan:
    """Check every pair (in threads: decoding and reading release the GIL); one RAW size for the set."""
    scan = SetScan(pairs=pairs)
    workers = workers or os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for stem, shape, lo, hi, problems in pool.map(lambda p: _check_pair(p, normaliser, label), pairs):
            scan.problems.extend(problems)
            if lo is not None:
                scan.extrema[stem] = (lo, hi)
                scan.lo = lo if scan.lo is None else min(scan.lo, lo)
                scan.hi = hi if scan.hi is None else max(scan.hi, hi)
            if shape is not None:
                scan.shapes[stem] = shape
            if on_file:
                on_file()
    if scan.shapes:
        counts = Counter(scan.shapes.values())
        scan.size = max(counts, key=lambda s: (counts[s], s))
        if len(counts) > 1:
            h, w = scan.size
            by_stem = {p.stem: p for p in pairs}
            for stem, (sh, sw) in scan.shapes.items():
                if (sh, sw) != scan.size:
                    scan.problems.append(
                        problem(
                            label(by_stem[stem].target),
                            Code.MIXED_SIZES,
                            f"RAW is {sh}x{sw}x4 where the split's other {what} ({counts[scan.size]}) are {h}x{w}x4; "
                            "one size per split",
                        )
                    )
    return scan
