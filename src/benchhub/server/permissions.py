"""What a user may see beyond the public catalog: one function per question, so each rule lives in one place."""

from __future__ import annotations

from sqlalchemy.orm import Session

from benchhub.benchmark_service import may_see_labels
from benchhub.store.tables import EvaluationRow, UserRow


def can_see_examples(session: Session, user: UserRow | None, evaluation: EvaluationRow) -> bool:
    """Whether `user` may read an evaluation's per-example rows, which carry the gold labels.

    Anonymous visitors never may; admins always may; other signed-in users unless a hosted benchmark
    hides the split's labels and they do not maintain it.
    """
    if user is None:
        return False
    return bool(user.is_admin) or may_see_labels(session, user, evaluation.dataset_id, evaluation.split)


def can_see_details(session: Session, user: UserRow | None, evaluation: EvaluationRow) -> bool:
    """Whether `user` may read an evaluation's details (a confusion matrix tells a hidden split's label counts)."""
    return (user is not None and bool(user.is_admin)) or may_see_labels(session, user, evaluation.dataset_id, evaluation.split)
