"""Score a folder of 8-bit sRGB ``<stem>.png`` predictions against ``<stem>.png`` ground truth (profile ``srgb``).

The forward track's counterpart of :func:`harness.scoring.score_directories` (which hands PNG
profiles to :func:`score_png_directories`): files are paired by name with the same missing and
extra-file problems, each file is checked by :func:`harness.pngio.read_png` before it is decoded,
and if any problem is found nothing is scored and the report lists every problem. Each image gets
PSNR and SSIM (:mod:`harness.metrics.srgb`) and, where an LPIPS backbone is supplied, LPIPS
(:mod:`harness.metrics.lpips`); without one ``lpips`` is None and ``lpips_note`` says why.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from harness.metrics.lpips import MIN_SIDE, LpipsScorer
from harness.metrics.profiles import SRGB, MetricProfile
from harness.metrics.srgb import score_srgb_pair
from harness.npyio import ErrorCode
from harness.pairing import pair_folders
from harness.pngio import PngError, read_png
from harness.problems import Problem
from harness.report import ImageScores, ScoreReport, relabelled


def _too_small(path: Path, h: int, w: int, side: int, what: str) -> Problem:
    return Problem(
        file=str(path),
        code=ErrorCode.TOO_SMALL,
        message=f"{path.name}: {h}x{w} is too small for {what} (at least {side}x{side})",
    )


def _load_gt(path: Path, profile: MetricProfile, lpips: LpipsScorer) -> tuple[np.ndarray | None, list[Problem]]:
    try:
        gt = read_png(path)
    except PngError as exc:
        return None, exc.errors
    h, w = gt.shape[:2]
    if min(h, w) < profile.min_size:
        return None, [_too_small(path, h, w, profile.min_size, "SSIM")]
    if lpips.available and min(h, w) < MIN_SIDE:
        return None, [_too_small(path, h, w, MIN_SIDE, "LPIPS")]
    return gt, []


def score_png_directories(
    pred_dir: Path,
    gt_dir: Path,
    *,
    profile: MetricProfile = SRGB,
    lpips: LpipsScorer | None = None,
    on_image: Callable[[str], None] | None = None,
    pred_label: Callable[[str], str] | None = None,
) -> ScoreReport:
    """Validate and score every ``.png`` prediction in ``pred_dir`` against ``gt_dir``.

    ``lpips`` defaults to :meth:`LpipsScorer.from_env` (``HARNESS_LPIPS_BACKBONE``).
    ``on_image`` and ``pred_label`` as for :func:`harness.scoring.score_directories`.
    """
    pred_dir, gt_dir = Path(pred_dir), Path(gt_dir)
    scorer = lpips if lpips is not None else LpipsScorer.from_env()
    paired = pair_folders(pred_dir, gt_dir, profile.suffix)
    gt, preds, readme, warnings, errors = paired.gt, paired.preds, paired.readme, paired.warnings, paired.errors
    images: list[ImageScores] = []
    for stem in paired.stems:
        truth, problems = _load_gt(gt[stem], profile, scorer)
        try:
            # with unusable ground truth the prediction is still checked on its own
            pred = read_png(preds[stem], truth.shape if truth is not None else None)
        except PngError as exc:
            problems += exc.errors
        errors += problems
        if not errors:
            score = score_srgb_pair(truth, pred, profile)
            images.append(
                ImageScores(
                    name=stem,
                    psnr=score.psnr,
                    ssim=score.ssim,
                    identical=score.identical,
                    lpips=scorer.score(pred, truth) if scorer.available else None,
                )
            )
        if on_image:
            on_image(stem)

    errors = relabelled(errors, pred_dir, pred_label)
    note = scorer.reason
    if errors:
        return ScoreReport.refused(profile.name, errors, warnings, readme, lpips_note=note)
    lpips_mean = float(np.mean([r.lpips for r in images])) if scorer.available else None
    return ScoreReport.scored(profile.name, images, warnings, readme, lpips=lpips_mean, lpips_note=note)
