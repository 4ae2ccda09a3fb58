"""A full disk is the service's fault, never the team's: real tiny file systems (tmpfs) mounted
where the service writes uploads (D/submissions) and extracts them (D/work), a real server, real
HTTP uploads."""

from __future__ import annotations

import os
import time

import httpx
import pytest

from harness.errors import StorageFailed, StorageFull, Unreadable
from leaderboard.app import status_of
from leaderboard.launch import start_server, stop_server
from tests.support import CPU_ONLY, ORG, build_tiny_challenge, make_zip, query, submit, team, wait
from tests.tmpfs import fill, tmpfs


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data = build_tiny_challenge(tmp_path_factory.mktemp("disks"), test1_limits=(20, 50))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    env.update(
        HARNESS_DATA_DIR=str(data),
        HARNESS_ORGANISER_TOKEN=ORG,
        HARNESS_WORKERS="1",
        HARNESS_SERVE_QUEUES=CPU_ONLY,
        HARNESS_JOB_HEARTBEAT_S="0.5",
        HARNESS_JOB_MAX_ATTEMPTS="3",
    )
    with tmpfs(data / "submissions", "1m"), tmpfs(data / "work", "256k"):
        proc, base = start_server(env, data / "server.log")
        try:
            yield base, data
        finally:
            stop_server(proc, wait=False)


def job_of(data, sub_id):
    rows = query(
        f"sqlite:///{data / 'harness.db'}",
        "SELECT attempts, state, last_error FROM job WHERE submission_id = :i",
        i=sub_id,
    )
    return rows[0] if rows else None


def test_storage_faults_have_their_own_statuses():
    assert status_of(StorageFull("x")) == 507 and status_of(StorageFailed("x")) == 503
    assert status_of(Unreadable("x")) == 422


def test_an_upload_into_a_full_disk_is_507_with_retry_after_and_leaves_nothing(served):
    base, data = served
    token = team(base, "full upload")["token"]
    r = submit(base, token, os.urandom(2 << 20))  # 2 MB into 1 MB of space
    assert r.status_code == 507, r.text
    assert int(r.headers["retry-after"]) > 0 and "storage is full" in r.json()["detail"]
    assert list((data / "submissions").iterdir()) == []  # the partial upload is gone
    assert query(f"sqlite:///{data / 'harness.db'}", "SELECT count(*) FROM submission") == [(0,)]
    ok = submit(base, token, make_zip(data))  # the space it took is back
    assert ok.status_code == 202, ok.text
    assert wait(base, token, ok.json()["id"])["status"] == "scored"


def test_a_full_disk_while_extracting_is_retried_and_scores_once_space_is_back(served):
    base, data = served
    token = team(base, "full work")["token"]
    filler = fill(data / "work")
    try:
        sub_id = submit(base, token, make_zip(data, seed=3)).json()["id"]
        deadline = time.time() + 60
        while (job := job_of(data, sub_id)) is None or not job[2]:
            assert time.time() < deadline, job
            time.sleep(0.05)
        attempts, state, last_error = job
        assert attempts == 1 and state in ("QUEUED", "RUNNING") and "storage is full while extracting" in last_error
        doc = httpx.get(f"{base}/api/submissions/{sub_id}", headers={"Authorization": f"Bearer {token}"}).json()
        assert doc["status"] != "failed" and doc["errors"] == []  # not blamed on the archive
    finally:
        filler.unlink()
    doc = wait(base, token, sub_id, timeout=60)
    assert doc["status"] == "scored", doc
    assert job_of(data, sub_id)[0] >= 2  # scored by a later attempt
    assert list((data / "work").iterdir()) == []


def test_a_disk_that_stays_full_fails_the_submission_naming_the_service(served):
    base, data = served
    token = team(base, "stays full")["token"]
    filler = fill(data / "work")
    try:
        sub_id = submit(base, token, make_zip(data, seed=4)).json()["id"]
        doc = wait(base, token, sub_id, timeout=90)
    finally:
        filler.unlink()
    assert doc["status"] == "failed" and doc["n_errors"] == 1
    (err,) = doc["errors"]
    assert err["code"] == "infrastructure" and "corrupt" not in err["message"]
    assert "gave up after 3 attempt(s)" in err["message"] and "storage is full" in err["message"]
    assert job_of(data, sub_id)[:2] == (3, "FAILED")
    assert list((data / "work").iterdir()) == []  # nothing half-extracted stays
