"""Model-submission benchmarks: what a phase takes (predictions files or models) and its resource limits, what
the host measured of a submitted model (speed, peak memory) beside its score, and when each scoring job was
claimed (scoring jobs are taken round-robin across benchmarks by it).

Phases made before take predictions files, as they always did; scores made before measured nothing; jobs
claimed before have no claim time, as if their benchmark had not had a turn yet.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In place (SQLite 3.35 or later): copying these tables would cascade-delete their submissions and scores.
    with op.batch_alter_table("benchmark_phases", recreate="never") as batch:
        batch.add_column(sa.Column("takes", sa.String(16), nullable=False, server_default="predictions"))
        batch.add_column(sa.Column("limits", sa.JSON(), nullable=True))
    with op.batch_alter_table("submission_scores", recreate="never") as batch:
        batch.add_column(sa.Column("measurements", sa.JSON(), nullable=True))
    with op.batch_alter_table("scoring_jobs", recreate="never") as batch:
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scoring_jobs", recreate="never") as batch:
        batch.drop_column("claimed_at")
    with op.batch_alter_table("submission_scores", recreate="never") as batch:
        batch.drop_column("measurements")
    with op.batch_alter_table("benchmark_phases", recreate="never") as batch:
        batch.drop_column("limits")
        batch.drop_column("takes")
