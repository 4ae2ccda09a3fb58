"""The ``challenge.toml`` of a challenge bundle: what an organiser writes to describe real data.

A bundle is a folder (or a zip of one) holding ``challenge.toml``; each split names the folders
of its files, relative to the bundle or absolute (ground truth usually sits apart, in the
organiser's own folder)::

    title = "AIM 2022 Reversed ISP"
    [[tracks]]
    name = "s7"
    title = "Track 1: Samsung S7"
    camera = "Samsung Galaxy S7, Sony IMX260"
    black = 0                           # optional: else the smallest RAW value in the data
    white = 1023                        # optional: else the largest
    [[tracks.splits]]
    name = "train"
    kind = "train"
    rgb = "data-s7/train"               # <image>_<patch>.jpg ...
    raw = "data-s7/train"               # ... and <image>_<patch>.npy side by side: one folder for both
    [[tracks.splits]]
    name = "test1"
    primary_metric = "psnr"
    rgb = "data-s7/val_rgb"
    gt = "/srv/organiser/s7-test1-gt"

A split takes every key of :class:`~harness.challenge.spec.SplitSpec` (kind, visibility,
primary metric, dates, limits, full_resolution) plus its folders: ``rgb`` and ``raw`` (train) or
``gt`` (test); a full-resolution split names ``full_rgb`` and ``full_raw`` / ``full_gt`` (whole
images) and may leave out the patches, which are then cut from the whole images. The patch size,
the full-resolution grid and, when not given, the black and white levels are taken from the
data; given ones are checked against it. Unknown keys are errors.
"""

from __future__ import annotations

import re
import tomllib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from harness.bundles.problems import Code, Problem, problem
from harness.challenge.isp import IspConfig
from harness.challenge.spec import FILENAME, Misalignment, SplitSpec

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")  # names of challenges, tracks, splits: folder names
FOLDER_KEYS = ("rgb", "raw", "gt", "full_rgb", "full_raw", "full_gt")


def _name(value: str) -> str:
    if not NAME_RE.match(value):
        raise ValueError(f"{value!r} must be 1-64 letters, digits, '-' or '_' (it names a folder)")
    return value


class BundleSplit(SplitSpec):
    """A split: the keys of ``SplitSpec`` plus the folders its files are in."""

    rgb: str | None = Field(None, description="folder of the inputs (<stem>.jpg / .jpeg / .png)")
    raw: str | None = Field(None, description="train split: folder of the RAW (<stem>.npy); may be the rgb folder")
    gt: str | None = Field(None, description="test split: folder of the ground truth (<stem>.npy)")
    full_rgb: str | None = Field(None, description="full-resolution split: folder of the whole inputs")
    full_raw: str | None = Field(None, description="full-resolution train split: folder of the whole RAW")
    full_gt: str | None = Field(None, description="full-resolution test split: folder of the whole ground truth")

    _check_name = field_validator("name")(_name)

    @property
    def target(self) -> Literal["raw", "gt"]:
        """Which folder holds the split's RAW: ``raw`` (train) or ``gt`` (test)."""
        return "raw" if self.kind == "train" else "gt"

    def folders(self) -> dict[str, str]:
        """The folders the split names, by key."""
        return {k: getattr(self, k) for k in FOLDER_KEYS if getattr(self, k) is not None}

    @model_validator(mode="after")
    def _folders(self) -> BundleSplit:
        own, other = self.target, ("gt" if self.target == "raw" else "raw")
        for key in (other, f"full_{other}"):
            if getattr(self, key) is not None:
                raise ValueError(f"a {self.kind} split has no {key!r} folder; its RAW goes under {own!r}")
        has_patches = self.rgb is not None or getattr(self, own) is not None
        if has_patches and (self.rgb is None or getattr(self, own) is None):
            raise ValueError(f"needs both 'rgb' and {own!r} (its inputs and their RAW)")
        has_full = self.full_rgb is not None or getattr(self, f"full_{own}") is not None
        if self.full_resolution:
            if self.full_rgb is None or getattr(self, f"full_{own}") is None:
                raise ValueError(f"full_resolution = true needs 'full_rgb' and 'full_{own}' (the whole images)")
        elif has_full:
            raise ValueError("'full_rgb' / 'full_*' folders need full_resolution = true")
        elif not has_patches:
            raise ValueError(f"names no folder: give 'rgb' and {own!r}")
        return self

    def spec(self) -> SplitSpec:
        return SplitSpec.model_validate(self.model_dump(exclude=set(FOLDER_KEYS)))


