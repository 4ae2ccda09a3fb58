"""Where a bundle's files are: its ``challenge.toml`` and the folder each split names.

A folder bundle's folders are relative to the folder holding ``challenge.toml`` or absolute
(ground truth usually sits in the organiser's own folder). A zipped bundle is self-contained:
a folder that is absolute or climbs out of the bundle is an error, and only the named folders
are extracted (into a staging folder the caller owns and removes).
"""

from __future__ import annotations

import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from harness.bundles.bundle import Bundle, BundleSplit
from harness.bundles.exposure import Folder, gt_in_public_folders
from harness.bundles.problems import Code, Labeller, Problem, problem
from harness.bundles.zipbundle import ZipBundle, open_zip_bundle
from harness.challenge.spec import FILENAME

Key = tuple[str, str, str]  # track, split, folder key


@dataclass
class Source:
    """An opened bundle: its spec text, how to name its files, and its resolved folders."""

    path: Path
    label: str  # how problems name challenge.toml
    text: bytes
    default_name: str
    base: Path | None = None  # folder bundle: the folder of challenge.toml
    zipped: ZipBundle | None = None
    labeller: Labeller | None = None
    folders: dict[Key, Path] = field(default_factory=dict)


def open_source(bundle: Path, free_bytes: int | None = None) -> tuple[Source | None, list[Problem]]:
    """Open a bundle folder (or a ``challenge.toml`` in it) or a zipped bundle, reading only its spec."""
    bundle = Path(bundle)
    if bundle.is_file() and bundle.name == FILENAME:
        bundle = bundle.parent
    if bundle.is_dir():
        spec = bundle / FILENAME
        if not spec.is_file():
            return None, [problem(str(bundle), Code.NOT_FOUND, f"holds no {FILENAME}")]
        base = bundle.resolve()
        return Source(bundle, FILENAME, spec.read_bytes(), base.name, base=base, labeller=Labeller(base)), []
    if bundle.is_file() and zipfile.is_zipfile(bundle):
        zb, problems = open_zip_bundle(bundle, free_bytes)
        if zb is None:
            return None, problems
        name = Path(zb.base).name if zb.base else bundle.stem
        return Source(bundle, zb.label, zb.read_spec(), name, zipped=zb), []
    if bundle.exists():
        return None, [
            problem(str(bundle), Code.BAD_ARCHIVE, f"is neither a folder holding {FILENAME} nor a zip of one")
        ]
    return None, [problem(str(bundle), Code.NOT_FOUND, "does not exist")]


def _where(track: str, split: BundleSplit, key: str) -> str:
    return f"track {track!r}, split {split.name!r}: {key} = {getattr(split, key)!r}"


def resolve_folders(src: Source, spec: Bundle, stage: Path | None = None, on_file=None) -> list[Problem]:
    """Resolve every folder the spec names into ``src.folders``; a zipped bundle is extracted below ``stage``.

    A folder that is missing (or leaves a zipped bundle) is a problem; the others are resolved all the same.
    """
    problems: list[Problem] = []
    inside: dict[Key, str] = {}
    for track in spec.tracks:
        for split in track.splits:
            for key, value in split.folders().items():
                k = (track.name, split.name, key)
                if src.zipped is None:
                    path = Path(value).expanduser()
                    path = (path if path.is_absolute() else src.base / path).resolve()
                    if not path.is_dir():
                        problems.append(
                            problem(
                                src.label, Code.NOT_FOUND, f"{_where(track.name, split, key)}: no such folder ({path})"
                            )
                        )
                    src.folders[k] = path
                    continue
                found = src.zipped.folder(value)
                if found is None:
                    problems.append(
                        problem(
                            src.label,
                            Code.UNSAFE_PATH,
                            f"{_where(track.name, split, key)} leaves the zipped bundle; "
                            "a zipped bundle holds all its data",
                        )
                    )
                    continue
                inside[k] = found
    if src.zipped is None:
        return problems
    assert stage is not None
    names = {m.filename for m in src.zipped.members}
    for k, folder in list(inside.items()):
        if not any(n.startswith(folder + "/" if folder else "") for n in names):
            message = f"track {k[0]!r}, split {k[1]!r}: {k[2]} = {folder!r} is not in the zip"
            problems.append(problem(src.label, Code.NOT_FOUND, message))
            del inside[k]
    # the folders that are there are extracted and checked even when others are wrong: one report
    problems.extend(src.zipped.extract(sorted(set(inside.values())), stage, on_file=on_file))
    for k, folder in inside.items():
        src.folders[k] = (stage / folder).resolve()
    base = (stage / src.zipped.base).resolve() if src.zipped.base else stage.resolve()
    src.labeller = Labeller(base, f"{src.path.name}:{src.zipped.base + '/' if src.zipped.base else ''}")
    return problems


def shared_folders(src: Source, spec: Bundle) -> list[Problem]:
    """Each split reads its own folders: inputs and RAW may share one, whole images another."""
    users: dict[Path, list[Key]] = defaultdict(list)
    for k, path in src.folders.items():
        users[path].append(k)
    problems = []
    for path, keys in users.items():
        splits = sorted({(t, s) for t, s, _ in keys})
        roles = {key.removeprefix("full_") for _, _, key in keys}
        fulls = {key.startswith("full_") for _, _, key in keys}
        if len(splits) == 1 and len(keys) == len(roles) and len(fulls) == 1:
            continue  # one split's inputs and RAW side by side
        named = "; ".join(f"track {t!r} split {s!r} ({key})" for t, s, key in sorted(keys))
        if len(splits) > 1 and any(key.endswith(("gt", "raw")) for _, _, key in keys):
            what = "two splits cannot share their ground truth / RAW"
        elif len(splits) > 1:
            what = "two splits cannot share a folder"
        else:
            what = "patches and whole images need folders of their own"
        problems.append(
            problem(
                src.labeller(path) if src.labeller else str(path), Code.SHARED_FOLDER, f"is named by {named}: {what}"
            )
        )
    return problems


def gt_in_public(src: Source, spec: Bundle) -> list[Problem]:
    """A test split's ground-truth folder that is, or lies under, any split's input or training folder."""
    gt: list[Folder] = []
    public: list[Folder] = []
    for track in spec.tracks:
        for split in track.splits:
            for key in split.folders():
                path = src.folders.get((track.name, split.name, key))
                if path is not None:
                    folder = Folder(path, f"track {track.name!r} split {split.name!r} ({key})")
                    (gt if key in ("gt", "full_gt") else public).append(folder)
    return gt_in_public_folders(gt, public, src.labeller or str)
