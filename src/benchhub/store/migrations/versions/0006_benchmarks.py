"""Hosted benchmarks: benchmarks, phases, members, submissions, their scores, the scoring queue, the audit log.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "benchmarks",
        _id(),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("task", sa.String(64), nullable=False),
        sa.Column("primary_metric", sa.String(64), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("split_seed", sa.String(64), nullable=False),
        _at("created_at"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "benchmark_phases",
        _id(),
        sa.Column("benchmark_id", sa.Integer(), sa.ForeignKey("benchmarks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("split", sa.String(100), nullable=False),
        sa.Column("labels_public", sa.Boolean(), nullable=False),
        _at("opens_at", nullable=True),
        _at("closes_at", nullable=True),
        _at("closed_at", nullable=True),
        sa.UniqueConstraint("benchmark_id", "name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "benchmark_members",
        _id(),
        sa.Column("benchmark_id", sa.Integer(), sa.ForeignKey("benchmarks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        _at("created_at"),
        sa.UniqueConstraint("benchmark_id", "user_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_benchmark_members_user_id", "benchmark_members", ["user_id"])
    op.create_table(
        "submissions",
        _id(),
        sa.Column("benchmark_id", sa.Integer(), sa.ForeignKey("benchmarks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("phase_id", sa.Integer(), sa.ForeignKey("benchmark_phases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("file_path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("disqualified", sa.Boolean(), nullable=False),
        sa.Column("moderation_reason", sa.Text(), nullable=True),
        sa.Column("selected_final", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        _at("created_at"),
        sa.UniqueConstraint("user_id", "benchmark_id", "idempotency_key"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_submissions_phase_user", "submissions", ["phase_id", "user_id", "created_at"])
    op.create_table(
        "scoring_jobs",
        _id(),
        sa.Column("submission_id", sa.Integer(), sa.ForeignKey("submissions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(200), nullable=True),
        _at("lease_expires_at", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _at("created_at"),
        _at("finished_at", nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_scoring_jobs_submission_id", "scoring_jobs", ["submission_id"])
    op.create_index("ix_scoring_jobs_state", "scoring_jobs", ["state"])
    op.create_table(
        "submission_scores",
        _id(),
        sa.Column("submission_id", sa.Integer(), sa.ForeignKey("submissions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("job_id", sa.Integer(), sa.ForeignKey("scoring_jobs.id", ondelete="CASCADE"), nullable=False, unique=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("public_metrics", sa.JSON(), nullable=False),
        sa.Column("private_metrics", sa.JSON(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        _at("created_at"),
        sa.UniqueConstraint("submission_id", "version"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_submission_scores_submission_id", "submission_scores", ["submission_id"])
    op.create_table(
        "audit_log",
        _id(),
        sa.Column("benchmark_id", sa.Integer(), sa.ForeignKey("benchmarks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        _at("created_at"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_audit_log_benchmark_id", "audit_log", ["benchmark_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_benchmark_id", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_submission_scores_submission_id", table_name="submission_scores")
    op.drop_table("submission_scores")
    op.drop_index("ix_scoring_jobs_state", table_name="scoring_jobs")
    op.drop_index("ix_scoring_jobs_submission_id", table_name="scoring_jobs")
    op.drop_table("scoring_jobs")
    op.drop_index("ix_submissions_phase_user", table_name="submissions")
    op.drop_table("submissions")
    op.drop_index("ix_benchmark_members_user_id", table_name="benchmark_members")
    op.drop_table("benchmark_members")
    op.drop_table("benchmark_phases")
    op.drop_table("benchmarks")
