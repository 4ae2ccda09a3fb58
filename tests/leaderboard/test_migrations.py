"""The Alembic migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from leaderboard.db import init_db, make_engine
from leaderboard.migrate import alembic_config
from tests.support import drop_postgres, postgres_url


@pytest.fixture(params=["sqlite", "postgres"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    return postgres_url()


def test_migrations_match_models_and_rerun_cleanly(url):
    engine = make_engine(url)
    try:
        init_db(engine)
        init_db(engine)  # a second start is a no-op
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn)
            assert ctx.get_current_revision() == ScriptDirectory.from_config(alembic_config(url)).get_current_head()
            assert compare_metadata(ctx, SQLModel.metadata) == []
    finally:
        engine.dispose()
        if url.startswith("postgresql"):
            drop_postgres(url)
