"""Attacks on a real server: quota races, oversize bodies, hostile headers, names and numbers,
forged export cells, duplicate members, odd dtypes, and what a killed server leaves behind.

Every attack is a real HTTP request against a real uvicorn process; the races use real
concurrent uploads on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import io
import os
import select
import signal
import socket
import sqlite3
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest

from leaderboard.launch import start_server, stop_server
from tests.support import (
    CPU_ONLY,
    ORG,
    STEMS,
    build_tiny_challenge,
    drop_postgres,
    gt_of,
    make_zip,
    npy_bytes,
    postgres_url,
    query,
    submit,
    team,
    wait,
)

MiB = 1 << 20
ORG_H = {"Authorization": f"Bearer {ORG}"}


def env_for(data: Path, db_url: str | None = None, **settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    systmp = data.parent / f"systmp-{data.name}"
    systmp.mkdir(exist_ok=True)
    env.update(
        HARNESS_DATA_DIR=str(data),
        HARNESS_ORGANISER_TOKEN=ORG,
        HARNESS_WORKERS="1",
        HARNESS_SERVE_QUEUES=CPU_ONLY,
        TMPDIR=str(systmp),  # the server's own system temp directory: nothing may land there
    )
    if db_url:
        env["HARNESS_DATABASE_URL"] = db_url
    env.update({f"HARNESS_{k.upper()}": str(v) for k, v in settings.items()})
    return env


def tree_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


class DiskWatch(threading.Thread):
    """Polls the partial uploads and the server's temp directory; remembers the most bytes seen."""

    def __init__(self, data: Path) -> None:
        super().__init__(daemon=True)
        self.uploads = data / "submissions"
        self.systmp = data.parent / f"systmp-{data.name}"
        self.peak = 0
        self.peak_tmp = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            partial = 0
            if self.uploads.exists():
                for p in self.uploads.glob(".upload-*"):
                    try:
                        partial += p.stat().st_size
                    except FileNotFoundError:
                        pass
            self.peak = max(self.peak, partial)
            self.peak_tmp = max(self.peak_tmp, tree_bytes(self.systmp))
            time.sleep(0.005)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)


def chunks(total: int, size: int = MiB, sent: list | None = None):
    """A bounded body generator (no Content-Length: sent chunked)."""
    block = b"\0" * size
    n = 0
    while n < total:
        n += size
        if sent is not None:
            sent[0] = n
        yield block


def multipart_prefix(boundary: str) -> bytes:
    head = ""
    for name, value in (("track", "s7"), ("split", "test1")):
        head += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.zip"\r\n'
        "Content-Type: application/zip\r\n\r\n"
    )
    return head.encode()


# --- the quota race ---------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def race_server(request, tmp_path):
    data = build_tiny_challenge(tmp_path / "data", test1_limits=(5, 100))
    url = f"sqlite:///{data / 'harness.db'}" if request.param == "sqlite" else postgres_url()
    proc, base = start_server(env_for(data, url), tmp_path / "server.log")
    yield request.param, base, data, url
    stop_server(proc, wait=False)
    if request.param == "postgres":
        drop_postgres(url)


def padded_zip(data: Path, pad_bytes: int, seed: int) -> bytes:
    """Valid predictions plus a large readme (stored), so each upload takes a while to stream."""
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for stem in STEMS:
            g = gt_of(data, "test1", stem).astype(int)
            zf.writestr(f"{stem}.npy", npy_bytes(np.clip(g + rng.integers(-5, 6, g.shape), 0, 1024).astype(np.uint16)))
        zf.writestr("readme.txt", b"Other description : padding " + b"x" * pad_bytes + b"\n")
    return buf.getvalue()


def test_the_daily_limit_holds_under_20_concurrent_uploads(race_server):
    backend, base, data, url = race_server
    t = team(base, f"racer-{backend}")
    for i in range(4):  # 4 of the 5 daily slots used
        assert submit(base, t["token"], make_zip(data, seed=i)).status_code == 202
    payload = padded_zip(data, 4 * MiB, seed=99)

    def upload(_) -> int:
        return httpx.post(
            f"{base}/api/submissions",
            headers={"Authorization": f"Bearer {t['token']}"},
            data={"track": "s7", "split": "test1"},
            files={"file": ("sub.zip", payload, "application/zip")},
            timeout=120,
        ).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(upload, range(20)))
    print(f"\n{backend}: 20 uploads of {len(payload) / MiB:.1f} MiB in {time.monotonic() - started:.1f} s")
    print(f"\n{backend}: 20 concurrent uploads with one slot left -> {sorted(codes)}")
    assert codes.count(202) == 1 and codes.count(429) == 19
    rows = query(
        url, "SELECT count(*) FROM submission s JOIN team t ON s.team_id = t.id WHERE t.name = :n", n=t["name"]
    )
    assert rows[0][0] == 5
    # the refused uploads left nothing: exactly the five kept zips
    kept = {p.name for p in (data / "submissions").iterdir()}
    assert kept == {str(i) for (i,) in query(url, "SELECT id FROM submission")}


