"""Token-classification adapters that need no tensors: fitted tagging baselines and predictions files."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from benchhub.data.prediction_files import check_predictions_path
from benchhub.data.records import Split
from benchhub.models.base import ModelInfo
from benchhub.tasks.token_classification.outputs import SentenceTags
from benchhub.tasks.token_classification.predictions import read_tag_predictions


class PredictionsTagger:
    """Replays a predictions file (JSONL {"id", "tags"} or CoNLL) against the split's sentences and the dataset's tags."""

    def __init__(self, path: Path, *, tags: Sequence[str]) -> None:
        self.path = check_predictions_path(Path(path))
        self.tags = tuple(tags)
        self.info = ModelInfo(size_bytes=self.path.stat().st_size, load_seconds=0.0)

    def encode(self, split: Split) -> list[SentenceTags]:
        predicted = read_tag_predictions(self.path, ids=split.ids, tokens=split.field("tokens") or [], tags=self.tags)
        return [SentenceTags(tuple(tags)) for tags in predicted]

    def length(self, item: SentenceTags) -> int:
        return 1

    def predict(self, items: Sequence[SentenceTags]) -> list[SentenceTags]:
        return list(items)


def _sentence_tags(output: Any) -> SentenceTags:
    """Baselines answer `SentenceTags`, or a plain list of tags (rules without scores)."""
    return output if isinstance(output, SentenceTags) else SentenceTags(tuple(output))
