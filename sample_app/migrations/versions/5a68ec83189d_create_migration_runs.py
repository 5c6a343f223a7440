"""create migration_runs

Revision ID: 5a68ec83189d
Revises: 5c1e0a7d2b94
Create Date: 2026-12-01 08:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "5a68ec83189d"
down_revision = "5c1e0a7d2b94"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "migration_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_migration_runs")),
    )
    op.create_index(op.f("ix_migration_runs_ran_at"), "migration_runs", ["ran_at"])


def downgrade():
    op.drop_index(op.f("ix_migration_runs_ran_at"), table_name="migration_runs")
    op.drop_table("migration_runs")
