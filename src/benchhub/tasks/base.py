"""What every task provides: how to collect a model's outputs into predictions and score them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from benchhub.data.records import Split

if TYPE_CHECKING:
    from benchhub.data.records import DatasetFacts
    from benchhub.models.base import RunOutput
    from benchhub.models.base import Model


@dataclass(frozen=True)
class TaskScore:
    """Metrics (each with a CI), details for humans, and one outcome row per example."""

    metrics: dict[str, dict[str, float]]
    details: dict[str, Any]
    examples: list[dict[str, Any]]


class Task(Protocol):
    """A versioned task spec; the version is stored with every result it scores."""

    name: str
    version: str
    primary_metric: str
    # The value of a perfect score: 1.0 for fractions, 100.0 for the SQuAD scripts' percentages.
    metric_scale: float
    n_resamples: int
    seed: int
    transformers_defaults: tuple[tuple[str, Any], ...]
    # The transformers auto class of this task's head, the suffix of architectures that have that
    # head (`BertForSequenceClassification`), and the raw outputs the head produces.
    auto_class: str
    head_suffix: str
    head_outputs: tuple[str, ...]

    @property
    def metric_versions(self) -> dict[str, str]: ...

    def dataset_options(self, splits: dict[str, Split]) -> dict[str, Any]:
        """Options fixed at registration from the data itself (stored with the dataset)."""

    def metric_names(self, facts: DatasetFacts) -> tuple[str, ...]:
        """The metrics reported for a dataset with these facts, in display order."""

    def collect(self, model: Model, split: Split, run: RunOutput, facts: DatasetFacts) -> Any:
        """Turns the per-item outputs of a run into per-example predictions."""

    def score(self, split: Split, predictions: Any, facts: DatasetFacts) -> TaskScore:
        """Scores predictions against the split's references."""

    def paired_pvalue(self, leader: list[dict[str, Any]], other: list[dict[str, Any]], metric: str,
                      facts: DatasetFacts) -> float:
        """Paired bootstrap p-value that two systems' stored per-example rows score the same on `metric`."""


def has_head(task: Task, architectures: Any) -> bool:
    """Whether a config's `architectures` include one with `task`'s head."""
    return isinstance(architectures, list) and any(
        isinstance(name, str) and name.endswith(task.head_suffix) for name in architectures
    )


def metric_entry(value: float, low: float, high: float) -> dict[str, float]:
    return {"value": float(value), "ci_low": float(low), "ci_high": float(high)}


def plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
