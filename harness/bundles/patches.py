"""A bundle's full-resolution images and their patches: when the bundle gives the patches too, every
whole image must have all of its patches, no patch may lack its image, and each RAW patch must equal
its crop of the whole RAW. When it gives only the whole images, :func:`cut` makes the patches (RAW
as ``.npy``, inputs as lossless PNG crops of the decoded whole input).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from harness.bundles.problems import Code, Labeller, Problem, problem
from harness.bundles.scan import Pair, SetScan
from harness.challenge.grid import patch_stem
from harness.npyio import NpyError, read_raw


def check_patches(
    full: SetScan, patches: SetScan, patch: int, grid: tuple[int, int], label: Labeller, normaliser: int
) -> list[Problem]:
    """The given patches are exactly the grid of the whole images, and equal their crops."""
    problems: list[Problem] = []
    rows, cols = grid
    by_stem = {p.stem: p for p in patches.pairs}
    expected = {patch_stem(img.stem, k): img for img in full.pairs for k in range(rows * cols)}
    for stem, pair in by_stem.items():
        if stem not in expected:
            problems.append(
                problem(
                    label(pair.target),
                    Code.GRID,
                    f"is no patch of a whole image: patches are named <image>_<k>, k < {rows * cols}, "
                    f"after the images in {label(full.pairs[0].target.parent) if full.pairs else 'the full folder'}",
                )
            )
    for stem, img in expected.items():
        if stem not in by_stem:
            problems.append(problem(label(img.target), Code.GRID, f"patch {stem} of this image is missing"))

    def compare(img: Pair) -> list[Problem]:
        if img.stem not in full.shapes:
            return []
        try:
            whole = read_raw(img.target, max_value=normaliser)
        except NpyError:
            return []  # reported when the whole image was checked
        out = []
        for k in range(rows * cols):
            pair = by_stem.get(patch_stem(img.stem, k))
            if pair is None or pair.stem not in patches.shapes:
                continue
            r, c = divmod(k, cols)
            try:
                part = read_raw(pair.target, max_value=normaliser)
            except NpyError:
                continue
            if not np.array_equal(part, whole[r * patch : (r + 1) * patch, c * patch : (c + 1) * patch]):
                out.append(
                    problem(
                        label(pair.target),
                        Code.GRID,
                        f"differs from its crop of {label(img.target)} (row {r}, column {c} of the {rows}x{cols} grid)",
                    )
                )
        return out

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for found in pool.map(compare, full.pairs):
            problems.extend(found)
    return problems


def cut(
    img: Pair,
    patch: int,
    grid: tuple[int, int],
    normaliser: int,
    write_raw: Callable[[str, np.ndarray], None],
    write_rgb: Callable[[str, bytes], None],
) -> int:
    """Cut a whole image into its grid of patches; returns how many were written."""
    from PIL import Image

    from harness.rgbio import read_rgb

    raw = read_raw(img.target, max_value=normaliser)
    rgb = read_rgb(img.rgb)
    rows, cols = grid

    def png(k: int) -> bytes:
        r, c = divmod(k, cols)
        buf = io.BytesIO()
        crop = np.ascontiguousarray(rgb[2 * r * patch : 2 * (r + 1) * patch, 2 * c * patch : 2 * (c + 1) * patch])
        Image.fromarray(crop).save(buf, format="PNG", compress_level=1)  # lossless; level 1: fast, ~8% larger
        return buf.getvalue()

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # the encoder releases the GIL
        encoded = list(pool.map(png, range(rows * cols)))
    for k, data in enumerate(encoded):
        r, c = divmod(k, cols)
        stem = patch_stem(img.stem, k)
        write_raw(stem, np.ascontiguousarray(raw[r * patch : (r + 1) * patch, c * patch : (c + 1) * patch]))
        write_rgb(stem, data)
    return rows * cols
