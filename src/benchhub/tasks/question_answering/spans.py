"""Extractive QA over long contexts: windowed features with character offsets, and n-best span decoding.

A context longer than the model window is split into overlapping features (`max_length`
tokens, `doc_stride` tokens of overlap). Each feature keeps, for every token, the character
span it covers in the original context (None outside the context), so a predicted token span
maps back to an exact substring. Decoding looks at every feature of an example together: the
best start × end pair over all features wins; the no-answer score is the smallest
[CLS]-start + [CLS]-end score across features (as in the original BERT SQuAD code).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np


@dataclass(frozen=True)
class QAFeature:
    """One window of one example: token ids and each token's character span in the context."""

    example: int
    input_ids: list[int]
    token_type_ids: list[int] | None
    offsets: list[tuple[int, int] | None]
    cls_index: int = 0


@dataclass(frozen=True)
class SpanAnswer:
    """The decoded answer of one example; `text` is "" when the model abstains."""

    text: str
    start: int | None
    end: int | None
    span_score: float | None
    null_score: float
    no_answer_probability: float


def make_features(tokenizer: Any, questions: Sequence[str], contexts: Sequence[str], *, max_length: int = 384,
                  doc_stride: int = 128, padding_right: bool = True) -> list[QAFeature]:
    """Tokenizes question/context pairs into overlapping windows, keeping context character offsets."""
    first, second = ("only_second", (questions, contexts)) if padding_right else ("only_first", (contexts, questions))
    encoded = tokenizer(
        *second, truncation=first, max_length=max_length, stride=doc_stride, return_overflowing_tokens=True,
        return_offsets_mapping=True, padding=False,
    )
    context_sequence = 1 if padding_right else 0
    features = []
    for index, example in enumerate(encoded["overflow_to_sample_mapping"]):
        sequence_ids = encoded.sequence_ids(index)
        offsets = [
            tuple(span) if sequence_ids[position] == context_sequence else None
            for position, span in enumerate(encoded["offset_mapping"][index])
        ]
        ids = encoded["input_ids"][index]
        cls_index = ids.index(tokenizer.cls_token_id) if tokenizer.cls_token_id in ids else 0
        types = encoded["token_type_ids"][index] if "token_type_ids" in encoded else None
        features.append(QAFeature(int(example), ids, types, offsets, cls_index))
    return features


def decode_spans(context: str, features: Sequence[QAFeature], start_logits: Sequence[np.ndarray],
                 end_logits: Sequence[np.ndarray], *, n_best: int = 20, max_answer_length: int = 30,
                 null_threshold: float | None = 0.0) -> SpanAnswer:
    """Picks the best span over all features of one example; abstains when null beats it by the threshold.

    `null_threshold=None` never abstains (SQuAD v1.1). The no-answer probability is
    sigmoid(null score - best span score).
    """
    null_score = math.inf
    best: tuple[float, int, int] | None = None
    for feature, starts, ends in zip(features, start_logits, end_logits, strict=True):
        null_score = min(null_score, float(starts[feature.cls_index] + ends[feature.cls_index]))
        for start in _top(starts, n_best):
            if feature.offsets[start] is None:
                continue
            for end in _top(ends, n_best):
                if feature.offsets[end] is None or end < start or end - start + 1 > max_answer_length:
                    continue
                score = float(starts[start] + ends[end])
                if best is None or score > best[0]:
                    best = (score, feature.offsets[start][0], feature.offsets[end][1])
    if best is None:
        return SpanAnswer("", None, None, None, null_score, 1.0)
    score, start_char, end_char = best
    probability = _sigmoid(null_score - score)
    if null_threshold is not None and null_score - score > null_threshold:
        return SpanAnswer("", start_char, end_char, score, null_score, probability)
    return SpanAnswer(context[start_char:end_char], start_char, end_char, score, null_score, probability)


def _top(logits: np.ndarray, n: int) -> np.ndarray:
    if len(logits) <= n:
        return np.argsort(logits, kind="stable")[::-1]
    top = np.argpartition(logits, -n)[-n:]
    return top[np.argsort(logits[top], kind="stable")[::-1]]


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
