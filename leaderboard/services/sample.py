"""The sample submission of a test split: the trivial predictor's output and a filled AIM ``readme.txt``.

What it shows a participant is the exact format of an upload (``<stem>.npy`` uint16 ``(h, w, 4)``
packed RGGB, or ``<stem>.png`` 8-bit sRGB on a forward track; names = the input stems, ``readme.txt`` at
the top); uploaded as it is, it scores.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from harness.challenge import TrackSpec
from harness.rgbio import encode_png, read_rgb
from harness.sim.naive import naive_raw
from leaderboard.services.zip_cache import Member, prefetch

README_KEYS = ("Runtime per image [s]", "CPU[1] / GPU[0]", "Extra Data [1] / No Extra Data [0]", "Other description")
DESCRIPTION = (
    "Sample submission made by the harness with its trivial predictor (harness/sim/naive.py): inverse sRGB "
    "gamma, then the RGGB mosaic, scaled to the track's black and white levels. A floor to beat, not a method; "
    "runtime measured on the server (CPU) while this archive was built."
)

FORWARD_DESCRIPTION = (
    "Sample submission made by the harness with its classical pipeline (harness/sim/classical.py): black level, "
    "grey-world white balance, demosaic, the track's colour matrix, sRGB gamma. A floor to beat, not a method; "
    "runtime measured on the server (CPU) while this archive was built."
)


def readme_text(runtime_s: float, cpu: bool, extra_data: bool, description: str) -> str:
    """A ``readme.txt`` in the AIM format (``harness/readme.py`` reads it back by key)."""
    values = (f"{runtime_s:.4f}", "1" if cpu else "0", "1" if extra_data else "0", description)
    return "".join(f"{key} : {value}\n" for key, value in zip(README_KEYS, values, strict=True))


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def _forward(track: TrackSpec, path: Path) -> bytes:
    from harness.sim.classical import classical_srgb

    return encode_png(classical_srgb(np.load(path, allow_pickle=False), track))


def sample_members(track: TrackSpec, inputs: list[Path]) -> Iterator[Member]:
    """The trivial predictor's ``<stem>.npy`` for each input (computed ahead on threads), then readme.txt;
    on a forward track the classical pipeline's ``<stem>.png`` for each RAW input."""
    suffix = track.prediction_suffix

    def predict(path: Path) -> tuple[Path, bytes, float]:
        start = time.perf_counter()
        data = _forward(track, path) if track.forward else _npy(naive_raw(read_rgb(path), track))
        return path, data, time.perf_counter() - start

    spent = 0.0
    # half the cores: built ahead at start-up, it should not crowd out the scoring jobs
    for path, data, seconds in prefetch(predict, inputs, depth=max(1, (os.cpu_count() or 2) // 2)):
        spent += seconds
        yield Member(f"{path.stem}{suffix}", make=lambda d=data: d)
    runtime = spent / max(len(inputs), 1)  # per image, as each prediction took it
    text = FORWARD_DESCRIPTION if track.forward else DESCRIPTION
    yield Member("readme.txt", make=readme_text(runtime, cpu=True, extra_data=False, description=text).encode)
