"""Render times of the analysis pages with 20 entries, against the same pages with 2 entries.

A real server (SQLite) on a split of 48 RAW patches of 252x252x4 with their sRGB inputs (some
saturated, so region metrics have work to do); N teams each submit one noisy prediction set.
Times are medians of 5 requests after one warm-up.

    python -m benchmarks.bench_analysis [--entries 20] [--images 48]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
import zipfile
from pathlib import Path

import httpx
import numpy as np

from benchmarks.bench_service import npy
from harness.challenge import ChallengeLayout, ChallengeSpec, SplitSpec, TrackSpec, save_challenge
from harness.rgbio import encode_jpeg
from harness.sim.camera import IspConfig
from leaderboard.launch import start_server, stop_server

PATCH = 252


def make_split(root: Path, n: int) -> Path:
    rng = np.random.default_rng(0)
    split = SplitSpec(name="test1", limit_per_day=1000, limit_total=1000)
    track = TrackSpec(
        name="s7", title="S7", camera="bench", black=0, white=1023, patch=PATCH, isp=IspConfig(), splits=[split]
    )
    chal = ChallengeLayout.under(root, "demo")
    files = chal.split("s7", "test1")
    files.gt.mkdir(parents=True)
    files.rgb.mkdir()
    for i in range(n):
        lin = np.clip(rng.uniform(0.0, 1.2, (PATCH // 12 + 1, PATCH // 12 + 1, 3)), 0, 1)
        lin = np.kron(lin, np.ones((24, 24, 1)))[: 2 * PATCH, : 2 * PATCH]
        rgb = np.clip(255 * lin ** (1 / 2.2), 0, 255).astype(np.uint8)
        raw = np.stack([lin[0::2, 0::2, 0], lin[0::2, 1::2, 1], lin[1::2, 0::2, 1], lin[1::2, 1::2, 2]], axis=-1)
        files.gt_of(str(i)).write_bytes(npy(np.round(raw * 1023).astype(np.uint16)))
        files.rgb_path(str(i)).write_bytes(encode_jpeg(rgb, 92))
    save_challenge(ChallengeSpec(name="demo", title="bench", tracks=[track]), chal.root)
    return files.gt


def upload(gt: Path, noise: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for p in sorted(gt.glob("*.npy")):
            g = np.load(p).astype(int)
            zf.writestr(p.name, npy(np.clip(g + rng.integers(-noise, noise + 1, g.shape), 0, 1024).astype(np.uint16)))
    return buf.getvalue()


PAGES = {
    "leaderboard page (CI, groups, regions)": "/leaderboard/s7",
    "leaderboard API": "/api/leaderboard/s7?split=test1",
    "per-image PSNR plot (PNG)": "/api/analysis/s7/plot/psnr-distribution.png?split=test1",
    "PSNR vs runtime plot (PNG)": "/api/analysis/s7/plot/psnr-vs-runtime.png?split=test1",
    "PSNR vs params plot (SVG)": "/api/analysis/s7/plot/psnr-vs-params.svg?split=test1",
    "comparison of the top 4 (PNG)": "/api/analysis/s7/compare.png?split=test1&image=3",
}


def timings(entries: int, images: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        gt = make_split(root, images)
        env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
        env.update(HARNESS_DATA_DIR=str(root), HARNESS_ORGANISER_TOKEN="bench-organiser-token-0123456789abcdef")
        proc, base = start_server(env, root / "server.log")
        try:
            for i in range(entries):
                token = httpx.post(f"{base}/api/teams", json={"name": f"team-{i}"}).json()["token"]
                httpx.post(
                    f"{base}/api/submissions",
                    headers={"Authorization": f"Bearer {token}"},
                    data={
                        "track": "s7",
                        "split": "test1",
                        "runtime_s": str(0.01 * (i + 1)),
                        "params_m": str(0.5 * (i + 1)),
                    },
                    files={"file": ("p.zip", upload(gt, 2 + 3 * i, i), "application/zip")},
                    timeout=120,
                ).raise_for_status()
            while len(httpx.get(f"{base}/api/leaderboard/s7?split=test1").json()) < entries:
                time.sleep(0.2)
            out = {}
            for name, path in PAGES.items():
                httpx.get(base + path, timeout=120).raise_for_status()
                samples = []
                for _ in range(5):
                    t0 = time.perf_counter()
                    httpx.get(base + path, timeout=120).raise_for_status()
                    samples.append(time.perf_counter() - t0)
                out[name] = statistics.median(samples)
            return out
        finally:
            stop_server(proc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entries", type=int, default=20)
    ap.add_argument("--images", type=int, default=48)
    args = ap.parse_args()
    ref = timings(2, args.images)
    big = timings(args.entries, args.images)
    print(f"analysis pages, {args.images} images of 252x252x4 per entry, median of 5 (reference: 2 entries)")
    for name in PAGES:
        print(
            f"  {name:40s} {args.entries} entries {1000 * big[name]:7.1f} ms   2 entries {1000 * ref[name]:7.1f} ms"
            f"   {big[name] / ref[name]:5.2f}x"
        )


if __name__ == "__main__":
    main()
