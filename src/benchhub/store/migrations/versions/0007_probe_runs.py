"""Probe runs: a model's behaviour under a probe suite on one dataset split, cached by everything that fixes it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "probe_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("cache_key", sa.String(64), nullable=False),
        sa.Column("model_id", sa.Integer(), sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
        sa.Column("dataset_id", sa.Integer(), sa.ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("split", sa.String(100), nullable=False),
        sa.Column("suite", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_probe_runs_cache_key", "probe_runs", ["cache_key"])
    op.create_index("ix_probe_runs_dataset_split", "probe_runs", ["dataset_id", "split"])


def downgrade() -> None:
    op.drop_index("ix_probe_runs_dataset_split", table_name="probe_runs")
    op.drop_index("ix_probe_runs_cache_key", table_name="probe_runs")
    op.drop_table("probe_runs")
