"""Corpus BLEU, chrF and chrF++ equal to sacrebleu 2.x, with bootstrap intervals over sentences.

    sentence_statistics ──> SentenceStatistics (per sentence, per metric; sacrebleu signatures)
        │                         │
        └─> corpus_scores         └─> resampled_scores, paired_test   (resample sentences, sum statistics)
            = *_from_totals(summed statistics)

sacrebleu extracts each sentence's sufficient statistics (`Metric._extract_corpus_statistics`, the
step its own paired tests use) and scores a corpus from their sum. BLEU's are the hypothesis length,
the closest reference length and the matched and total n-grams of orders 1-4; chrF's are the
hypothesis, reference and matched n-gram counts of character orders 1-6 (and, for chrF++, word
orders 1-2). `bleu_from_totals` and `chrf_from_totals` redo sacrebleu's formulas on many sums at once
with numpy, so a corpus score and every resample's score come from the same code, equal to sacrebleu
on the full corpus and on each resampled corpus: a sentence's statistics never depend on the other
sentences. Settings are sacrebleu's defaults but for `tokenize` (BLEU only; chrF reads characters and
whitespace-separated words) and `lowercase`: BLEU smooths with "exp", without effective order; chrF
has beta 2, no whitespace and no eps smoothing.

Several references per source are a list per sentence, of any length: sacrebleu reads them as
reference streams of equal length, so shorter lists are padded with None, which sacrebleu skips
(its signature then says nrefs:var). BLEU counts each n-gram up to its largest count in any one
reference and takes the reference length closest to the hypothesis (the shorter on a tie); chrF
keeps, per sentence, the reference with the best sentence chrF (the first on a tie).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchhub.errors import InvalidInputError
from benchhub.metrics import bootstrap
from benchhub.metrics.bootstrap import PairedDifference
from benchhub.tasks.base import metric_entry
from benchhub.tasks.text_to_text.metric_inputs import checked_texts

__all__ = [
    "CORPUS_METRICS",
    "TOKENIZERS",
    "VERSION",
    "SentenceStatistics",
    "TranslationScores",
    "bleu_from_totals",
    "chrf_from_totals",
    "corpus_scores",
    "paired_test",
    "resampled_scores",
    "sentence_statistics",
    "translation_metrics",
]

VERSION = "1"

CORPUS_METRICS = ("bleu", "chrf", "chrf_plus_plus")
TOKENIZERS = ("13a", "intl", "char", "zh", "ja-mecab", "none")

BLEU_ORDER = 4
CHRF_BETA = 2
# The orders (character + word n-grams) of each chrF variant.
CHRF_ORDERS = {"chrf": 6, "chrf_plus_plus": 8}
# sacrebleu's my_log(0.0): the log of a precision that is zero.
_LOG_ZERO = -9999999999


@dataclass(frozen=True)
class SentenceStatistics:
    """Each sentence's sufficient statistics per metric, (n_sentences, k) int64, and sacrebleu's signatures."""

    stats: dict[str, np.ndarray]
    signatures: dict[str, str]

    @property
    def n_sentences(self) -> int:
        return len(next(iter(self.stats.values())))


@dataclass(frozen=True)
class TranslationScores:
    """Corpus scores (0-100) with intervals, each sentence's scores, the statistics and the settings."""

    metrics: dict[str, dict[str, float]]
    per_sentence: dict[str, np.ndarray]
    statistics: SentenceStatistics
    settings: dict[str, Any]


def sentence_statistics(
    *, predictions: Sequence[str], references: Sequence[str | Sequence[str]], tokenize: str = "13a",
    lowercase: bool = False,
) -> SentenceStatistics:
    """sacrebleu's per-sentence statistics of predictions against their references, for every metric."""
    from sacrebleu.metrics import BLEU, CHRF

    predictions, streams = _checked(predictions, references)
    if tokenize not in TOKENIZERS:
        raise InvalidInputError(f"tokenize must be one of {', '.join(TOKENIZERS)}; got {tokenize!r}.")
    if not isinstance(lowercase, bool):
        raise InvalidInputError(f"lowercase must be True or False; got {lowercase!r}.")
    try:
        bleu = BLEU(tokenize=tokenize, lowercase=lowercase)
    except (ImportError, RuntimeError) as error:
        raise InvalidInputError(
            f"tokenize={tokenize!r} needs packages that are not installed (for ja-mecab: pip install 'sacrebleu[ja]'); "
            f"install them or choose another of {', '.join(t for t in TOKENIZERS if t != tokenize)}."
        ) from error
    scorers = {"bleu": bleu, "chrf": CHRF(lowercase=lowercase), "chrf_plus_plus": CHRF(word_order=2, lowercase=lowercase)}
    stats = {name: np.array(scorer._extract_corpus_statistics(predictions, streams), dtype=np.int64)
             for name, scorer in scorers.items()}
    # The signature knows the number of references only once they have been read.
    signatures = {name: scorer.get_signature().format() for name, scorer in scorers.items()}
    return SentenceStatistics(stats, signatures)


