"""Evaluation ids are never reused: SQLite's evaluations table becomes AUTOINCREMENT.

Without AUTOINCREMENT, SQLite gives a deleted row's id to the next insert, so rerunning the newest
evaluation with --no-cache handed the replacement the id of the result it replaced. Other databases
draw ids from sequences and need no change.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _recreate_evaluations(autoincrement: bool) -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("evaluations", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass


def upgrade() -> None:
    _recreate_evaluations(True)


def downgrade() -> None:
    _recreate_evaluations(False)