# --- bodies: size limits while streaming, authentication first ---------------------------------


@pytest.fixture
def small_server(tmp_path):
    data = build_tiny_challenge(tmp_path / "data")
    proc, base = start_server(env_for(data, max_upload_bytes=4 * MiB), tmp_path / "server.log")
    yield base, data, proc
    stop_server(proc, wait=False)


def raw_post(base: str, headers: dict[str, str], body, *, chunked: bool) -> tuple[int | None, int]:
    """POST /api/submissions over a plain socket, sending ``body`` (an iterable of chunks) until the
    server answers or closes; returns (status or None, body bytes sent)."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    head = ["POST /api/submissions HTTP/1.1", f"Host: {host}:{port}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    if chunked:
        head.append("Transfer-Encoding: chunked")
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
    sent = 0
    try:
        for chunk in body:
            if select.select([sock], [], [], 0)[0]:
                break  # the server has answered: stop sending
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        answer = sock.recv(4096)
    except (ConnectionResetError, TimeoutError):
        answer = b""
    finally:
        sock.close()
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None
    return status, sent


def _post_stream(base: str, body, headers: dict) -> int | str:
    try:
        r = httpx.post(f"{base}/api/submissions", content=body, headers=headers, timeout=60)
        return r.status_code
    except httpx.HTTPError as exc:  # the server closed the connection on a refused body
        return type(exc).__name__


def test_oversize_and_anonymous_bodies_never_reach_the_disk(small_server):
    base, data, _ = small_server
    token = team(base, "big-sender")["token"]
    boundary = "xyzzy"
    ctype = f"multipart/form-data; boundary={boundary}"
    two_gib = 2 << 30
    auth = {"Authorization": f"Bearer {token}"}
    cases = {  # name: (headers, chunked, expected status)
        "anonymous, declared 2 GiB": ({"Content-Type": ctype, "Content-Length": str(two_gib)}, False, 413),
        "anonymous, chunked 2 GiB": ({"Content-Type": ctype}, True, 401),
        "authenticated, declared 2 GiB": ({"Content-Type": ctype, "Content-Length": str(two_gib), **auth}, False, 413),
        "authenticated, chunked 2 GiB": ({"Content-Type": ctype, **auth}, True, 413),
    }
    for name, (headers, chunked, expected) in cases.items():
        body = (c for part in ([multipart_prefix(boundary)], chunks(two_gib)) for c in part)
        watch = DiskWatch(data)
        watch.start()
        status, sent = raw_post(base, headers, body, chunked=chunked)
        time.sleep(0.1)
        watch.stop()
        print(
            f"\n{name}: answer {status}, {sent / MiB:.1f} MiB sent, at most {watch.peak} bytes on disk, "
            f"{watch.peak_tmp} in the temp directory"
        )
        assert status == expected, (name, status)
        assert sent < 512 * MiB, (name, sent)  # answered long before the 2 GiB were sent
        assert watch.peak <= 4 * MiB + MiB, (name, watch.peak)  # never past the limit (plus one chunk)
        assert watch.peak_tmp == 0, name  # nothing spooled to the system temp directory
        if name.startswith("anonymous"):
            assert watch.peak == 0, name  # not a byte stored before authentication
        assert list((data / "submissions").glob(".upload-*")) == []  # refused bodies leave nothing
    assert httpx.get(f"{base}/api/health").status_code == 200  # and the server still serves


def test_a_killed_server_leaves_no_partial_upload_after_restart(tmp_path):
    data = build_tiny_challenge(tmp_path / "data")
    env = env_for(data)
    proc, base = start_server(env, tmp_path / "server.log")
    token = team(base, "cut-off")["token"]
    boundary = "cutcut"

    def slow_body():
        yield multipart_prefix(boundary)
        for _ in range(600):
            yield b"\0" * (64 << 10)
            time.sleep(0.01)

    t = threading.Thread(
        target=_post_stream,
        args=(
            base,
            slow_body(),
            {"Content-Type": f"multipart/form-data; boundary={boundary}", "Authorization": f"Bearer {token}"},
        ),
        daemon=True,
    )
    t.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not list((data / "submissions").glob(".upload-*")):
        time.sleep(0.02)
    partials = list((data / "submissions").glob(".upload-*"))
    assert partials, "the upload never reached the store"
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert list((data / "submissions").glob(".upload-*"))  # the killed server left its partial upload
    proc, base = start_server(env, tmp_path / "server2.log")
    try:
        assert list((data / "submissions").glob(".upload-*")) == []  # swept at start-up
        assert list((tmp_path / "systmp-data").iterdir()) == []
    finally:
        stop_server(proc, wait=False)
        t.join(10)


# --- headers, names, numbers, exports ---------------------------------------------------------


@pytest.fixture(scope="module")
def hard(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hard")
    data = build_tiny_challenge(tmp / "data")
    proc, base = start_server(env_for(data, registration_per_hour=1000, database_busy_timeout_s=1), tmp / "server.log")
    yield base, data
    stop_server(proc, wait=False)


def test_a_non_ascii_authorization_header_is_refused_not_a_crash(hard):
    base, _ = hard
    bad = {"Authorization": b"Bearer \xff\xfe\xc3\x28"}
    # an unknown token, however encoded: 401 where a token is looked at, the page as usual where not
    for path, expected in (
        ("/api/leaderboard/s7", 401),
        ("/api/submissions", 401),
        ("/api/organiser/queue", 401),
        ("/", 200),
    ):
        r = httpx.get(f"{base}{path}", headers=bad)
        assert r.status_code == expected, (path, r.status_code, r.text[:200])


def test_team_names_that_only_look_alike_are_one_name(hard):
    base, _ = hard
    first = httpx.post(f"{base}/api/teams", json={"name": "look  alike "})
    assert first.status_code == 201 and first.json()["name"] == "look alike"
    for twin in ("Look Alike", "look alike", "look   alike"):
        assert httpx.post(f"{base}/api/teams", json={"name": twin}).status_code == 409, twin


def test_numbers_must_be_finite_and_text_one_line(hard):
    base, data = hard
    token = team(base, "numbers")["token"]
    for field, value in (("params_m", "inf"), ("params_m", "nan"), ("runtime_s", "-inf"), ("runtime_s", "1e400")):
        r = submit(base, token, make_zip(data), **{field: value})
        assert r.status_code == 422, (field, value, r.text)
    for field in ("input_size", "gpu"):
        r = submit(base, token, make_zip(data), **{field: "a\n| forged | row |"})
        assert r.status_code == 422, (field, r.text)


def test_exports_escape_what_teams_typed(hard):
    base, data = hard
    token = team(base, "exporter")["token"]
    r = submit(base, token, make_zip(data, seed=5), input_size="a | b", gpu=r"A\B_{1} & 100% #1")
    assert r.status_code == 202, r.text
    assert wait(base, token, r.json()["id"])["status"] == "scored"
    md = httpx.get(f"{base}/api/organiser/export/s7?format=table2-md", headers=ORG_H).text
    row = next(line for line in md.splitlines() if line.startswith("| exporter"))
    assert r"a \| b" in row and row.count(" | ") == md.splitlines()[2].count(" | ")  # no forged column
    tex = httpx.get(f"{base}/api/organiser/export/s7?format=table2-tex", headers=ORG_H).text
    assert r"A\textbackslash{}B\_\{1\} \& 100\% \#1" in tex
    assert "\n\n" not in tex  # a blank line would end the tabular


def test_registration_is_throttled_per_address(tmp_path):
    data = build_tiny_challenge(tmp_path / "data")
    proc, base = start_server(env_for(data, registration_per_hour=6), tmp_path / "server.log")
    try:
        codes = [httpx.post(f"{base}/api/teams", json={"name": f"burst {i}"}).status_code for i in range(8)]
    finally:
        stop_server(proc, wait=False)
    assert codes == [201] * 6 + [429] * 2


def test_security_headers_on_every_response(hard):
    base, _ = hard
    for path in ("/", "/leaderboard/s7", "/api/health", "/docs"):
        r = httpx.get(f"{base}{path}")
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["x-frame-options"] == "DENY", path
        if r.headers["content-type"].startswith("text/html"):
            assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path


def test_a_locked_database_answers_503_with_retry_after(hard):
    base, data = hard
    conn = sqlite3.connect(data / "harness.db", timeout=1)
    try:
        conn.execute("BEGIN EXCLUSIVE")
        r = httpx.post(f"{base}/api/teams", json={"name": "locked out"}, timeout=30)
        assert r.status_code == 503 and r.headers["retry-after"].isdigit(), r.text
    finally:
        conn.rollback()
        conn.close()


# --- uploads: duplicates, dtypes, long names, listings ------------------------------------------


def zip_of(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, blob in entries.items():
            zf.writestr(zipfile.ZipInfo(name), blob)
    return buf.getvalue()


def test_duplicate_members_are_refused_by_name(hard):
    base, data = hard
    token = team(base, "duplicates")["token"]
    preds = {s: npy_bytes(gt_of(data, "test1", s)) for s in STEMS}
    for dup in ("0.NPY", "./0.npy", "x/../0.npy"):
        entries = {f"{s}.npy": b for s, b in preds.items()} | {dup: npy_bytes(np.zeros((16, 16, 4), np.uint16))}
        doc = wait(base, token, submit(base, token, zip_of(entries)).json()["id"])
        assert doc["status"] == "failed", dup
        codes = {e["code"] for e in doc["errors"]}
        assert codes & {"duplicate_file", "unsafe_path"}, (dup, doc["errors"])


def test_a_sub_array_dtype_fails_once_with_its_reason(hard):
    base, data = hard
    token = team(base, "subarray")["token"]
    header = "{'descr': '(0,)u2', 'fortran_order': False, 'shape': (16, 16, 4), }".ljust(118) + "\n"
    odd = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode()
    entries = {f"{s}.npy": npy_bytes(gt_of(data, "test1", s)) for s in STEMS} | {"1.npy": odd}
    sub_id = submit(base, token, zip_of(entries)).json()["id"]
    doc = wait(base, token, sub_id)
    assert doc["status"] == "failed" and [e["code"] for e in doc["errors"]] == ["bad_header"], doc["errors"]
    assert "gave up" not in doc["errors"][0]["message"]
    attempts = query(f"sqlite:///{data / 'harness.db'}", "SELECT attempts FROM job WHERE submission_id = :i", i=sub_id)
    assert attempts == [(1,)]  # the file's fault: not retried as an infrastructure failure


def test_listings_carry_a_few_errors_and_the_count(hard):
    base, data = hard
    token = team(base, "many errors")["token"]
    entries = {f"{s}.npy": npy_bytes(gt_of(data, "test1", s)) for s in STEMS}
    entries |= {f"extra{i}.npy": b"x" for i in range(40)}
    sub_id = submit(base, token, zip_of(entries)).json()["id"]
    doc = wait(base, token, sub_id)
    assert doc["status"] == "failed" and doc["n_errors"] == 40 and len(doc["errors"]) == 40
    listed = next(s for s in httpx.get(f"{base}/api/submissions", headers=ORG_H).json() if s["id"] == sub_id)
    assert listed["n_errors"] == 40 and len(listed["errors"]) == 3


def test_comparisons_take_names_from_the_split_and_show_gt_to_organisers_only(hard):
    base, data = hard
    token = team(base, "comparer")["token"]
    assert wait(base, token, submit(base, token, make_zip(data, seed=7)).json()["id"])["status"] == "scored"
    long = httpx.get(f"{base}/api/analysis/s7/compare.png", params={"image": "a" * 300}, headers=ORG_H)
    assert long.status_code == 404
    traversal = httpx.get(f"{base}/api/analysis/s7/compare.png", params={"image": "../test2/gt/0"}, headers=ORG_H)
    assert traversal.status_code == 404
    public = httpx.get(f"{base}/api/analysis/s7/compare.png", params={"image": "0"})
    assert public.status_code == 403  # test1 has not closed: its ground truth is organisers' only
    org = httpx.get(f"{base}/api/analysis/s7/compare.png", params={"image": "0"}, headers=ORG_H)
    assert org.status_code == 200 and org.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_reveal_can_be_undone(hard):
    base, _ = hard
    assert httpx.get(f"{base}/api/leaderboard/s7", params={"split": "test2"}).status_code == 404
    assert httpx.post(f"{base}/api/splits/s7/test2/reveal", headers=ORG_H).json()["revealed"] is True
    assert httpx.get(f"{base}/api/leaderboard/s7", params={"split": "test2"}).status_code == 200
    assert httpx.post(f"{base}/api/splits/s7/test2/hide", headers=ORG_H).json()["revealed"] is False
    assert httpx.get(f"{base}/api/leaderboard/s7", params={"split": "test2"}).status_code == 404


# --- approval mode ------------------------------------------------------------------------------


def test_approval_mode_holds_new_teams_until_an_organiser_approves(tmp_path):
    data = build_tiny_challenge(tmp_path / "data")
    proc, base = start_server(env_for(data, registration_approval="true"), tmp_path / "server.log")
    try:
        t = team(base, "newcomer")
        assert t["approved"] is False
        assert submit(base, t["token"], make_zip(data)).status_code == 403
        listed = httpx.get(f"{base}/api/organiser/teams", headers=ORG_H).json()
        assert [(x["name"], x["approved"]) for x in listed] == [("newcomer", False)]
        r = httpx.post(f"{base}/api/organiser/teams/{t['id']}/approval", params={"approved": "true"}, headers=ORG_H)
        assert r.status_code == 200 and r.json()["approved"] is True
        assert submit(base, t["token"], make_zip(data)).status_code == 202
    finally:
        stop_server(proc, wait=False)
