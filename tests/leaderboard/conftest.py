"""The service on a real uvicorn process, once per test module and database backend (SQLite, PostgreSQL)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from leaderboard.launch import start_server, stop_server
from tests.support import CPU_ONLY, ORG, build_tiny_challenge, drop_postgres, postgres_url


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def db_url(backend, data_dir):
    if backend == "sqlite":
        yield f"sqlite:///{data_dir / 'harness.db'}"
        return
    url = postgres_url()
    yield url
    drop_postgres(url)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory, backend) -> Path:
    return build_tiny_challenge(tmp_path_factory.mktemp(f"data-{backend}"))


@pytest.fixture(scope="module")
def serve_queues() -> str:
    """The queues the served instance runs workers for (a module that needs `gpu` overrides this)."""
    return CPU_ONLY


@pytest.fixture(scope="module")
def server(data_dir, db_url, serve_queues):
    env = {
        **os.environ,
        "HARNESS_DATA_DIR": str(data_dir),
        "HARNESS_ORGANIZER_TOKEN": ORG,
        "HARNESS_WORKERS": "1",
        "HARNESS_SERVE_QUEUES": serve_queues,
        "HARNESS_DATABASE_URL": db_url,
    }
    proc, base = start_server(env, data_dir / "server.log")
    yield base
    stop_server(proc, wait=False)
