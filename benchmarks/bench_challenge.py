"""Time `harness challenge create` (and `check`) on splits of the real AIM 2022 sizes.

Two bundles are generated first (not timed): a test split of 480 patches (RGB 504x504 JPEG in
one folder, 252x252x4 uint16 ground truth in the organiser's folder apart) and a train split of
4320 pairs (JPEG and .npy side by side in one folder), from noise with a cheap JPEG encoding
(quality 75, every file distinct). Then each bundle is created (every file checked: RAW read
with the header-first validator, JPEG decoded in full; inputs and training RAW hard-linked,
ground truth copied private; every file hashed into MANIFEST.sha256) and checked again.

The files were just written, so they are read from the page cache: these are warm-cache figures
(a cold disk adds its read time, about 2.3 GB for the train split).

    python -m benchmarks.bench_challenge [--test 480] [--train 4320] [--workers N] [--dir DIR]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

RAW, RGB = 252, 504

SPEC = """\
title = "bench"
[[tracks]]
name = "s7"
black = 0
white = 1023
[[tracks.splits]]
name = "{split}"
kind = "{kind}"
rgb = "{rgb}"
{target} = "{target_dir}"
"""


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def _jpeg(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=75)
    return buf.getvalue()


def _pair(seed: int, rgb_dir: Path, raw_dir: Path, stem: str) -> int:
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 1024, (RAW, RAW, 4), dtype=np.uint16)
    small = rng.integers(0, 256, (RGB // 8, RGB // 8, 3), dtype=np.uint8)
    rgb = np.repeat(np.repeat(small, 8, axis=0), 8, axis=1)  # blocky noise: a cheap, realistic-size JPEG
    rgb ^= rng.integers(0, 16, rgb.shape, dtype=np.uint8)
    data = _jpeg(rgb)
    (rgb_dir / f"{stem}.jpg").write_bytes(data)
    (raw_dir / f"{stem}.npy").write_bytes(_npy(raw))
    return len(data) + RAW * RAW * 8 + 128


def make_bundle(root: Path, kind: str, n: int, workers: int) -> tuple[Path, int]:
    """A one-split bundle; returns it and its size in bytes."""
    bundle = root / f"bundle-{kind}"
    if kind == "train":
        rgb_dir = raw_dir = bundle / "data" / "train"
        spec = SPEC.format(split="train", kind="train", rgb="data/train", target="raw", target_dir="data/train")
    else:
        rgb_dir, raw_dir = bundle / "data" / "val_rgb", root / "organiser" / "test1-gt"
        spec = SPEC.format(split="test1", kind="test", rgb="data/val_rgb", target="gt", target_dir=str(raw_dir))
    rgb_dir.mkdir(parents=True)
    raw_dir.mkdir(parents=True, exist_ok=True)
    (bundle / "challenge.toml").write_text(spec)
    stems = [f"{i // 48}_{i % 48}" for i in range(n)]  # <image>_<patch>, 48 patches an image
    with ThreadPoolExecutor(workers) as pool:
        size = sum(pool.map(lambda i: _pair(1000 * len(kind) + i, rgb_dir, raw_dir, stems[i]), range(n)))
    return bundle, size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--test", type=int, default=480, help="patches of the test split")
    ap.add_argument("--train", type=int, default=4320, help="pairs of the train split")
    ap.add_argument("--workers", type=int, default=None, help="threads (default: every core)")
    ap.add_argument("--dir", type=Path, default=None, help="work folder (default: a temporary one, removed)")
    args = ap.parse_args()

    from harness.bundles.build import create_challenge
    from harness.bundles.check import check_challenge

    workers = args.workers or os.cpu_count() or 1
    tmp = Path(tempfile.mkdtemp(prefix="bench-challenge-", dir=args.dir))
    print(f"cores {os.cpu_count()}, threads {workers}; work folder {tmp}")
    rows = []
    try:
        for kind, n in (("test", args.test), ("train", args.train)):
            t0 = time.perf_counter()
            bundle, size = make_bundle(tmp, kind, n, workers)
            gen = time.perf_counter() - t0
            print(f"generated the {kind} bundle: {n} pairs, {size / 1e9:.2f} GB in {gen:.1f} s (not timed)")
            t0 = time.perf_counter()
            report = create_challenge(bundle, tmp / "var", name=f"bench-{kind}", workers=workers)
            created = time.perf_counter() - t0
            assert report.ok, report.problems[:5]
            t0 = time.perf_counter()
            checked = check_challenge(Path(report.path), workers=workers)
            check_s = time.perf_counter() - t0
            assert checked.ok, checked.problems[:5]
            rows.append((kind, n, size, created, check_s, report.linked, report.copied))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    print(
        f"{'split':6} {'pairs':>6} {'GB':>6} {'create s':>9} {'pairs/s':>8} {'MB/s':>7} {'check s':>8}  linked / copied"
    )
    for kind, n, size, created, check_s, linked, copied in rows:
        print(
            f"{kind:6} {n:6d} {size / 1e9:6.2f} {created:9.2f} {n / created:8.0f} {size / 1e6 / created:7.0f} "
            f"{check_s:8.2f}  {linked} / {copied}"
        )


if __name__ == "__main__":
    main()
