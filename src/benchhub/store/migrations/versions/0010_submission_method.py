"""Submissions gain the method a participant names for them: a name, a description and a URL (all optional).

Submissions made before keep their rows, with no method (NULL); the board shows their participant's name.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("method_name", sa.String(120), nullable=True))
        batch.add_column(sa.Column("method_description", sa.Text(), nullable=True))
        batch.add_column(sa.Column("method_url", sa.String(500), nullable=True))


def downgrade() -> None:
    # In place (SQLite 3.35 or later): copying the table instead would drop the old one, and under
    # foreign_keys=ON that deletes every score and scoring job of its submissions (ON DELETE CASCADE).
    with op.batch_alter_table("submissions", recreate="never") as batch:
        batch.drop_column("method_url")
        batch.drop_column("method_description")
        batch.drop_column("method_name")
