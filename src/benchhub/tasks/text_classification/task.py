"""The text-classification task: argmax decoding, classification metrics with bootstrap CIs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from benchhub.data.records import Split
from benchhub.metrics import bootstrap
from benchhub.tasks.text_classification import bootstrap as classification_bootstrap
from benchhub.tasks.text_classification import metrics as classification
from benchhub.tasks.base import TaskScore, metric_entry, plain

if TYPE_CHECKING:
    from benchhub.data.records import DatasetFacts
    from benchhub.models.base import RunOutput
    from benchhub.models.base import Model

HEADLINE = ("accuracy", "macro_f1", "weighted_f1", "macro_precision", "macro_recall")


@dataclass(frozen=True)
class TextClassification:
    name: str = "text-classification"
    version: str = "1"
    metric_scale: float = 1.0
    primary_metric: str = "macro_f1"
    transformers_defaults: tuple[tuple[str, Any], ...] = (("max_length", 512),)
    auto_class: str = "AutoModelForSequenceClassification"
    head_suffix: str = "ForSequenceClassification"
    head_outputs: tuple[str, ...] = ("logits",)
    metrics: tuple[str, ...] = HEADLINE
    n_resamples: int = 1000
    confidence: float = 0.95
    seed: int = 0

    @property
    def metric_versions(self) -> dict[str, str]:
        return {"classification": classification.VERSION, "bootstrap": bootstrap.VERSION}

    def dataset_options(self, splits: dict[str, Split]) -> dict[str, Any]:
        return {}

    def metric_names(self, facts: DatasetFacts) -> tuple[str, ...]:
        return self.metrics

    def collect(self, model: Model, split: Split, run: RunOutput, facts: DatasetFacts) -> np.ndarray:
        """Stacks per-example probability rows into an (n, labels) array."""
        return run.scores

    def score(self, split: Split, scores: np.ndarray, facts: DatasetFacts) -> TaskScore:
        """Scores argmax predictions against the split's gold labels."""
        labels = facts.labels
        column = {label: index for index, label in enumerate(labels)}
        references = np.array([column[label] for label in split.labels or []], dtype=np.int64)
        predictions = scores.argmax(axis=1).astype(np.int64)
        n_labels = len(labels)
        values = classification.classification_metrics(predictions=predictions, references=references, n_labels=n_labels)
        intervals = classification_bootstrap.bootstrap_intervals(
            predictions=predictions, references=references, n_labels=n_labels,
            n_resamples=self.n_resamples, confidence=self.confidence, seed=self.seed,
        )
        metrics = {
            name: metric_entry(values[name], intervals[name].low, intervals[name].high) for name in self.metrics
        }
        per_class = classification.per_class_scores(predictions=predictions, references=references, n_labels=n_labels)
        details = {
            "labels": labels,
            "per_class": {
                label: {key: plain(per_class[key][i]) for key in ("precision", "recall", "f1", "support")}
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

    def paired_pvalue(self, leader: list[dict[str, Any]], other: list[dict[str, Any]], metric: str,
                      facts: DatasetFacts) -> float:
        """Paired bootstrap on the two systems' predicted labels for the same examples."""
        column = {label: index for index, label in enumerate(facts.labels)}
        gold = np.array([column[row["gold"]] for row in leader], dtype=np.int64)
        return float(classification_bootstrap.paired_bootstrap_pvalue(
            references=gold,
            predictions_a=np.array([column[row["predicted"]] for row in leader], dtype=np.int64),
            predictions_b=np.array([column[row["predicted"]] for row in other], dtype=np.int64),
            n_labels=len(facts.labels), metric=metric, n_resamples=self.n_resamples, seed=self.seed,
        ))
