"""Directional (DIR) probes for sentiment-like text classification.

    AppendNegative "append-negative"  appends a strongly negative sentence; the positive probability must not rise
    AppendPositive "append-positive"  appends a strongly positive sentence; the negative probability must not rise

A violation is a rise of the watched label's probability by more than `tolerance` (default 1e-6, so
float noise is not a violation; pass 0.0 for a strict check). The watched labels are found
case-insensitively in the dataset's labels: positive is "positive" or "pos", negative is "negative"
or "neg". A probe is applicable only where the labels have both; `is_applicable(labels)` says so
before running, and `violations` raises `ProbeNotApplicableError` (an `InvalidInputError`) otherwise,
so a runner can skip the probe with the error's message as its note.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.probes.base import Perturbed
from benchhub.tasks.text_classification.probes.invariance import TASK, perturb_texts

POSITIVE_NAMES = frozenset({"positive", "pos"})
NEGATIVE_NAMES = frozenset({"negative", "neg"})
DEFAULT_TOLERANCE = 1e-6

NEGATIVE_CLAUSES = (
    "I hated it.",
    "It was absolutely terrible.",
    "What a complete waste of time.",
    "Honestly, it was awful.",
    "I regret every minute of it.",
    "It was the worst I have ever seen.",
)
POSITIVE_CLAUSES = (
    "I loved it.",
    "It was absolutely wonderful.",
    "What a fantastic experience.",
    "Honestly, it was brilliant.",
    "I enjoyed every minute of it.",
    "It was the best I have ever seen.",
)


class ProbeNotApplicableError(InvalidInputError):
    """A probe needs labels (or inputs) the dataset does not have; runners skip it with this message."""


def sentiment_labels(labels: Sequence[str]) -> tuple[str, str] | None:
    """The dataset's (positive, negative) label names, matched case-insensitively, or None when either is missing."""
    positive = next((label for label in labels if label.lower() in POSITIVE_NAMES), None)
    negative = next((label for label in labels if label.lower() in NEGATIVE_NAMES), None)
    if positive is None or negative is None:
        return None
    return positive, negative


class _AppendClause:
    """Appends one clause, drawn per example, as a new sentence; watches one label's probability."""

    name: str
    kind = "DIR"
    task = TASK
    clauses: tuple[str, ...]
    watched: str  # "positive" or "negative": the label whose probability must not rise

    def __init__(self, tolerance: float = DEFAULT_TOLERANCE) -> None:
        if not isinstance(tolerance, int | float) or isinstance(tolerance, bool) or not tolerance >= 0.0:
            raise InvalidInputError(
                f"The 'tolerance' parameter of {type(self).__name__} must be a number >= 0. Got {tolerance!r} instead."
            )
        self.tolerance = float(tolerance)

    def is_applicable(self, labels: Sequence[str]) -> bool:
        return sentiment_labels(labels) is not None

    def check_applicable(self, labels: Sequence[str]) -> None:
        """Raises ProbeNotApplicableError when the labels are not sentiment-like."""
        if not self.is_applicable(labels):
            raise ProbeNotApplicableError(
                f"the {self.name} probe needs a positive and a negative label "
                f"(one of {', '.join(sorted(POSITIVE_NAMES))} and one of {', '.join(sorted(NEGATIVE_NAMES))}, "
                f"any case); the dataset's labels are {', '.join(labels)}"
            )

    def apply(self, split: Split, *, seed: int) -> Perturbed:
        return perturb_texts(split, self.name, seed, self._append, both_texts=False)

    def _append(self, text: str, rng: random.Random) -> str:
        clause = rng.choice(self.clauses)
        body = text.rstrip()
        if not body:
            return clause
        if body[-1] not in ".!?":
            body += "."
        return f"{body} {clause}"

    def violations(self, original: np.ndarray, perturbed: np.ndarray, labels: Sequence[str]) -> np.ndarray:
        """Per example, whether the watched label's probability rose by more than `tolerance`."""
        self.check_applicable(labels)
        original = np.asarray(original, dtype=np.float64)
        perturbed = np.asarray(perturbed, dtype=np.float64)
        expected = (original.shape[0] if original.ndim else 0, len(labels))
        if original.ndim != 2 or original.shape != expected or perturbed.shape != original.shape:
            raise InvalidInputError(
                f"{self.name} violations need two (n, {len(labels)}) probability arrays of the same shape; "
                f"got {original.shape} and {perturbed.shape}"
            )
        positive, negative = sentiment_labels(labels)  # type: ignore[misc]
        column = list(labels).index(positive if self.watched == "positive" else negative)
        return perturbed[:, column] > original[:, column] + self.tolerance


class AppendNegative(_AppendClause):
    """Appends a strongly negative sentence; the positive label's probability must not rise."""

    name = "append-negative"
    clauses = NEGATIVE_CLAUSES
    watched = "positive"


class AppendPositive(_AppendClause):
    """Appends a strongly positive sentence; the negative label's probability must not rise."""

    name = "append-positive"
    clauses = POSITIVE_CLAUSES
    watched = "negative"
