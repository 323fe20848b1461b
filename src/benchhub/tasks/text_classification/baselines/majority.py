"""The majority baseline: always predicts the most frequent training label."""

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


class MajorityBaseline(TextClassifierBaseline):
    """Scores every text with the training label distribution, so it ranks like a prior."""

    name = "majority"
    version = "1"

    def __init__(self, labels: Sequence[str]) -> None:
        self.labels = check_labels(labels)
        self._counts: np.ndarray | None = None

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> Self:
        """Counts the training labels."""
        _, indices = check_training(texts, labels, self.labels)
        self._counts = label_counts(indices, len(self.labels))
        return self

    @property
    def majority_label(self) -> str:
        """The most frequent training label; ties go to the label listed first."""
        return self.labels[int(np.argmax(self._fitted_counts()))]

    def predict_scores(self, texts: Sequence[str]) -> np.ndarray:
        """Returns the training label distribution for every text."""
        prior = distribution(self._fitted_counts())
        return np.tile(prior, (len(check_texts(texts)), 1))

    def save(self, folder: Path) -> None:
        """Writes the training label counts to folder/baseline.json."""
        counts = self._fitted_counts()
        write_manifest(folder, self, {"label_counts": [int(count) for count in counts]})

    @classmethod
    def load(cls, folder: Path) -> Self:
        """Reads a majority baseline written by save."""
        manifest = read_manifest(folder, cls.name, cls.version)
        baseline = cls(manifest["labels"])
        counts = manifest.get("label_counts")
        if (
            not isinstance(counts, list)
            or len(counts) != len(baseline.labels)
            or not all(isinstance(count, int) and count >= 0 for count in counts)
            or sum(counts) == 0
        ):
            raise InvalidInputError(
                f"{folder}: label_counts must list one non-negative count per label; save the baseline again"
            )
        baseline._counts = np.asarray(counts, dtype=np.int64)
        return baseline

    def describe(self) -> dict[str, Any]:
        """Returns the majority label and the training label counts."""
        counts = self._fitted_counts()
        return {
            "name": self.name,
            "version": self.version,
            "majority_label": self.majority_label,
            "label_counts": {label: int(count) for label, count in zip(self.labels, counts)},
        }

    def _fitted_counts(self) -> np.ndarray:
        if self._counts is None:
            raise not_fitted(self)
        return self._counts
