"""The model adapter protocol: what the engine needs from anything that classifies text.

An adapter is loaded once, encodes a whole split into items (token ids, texts, row
positions), and scores batches of items. The engine owns batching, ordering and timing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence

import numpy as np

from benchhub.data.records import Split

# "baseline" is the built-in baselines' kind; a user's regex rules are "rules", a model of their own; "openai" is a
# model behind an OpenAI-compatible server (models/endpoints.py).
KINDS = ("transformers", "onnx", "baseline", "predictions", "rules", "openai")
# Kinds fitted on each dataset's train split: what one costs to run depends on the dataset it was fitted on.
FITTED_PER_DATASET = ("baseline",)
NETWORK_KINDS = ("transformers", "onnx")  # networks benchhub runs itself, from files it fingerprints
# Models that take the task's model settings (max_length, generation settings, ...): networks and endpoints
# ("openai": an OpenAI-compatible server that generates or scores text).
SETTINGS_KINDS = (*NETWORK_KINDS, "openai")


@dataclass(frozen=True)
class ModelInfo:
    """Facts about a loaded model, reported with every evaluation."""

    parameters: int | None = None
    size_bytes: int | None = None
    load_seconds: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunOutput:
    """One output per item, in item order, with the items and how long the work took."""

    examples: int
    items: list[Any]
    outputs: list[Any]
    encode_seconds: float
    predict_seconds: float
    batch_seconds: list[float]
    batch_sizes: list[int]
    peak_memory_bytes: int

    @property
    def scores(self) -> np.ndarray:
        """The outputs stacked into one array, for models whose items are examples."""
        return np.vstack(self.outputs) if self.outputs else np.zeros((0, 0))


class Model(Protocol):
    """A loaded model: encodes a split into items, and maps a batch of items to one output each."""

    info: ModelInfo

    def encode(self, split: Split) -> list[Any]:
        """Turns the split into items (one per example, or several for long inputs), in split order."""

    def length(self, item: Any) -> int:
        """The cost of an item, used to group items of similar length into batches."""

    def predict(self, items: Sequence[Any]) -> Sequence[Any]:
        """Runs a batch; returns one output per item."""


class Classifier(Model, Protocol):
    """A text classifier: one item per example; each output is a row of label probabilities."""

    labels: tuple[str, ...]

    def predict(self, items: Sequence[Any]) -> np.ndarray:
        """Scores a batch: an array (len(items), len(labels)) of probabilities."""
