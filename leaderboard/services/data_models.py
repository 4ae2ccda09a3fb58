"""What the data listing carries (``GET /api/data/{track}``, the Data page): splits, archives, format."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class ArchiveEntry(BaseModel):
    kind: Literal["inputs", "train", "sample"]
    url: str = Field(description="Where to download it (HTTP Range requests resume a partial download).")
    filename: str
    ready: bool = Field(description="Built already: size and sha256 are known (a download builds it at once).")
    size: int | None = Field(None, description="Bytes of the zip.")
    sha256: str | None = Field(None, description="sha256 of the zip; also its ETag.")
    files: int = Field(description="Members of the zip.")
    content_bytes: int | None = Field(None, description="Bytes of its members together, unpacked.")


class SplitData(BaseModel):
    name: str
    kind: Literal["train", "test"]
    visibility: Literal["public", "hidden"]
    primary_metric: Literal["psnr", "ssim"] | None = None
    opens: datetime | None = None
    closes: datetime | None = None
    state: Literal["open", "upcoming", "closed"]
    images: int = Field(description="Input patches (a training split: pairs).")
    full_images: int = Field(0, description="Whole full-resolution input images (under full/rgb/).")
    input_bytes: int = Field(description="Bytes of the RGB inputs together.")
    archives: list[ArchiveEntry] = Field(description="Downloads given out now (none before a split opens).")


class SubmissionFormat(BaseModel):
    archive: str = "one .zip: the predictions and readme.txt at its top (or inside one folder)"
    prediction: str = "<stem>.npy for every input <stem>.jpg of the split: names are the input stems"
    file_format: str = Field("npy", description="npy (numpy.save, no pickles) or PNG (8-bit RGB, a forward track)")
    dtype: str = "uint16"
    shape: list[int] = Field(
        description="(h, w, 4): half the RGB input's height and width, 4 packed channels; on a forward "
        "track (2h, 2w, 3): twice the RAW input's"
    )
    channels: list[str] = ["R", "Gr", "Gb", "B"]
    bayer: str = "RGGB (R at (0,0), Gr (0,1), Gb (1,0), B (1,1) of each 2x2 cell)"
    min_value: int = 0
    max_value: int = 1024
    black: float
    white: float
    readme_keys: list[str]
    readme_example: str


class TrackData(BaseModel):
    challenge: str
    track: str
    kind: str = Field("reverse", description="reverse (sRGB in, RAW out) or forward (RAW in, sRGB PNG out)")
    title: str
    camera: str
    black: float
    white: float
    normaliser: float
    patch: int = Field(description="Packed RAW patch side; the RGB patch is twice as large.")
    rgb_patch: int
    splits: list[SplitData]
    submission_format: SubmissionFormat
