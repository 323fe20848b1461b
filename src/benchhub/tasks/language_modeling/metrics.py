"""Word perplexity, byte perplexity and bits per byte of documents, as lm-evaluation-harness computes them.

lm-evaluation-harness (0.4) scores each document by `loglikelihood_rolling` (the natural-log
likelihood of the whole document, over rolling windows), pairs it with the document's word and byte
counts in `process_results`, and aggregates over documents by ratios of sums (lm_eval.api.metrics)::

    word_perplexity = exp(-sum(ll) / sum(words))         weighted_perplexity
    byte_perplexity = exp(-sum(ll) / sum(bytes))         weighted_perplexity
    bits_per_byte   = -(sum(ll) / sum(bytes)) / ln 2     bits_per_byte

with words = len(re.split(r"\\s+", doc)) (`Task.count_words`: leading or trailing whitespace adds an
empty "word" each) and bytes = len(doc.encode("utf-8")) (`Task.count_bytes`). Sums run over the
documents in order with Python's sum, as lm_eval's do, so the values are lm_eval's.

Unlike lm_eval, an empty document (no byte to score, yet one "word") or a non-finite log-likelihood
is refused, and a perplexity past the float range is inf where lm_eval's math.exp raises (text
without spaces, such as Chinese, is one "word" per document, so its word perplexity gets there fast). Intervals resample documents and recompute each ratio from the resampled sums, all
resamples at once.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchhub.errors import InvalidInputError
from benchhub.metrics import bootstrap
from benchhub.metrics.bootstrap import PairedDifference
from benchhub.tasks.base import metric_entry

__all__ = [
    "PERPLEXITY_METRICS",
    "VERSION",
    "PerplexityScores",
    "count_bytes",
    "count_words",
    "metric_values",
    "paired_test",
    "perplexity_metrics",
    "resampled_scores",
    "scores_from_totals",
]

VERSION = "1"

PERPLEXITY_METRICS = ("word_perplexity", "byte_perplexity", "bits_per_byte")

_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class PerplexityScores:
    """The three metrics with intervals, each document's log-likelihood, words and bytes, and settings."""

    metrics: dict[str, dict[str, float]]
    per_document: dict[str, np.ndarray]
    settings: dict[str, Any]


def count_words(document: str) -> int:
    """lm_eval's word count: the pieces between runs of whitespace, empty ones at either end included."""
    return len(_WHITESPACE.split(document))


def count_bytes(document: str) -> int:
    """lm_eval's byte count: the length of the document in UTF-8."""
    return len(document.encode("utf-8"))


def scores_from_totals(totals: np.ndarray) -> dict[str, np.ndarray]:
    """The three metrics of each row of summed (log-likelihood, words, bytes), (B, 3) -> (B,) each."""
    totals = np.asarray(totals, dtype=np.float64).reshape(-1, 3)
    ll, words, bytes_ = totals[:, 0], totals[:, 1], totals[:, 2]
    per_byte = ll / bytes_
    with np.errstate(over="ignore"):
        return {"word_perplexity": np.exp(-(ll / words)), "byte_perplexity": np.exp(-per_byte),
                "bits_per_byte": -per_byte / math.log(2)}


def resampled_scores(per_document: dict[str, np.ndarray], *, n_resamples: int = 1000,
                     seed: int = 0) -> dict[str, np.ndarray]:
    """Each metric on every resample of documents (the rows of `bootstrap.resample_indices(n, ...)`)."""
    columns = np.column_stack([per_document["loglikelihood"], per_document["words"], per_document["bytes"]])
    return scores_from_totals(bootstrap.resampled_totals(columns, n_resamples=n_resamples, seed=seed))


