"""One evaluation, top to bottom: run the model over the split, score it, measure it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from benchhub.data.records import Split
from benchhub.engine.runner import RunOutput, run_classifier
from benchhub.errors import InvalidInputError
from benchhub.models.base import Classifier
from benchhub.tasks.text_classification import TaskScore, TextClassification


@dataclass(frozen=True)
class EvaluationOutput:
    """Everything an evaluation produced, ready to be stored."""

    metrics: dict[str, dict[str, float]]
    details: dict[str, Any]
    efficiency: dict[str, Any]
    examples: list[dict[str, Any]]


def evaluate(classifier: Classifier, split: Split, *, task: TextClassification, labels: list[str],
             batch_size: int = 32, show_progress: bool = True, description: str = "evaluating") -> EvaluationOutput:
    """Runs `classifier` over `split` and scores it with `task`."""
    if not split.has_labels:
        raise InvalidInputError(f"Split {split.name!r} has no labels to score against; evaluate a labelled split.")
    run = run_classifier(classifier, split, batch_size=batch_size, show_progress=show_progress, description=description)
    scored: TaskScore = task.score(split, labels, run.scores)
    return EvaluationOutput(scored.metrics, scored.details, efficiency(run, classifier), scored.examples)


def efficiency(run: RunOutput, classifier: Classifier) -> dict[str, Any]:
    """Throughput, batch latency percentiles, memory and model size of one run."""
    examples = int(sum(run.batch_sizes))
    batch_ms = np.array(run.batch_seconds) * 1000.0
    total = run.encode_seconds + run.predict_seconds
    return {
        "examples": examples,
        "examples_per_second": examples / total if total > 0 else None,
        "encode_seconds": run.encode_seconds,
        "predict_seconds": run.predict_seconds,
        "batch_latency_ms_p50": float(np.percentile(batch_ms, 50)) if len(batch_ms) else None,
        "batch_latency_ms_p95": float(np.percentile(batch_ms, 95)) if len(batch_ms) else None,
        "batches": len(run.batch_sizes),
        "peak_memory_bytes": run.peak_memory_bytes,
        "load_seconds": classifier.info.load_seconds,
        "parameters": classifier.info.parameters,
        "size_bytes": classifier.info.size_bytes,
    }
