"""Rendering and writing the demo's RAW/RGB pairs: patch splits, and full-resolution images cut into the grid.

Each source frame gets its track's simulated camera (``harness.sim.camera``) with the frame's white
balance and a drawn exposure, sensor noise where it has none of its own, and on a misaligned
track (``p20``) a slight zoom and shift of the RGB. Files go where the challenge's layout says;
the writer remembers every one for the manifest, and every pair's provenance goes to the log.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.ndimage import affine_transform, zoom

from harness.challenge import ChallengeLayout, TrackSpec
from harness.rgbio import encode_jpeg, encode_png
from harness.sim.camera import IspConfig, render
from harness.sim.frames import MARGIN, Frame
from harness.sim.unprocess import sensor_quantise


def _misalign(rgb: np.ndarray, zoom_factor: float, shift: tuple[float, float]) -> np.ndarray:
    """Zoom about the centre and shift (RGB pixels), as the P20's ISP crop/zoom does."""
    centre = (np.array(rgb.shape[:2]) - 1) / 2
    matrix = np.diag([1 / zoom_factor, 1 / zoom_factor])
    offset = centre - matrix @ centre - np.asarray(shift) / zoom_factor
    out = np.empty_like(rgb)
    for c in range(3):
        out[..., c] = np.clip(
            np.round(affine_transform(rgb[..., c].astype(np.float64), matrix, offset, order=1, mode="reflect")), 0, 255
        )
    return out


