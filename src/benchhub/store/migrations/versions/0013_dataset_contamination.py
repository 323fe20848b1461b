"""Datasets gain their contamination checks: the share of a split's items that share an n-gram with the train split
or a corpus. Datasets registered before have none until `benchhub dataset contamination` checks them.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In place (SQLite 3.35 or later): copying the table would cascade-delete its splits and evaluations.
    with op.batch_alter_table("datasets", recreate="never") as batch:
        batch.add_column(sa.Column("contamination", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("datasets", recreate="never") as batch:
        batch.drop_column("contamination")
