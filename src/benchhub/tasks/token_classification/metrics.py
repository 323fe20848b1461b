"""Entity-level scores equal to seqeval 1.2.2, computed from per-sentence counts, with bootstrap intervals.

    corpus_counts ──> Counts(default=SentenceCounts, strict=SentenceCounts)
        │                     │
        ├─> scores            └─> intervals, paired_pvalue   (resample sentences, sum counts)
        └─> token_classification_metrics = scores(corpus_counts(...))

A sentence's counts are, per entity type, its true positives, predicted and gold entities, and
its correct and total tokens. Summed over all sentences they are seqeval's sufficient statistics,
so the scores equal seqeval's; summed over a resample of sentences they give the resample's
scores without decoding anything again.

Default mode decodes the whole split as seqeval does (sentences joined by "O") and credits each
entity to the sentence it starts in. On well-formed tags every entity lies inside one sentence
and a resample scores exactly as seqeval would score the resampled sentences; on tags no scheme
allows, seqeval can carry an open chunk into the next sentence, which a resample does not
reproduce (the full-data scores still equal seqeval's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from benchhub.errors import InvalidInputError
from benchhub.metrics.bootstrap import (
    Interval,
    PairedDifference,
    paired_difference,
    resampled_sums,
)
from benchhub.tasks.token_classification.entities import (
    check_tags,
    conlleval_entities,
    strict_entities,
)
from benchhub.tasks.token_classification.schemes import detect_scheme

__all__ = [
    "HEADLINE_METRICS",
    "VERSION",
    "Counts",
    "SentenceCounts",
    "corpus_counts",
    "intervals",
    "paired_pvalue",
    "scores",
    "sentence_counts",
    "token_classification_metrics",
]

VERSION = "1"

HEADLINE_METRICS = (
    "precision",
    "recall",
    "f1",
    "accuracy",
    "macro_f1",
    "strict_precision",
    "strict_recall",
    "strict_f1",
)
"""Every score with an interval; all but accuracy are entity-level, micro-averaged unless named macro."""


@dataclass(frozen=True)
class SentenceCounts:
    """Per-sentence counts of one decoding mode: (n_sentences, n_types) int64 arrays and (n_sentences,) token counts."""

    types: tuple[str, ...]
    true_positives: np.ndarray
    predicted: np.ndarray
    gold: np.ndarray
    correct_tokens: np.ndarray
    tokens: np.ndarray

    @property
    def n_sentences(self) -> int:
        return len(self.tokens)


@dataclass(frozen=True)
class Counts:
    """The counts of one system on one split: default (conlleval) mode and strict mode in the dataset's scheme."""

    default: SentenceCounts
    strict: SentenceCounts


def token_classification_metrics(
    *, references: Sequence[Sequence[str]], predictions: Sequence[Sequence[str]], scheme: str | None
) -> dict:
    """Returns seqeval's scores of predictions against references.

    precision, recall, f1: micro-averaged, default mode; accuracy: per token; macro_f1: mean
    F1 over the entity types found in references or predictions (NaN when there are none, as
    in seqeval); strict_*: micro-averaged, strict mode in scheme (None: detect_scheme of the
    references); per_type: {type: {precision, recall, f1, support}}, default mode. A zero
    denominator gives 0.0, as seqeval's default zero_division="warn" does (without the warning).
    """
    return scores(corpus_counts(references=references, predictions=predictions, scheme=scheme))


def corpus_counts(
    *, references: Sequence[Sequence[str]], predictions: Sequence[Sequence[str]], scheme: str | None
) -> Counts:
    """Returns the default and strict per-sentence counts of predictions against references."""
    references, predictions = _checked(references, predictions)
    if scheme is None:
        scheme = detect_scheme(references)
    return Counts(
        default=sentence_counts(references, predictions, mode="default"),
        strict=sentence_counts(references, predictions, mode="strict", scheme=scheme),
    )


