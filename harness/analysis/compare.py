"""A side-by-side visual comparison of one image: input, ground truth, entries, error maps, zoomed crops."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

from harness.raw import visualise

LABEL_H = 18
ZOOM = 3


def error_map(gt: np.ndarray, pred: np.ndarray, scale: float = 64.0) -> np.ndarray:
    """|pred - gt| averaged over the 4 channels, as an RGB heat map (black 0, yellow-white >= ``scale`` DN)."""
    err = np.abs(pred.astype(np.float64) - gt.astype(np.float64)).mean(axis=-1)
    t = np.clip(err / scale, 0, 1)
    rgb = np.stack([np.clip(3 * t, 0, 1), np.clip(3 * t - 1, 0, 1), np.clip(3 * t - 2, 0, 1)], axis=-1)
    return np.round(rgb * 255).astype(np.uint8)


def worst_window(errors: list[np.ndarray], side: int) -> tuple[int, int]:
    """Top-left corner (RAW pixels) of the side x side window where the entries' mean error is largest."""
    err = np.mean([e.astype(np.float64).mean(axis=-1) for e in errors], axis=0)
    h, w = err.shape
    side = min(side, h, w)
    integral = np.pad(err, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    sums = integral[side:, side:] - integral[:-side, side:] - integral[side:, :-side] + integral[:-side, :-side]
    y, x = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return int(y), int(x)


def _tile(img: np.ndarray, label: str, width: int) -> Image.Image:
    im = Image.fromarray(img)
    if im.width != width:
        im = im.resize((width, round(im.height * width / im.width)), Image.NEAREST)
    out = Image.new("RGB", (width, im.height + LABEL_H), "white")
    out.paste(im, (0, LABEL_H))
    ImageDraw.Draw(out).text((3, 3), label[: max(8, width // 6)], fill="black")
    return out


def comparison_png(
    rgb: np.ndarray | None,
    gt: np.ndarray,
    entries: list[tuple[str, np.ndarray]],
    *,
    black: float,
    white: float,
    tile_width: int = 320,
) -> bytes:
    """Rows: [input, GT, entry 1..n] renders; [-, -, error maps]; zoomed crops of the worst window.

    Every RAW is rendered with the ground truth's white balance and exposure, so differences
    between entries are the entries', not the viewer's.
    """
    h, w = gt.shape[:2]
    renders = [visualise(gt, black=black, white=white)] + [
        visualise(p, black=black, white=white, reference=gt) for _, p in entries
    ]
    labels = ["ground truth"] + [name for name, _ in entries]
    errors = [np.abs(p.astype(np.int32) - gt.astype(np.int32)) for _, p in entries]
    side = max(8, min(h, w) // 4)
    y, x = worst_window(errors, side) if entries else (0, 0)
    blank = np.full((2 * h, 2 * w, 3), 255, np.uint8)
    first = _tile(rgb if rgb is not None else blank, "input sRGB" if rgb is not None else "(no input)", tile_width)
    row1 = [first] + [_tile(r, lab, tile_width) for r, lab in zip(renders, labels, strict=True)]
    row2 = [_tile(blank, "", tile_width), _tile(blank, "error |pred - gt|, 64 DN = white", tile_width)] + [
        _tile(np.kron(error_map(gt, p), np.ones((2, 2, 1), np.uint8)), f"error {name}", tile_width)
        for name, p in entries
    ]

    def crop(img2x: np.ndarray) -> np.ndarray:
        c = img2x[2 * y : 2 * (y + side), 2 * x : 2 * (x + side)]
        return np.kron(c, np.ones((ZOOM, ZOOM, 1), np.uint8))

    zoom_label = f"zoom: RAW ({y},{x}) +{side}"
    row3 = [_tile(crop(rgb) if rgb is not None else crop(blank), zoom_label, tile_width)] + [
        _tile(crop(r), f"zoom {lab}", tile_width) for r, lab in zip(renders, labels, strict=True)
    ]
    rows = [row1, row2, row3]
    heights = [max(t.height for t in row) for row in rows]
    canvas = Image.new("RGB", (tile_width * len(row1), sum(heights)), "white")
    top = 0
    for row, height in zip(rows, heights, strict=True):
        for i, t in enumerate(row):
            canvas.paste(t, (i * tile_width, top))
        top += height
    buf = io.BytesIO()
    canvas.save(buf, format="PNG", compress_level=3)  # a fast encode: this is drawn per request
    return buf.getvalue()
