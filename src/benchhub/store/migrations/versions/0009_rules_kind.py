"""Regex-rule models become a kind of their own, "rules" (they were stored as "baseline", the built-ins' kind).

A rules file a user registered is stored in the hub as models/NAME/rules.yaml (or .yml); those rows
change kind, the built-in baselines keep theirs. Downgrading turns them back.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_models = sa.table("models", sa.column("kind"), sa.column("source"))
_RULES = sa.or_(_models.c.source.like("models/%/rules.yaml"), _models.c.source.like("models/%/rules.yml"))


def upgrade() -> None:
    op.get_bind().execute(sa.update(_models).where(_models.c.kind == "baseline", _RULES).values(kind="rules"))


def downgrade() -> None:
    op.get_bind().execute(sa.update(_models).where(_models.c.kind == "rules").values(kind="baseline"))