def sentence_counts(
    gold: Sequence[Sequence[str]],
    predicted: Sequence[Sequence[str]],
    *,
    mode: str = "default",
    scheme: str | None = None,
) -> SentenceCounts:
    """Returns each sentence's true positive, predicted and gold entities per type, and its correct and total tokens.

    mode "default" decodes as seqeval's default mode (scheme is not used); "strict" as its
    strict mode in scheme. Types are sorted, as seqeval sorts them.
    """
    gold, predicted = _checked(gold, predicted)
    if mode == "default":
        gold_entities, predicted_entities = (_conlleval_by_sentence(sentences) for sentences in (gold, predicted))
    elif mode == "strict":
        if scheme is None:
            raise InvalidInputError("strict mode needs the dataset's scheme; pass scheme=, e.g. scheme='IOB2'.")
        gold_entities, predicted_entities = (
            [set(strict_entities(sentence, scheme)) for sentence in sentences] for sentences in (gold, predicted)
        )
    else:
        raise InvalidInputError(f"mode must be 'default' or 'strict'; got {mode!r}.")
    types = tuple(sorted({entity[0] for entities in (*gold_entities, *predicted_entities) for entity in entities}))
    column = {type_: index for index, type_ in enumerate(types)}
    shape = (len(gold), len(types))
    true_positives, predicted_counts, gold_counts = (np.zeros(shape, dtype=np.int64) for _ in range(3))
    for row, (gold_set, predicted_set) in enumerate(zip(gold_entities, predicted_entities)):
        for array, entities in ((gold_counts, gold_set), (predicted_counts, predicted_set), (true_positives, gold_set & predicted_set)):
            for entity in entities:
                array[row, column[entity[0]]] += 1
    correct = np.array([sum(g == p for g, p in zip(gs, ps)) for gs, ps in zip(gold, predicted)], dtype=np.int64)
    tokens = np.array([len(sentence) for sentence in gold], dtype=np.int64)
    return SentenceCounts(types, true_positives, predicted_counts, gold_counts, correct, tokens)


def _conlleval_by_sentence(sentences: list[list[str]]) -> list[set[tuple[str, int, int]]]:
    """Returns, per sentence, the default-mode entities of the whole split that start in it."""
    starts = np.cumsum([0] + [len(sentence) + 1 for sentence in sentences[:-1]])
    by_sentence: list[set[tuple[str, int, int]]] = [set() for _ in sentences]
    entities = conlleval_entities(sentences)
    rows = np.searchsorted(starts, [start for _, start, _ in entities], side="right") - 1
    for row, entity in zip(rows, entities):
        by_sentence[row].add(entity)
    return by_sentence


def scores(counts: Counts) -> dict:
    """Returns the scores of token_classification_metrics from summed counts."""
    default, strict = counts.default, counts.strict
    headline = _batch_scores(_totals(default)[None], _totals(strict)[None], len(default.types), len(strict.types))
    result: dict = {name: float(values[0]) for name, values in headline.items()}
    tp, predicted, gold = (array.sum(axis=0) for array in (default.true_positives, default.predicted, default.gold))
    precision, recall, f1 = _prf(tp, predicted, gold)
    result["per_type"] = {
        type_: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for type_, p, r, f, s in zip(default.types, precision, recall, f1, gold)
    }
    return result


def intervals(
    counts: Counts, *, n_resamples: int = 1000, confidence: float = 0.95, seed: int = 0
) -> dict[str, Interval]:
    """Returns percentile-bootstrap intervals of every headline metric, resampling sentences.

    The resamples are the rows of benchhub.metrics.bootstrap.resample_indices(n_sentences,
    n_resamples=..., seed=...), and the bounds np.quantile (linear) at (1 - confidence) / 2 and
    1 - (1 - confidence) / 2, as in benchhub.metrics.bootstrap. A resample where a score is
    undefined (macro_f1 with no entity at all, accuracy with no token) is left out of that
    score's quantiles.
    """
    if not 0 < confidence < 1:
        raise InvalidInputError(f"confidence must lie strictly between 0 and 1; got {confidence!r}.")
    resampled = _resampled_scores(counts, n_resamples=n_resamples, seed=seed)
    alpha = (1 - confidence) / 2
    result = {}
    for name, values in resampled.items():
        defined = values[~np.isnan(values)]
        low, high = np.quantile(defined, [alpha, 1 - alpha]) if defined.size else (np.nan, np.nan)
        result[name] = Interval(low=float(low), high=float(high))
    return result


def paired_pvalue(
    counts_a: Counts, counts_b: Counts, metric: str = "f1", *, n_resamples: int = 1000, seed: int = 0
) -> float:
    """The p-value of `paired_test`."""
    return paired_test(counts_a, counts_b, metric, n_resamples=n_resamples, seed=seed).p_value


def paired_test(
    counts_a: Counts, counts_b: Counts, metric: str = "f1", *, n_resamples: int = 1000, confidence: float = 0.95,
    seed: int = 0,
) -> PairedDifference:
    """metric(a) - metric(b) with its interval and the two-sided paired-bootstrap p-value that systems a and b
    score equally (benchhub.metrics.bootstrap.PairedDifference): with d = metric(a) -
    metric(b) on all sentences and d_b on resample b (the same sentences for both systems),
    p = (1 + #{b : |d_b - d| >= |d|}) / (1 + n_resamples). A resample where the difference
    is undefined counts as extreme. Identical systems give p = 1.0.
    """
    if metric not in HEADLINE_METRICS:
        raise InvalidInputError(f"metric must be one of {', '.join(HEADLINE_METRICS)}; got {metric!r}.")
    if not np.array_equal(counts_a.default.tokens, counts_b.default.tokens):
        raise InvalidInputError(
            "counts_a and counts_b must score the same sentences; their sentence counts or lengths differ."
        )
    observed = scores(counts_a)[metric] - scores(counts_b)[metric]
    deltas = (
        _resampled_scores(counts_a, n_resamples=n_resamples, seed=seed)[metric]
        - _resampled_scores(counts_b, n_resamples=n_resamples, seed=seed)[metric]
    )
    return paired_difference(float(observed), deltas, confidence=confidence)


