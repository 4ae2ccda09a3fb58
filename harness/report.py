"""The outcome of scoring a prediction set: per-image scores and the report (the ``--json`` document).

Made by :func:`harness.scoring.score_directories` (both profiles) and read by the CLI and the service.
"""

from __future__ import annotations

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
