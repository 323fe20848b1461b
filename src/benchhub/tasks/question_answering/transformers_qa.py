"""A transformers extractive question-answering model as a benchhub adapter, on PyTorch or ONNX Runtime."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.models.base import ModelInfo
from benchhub.models.runtime import load_runtime, pad_batch, tokenizer_limit
from benchhub.tasks.question_answering.spans import (
    QAFeature,
    SpanAnswer,
    decode_spans,
    make_features,
)

OUTPUTS = ("start_logits", "end_logits")


class TransformersQA:
    """An extractive QA network over windowed features; n-best decoding across all windows of a question.

    `runtime="torch"` runs the safetensors checkpoint; `runtime="onnx"` runs an exported model.onnx
    with the same features and the same decoding.
    """

    def __init__(self, folder: Path, *, max_length: int = 384, doc_stride: int = 128, n_best: int = 20,
                 max_answer_length: int = 30, null_threshold: float | None = 0.0, device: str | None = None,
                 threads: int | None = None, runtime: str = "torch") -> None:
        loaded = load_runtime(folder, runtime, auto_class_name="AutoModelForQuestionAnswering", outputs=OUTPUTS,
                              device=device, threads=threads)
        self.tokenizer, self.forward_batch = loaded.tokenizer, loaded.forward
        self.max_length = min(max_length, tokenizer_limit(self.tokenizer))
        if not 0 <= doc_stride < self.max_length:
            raise InvalidInputError.naming(
                lambda spell: f"{spell.setting('doc_stride')} must be an int in the range [0, {self.max_length}) for "
                              f"max_length {self.max_length}. Got {doc_stride} instead."
            )
        self.doc_stride = doc_stride
        self.n_best = n_best
        self.max_answer_length = max_answer_length
        self.null_threshold = null_threshold
        self.info = ModelInfo(
            parameters=loaded.info.parameters, size_bytes=loaded.info.size_bytes, load_seconds=loaded.info.load_seconds,
            extra={**loaded.info.extra, "max_length": self.max_length, "doc_stride": doc_stride, "n_best": n_best,
                   "max_answer_length": max_answer_length, "null_threshold": null_threshold},
        )

    def encode(self, split: Split) -> list[QAFeature]:
        try:
            return make_features(
                self.tokenizer, split.texts, split.text_pairs or [], max_length=self.max_length, doc_stride=self.doc_stride,
                padding_right=self.tokenizer.padding_side == "right",
            )
        except Exception as exc:  # tokenizers raise plain Exceptions for impossible truncation
            if "truncat" not in str(exc).lower():
                raise
            raise InvalidInputError(
                f"A question is too long to leave room for its context within {self.max_length} tokens; "
                f"raise --max-length or shorten the question ({exc})."
            ) from exc

    def length(self, item: QAFeature) -> int:
        return len(item.input_ids)

    def forward(self, items: Sequence[QAFeature]) -> dict[str, np.ndarray]:
        """The network's raw outputs (`start_logits`, `end_logits`, padded) for a batch of features."""
        types = [item.token_type_ids for item in items] if items[0].token_type_ids is not None else None
        batch = pad_batch([item.input_ids for item in items], types, pad_id=self.tokenizer.pad_token_id or 0)
        return self.forward_batch(batch)

    def predict(self, items: Sequence[QAFeature]) -> list[tuple[np.ndarray, np.ndarray]]:
        output = self.forward(items)
        starts, ends = output["start_logits"], output["end_logits"]
        return [(starts[row, : len(item.input_ids)], ends[row, : len(item.input_ids)]) for row, item in enumerate(items)]

    def decode(self, split: Split, items: Sequence[QAFeature], outputs: Sequence[Any], *,
               allow_no_answer: bool) -> list[SpanAnswer]:
        by_example: dict[int, list[int]] = defaultdict(list)
        for position, item in enumerate(items):
            by_example[item.example].append(position)
        contexts = split.text_pairs or []
        return [
            decode_spans(
                contexts[example], [items[p] for p in by_example[example]],
                [outputs[p][0] for p in by_example[example]], [outputs[p][1] for p in by_example[example]],
                n_best=self.n_best, max_answer_length=self.max_answer_length,
                null_threshold=self.null_threshold if allow_no_answer else None,
            )
            for example in range(len(split))
        ]
