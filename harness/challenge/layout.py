"""Where a challenge keeps its files: the one place that knows paths inside a challenge folder.

```
<root>/challenge.toml
<root>/MANIFEST.sha256                       sha256 of every file (generated challenges)
<root>/frames.json                           provenance of every patch (generated challenges)
<root>/<track>/<split>/rgb/<stem>.jpg        inputs (public)
<root>/<track>/<split>/gt/<stem>.npy         ground truth of a test split (never served)
<root>/<track>/<split>/raw/<stem>.npy        RAW of a training split
<root>/<track>/<split>/full/{rgb,gt}/...     full-resolution images of a split that has them
<root>/<track>/<split>/alignment.json        reference transforms of a test split (+ .sha256; never served)
```

A forward track (RAW -> sRGB, ``TrackSpec.kind == "forward"``) turns a test split around: its
inputs are the packed RAW under ``raw/<stem>.npy`` (and ``full/raw/``), its ground truth the sRGB
PNG under ``gt/<stem>.png``; a training split keeps its ``rgb/`` + ``raw/`` pairs (the sRGB as PNG).
A split's layout knows its track's kind (``kind``), so readers never ask.

Readers and writers both go through these classes (``rgb_of`` finds an input whatever its
suffix, ``rgb_path`` names where one is written), so nothing else spells a folder name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.challenge.spec import FILENAME, TrackKind

RGB_SUFFIXES = (".jpg", ".jpeg", ".png")


@dataclass(frozen=True)
class SplitLayout:
    """The folders of one split (of a track of ``kind``)."""

    root: Path
    kind: TrackKind = "reverse"

    @property
    def forward(self) -> bool:
        return self.kind == "forward"

    @property
    def gt_suffix(self) -> str:
        """Suffix of the ground truth of a test split (and of a prediction): ``.npy``, ``.png`` when forward."""
        return ".png" if self.forward else ".npy"

    @property
    def inputs(self) -> Path:
        """The folder of a test split's inputs: ``rgb/``, or ``raw/`` on a forward track."""
        return self.raw if self.forward else self.rgb

    @property
    def rgb(self) -> Path:
        return self.root / "rgb"

    @property
    def gt(self) -> Path:
        return self.root / "gt"

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def alignment(self) -> Path:
        """The split's reference alignment manifest (``harness.alignment.manifest``)."""
        return self.root / "alignment.json"

    @property
    def full(self) -> SplitLayout:
        return SplitLayout(self.root / "full", self.kind)

    @property
    def has_full(self) -> bool:
        return self.full.inputs.is_dir()

    def rgb_files(self) -> list[Path]:
        """The split's inputs, sorted by name."""
        if not self.rgb.is_dir():
            return []
        return sorted(p for p in self.rgb.iterdir() if p.suffix.lower() in RGB_SUFFIXES and p.is_file())

    def rgb_of(self, stem: str) -> Path | None:
        """The input of one image (any accepted suffix), None when there is none."""
        for suffix in RGB_SUFFIXES:
            p = self.rgb / f"{stem}{suffix}"
            if p.is_file():
                return p
        return None

    def rgb_path(self, stem: str) -> Path:
        """Where the input of ``stem`` is written (as JPEG); readers use :meth:`rgb_of`."""
        return self.rgb / f"{stem}.jpg"

    def rgb_file(self, stem: str, suffix: str) -> Path:
        """Where the input of ``stem`` is written in its own format (``.jpg``, ``.jpeg`` or ``.png``)."""
        if suffix.lower() not in RGB_SUFFIXES:
            raise ValueError(f"inputs are {', '.join(RGB_SUFFIXES)}, not {suffix!r}")
        return self.rgb / f"{stem}{suffix.lower()}"

    def target_of(self, stem: str, kind: str) -> Path:
        """The RAW of ``stem`` of a reverse track: under ``raw/`` for a training split (``kind`` "train"), else ``gt/``."""
        return self.raw_of(stem) if kind == "train" else self.gt_of(stem)

    def gt_of(self, stem: str) -> Path:
        return self.gt / f"{stem}{self.gt_suffix}"

    def input_of(self, stem: str) -> Path | None:
        """The input of one image of a test split (RGB, or RAW on a forward track), None when there is none."""
        if self.forward:
            p = self.raw_of(stem)
            return p if p.is_file() else None
        return self.rgb_of(stem)

    def raw_of(self, stem: str) -> Path:
        return self.raw / f"{stem}.npy"

    def raw_files(self) -> list[Path]:
        """The RAW of a training split's pairs, sorted by name."""
        return sorted(self.raw.glob("*.npy")) if self.raw.is_dir() else []

    def gt_files(self) -> list[Path]:
        return sorted(self.gt.glob(f"*{self.gt_suffix}")) if self.gt.is_dir() else []

    def patch_inputs(self) -> list[Path]:
        """A test split's patch inputs, sorted by name: ``rgb/``, or ``raw/`` on a forward track."""
        return self.raw_files() if self.forward else self.rgb_files()

    def image_names(self) -> list[str]:
        """Names of the split's scored images (its ground truth), sorted."""
        return [p.stem for p in self.gt_files()]

    def input_files(self) -> list[Path]:
        """Every input a participant receives, never a ground-truth file: the patches under ``rgb/``
        (``raw/`` on a forward track) and, for a split that has them, the whole images under
        ``full/rgb/`` (``full/raw/``)."""
        return self.patch_inputs() + (self.full.patch_inputs() if self.has_full else [])

    def pair_files(self) -> list[Path]:
        """A training split's pairs: the inputs under ``rgb/`` and their RAW under ``raw/``."""
        return self.rgb_files() + self.raw_files()

    def private_dirs(self) -> list[Path]:
        """The folders of the split's ground truth (``gt/``, ``full/gt/``): nothing in them is served."""
        return [self.gt, self.full.gt]

    def member_name(self, path: Path) -> str:
        """``path`` relative to the split's folder, POSIX style: its name inside a download, so an
        unpacked download is a split folder of this same layout (``rgb/``, ``raw/``, ``full/rgb/``)."""
        return Path(path).relative_to(self.root).as_posix()


@dataclass(frozen=True)
class ChallengeLayout:
    """The folders of a challenge under ``root`` (``DATA_DIR/challenges/<name>``)."""

    root: Path

    @classmethod
    def under(cls, data_dir: Path, name: str) -> ChallengeLayout:
        return cls(Path(data_dir) / "challenges" / name)

    @property
    def spec_file(self) -> Path:
        return self.root / FILENAME

    @property
    def manifest(self) -> Path:
        return self.root / "MANIFEST.sha256"

    @property
    def frames(self) -> Path:
        return self.root / "frames.json"

    def split(self, track: str, split: str, kind: TrackKind = "reverse") -> SplitLayout:
        """The folders of a split of ``track``; pass the track's ``kind`` (``TrackSpec.kind``) for a forward one."""
        return SplitLayout(self.root / track / split, kind)