def bleu_from_totals(totals: np.ndarray) -> np.ndarray:
    """BLEU (0-100) of each row of summed BLEU statistics, (B, 10) -> (B,), as sacrebleu's compute_bleu."""
    totals = np.asarray(totals, dtype=np.float64).reshape(-1, 2 + 2 * BLEU_ORDER)
    sys_len, ref_len = totals[:, 0], totals[:, 1]
    correct, total = totals[:, 2:2 + BLEU_ORDER], totals[:, 2 + BLEU_ORDER:]
    with np.errstate(divide="ignore", invalid="ignore"):
        brevity = np.where(sys_len < ref_len, np.where(sys_len > 0, np.exp(1 - ref_len / sys_len), 0.0), 1.0)
        # "exp" smoothing: the k-th order without a match gets precision 100 / (2**k * total). An order
        # without any n-gram (and every higher one) stays 0, whose log sacrebleu floors to _LOG_ZERO.
        missed = (correct == 0) & (total > 0)
        smoothing = 2.0 ** np.cumsum(missed, axis=1)
        precision = np.where(total == 0, 0.0,
                             np.where(correct == 0, 100.0 / (smoothing * total), 100.0 * correct / total))
        logs = np.where(precision == 0.0, _LOG_ZERO, np.log(precision))
    log_sum = logs[:, 0]
    for order in range(1, BLEU_ORDER):  # summed left to right, as sacrebleu's sum() does
        log_sum = log_sum + logs[:, order]
    score = brevity * np.exp(log_sum / BLEU_ORDER)
    return np.where(correct.any(axis=1), score, 0.0)


