"""Jobs with real processes: a killed worker, a poisoned job, several workers on real brokers.

Every test runs the web service (``harness serve``) and ``harness worker`` processes as a
deployment would, and reads the truth from the database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from leaderboard.launch import start_server, stop_server
from tests.support import ORG, build_tiny_challenge, drop_postgres, make_zip, postgres_url, query, submit, team

ROOT = Path(__file__).resolve().parents[3]
FAST_JOBS = {
    "HARNESS_JOB_HEARTBEAT_S": "0.3",
    "HARNESS_JOB_STALE_S": "2",
    "HARNESS_JOB_REDISPATCH_S": "6",
    "HARNESS_JOB_MAX_ATTEMPTS": "3",
    "HARNESS_WORKERS": "1",
    "HARNESS_SERVE_WORKER": "false",
}


def deployment_env(data_dir: Path, db_url: str, broker_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    env.update(FAST_JOBS, HARNESS_DATA_DIR=str(data_dir), HARNESS_DATABASE_URL=db_url)
    # a system temp directory of the deployment's own: the tests can see that nothing lands there
    systmp = data_dir.parent / "systmp"
    systmp.mkdir(exist_ok=True)
    env["TMPDIR"] = str(systmp)
    if broker_url:
        env["HARNESS_BROKER_URL"] = broker_url
    return env


def start_worker(env: dict, log: Path, *, faulty: bool = False, **extra) -> subprocess.Popen:
    module = "tests.leaderboard.jobs.faulty_worker" if faulty else "leaderboard"
    args = [] if faulty else ["worker"]
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", module, *args, "--queues", "cpu"],
            env={**env, **{k: str(v) for k, v in extra.items()}},
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def until(predicate, timeout: float, what: str, poll: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def status_of(db_url: str, sub_id: int) -> str:
    return query(db_url, "SELECT status FROM submission WHERE id = :i", i=sub_id)[0][0].lower()


def score_rows(db_url: str, sub_id: int) -> int:
    return query(db_url, "SELECT count(*) FROM score WHERE submission_id = :i", i=sub_id)[0][0]


@pytest.fixture
def embedded(tmp_path):
    """The embedded default: SQLite database, Celery on the SQLite broker, no worker yet."""
    data = build_tiny_challenge(tmp_path / "data")
    db_url = f"sqlite:///{data / 'harness.db'}"
    env = deployment_env(data, db_url)
    proc, base = start_server(env, tmp_path / "server.log")
    yield env, base, db_url, tmp_path
    stop_server(proc, wait=False)


def test_killed_worker_mid_scoring_completes_once(embedded):
    env, base, db_url, tmp = embedded
    victim = start_worker(env, tmp / "victim.log", faulty=True, FAULT_SLOW_SCORING_S=120)
    replacement = None
    try:
        t = team(base, "kill-test")
        sub_id = submit(base, t["token"], make_zip(tmp / "data"), description="SLOW").json()["id"]
        until(lambda: status_of(db_url, sub_id) == "scoring", 60, "the worker to start scoring")
        running = query(db_url, "SELECT state, attempts FROM job WHERE submission_id = :i", i=sub_id)
        assert [(s.lower(), a) for s, a in running] == [("running", 1)]
        work = tmp / "data" / "work"
        left = [p.name for p in work.iterdir()]
        assert len(left) == 1 and f"~{victim.pid}~sub-{sub_id}-" in left[0]  # the scratch of the scoring job
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        killed_at = time.monotonic()
        replacement = start_worker(env, tmp / "replacement.log")
        until(lambda: status_of(db_url, sub_id) == "scored", 60, "the replacement worker to finish the job")
        elapsed = time.monotonic() - killed_at
        print(f"\nkill -> scored: {elapsed:.1f} s")
        assert score_rows(db_url, sub_id) == 1
        assert query(db_url, "SELECT count(*) FROM imagescore")[0][0] == 3
        # the job is marked done just after the scoring transaction commits
        until(
            lambda: (
                query(db_url, "SELECT state FROM job WHERE submission_id = :i", i=sub_id)[0][0].lower() == "succeeded"
            ),
            30,
            "the job to be marked succeeded",
        )
        state, attempts, worker = query(
            db_url, "SELECT state, attempts, worker FROM job WHERE submission_id = :i", i=sub_id
        )[0]
        assert state.lower() == "succeeded" and attempts == 2 and worker.endswith(f":{replacement.pid}")
        doc = httpx.get(f"{base}/api/submissions/{sub_id}", headers={"Authorization": f"Bearer {t['token']}"}).json()
        assert doc["status"] == "scored" and doc["errors"] == [] and doc["scores"]["test1"]["n_images"] == 3
        assert elapsed < 30  # stale after 2 s, a reaper tick, a 2 s back-off, a worker start
        # the dead worker's scratch was swept; nothing was ever written to the system temp directory
        assert list(work.iterdir()) == []
        assert list((tmp / "systmp").iterdir()) == []
    finally:
        stop(victim)
        if replacement:
            stop(replacement)


def test_poisoned_job_fails_after_its_attempts_and_blocks_nothing(embedded):
    env, base, db_url, tmp = embedded
    stopping = threading.Event()
    deaths: list[int] = []
    current: list[subprocess.Popen] = []

    def supervise():  # what a restart policy (docker, systemd) does for a worker that died
        while not stopping.is_set():
            proc = start_worker(env, tmp / "worker.log", faulty=True)
            current[:] = [proc]
            while proc.poll() is None and not stopping.is_set():
                time.sleep(0.05)
            if proc.returncode is not None and proc.returncode < 0:
                deaths.append(proc.returncode)

    supervisor = threading.Thread(target=supervise, daemon=True)
    supervisor.start()
    try:
        t = team(base, "poison-test")
        poisoned = submit(base, t["token"], make_zip(tmp / "data"), description="POISON").json()["id"]
        healthy = [submit(base, t["token"], make_zip(tmp / "data", seed=s)).json()["id"] for s in (2, 3)]
        until(lambda: status_of(db_url, poisoned) == "failed", 120, "the poisoned job to end failed")
        for sub_id in healthy:
            until(lambda sub_id=sub_id: status_of(db_url, sub_id) == "scored", 60, f"submission {sub_id}")
            assert score_rows(db_url, sub_id) == 1
        state, attempts, error = query(
            db_url, "SELECT state, attempts, last_error FROM job WHERE submission_id = :i", i=poisoned
        )[0]
        assert state.lower() == "failed" and attempts == 3
        assert "gave up after 3 attempt(s)" in error and "was lost" in error
        assert len(deaths) >= 3 and all(code == -signal.SIGKILL for code in deaths[:3])
        doc = httpx.get(f"{base}/api/submissions/{poisoned}", headers={"Authorization": f"Bearer {t['token']}"}).json()
        assert doc["status"] == "failed" and "gave up after 3 attempt(s)" in doc["errors"][0]["message"]
        assert score_rows(db_url, poisoned) == 0
        org = httpx.get(f"{base}/api/organiser/queue", headers={"Authorization": "Bearer x"})
        assert org.status_code in (401, 403)
    finally:
        stopping.set()
        supervisor.join(30)
        for proc in current:
            stop(proc)


BROKERS = {
    "redis": "redis://127.0.0.1:6379/7",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
}


@pytest.fixture(params=sorted(BROKERS))
def broker_url(request) -> str:
    url = BROKERS[request.param]
    try:
        from kombu import Connection

        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"{request.param} at 127.0.0.1 is not reachable ({exc}); CI never skips this")
    return url


@pytest.mark.slow
def test_two_workers_on_postgres_and_a_real_broker(tmp_path, broker_url):
    data = build_tiny_challenge(tmp_path / "data", test1_limits=(10, 50))
    db_url = postgres_url()
    env = deployment_env(data, db_url, broker_url)
    env["HARNESS_ORGANISER_TOKEN"] = ORG
    server, base = start_server(env, tmp_path / "server.log")
    workers = [start_worker(env, tmp_path / f"worker{i}.log") for i in range(2)]
    try:
        until(lambda: query(db_url, "SELECT count(*) FROM workerbeat")[0][0] == 2, 60, "two workers to report")
        teams = [team(base, f"scale-{i}") for i in range(5)]
        uploads = [
            (t, make_zip(data, noise=2 + 3 * k + i, seed=10 * i + k)) for i, t in enumerate(teams) for k in range(2)
        ]
        with ThreadPoolExecutor(len(uploads)) as pool:
            responses = list(pool.map(lambda tu: submit(base, tu[0]["token"], tu[1]), uploads))
        assert [r.status_code for r in responses] == [202] * 10
        ids = [r.json()["id"] for r in responses]
        until(
            lambda: query(db_url, "SELECT count(*) FROM submission WHERE status = 'SCORED'")[0][0] == 10,
            120,
            "10 scored submissions",
        )
        per_sub = dict(query(db_url, "SELECT submission_id, count(*) FROM score GROUP BY submission_id"))
        assert per_sub == {i: 1 for i in ids}  # exactly one set of score rows each
        assert query(db_url, "SELECT count(*) FROM imagescore")[0][0] == 30
        until(
            lambda: query(db_url, "SELECT count(*) FROM job WHERE state = 'SUCCEEDED'")[0][0] == 10,
            30,
            "every job to be marked succeeded",
        )
        jobs = query(db_url, "SELECT state, attempts, worker FROM job")
        assert len(jobs) == 10 and {(s.lower(), a) for s, a, _ in jobs} == {("succeeded", 1)}
        assert len({w for _, _, w in jobs}) == 2  # both workers took jobs
        board = httpx.get(f"{base}/api/leaderboard/s7", params={"split": "test1"}).json()
        best = dict(
            query(
                db_url,
                "SELECT t.name, max(s.psnr) FROM score s JOIN submission u ON s.submission_id = u.id "
                "JOIN team t ON u.team_id = t.id GROUP BY t.name",
            )
        )
        assert {r["team"]: r["psnr"] for r in board} == best
        assert [r["rank"] for r in board] == [1, 2, 3, 4, 5]
        assert [r["psnr"] for r in board] == sorted(best.values(), reverse=True)
        q = httpx.get(f"{base}/api/organiser/queue", headers={"Authorization": f"Bearer {ORG}"}).json()
        assert q["worker_alive"] and len([w for w in q["workers"] if w["alive"]]) == 2
        assert q["jobs"]["succeeded"] == 10 and q["running"] == [] and q["counts"]["scored"] == 10
    finally:
        for w in workers:
            stop(w)
        stop_server(server, wait=False)
        drop_postgres(db_url)
