"""The lexical sliding-window baseline of the SQuAD paper (Rajpurkar et al. 2016, section 5).

It adapts the MCTest sliding window of Richardson et al. (2013): a candidate answer scores the
inverse-count-weighted overlap between the question's words and the words around it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

from benchhub.models.qa_baselines.base import (
    check_inputs,
    check_int,
    check_training,
    read_manifest,
    write_manifest,
)
from benchhub.models.qa_baselines.spans import (
    WH_WORDS,
    Token,
    candidate_spans,
    question_words,
    sentence_ranges,
    span_text,
    tokenize,
)

MIN_WINDOW = 3


class SlidingWindowBaseline:
    """Picks the span whose surrounding words best match the question's words.

    Candidates are spans of 1..max_span tokens inside one sentence that start and end with a word,
    are not only stopwords, and hold no question word (no non-stopword of the question, no wh-word).
    A candidate scores the sum of IC(w) = log(1 + 1/count(w in context)) over the distinct question
    words found among the `window` tokens on each side of it, the window stopping at the sentence's
    ends; `window=None` uses the question's number of words, at least 3. Ties go to the shorter span,
    then the earlier one. The best span is always returned, even with score 0; its no-answer
    probability is exp(-score), so 1.0 when no question word occurs near any candidate and falling
    as rarer question words match. Abstaining is left to a threshold on that probability.
    """

    name = "sliding-window"
    version = "1"
    partial_input = False

    def __init__(self, max_span: int = 4, window: int | None = None) -> None:
        self.max_span = check_int("max_span", max_span, minimum=1)
        self.window = check_int("window", window, minimum=1, optional=True)

    def hyperparameters(self) -> dict[str, Any]:
        """Returns the constructor options, JSON-able."""
        return {"max_span": self.max_span, "window": self.window}

    def fit(
        self,
        questions: Sequence[str],
        contexts: Sequence[str],
        answers: Sequence[Sequence[str]],
        answer_starts: Sequence[Sequence[int]],
    ) -> Self:
        """Checks the training split; the baseline learns nothing from it."""
        check_training(questions, contexts, answers, answer_starts)
        return self

    def predict(self, questions: Sequence[str], contexts: Sequence[str]) -> list[tuple[str, float]]:
        """Returns the best-scoring span of each context and exp(-score) as no-answer probability."""
        question_list, context_list = check_inputs(questions, contexts)
        analysis: _Context | None = None
        predictions = []
        for question, context in zip(question_list, context_list, strict=True):
            # Questions on one paragraph come in a run; analysing it once per run bounds memory.
            if analysis is None or analysis.text != context:
                analysis = _Context(context)
            predictions.append(self._answer(question, analysis))
        return predictions

    def save(self, folder: Path) -> None:
        """Writes the hyperparameters to folder/baseline.json."""
        write_manifest(folder, self, {"hyperparameters": self.hyperparameters()})

    @classmethod
    def load(cls, folder: Path) -> Self:
        """Reads a sliding-window baseline written by save."""
        manifest = read_manifest(folder, cls.name, cls.version)
        return cls(**dict(manifest.get("hyperparameters", {})))

    def describe(self) -> dict[str, Any]:
        """Returns the hyperparameters and how the no-answer probability is computed."""
        return {
            "name": self.name,
            "version": self.version,
            "partial_input": self.partial_input,
            "hyperparameters": self.hyperparameters(),
            "no_answer_probability": "exp(-score), score = sum of log(1 + 1/count) of matched question words",
        }

    def _answer(self, question: str, context: _Context) -> tuple[str, float]:
        keys, n_words = question_words(question)
        window = self.window or max(MIN_WINDOW, n_words)
        excluded = keys | WH_WORDS
        tokens = context.tokens
        weights = {key: context.inverse_count(key) for key in keys}
        # Only a sentence holding a question word can give a candidate a positive score.
        matched = [(first, end) for first, end in context.ranges if context.holds(keys, first, end)]
        best_rank: tuple[float, int, int] | None = None
        best_span = (0, 0)
        for i, j in candidate_spans(tokens, self.max_span, excluded, matched):
            first, end = context.ranges[tokens[i].sentence]
            around = tokens[max(first, i - window) : i] + tokens[j : min(end, j + window)]
            found = sorted({token.key for token in around if token.key in keys})
            rank = (sum(weights[key] for key in found), i - j, -i)
            if best_rank is None or rank > best_rank:
                best_rank, best_span = rank, (i, j)
        if best_rank is not None and best_rank[0] > 0:
            return span_text(context.text, tokens, best_span), math.exp(-best_rank[0])
        fallback = next(candidate_spans(tokens, 1, excluded, context.ranges), None)
        return ("", 1.0) if fallback is None else (span_text(context.text, tokens, fallback), 1.0)


class _Context:
    """A context's tokens, sentences and word counts, computed once per run of its questions."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[Token] = tokenize(text)
        self.ranges = sentence_ranges(self.tokens)
        self.counts = Counter(token.key for token in self.tokens if token.is_word)

    def inverse_count(self, key: str) -> float:
        """Returns IC(key) = log(1 + 1/count), or 0 for a word absent from the context."""
        count = self.counts.get(key, 0)
        return math.log1p(1.0 / count) if count else 0.0

    def holds(self, keys: frozenset[str], first: int, end: int) -> bool:
        """Returns whether tokens[first:end] hold one of the keys."""
        return any(token.key in keys for token in self.tokens[first:end])
