"""Scores of taggers whose tags name no entities (part of speech: NN, VBD, ...): every word is one labelled item.

A dataset whose tags are not all written as prefix + type (B-PER) has scheme `none`. Its words are scored as
single-label classification, pooled over the split: `accuracy` (correct words / words), `f1` (micro-averaged
F1 over tags, which for one label per word equals accuracy), and `macro_f1` (the mean F1 of the tags that
occur in the references or predictions, as scikit-learn's `f1_score(average="macro")` over those labels).
CIs resample sentences, vectorised over per-sentence counts, as the entity metrics do.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from benchhub.metrics.bootstrap import (
    Interval,
    PairedDifference,
    paired_difference,
    resampled_sums,
)

NO_SCHEME = "none"
METRICS = ("f1", "accuracy", "macro_f1")


def sentence_counts(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> tuple[tuple[str, ...], np.ndarray]:
    """The tags, and per sentence and tag: true positives, predicted and gold words, as an (n, tags, 3) int array."""
    tags = tuple(sorted({tag for sentences in (gold, predicted) for sentence in sentences for tag in sentence}))
    column = {tag: index for index, tag in enumerate(tags)}
    counts = np.zeros((len(gold), len(tags), 3), dtype=np.int64)
    for row, (gold_tags, predicted_tags) in enumerate(zip(gold, predicted, strict=True)):
        for g, p in zip(gold_tags, predicted_tags, strict=True):
            counts[row, column[p], 1] += 1
            counts[row, column[g], 2] += 1
            if g == p:
                counts[row, column[g], 0] += 1
    return tags, counts


def scores(totals: np.ndarray) -> dict[str, float]:
    """The metrics of summed counts (tags, 3); NaN where undefined (no words)."""
    return {name: float(values[0]) for name, values in _batch(totals[None]).items()}


def per_tag(tags: tuple[str, ...], totals: np.ndarray) -> dict[str, dict[str, float]]:
    tp, predicted, gold = totals[:, 0], totals[:, 1], totals[:, 2]
    precision, recall = _divide(tp, predicted), _divide(tp, gold)
    f1 = _divide(2 * tp, predicted + gold)
    return {tag: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for tag, p, r, f, s in zip(tags, precision, recall, f1, gold)}


def intervals(counts: np.ndarray, *, n_resamples: int, confidence: float, seed: int) -> dict[str, Interval]:
    alpha = (1 - confidence) / 2
    result = {}
    for name, values in resampled(counts, n_resamples=n_resamples, seed=seed).items():
        defined = values[~np.isnan(values)]
        low, high = np.quantile(defined, [alpha, 1 - alpha]) if defined.size else (np.nan, np.nan)
        result[name] = Interval(low=float(low), high=float(high))
    return result


def paired_pvalue(a: np.ndarray, b: np.ndarray, metric: str, *, n_resamples: int, seed: int) -> float:
    """The p-value of `paired_test`."""
    return paired_test(a, b, metric, n_resamples=n_resamples, seed=seed).p_value


def paired_test(a: np.ndarray, b: np.ndarray, metric: str, *, n_resamples: int, seed: int,
                confidence: float = 0.95) -> PairedDifference:
    """The paired bootstrap of benchhub.metrics.bootstrap, on the same resampled sentences for both systems."""
    observed = scores(a.sum(axis=0))[metric] - scores(b.sum(axis=0))[metric]
    deltas = resampled(a, n_resamples=n_resamples, seed=seed)[metric] - resampled(b, n_resamples=n_resamples, seed=seed)[metric]
    return paired_difference(float(observed), deltas, confidence=confidence)


def resampled(counts: np.ndarray, *, n_resamples: int, seed: int) -> dict[str, np.ndarray]:
    sums = resampled_sums(counts.reshape(len(counts), -1), n_resamples=n_resamples, seed=seed)
    return _batch(sums.reshape(-1, counts.shape[1], 3))


def _batch(totals: np.ndarray) -> dict[str, np.ndarray]:
    """Metrics of (resamples, tags, 3) summed counts."""
    tp, predicted, gold = totals[..., 0], totals[..., 1], totals[..., 2]
    words = gold.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(words > 0, tp.sum(axis=1) / np.maximum(words, 1), np.nan)
        present = (predicted + gold) > 0
        f1 = np.where(present, 2 * tp / np.maximum(predicted + gold, 1), 0.0)
        macro = np.where(present.any(axis=1), f1.sum(axis=1) / np.maximum(present.sum(axis=1), 1), np.nan)
    return {"f1": accuracy, "accuracy": accuracy, "macro_f1": macro}


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return np.divide(numerator, denominator, out=np.zeros(len(numerator), dtype=np.float64), where=denominator > 0)
