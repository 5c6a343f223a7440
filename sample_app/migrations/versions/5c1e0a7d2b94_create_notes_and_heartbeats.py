"""create notes and heartbeats

Revision ID: 5c1e0a7d2b94
Revises:
Create Date: 2026-11-21 10:55:00
"""

import sqlalchemy as sa
from alembic import op

revision = "5c1e0a7d2b94"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
    )
    op.create_index(op.f("ix_notes_created_at"), "notes", ["created_at"])

    op.create_table(
        "heartbeats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_heartbeats")),
    )
    op.create_index(op.f("ix_heartbeats_beat_at"), "heartbeats", ["beat_at"])


def downgrade():
    op.drop_index(op.f("ix_heartbeats_beat_at"), table_name="heartbeats")
    op.drop_table("heartbeats")
    op.drop_index(op.f("ix_notes_created_at"), table_name="notes")
    op.drop_table("notes")
