"""Reads never write: every GET of pages and API on a fresh database issues no INSERT, UPDATE or DELETE."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient
from sqlalchemy import event

from leaderboard.app import create_app
from leaderboard.settings import Settings
from tests.support import ORG, build_tiny_challenge

PAGES = [
    "/",
    "/rules",
    "/tracks/s7",
    "/evaluation/s7",
    "/data/s7",
    "/leaderboard/s7",
    "/leaderboard/s7?split=test2",
    "/leaderboard/s7/board?split=test1",
    "/analysis/s7",
    "/submit",
    "/organiser",
]
API = [
    "/api/leaderboard/s7",
    "/api/leaderboard/s7?split=test2",
    "/api/reference/s7",
    "/api/analysis/s7/images",
    "/api/organiser/splits",
    "/api/organiser/queue",
    "/api/organiser/teams",
]


def expected(path: str, organiser: bool) -> int:
    if organiser:
        return 200
    if path.startswith("/api/organiser/"):
        return 403
    if path.startswith("/api/") and "split=test2" in path:
        return 404  # a hidden split shows nothing
    return 200


def test_gets_on_a_fresh_database_write_nothing(tmp_path):
    data = build_tiny_challenge(tmp_path / "data")
    app = create_app(Settings(data_dir=data, organiser_token=ORG, serve_worker=False, workers=1))
    engine = app.state.ctx.engine
    writes: list[str] = []
    lock = threading.Lock()

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            with lock:
                writes.append(statement)

    org = {"Authorization": f"Bearer {ORG}"}
    with TestClient(app) as client:
        for path in PAGES + API:
            for organiser in (False, True):
                r = client.get(path, headers=org if organiser else {})
                assert r.status_code == expected(path, organiser), (path, organiser, r.text[:200])
    assert writes == []
    # the switches still work: an organiser's reveal is the write that creates the split's row
    with TestClient(app) as client:
        assert client.post("/api/splits/s7/test2/reveal", headers=org).status_code == 200
        assert client.get("/api/leaderboard/s7?split=test2").status_code == 200
    assert any(w.lstrip().upper().startswith("INSERT INTO SPLITSTATE") for w in writes)
