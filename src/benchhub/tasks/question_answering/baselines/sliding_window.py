"""The lexical sliding-window baseline of the SQuAD paper (Rajpurkar et al. 2016, section 5).

It adapts the MCTest sliding window with its distance-based extension (SW+D) of Richardson et al.
(2013): a candidate answer scores the inverse-count-weighted overlap between the question's words
and the words around it, minus how far, relative to the passage's length, it lies from them.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Self

from benchhub.tasks.question_answering.baselines.base import (
    ExtractiveQABaseline,
    check_inputs,
    check_int,
    check_training,
    read_manifest,
    write_manifest,
)
from benchhub.tasks.question_answering.baselines.spans import (
    WH_WORDS,
    Token,
    question_words,
    sentence_ranges,
    span_text,
    span_type,
    tokenize,
)

MIN_WINDOW = 3


class SlidingWindowBaseline(ExtractiveQABaseline):
    """Picks the span whose surrounding words best match the question's words and lie nearest them.

    Candidates. A candidate is a run of consecutive non-stopword words inside one sentence, holding
    no question word (no non-stopword of the question, no wh-word) and split where a capitalized
    word meets a lowercase one ("Thomas Bouch | designed"): a maximal such run when it has at most
    max_span words, else each of its max_span-word stretches. Punctuation written without spaces
    between two words of a run joins it ("400,000", "2:24:50"). The paper took parse constituents
    instead; without a parser, runs keep candidates from starting or ending on a stopword. Only
    sentences holding a question word give candidates, or every sentence when those give none.
    Among them, when any is a name or a number (spans.span_type: every word capitalized, or a word
    starting with a digit), only names and numbers compete.

    Score. score = sliding_window - distance. sliding_window sums IC(w) = log(1 + 1/count(w in
    context)) over the distinct question words found among the `window` tokens on each side of the
    candidate, the window stopping at the sentence's ends; `window=None` uses the question's number
    of words, at least 3. distance, in (0, 1], is Richardson et al.'s d(q, a): a word's distance to
    the candidate is the number of words from it to the candidate's nearest edge (1 when adjacent;
    punctuation does not count), minimised over the word's occurrences, then averaged over the
    question words that occur in the context and divided by (words in the context - 1); it is 1
    when no question word occurs. (Richardson et al. take the minimum over question words instead
    of the average; the average kept more answers on the training split of benchhub's QA sample.)
    The best score wins; ties go to the shorter span, then the earlier one.

    No answer. The best span is always returned; its no-answer probability is exp(-(score + 1)),
    which falls as the score rises and lies in (0, 1] because score >= -1. It is 1.0 exactly when no
    question word occurs in the context. Abstaining is left to a threshold on that probability.
    """

    name = "sliding-window"
    version = "2"
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
        """Returns the best-scoring span of each context and exp(-(score + 1)) as no-answer probability."""
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
            "score": "sum of log(1 + 1/count) of question words in the window, minus the mean word "
            "distance of the question words to the span over (context words - 1)",
            "no_answer_probability": "exp(-(score + 1)); 1.0 when no question word occurs in the context",
        }

    def _answer(self, question: str, context: _Context) -> tuple[str, float]:
        keys, n_words = question_words(question)
        window = self.window or max(MIN_WINDOW, n_words)
        excluded = keys | WH_WORDS
        tokens = context.tokens
        weights = {key: context.inverse_count(key) for key in keys}
        occurrences = [context.positions[key] for key in sorted(keys) if key in context.positions]
        # Only a sentence holding a question word can give a candidate a positive sliding_window.
        matched = [(first, end) for first, end in context.ranges if context.holds(keys, first, end)]
        spans = list(_runs(tokens, self.max_span, excluded, matched)) or list(
            _runs(tokens, self.max_span, excluded, context.ranges)
        )
        typed = [span for span in spans if span_type(tokens, span) != "phrase"]
        best_rank: tuple[float, int, int] | None = None
        best_span = (0, 0)
        for i, j in typed or spans:
            first, end = context.ranges[tokens[i].sentence]
            around = tokens[max(first, i - window) : i] + tokens[j : min(end, j + window)]
            found = sorted({token.key for token in around if token.key in keys})
            score = sum(weights[key] for key in found) - context.distance(occurrences, i, j)
            rank = (score, i - j, -i)
            if best_rank is None or rank > best_rank:
                best_rank, best_span = rank, (i, j)
        if best_rank is None:
            return "", 1.0
        return span_text(context.text, tokens, best_span), math.exp(-(best_rank[0] + 1.0))


def _runs(
    tokens: Sequence[Token], max_span: int, excluded: frozenset[str], ranges: Sequence[tuple[int, int]]
) -> Iterator[tuple[int, int]]:
    """Yields the candidate spans of the given sentences: runs of non-stopword words not in excluded
    that a capitalized word next to a lowercase one splits (glued punctuation between two of them
    joins), whole up to max_span words, else every max_span stretch; sentence by sentence, left to
    right."""

    def allowed(index: int) -> bool:
        return tokens[index].is_content and tokens[index].key not in excluded

    for first, end in ranges:
        index = first
        while index < end:
            if not allowed(index):
                index += 1
                continue
            words = [index]
            index += 1
            while index < end:
                if allowed(index) and not _case_change(tokens[words[-1]], tokens[index]):
                    words.append(index)
                    index += 1
                elif (
                    not tokens[index].is_word
                    and index + 1 < end
                    and tokens[index - 1].end == tokens[index].start
                    and tokens[index].end == tokens[index + 1].start
                    and allowed(index + 1)
                ):
                    index += 1
                else:
                    break
            for start in range(max(1, len(words) - max_span + 1)):
                stretch = words[start : start + max_span]
                yield stretch[0], stretch[-1] + 1


def _case_change(left: Token, right: Token) -> bool:
    """Whether one word starts with a capital letter and the other with a lowercase one."""
    cases = {left.text[0].isupper(), right.text[0].isupper()}
    return left.text[0].isalpha() and right.text[0].isalpha() and len(cases) == 2


class _Context:
    """A context's tokens, sentences, word counts and word positions, computed once per run of questions."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[Token] = tokenize(text)
        self.ranges = sentence_ranges(self.tokens)
        self.counts = Counter(token.key for token in self.tokens if token.is_word)
        # word_index[i]: how many words come before token i; positions[key]: word indices of key, sorted.
        self.word_index: list[int] = []
        self.positions: dict[str, list[int]] = {}
        words = 0
        for token in self.tokens:
            self.word_index.append(words)
            if token.is_word:
                self.positions.setdefault(token.key, []).append(words)
                words += 1
        self.n_words = words

    def inverse_count(self, key: str) -> float:
        """Returns IC(key) = log(1 + 1/count), or 0 for a word absent from the context."""
        count = self.counts.get(key, 0)
        return math.log1p(1.0 / count) if count else 0.0

    def holds(self, keys: frozenset[str], first: int, end: int) -> bool:
        """Returns whether tokens[first:end] hold one of the keys."""
        return any(token.key in keys for token in self.tokens[first:end])

    def distance(self, occurrences: Sequence[list[int]], i: int, j: int) -> float:
        """Returns the mean over words (each a sorted list of word indices) of the word distance from
        its nearest occurrence to span (i, j), divided by (words - 1); 1.0 when there are no words."""
        if not occurrences or self.n_words < 2:
            return 1.0
        first, last = self.word_index[i], self.word_index[j - 1]
        total = 0
        for positions in occurrences:
            after = bisect_left(positions, first)
            nearest = [first - positions[after - 1]] if after else []
            if after < len(positions):
                nearest.append(max(positions[after] - last, 0))
            total += min(nearest)
        return total / len(occurrences) / (self.n_words - 1)
