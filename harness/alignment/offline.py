"""``harness score --align``: transforms estimated from each prediction to its ground truth.

Offline there is no split manifest, so each prediction's mean packed channel is aligned to its
ground truth's (same recipe and threshold as the reference transforms). Files that cannot be read
are skipped here; the scoring pass that follows reports them.
"""

from __future__ import annotations

from pathlib import Path

from harness.alignment.estimate import Motion, Transform, estimate_transform
from harness.alignment.manifest import CC_THRESHOLD, AlignPlan, plan_from
from harness.alignment.planes import raw_plane
from harness.metrics import AIM22, MetricProfile
from harness.npyio import NpyError, read_raw
from harness.pairing import list_ground_truth, pair_files


def estimate_predictions(
    pred_dir: Path,
    gt_dir: Path,
    *,
    motion: Motion | str = Motion.AFFINE,
    threshold: float = CC_THRESHOLD,
    profile: MetricProfile = AIM22,
) -> AlignPlan:
    """One transform per readable (prediction, ground truth) pair: ground truth -> prediction."""
    motion = Motion(motion)
    gt, _ = list_ground_truth(Path(gt_dir))
    preds, _readme, _errors = pair_files(Path(pred_dir), gt) if gt else ({}, None, [])
    transforms: dict[str, Transform] = {}
    for stem, gt_path in gt.items():
        if stem not in preds:
            continue
        try:
            g = read_raw(gt_path, channels=profile.channels, max_value=profile.max_value)
            p = read_raw(preds[stem], g.shape, channels=profile.channels, max_value=profile.max_value)
        except (NpyError, ValueError, TypeError, OverflowError, MemoryError):
            continue
        if min(g.shape[:2]) < profile.min_size:
            continue
        transforms[stem] = estimate_transform(raw_plane(g), raw_plane(p), motion)
    return plan_from(transforms, threshold=threshold, motion=motion, source="prediction")
