"""An upload of hostile names cannot grow the database or the answers with its size: a real
upload through HTTP of 300 member names of 60 KB (a 36 MB zip), and variants, measured."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import httpx
import pytest

from leaderboard.launch import start_server, stop_server
from tests.support import CPU_ONLY, ORG, build_tiny_challenge, query, submit, team, wait

ORG_H = {"Authorization": f"Bearer {ORG}"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data = build_tiny_challenge(tmp_path_factory.mktemp("bounded"), test1_limits=(20, 50))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    env.update(
        HARNESS_DATA_DIR=str(data), HARNESS_ORGANISER_TOKEN=ORG, HARNESS_WORKERS="1", HARNESS_SERVE_QUEUES=CPU_ONLY
    )
    proc, base = start_server(env, data / "server.log")
    yield base, data
    stop_server(proc, wait=False)


def db_bytes(data: Path) -> int:
    """The SQLite database on disk: its file and its write-ahead log."""
    return sum(p.stat().st_size for p in data.glob("harness.db*") if p.name != "harness.db-shm")


def names_zip(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for n in names:
            zf.writestr(n, b"x")
    return buf.getvalue()


CASES = {
    # 300 names of 60 KB: each over the 255-byte limit
    "60kb-names": [f"{i:03d}" + "n" * 60_000 + ".npy" for i in range(300)],
    # 300 names just under the limit, at the top: each an unexpected file
    "250b-names": [f"{i:03d}" + "n" * 243 + ".npy" for i in range(300)],
    # 2000 names of 1 KB in as many folders: refused by name, never listed as a layout
    "2000-long-folders": [f"{i:04d}" + "d" * 1_000 + f"/{i}.npy" for i in range(2000)],
}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_names_leave_the_database_and_the_answers_small(served, case):
    base, data = served
    token = team(base, f"names {case}")["token"]
    payload = names_zip(CASES[case])
    before = db_bytes(data)
    r = submit(base, token, payload)
    assert r.status_code == 202, r.text
    sub_id = r.json()["id"]
    doc = wait(base, token, sub_id, timeout=240)
    grown = db_bytes(data) - before
    (row_bytes,) = query(
        f"sqlite:///{data / 'harness.db'}", "SELECT length(errors) FROM submission WHERE id = :i", i=sub_id
    )[0]
    got = httpx.get(f"{base}/api/submissions/{sub_id}", headers={"Authorization": f"Bearer {token}"})
    listing = httpx.get(f"{base}/api/submissions", headers=ORG_H, timeout=60)
    entry = next(s for s in listing.json() if s["id"] == sub_id)
    entry_bytes = len(json.dumps(entry))
    print(
        f"\n{case}: upload {len(payload) / 1e6:.1f} MB, {doc['n_errors']} problems ({len(doc['errors'])} kept); "
        f"database grew {grown / 1e3:.1f} kB (errors column {row_bytes / 1e3:.1f} kB); "
        f"GET {len(got.content) / 1e3:.1f} kB; organiser listing entry {entry_bytes / 1e3:.2f} kB"
    )
    assert doc["status"] == "failed"
    expected = {"60kb-names": 300, "250b-names": 303, "2000-long-folders": 2000}[case]
    assert doc["n_errors"] == expected and len(doc["errors"]) == 100
    code = "extra_file" if case == "250b-names" else "name_too_long"
    assert {e["code"] for e in doc["errors"]} <= {code, "missing_prediction"}
    assert all(len(e["message"]) <= 2 * 100 + 80 and len(e["file"]) <= 300 for e in doc["errors"])
    assert row_bytes < 60_000 and grown < 1_000_000  # was 73.5 MB for the 36 MB upload
    assert len(got.content) < 64_000  # was 36 MB
    assert entry["n_errors"] == expected and len(entry["errors"]) == 3 and entry_bytes < 4_000  # was 1.2 MB
