"""Text-to-text adapters that need no tensors: predictions files of generated text."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from benchhub.data.prediction_files import check_predictions_path
from benchhub.data.records import Split
from benchhub.models.base import ModelInfo
from benchhub.tasks.text_to_text.predictions import read_text_predictions


class TextPredictionsModel:
    """Replays a predictions file: each example's generated text."""

    def __init__(self, path: Path) -> None:
        self.path = check_predictions_path(Path(path))
        self.info = ModelInfo(size_bytes=self.path.stat().st_size, load_seconds=0.0)

    def encode(self, split: Split) -> list[str]:
        return read_text_predictions(self.path, ids=split.ids)

    def length(self, item: str) -> int:
        return 1

    def predict(self, items: Sequence[str]) -> list[str]:
        return list(items)
