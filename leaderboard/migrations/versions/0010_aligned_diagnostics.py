"""aligned diagnostics: ``score.aligned`` and ``imagescore.aligned`` (JSON, null where a split has no alignment manifest)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 13:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("score") as batch:
        batch.add_column(sa.Column("aligned", sa.JSON(), nullable=True))
    with op.batch_alter_table("imagescore") as batch:
        batch.add_column(sa.Column("aligned", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("imagescore") as batch:
        batch.drop_column("aligned")
    with op.batch_alter_table("score") as batch:
        batch.drop_column("aligned")
