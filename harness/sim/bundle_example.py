"""An example challenge bundle in the layout of the AIM 2022 release, made by the demo generator.

``harness challenge example OUT`` writes it; ``harness challenge create OUT`` lays it out. Per
track (``s7``, and the P20-like ``p20`` with black level 60):

```
OUT/challenge.toml                        tracks, splits, folders (commented)
OUT/data-<track>/train/<image>_<k>.jpg    training inputs ...
OUT/data-<track>/train/<image>_<k>.npy    ... and their RAW, side by side as AIM 2022 gave them
OUT/data-<track>/val_rgb/<image>_<k>.jpg  test1 inputs
OUT/data-<track>/test2_full_rgb/<i>.jpg   test2: whole full-resolution inputs
OUT/organiser/<track>-test1-gt/*.npy      ground truth (in a real challenge: kept outside the bundle)
OUT/organiser/<track>-test2-full-gt/*.npy whole full-resolution ground truth
```
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from harness.challenge import ChallengeLayout, load_challenge
from harness.sim.demo import CLOSES, OPENS, build_demo
from harness.sim.sources import DEFAULT_ROOT

TOML = """\
# An example challenge bundle in the layout of the AIM 2022 Reversed ISP release (simulated data,
# made by `harness challenge example`). `harness challenge create <this folder>` checks every file
# and lays the challenge out under DATA_DIR/challenges/<name>. docs/RUNNING-A-CHALLENGE.md explains
# every key; folders are relative to this file, or absolute.
name = "example"
title = "Reversed ISP example challenge (AIM 2022 layout, simulated data)"
profile = "aim22"          # the official metric (PSNR / SSIM on RAW / 1024)
reference = "aim2022"      # show AIM 2022's reported results beside the leaderboard

[[tracks]]
name = "s7"
title = "Track 1: Samsung S7 (simulated)"
camera = "Samsung Galaxy S7, Sony IMX260 (simulated ISP)"
black = 0                  # black and white level of the RAW; left out, they are read from the data
white = 1023
# patch (252) and grid (6x8) are read from the data: say them (patch = 252, grid = [6, 8]) to have them checked

[[tracks.splits]]
name = "train"
kind = "train"
rgb = "data-s7/train"      # inputs and RAW side by side: one folder for both
raw = "data-s7/train"

[[tracks.splits]]
name = "test1"
primary_metric = "psnr"
opens = {opens}
closes = {closes}
limit_per_day = 5
limit_total = 100
rgb = "data-s7/val_rgb"
gt = "organiser/s7-test1-gt"   # a real challenge keeps this outside the bundle: gt = "/srv/organiser/s7-test1-gt"

[[tracks.splits]]
name = "test2"
primary_metric = "psnr"
visibility = "hidden"      # no results shown until an organiser reveals the split
opens = {opens}
closes = {closes}
full_resolution = true     # whole images; the harness cuts them into the grid of patches <image>_<k>
full_rgb = "data-s7/test2_full_rgb"
full_gt = "organiser/s7-test2-full-gt"

[[tracks]]
name = "p20"
title = "Track 2: Huawei P20 Pro (simulated)"
camera = "Huawei P20 Pro, Sony IMX380 (simulated ISP)"
black = 60
white = 1020

[[tracks.splits]]
name = "train"
kind = "train"
rgb = "data-p20/train"
raw = "data-p20/train"

[[tracks.splits]]
name = "test1"
primary_metric = "ssim"    # the P20's RGB is not aligned with its RAW: SSIM ranks it
opens = {opens}
closes = {closes}
rgb = "data-p20/val_rgb"
gt = "organiser/p20-test1-gt"

[[tracks.splits]]
name = "test2"
primary_metric = "ssim"
visibility = "hidden"
opens = {opens}
closes = {closes}
full_resolution = true
full_rgb = "data-p20/test2_full_rgb"
full_gt = "organiser/p20-test2-full-gt"
"""

README = """\
# Example challenge bundle

Simulated data in the layout of the AIM 2022 Reversed ISP release, written by
`harness challenge example`. See `challenge.toml` and docs/RUNNING-A-CHALLENGE.md.

    harness challenge create {out} --name example
    harness challenge check example
"""


def _aim_names(log: list[dict], split: str, count: int) -> dict[str, str]:
    """Demo stem -> ``<image>_<k>``: the image numbers the source frame, k the patch within it."""
    entries = [e for e in log if e["split"] == split][:count]
    images: dict[str, int] = {}
    seen: dict[str, int] = {}
    names = {}
    for e in entries:
        image = images.setdefault(e["source"], len(images))
        k = seen.get(e["source"], 0)
        seen[e["source"]] = k + 1
        names[e["stem"]] = f"{image}_{k}"
    return names


def _place(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)


def write_example_bundle(out: Path, *, seed: int = 0, scale: float = 0.5, raw_root: Path = DEFAULT_ROOT) -> Path:
    """Write the example bundle into ``out`` (made if missing) and return it."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="example-bundle-") as tmp:
        root = build_demo(Path(tmp), seed=seed, scale=scale, raw_root=raw_root)
        spec = load_challenge(root)
        log = json.loads(ChallengeLayout(root).frames.read_text())
        layout = ChallengeLayout(root)
        for track in spec.tracks:
            if track.forward:  # a bundle has AIM 2022's layout: reverse tracks only
                continue
            counts = {
                "test2": len(layout.split(track.name, "test2").full.gt_files()),
                "test1": len(layout.split(track.name, "test1").gt_files()),
                "train": len(layout.split(track.name, "train").raw_files()),
            }
            block = [e for e in log if e["track"] == track.name]
            data, organiser = out / f"data-{track.name}", out / "organiser"
            train = layout.split(track.name, "train")
            for stem, name in _aim_names(block, "train", counts["train"]).items():
                _place(train.rgb_of(stem), data / "train" / f"{name}.jpg")
                _place(train.raw_of(stem), data / "train" / f"{name}.npy")
            test1 = layout.split(track.name, "test1")
            for stem, name in _aim_names(block, "test1", counts["test1"]).items():
                _place(test1.rgb_of(stem), data / "val_rgb" / f"{name}.jpg")
                _place(test1.gt_of(stem), organiser / f"{track.name}-test1-gt" / f"{name}.npy")
            full = layout.split(track.name, "test2").full
            for gt in full.gt_files():
                _place(full.rgb_of(gt.stem), data / "test2_full_rgb" / f"{gt.stem}.jpg")
                _place(gt, organiser / f"{track.name}-test2-full-gt" / gt.name)
    stamp = {"opens": OPENS.strftime("%Y-%m-%dT%H:%M:%SZ"), "closes": CLOSES.strftime("%Y-%m-%dT%H:%M:%SZ")}
    (out / "challenge.toml").write_text(TOML.format(**stamp))
    (out / "README.md").write_text(README.format(out=os.fspath(out)))
    return out
