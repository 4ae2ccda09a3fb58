"""The outcome of scoring a prediction set: per-image scores and the report (the ``--json`` document).

Made by :func:`harness.scoring.score_directories` (both profiles) and read by the CLI and the service.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from harness import __version__
from harness.analysis.regions import RegionScores
from harness.problems import Problem


class ImageScores(BaseModel):
    """Scores of one image."""

    name: str
    psnr: float
    ssim: float
    identical: bool = False
    regions: RegionScores | None = None  # only when scored with the split's RGB inputs
    # alignment diagnostics (only when scored with an AlignPlan): never used to rank
    aligned_psnr: float | None = None  # None for an image left out (correlation under the threshold)
    aligned_ssim: float | None = None
    shift: tuple[float, float] | None = None  # [dy, dx] in packed pixels, at the image centre
    scale: float | None = None
    cc: float | None = None
    lpips: float | None = None  # profile srgb: LPIPS (AlexNet, v0.1); None without a backbone


class AlignmentSummary(BaseModel):
    """How the aligned figures were made (the ``--json`` document's ``alignment``)."""

    source: str  # "reference" (the split's manifest) or "prediction" (each prediction to its ground truth)
    motion: str
    threshold: float
    crop: int  # central margin in packed pixels, the same on each side of every image
    n_images: int  # images in the aligned means
    excluded: list[str]  # images whose correlation is under the threshold
    manifest_sha256: str | None = None


class ScoreReport(BaseModel):
    """The outcome of scoring a prediction set (the ``--json`` document)."""

    profile: str
    n_images: int
    psnr: float | None
    ssim: float | None
    images: list[ImageScores]
    errors: list[Problem]
    warnings: list[str] = []
    readme: dict | None = None
    harness_version: str = __version__
    aligned_psnr: float | None = None  # diagnostics: means over the included images
    aligned_ssim: float | None = None
    alignment: AlignmentSummary | None = None
    lpips: float | None = None  # profile srgb: the mean LPIPS; None without a backbone
    lpips_note: str | None = None  # profile srgb: why there is no LPIPS ("LPIPS n/a: backbone not supplied")

    @property
    def ok(self) -> bool:
        return not self.errors

    @classmethod
    def scored(cls, profile: str, images: list[ImageScores], warnings: list[str], readme: dict | None, **extra):
        """The report of a scored set: the means of its images' PSNR and SSIM (the official figures)."""
        return cls(
            profile=profile,
            n_images=len(images),
            psnr=float(np.mean([r.psnr for r in images])),  # numpy's pairwise sum, as the official script
            ssim=float(np.mean([r.ssim for r in images])),
            images=images,
            errors=[],
            warnings=warnings,
            readme=readme,
            **extra,
        )

    @classmethod
    def refused(cls, profile: str, errors: list[Problem], warnings: list[str], readme: dict | None, **extra):
        """The report of a prediction set with problems: no image is scored."""
        return cls(
            profile=profile,
            n_images=0,
            psnr=None,
            ssim=None,
            images=[],
            errors=errors,
            warnings=warnings,
            readme=readme,
            **extra,
        )


def relabelled(errors: list[Problem], pred_dir: Path, pred_label: Callable[[str], str] | None) -> list[Problem]:
    """Problems of files in ``pred_dir`` named as the submitter knows them (``pred_label``, e.g. a path in the zip)."""
    if pred_label is None:
        return errors
    return [
        e.model_copy(update={"file": pred_label(Path(e.file).name)}) if Path(e.file).parent == pred_dir else e
        for e in errors
    ]