def _resampled_scores(counts: Counts, *, n_resamples: int, seed: int) -> dict[str, np.ndarray]:
    """Returns each headline metric on every resample of sentences, as (n_resamples,) arrays."""
    default, strict = counts.default, counts.strict
    per_sentence = np.concatenate([_columns(default), _columns(strict)], axis=1)
    totals = resampled_sums(per_sentence, n_resamples=n_resamples, seed=seed)
    width = 3 * len(default.types) + 2
    return _batch_scores(totals[:, :width], totals[:, width:], len(default.types), len(strict.types))


def _columns(counts: SentenceCounts) -> np.ndarray:
    """Returns a sentence's counts as one row: true positives, predicted, gold per type, correct and total tokens."""
    return np.concatenate(
        [counts.true_positives, counts.predicted, counts.gold, counts.correct_tokens[:, None], counts.tokens[:, None]],
        axis=1,
    )


def _totals(counts: SentenceCounts) -> np.ndarray:
    """Returns the counts of all sentences summed into one row laid out as _columns."""
    return _columns(counts).sum(axis=0)


def _batch_scores(default: np.ndarray, strict: np.ndarray, n_default: int, n_strict: int) -> dict[str, np.ndarray]:
    """Returns the headline metrics of (batch, 3 * n_types + 2) rows of summed counts, one value per row."""
    tp, predicted, gold = (default[:, k * n_default:(k + 1) * n_default] for k in range(3))
    correct, tokens = default[:, -2], default[:, -1]
    precision, recall, f1 = _prf(tp.sum(axis=1), predicted.sum(axis=1), gold.sum(axis=1))
    _, _, type_f1 = _prf(tp, predicted, gold)
    present = (predicted + gold) > 0
    n_present = present.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        macro = np.where(present, type_f1, 0.0).sum(axis=1) / n_present
        accuracy = correct / tokens
    strict_tp, strict_predicted, strict_gold = (strict[:, k * n_strict:(k + 1) * n_strict].sum(axis=1) for k in range(3))
    strict_precision, strict_recall, strict_f1 = _prf(strict_tp, strict_predicted, strict_gold)
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "accuracy": accuracy,
        "macro_f1": macro,
        "strict_precision": strict_precision,
        "strict_recall": strict_recall,
        "strict_f1": strict_f1,
    }


def _prf(tp: np.ndarray, predicted: np.ndarray, gold: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Returns precision, recall and F1 elementwise, in seqeval's order of operations (beta = 1)."""
    precision = _divide(tp, predicted)
    recall = _divide(tp, gold)
    denominator = precision + recall
    denominator = np.where(denominator == 0.0, 1.0, denominator)
    return precision, recall, 2 * precision * recall / denominator


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """seqeval's _prf_divide with zero_division="warn": 0.0 where the denominator is 0."""
    zero = denominator == 0
    return np.where(zero, 0.0, numerator / np.where(zero, 1, denominator))


def _checked(gold: object, predicted: object) -> tuple[list[list[str]], list[list[str]]]:
    """Returns both tag sequences as lists of lists after checking they align word for word."""
    result = []
    for name, sentences in (("references", gold), ("predictions", predicted)):
        if isinstance(sentences, str) or not isinstance(sentences, Sequence):
            raise InvalidInputError(f"{name} must be a list of sentences, each a list of tags; got {type(sentences).__name__}.")
        try:
            result.append([check_tags(sentence) for sentence in sentences])
        except InvalidInputError as error:
            raise InvalidInputError(f"{name}: {error}") from error
    gold_list, predicted_list = result
    if len(gold_list) != len(predicted_list):
        raise InvalidInputError(
            f"references hold {len(gold_list)} sentences but predictions {len(predicted_list)}; give one prediction per sentence."
        )
    for row, (g, p) in enumerate(zip(gold_list, predicted_list)):
        if len(g) != len(p):
            raise InvalidInputError(f"sentence {row} has {len(g)} reference tags but {len(p)} predicted; give one tag per word.")
    if not any(gold_list):
        raise InvalidInputError("references hold no word; score at least one tagged word.")
    return gold_list, predicted_list
