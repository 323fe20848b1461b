"""Adapters for models that need no tensors: trained baselines and predictions files."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from benchhub.data.prediction_files import check_predictions_path
from benchhub.data.records import Split
from benchhub.models.base import ModelInfo
from benchhub.tasks.text_classification.predictions import read_label_predictions


class PredictionsClassifier:
    """Replays a predictions file: each example's predicted label as a one-hot score row."""

    def __init__(self, path: Path, *, dataset_labels: Sequence[str]) -> None:
        self.path = check_predictions_path(Path(path))
        self.labels = tuple(dataset_labels)
        self.info = ModelInfo(size_bytes=self.path.stat().st_size, load_seconds=0.0)
        self._column = {label: index for index, label in enumerate(self.labels)}

    def encode(self, split: Split) -> list[str]:
        return read_label_predictions(self.path, ids=split.ids, labels=list(self.labels))

    def length(self, item: str) -> int:
        return 1

    def predict(self, items: Sequence[str]) -> np.ndarray:
        scores = np.zeros((len(items), len(self.labels)))
        scores[np.arange(len(items)), [self._column[label] for label in items]] = 1.0
        return scores
