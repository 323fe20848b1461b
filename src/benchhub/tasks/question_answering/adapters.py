"""QA adapters that need no tensors: fitted QA baselines and SQuAD predictions files."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from benchhub.data.prediction_files import check_predictions_path
from benchhub.data.records import Split
from benchhub.models.base import ModelInfo
from benchhub.tasks.question_answering.outputs import QAPrediction
from benchhub.tasks.question_answering.predictions import (
    read_answer_predictions,
    read_no_answer_probabilities,
)


class QAPredictionsModel:
    """Replays a SQuAD predictions file (and optional no-answer probabilities)."""

    def __init__(self, path: Path, *, na_probs: Path | None = None) -> None:
        self.path = check_predictions_path(Path(path))
        self.na_probs = Path(na_probs) if na_probs else None
        size = self.path.stat().st_size + (self.na_probs.stat().st_size if self.na_probs and self.na_probs.is_file() else 0)
        self.info = ModelInfo(size_bytes=size, load_seconds=0.0)

    def encode(self, split: Split) -> list[QAPrediction]:
        answers = read_answer_predictions(self.path, ids=split.ids)
        if self.na_probs is None:
            return [QAPrediction(text) for text in answers]
        probabilities = read_no_answer_probabilities(self.na_probs, ids=split.ids)
        return [QAPrediction(text, p) for text, p in zip(answers, probabilities, strict=True)]

    def length(self, item: QAPrediction) -> int:
        return 1

    def predict(self, items: Sequence[QAPrediction]) -> list[QAPrediction]:
        return list(items)
