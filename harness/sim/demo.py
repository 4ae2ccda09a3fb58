"""The demo challenge: a small, deterministic, realistic Reversed ISP challenge on disk.

Ground-truth RAW comes from real sensor captures (``harness.sim.sources``: the crops shipped in
the package, or ``HARNESS_RAW_CAPTURES_DIR``) and from scikit-image's bundled photographs unprocessed to RAW
(``harness.sim.unprocess``). Each track renders RAW to sRGB JPEG with its own simulated camera
(``harness.sim.camera``); the ``p20`` track also displaces the RGB slightly (crop/zoom), as the
real P20 pairs are. The ``fwd`` track turns the task around (RAW -> sRGB, this harness's own
extension, not part of AIM 2022): the S7's camera renders its ground truth, 8-bit PNG, from the RAW
it gives as input, on small patches so that it adds little to the build. Same seed, same bytes: every file's sha256 goes into ``MANIFEST.sha256``
and every patch's provenance into ``frames.json``.

This module assembles the challenge (its spec, the split plan, the manifest); ``frames`` loads the
sources and ``demo_pairs`` renders and writes the pairs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from harness.challenge import ChallengeLayout, ChallengeSpec, Misalignment, SplitSpec, TrackSpec, save_challenge
from harness.hashing import file_sha256
from harness.sim.camera import IspConfig
from harness.sim.demo_pairs import Writer, full_split, patch_split
from harness.sim.frames import load_frames
from harness.sim.sources import DEFAULT_ROOT

NAME = "demo"
OPENS = datetime(2026, 1, 1, tzinfo=UTC)
CLOSES = datetime(2027, 1, 1, tzinfo=UTC)
FORWARD_PATCH = 64  # packed side of the forward track's patches (its sRGB: 128 x 128)
FORWARD_PER_FRAME = 4
FRAMES_OF = {"fwd": "s7"}  # the forward track shows the S7's camera: its frames, loaded once


AIM_GRID = (6, 8)  # the challenge's full-resolution images: 6 x 8 patches


def demo_grid(scale: float) -> tuple[int, int]:
    """Patches per full-resolution image: the challenge's 6 x 8 from scale 1 up; fewer below (quick tries)."""
    if scale >= 1:
        return AIM_GRID
    return max(2, round(AIM_GRID[0] * scale)), max(2, round(AIM_GRID[1] * scale))


def demo_spec(seed: int = 0, scale: float = 1.0) -> ChallengeSpec:
    """The two tracks of the demo, shaped like the real challenge's (below scale 1, smaller full images)."""

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
        grid=demo_grid(scale),
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
        grid=demo_grid(scale),
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
    fwd_splits = [
        SplitSpec(name="train", kind="train"),
        SplitSpec(name="test1", primary_metric="psnr", opens=OPENS, closes=CLOSES, models="none"),
        SplitSpec(name="test2", primary_metric="psnr", visibility="hidden", opens=OPENS, closes=CLOSES, models="none"),
    ]
    fwd = TrackSpec(
        name="fwd",
        title="Forward track: RAW to sRGB (simulated S7, harness extension)",
        camera=s7.camera,
        kind="forward",
        black=s7.black,
        white=s7.white,
        patch=FORWARD_PATCH,
        isp=s7.isp,
        splits=fwd_splits,
    )
    return ChallengeSpec(
        name=NAME,
        title="Reversed ISP demo challenge",
        seed=seed,
        scale=scale,
        reference="aim2022",  # the demo's tracks mirror AIM 2022's: its report's table is shown beside them
        tracks=[s7, p20, fwd],
    )


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

    def per_frame_of(self, track: TrackSpec) -> int:
        """Patches cut from each frame: a forward track's are small, so it takes four times as many."""
        return FORWARD_PER_FRAME * self.per_frame if track.forward else self.per_frame


def build_demo(
    data_dir: Path,
    *,
    seed: int = 0,
    scale: float = 1.0,
    raw_root: Path = DEFAULT_ROOT,
    on_progress: Callable[[int, int], None] | None = None,
    align: bool = True,
) -> Path:
    """Write the demo challenge under ``data_dir/challenges/demo`` and return that folder.

    An existing demo folder is replaced. ``on_progress(done, total)`` reports progress. ``align``
    writes each test split's reference alignment (``harness.alignment.manifest``), listed in the
    manifest like every other file.
    """
    import shutil

    spec = demo_spec(seed, scale)
    layout = ChallengeLayout.under(data_dir, NAME)
    root = layout.root
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    out = Writer(layout)
    plan = DemoPlan.for_scale(scale)
    log: list[dict] = []
    streams = np.random.SeedSequence(seed).spawn(len(spec.tracks))
    frames_by_track = {t.name: load_frames(t, raw_root) for t in spec.tracks if t.name not in FRAMES_OF}
    for name, source in FRAMES_OF.items():
        frames_by_track[name] = frames_by_track[source]
    n_frames = len(next(iter(frames_by_track.values())))
    n_test1 = min(plan.n_test1_frames, max(1, n_frames - plan.n_test2 - 1))
    total = sum(
        plan.n_test2 * plan.per_frame_of(t) + plan.per_frame_of(t) * (n_frames - plan.n_test2)
        if t.forward
        else plan.n_test2 + plan.per_frame * (n_frames - plan.n_test2)
        for t in spec.tracks
    )
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
        per_frame = plan.per_frame_of(track)
        if track.forward:  # hidden patches (no full-resolution images): RAW in, sRGB PNG ground truth
            patch_split(track, "test2", test2, per_frame, rng, out, log, tick)
        else:
            full_split(track, test2, rng, out, log, tick)
        patch_split(track, "test1", rest[:n_test1], per_frame, rng, out, log, tick)
        patch_split(track, "train", rest[n_test1:], per_frame, rng, out, log, tick)
    if on_progress:
        on_progress(total, total)
    if align:
        from harness.alignment.manifest import align_challenge

        written, _notes = align_challenge(root, spec)  # the demo's splits all align: no notes
        out.files += written
    out.files.append(save_challenge(spec, root))
    layout.frames.write_text(json.dumps(log, indent=1, sort_keys=True))
    out.files.append(layout.frames)
    lines = sorted(f"{file_sha256(f)}  {f.relative_to(root).as_posix()}" for f in out.files)
    layout.manifest.write_text("\n".join(lines) + "\n")
    return root
