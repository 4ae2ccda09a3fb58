"""Problems found in a challenge bundle or a laid-out challenge: one per file and problem.

Every problem names the file (as the organiser would find it: relative to the bundle, or the
absolute path of a folder kept outside it) and carries a stable code; tools rely on the codes.
Problems of ``.npy`` files keep the codes of :mod:`harness.npyio` (``wrong_dtype``,
``out_of_range``, ``pickled``, ...).
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

from harness.problems import Problem, problem


class Code(StrEnum):
    BAD_TOML = "bad_toml"  # challenge.toml is not TOML
    UNKNOWN_KEY = "unknown_key"  # a key the schema does not know
    BAD_VALUE = "bad_value"  # a key with a wrong or missing value
    NOT_FOUND = "not_found"  # a folder or file that does not exist
    UNSAFE_PATH = "unsafe_path"  # a zip entry or folder that leaves the bundle
    SHARED_FOLDER = "shared_folder"  # two splits (or two roles) reading one folder
    MISSING_PAIR = "missing_pair"  # an input without its RAW / ground truth, or the reverse
    EXTRA_FILE = "extra_file"  # a file or folder that belongs to no pair
    DUPLICATE_NAME = "duplicate_name"  # two inputs with one stem (a.jpg and a.png)
    BAD_NAME = "bad_name"  # a stem that cannot be a file name everywhere
    EMPTY_SPLIT = "empty_split"
    BAD_IMAGE = "bad_image"  # an input that does not decode as 8-bit RGB JPEG / PNG
    INPUT_TOO_LARGE = "input_too_large"  # an input file larger than its pixels can need
    TRAILING_DATA = "trailing_data"  # bytes after an input's image (or after a .npy's array)
    GT_IN_PUBLIC_FOLDER = "gt_in_public_folder"  # ground truth where teams are handed files
    WRONG_SIZE = "wrong_size"  # RGB not twice its RAW, a patch of the wrong size
    MIXED_SIZES = "mixed_sizes"  # more than one patch size in a split or track
    LEVELS = "levels"  # values beyond the declared white level
    GRID = "grid"  # full-resolution images and their patches disagree
    EXISTS = "exists"  # the challenge is there already
    CHANGED = "changed"  # a file's sha256 differs from MANIFEST.sha256
    MISSING_FILE = "missing_file"  # listed in MANIFEST.sha256, absent
    UNLISTED_FILE = "unlisted_file"  # present, not listed in MANIFEST.sha256
    BAD_ARCHIVE = "bad_archive"  # a zipped bundle that is not a readable, plain zip


def from_npy(error: Problem, label: str) -> Problem:
    """A problem reported by :mod:`harness.npyio`, named as the organiser knows the file."""
    what = error.message
    prefix = f"{Path(error.file).name}: "
    if what.startswith(prefix):
        what = what[len(prefix) :]
    return problem(label, error.code, what)


class Labeller:
    """Names files for people: ``prefix`` + the path relative to ``base`` when inside it, else the absolute path."""

    def __init__(self, base: Path, prefix: str = "") -> None:
        self.base = Path(base).resolve()
        self.prefix = prefix  # e.g. "bundle.zip:" for the members of a zipped bundle

    def __call__(self, path: Path) -> str:
        path = Path(os.path.abspath(path))  # the link itself, not where it leads
        try:
            rel = path.relative_to(self.base).as_posix()
        except ValueError:
            return str(path)
        return f"{self.prefix}{rel}"
