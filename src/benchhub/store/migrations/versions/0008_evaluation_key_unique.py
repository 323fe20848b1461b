"""One stored evaluation per key: a unique index on evaluations (cache_key, model_id, dataset_id).

Jobs that run twice (retries, two workers, a matrix rerun) then cannot store a result twice: the
second insert fails and the evaluation service answers with the stored row. Duplicates an older
hub may hold (from concurrent runs) are removed first, keeping the newest of each key.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    evaluations = sa.table("evaluations", sa.column("id"), sa.column("cache_key"), sa.column("model_id"), sa.column("dataset_id"))
    newest = (sa.select(sa.func.max(evaluations.c.id))
              .group_by(evaluations.c.cache_key, evaluations.c.model_id, evaluations.c.dataset_id))
    bind.execute(sa.delete(evaluations).where(evaluations.c.id.not_in(newest)))
    op.create_index("uq_evaluations_key", "evaluations", ["cache_key", "model_id", "dataset_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_evaluations_key", table_name="evaluations")
