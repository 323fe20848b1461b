"""ROUGE-1, ROUGE-2, ROUGE-L and ROUGE-Lsum equal to Google's rouge_score, with bootstrap intervals.

Each example is scored by rouge_score 0.1.2 itself (`RougeScorer.score_multi`); this module fixes
what the package leaves to its caller:

- Every score is the F-measure on 0-1, and a metric's value is its mean over examples. An empty
  prediction or reference (no token left) scores 0, also against another empty one.
- An example has one reference or several. With several, each metric keeps the reference with the
  highest F-measure for that metric (score_multi: np.argmax, the first on ties), so rouge1 and rougeL
  of one example may come from different references.
- rougeLsum reads a text's sentences as its lines (empty lines dropped, as rouge_score does). A text
  without a newline is split into sentences by `split_sentences` first; a text with one is taken as is.
- tokenizer "rouge_score" (the default) is the package's: lowercase, every character outside
  [a-z0-9] turned into a space, and, with use_stemmer, Porter stemming of tokens longer than three
  characters. It deletes every letter of Chinese, Japanese, Arabic, Cyrillic, Greek or accented
  Latin text, so such text scores 0 against anything (or by its digits alone). "unicode" keeps the
  letters of every script: see `UnicodeTokenizer`.

Intervals resample examples (`benchhub.metrics.bootstrap.mean_intervals`, all four metrics on the
same resamples), and `paired_test` compares two systems on the same examples.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import numpy as np

from benchhub.errors import InvalidInputError
from benchhub.metrics import bootstrap
from benchhub.metrics.bootstrap import PairedDifference
from benchhub.tasks.base import metric_entry
from benchhub.tasks.text_to_text.metric_inputs import checked_texts

__all__ = [
    "ROUGE_METRICS",
    "SENTENCE_SPLITTER",
    "TOKENIZERS",
    "VERSION",
    "RougeScores",
    "UnicodeTokenizer",
    "paired_test",
    "per_example_rouge",
    "rouge_metrics",
    "split_sentences",
    "summary_lines",
]

VERSION = "1"

ROUGE_METRICS = ("rouge1", "rouge2", "rougeL", "rougeLsum")
TOKENIZERS = ("rouge_score", "unicode")
SENTENCE_SPLITTER = "newlines, else regex-v1"
"""How rougeLsum finds sentences, as stored with every result: see `summary_lines`."""

# A sentence ends after . ! ? or … (and any closing quotes or brackets) followed by whitespace, or
# after a CJK full stop, question or exclamation mark whether or not whitespace follows. Being a
# regex, it also splits after abbreviations ("Dr. No"), which nltk's punkt would not.
_LATIN_END = re.compile(r"([.!?\u2026]+[\"'\u201d\u2019\u00bb)\]]*)\s+")
_CJK_END = re.compile(r"([\u3002\uff01\uff1f]+[\u300d\u300f\u201d\u2019\uff09)]*)\s*")

# Ideographs and kana are one token each (Chinese and Japanese put no space between words; CJK
# punctuation, being neither letter nor digit, is dropped); any other run of letters, marks and
# digits, of one script or several, is one token.
_CJK = r"\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}"
_UNICODE_TOKEN = rf"[[\p{{L}}\p{{N}}]&&[{_CJK}]]\p{{M}}*|[[\p{{L}}\p{{M}}\p{{N}}]--[{_CJK}]]+"
_ASCII_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class RougeScores:
    """Mean F-measures with intervals, each example's F-measures (0-1) and the settings that made them."""

    metrics: dict[str, dict[str, float]]
    per_example: dict[str, np.ndarray]
    settings: dict[str, Any]


class UnicodeTokenizer:
    """A rouge_score tokenizer that keeps the letters of every script.

    The text is NFKC-normalised (so composed and decomposed accents, and full-width and ASCII forms,
    compare equal) and lowercased. Each Han ideograph, hiragana and katakana is one token; every
    other run of letters, combining marks and digits is one token, so Arabic, Cyrillic, Greek,
    Devanagari and Hangul words stay whole. With use_stemmer, tokens of ASCII letters and digits
    longer than three characters are Porter-stemmed as rouge_score stems them; other tokens are not.
    On ASCII text it gives exactly the tokens of rouge_score's default tokenizer. Scripts written
    without spaces other than Chinese and Japanese (Thai, Lao, Khmer, Burmese) come out as one token
    per run between spaces and need a word segmenter first.
    """

    def __init__(self, use_stemmer: bool = False):
        import regex
        from nltk.stem import porter

        self._pattern = regex.compile(_UNICODE_TOKEN, flags=regex.V1)
        self._stemmer = porter.PorterStemmer() if use_stemmer else None

    def tokenize(self, text: str) -> list[str]:
        tokens = self._pattern.findall(unicodedata.normalize("NFKC", text).lower())
        if self._stemmer is None:
            return tokens
        return [self._stemmer.stem(token) if len(token) > 3 and _ASCII_WORD.fullmatch(token) else token
                for token in tokens]


