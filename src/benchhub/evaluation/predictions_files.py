"""Scoring a predictions file against a registered split, storing nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from benchhub.catalog.datasets import get_dataset_row, load_split
from benchhub.engine.evaluate import evaluate
from benchhub.evaluation.evaluations import dataset_facts
from benchhub.models.checkpoints import file_sha256
from benchhub.store.artifacts import ArtifactStore
from benchhub.tasks.registry import get_task


def score_predictions_file(session: Session, artifacts: ArtifactStore, *, dataset: str, predictions: Path,
                           split: str = "test", na_probs: Path | None = None) -> dict[str, Any]:
    """Returns metrics (with CIs) and details for a predictions file; nothing is written."""
    dataset_row = get_dataset_row(session, dataset)
    split_data = load_split(artifacts, dataset_row, split)
    task = get_task(dataset_row.task)
    model = task.predictions_model(predictions, dataset_facts(dataset_row), na_probs=na_probs)
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
