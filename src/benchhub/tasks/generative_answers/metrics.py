"""Exact match and token F1 of generated short answers, after a stated normalisation and an optional answer regex.

    generated text ──answer regex──> answer, or none ──normalise──> compared with each reference's answer

- Extraction (`extract`) is lm-evaluation-harness 0.4's RegexFilter: of the pattern's first match in the text
  (or its last: group_select -1), the first capture group that is not empty, stripped of surrounding
  whitespace; a pattern with a single group gives that group even when it is empty. No match (or only empty
  groups of several) is no answer, which scores 0 against every reference, as the filter's fallback
  "[invalid]" is meant to. Without a pattern the answer is the whole text. References go through their own
  pattern the same way (registration checks that every reference matches it).
- Normalisation "squad" is the official SQuAD v1.1/v2.0 scripts' `normalize_answer` (lower-case, ASCII
  punctuation deleted, the words a, an, the replaced by a space, whitespace collapsed; accents and non-ASCII
  punctuation kept). "none" compares texts as they are, lower-cased with ignore_case and stripped of ASCII
  punctuation with ignore_punctuation, as lm-evaluation-harness's exact_match applies its flags.
- exact_match is 1 when the normalised answer equals a normalised reference; f1 is SQuAD v2.0's compute_f1 on
  the tokens (the normalised text split at whitespace: an empty side scores 1 only against another empty
  side); each is the maximum over the example's references. With "squad", references that normalise to
  nothing are dropped and an example left without any is scored against the empty answer, as SQuAD v2.0 does;
  with "none" every reference counts, as in lm-evaluation-harness.
- Every score is on 0-1 and a metric is the mean over examples, with percentile-bootstrap intervals that
  resample examples (`benchhub.metrics.bootstrap`); `paired_test` compares two systems on the same examples.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchhub.errors import InvalidInputError
from benchhub.metrics import bootstrap
from benchhub.metrics.bootstrap import PairedDifference
from benchhub.tasks.base import metric_entry
from benchhub.tasks.generative_answers.matching import bounded_matches
from benchhub.tasks.generative_answers.settings import AnswerSettings, compiled_pattern
from benchhub.tasks.question_answering.metrics import normalize_answer
from benchhub.tasks.text_to_text.metric_inputs import checked_texts

__all__ = [
    "ANSWER_METRICS",
    "VERSION",
    "AnswerScores",
    "answer_metrics",
    "extract",
    "normalizer",
    "paired_test",
    "per_example_scores",
    "reference_answers",
    "scores_of",
]

VERSION = "1"

ANSWER_METRICS = ("exact_match", "f1")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


@dataclass(frozen=True)
class AnswerScores:
    """Mean scores with intervals, each example's scores (0-1) and answer (None: the regex found none), and the
    settings that made them."""

    metrics: dict[str, dict[str, float]]
    per_example: dict[str, np.ndarray]
    answers: list[str | None]
    settings: dict[str, Any]


def normalizer(settings: AnswerSettings) -> Callable[[str], str]:
    """The function that normalises one answer under these settings."""
    if settings.normalization == "squad":
        return normalize_answer
    ignore_case, ignore_punctuation = settings.ignore_case, settings.ignore_punctuation

    def normalize(text: str) -> str:
        text = text.lower() if ignore_case else text
        return text.translate(_PUNCTUATION) if ignore_punctuation else text

    return normalize


def extract(text: str, pattern: re.Pattern[str] | None, *, occurrence: str = "first",
            setting: str = "answer_regex") -> str | None:
    """The answer in text: lm-evaluation-harness's RegexFilter (see the module's docstring), None for no match; a
    search that backtracks for seconds is one line naming the setting the pattern came from (`matching`)."""
    if pattern is None:
        return text
    match = bounded_matches(pattern, text, name=setting, last=occurrence != "first")
    if match is None:
        return None
    groups = [group or "" for group in match.groups()]
    if len(groups) == 1:
        return groups[0].strip()
    found = next((group for group in groups if group), None)
    return None if found is None else found.strip()


def reference_answers(references: Sequence[Sequence[str]], settings: AnswerSettings) -> list[list[str]]:
    """Each example's references as answers (through the reference regex, where there is one); a reference that
    the regex does not match is one line naming the example's position."""
    if settings.reference_regex is None:
        return [list(golds) for golds in references]
    pattern = compiled_pattern("reference_regex", settings.reference_regex)
    answers = []
    for row, golds in enumerate(references):
        found = [extract(gold, pattern, setting="reference_regex") for gold in golds]
        if None in found:
            raise InvalidInputError(f"references[{row}]: reference {found.index(None) + 1} does not match the reference "
                                    f"regex {settings.reference_regex!r}; every reference must.")
        answers.append([text for text in found if text is not None])
    return answers


