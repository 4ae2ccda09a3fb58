"""The challenge specification (``challenge.toml``): tracks, splits, camera, limits.

Typed with pydantic so that every reader (scorer, service, baselines) sees the same, checked
values; written and read as TOML next to the data it describes.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.challenge.isp import IspConfig
from harness.errors import NotFound

FILENAME = "challenge.toml"

# what a track asks for: "reverse" (the challenge's own task: sRGB in, packed RAW .npy out, profile of
# the challenge) or "forward" (this harness's extension: packed RAW .npy in, 8-bit sRGB PNG out, profile
# "srgb"); harness.challenge.layout names the files of each
TrackKind = Literal["reverse", "forward"]
FORWARD_PROFILE = "srgb"


class SplitSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Literal["train", "test"] = "test"
    visibility: Literal["public", "hidden"] = "public"
    primary_metric: Literal["psnr", "ssim"] = "psnr"
    opens: datetime | None = None
    closes: datetime | None = None
    limit_per_day: int = Field(5, ge=1)
    limit_total: int = Field(100, ge=1)
    full_resolution: bool = False  # images are also given whole under full/
    # what a team may upload: predictions only ("none"), predictions or an ONNX model the harness
    # re-runs ("optional"), or a model only ("required": every entry measured on the harness's runners)
    models: Literal["none", "optional", "required"] = "optional"
    # wall-clock limit of one model run on this split, in seconds; None: sized from the split's
    # inputs (harness.challenge.wall); HARNESS_MODEL_WALL_S caps it for the whole service either way
    model_wall_s: float | None = Field(None, gt=0, le=86_400)

    @model_validator(mode="after")
    def _utc(self) -> SplitSpec:
        # a date written without a zone means UTC, so comparisons never mix naive and aware
        for name in ("opens", "closes"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                setattr(self, name, value.replace(tzinfo=UTC))
        return self


class Misalignment(BaseModel):
    """How the RGB input is displaced from its RAW (a crop/zoom as in the real P20 pairs)."""

    model_config = ConfigDict(extra="forbid")

    zoom: tuple[float, float] = (1.01, 1.03)  # range, drawn per frame
    shift_px: float = 3.0  # max shift of the RGB, in RGB pixels


class TrackSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    title: str
    camera: str
    kind: TrackKind = "reverse"
    bayer: Literal["RGGB"] = "RGGB"  # layout of the packed ground truth
    normaliser: float = 1024.0
    black: float
    white: float
    patch: int = Field(description="RAW patch side (packed); the RGB patch is twice as large")
    grid: tuple[int, int] = (6, 8)  # full-resolution image = grid * patch, patches named <image>_<k>
    misalignment: Misalignment | None = None
    isp: IspConfig | None = None  # generated challenges: the simulated camera; real ones have none
    splits: list[SplitSpec]

    @property
    def rgb_patch(self) -> int:
        return 2 * self.patch

    @property
    def forward(self) -> bool:
        return self.kind == "forward"

    @property
    def prediction_suffix(self) -> str:
        """The suffix of a prediction (and of a test split's ground truth): ``.npy`` or ``.png``."""
        return ".png" if self.forward else ".npy"

    @property
    def prediction_shape(self) -> tuple[int, int, int]:
        """Shape of one patch's prediction: packed RAW ``(p, p, 4)``, or sRGB ``(2p, 2p, 3)`` on a forward track."""
        return (self.rgb_patch, self.rgb_patch, 3) if self.forward else (self.patch, self.patch, 4)

    @property
    def full_size(self) -> tuple[int, int]:
        """Packed RAW size of a full-resolution image."""
        return self.grid[0] * self.patch, self.grid[1] * self.patch

    @property
    def test_splits(self) -> list[SplitSpec]:
        """The splits that take submissions, in the order the challenge lists them."""
        return [s for s in self.splits if s.kind == "test"]

    @property
    def train_splits(self) -> list[SplitSpec]:
        """The splits with RAW given (``raw/`` + ``rgb/`` pairs) to train on."""
        return [s for s in self.splits if s.kind == "train"]

    def split(self, name: str) -> SplitSpec:
        for s in self.splits:
            if s.name == name:
                return s
        raise NotFound(f"track {self.name!r} has no split {name!r}; it has {', '.join(s.name for s in self.splits)}")

    @model_validator(mode="after")
    def _levels(self) -> TrackSpec:
        if not 0 <= self.black < self.white <= self.normaliser:
            raise ValueError(
                f"track {self.name}: need 0 <= black < white <= normaliser, got {self.black}, {self.white}"
            )
        if self.isp is not None and (self.isp.black != self.black or self.isp.white != self.white):
            raise ValueError(f"track {self.name}: the ISP's black/white levels must equal the track's")
        if self.forward:
            if self.misalignment is not None:
                raise ValueError(
                    f"track {self.name}: a forward track's ground truth is rendered from its input, so it has no misalignment"
                )
            taking = [s.name for s in self.test_splits if s.models != "none"]
            if taking:
                raise ValueError(
                    f'track {self.name}: a forward track takes predictions only (models = "none"), '
                    f"since the ONNX model contract is sRGB -> RAW; split(s) {', '.join(taking)} ask for models"
                )
        return self


class ChallengeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    title: str
    profile: str = "aim22"
    seed: int | None = None  # for generated challenges: regenerate with the same seed
    scale: float | None = None
    # a reference table shipped with the baselines (baselines/tables/<name>.toml): a past edition's
    # reported results, shown apart on the leaderboard as "reported, not re-run"
    reference: str | None = None
    tracks: list[TrackSpec]

    def profile_of(self, track: str) -> str:
        """The metric profile a track's submissions are scored with: ``srgb`` on a forward track."""
        return FORWARD_PROFILE if self.track(track).forward else self.profile

    def track(self, name: str) -> TrackSpec:
        for t in self.tracks:
            if t.name == name:
                return t
        raise NotFound(
            f"challenge {self.name!r} has no track {name!r}; it has {', '.join(t.name for t in self.tracks)}"
        )


def save_challenge(spec: ChallengeSpec, directory: Path) -> Path:
    path = Path(directory) / FILENAME
    path.write_text(tomli_w.dumps(spec.model_dump(mode="json", exclude_none=True)))
    return path


def load_challenge(directory: Path) -> ChallengeSpec:
    with open(Path(directory) / FILENAME, "rb") as f:
        return ChallengeSpec.model_validate(tomllib.load(f))
