"""QA adapters that need no tensors: fitted QA baselines and SQuAD predictions files."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from benchhub.data.prediction_files import check_predictions_path
from benchhub.data.records import Split
from benchhub.models.base import ModelInfo
from benchhub.tasks.question_answering.outputs import QAPrediction
from benchhub.tasks.question_answering.predictions import (
    read_answer_predictions,
    read_no_answer_probabilities,
)


class QABaselineModel:
    """Runs a fitted QA baseline (see `models.qa_baselines`), one item per question."""

    def __init__(self, baseline: Any, *, size_bytes: int | None = None) -> None:
        self.baseline = baseline
        self.info = ModelInfo(size_bytes=size_bytes, load_seconds=0.0, extra={"baseline": baseline.name})

    def encode(self, split: Split) -> list[tuple[str, str]]:
        return list(zip(split.texts, split.text_pairs or [], strict=True))

    def length(self, item: tuple[str, str]) -> int:
        return len(item[0]) + len(item[1])

    def predict(self, items: Sequence[tuple[str, str]]) -> list[QAPrediction]:
        answers = self.baseline.predict([q for q, _ in items], [c for _, c in items])
        return [QAPrediction(text, float(probability)) for text, probability in answers]


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
