"""The Alembic migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
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


def _rows(conn, sql: str) -> list[tuple]:
    return [tuple(r) for r in conn.execute(text(sql)).all()]


def test_the_run_table_takes_over_baseline_and_model_runs_and_gives_them_back(url):
    """0009 moves every baselinerun and modelrun row into run (kind baseline | model); its downgrade
    moves them back, a baseline run's track and split taken from its submission."""
    cfg = alembic_config(url)
    engine = make_engine(url)
    try:
        command.upgrade(cfg, "0008")
        now = "2026-12-01 10:00:00"
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO team (id, name, token_sha256, created_at) VALUES (1, 'baseline: unet', 't1', :now), (2, 'owls', 't2', :now)"
                ),
                {"now": now},
            )
            for sub_id, team_id, split in ((10, 1, "test1"), (11, 2, "test2")):
                conn.execute(
                    text(
                        "INSERT INTO submission (id, team_id, challenge, track, split, status, created_at, updated_at, "
                        "upload_sha256, upload_bytes, extra_data, ensemble, full_resolution, description) "
                        "VALUES (:id, :team, 'demo', 's7', :split, 'SCORED', :now, :now, 'u', 1, false, false, false, '')"
                    ),
                    {"id": sub_id, "team": team_id, "split": split, "now": now},
                )
            conn.execute(
                text(
                    "INSERT INTO baselinerun (id, submission_id, method, track, split, mode, weights_sha256, train_steps, "
                    "device, device_name, torch_version, dtype, tta, params, params_frozen, macs_g_patch, "
                    "runtime_patch_ms, runtime_full_ms, peak_memory_mb, fidelity, reported_params_m, "
                    "reported_runtime_ms, reported_gpu, created_at) VALUES (5, 10, 'unet', 's7', 'test1', 'full', "
                    "'w', 120, 'cuda', 'H200', '2.5', 'float32', true, 7000, 12, 1.5, 2.5, 40.0, 300.0, 'faithful', "
                    "7.1, 50.0, 'V100', :now)"
                ),
                {"now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO modelrun (id, submission_id, inputs, params, params_constant, macs_g_patch, "
                    "runtime_patch_ms, runtime_full_ms, peak_memory_mb, device, device_name, onnxruntime_version, "
                    "opset, network_isolated, predictions_sha256, report, created_at) VALUES (3, 11, 'patches', 900, "
                    "4, 0.25, 1.25, NULL, 64.0, 'cpu', NULL, '1.20', 17, true, 'p', '{\"ok\": true}', :now)"
                ),
                {"now": now},
            )

        command.upgrade(cfg, "0009")
        with engine.connect() as conn:
            assert _rows(
                conn,
                "SELECT submission_id, kind, inputs, method, params, params_frozen, params_constant, macs_g_patch, "
                "runtime_full_ms, device, device_name, weights_sha256, train_steps, tta, fidelity, reported_gpu, "
                "opset, network_isolated, predictions_sha256 FROM run ORDER BY submission_id",
            ) == [
                (
                    10,
                    "baseline",
                    "full",
                    "unet",
                    7000,
                    12,
                    0,
                    1.5,
                    40.0,
                    "cuda",
                    "H200",
                    "w",
                    120,
                    True,
                    "faithful",
                    "V100",
                    None,
                    False,
                    None,
                ),
                (
                    11,
                    "model",
                    "patches",
                    None,
                    900,
                    0,
                    4,
                    0.25,
                    None,
                    "cpu",
                    None,
                    None,
                    None,
                    False,
                    None,
                    None,
                    17,
                    True,
                    "p",
                ),
            ]
            assert "baselinerun" not in inspect(conn).get_table_names()
            assert "modelrun" not in inspect(conn).get_table_names()

        command.downgrade(cfg, "0008")
        with engine.connect() as conn:
            assert _rows(
                conn,
                "SELECT submission_id, method, track, split, mode, params, params_frozen, tta, reported_gpu FROM baselinerun",
            ) == [(10, "unet", "s7", "test1", "full", 7000, 12, True, "V100")]
            assert _rows(
                conn,
                "SELECT submission_id, inputs, params, params_constant, opset, network_isolated, predictions_sha256 FROM modelrun",
            ) == [(11, "patches", 900, 4, 17, True, "p")]
            assert "run" not in inspect(conn).get_table_names()
    finally:
        engine.dispose()
        if url.startswith("postgresql"):
            drop_postgres(url)
