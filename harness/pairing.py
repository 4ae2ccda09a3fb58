"""Pairing a prediction folder with its ground truth, by file name alone (no data is read).

Files are paired by stem against the ground-truth set, never by position. Missing and
unexpected files are reported per file; ``readme.txt`` (any case) is picked out. Both the
offline scorer and the upload intake use these, so an upload is judged by the same rules.
``suffix`` is the file type of the metric profile: ``.npy`` (packed RAW, the default) or ``.png``
(profile ``srgb``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from harness.names import shown_name
from harness.npyio import ErrorCode
from harness.problems import Problem

README_NAME = "readme.txt"
IGNORED_NAMES = {"__MACOSX", "Thumbs.db", "desktop.ini"}


def natural_key(stem: str) -> list:
    """Sort key that puts ``img_2`` before ``img_10``."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", stem)]


def _visible(p: Path) -> bool:
    return not p.name.startswith(".") and p.name not in IGNORED_NAMES


def list_ground_truth(gt_dir: Path, suffix: str = ".npy") -> tuple[dict[str, Path], list[Problem]]:
    """Stems of the ground-truth set, in natural order."""
    if not gt_dir.is_dir():
        return {}, [
            Problem(
                file=str(gt_dir),
                code=ErrorCode.NOT_A_DIRECTORY,
                message=f"{gt_dir}: ground-truth folder does not exist",
            )
        ]
    files = sorted(
        (p for p in gt_dir.iterdir() if _visible(p) and p.suffix.lower() == suffix and p.is_file()),
        key=lambda p: natural_key(p.stem),
    )
    if not files:
        return {}, [
            Problem(file=str(gt_dir), code=ErrorCode.EMPTY_SET, message=f"{gt_dir}: no {suffix} ground-truth files")
        ]
    return {p.stem: p for p in files}, []


def pair_files(
    pred_dir: Path, gt: dict[str, Path], suffix: str = ".npy"
) -> tuple[dict[str, Path], Path | None, list[Problem]]:
    """Match prediction files to ground-truth stems; report missing and unexpected files."""
    errors: list[Problem] = []
    if not pred_dir.is_dir():
        return (
            {},
            None,
            [
                Problem(
                    file=str(pred_dir),
                    code=ErrorCode.NOT_A_DIRECTORY,
                    message=f"{pred_dir}: prediction folder does not exist",
                )
            ],
        )
    preds: dict[str, Path] = {}
    readme = None
    for p in sorted(pred_dir.iterdir(), key=lambda p: natural_key(p.name)):
        if not _visible(p):
            continue
        if p.name.lower() == README_NAME and p.is_file():
            readme = p
        elif p.is_dir():
            errors.append(
                Problem(
                    file=str(p),
                    code=ErrorCode.EXTRA_FILE,
                    message=f"{shown_name(p.name)}: unexpected folder; predictions must sit directly in {shown_name(pred_dir.name)}",
                )
            )
        elif p.suffix.lower() != suffix:
            errors.append(
                Problem(
                    file=str(p),
                    code=ErrorCode.EXTRA_FILE,
                    message=f"{shown_name(p.name)}: unexpected file; only <image>{suffix} predictions and readme.txt belong here",
                )
            )
        elif p.stem not in gt:
            errors.append(
                Problem(
                    file=str(p),
                    code=ErrorCode.EXTRA_FILE,
                    message=f"{shown_name(p.name)}: no ground-truth image is named {shown_name(p.stem)!r}",
                )
            )
        else:
            preds[p.stem] = p
    for stem in gt:
        if stem not in preds:
            errors.append(
                Problem(
                    file=str(pred_dir / f"{stem}{suffix}"),
                    code=ErrorCode.MISSING_PREDICTION,
                    message=f"{stem}{suffix}: prediction is missing",
                )
            )
    return preds, readme, errors


@dataclass
class PairedFolders:
    """A prediction folder paired with its ground truth: files by stem, the readme's facts, every problem."""

    gt: dict[str, Path]
    preds: dict[str, Path]
    readme: dict | None
    warnings: list[str]
    errors: list[Problem]

    @property
    def stems(self) -> list[str]:
        """The ground-truth stems that have a prediction, in the ground truth's order."""
        return [s for s in self.gt if s in self.preds]


def pair_folders(pred_dir: Path, gt_dir: Path, suffix: str = ".npy") -> PairedFolders:
    """List the ground truth, pair the predictions with it by name and read ``readme.txt`` (no data read)."""
    from harness.readme import parse_readme

    gt, errors = list_ground_truth(Path(gt_dir), suffix)
    preds, readme_path, pair_errors = pair_files(Path(pred_dir), gt, suffix) if gt else ({}, None, [])
    readme, warnings = None, []
    if readme_path is not None:
        parsed = parse_readme(readme_path.read_bytes())
        readme, warnings = parsed.info.model_dump(), parsed.warnings
    return PairedFolders(gt, preds, readme, warnings, errors + pair_errors)
