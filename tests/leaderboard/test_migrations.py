"""The Alembic migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from leaderboard.db import init_db, make_engine
from tests.leaderboard.test_api import _postgres_url


@pytest.fixture(params=["sqlite", "postgres"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    return _postgres_url()


def test_migrations_match_models_and_rerun_cleanly(url):
    engine = make_engine(url)
    try:
        init_db(engine)
        init_db(engine)  # a second start is a no-op
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn)
            assert ctx.get_current_revision() == "0001"
            assert compare_metadata(ctx, SQLModel.metadata) == []
    finally:
        engine.dispose()
        if url.startswith("postgresql"):
            import sqlalchemy as sa

            from tests.leaderboard.test_api import PG_ADMIN

            admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
            admin.dispose()