def perplexity_metrics(
    *, loglikelihoods: Sequence[float], documents: Sequence[str], n_resamples: int = 1000, confidence: float = 0.95,
    seed: int = 0,
) -> PerplexityScores:
    """word_perplexity, byte_perplexity and bits_per_byte with percentile-bootstrap intervals over documents."""
    lls, documents = _checked(loglikelihoods, documents)
    words = [count_words(document) for document in documents]
    bytes_ = [count_bytes(document) for document in documents]
    # Python's sums in document order, as lm_eval's weighted_mean takes them.
    values = metric_values(sum(lls), sum(words), sum(bytes_))
    per_document = {"loglikelihood": np.array(lls, dtype=np.float64), "words": np.array(words, dtype=np.int64),
                    "bytes": np.array(bytes_, dtype=np.int64)}
    resampled = resampled_scores(per_document, n_resamples=n_resamples, seed=seed)
    metrics = {}
    for name, value in values.items():
        interval = bootstrap.percentile_interval(resampled[name], confidence=confidence)
        metrics[name] = metric_entry(value, interval.low, interval.high)
    settings = {
        "words": r"len(re.split(r'\s+', document))", "bytes": "len(document.encode('utf-8'))", "version": VERSION,
        "bootstrap": {"n_resamples": n_resamples, "confidence": confidence, "seed": seed, "resampled": "documents"},
    }
    return PerplexityScores(metrics, per_document, settings)


def metric_values(loglikelihood: float, words: int, bytes_: int) -> dict[str, float]:
    """The three metrics of summed log-likelihood, words and bytes, as lm_eval's aggregations compute them."""
    return {"word_perplexity": _exp(-(loglikelihood / words)), "byte_perplexity": _exp(-(loglikelihood / bytes_)),
            "bits_per_byte": -(loglikelihood / bytes_) / math.log(2)}


def paired_test(a: PerplexityScores, b: PerplexityScores, metric: str, *, n_resamples: int = 1000,
                confidence: float = 0.95, seed: int = 0) -> PairedDifference:
    """metric(a) - metric(b) on the same documents, with its paired-bootstrap interval and p-value: both
    models on the same resamples of documents, p as in `benchhub.metrics.bootstrap.paired_difference`."""
    if metric not in PERPLEXITY_METRICS:
        raise InvalidInputError(f"metric must be one of {', '.join(PERPLEXITY_METRICS)}; got {metric!r}.")
    for key in ("words", "bytes"):
        if not np.array_equal(a.per_document[key], b.per_document[key]):
            raise InvalidInputError(f"a and b must score the same documents; their {key} per document differ.")
    observed = a.metrics[metric]["value"] - b.metrics[metric]["value"]
    deltas = (resampled_scores(a.per_document, n_resamples=n_resamples, seed=seed)[metric]
              - resampled_scores(b.per_document, n_resamples=n_resamples, seed=seed)[metric])
    return bootstrap.paired_difference(observed, deltas, confidence=confidence)


def _exp(x: float) -> float:
    """math.exp, or inf past the float range (where math.exp raises)."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _checked(loglikelihoods: object, documents: object) -> tuple[list[float], list[str]]:
    """Finite log-likelihoods and non-empty documents, one of each per document."""
    for name, value in (("loglikelihoods", loglikelihoods), ("documents", documents)):
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise InvalidInputError(f"{name} must be a list with one entry per document; got {type(value).__name__}.")
    if len(loglikelihoods) != len(documents):
        raise InvalidInputError(
            f"loglikelihoods and documents must have one entry per document; got {len(loglikelihoods)} and {len(documents)}."
        )
    if not documents:
        raise InvalidInputError("there must be at least one document; got none.")
    for row, (ll, document) in enumerate(zip(loglikelihoods, documents)):
        if isinstance(ll, bool) or not isinstance(ll, numbers.Real) or not math.isfinite(ll):
            raise InvalidInputError(f"loglikelihoods[{row}] must be a finite number (natural log); got {ll!r}.")
        if not isinstance(document, str) or not document:
            raise InvalidInputError(
                f"documents[{row}] must be a non-empty string (an empty one has no byte to score); got {document!r:.80}."
            )
    return [float(ll) for ll in loglikelihoods], list(documents)
