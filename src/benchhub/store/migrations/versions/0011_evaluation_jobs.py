"""Evaluation on the hub: roles on the catalog, storage and evaluation-time quotas per user, who uploaded each model
and dataset, and the evaluation jobs queue.

Users made before keep their rights on benchmarks and become members of the catalog (registering and evaluating
through the server is new, so no one loses anything); admins stay admins. Models and datasets registered before
have no owner (they were registered on the hub's machine) and count against no one's quota.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.add_column(sa.Column("role", sa.String(16), nullable=False, server_default="member"))
        batch.add_column(sa.Column("evaluation_quota_seconds", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("storage_quota_bytes", sa.BigInteger(), nullable=True))
    for table in ("models", "datasets"):
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        op.create_index(f"ix_{table}_owner_id", table, ["owner_id"])
    op.create_table(
        "evaluation_jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("queue_key", sa.String(120), nullable=False),
        sa.Column("batch", sa.String(32), nullable=False, index=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("split", sa.String(100), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(200), nullable=True),
        _at("lease_expires_at"),
        sa.Column("time_limit_seconds", sa.Integer(), nullable=False),
        sa.Column("memory_limit_mb", sa.Integer(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("examples_done", sa.Integer(), nullable=False),
        sa.Column("examples_total", sa.Integer(), nullable=True),
        sa.Column("peak_memory_mb", sa.Float(), nullable=True),
        sa.Column("evaluation_id", sa.Integer(), sa.ForeignKey("evaluations.id", ondelete="SET NULL"), nullable=True),
        sa.Column("cached", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("log", sa.Text(), nullable=True),
        _at("created_at", nullable=False),
        _at("started_at"),
        _at("progress_at"),
        _at("finished_at"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_evaluation_jobs_state_queue", "evaluation_jobs", ["state", "queue_key"])


def downgrade() -> None:
    op.drop_table("evaluation_jobs")
    for table in ("models", "datasets"):
        # In place (SQLite 3.35 or later): copying these tables would cascade-delete their evaluations.
        op.drop_index(f"ix_{table}_owner_id", table_name=table)
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.drop_column("owner_id")
    # In place (SQLite 3.35 or later): copying the users table would cascade-delete their tokens and submissions.
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.drop_column("storage_quota_bytes")
        batch.drop_column("evaluation_quota_seconds")
        batch.drop_column("role")
