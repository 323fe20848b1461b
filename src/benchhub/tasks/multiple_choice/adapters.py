"""The multiple-choice adapter that needs no model: a predictions file replayed against a split's questions."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from benchhub.data.prediction_files import check_predictions_path
from benchhub.data.records import Split
from benchhub.models.base import ModelInfo
from benchhub.tasks.multiple_choice.outputs import ChoicePrediction
from benchhub.tasks.multiple_choice.predictions import read_choice_predictions
from benchhub.tasks.multiple_choice.reading import CHOICES


class PredictionsChooser:
    """Replays JSON lines {"id", "loglikelihoods"} or {"id", "choice"} against the split's questions and choices."""

    def __init__(self, path: Path) -> None:
        self.path = check_predictions_path(Path(path))
        self.info = ModelInfo(size_bytes=self.path.stat().st_size, load_seconds=0.0)

    def encode(self, split: Split) -> list[ChoicePrediction]:
        return read_choice_predictions(self.path, ids=split.ids, choices=split.field(CHOICES) or [])

    def length(self, item: ChoicePrediction) -> int:
        return 1

    def predict(self, items: Sequence[ChoicePrediction]) -> list[ChoicePrediction]:
        return list(items)
