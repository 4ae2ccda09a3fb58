"""Score a directory of predictions against a directory of ground truth, in one pass.

Files are paired by name (:mod:`harness.pairing`). Each prediction and each ground truth is
checked (header first, never unpickled) and read exactly once; the same in-memory arrays give
PSNR and SSIM and, when the split's RGB inputs are given, the region metrics
(:mod:`harness.analysis.regions`). If any problem is found nothing is scored and the report
lists every problem, one entry per file and problem.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from harness.analysis.regions import RegionScores, overexposure_mask, region_scores
from harness.metrics import AIM22, MetricProfile
from harness.metrics.engine import PairScore, PendingScore, default_workers
from harness.names import shown_name
from harness.npyio import ErrorCode, NpyError, read_raw
from harness.pairing import README_NAME, list_ground_truth, natural_key, pair_files, pair_folders
from harness.problems import Problem
from harness.report import AlignmentSummary, ImageScores, ScoreReport, relabelled

__all__ = [
    "README_NAME",
    "AlignmentSummary",
    "ImageScores",
    "ScoreReport",
    "list_ground_truth",
    "natural_key",
    "pair_files",
    "score_directories",
]

if TYPE_CHECKING:
    from harness.alignment.manifest import AlignPlan
    from harness.metrics.lpips import LpipsScorer

RgbLookup = Callable[[str], Path | None]  # image name -> its RGB input, None where there is none


@dataclass
class _Loaded:
    """One image read and checked: arrays (None where unusable), overexposure mask, problems."""

    gt: np.ndarray | None
    pred: np.ndarray | None
    mask: np.ndarray | None
    errors: list[Problem]


def _load_pair(gt_path: Path, pred_path: Path, profile: MetricProfile, rgb_path: Path | None) -> _Loaded:
    errors: list[Problem] = []
    gt = pred = mask = None
    try:
        gt = read_raw(gt_path, channels=profile.channels, max_value=profile.max_value)
        h, w = gt.shape[:2]
        if min(h, w) < profile.min_size:
            errors.append(
                Problem(
                    file=str(gt_path),
                    code=ErrorCode.TOO_SMALL,
                    message=f"{gt_path.name}: {h}x{w} is too small for SSIM (at least {profile.min_size}x{profile.min_size})",
                )
            )
            gt = None
    except NpyError as exc:
        errors.extend(exc.errors)
    try:
        # with unusable ground truth the prediction is still checked on its own
        expected = gt.shape if gt is not None else None
        pred = read_raw(pred_path, expected, channels=profile.channels, max_value=profile.max_value)
    except NpyError as exc:
        errors.extend(exc.errors)
    except (ValueError, TypeError, OverflowError, MemoryError) as exc:
        # a header numpy parses that the checks above did not foresee: the file's fault, reported
        # as such, never an infrastructure failure to retry
        errors.append(
            Problem(
                file=str(pred_path),
                code=ErrorCode.UNREADABLE,
                message=f"{shown_name(pred_path.name)}: cannot be read as a .npy array ({type(exc).__name__}: {exc})",
            )
        )
    if not errors and rgb_path is not None:
        from harness.rgbio import read_rgb  # PIL: only where regions are asked for

        mask = overexposure_mask(read_rgb(rgb_path))
        if mask.shape != gt.shape[:2]:
            mask = None  # an input that is not twice the RAW size (misaligned data): no regions
    return _Loaded(gt, pred, mask, errors)


def _regions_of(score: PairScore, region: Future | bool | None) -> RegionScores | None:
    """The region metrics of an image: computed (a future), trivial (no overexposure), or none."""
    if isinstance(region, Future):
        return region.result()
    if region is False:  # the rest is the whole image: its scores are the official ones
        return RegionScores(oe_fraction=0.0, psnr_oe=None, ssim_oe=None, psnr_rest=score.psnr, ssim_rest=score.ssim)
    return None


def score_directories(
    pred_dir: Path,
    gt_dir: Path,
    *,
    profile: MetricProfile = AIM22,
    workers: int | None = None,
    on_image: Callable[[str], None] | None = None,
    regions: RgbLookup | None = None,
    pred_label: Callable[[str], str] | None = None,
    align: AlignPlan | None = None,
    lpips: LpipsScorer | None = None,
) -> ScoreReport:
    """Validate and score every prediction in ``pred_dir`` against ``gt_dir``.

    ``regions`` (e.g. ``SplitLayout.rgb_of``) finds an image's RGB input: each image that has
    one also gets its region metrics (``ImageScores.regions``), computed from the arrays
    already in memory; the input is read for the overexposure mask, and the restricted SSIM is
    only computed where the mask is not empty. ``pred_label(file_name)`` names prediction
    files in errors (default: their path), e.g. as they were called inside an upload.
    ``on_image`` is called once per image when it is done (for progress bars). Images are
    loaded ahead on a small thread pool while earlier ones are being scored.

    ``align`` adds the alignment diagnostics: each included image's prediction is warped by its
    transform (``harness.alignment.warp``), both cropped by the plan's margin, and scored by the
    same engine as the official figures.

    A profile of ``.png`` files (``srgb``, the forward track) is scored by
    :func:`harness.scoring_png.score_png_directories`: 8-bit RGB PNGs, PSNR/SSIM of that profile
    and LPIPS with ``lpips`` (default: ``HARNESS_LPIPS_BACKBONE``); ``regions`` and ``align``,
    both defined on packed RAW, are not used there.
    """
    if profile.suffix == ".png":
        from harness.scoring_png import score_png_directories

        return score_png_directories(
            pred_dir, gt_dir, profile=profile, lpips=lpips, on_image=on_image, pred_label=pred_label
        )
    pred_dir, gt_dir = Path(pred_dir), Path(gt_dir)
    paired = pair_folders(pred_dir, gt_dir, profile.suffix)
    gt, preds, readme, warnings, errors = paired.gt, paired.preds, paired.readme, paired.warnings, paired.errors
    stems = paired.stems
    results: dict[str, ImageScores] = {}
    n_workers = max(1, workers or default_workers())
    window = 2 * n_workers + 2
    with ExitStack() as stack:
        loader = stack.enter_context(ThreadPoolExecutor(2, thread_name_prefix="load"))
        loads: deque[tuple[str, Future]] = deque()
        pending: deque[tuple[str, PendingScore, Future | bool | None, PendingScore | None]] = deque()
        it = iter(stems)

        def refill() -> None:
            while len(loads) < window:
                stem = next(it, None)
                if stem is None:
                    return
                rgb = regions(stem) if regions is not None else None
                loads.append((stem, loader.submit(_load_pair, gt[stem], preds[stem], profile, rgb)))

        refill()  # the first images are read while the engine (numba) loads
        from harness.metrics.engine import ScoringEngine

        engine = stack.enter_context(ScoringEngine(profile, n_workers))
        region_pool = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="regions")) if regions else None

        def drain(limit: int) -> None:
            while len(pending) > limit:
                stem, handle, region, aligned = pending.popleft()
                score = handle.result()
                results[stem] = ImageScores(
                    name=stem,
                    psnr=score.psnr,
                    ssim=score.ssim,
                    identical=score.identical,
                    regions=_regions_of(score, region),
                    **_aligned_fields(align, stem, aligned),
                )
                if on_image:
                    on_image(stem)

        while loads:
            stem, fut = loads.popleft()
            refill()
            loaded: _Loaded = fut.result()
            errors += loaded.errors
            if errors:
                # once anything is wrong nothing will be scored: keep validating, skip the maths
                if on_image:
                    on_image(stem)
                continue
            region: Future | bool | None = None
            if loaded.mask is not None:
                region = (
                    region_pool.submit(region_scores, loaded.gt, loaded.pred, loaded.mask, profile)
                    if loaded.mask.any()
                    else False
                )
            aligned = None
            h, w = loaded.gt.shape[:2]
            if align is not None and stem in align.included and min(h, w) - 2 * align.margin >= profile.min_size:
                from harness.alignment.warp import crop, warp_raw

                warped = warp_raw(loaded.pred, align.transforms[stem], profile.max_value)
                aligned = engine.submit(crop(loaded.gt, align.margin), crop(warped, align.margin))
            pending.append((stem, engine.submit(loaded.gt, loaded.pred), region, aligned))
            drain(window)
        drain(0)

    errors = relabelled(errors, pred_dir, pred_label)
    if errors:
        return ScoreReport.refused(profile.name, errors, warnings, readme)
    images = [results[s] for s in stems]
    summary = aligned_psnr = aligned_ssim = None
    if align is not None:
        counted = [r for r in images if r.aligned_psnr is not None]
        if counted:
            aligned_psnr = float(np.mean([r.aligned_psnr for r in counted]))
            aligned_ssim = float(np.mean([r.aligned_ssim for r in counted]))
        summary = AlignmentSummary(
            source=align.source,
            motion=str(align.motion),
            threshold=align.threshold,
            crop=align.margin,
            n_images=len(counted),
            excluded=[s for s in stems if s in align.transforms and s not in align.included],
            manifest_sha256=align.manifest_sha256,
        )
    return ScoreReport.scored(
        profile.name, images, warnings, readme, aligned_psnr=aligned_psnr, aligned_ssim=aligned_ssim, alignment=summary
    )


def _aligned_fields(align: AlignPlan | None, stem: str, aligned: PendingScore | None) -> dict:
    if align is None or stem not in align.transforms:
        return {}
    t = align.transforms[stem]
    fields = {"shift": t.shift, "scale": t.scale, "cc": t.cc}
    if aligned is not None:
        score = aligned.result()
        fields |= {"aligned_psnr": score.psnr, "aligned_ssim": score.ssim}
    return fields
