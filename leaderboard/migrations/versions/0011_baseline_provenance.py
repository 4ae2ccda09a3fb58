"""baseline provenance: the runtime each run was timed on, the GPU memory peak, and where a baseline's weights came from

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 13:00:00

Existing rows keep NULL: a run recorded before this revision did not say what it was timed on,
nor how its weights were trained. Their ``runtime`` is filled from what they did record (the
torch or onnxruntime version).
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COLUMNS = (
    ("runtime", sqlmodel.AutoString()),
    ("peak_gpu_memory_mb", sa.Float()),
    ("weights_state", sqlmodel.AutoString()),
    ("train_wall_s", sa.Float()),
    ("train_device", sqlmodel.AutoString()),
    ("train_recipe", sa.JSON()),
)


def upgrade() -> None:
    with op.batch_alter_table("run") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
    op.execute("UPDATE run SET runtime = 'torch ' || torch_version WHERE torch_version IS NOT NULL")
    op.execute(
        "UPDATE run SET runtime = 'onnxruntime ' || onnxruntime_version "
        "WHERE runtime IS NULL AND onnxruntime_version IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("run") as batch:
        for name, _kind in reversed(COLUMNS):
            batch.drop_column(name)
