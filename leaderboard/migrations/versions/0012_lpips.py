"""lpips: a forward track's perceptual distance on score and per-image score rows

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 17:00:00

``score.lpips`` and ``imagescore.lpips`` hold LPIPS (AlexNet, v0.1) of a forward track's scores;
``score.lpips_note`` says why a score has none (the backbone was not supplied). Existing rows are
reverse-track scores, which have no LPIPS: they keep NULL.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("score") as batch:
        batch.add_column(sa.Column("lpips", sa.Float(), nullable=True))
        batch.add_column(sa.Column("lpips_note", sqlmodel.AutoString(), nullable=True))
    with op.batch_alter_table("imagescore") as batch:
        batch.add_column(sa.Column("lpips", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("imagescore") as batch:
        batch.drop_column("lpips")
    with op.batch_alter_table("score") as batch:
        batch.drop_column("lpips_note")
        batch.drop_column("lpips")
