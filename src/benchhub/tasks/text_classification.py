"""The text-classification task: argmax decoding, classification metrics with bootstrap CIs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from benchhub.data.records import Split
from benchhub.metrics import bootstrap, classification

HEADLINE = ("accuracy", "macro_f1", "weighted_f1", "macro_precision", "macro_recall")


@dataclass(frozen=True)
class TaskScore:
    """Metrics (each with a CI), details for humans, and one outcome row per example."""

    metrics: dict[str, dict[str, float]]
    details: dict[str, Any]
    examples: list[dict[str, Any]]


@dataclass(frozen=True)
class TextClassification:
    name: str = "text-classification"
    version: str = "1"
    primary_metric: str = "macro_f1"
    metrics: tuple[str, ...] = HEADLINE
    n_resamples: int = 1000
    confidence: float = 0.95
    seed: int = 0

    @property
    def metric_versions(self) -> dict[str, str]:
        return {"classification": classification.VERSION, "bootstrap": bootstrap.VERSION}

    def score(self, split: Split, labels: list[str], scores: np.ndarray) -> TaskScore:
        """Scores argmax predictions against the split's gold labels."""
        column = {label: index for index, label in enumerate(labels)}
        references = np.array([column[label] for label in split.labels or []], dtype=np.int64)
        predictions = scores.argmax(axis=1).astype(np.int64)
        n_labels = len(labels)
        values = classification.classification_metrics(predictions=predictions, references=references, n_labels=n_labels)
        intervals = bootstrap.bootstrap_intervals(
            predictions=predictions, references=references, n_labels=n_labels,
            n_resamples=self.n_resamples, confidence=self.confidence, seed=self.seed,
        )
        metrics = {
            name: {"value": values[name], "ci_low": intervals[name].low, "ci_high": intervals[name].high}
            for name in self.metrics
        }
        per_class = classification.per_class_scores(predictions=predictions, references=references, n_labels=n_labels)
        details = {
            "labels": labels,
            "per_class": {
                label: {key: _plain(per_class[key][i]) for key in ("precision", "recall", "f1", "support")}
                for i, label in enumerate(labels)
            },
            "confusion_matrix": classification.confusion_matrix(
                predictions=predictions, references=references, n_labels=n_labels
            ).tolist(),
            "bootstrap": {"n_resamples": self.n_resamples, "confidence": self.confidence, "seed": self.seed},
        }
        examples = [
            {
                "id": example_id,
                "gold": gold,
                "predicted": labels[int(predicted)],
                "correct": labels[int(predicted)] == gold,
                "scores": {label: round(float(p), 6) for label, p in zip(labels, row)},
            }
            for example_id, gold, predicted, row in zip(split.ids, split.labels or [], predictions, scores, strict=True)
        ]
        return TaskScore(metrics, details, examples)

    @staticmethod
    def outcome_codes(examples: list[dict[str, Any]], labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Gold and predicted label indices of stored per-example rows, for paired tests."""
        column = {label: index for index, label in enumerate(labels)}
        gold = np.array([column[row["gold"]] for row in examples], dtype=np.int64)
        predicted = np.array([column[row["predicted"]] for row in examples], dtype=np.int64)
        return gold, predicted


def _plain(value: Any) -> float | int:
    return value.item() if hasattr(value, "item") else value
