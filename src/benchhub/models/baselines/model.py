"""Any fitted built-in baseline, of any family, run as a model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benchhub.data.records import Split
from benchhub.models.base import ModelInfo
from benchhub.models.baselines.base import Baseline


class BaselineModel:
    """Runs a fitted `Baseline`: its inputs (one item per example) and its predictions, as the family's models give them."""

    def __init__(self, baseline: Baseline, *, size_bytes: int | None = None) -> None:
        self.baseline = baseline
        # Classifiers name the labels their score columns stand for; other families' baselines have none.
        self.labels = tuple(getattr(baseline, "labels", ()))
        self.info = ModelInfo(parameters=None, size_bytes=size_bytes, load_seconds=0.0, extra={"baseline": baseline.name})

    def encode(self, split: Split) -> list[Any]:
        return self.baseline.inputs(split)

    def length(self, item: Any) -> int:
        return self.baseline.item_length(item)

    def predict(self, items: Sequence[Any]) -> Any:
        return self.baseline.predict_items(items)
