"""The predictions archive: one writer for every zip of predictions the harness makes.

A team's folder sent by ``harness submit``, a baseline run and a submitted model's run all become
the same archive: the folder's ``.npy`` files (``.png`` on a forward track) and its ``readme.txt`` (if any) at the top, in name
order, with fixed dates and modes, so the same predictions always give the same bytes (and sha256).
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20
DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold: no clock in the bytes
README = "readme.txt"
SUFFIXES = (".npy", ".png")  # RAW predictions of a reverse track, sRGB ones of a forward track


def prediction_files(folder: Path) -> list[Path]:
    """The files of ``folder`` that belong in its archive: ``.npy`` and ``.png`` files and ``readme.txt``, by name."""
    return sorted(
        (
            p
            for p in Path(folder).iterdir()
            if p.is_file() and (p.suffix.lower() in SUFFIXES or p.name.lower() == README)
        ),
        key=lambda p: p.name,
    )


def write_predictions(folder: Path, dest: Path | BinaryIO, *, compression: int = zipfile.ZIP_STORED) -> int:
    """Write the predictions archive of ``folder`` to ``dest`` (a path or a binary file); returns its file count.

    Members are streamed from disk (a member above 4 GiB gets zip64), never held in memory whole.
    """
    files = prediction_files(folder)
    with zipfile.ZipFile(dest, "w", compression, allowZip64=True) as zf:
        for p in files:
            info = zipfile.ZipInfo(p.name, date_time=DATE)
            info.compress_type = compression
            info.external_attr = 0o100644 << 16
            info.file_size = p.stat().st_size
            with open(p, "rb") as src, zf.open(info, "w") as out:
                shutil.copyfileobj(src, out, CHUNK)
    return len(files)
