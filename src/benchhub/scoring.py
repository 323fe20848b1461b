"""Scoring a predictions file against a registered split, storing nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from benchhub.dataset_service import get_dataset_row, load_split
from benchhub.engine.evaluate import evaluate
from benchhub.errors import InvalidInputError
from benchhub.evaluation_service import dataset_facts
from benchhub.models.checkpoints import file_sha256
from benchhub.store.artifacts import ArtifactStore
from benchhub.tasks.registry import get_task


def score_predictions_file(session: Session, artifacts: ArtifactStore, *, dataset: str, predictions: Path,
                           split: str = "test", na_probs: Path | None = None) -> dict[str, Any]:
    """Returns metrics (with CIs) and details for a predictions file; nothing is written."""
    dataset_row = get_dataset_row(session, dataset)
    split_data = load_split(artifacts, dataset_row, split)
    task = get_task(dataset_row.task)
    if dataset_row.task == "question-answering":
        from benchhub.tasks.question_answering.adapters import QAPredictionsModel

        model = QAPredictionsModel(predictions, na_probs=na_probs)
    else:
        from benchhub.tasks.text_classification.adapters import PredictionsClassifier

        if na_probs is not None:
            raise InvalidInputError("--na-probs applies to question-answering datasets only.")
        model = PredictionsClassifier(predictions, dataset_labels=list(dataset_row.labels))
    output = evaluate(model, split_data, task=task, facts=dataset_facts(dataset_row),
                      batch_size=max(len(split_data), 1), show_progress=False)
    files = {"path": str(predictions.resolve()), "sha256": file_sha256(predictions)}
    if na_probs is not None:
        files["na_probs"] = {"path": str(na_probs.resolve()), "sha256": file_sha256(na_probs)}
    return {
        "dataset": dataset,
        "split": split,
        "task": task.name,
        "task_version": task.version,
        "predictions": files,
        "metrics": output.metrics,
        "details": output.details,
    }