def split_sentences(text: str) -> list[str]:
    """The sentences of text by the regex-v1 rule, stripped, empty ones dropped."""
    marked = _CJK_END.sub("\\1\n", _LATIN_END.sub("\\1\n", text))
    return [sentence.strip() for sentence in marked.split("\n") if sentence.strip()]


def summary_lines(text: str) -> str:
    """The text rougeLsum reads: text itself if it has a newline, else its sentences one per line."""
    return text if "\n" in text else "\n".join(split_sentences(text))


def per_example_rouge(
    *, predictions: Sequence[str], references: Sequence[str | Sequence[str]], use_stemmer: bool = True,
    tokenizer: str = "rouge_score",
) -> dict[str, np.ndarray]:
    """Each example's F-measure (0-1) of every metric in ROUGE_METRICS, in the order of predictions."""
    from rouge_score import rouge_scorer

    predictions, references = checked_texts(predictions, references, unit="example")
    if not isinstance(use_stemmer, bool):
        raise InvalidInputError(f"use_stemmer must be True or False; got {use_stemmer!r}.")
    if tokenizer not in TOKENIZERS:
        raise InvalidInputError(f"tokenizer must be one of {', '.join(TOKENIZERS)}; got {tokenizer!r}.")
    custom = UnicodeTokenizer(use_stemmer) if tokenizer == "unicode" else None
    words = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=use_stemmer, tokenizer=custom)
    lines = rouge_scorer.RougeScorer(["rougeLsum"], use_stemmer=use_stemmer, tokenizer=custom)
    scores: dict[str, list[float]] = {name: [] for name in ROUGE_METRICS}
    for prediction, golds in zip(predictions, references):
        best = words.score_multi(golds, prediction)
        best.update(lines.score_multi([summary_lines(gold) for gold in golds], summary_lines(prediction)))
        for name in ROUGE_METRICS:
            scores[name].append(best[name].fmeasure)
    return {name: np.array(values, dtype=np.float64) for name, values in scores.items()}


def rouge_metrics(
    *, predictions: Sequence[str], references: Sequence[str | Sequence[str]], use_stemmer: bool = True,
    tokenizer: str = "rouge_score", n_resamples: int = 1000, confidence: float = 0.95, seed: int = 0,
) -> RougeScores:
    """The mean F-measure of every metric in ROUGE_METRICS with its percentile-bootstrap interval."""
    per_example = per_example_rouge(predictions=predictions, references=references, use_stemmer=use_stemmer,
                                    tokenizer=tokenizer)
    intervals = bootstrap.mean_intervals(per_example, n_resamples=n_resamples, confidence=confidence, seed=seed)
    metrics = {name: metric_entry(values.mean(), intervals[name].low, intervals[name].high)
               for name, values in per_example.items()}
    settings = {
        "use_stemmer": use_stemmer, "tokenizer": tokenizer, "sentence_splitter": SENTENCE_SPLITTER,
        "multiple_references": "max F-measure per metric", "rouge_score": version("rouge-score"), "version": VERSION,
        "bootstrap": {"n_resamples": n_resamples, "confidence": confidence, "seed": seed, "resampled": "examples"},
    }
    return RougeScores(metrics, per_example, settings)


def paired_test(a: RougeScores, b: RougeScores, metric: str, *, n_resamples: int = 1000, confidence: float = 0.95,
                seed: int = 0) -> PairedDifference:
    """metric(a) - metric(b) on the same examples, with its paired-bootstrap interval and p-value
    (`benchhub.metrics.bootstrap.paired_mean_difference`). a and b must come from the same settings."""
    if metric not in ROUGE_METRICS:
        raise InvalidInputError(f"metric must be one of {', '.join(ROUGE_METRICS)}; got {metric!r}.")
    for key in ("use_stemmer", "tokenizer", "sentence_splitter"):
        if a.settings[key] != b.settings[key]:
            raise InvalidInputError(
                f"a and b were scored with different {key} ({a.settings[key]!r} and {b.settings[key]!r}); "
                "score both systems with the same settings."
            )
    return bootstrap.paired_mean_difference(a.per_example[metric], b.per_example[metric], n_resamples=n_resamples,
                                            confidence=confidence, seed=seed)

