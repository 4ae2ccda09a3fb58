"""Ground truth that would go out with public files: a test split's ground truth in a public folder.

Public folders are those whose files teams receive: every split's inputs (``rgb``,
``full_rgb``) and a training split's RAW (``raw``, ``full_raw``). A test split's ground truth
(``gt``, ``full_gt``) that *is* one of them, or lies anywhere *under* one, goes out with it:
whoever is handed that folder (or an archive of it) holds the answers. So does a ground-truth
file that is a public file under another name (a hard link, or a symbolic link to it).

Folders are compared as the file system sees them: the ground-truth folder and every folder
above it (symbolic links and ``..`` resolved) are matched against the public folders by device
and inode, so a second name for a folder (a link, a bind mount, another spelling on a
case-insensitive volume) is caught as well as the same path.

A public folder *under* a ground-truth folder leaks nothing by itself (handing it out hands out
no ground truth); it is refused all the same, as ``extra_file``: a data folder holds files only.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from harness.bundles.problems import Code, Problem, problem

ADVICE = "keep ground truth in a folder of its own, outside every input and training folder"


@dataclass(frozen=True)
class Folder:
    path: Path
    role: str  # how a person finds it: "track 's7' split 'test1' (gt)"


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def gt_in_public_folders(gt: Iterable[Folder], public: Iterable[Folder], label: Callable[[Path], str]) -> list[Problem]:
    """Each ground-truth folder that is, or lies under, a public folder: one problem per pair of folders."""
    by_id: dict[tuple[int, int], list[Folder]] = defaultdict(list)
    for pub in public:
        ident = _identity(pub.path)
        if ident is not None:
            by_id[ident].append(pub)
    problems = []
    for g in gt:
        resolved = Path(os.path.realpath(g.path))
        for depth, folder in enumerate([resolved, *resolved.parents]):
            ident = _identity(folder)
            users = by_id.get(ident, []) if ident else []
            if not users:
                continue
            where = "is the folder" if depth == 0 else "lies inside the folder"
            roles = "; ".join(pub.role for pub in users)
            problems.append(
                problem(
                    label(g.path),
                    Code.GT_IN_PUBLIC_FOLDER,
                    f"the ground truth of {g.role} {where} of {roles}, {label(users[0].path)}: "
                    f"teams handed that folder would hold the ground truth; {ADVICE}",
                )
            )
    return problems


def gt_files_public(gt: Iterable[Path], public: Iterable[Path], label: Callable[[Path], str]) -> list[Problem]:
    """Each ground-truth file that is a public file under another name (same device and inode)."""
    by_id = {ident: p for p in public if (ident := _identity(p)) is not None}
    problems = []
    for g in gt:
        ident = _identity(g)
        pub = by_id.get(ident) if ident else None
        if pub is not None:
            problems.append(
                problem(
                    label(g),
                    Code.GT_IN_PUBLIC_FOLDER,
                    f"is the same file as the public file {label(pub)} (a hard or symbolic link): "
                    f"teams handed that file would hold the ground truth; {ADVICE}",
                )
            )
    return problems
