"""A split's reference alignment: one transform per test image, made once from the split's own files.

For each ground-truth image the transform from the ground truth's mean packed channel to the
linear luminance of its RGB input (``harness.alignment.planes``) is estimated
(``harness.alignment.estimate``): a translation on an aligned track, an affine map on a
misaligned one. It depends on the challenge's files alone, never on a submission, so no
prediction can steer it. Images whose correlation is below ``CC_THRESHOLD`` are listed as
excluded and left out of the aligned figures. The manifest is JSON at the split's
``alignment.json`` with its sha256 in ``alignment.json.sha256``; a manifest whose bytes no longer
match is refused with an error naming the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from harness.alignment.estimate import Motion, Transform, estimate_transform
from harness.alignment.warp import covered_margin
from harness.challenge.layout import SplitLayout
from harness.hashing import file_sha256, read_sidecar, sidecar_path, write_sidecar

CC_THRESHOLD = 0.9  # an image whose alignment correlates less is left out of the aligned figures
VERSION = 1
RECIPE = (
    "template: ground truth, mean of the 4 packed channels; moving: RGB input / 255, inverse sRGB "
    "transfer, Rec. 709 luminance, mean of each 2x2 cell; phase correlation (1/10 px), OpenCV ECC "
    "(Gaussian 3), float64 Gauss-Newton polish with cubic-spline sampling"
)


class ImageAlignment(BaseModel):
    name: str
    transform: Transform
    included: bool


class AlignmentManifest(BaseModel):
    """The reference transforms of one split (the ``alignment.json`` document)."""

    version: int = VERSION
    motion: Motion
    threshold: float
    margin: int  # the central crop every included warp covers, in packed pixels per side
    recipe: str = RECIPE
    images: list[ImageAlignment]

    @property
    def excluded(self) -> list[str]:
        return [i.name for i in self.images if not i.included]


@dataclass(frozen=True)
class AlignPlan:
    """What scoring needs: a transform per image, which images count, and the common crop."""

    transforms: dict[str, Transform]
    included: frozenset[str]
    margin: int
    threshold: float
    motion: Motion
    source: str  # "reference" (a split's manifest) or "prediction" (estimated from each prediction)
    manifest_sha256: str | None = None

    @property
    def excluded(self) -> list[str]:
        return sorted(set(self.transforms) - self.included)


def is_included(transform: Transform, threshold: float) -> bool:
    return transform.cc is not None and transform.cc >= threshold


def common_margin(transforms: list[Transform]) -> int:
    """The largest covered margin of ``transforms`` (0 for none)."""
    return max((covered_margin(t) for t in transforms), default=0)


def plan_from(
    transforms: dict[str, Transform], *, threshold: float, motion: Motion, source: str, sha256: str | None = None
) -> AlignPlan:
    included = frozenset(n for n, t in transforms.items() if is_included(t, threshold))
    margin = common_margin([transforms[n] for n in included])
    return AlignPlan(transforms, included, margin, threshold, motion, source, sha256)


def align_split(where: SplitLayout, motion: Motion | str, threshold: float = CC_THRESHOLD) -> AlignmentManifest:
    """Estimate the reference transform of every ground-truth image of a split."""
    import numpy as np

    from harness.alignment.planes import input_plane, raw_plane
    from harness.rgbio import read_rgb

    motion = Motion(motion)
    images = []
    for gt_path in where.gt_files():
        rgb_path = where.rgb_of(gt_path.stem)
        if rgb_path is None:
            raise ValueError(f"{gt_path.name}: no RGB input beside it under {where.rgb}")
        gt = np.load(gt_path, allow_pickle=False)
        rgb = read_rgb(rgb_path)
        if rgb.shape[:2] != (2 * gt.shape[0], 2 * gt.shape[1]):
            raise ValueError(
                f"{rgb_path.name}: input is {rgb.shape[0]}x{rgb.shape[1]}, expected twice its ground truth "
                f"({2 * gt.shape[0]}x{2 * gt.shape[1]})"
            )
        t = estimate_transform(raw_plane(gt), input_plane(rgb), motion)
        images.append(ImageAlignment(name=gt_path.stem, transform=t, included=is_included(t, threshold)))
    margin = common_margin([i.transform for i in images if i.included])
    return AlignmentManifest(motion=motion, threshold=threshold, margin=margin, images=images)


def manifest_path(where: SplitLayout) -> Path:
    return where.alignment


def write_manifest(where: SplitLayout, manifest: AlignmentManifest) -> Path:
    """Write ``alignment.json`` and its ``.sha256`` sidecar; returns the JSON's path."""
    path = manifest_path(where)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest.model_dump(mode="json"), indent=1, sort_keys=True) + "\n")
    write_sidecar(path)
    return path


def read_manifest(where: SplitLayout) -> tuple[AlignmentManifest, str] | None:
    """The split's manifest and its sha256, None when it has none; ``ValueError`` naming the file
    when it does not match its sidecar or cannot be read."""
    path = manifest_path(where)
    if not path.is_file():
        return None
    digest = file_sha256(path)
    recorded = read_sidecar(path)
    if recorded != digest:
        raise ValueError(f"{path}: sha256 {digest} does not match {sidecar_path(path).name} ({recorded or 'missing'})")
    try:
        manifest = AlignmentManifest.model_validate_json(path.read_text())
    except ValueError as exc:
        raise ValueError(f"{path}: not an alignment manifest ({exc})") from None
    return manifest, digest


def reference_plan(where: SplitLayout) -> AlignPlan | None:
    """The scoring plan of a split's stored manifest, None when the split has none."""
    found = read_manifest(where)
    if found is None:
        return None
    manifest, digest = found
    transforms = {i.name: i.transform for i in manifest.images}
    included = frozenset(i.name for i in manifest.images if i.included)
    return AlignPlan(transforms, included, manifest.margin, manifest.threshold, manifest.motion, "reference", digest)


def motion_of(track) -> Motion:
    """A track's ECC model: affine where its RGB is declared misaligned, else a translation."""
    return Motion.AFFINE if getattr(track, "misalignment", None) is not None else Motion.TRANSLATION


def align_challenge(root: Path, spec, threshold: float = CC_THRESHOLD) -> tuple[list[Path], list[str]]:
    """Write the reference manifest of every test split of the challenge at ``root``.

    Returns the files written (each manifest and its sidecar, for the challenge's
    ``MANIFEST.sha256``) and a note per split that could not be aligned (no manifest: its
    submissions get no aligned figures).
    """
    from harness.challenge.layout import ChallengeLayout

    layout = ChallengeLayout(Path(root))
    written: list[Path] = []
    notes: list[str] = []
    for track in spec.tracks:
        if track.forward:  # its ground truth is rendered from its own input: nothing to align
            notes.append(f"{track.name}: a forward track has no alignment diagnostics")
            continue
        for split in track.test_splits:
            where = layout.split(track.name, split.name)
            if not where.gt_files():
                continue
            try:
                manifest = align_split(where, motion_of(track), threshold)
            except ValueError as exc:
                notes.append(f"{track.name}/{split.name}: no alignment manifest ({exc})")
                continue
            path = write_manifest(where, manifest)
            written += [path, sidecar_path(path)]
    return written, notes
