"""Score a directory of predictions against a directory of ground truth.

Files are paired by stem against the ground-truth set, never by position. Every file is
validated (header first, never unpickled); if any problem is found nothing is scored and the
report lists every problem, one entry per file and problem.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from harness import __version__
from harness.metrics import AIM22, MetricProfile, ScoringEngine
from harness.npyio import ErrorCode, FileError, NpyError, read_header, read_raw

README_NAME = "readme.txt"
IGNORED_NAMES = {"__MACOSX", "Thumbs.db", "desktop.ini"}


class ImageResult(BaseModel):
    name: str
    psnr: float
    ssim: float
    identical: bool = False


class ScoreReport(BaseModel):
    """The outcome of scoring a prediction set (the ``--json`` document)."""

    profile: str
    n_images: int
    psnr: float | None
    ssim: float | None
    images: list[ImageResult]
    errors: list[FileError]
    warnings: list[str] = []
    readme: dict | None = None
    harness_version: str = __version__

    @property
    def ok(self) -> bool:
        return not self.errors


def natural_key(stem: str) -> list:
    """Sort key that puts ``img_2`` before ``img_10``."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", stem)]


def _visible(p: Path) -> bool:
    return not p.name.startswith(".") and p.name not in IGNORED_NAMES


def list_ground_truth(gt_dir: Path) -> tuple[dict[str, Path], list[FileError]]:
    """Stems of the ground-truth set, in natural order."""
    if not gt_dir.is_dir():
        return {}, [
            FileError(
                file=str(gt_dir),
                code=ErrorCode.NOT_A_DIRECTORY,
                message=f"{gt_dir}: ground-truth folder does not exist",
            )
        ]
    files = sorted(
        (p for p in gt_dir.iterdir() if _visible(p) and p.suffix.lower() == ".npy" and p.is_file()),
        key=lambda p: natural_key(p.stem),
    )
    if not files:
        return {}, [
            FileError(file=str(gt_dir), code=ErrorCode.EMPTY_SET, message=f"{gt_dir}: no .npy ground-truth files")
        ]
    return {p.stem: p for p in files}, []


