"""one run table: baseline and model runs in ``run`` (kind = baseline | model), their rows moved over

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 08:30:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# what both kinds measured (model runs call ``inputs`` what baseline runs called ``mode``)
SHARED = (
    "submission_id",
    "params",
    "macs_g_patch",
    "runtime_patch_ms",
    "runtime_full_ms",
    "peak_memory_mb",
    "device",
    "device_name",
    "created_at",
)
BASELINE_ONLY = (
    "method",
    "weights_sha256",
    "train_steps",
    "torch_version",
    "dtype",
    "tta",
    "params_frozen",
    "fidelity",
    "reported_params_m",
    "reported_runtime_ms",
    "reported_gpu",
)
MODEL_ONLY = ("params_constant", "onnxruntime_version", "opset", "network_isolated", "predictions_sha256", "report")


def _text() -> sa.types.TypeEngine:
    return sqlmodel.sql.sqltypes.AutoString()


def upgrade() -> None:
    op.create_table(
        "run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("kind", _text(), nullable=False),
        sa.Column("inputs", _text(), nullable=False),
        sa.Column("params", sa.Integer(), nullable=False),
        sa.Column("macs_g_patch", sa.Float(), nullable=True),
        sa.Column("runtime_patch_ms", sa.Float(), nullable=True),
        sa.Column("runtime_full_ms", sa.Float(), nullable=True),
        sa.Column("peak_memory_mb", sa.Float(), nullable=True),
        sa.Column("device", _text(), nullable=False),
        sa.Column("device_name", _text(), nullable=True),
        sa.Column("method", _text(), nullable=True),
        sa.Column("weights_sha256", _text(), nullable=True),
        sa.Column("train_steps", sa.Integer(), nullable=True),
        sa.Column("torch_version", _text(), nullable=True),
        sa.Column("dtype", _text(), nullable=True),
        sa.Column("tta", sa.Boolean(), nullable=False),
        sa.Column("params_frozen", sa.Integer(), nullable=False),
        sa.Column("fidelity", _text(), nullable=True),
        sa.Column("reported_params_m", sa.Float(), nullable=True),
        sa.Column("reported_runtime_ms", sa.Float(), nullable=True),
        sa.Column("reported_gpu", _text(), nullable=True),
        sa.Column("params_constant", sa.Integer(), nullable=False),
        sa.Column("onnxruntime_version", _text(), nullable=True),
        sa.Column("opset", sa.Integer(), nullable=True),
        sa.Column("network_isolated", sa.Boolean(), nullable=False),
        sa.Column("predictions_sha256", _text(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_run_method"), ["method"], unique=False)
        batch_op.create_index(batch_op.f("ix_run_submission_id"), ["submission_id"], unique=True)

    shared = ", ".join(SHARED)
    baseline = ", ".join(BASELINE_ONLY)
    model = ", ".join(MODEL_ONLY)
    # the rows move in their old order (baseline runs first); the new ids are the run table's own
    op.execute(
        f"INSERT INTO run (kind, inputs, {shared}, {baseline}, params_constant, network_isolated) "
        f"SELECT 'baseline', mode, {shared}, {baseline}, 0, false FROM baselinerun ORDER BY id"
    )
    op.execute(
        f"INSERT INTO run (kind, inputs, {shared}, {model}, tta, params_frozen) "
        f"SELECT 'model', inputs, {shared}, {model}, false, 0 FROM modelrun ORDER BY id"
    )

    with op.batch_alter_table("baselinerun", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_baselinerun_submission_id"))
        batch_op.drop_index(batch_op.f("ix_baselinerun_method"))
    op.drop_table("baselinerun")
    with op.batch_alter_table("modelrun", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_modelrun_submission_id"))
    op.drop_table("modelrun")


def downgrade() -> None:
    op.create_table(
        "baselinerun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("method", _text(), nullable=False),
        sa.Column("track", _text(), nullable=False),
        sa.Column("split", _text(), nullable=False),
        sa.Column("mode", _text(), nullable=False),
        sa.Column("weights_sha256", _text(), nullable=True),
        sa.Column("train_steps", sa.Integer(), nullable=True),
        sa.Column("device", _text(), nullable=False),
        sa.Column("device_name", _text(), nullable=False),
        sa.Column("torch_version", _text(), nullable=False),
        sa.Column("dtype", _text(), nullable=False),
        sa.Column("tta", sa.Boolean(), nullable=False),
        sa.Column("params", sa.Integer(), nullable=False),
        sa.Column("params_frozen", sa.Integer(), nullable=False),
        sa.Column("macs_g_patch", sa.Float(), nullable=False),
        sa.Column("runtime_patch_ms", sa.Float(), nullable=False),
        sa.Column("runtime_full_ms", sa.Float(), nullable=True),
        sa.Column("peak_memory_mb", sa.Float(), nullable=False),
        sa.Column("fidelity", _text(), nullable=False),
        sa.Column("reported_params_m", sa.Float(), nullable=True),
        sa.Column("reported_runtime_ms", sa.Float(), nullable=True),
        sa.Column("reported_gpu", _text(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("baselinerun", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_baselinerun_method"), ["method"], unique=False)
        batch_op.create_index(batch_op.f("ix_baselinerun_submission_id"), ["submission_id"], unique=True)
    op.create_table(
        "modelrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("inputs", _text(), nullable=False),
        sa.Column("params", sa.Integer(), nullable=False),
        sa.Column("params_constant", sa.Integer(), nullable=False),
        sa.Column("macs_g_patch", sa.Float(), nullable=True),
        sa.Column("runtime_patch_ms", sa.Float(), nullable=True),
        sa.Column("runtime_full_ms", sa.Float(), nullable=True),
        sa.Column("peak_memory_mb", sa.Float(), nullable=True),
        sa.Column("device", _text(), nullable=False),
        sa.Column("device_name", _text(), nullable=True),
        sa.Column("onnxruntime_version", _text(), nullable=True),
        sa.Column("opset", sa.Integer(), nullable=True),
        sa.Column("network_isolated", sa.Boolean(), nullable=False),
        sa.Column("predictions_sha256", _text(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("modelrun", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_modelrun_submission_id"), ["submission_id"], unique=True)

    shared = ", ".join(SHARED)
    baseline = ", ".join(BASELINE_ONLY)
    model = ", ".join(MODEL_ONLY)
    # a baseline run's track and split are its submission's
    op.execute(
        f"INSERT INTO baselinerun (mode, track, split, {shared}, {baseline}) "
        f"SELECT run.inputs, submission.track, submission.split, "
        + ", ".join(f"run.{c}" for c in (*SHARED, *BASELINE_ONLY))
        + " FROM run JOIN submission ON submission.id = run.submission_id WHERE run.kind = 'baseline' ORDER BY run.id"
    )
    op.execute(
        f"INSERT INTO modelrun (inputs, {shared}, {model}) "
        f"SELECT inputs, {shared}, {model} FROM run WHERE kind = 'model' ORDER BY id"
    )
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_submission_id"))
        batch_op.drop_index(batch_op.f("ix_run_method"))
        batch_op.drop_index(batch_op.f("ix_run_kind"))
    op.drop_table("run")
