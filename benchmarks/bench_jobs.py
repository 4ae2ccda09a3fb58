"""Scoring-job throughput with 1 and 2 worker processes, and the embedded broker's latency.

Reference: one worker on the same broker, database and uploads, in the same run. Each job
validates and scores a 24-patch submission (252x252x4, the demo's patch size). All uploads are
queued first, then the workers start; the time is the job table's own makespan, from the first
job's start to the last job's end (worker start-up is not counted).

    python -m benchmarks.bench_jobs [--jobs 24] [--patches 24] [--broker redis|rabbitmq|embedded]
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx
import numpy as np
import sqlalchemy as sa

from benchmarks.bench_service import make_challenge, npy
from leaderboard.launch import start_server, stop_server

ROOT = Path(__file__).resolve().parents[1]
BROKERS = {"redis": "redis://127.0.0.1:6379/8", "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//", "embedded": None}
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def zips(gt: Path, jobs: int) -> list[bytes]:
    rng = np.random.default_rng(1)
    out = []
    for k in range(jobs):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
            for p in sorted(gt.glob("*.npy")):
                g = np.load(p).astype(int)
                zf.writestr(p.name, npy(np.clip(g + rng.integers(-8 - k, 9 + k, g.shape), 0, 1024).astype(np.uint16)))
        out.append(buf.getvalue())
    return out


def run(n_workers: int, broker: str | None, jobs: int, patches: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        gt = make_challenge(root, patches, 252)
        payloads = zips(gt, jobs)
        name = f"bench_jobs_{os.getpid()}_{n_workers}"
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        db_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
        env.update(
            HARNESS_DATA_DIR=str(root), HARNESS_DATABASE_URL=db_url, HARNESS_SERVE_WORKER="false", HARNESS_WORKERS="1"
        )
        if broker:
            env["HARNESS_BROKER_URL"] = broker
        server, base = start_server(env, root / "server.log")
        workers = []
        engine = sa.create_engine(db_url)
        try:

            def count(sql: str):
                with engine.connect() as conn:
                    return conn.execute(sa.text(sql)).scalar()

            token = httpx.post(f"{base}/api/teams", json={"name": "bench"}).json()["token"]
            for payload in payloads:
                r = httpx.post(
                    f"{base}/api/submissions",
                    headers={"Authorization": f"Bearer {token}"},
                    data={"track": "s7", "split": "test1"},
                    files={"file": ("s.zip", payload, "application/zip")},
                    timeout=60,
                )
                r.raise_for_status()
            for i in range(n_workers):
                with open(root / f"worker{i}.log", "ab") as log:
                    workers.append(
                        subprocess.Popen(
                            [sys.executable, "-m", "leaderboard", "worker", "--queues", "cpu"],
                            env=env,
                            cwd=ROOT,
                            stdout=log,
                            stderr=subprocess.STDOUT,
                        )
                    )
            while count("SELECT count(*) FROM submission WHERE status IN ('SCORED', 'FAILED')") < jobs:
                time.sleep(0.05)
            assert count("SELECT count(*) FROM submission WHERE status = 'SCORED'") == jobs
            while count("SELECT count(*) FROM job WHERE state = 'SUCCEEDED'") < jobs:  # marked just after
                time.sleep(0.05)
            assert count("SELECT count(DISTINCT worker) FROM job") == n_workers
            return count("SELECT extract(epoch FROM max(finished_at) - min(started_at)) FROM job")
        finally:
            for w in workers:
                w.terminate()
                w.wait(30)
            stop_server(server)
            engine.dispose()
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=24)
    ap.add_argument("--patches", type=int, default=24)
    ap.add_argument("--broker", choices=sorted(BROKERS), default="redis")
    args = ap.parse_args()
    broker = BROKERS[args.broker]
    one = run(1, broker, args.jobs, args.patches)
    two = run(2, broker, args.jobs, args.patches)
    print(
        f"scoring jobs ({args.jobs} x {args.patches} patches of 252x252x4), broker {args.broker}, PostgreSQL, "
        f"{os.cpu_count()} cores"
    )
    print(f"  1 worker : {one:6.2f} s  {args.jobs / one:5.2f} jobs/s   (reference)")
    print(f"  2 workers: {two:6.2f} s  {args.jobs / two:5.2f} jobs/s   {one / two:.2f}x")


if __name__ == "__main__":
    main()
