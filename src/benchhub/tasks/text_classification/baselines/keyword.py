"""The keyword baseline: counts hits of the words most indicative of each label."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np

from benchhub.errors import InvalidInputError
from benchhub.tasks.text_classification.baselines.base import (
    TextClassifierBaseline,
    check_labels,
    check_texts,
    check_training,
    distribution,
    label_counts,
    not_fitted,
    read_manifest,
    write_manifest,
)
from benchhub.tasks.text_classification.baselines.log_odds import log_odds_z_scores
from benchhub.tasks.text_classification.baselines.tokens import tokenize

HIT_SMOOTHING = 1e-3
"""Total score mass spread evenly over the labels of a text with keyword hits."""


class KeywordBaseline(TextClassifierBaseline):
    """Predicts the label whose keywords a text hits most, weighted by their z-scores.

    Keywords are learned per label with the weighted log-odds ratio and an
    informative Dirichlet prior (Monroe, Colaresi & Quinn 2008) of the label's
    training texts against all other training texts; the prior is the word
    counts of the whole training split. A word is a keyword of a label when its
    z-score is positive, it occurs at least min_count times in that label's
    texts, and it ranks among the label's top keywords_per_label words.
    """

    name = "keyword"
    version = "1"

    def __init__(self, labels: Sequence[str], keywords_per_label: int = 20, min_count: int = 2) -> None:
        self.labels = check_labels(labels)
        self.keywords_per_label = _positive_int("keywords_per_label", keywords_per_label)
        self.min_count = _positive_int("min_count", min_count)
        self._keywords: list[list[tuple[str, float]]] | None = None
        self._counts: np.ndarray | None = None

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> Self:
        """Learns the keywords of every label from the training split."""
        text_list, indices = check_training(texts, labels, self.labels)
        documents = [tokenize(text) for text in text_list]
        vocabulary = sorted({word for document in documents for word in document})
        position = {word: index for index, word in enumerate(vocabulary)}
        rows = np.repeat(indices, [len(document) for document in documents])
        columns = np.fromiter(
            (position[word] for document in documents for word in document), dtype=np.int64, count=len(rows)
        )
        counts = np.zeros((len(self.labels), len(vocabulary)), dtype=np.int64)
        np.add.at(counts, (rows, columns), 1)
        self._keywords = self._select_keywords(counts, vocabulary)
        self._counts = label_counts(indices, len(self.labels))
        return self

    @property
    def majority_label(self) -> str:
        """The most frequent training label, predicted for texts without keyword hits."""
        return self.labels[int(np.argmax(self._fitted()[1]))]

    @property
    def keywords(self) -> dict[str, list[tuple[str, float]]]:
        """The (word, z-score) keywords of each label, strongest first."""
        keywords, _ = self._fitted()
        return {label: list(words) for label, words in zip(self.labels, keywords)}

    def keyword_hits(self, texts: Sequence[str]) -> np.ndarray:
        """Returns, per text and label, the z-score sum of the distinct keywords the text contains."""
        keywords, _ = self._fitted()
        text_list = check_texts(texts)
        hits = np.zeros((len(text_list), len(self.labels)), dtype=np.float64)
        for row, text in enumerate(text_list):
            present = set(tokenize(text))
            for column, words in enumerate(keywords):
                hits[row, column] = sum(z for word, z in words if word in present)
        return hits

    def predict_scores(self, texts: Sequence[str]) -> np.ndarray:
        """Returns normalised keyword hits; texts without hits get the training label distribution.

        A text with hits scores (hits + HIT_SMOOTHING / k) / (sum of hits + HIT_SMOOTHING)
        over its k labels, so the argmax is the label with the most weighted hits
        (ties go to the label listed first); a text without hits scores the training
        label distribution, whose argmax is the majority label.
        """
        hits = self.keyword_hits(texts)
        prior = distribution(self._fitted()[1])
        totals = hits.sum(axis=1)
        with_hits = totals > 0
        scores = np.tile(prior, (len(hits), 1))
        share = HIT_SMOOTHING / len(self.labels)
        scores[with_hits] = (hits[with_hits] + share) / (totals[with_hits] + HIT_SMOOTHING)[:, None]
        return scores

    def save(self, folder: Path) -> None:
        """Writes the parameters, label counts and keywords to folder/baseline.json."""
        keywords, counts = self._fitted()
        write_manifest(
            folder,
            self,
            {
                "keywords_per_label": self.keywords_per_label,
                "min_count": self.min_count,
                "label_counts": [int(count) for count in counts],
                "keywords": {
                    label: [[word, z] for word, z in words] for label, words in zip(self.labels, keywords)
                },
            },
        )

    @classmethod
    def load(cls, folder: Path) -> Self:
        """Reads a keyword baseline written by save."""
        manifest = read_manifest(folder, cls.name, cls.version)
        baseline = cls(
            manifest["labels"],
            keywords_per_label=manifest.get("keywords_per_label"),
            min_count=manifest.get("min_count"),
        )
        counts = manifest.get("label_counts")
        saved = manifest.get("keywords")
        if (
            not isinstance(counts, list)
            or len(counts) != len(baseline.labels)
            or not isinstance(saved, dict)
            or set(saved) != set(baseline.labels)
        ):
            raise InvalidInputError(
                f"{folder}: label_counts and keywords must cover every label; save the baseline again"
            )
        baseline._counts = np.asarray(counts, dtype=np.int64)
        baseline._keywords = [
            [(str(word), float(z)) for word, z in saved[label]] for label in baseline.labels
        ]
        return baseline

    def describe(self) -> dict[str, Any]:
        """Returns the keywords of each label, strongest first, and the fallback label."""
        return {
            "name": self.name,
            "version": self.version,
            "keywords_per_label": self.keywords_per_label,
            "min_count": self.min_count,
            "majority_label": self.majority_label,
            "keywords": {label: [word for word, _ in words] for label, words in self.keywords.items()},
        }

    def _select_keywords(self, counts: np.ndarray, vocabulary: list[str]) -> list[list[tuple[str, float]]]:
        keywords: list[list[tuple[str, float]]] = [[] for _ in self.labels]
        if len(vocabulary) < 2:
            return keywords
        pooled = counts.sum(axis=0)
        for label, label_words in enumerate(counts):
            rest = pooled - label_words
            if label_words.sum() == 0 or rest.sum() == 0:
                continue
            z_scores = log_odds_z_scores(label_words, rest, pooled)
            eligible = np.flatnonzero((z_scores > 0) & (label_words >= self.min_count))
            ranked = sorted(eligible, key=lambda index: (-z_scores[index], vocabulary[index]))
            keywords[label] = [
                (vocabulary[index], float(z_scores[index])) for index in ranked[: self.keywords_per_label]
            ]
        return keywords

    def _fitted(self) -> tuple[list[list[tuple[str, float]]], np.ndarray]:
        if self._keywords is None or self._counts is None:
            raise not_fitted(self)
        return self._keywords, self._counts


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(f"{name} must be a positive integer, got {value!r}; pass e.g. {name}=2")
    return value
