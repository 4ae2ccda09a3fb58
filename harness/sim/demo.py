"""The demo challenge: a small, deterministic, realistic Reversed ISP challenge on disk.

Ground-truth RAW comes from real sensor captures (``harness.sim.sources``: the crops shipped in
the package, or ``HARNESS_RAW_CAPTURES_DIR``) and from scikit-image's bundled photographs unprocessed to RAW
(``harness.sim.unprocess``). Each track renders RAW to sRGB JPEG with its own simulated camera
(``harness.sim.camera``); the ``p20`` track also displaces the RGB slightly (crop/zoom), as the
real P20 pairs are. Same seed, same bytes: every file's sha256 goes into ``MANIFEST.sha256``
and every patch's provenance into ``frames.json``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from scipy.ndimage import affine_transform, zoom

from harness.challenge import ChallengeLayout, ChallengeSpec, Misalignment, SplitSpec, TrackSpec, save_challenge
from harness.hashing import file_sha256
from harness.rgbio import encode_jpeg
from harness.sim.camera import IspConfig, render
from harness.sim.sources import DEFAULT_ROOT, available, read_linear
from harness.sim.unprocess import sensor_quantise, unprocess_linear

NAME = "demo"
PHOTOS = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "hubble_deep_field",
    "retina",
    "immunohistochemistry",
    "stereo_motorcycle",
)
MARGIN = 32  # packed pixels of context rendered around a patch (demosaic, sharpening, warp)
OPENS = datetime(2026, 1, 1, tzinfo=UTC)
CLOSES = datetime(2027, 1, 1, tzinfo=UTC)


def demo_spec(seed: int = 0, scale: float = 1.0) -> ChallengeSpec:
    """The two tracks of the demo, shaped like the real challenge's."""

    def splits(primary: str) -> list[SplitSpec]:
        return [
            SplitSpec(name="train", kind="train"),
            SplitSpec(name="test1", primary_metric=primary, opens=OPENS, closes=CLOSES),
            SplitSpec(
                name="test2",
                primary_metric=primary,
                visibility="hidden",
                opens=OPENS,
                closes=CLOSES,
                full_resolution=True,
            ),
        ]

    s7 = TrackSpec(
        name="s7",
        title="Track 1: Samsung S7 (simulated)",
        camera="Samsung Galaxy S7, Sony IMX260 (simulated ISP)",
        black=0,
        white=1023,
        patch=252,
        isp=IspConfig(
            black=0, white=1023, wb_gains=(1.9, 1.0, 1.7), tone=0.35, local_tone=0.25, sharpen=0.4, jpeg_quality=92
        ),
        splits=splits("psnr"),
    )
    p20 = TrackSpec(
        name="p20",
        title="Track 2: Huawei P20 Pro (simulated)",
        camera="Huawei P20 Pro, Sony IMX380 (simulated ISP)",
        black=60,
        white=1020,
        patch=248,
        misalignment=Misalignment(),
        isp=IspConfig(
            black=60,
            white=1020,
            wb_gains=(2.1, 1.0, 1.5),
            ccm=((1.75, -0.55, -0.20), (-0.30, 1.60, -0.30), (0.05, -0.65, 1.60)),
            tone=0.45,
            local_tone=0.35,
            sharpen=0.6,
            jpeg_quality=90,
        ),
        splits=splits("ssim"),
    )
    return ChallengeSpec(
        name=NAME,
        title="Reversed ISP demo challenge",
        seed=seed,
        scale=scale,
        reference="aim2022",  # the demo's tracks mirror AIM 2022's: its report's table is shown beside them
        tracks=[s7, p20],
    )


@dataclass
class Frame:
    """A source image in linear camera space (1.0 = white level) and the AWB the camera uses."""

    name: str
    kind: str  # "capture" | "photo"
    linear: np.ndarray
    wb_gains: tuple[float, float, float]


def _grey_world(linear: np.ndarray) -> tuple[float, float, float]:
    m = linear.reshape(-1, 4).mean(axis=0)
    g = (m[1] + m[2]) / 2
    return (float(g / max(m[0], 1e-6)), 1.0, float(g / max(m[3], 1e-6)))


def _at_least(linear: np.ndarray, side: int) -> np.ndarray:
    f = side / min(linear.shape[:2])
    return zoom(linear, (f, f, 1), order=1) if f > 1 else linear


