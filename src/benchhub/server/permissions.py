"""What a user may see beyond the public catalog: one function per question, so each rule lives in one place."""

from __future__ import annotations

from sqlalchemy.orm import Session

from benchhub.benchmark_service import hidden_splits, may_see_labels
from benchhub.dataset_service import get_dataset_row
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


def can_see_ranking(session: Session, user: UserRow | None, dataset: str, split: str) -> bool:
    """Whether `user` may read the hub's ranking of a dataset split: not of a split a hosted benchmark hides
    (its rankings are the benchmark's boards), unless the user is an admin or maintains that benchmark."""
    if split not in hidden_splits(session, dataset):
        return True
    if user is None:
        return False
    return bool(user.is_admin) or may_see_labels(session, user, get_dataset_row(session, dataset).id, split)
