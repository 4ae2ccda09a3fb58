"""Engine and sessions: SQLite (WAL) by default, Postgres when HARNESS_DATABASE_URL says so."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import create_engine

from leaderboard import models  # noqa: F401  (registers the tables)
from leaderboard.migrate import upgrade


def make_engine(url: str, busy_timeout_s: float = 30.0) -> Engine:
    """An engine for ``url``; SQLite waits up to ``busy_timeout_s`` for a lock before giving up."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_timeout_s})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - exercised via every test
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def init_db(engine: Engine) -> None:
    """Create or upgrade the schema through the Alembic migrations (never create_all)."""
    upgrade(engine)
