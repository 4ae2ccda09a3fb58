"""model submissions: the kind of a submission and the measured re-run of a model

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 17:30:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), server_default="predictions", nullable=False)
        )
    op.create_table(
        "modelrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("inputs", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("params", sa.Integer(), nullable=False),
        sa.Column("params_constant", sa.Integer(), nullable=False),
        sa.Column("macs_g_patch", sa.Float(), nullable=True),
        sa.Column("runtime_patch_ms", sa.Float(), nullable=True),
        sa.Column("runtime_full_ms", sa.Float(), nullable=True),
        sa.Column("peak_memory_mb", sa.Float(), nullable=True),
        sa.Column("device", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("device_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("onnxruntime_version", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("opset", sa.Integer(), nullable=True),
        sa.Column("network_isolated", sa.Boolean(), nullable=False),
        sa.Column("predictions_sha256", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("modelrun", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_modelrun_submission_id"), ["submission_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("modelrun", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_modelrun_submission_id"))
    op.drop_table("modelrun")
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_column("kind")