def pair_files(pred_dir: Path, gt: dict[str, Path]) -> tuple[dict[str, Path], Path | None, list[FileError]]:
    """Match prediction files to ground-truth stems; report missing and unexpected files."""
    errors: list[FileError] = []
    if not pred_dir.is_dir():
        return (
            {},
            None,
            [
                FileError(
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
                FileError(
                    file=str(p),
                    code=ErrorCode.EXTRA_FILE,
                    message=f"{p.name}: unexpected folder; predictions must sit directly in {pred_dir.name}",
                )
            )
        elif p.suffix.lower() != ".npy":
            errors.append(
                FileError(
                    file=str(p),
                    code=ErrorCode.EXTRA_FILE,
                    message=f"{p.name}: unexpected file; only <image>.npy predictions and readme.txt belong here",
                )
            )
        elif p.stem not in gt:
            errors.append(
                FileError(
                    file=str(p),
                    code=ErrorCode.EXTRA_FILE,
                    message=f"{p.name}: no ground-truth image is named {p.stem!r}",
                )
            )
        else:
            preds[p.stem] = p
    for stem in gt:
        if stem not in preds:
            errors.append(
                FileError(
                    file=str(pred_dir / f"{stem}.npy"),
                    code=ErrorCode.MISSING_PREDICTION,
                    message=f"{stem}.npy: prediction is missing",
                )
            )
    return preds, readme, errors


def _load_pair(
    gt_path: Path, pred_path: Path, profile: MetricProfile
) -> tuple[np.ndarray | None, np.ndarray | None, list[FileError]]:
    errors: list[FileError] = []
    gt = pred = None
    try:
        gt = read_raw(gt_path, channels=profile.channels, max_value=profile.max_value)
        h, w = gt.shape[:2]
        if min(h, w) < profile.min_size:
            errors.append(
                FileError(
                    file=str(gt_path),
                    code=ErrorCode.TOO_SMALL,
                    message=f"{gt_path.name}: {h}x{w} is too small for SSIM (at least {profile.min_size}x{profile.min_size})",
                )
            )
            gt = None
    except NpyError as exc:
        errors.extend(exc.errors)
    try:
        expected = gt.shape if gt is not None else None
        if expected is None:
            read_header(pred_path)
            # the ground truth is unusable: still check the prediction on its own
            read_raw(pred_path, channels=profile.channels, max_value=profile.max_value)
        else:
            pred = read_raw(pred_path, expected, channels=profile.channels, max_value=profile.max_value)
    except NpyError as exc:
        errors.extend(exc.errors)
    return gt, pred, errors


def validate_directories(pred_dir: Path, gt_dir: Path, *, profile: MetricProfile = AIM22) -> list[FileError]:
    """Every problem of a prediction folder, without scoring: pairing, then each file in full.

    Ground truth is checked by header only (its shape is what predictions must match).
    """
    pred_dir, gt_dir = Path(pred_dir), Path(gt_dir)
    gt, errors = list_ground_truth(gt_dir)
    if errors:
        return errors
    preds, _readme, errors = pair_files(pred_dir, gt)
    for stem, path in preds.items():
        try:
            shape = read_header(gt[stem]).shape
        except NpyError as exc:
            errors.extend(exc.errors)
            continue
        try:
            read_raw(path, shape, channels=profile.channels, max_value=profile.max_value)
        except NpyError as exc:
            errors.extend(exc.errors)
    return errors


def score_directories(
    pred_dir: Path,
    gt_dir: Path,
    *,
    profile: MetricProfile = AIM22,
    workers: int | None = None,
    on_image: Callable[[str], None] | None = None,
) -> ScoreReport:
    """Validate and score every prediction in ``pred_dir`` against ``gt_dir``.

    ``on_image`` is called once per image when it is done (for progress bars). Images are
    loaded ahead on a small thread pool while earlier ones are being scored.
    """
    pred_dir, gt_dir = Path(pred_dir), Path(gt_dir)
    gt, errors = list_ground_truth(gt_dir)
    preds, readme_path, pair_errors = pair_files(pred_dir, gt) if gt else ({}, None, [])
    errors += pair_errors
    warnings: list[str] = []
    readme = None
    if readme_path is not None:
        from submissions.readme import parse_readme  # lazy: harness never imports submissions at import time

        parsed = parse_readme(readme_path.read_bytes())
        readme = parsed.info.model_dump()
        warnings += parsed.warnings

    stems = [s for s in gt if s in preds]
    results: dict[str, ImageResult] = {}
    with ScoringEngine(profile, workers) as engine, ThreadPoolExecutor(2, thread_name_prefix="load") as loader:
        window = 2 * engine.workers + 2
        loads: deque[tuple[str, Future]] = deque()
        pending: deque[tuple[str, object]] = deque()
        it = iter(stems)

        def refill() -> None:
            while len(loads) < window:
                stem = next(it, None)
                if stem is None:
                    return
                loads.append((stem, loader.submit(_load_pair, gt[stem], preds[stem], profile)))

        def drain(limit: int) -> None:
            while len(pending) > limit:
                stem, handle = pending.popleft()
                score = handle.result()
                results[stem] = ImageResult(name=stem, psnr=score.psnr, ssim=score.ssim, identical=score.identical)
                if on_image:
                    on_image(stem)

        refill()
        while loads:
            stem, fut = loads.popleft()
            refill()
            g, p, errs = fut.result()
            if errs:
                errors += errs
            if errs or errors:
                # once anything is wrong nothing will be scored: keep validating, skip the maths
                if on_image:
                    on_image(stem)
                continue
            pending.append((stem, engine.submit(g, p)))
            drain(window)
        drain(0)

    if errors:
        return ScoreReport(
            profile=profile.name,
            n_images=0,
            psnr=None,
            ssim=None,
            images=[],
            errors=errors,
            warnings=warnings,
            readme=readme,
        )
    images = [results[s] for s in stems]
    return ScoreReport(
        profile=profile.name,
        n_images=len(images),
        psnr=float(np.mean([r.psnr for r in images])),
        ssim=float(np.mean([r.ssim for r in images])),
        images=images,
        errors=[],
        warnings=warnings,
        readme=readme,
    )
