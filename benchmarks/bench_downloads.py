"""Download throughput of a test split's inputs zip, against reading the same file from disk.

A split of N patches at the real size (504x504 sRGB JPEGs, quality 92, textured so each is ~100 kB
like the challenge's); the inputs zip is built once in-process (timed: zip + fsync + sha256), then a
real server (SQLite, no worker) serves it over loopback: MB/s of whole downloads and of a resumed
half (a Range request), median of R runs, next to a plain read of the file (the ceiling).

    python -m benchmarks.bench_downloads [--patches 480] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from harness.challenge import ChallengeLayout, ChallengeSpec, SplitSpec, TrackSpec, save_challenge
from harness.rgbio import encode_jpeg
from leaderboard.launch import start_server, stop_server
from leaderboard.services.challenge import Challenge
from leaderboard.services.downloads import Downloads

PATCH = 252  # packed RAW side: RGB patches are 504 x 504


def make_split(root: Path, n: int) -> ChallengeLayout:
    rng = np.random.default_rng(0)
    track = TrackSpec(
        name="s7", title="S7", camera="bench", black=0, white=1023, patch=PATCH, splits=[SplitSpec(name="test1")]
    )
    chal = ChallengeLayout.under(root, "demo")
    files = chal.split("s7", "test1")
    files.rgb.mkdir(parents=True)
    side = 2 * PATCH
    for i in range(n):
        coarse = (255 * rng.uniform(0.05, 0.95, (side // 24 + 1, side // 24 + 1, 3)) ** (1 / 2.2)).astype(np.float32)
        smooth = np.kron(coarse, np.ones((24, 24, 1), np.float32))[:side, :side]
        noise = rng.standard_normal((side, side, 3), dtype=np.float32) * 9
        rgb = np.clip(smooth + noise, 0, 255).astype(np.uint8)
        files.rgb_path(f"{i // 48}_{i % 48}").write_bytes(encode_jpeg(rgb, 92))
    save_challenge(ChallengeSpec(name="demo", title="bench", tracks=[track]), chal.root)
    return chal


def timed_get(client: httpx.Client, url: str, headers: dict | None = None) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = 0
    with client.stream("GET", url, headers=headers) as r:
        r.raise_for_status()
        for chunk in r.iter_raw(1 << 20):
            n += len(chunk)
    return time.perf_counter() - t0, n


def curl_speed(url: str) -> float:
    """MB/s of one whole download by curl (a client that is not Python: is the server or httpx the limit?)."""
    out = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{speed_download}", url], capture_output=True, text=True, check=True
    )
    return float(out.stdout) / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--patches", type=int, default=480)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        chal = make_split(root, args.patches)
        made = time.perf_counter() - t0
        inputs = chal.split("s7", "test1").rgb_files()
        content = sum(p.stat().st_size for p in inputs)
        downloads = Downloads(root / "downloads" / "demo", Challenge(chal))
        t0 = time.perf_counter()
        info = downloads.archive("s7", "test1", "inputs")
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = downloads.archive("s7", "test1", "inputs")
        kept = time.perf_counter() - t0
        assert again.sha256 == info.sha256
        t0 = time.perf_counter()
        sample = downloads.archive("s7", "test1", "sample")  # built here, so the server has nothing left to build
        sample_build = time.perf_counter() - t0
        t0 = time.perf_counter()
        with open(info.path, "rb") as f:
            while f.read(1 << 20):
                pass
        disk = info.size / (time.perf_counter() - t0) / 1e6

        env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
        env.update(HARNESS_DATA_DIR=str(root), HARNESS_SERVE_WORKER="false")
        proc, base = start_server(env, root / "server.log")
        try:
            url = f"{base}/api/data/s7/test1/inputs.zip"
            with httpx.Client(timeout=120) as client:
                t0 = time.perf_counter()
                listing = client.get(f"{base}/api/data/s7").json()
                first_listing = time.perf_counter() - t0
                assert listing["splits"][0]["archives"][0]["sha256"] == info.sha256
                timed_get(client, url)  # warm-up
                whole, half = [], []
                for _ in range(args.runs):
                    s, n = timed_get(client, url)
                    assert n == info.size
                    whole.append(n / s / 1e6)
                    s, n = timed_get(client, url, {"Range": f"bytes={info.size // 2}-"})
                    assert n == info.size - info.size // 2
                    half.append(n / s / 1e6)
            curl = [curl_speed(url) for _ in range(args.runs)] if shutil.which("curl") else []
        finally:
            stop_server(proc)
    print(
        f"inputs zip of {args.patches} patches (504x504 JPEG, {content / len(inputs) / 1e3:.0f} kB each): "
        f"{info.size / 1e6:.1f} MB, ZIP_STORED (split generated in {made:.1f} s)"
    )
    print(f"  build once (zip + fsync + sha256)     {build:7.3f} s   ({info.size / build / 1e6:6.0f} MB/s)")
    print(f"  already built (stat + key check)      {1000 * kept:7.1f} ms")
    print(f"  sample submission (naive predictor)   {sample_build:7.3f} s   ({sample.size / 1e6:.1f} MB, deflated)")
    print(f"  listing with it (first request)       {1000 * first_listing:7.1f} ms")
    print(
        f"  download over loopback, median of {args.runs}: whole {statistics.median(whole):6.0f} MB/s, "
        f"resumed half (Range) {statistics.median(half):6.0f} MB/s; reading the file from disk {disk:6.0f} MB/s "
        f"({statistics.median(whole) / disk:.2f}x)"
    )
    if curl:
        print(f"  the same download by curl, median of {args.runs}: {statistics.median(curl):6.0f} MB/s")


if __name__ == "__main__":
    main()
