"""create beat_ticks

Revision ID: 8c415805617f
Revises: 5a68ec83189d
Create Date: 2026-12-01 14:51:00
"""

import sqlalchemy as sa
from alembic import op

revision = "8c415805617f"
down_revision = "5a68ec83189d"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "beat_ticks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("beat_host", sa.String(length=255), nullable=False),
        sa.Column("worker_host", sa.String(length=255), nullable=False),
        sa.Column("ticked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_beat_ticks")),
    )
    op.create_index(op.f("ix_beat_ticks_ticked_at"), "beat_ticks", ["ticked_at"])


def downgrade():
    op.drop_index(op.f("ix_beat_ticks_ticked_at"), table_name="beat_ticks")
    op.drop_table("beat_ticks")
