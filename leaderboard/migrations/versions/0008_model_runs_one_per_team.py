"""model runs one per team: the waiting job state, the job's team, charged failed submissions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # a native enum on PostgreSQL (allowed inside the migration's transaction since PostgreSQL 12);
        # SQLite stores the name as plain text
        op.execute("ALTER TYPE jobstate ADD VALUE IF NOT EXISTS 'WAITING' BEFORE 'QUEUED'")
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_job_team_id"), ["team_id"], unique=False)
        batch_op.create_foreign_key("fk_job_team_id_team", "team", ["team_id"], ["id"])
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.add_column(sa.Column("charged", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    # PostgreSQL cannot drop an enum value: waiting jobs become queued ones, the value stays unused
    op.execute("UPDATE job SET state = 'QUEUED' WHERE state = 'WAITING'")
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_column("charged")
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_constraint("fk_job_team_id_team", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_job_team_id"))
        batch_op.drop_column("team_id")
