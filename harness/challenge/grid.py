"""Full-resolution images and their grid of patches ``<image>_<k>``, ``k = cols * row + col``.

A full-resolution split holds whole images; the scored patches are those images cut into the
track's grid. Checking a bundle's patches against its whole images and cutting whole images
into patches is bundle building (``harness.bundles.patches``).
"""

from __future__ import annotations

import os

import numpy as np


def patch_stem(image: str, k: int) -> str:
    return f"{image}_{k}"


def grid_of(size: tuple[int, int], patch: int) -> tuple[int, int] | None:
    """(rows, columns) of patches in a whole image of RAW size ``size``; None if it does not divide."""
    h, w = size
    if h % patch or w % patch:
        return None
    return h // patch, w // patch


def save_grid(raw: np.ndarray, image: str, grid: tuple[int, int], patch: int, out: os.PathLike) -> list[str]:
    """Cut a whole predicted RAW into its grid and save ``<image>_<k>.npy`` in ``out``; the names written.

    ValueError when ``raw`` is not exactly ``grid`` patches of ``patch`` pixels.
    """
    rows, cols = grid
    if raw.shape[:2] != (rows * patch, cols * patch):
        raise ValueError(f"{image}: {raw.shape[:2]} is not the {rows}x{cols} grid of {patch}-pixel patches")
    names = []
    for k in range(rows * cols):
        r, c = divmod(k, cols)
        name = f"{patch_stem(image, k)}.npy"
        np.save(
            os.path.join(out, name), np.ascontiguousarray(raw[r * patch : (r + 1) * patch, c * patch : (c + 1) * patch])
        )
        names.append(name)
    return names