class BundleIsp(IspConfig):
    """The simulated camera of a track (optional; real challenges have none)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class BundleTrack(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    title: str | None = None  # default: the name
    camera: str = ""
    bayer: Literal["RGGB"] = "RGGB"
    normaliser: float = Field(1024.0, gt=0, le=65535)
    black: float | None = Field(None, ge=0, description="default: the smallest RAW value in the data")
    white: float | None = Field(None, gt=0, description="default: the largest RAW value in the data")
    patch: int | None = Field(None, ge=1, description="RAW patch side; checked against the data")
    grid: tuple[int, int] | None = Field(None, description="rows, columns of a full image; checked")
    misalignment: Misalignment | None = None
    isp: BundleIsp | None = None
    splits: list[BundleSplit] = Field(min_length=1)

    _check_name = field_validator("name")(_name)

    @model_validator(mode="after")
    def _unique(self) -> BundleTrack:
        names = [s.name for s in self.splits]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"split names must be unique; {', '.join(twice)} appear twice")
        return self


class Bundle(BaseModel):
    """The whole ``challenge.toml`` of a bundle."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None  # default: ``--name``, else the bundle's folder (or zip) name
    title: str
    profile: str = "aim22"
    reference: str | None = None  # a reported-results table shipped with the baselines
    tracks: list[BundleTrack] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str | None) -> str | None:
        return None if value is None else _name(value)

    @field_validator("profile")
    @classmethod
    def _profile(cls, value: str) -> str:
        from harness.metrics.profiles import PROFILES

        if value not in PROFILES:
            raise ValueError(f"unknown metric profile {value!r}; known: {', '.join(sorted(PROFILES))}")
        return value

    @model_validator(mode="after")
    def _unique(self) -> Bundle:
        names = [t.name for t in self.tracks]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"track names must be unique; {', '.join(twice)} appear twice")
        return self


def _where(data: object, loc: tuple) -> str:
    """``loc`` as a reader finds it: ``track 's7', split 'test1', key 'gtt'``."""
    parts: list[str] = []
    node = data
    i = 0
    while i < len(loc):
        key = loc[i]
        if key in ("tracks", "splits") and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            idx = loc[i + 1]
            item = node.get(key)[idx] if isinstance(node, dict) and isinstance(node.get(key), list) else None
            label = "track" if key == "tracks" else "split"
            name = item.get("name") if isinstance(item, dict) else None
            parts.append(f"{label} {name!r}" if isinstance(name, str) else f"{label} #{idx + 1}")
            node = item
            i += 2
            continue
        rest = ".".join(str(k) for k in loc[i:])
        parts.append(f"key {rest!r}")
        break
    return ", ".join(parts)


def parse_bundle(text: bytes, label: str = FILENAME) -> tuple[Bundle | None, list[Problem]]:
    """Parse and check a bundle's ``challenge.toml``; every problem names ``label`` and the key."""
    try:
        data = tomllib.loads(text.decode("utf-8"))
    except UnicodeDecodeError:
        return None, [problem(label, Code.BAD_TOML, "is not UTF-8 text")]
    except tomllib.TOMLDecodeError as exc:
        return None, [problem(label, Code.BAD_TOML, f"is not valid TOML ({exc})")]
    try:
        return Bundle.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            if err["type"] == "extra_forbidden":
                where = _where(data, loc[:-1])
                inside = f" (in {where})" if where else ""
                problems.append(problem(label, Code.UNKNOWN_KEY, f"unknown key {str(loc[-1])!r}{inside}"))
                continue
            msg = err["msg"].removeprefix("Value error, ")
            where = _where(data, loc) or "top level"
            problems.append(problem(label, Code.BAD_VALUE, f"{where}: {msg}"))
        return None, problems
