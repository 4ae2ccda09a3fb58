"""How long one model run on a split may take: the split's own ``model_wall_s``, or a default sized
from its inputs, never more than the service's cap (``HARNESS_MODEL_WALL_S``).

The default is ``WALL_BASE_S`` (loading, checks, warm-up and timing repeats, one full-resolution
image timed) plus ``WALL_PER_PATCH_S`` per patch-sized input: a full-resolution image counts as
the patches of the track's grid (48 for 6 x 8), since the run cuts it into them.
"""

from __future__ import annotations

from harness.challenge.layout import SplitLayout
from harness.challenge.spec import SplitSpec, TrackSpec

WALL_BASE_S = 120.0
WALL_PER_PATCH_S = 1.0


def patch_inputs(track: TrackSpec, files: SplitLayout) -> int:
    """Patch-sized inputs a model run predicts: the full images' grid patches, or the split's patches."""
    if files.has_full:
        rows, cols = track.grid
        return len(files.full.patch_inputs()) * rows * cols
    return len(files.patch_inputs())


def model_wall_s(track: TrackSpec, split: SplitSpec, files: SplitLayout, cap_s: float) -> float:
    """The wall-clock limit of one model run on ``split`` (seconds)."""
    wall = split.model_wall_s
    if wall is None:
        wall = WALL_BASE_S + WALL_PER_PATCH_S * patch_inputs(track, files)
    return min(wall, cap_s)