def chrf_from_totals(totals: np.ndarray, *, beta: int = CHRF_BETA) -> np.ndarray:
    """chrF (0-100) of each row of summed [hyp, ref, match] triples per order, (B, 3 * orders) -> (B,), as
    sacrebleu's CHRF._compute_f_score without eps smoothing: precision and recall averaged over the orders
    that both sides have, then F-beta."""
    totals = np.asarray(totals, dtype=np.float64)
    totals = totals.reshape(len(totals) if totals.ndim > 1 else 1, -1)
    factor = beta ** 2
    precision = np.zeros(len(totals))
    recall = np.zeros(len(totals))
    orders = np.zeros(len(totals), dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        for start in range(0, totals.shape[1], 3):  # accumulated order by order, as sacrebleu does
            n_hyp, n_ref, n_match = totals[:, start], totals[:, start + 1], totals[:, start + 2]
            both = (n_hyp > 0) & (n_ref > 0)
            precision = precision + np.where(both, n_match / n_hyp, 0.0)
            recall = recall + np.where(both, n_match / n_ref, 0.0)
            orders += both
        precision = np.where(orders > 0, precision / orders, 0.0)
        recall = np.where(orders > 0, recall / orders, 0.0)
        score = (1 + factor) * precision * recall / (factor * precision + recall)
    return np.where(precision + recall != 0, 100 * score, 0.0)


def scores_from_totals(metric: str, totals: np.ndarray) -> np.ndarray:
    """The metric of each row of summed statistics."""
    return bleu_from_totals(totals) if metric == "bleu" else chrf_from_totals(totals)


def corpus_scores(statistics: SentenceStatistics) -> dict[str, float]:
    """Each metric of the whole corpus, from its summed statistics."""
    return {name: float(scores_from_totals(name, stats.sum(axis=0, keepdims=True))[0])
            for name, stats in statistics.stats.items()}


def resampled_scores(statistics: SentenceStatistics, *, n_resamples: int = 1000, seed: int = 0) -> dict[str, np.ndarray]:
    """Each metric on every resample of sentences (the rows of `bootstrap.resample_indices(n_sentences, ...)`),
    as (n_resamples,) arrays, from the resampled sums of all metrics' statistics at once."""
    names = list(statistics.stats)
    widths = np.cumsum([0] + [statistics.stats[name].shape[1] for name in names])
    stacked = np.concatenate([statistics.stats[name] for name in names], axis=1)
    totals = bootstrap.resampled_sums(stacked, n_resamples=n_resamples, seed=seed)
    return {name: scores_from_totals(name, totals[:, widths[i]:widths[i + 1]]) for i, name in enumerate(names)}


def translation_metrics(
    *, predictions: Sequence[str], references: Sequence[str | Sequence[str]], tokenize: str = "13a",
    lowercase: bool = False, n_resamples: int = 1000, confidence: float = 0.95, seed: int = 0,
) -> TranslationScores:
    """Corpus BLEU, chrF and chrF++ (0-100) with percentile-bootstrap intervals over sentences.

    per_sentence holds each sentence scored alone with the corpus settings (sacrebleu's sentence_score
    with these metrics: BLEU without effective order, so a sentence shorter than 4 tokens scores 0).
    """
    statistics = sentence_statistics(predictions=predictions, references=references, tokenize=tokenize,
                                     lowercase=lowercase)
    values = corpus_scores(statistics)
    resampled = resampled_scores(statistics, n_resamples=n_resamples, seed=seed)
    metrics = {}
    for name, value in values.items():
        interval = bootstrap.percentile_interval(resampled[name], confidence=confidence)
        metrics[name] = metric_entry(value, interval.low, interval.high)
    per_sentence = {name: scores_from_totals(name, stats) for name, stats in statistics.stats.items()}
    settings = {
        "tokenize": tokenize, "lowercase": lowercase, "signatures": statistics.signatures, "version": VERSION,
        "bootstrap": {"n_resamples": n_resamples, "confidence": confidence, "seed": seed, "resampled": "sentences"},
    }
    return TranslationScores(metrics, per_sentence, statistics, settings)


def paired_test(a: SentenceStatistics, b: SentenceStatistics, metric: str, *, n_resamples: int = 1000,
                confidence: float = 0.95, seed: int = 0) -> PairedDifference:
    """metric(a) - metric(b) on the same sentences, with its paired-bootstrap interval and p-value.

    Both systems are scored on the same resamples of sentences (`resampled_scores` with one seed), each
    resample's corpus score recomputed from its summed statistics; d_b is the difference on resample b
    and d the observed one, the interval the percentiles of d_b, and
    p = (1 + #{b : |d_b - d| >= |d|}) / (1 + n_resamples), as in `benchhub.metrics.bootstrap`. This is
    the idea of sacrebleu's paired bootstrap (Koehn 2004), not its numbers: sacrebleu draws its own
    resamples (seed 12345) and reports a one-sided p-value against the baseline.
    """
    if metric not in CORPUS_METRICS:
        raise InvalidInputError(f"metric must be one of {', '.join(CORPUS_METRICS)}; got {metric!r}.")
    if a.n_sentences != b.n_sentences:
        raise InvalidInputError(
            f"a and b must score the same sentences; got {a.n_sentences} and {b.n_sentences} sentences."
        )
    if a.signatures[metric] != b.signatures[metric]:
        raise InvalidInputError(
            f"a and b were scored with different settings ({a.signatures[metric]} and {b.signatures[metric]}); "
            "score both systems with the same settings."
        )
    observed = corpus_scores(a)[metric] - corpus_scores(b)[metric]
    deltas = (resampled_scores(a, n_resamples=n_resamples, seed=seed)[metric]
              - resampled_scores(b, n_resamples=n_resamples, seed=seed)[metric])
    return bootstrap.paired_difference(observed, deltas, confidence=confidence)



def _checked(predictions: object, references: object) -> tuple[list[str], list[list[str | None]]]:
    """Predictions as a list of strings, references as sacrebleu's equal-length streams padded with None."""
    predictions, golds = checked_texts(predictions, references, unit="sentence")
    width = max(len(gold) for gold in golds)
    return predictions, [[gold[k] if k < len(gold) else None for gold in golds] for k in range(width)]
