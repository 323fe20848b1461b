"""The context-only baseline: answers from where and what answers usually are, never reading the question."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

from benchhub.errors import InvalidInputError
from benchhub.tasks.question_answering.baselines.base import (
    ExtractiveQABaseline,
    check_inputs,
    check_int,
    check_training,
    not_fitted,
    read_manifest,
    write_manifest,
)
from benchhub.tasks.question_answering.baselines.spans import (
    SPAN_TYPES,
    Token,
    candidate_spans,
    locate,
    span_text,
    span_type,
    tokenize,
    tokenize_each,
)

POSITION_BUCKETS = 10


class ContextOnlyBaseline(ExtractiveQABaseline):
    """Picks the context span that looks most like a training answer, ignoring the question.

    fit counts, over the first answer of every answerable training question, the answer's length in
    tokens (1..max_span; longer answers are left out of this count), the relative position of its
    first token in the context (10 equal buckets) and its coarse type (number, capitalized name,
    lowercase phrase). predict returns, among the spans of 1..max_span tokens inside one sentence,
    the one with the highest sum of the three add-one smoothed log-probabilities (ties: shorter, then
    earlier), so every question on a context gets the same answer. The no-answer probability is the
    training share of unanswerable questions, the same for every question.
    """

    name = "context-only"
    version = "1"
    partial_input = True

    def __init__(self, max_span: int = 8) -> None:
        self.max_span = check_int("max_span", max_span, minimum=1)
        self._counts: dict[str, list[int]] | None = None

    def hyperparameters(self) -> dict[str, Any]:
        """Returns the constructor options, JSON-able."""
        return {"max_span": self.max_span}

    def fit(
        self,
        questions: Sequence[str],
        contexts: Sequence[str],
        answers: Sequence[Sequence[str]],
        answer_starts: Sequence[Sequence[int]],
    ) -> Self:
        """Counts answer lengths, positions and types, and answerable versus unanswerable questions."""
        _, context_list, answer_list, start_list = check_training(questions, contexts, answers, answer_starts)
        counts = {
            "length": [0] * self.max_span,
            "position": [0] * POSITION_BUCKETS,
            "type": [0] * len(SPAN_TYPES),
            "questions": [0, 0],
        }
        for tokens, texts, starts in zip(tokenize_each(context_list), answer_list, start_list, strict=True):
            counts["questions"][0 if texts else 1] += 1
            if not texts:
                continue
            span = locate(tokens, starts[0], starts[0] + len(texts[0]))
            if span is None:
                continue
            length = span[1] - span[0]
            if length <= self.max_span:
                counts["length"][length - 1] += 1
            counts["position"][_bucket(span[0], len(tokens))] += 1
            counts["type"][SPAN_TYPES.index(span_type(tokens, span))] += 1
        self._counts = counts
        return self

    @property
    def no_answer_probability(self) -> float:
        """The training share of unanswerable questions."""
        answerable, unanswerable = self._fitted_counts()["questions"]
        return unanswerable / (answerable + unanswerable)

    def predict(self, questions: Sequence[str], contexts: Sequence[str]) -> list[tuple[str, float]]:
        """Returns the most answer-like span of each context and the constant no-answer probability."""
        counts = self._fitted_counts()
        _, context_list = check_inputs(questions, contexts)
        log_length, log_position, log_type = (
            _log_smoothed(counts[part]) for part in ("length", "position", "type")
        )
        no_answer = self.no_answer_probability
        answers: dict[str, str] = {}
        for context in context_list:
            if context not in answers:
                answers[context] = self._best_span(context, log_length, log_position, log_type)
        return [(answers[context], no_answer) for context in context_list]

    def save(self, folder: Path) -> None:
        """Writes the hyperparameters and the training counts to folder/baseline.json."""
        write_manifest(
            folder, self, {"hyperparameters": self.hyperparameters(), "counts": self._fitted_counts()}
        )

    @classmethod
    def load(cls, folder: Path) -> Self:
        """Reads a context-only baseline written by save."""
        manifest = read_manifest(folder, cls.name, cls.version)
        baseline = cls(**dict(manifest.get("hyperparameters", {})))
        counts = manifest.get("counts")
        sizes = {
            "length": baseline.max_span,
            "position": POSITION_BUCKETS,
            "type": len(SPAN_TYPES),
            "questions": 2,
        }
        if not _valid_counts(counts, sizes):
            raise InvalidInputError(
                f"{folder}: counts must hold non-negative length, position, type and question counts; "
                "save the baseline again"
            )
        baseline._counts = {part: list(counts[part]) for part in sizes}
        return baseline

    def describe(self) -> dict[str, Any]:
        """Returns the learned length, position and type distributions and the no-answer probability."""
        counts = self._fitted_counts()
        return {
            "name": self.name,
            "version": self.version,
            "partial_input": self.partial_input,
            "hyperparameters": self.hyperparameters(),
            "answer_length": _smoothed(
                counts["length"], [str(length) for length in range(1, self.max_span + 1)]
            ),
            "answer_position": _smoothed(
                counts["position"], [f"{bucket / POSITION_BUCKETS:.1f}" for bucket in range(POSITION_BUCKETS)]
            ),
            "answer_type": _smoothed(counts["type"], list(SPAN_TYPES)),
            "answerable_questions": counts["questions"][0],
            "unanswerable_questions": counts["questions"][1],
            "no_answer_probability": self.no_answer_probability,
        }

    def _best_span(
        self, context: str, log_length: list[float], log_position: list[float], log_type: list[float]
    ) -> str:
        tokens: list[Token] = tokenize(context)
        best_rank: tuple[float, int, int] | None = None
        best_span = (0, 0)
        for i, j in candidate_spans(tokens, self.max_span):
            score = (
                log_length[j - i - 1]
                + log_position[_bucket(i, len(tokens))]
                + log_type[SPAN_TYPES.index(span_type(tokens, (i, j)))]
            )
            rank = (score, i - j, -i)
            if best_rank is None or rank > best_rank:
                best_rank, best_span = rank, (i, j)
        return "" if best_rank is None else span_text(context, tokens, best_span)

    def _fitted_counts(self) -> dict[str, list[int]]:
        if self._counts is None:
            raise not_fitted(self)
        return self._counts


def _bucket(index: int, n_tokens: int) -> int:
    return min(POSITION_BUCKETS - 1, POSITION_BUCKETS * index // max(1, n_tokens))


def _valid_counts(counts: object, sizes: dict[str, int]) -> bool:
    if not isinstance(counts, dict):
        return False
    for part, size in sizes.items():
        values = counts.get(part)
        if not isinstance(values, list) or len(values) != size:
            return False
        if not all(isinstance(value, int) and not isinstance(value, bool) and value >= 0 for value in values):
            return False
    return sum(counts["questions"]) > 0


def _log_smoothed(counts: list[int]) -> list[float]:
    total = sum(counts) + len(counts)
    return [math.log((count + 1) / total) for count in counts]


def _smoothed(counts: list[int], names: list[str]) -> dict[str, float]:
    total = sum(counts) + len(counts)
    return {name: (count + 1) / total for name, count in zip(names, counts, strict=True)}
