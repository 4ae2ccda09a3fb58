"""Service timings: a 480-patch upload to its leaderboard row, and page latency at 10,000 submissions.

Runs a real server process (uvicorn, SQLite under a temp data dir). Reference for the latency
figure: the same pages with 100 submissions in the database, in the same run.

    python benchmarks/bench_service.py [--patches 480] [--submissions 10000]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

import httpx
import numpy as np

from harness.challenge import ChallengeLayout, ChallengeSpec, SplitSpec, TrackSpec, save_challenge
from harness.sim.camera import IspConfig
from leaderboard.launch import start_server, stop_server


def npy(arr) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def make_challenge(root: Path, n: int, patch: int) -> Path:
    rng = np.random.default_rng(0)
    split = SplitSpec(name="test1", limit_per_day=100_000, limit_total=100_000)
    track = TrackSpec(
        name="s7", title="S7", camera="bench", black=0, white=1023, patch=patch, isp=IspConfig(), splits=[split]
    )
    chal = ChallengeLayout.under(root, "demo")
    files = chal.split("s7", "test1")
    files.gt.mkdir(parents=True)
    for i in range(n):
        files.gt_of(str(i)).write_bytes(npy(rng.integers(0, 1024, (patch, patch, 4)).astype(np.uint16)))
    save_challenge(ChallengeSpec(name="demo", title="bench", tracks=[track]), chal.root)
    return files.gt


def start(data_dir: Path) -> tuple[subprocess.Popen, str]:
    env = {
        **os.environ,
        "HARNESS_DATA_DIR": str(data_dir),
        "HARNESS_ORGANISER_TOKEN": "bench-organiser-token-0123456789abcdef",
    }
    env.pop("HARNESS_DATABASE_URL", None)
    return start_server(env, data_dir / "server.log")


def upload_to_row(n: int, patch: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        gt = make_challenge(root, n, patch)
        rng = np.random.default_rng(1)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for p in sorted(gt.iterdir()):
                g = np.load(p).astype(np.int32)
                zf.writestr(
                    f"preds/{p.name}", npy(np.clip(g + rng.integers(-8, 9, g.shape), 0, 1024).astype(np.uint16))
                )
        payload = buf.getvalue()
        proc, base = start(root)
        try:
            token = httpx.post(f"{base}/api/teams", json={"name": "bench"}).json()["token"]
            t0 = time.perf_counter()
            r = httpx.post(
                f"{base}/api/submissions",
                headers={"Authorization": f"Bearer {token}"},
                data={"track": "s7", "split": "test1"},
                files={"file": ("p.zip", payload)},
                timeout=600,
            )
            t_upload = time.perf_counter() - t0
            sub = r.json()["id"]
            while httpx.get(f"{base}/api/submissions/{sub}", headers={"Authorization": f"Bearer {token}"}).json()[
                "status"
            ] not in ("scored", "failed"):
                time.sleep(0.05)
            while "bench" not in httpx.get(f"{base}/leaderboard/s7").text:
                time.sleep(0.05)
            total = time.perf_counter() - t0
        finally:
            stop_server(proc)
    return {"patches": n, "zip_mb": len(payload) / 2**20, "upload_s": t_upload, "upload_to_row_s": total}


def page_latency(n_subs: int, n_teams: int = 200, repeat: int = 20) -> dict:
    from sqlmodel import Session

    from leaderboard.db import init_db, make_engine
    from leaderboard.models import Score, Status, Submission, Team
    from leaderboard.settings import Settings, database_url

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_challenge(root, 2, 16)
        engine = make_engine(database_url(Settings(data_dir=root)))
        init_db(engine)
        rng = np.random.default_rng(2)
        with Session(engine) as s:
            teams = [Team(name=f"team-{i}", token_sha256=f"{i:064x}") for i in range(n_teams)]
            s.add_all(teams)
            s.commit()
            subs = [
                Submission(
                    team_id=teams[i % n_teams].id,
                    challenge="demo",
                    track="s7",
                    split="test1",
                    status=Status.SCORED,
                    upload_sha256="0" * 64,
                    upload_bytes=1,
                    extra_data=bool(i % 2),
                    params_m=float(i % 50),
                    runtime_s=0.1,
                )
                for i in range(n_subs)
            ]
            s.add_all(subs)
            s.commit()
            s.add_all(
                Score(
                    submission_id=sub.id,
                    split="test1",
                    psnr=float(rng.normal(40, 2)),
                    ssim=float(rng.uniform(0.9, 1)),
                    n_images=2,
                    profile="aim22",
                    harness_version="bench",
                    gt_manifest_sha256="0",
                )
                for sub in subs
            )
            s.commit()
        engine.dispose()
        proc, base = start(root)
        try:
            out = {}
            for name, path in (("html", "/leaderboard/s7"), ("api", "/api/leaderboard/s7")):
                httpx.get(base + path)
                times = []
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    assert httpx.get(base + path, timeout=60).status_code == 200
                    times.append(time.perf_counter() - t0)
                out[name] = statistics.median(times)
        finally:
            stop_server(proc)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patches", type=int, default=480)
    ap.add_argument("--patch-size", type=int, default=252)
    ap.add_argument("--submissions", type=int, default=10_000)
    args = ap.parse_args()
    up = upload_to_row(args.patches, args.patch_size)
    print(
        f"upload of {up['patches']} patches ({up['zip_mb']:.0f} MiB zip): request {up['upload_s']:.2f} s, upload to leaderboard row {up['upload_to_row_s']:.2f} s"
    )
    ref = page_latency(100)
    big = page_latency(args.submissions)
    for kind in ("html", "api"):
        print(
            f"leaderboard {kind:4s}: {args.submissions} submissions {big[kind] * 1e3:7.1f} ms | reference 100 submissions {ref[kind] * 1e3:6.1f} ms | ratio {big[kind] / ref[kind]:5.1f}x"
        )


if __name__ == "__main__":
    main()