def load_frames(track: TrackSpec, raw_root: Path = DEFAULT_ROOT) -> list[Frame]:
    """Every source as a frame for ``track``: real captures first, then photographs."""
    from skimage import data as skdata

    frames = []
    for cap in available(raw_root):
        lin = _at_least(read_linear(cap, raw_root), track.patch + 2 * MARGIN)
        frames.append(Frame(f"capture-{cap.name}", "capture", lin, _grey_world(lin)))
    for name in PHOTOS:
        img = getattr(skdata, name)()
        img = img[0] if isinstance(img, tuple) else img
        # upscale just enough that the mosaic (half the photo's size) holds a patch with context
        upscale = max(1.0, 2 * (track.patch + 2 * MARGIN) / min(img.shape[:2]))
        lin = unprocess_linear(img[..., :3], track.isp, upscale=upscale)
        frames.append(Frame(f"photo-{name}", "photo", lin, track.isp.wb_gains))
    return frames


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


class _Writer:
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


def _patch_split(
    track: TrackSpec, split: str, frames: list[Frame], per_frame: int, rng, out: _Writer, log: list, tick
) -> None:
    p, m = track.patch, MARGIN
    where = out.layout.split(track.name, split)
    target_of = where.raw_of if track.split(split).kind == "train" else where.gt_of
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
            out.npy(target_of(str(counter)), raw_patch)
            out.bytes(where.rgb_path(str(counter)), encode_jpeg(rgb_patch, cfg.jpeg_quality))
            info["clipped_fraction"] = float(np.mean(raw_patch >= track.white))
            log.append(info)
            counter += 1
            tick()


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


def _full_split(track: TrackSpec, frames: list[Frame], rng, out: _Writer, log: list, tick) -> None:
    p = track.patch
    rows, cols = track.grid
    split = next(s.name for s in track.test_splits if s.full_resolution)
    where = out.layout.split(track.name, split)
    for i, frame in enumerate(frames):
        lin = _fit(frame.linear, track.full_size)
        cfg, exposure = _cfg_for(track, frame, rng)
        raw = sensor_quantise(lin, track.black, track.white, rng, exposure=exposure, **_noise(frame))
        info = {
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


@dataclass
class DemoPlan:
    n_test2: int
    n_test1_frames: int
    per_frame: int

    @classmethod
    def for_scale(cls, scale: float) -> DemoPlan:
        return cls(
            n_test2=max(1, round(scale)),
            n_test1_frames=max(2, math.ceil(5 * scale)),
            per_frame=max(1, math.ceil(2 * scale)),
        )


def build_demo(
    data_dir: Path,
    *,
    seed: int = 0,
    scale: float = 1.0,
    raw_root: Path = DEFAULT_ROOT,
    on_progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write the demo challenge under ``data_dir/challenges/demo`` and return that folder.

    An existing demo folder is replaced. ``on_progress(done, total)`` reports progress.
    """
    import shutil

    spec = demo_spec(seed, scale)
    layout = ChallengeLayout.under(data_dir, NAME)
    root = layout.root
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    out = _Writer(layout)
    plan = DemoPlan.for_scale(scale)
    log: list[dict] = []
    streams = np.random.SeedSequence(seed).spawn(len(spec.tracks))
    frames_by_track = {t.name: load_frames(t, raw_root) for t in spec.tracks}
    n_frames = len(next(iter(frames_by_track.values())))
    n_test1 = min(plan.n_test1_frames, max(1, n_frames - plan.n_test2 - 1))
    total = len(spec.tracks) * (plan.n_test2 + plan.per_frame * (n_frames - plan.n_test2))
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if on_progress:
            on_progress(done, total)

    for track, stream in zip(spec.tracks, streams, strict=True):
        rng = np.random.default_rng(stream)
        frames = frames_by_track[track.name]
        order = rng.permutation(len(frames))
        # the largest frames make the best full-resolution images
        by_size = sorted(order, key=lambda i: -frames[i].linear.shape[0] * frames[i].linear.shape[1])
        test2 = [frames[i] for i in by_size[: plan.n_test2]]
        rest = [frames[i] for i in order if frames[i] not in test2]
        _full_split(track, test2, rng, out, log, tick)
        _patch_split(track, "test1", rest[:n_test1], plan.per_frame, rng, out, log, tick)
        _patch_split(track, "train", rest[n_test1:], plan.per_frame, rng, out, log, tick)
    if on_progress:
        on_progress(total, total)
    out.files.append(save_challenge(spec, root))
    layout.frames.write_text(json.dumps(log, indent=1, sort_keys=True))
    out.files.append(layout.frames)
    lines = sorted(f"{file_sha256(f)}  {f.relative_to(root).as_posix()}" for f in out.files)
    layout.manifest.write_text("\n".join(lines) + "\n")
    return root
