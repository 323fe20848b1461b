"""Speed runs: latency percentiles and throughput from `benchhub bench`, one row per model x batch size x sequence length.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "speed_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("model_id", sa.Integer(), sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("seq_len", sa.Integer(), nullable=False),
        sa.Column("threads", sa.Integer(), nullable=True),
        sa.Column("latency_p50_ms", sa.Float(), nullable=False),
        sa.Column("latency_p90_ms", sa.Float(), nullable=False),
        sa.Column("latency_p99_ms", sa.Float(), nullable=False),
        sa.Column("throughput", sa.Float(), nullable=False),
        sa.Column("timings", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("hardware", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_speed_runs_run_id", "speed_runs", ["run_id"])
    op.create_index("ix_speed_runs_model_id", "speed_runs", ["model_id"])


def downgrade() -> None:
    op.drop_index("ix_speed_runs_model_id", table_name="speed_runs")
    op.drop_index("ix_speed_runs_run_id", table_name="speed_runs")
    op.drop_table("speed_runs")
