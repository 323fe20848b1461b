"""A transformers token-classification model as a benchhub tagger, on PyTorch or ONNX Runtime."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Sequence

import numpy as np

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError, LabelMappingError
from benchhub.models.base import ModelInfo
from benchhub.models.runtime import load_runtime, pad_batch, tokenizer_limit
from benchhub.tasks.token_classification.outputs import SentenceTags
from benchhub.tasks.token_classification.subwords import (
    AGGREGATIONS,
    TagWindow,
    make_windows,
    window_room,
    word_probabilities,
)

OUTPUTS = ("logits",)
OUTSIDE = "O"  # the tag of a word the tokenizer drops: it gets no sub-token, so no prediction


class TransformersTagger:
    """Tags every word of a sentence with a token-classification network, over windows for long sentences.

    The model's labels (config id2label) must be dataset tags, by name or through `label_map`
    (model label -> dataset tag; several model labels may share one tag, their probabilities add).
    `runtime="onnx"` runs an exported model.onnx with the same windows and the same decoding.
    """

    def __init__(self, folder: Path, *, dataset_tags: Sequence[str], label_map: dict[str, str] | None = None,
                 max_length: int = 512, stride: int | None = None, aggregation: str = "first", runtime: str = "torch",
                 device: str | None = None, threads: int | None = None) -> None:
        if aggregation not in AGGREGATIONS:
            raise InvalidInputError.naming(lambda spell: f"{spell.setting('aggregation')} must be one of "
                                                         f"{', '.join(AGGREGATIONS)}. Got {aggregation!r} instead.")
        loaded = load_runtime(folder, runtime, auto_class_name="AutoModelForTokenClassification", outputs=OUTPUTS,
                              device=device, threads=threads)
        self.tokenizer, self.forward_batch = loaded.tokenizer, loaded.forward
        config = loaded.config
        self.tags = tuple(dataset_tags)
        self.columns = tag_columns([config.id2label[i] for i in range(config.num_labels)], list(self.tags), label_map)
        self.max_length = min(max_length, tokenizer_limit(self.tokenizer))
        room = window_room(self.tokenizer, self.max_length)
        if room < 1:
            raise InvalidInputError(f"max_length {self.max_length} leaves no room for words after the special tokens; raise it.")
        self.stride = min(128, room // 2) if stride is None else stride
        if not 0 <= self.stride < room:
            raise InvalidInputError.naming(
                lambda spell: f"{spell.setting('stride')} must be an int in the range [0, {room}) for max_length "
                              f"{self.max_length}. Got {self.stride} instead."
            )
        self.aggregation = aggregation
        never = [tag for index, tag in enumerate(self.tags) if index not in self.columns]
        notes = [f"the model predicts {len(self.tags) - len(never)} of the dataset's {len(self.tags)} tags; words tagged "
                 f"{', '.join(map(repr, never))} can never be right"] if never else []
        self.info = ModelInfo(
            parameters=loaded.info.parameters, size_bytes=loaded.info.size_bytes, load_seconds=loaded.info.load_seconds,
            extra={**loaded.info.extra, "max_length": self.max_length, "stride": self.stride, "aggregation": aggregation,
                   **({"notes": notes} if notes else {})},
        )

    def encode(self, split: Split) -> list[TagWindow]:
        if split.field("tokens") is None:
            raise InvalidInputError(f"Split {split.name!r} has no tokens; a tagger reads sentences as lists of words.")
        windows = make_windows(self.tokenizer, split.field("tokens"), max_length=self.max_length, stride=self.stride)
        seen = {(window.sentence, word) for window in windows for word in window.word_ids if word is not None}
        # Words the tokenizer turns into nothing are tagged OUTSIDE with a NaN confidence; the count says how many.
        self.info.extra["words_without_subtokens"] = sum(len(words) for words in split.field("tokens")) - len(seen)
        return windows

    def length(self, item: TagWindow) -> int:
        return len(item.input_ids)

    def forward(self, items: Sequence[TagWindow]) -> dict[str, np.ndarray]:
        """The network's raw outputs (`logits`, padded) for a batch of windows."""
        types = [item.token_type_ids for item in items] if items[0].token_type_ids is not None else None
        batch = pad_batch([item.input_ids for item in items], types, pad_id=self.tokenizer.pad_token_id or 0)
        return self.forward_batch(batch)

    def predict(self, items: Sequence[TagWindow]) -> list[np.ndarray]:
        """One array per window: a distribution over the dataset's tags for each of its tokens."""
        logits = self.forward(items)["logits"].astype(np.float64)
        shifted = np.exp(logits - logits.max(axis=2, keepdims=True))
        probabilities = shifted / shifted.sum(axis=2, keepdims=True)
        scores = np.zeros((*probabilities.shape[:2], len(self.tags)))
        np.add.at(scores, (slice(None), slice(None), self.columns), probabilities)
        return [scores[row, : len(item.input_ids)] for row, item in enumerate(items)]

    def decode(self, split: Split, items: Sequence[TagWindow], outputs: Sequence[np.ndarray]) -> list[SentenceTags]:
        by_sentence: dict[int, list[int]] = defaultdict(list)
        for position, item in enumerate(items):
            by_sentence[item.sentence].append(position)
        return [self._sentence(len(words), [items[p] for p in by_sentence[index]], [outputs[p] for p in by_sentence[index]])
                for index, words in enumerate(split.field("tokens") or [])]

    def _sentence(self, n_words: int, windows: list[TagWindow], outputs: list[np.ndarray]) -> SentenceTags:
        words = word_probabilities(n_words, windows, outputs, aggregation=self.aggregation)
        tags, confidences = [], []
        for row in words.probabilities:
            if np.isnan(row).any():
                tags.append(OUTSIDE)
                confidences.append(float("nan"))
            else:
                best = int(np.argmax(row))
                tags.append(self.tags[best])
                confidences.append(float(row[best]))
        return SentenceTags(tuple(tags), tuple(confidences))


def tag_columns(model_labels: list[str], dataset_tags: list[str], label_map: dict[str, str] | None = None) -> list[int]:
    """For each model label, the index of its dataset tag: by exact name, or through `label_map` (many-to-one allowed)."""
    mapping = label_map or {}
    unknown = [key for key in mapping if key not in model_labels]
    if unknown:
        raise LabelMappingError(f"--label-map names {unknown[0]!r}, which is not a model label. Model labels: {model_labels}.")
    index = {tag: position for position, tag in enumerate(dataset_tags)}
    targets = [mapping.get(label, label) for label in model_labels]
    missing = [target for target in targets if target not in index]
    if missing:
        raise LabelMappingError(
            f"The model's tags {', '.join(map(repr, missing))} are not among the dataset's tags "
            f"{', '.join(map(repr, dataset_tags))}; pass --label-map MODEL=DATASET,... to map them."
        )
    return [index[target] for target in targets]
