"""One evaluation, top to bottom: run the model over the split, collect predictions, score, measure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from benchhub.data.records import DatasetFacts, Split
from benchhub.engine.runner import run_model
from benchhub.errors import InvalidInputError
from benchhub.models.base import Model, RunOutput
from benchhub.tasks.base import Task


@dataclass(frozen=True)
class EvaluationOutput:
    """Everything an evaluation produced, ready to be stored."""

    metrics: dict[str, dict[str, float]]
    details: dict[str, Any]
    efficiency: dict[str, Any]
    examples: list[dict[str, Any]]


def evaluate(model: Model, split: Split, *, task: Task, facts: DatasetFacts, batch_size: int = 32,
             show_progress: bool = True, description: str = "evaluating") -> EvaluationOutput:
    """Runs `model` over `split` and scores its predictions with `task`."""
    if not task.has_references(split):
        raise InvalidInputError(f"Split {split.name!r} has no labels to score against; evaluate a labelled split.")
    run = run_model(model, split, batch_size=batch_size, show_progress=show_progress, description=description)
    predictions = task.collect(model, split, run, facts)
    scored = task.score(split, predictions, facts)
    return EvaluationOutput(scored.metrics, scored.details, efficiency(run, model), scored.examples)


def efficiency(run: RunOutput, model: Model) -> dict[str, Any]:
    """Throughput, batch latency percentiles, memory and model size of one run."""
    items = int(sum(run.batch_sizes))
    batch_ms = np.array(run.batch_seconds) * 1000.0
    total = run.encode_seconds + run.predict_seconds
    examples = run.examples
    return {
        "examples": examples,
        "items": items,
        "examples_per_second": examples / total if total > 0 else None,
        "encode_seconds": run.encode_seconds,
        "predict_seconds": run.predict_seconds,
        "batch_latency_ms_p50": float(np.percentile(batch_ms, 50)) if len(batch_ms) else None,
        "batch_latency_ms_p95": float(np.percentile(batch_ms, 95)) if len(batch_ms) else None,
        "batches": len(run.batch_sizes),
        "peak_memory_bytes": run.peak_memory_bytes,
        "load_seconds": model.info.load_seconds,
        "parameters": model.info.parameters,
        "size_bytes": model.info.size_bytes,
    }
