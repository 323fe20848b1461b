"""Scoring a predictions file against a registered split, storing nothing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from benchhub.catalog.datasets import get_dataset_row, load_split
from benchhub.engine.evaluate import evaluate
from benchhub.evaluation.evaluations import (
    dataset_facts,
    model_settings,
    without_sandbox,
)
from benchhub.models.checkpoints import file_sha256
from benchhub.store.artifacts import ArtifactStore
from benchhub.tasks.registry import get_task


def score_predictions_file(session: Session, artifacts: ArtifactStore, *, dataset: str, predictions: Path,
                           split: str = "test", na_probs: Path | None = None, settings: dict[str, Any] | None = None,
                           unsafe_no_sandbox: bool = False) -> dict[str, Any]:
    """Returns metrics (with CIs) and details for a predictions file; nothing is written. `settings` are the task's
    scoring settings (code execution's limits); `unsafe_no_sandbox` runs code without isolation, as for `eval`."""
    dataset_row = get_dataset_row(session, dataset)
    split_data = load_split(artifacts, dataset_row, split)
    task = get_task(dataset_row.task)
    task_config = model_settings(task, "predictions", settings or {})
    if unsafe_no_sandbox:
        task_config = without_sandbox(task, task_config)
    facts = replace(dataset_facts(dataset_row), settings=task_config)
    model = task.predictions_model(predictions, facts, na_probs=na_probs)
    output = evaluate(model, split_data, task=task, facts=facts, batch_size=max(len(split_data), 1), show_progress=False)
    files = {"path": str(predictions.resolve()), "sha256": file_sha256(predictions)}
    if na_probs is not None:
        files["na_probs"] = {"path": str(na_probs.resolve()), "sha256": file_sha256(na_probs)}
    return {
        "dataset": dataset,
        "split": split,
        "task": task.name,
        "task_version": task.version,
        "predictions": files,
        **({"task_config": task_config} if task_config else {}),
        "metrics": output.metrics,
        "details": output.details,
    }