class Writer:
    """Writes the challenge's files (at paths its layout names) and remembers them for the manifest."""

    def __init__(self, layout: ChallengeLayout) -> None:
        self.layout = layout
        self.files: list[Path] = []

    def npy(self, path: Path, arr: np.ndarray) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            np.save(f, arr)
        self.files.append(path)

    def bytes(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.files.append(path)


def _render_pair(raw: np.ndarray, cfg: IspConfig, track: TrackSpec, rng: np.random.Generator, info: dict) -> np.ndarray:
    rgb = render(raw, cfg)
    if track.misalignment is not None:
        lo, hi = track.misalignment.zoom
        z = float(rng.uniform(lo, hi))
        shift = tuple(float(v) for v in rng.uniform(-track.misalignment.shift_px, track.misalignment.shift_px, 2))
        rgb = _misalign(rgb, z, shift)
        info["misalignment"] = {"zoom": z, "shift_px": shift}
    return rgb


def _cfg_for(track: TrackSpec, frame: Frame, rng: np.random.Generator) -> tuple[IspConfig, float]:
    exposure = float(rng.uniform(1.0, 1.8) if frame.kind == "photo" else rng.uniform(1.0, 1.4))
    return track.isp.model_copy(update={"wb_gains": frame.wb_gains}), exposure


def _noise(frame: Frame) -> dict:
    # captures carry their own sensor noise; photographs get shot and read noise added
    return {"shot_noise": 0.6, "read_noise": 1.5} if frame.kind == "photo" else {"shot_noise": 0.05, "read_noise": 0.5}


def patch_split(
    track: TrackSpec, split: str, frames: list[Frame], per_frame: int, rng, out: Writer, log: list, tick
) -> None:
    p, m = track.patch, MARGIN
    where = out.layout.split(track.name, split, track.kind)
    train = track.split(split).kind == "train"
    counter = 0
    for frame in frames:
        h, w = frame.linear.shape[:2]
        cells = [(r, c) for r in range(m, h - p - m + 1, p) for c in range(m, w - p - m + 1, p)]
        if not cells:
            cells = [(max(0, (h - p) // 2), max(0, (w - p) // 2))]
        picks = rng.choice(len(cells), size=min(per_frame, len(cells)), replace=False)
        cfg, exposure = _cfg_for(track, frame, rng)
        for idx in sorted(int(i) for i in picks):
            r, c = cells[idx]
            r0, c0 = max(0, r - m), max(0, c - m)
            region = frame.linear[r0 : min(h, r + p + m), c0 : min(w, c + p + m)]
            raw = sensor_quantise(region, track.black, track.white, rng, exposure=exposure, **_noise(frame))
            info = {
                "track": track.name,
                "split": split,
                "stem": str(counter),
                "source": frame.name,
                "exposure": exposure,
                "wb_gains": list(cfg.wb_gains),
                "cell": [r, c],
            }
            rgb = _render_pair(raw, cfg, track, rng, info)
            dr, dc = r - r0, c - c0
            raw_patch = raw[dr : dr + p, dc : dc + p]
            rgb_patch = rgb[2 * dr : 2 * dr + 2 * p, 2 * dc : 2 * dc + 2 * p]
            _write_patch(where, str(counter), raw_patch, rgb_patch, track, train, cfg.jpeg_quality, out)
            info["clipped_fraction"] = float(np.mean(raw_patch >= track.white))
            log.append(info)
            counter += 1
            tick()


def _write_patch(
    where, stem: str, raw: np.ndarray, rgb: np.ndarray, track: TrackSpec, train: bool, quality: int, out: Writer
) -> None:
    """One pair where the layout puts it: a reverse track's RAW is the target (``raw/`` or ``gt/``) and
    its RGB a JPEG input; a forward track's RAW is the input (``raw/``) and its sRGB the PNG target
    (``rgb/`` of a training split, ``gt/`` of a test split), exactly as the camera rendered it."""
    if not track.forward:
        out.npy(where.raw_of(stem) if train else where.gt_of(stem), raw)
        out.bytes(where.rgb_path(stem), encode_jpeg(rgb, quality))
        return
    out.npy(where.raw_of(stem), raw)
    out.bytes(where.rgb_file(stem, ".png") if train else where.gt_of(stem), encode_png(rgb))


def _fit(linear: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Centre-crop to the aspect of ``size`` and resize to it."""
    h, w = linear.shape[:2]
    th, tw = size
    if h * tw > w * th:
        ch, cw = round(w * th / tw), w
    else:
        ch, cw = h, round(h * tw / th)
    r0, c0 = (h - ch) // 2, (w - cw) // 2
    crop = linear[r0 : r0 + ch, c0 : c0 + cw]
    out = zoom(crop, (th / ch, tw / cw, 1), order=1)
    return out[:th, :tw]


def full_split(track: TrackSpec, frames: list[Frame], rng, out: Writer, log: list, tick) -> None:
    p = track.patch
    rows, cols = track.grid
    split = next(s.name for s in track.test_splits if s.full_resolution)
    where = out.layout.split(track.name, split)
    for i, frame in enumerate(frames):
        lin = _fit(frame.linear, track.full_size)
        cfg, exposure = _cfg_for(track, frame, rng)
        raw = sensor_quantise(lin, track.black, track.white, rng, exposure=exposure, **_noise(frame))
        info = {
            "track": track.name,
            "split": split,
            "image": str(i),
            "source": frame.name,
            "exposure": exposure,
            "wb_gains": list(cfg.wb_gains),
        }
        rgb = _render_pair(raw, cfg, track, rng, info)
        out.npy(where.full.gt_of(str(i)), raw)
        out.bytes(where.full.rgb_path(str(i)), encode_jpeg(rgb, cfg.jpeg_quality))
        for k in range(rows * cols):
            r, c = divmod(k, cols)
            stem = f"{i}_{k}"
            out.npy(where.gt_of(stem), raw[r * p : (r + 1) * p, c * p : (c + 1) * p])
            out.bytes(
                where.rgb_path(stem),
                encode_jpeg(rgb[2 * r * p : 2 * (r + 1) * p, 2 * c * p : 2 * (c + 1) * p], cfg.jpeg_quality),
            )
        info["clipped_fraction"] = float(np.mean(raw >= track.white))
        log.append(info)
        tick()
