"""Reading stored evaluations without running anything: by id, by model/dataset/split, and their per-example rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchhub.catalog.datasets import get_dataset_row
from benchhub.catalog.models import BASELINE_PREFIX, builtin_family
from benchhub.errors import (
    BenchhubError,
    InvalidInputError,
    ModelNotFoundError,
    NotFoundError,
)
from benchhub.evaluation.evaluations import evaluation_record
from benchhub.results import Evaluation
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.ids import is_row_id
from benchhub.store.tables import EvaluationRow, ModelRow

MAX_PAGE = 1000
MAX_OFFSET = 1_000_000_000


def list_evaluations(session: Session, *, model: str | None = None, dataset: str | None = None, split: str | None = None,
                     limit: int = 100, offset: int = 0) -> list[Evaluation]:
    """Stored evaluations, newest first, optionally of one model, dataset and split."""
    check_page(limit, offset)
    statement = select(EvaluationRow).order_by(EvaluationRow.id.desc()).limit(limit).offset(offset)
    if model is not None:
        model_id = session.scalar(select(ModelRow.id).where(ModelRow.name == model))
        if model_id is None and not _builtin(model):
            raise ModelNotFoundError(f"No model named {model!r}; GET /api/models lists the registered ones.")
        statement = statement.where(EvaluationRow.model_id == model_id)
    if dataset is not None:
        statement = statement.where(EvaluationRow.dataset_id == get_dataset_row(session, dataset).id)
    if split is not None:
        statement = statement.where(EvaluationRow.split == split)
    return [evaluation_record(row) for row in session.scalars(statement)]


def get_evaluation_row(session: Session, evaluation_id: int) -> EvaluationRow:
    row = session.get(EvaluationRow, evaluation_id) if is_row_id(evaluation_id) else None
    if row is None:
        raise NotFoundError(f"No evaluation with id {evaluation_id}; GET /api/evaluations lists them.")
    return row


def evaluation_examples(artifacts: ArtifactStore, row: EvaluationRow) -> list[dict[str, Any]]:
    """The per-example rows (id, gold, predicted, ...) stored with an evaluation."""
    try:
        return artifacts.read_jsonl_gz(artifacts.path(row.predictions_path))
    except OSError as exc:
        raise BenchhubError(
            f"Per-example predictions of evaluation {row.id} are missing; rerun it with `benchhub eval --no-cache`."
        ) from exc


def check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInputError(f"limit must be an int in the range [1, {MAX_PAGE}]. Got {limit} instead.")
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidInputError(f"offset must be an int in the range [0, {MAX_OFFSET}]. Got {offset} instead.")


def _builtin(name: str) -> bool:
    return name.startswith(BASELINE_PREFIX) and builtin_family(name.removeprefix(BASELINE_PREFIX)) is not None