def scores_of(answer: str | None, golds: Sequence[str], normalize: Callable[[str], str], *,
              drop_empty: bool) -> tuple[float, float]:
    """One example's (exact match, F1) against its reference answers; `drop_empty`: SQuAD's rule for references
    that normalise to nothing."""
    if answer is None:
        return 0.0, 0.0
    kept = ([gold for gold in golds if normalize(gold)] or [""]) if drop_empty else list(golds)
    predicted = normalize(answer)
    exact = max(float(normalize(gold) == predicted) for gold in kept)
    return exact, max(_token_f1(normalize(gold).split(), predicted.split()) for gold in kept)


def _token_f1(gold: list[str], predicted: list[str]) -> float:
    """SQuAD v2.0's compute_f1 on tokens."""
    if not gold or not predicted:
        return float(gold == predicted)
    same = sum((Counter(gold) & Counter(predicted)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(predicted), same / len(gold)
    return (2 * precision * recall) / (precision + recall)


def per_example_scores(*, answers: Sequence[str | None], references: Sequence[Sequence[str]],
                       settings: AnswerSettings) -> dict[str, np.ndarray]:
    """Each example's exact match and F1 (0-1), from its answer (None: none found) and its reference answers."""
    normalize = normalizer(settings)
    drop_empty = settings.normalization == "squad"
    pairs = [scores_of(answer, golds, normalize, drop_empty=drop_empty)
             for answer, golds in zip(answers, references, strict=True)]
    return {name: np.array([pair[k] for pair in pairs], dtype=np.float64) for k, name in enumerate(ANSWER_METRICS)}


def answer_metrics(*, predictions: Sequence[str], references: Sequence[str | Sequence[str]],
                   settings: AnswerSettings | None = None, n_resamples: int = 1000, confidence: float = 0.95,
                   seed: int = 0) -> AnswerScores:
    """exact_match and f1 of generated texts against their references, means over examples with intervals."""
    settings = settings or AnswerSettings()
    texts, golds = checked_texts(predictions, references, unit="example")
    pattern = None if settings.answer_regex is None else compiled_pattern("answer_regex", settings.answer_regex)
    answers = [extract(text, pattern, occurrence=settings.answer_occurrence) for text in texts]
    per_example = per_example_scores(answers=answers, references=reference_answers(golds, settings), settings=settings)
    intervals = bootstrap.mean_intervals(per_example, n_resamples=n_resamples, confidence=confidence, seed=seed)
    metrics = {name: metric_entry(values.mean(), intervals[name].low, intervals[name].high)
               for name, values in per_example.items()}
    stored = {**settings.to_options(), "multiple_references": "max over references", "version": VERSION,
              "bootstrap": {"n_resamples": n_resamples, "confidence": confidence, "seed": seed, "resampled": "examples"}}
    return AnswerScores(metrics, per_example, answers, stored)


def paired_test(a: AnswerScores, b: AnswerScores, metric: str, *, n_resamples: int = 1000, confidence: float = 0.95,
                seed: int = 0) -> PairedDifference:
    """metric(a) - metric(b) on the same examples, with its paired-bootstrap interval and p-value
    (`benchhub.metrics.bootstrap.paired_mean_difference`). a and b must come from the same settings."""
    if metric not in ANSWER_METRICS:
        raise InvalidInputError(f"metric must be one of {', '.join(ANSWER_METRICS)}; got {metric!r}.")
    rules = [key for key in AnswerSettings().to_options() if a.settings.get(key) != b.settings.get(key)]
    if rules:
        raise InvalidInputError(f"a and b were scored with different {rules[0]} ({a.settings.get(rules[0])!r} and "
                                f"{b.settings.get(rules[0])!r}); score both systems with the same settings.")
    return bootstrap.paired_mean_difference(a.per_example[metric], b.per_example[metric], n_resamples=n_resamples,
                                            confidence=confidence, seed=seed)
