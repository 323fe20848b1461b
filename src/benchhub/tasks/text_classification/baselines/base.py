"""What every text-classification baseline shares: its contract, checked inputs, and the generic
`Baseline` lifecycle (fit on the train split, run on a split) on top of them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, Self, runtime_checkable

import numpy as np

from benchhub.data.records import DatasetFacts, Split
from benchhub.errors import InvalidInputError
from benchhub.models.baselines.base import (  # noqa: F401  (the family's baselines import the file helpers from here)
    MANIFEST_FILE,
    NotFittedError,
    read_arrays,
    read_json,
    read_manifest,
    write_arrays,
    write_json,
)
from benchhub.models.baselines.base import write_manifest as shared_write_manifest


class TextClassifierBaseline:
    """The base of the family's baselines: the generic `Baseline` methods over `fit(texts, labels)` and
    `predict_scores(texts)`, on texts joined with their second text."""

    labels: tuple[str, ...]

    @classmethod
    def trained(cls, train: Split, facts: DatasetFacts) -> Self:
        return cls(list(facts.labels)).fit(train.joined_texts(), train.labels or [])  # type: ignore[call-arg, attr-defined]

    def inputs(self, split: Split) -> list[str]:
        return split.joined_texts()

    def item_length(self, item: str) -> int:
        return len(item)

    def predict_items(self, items: Sequence[str]) -> np.ndarray:
        return self.predict_scores(list(items))  # type: ignore[attr-defined]


@runtime_checkable
class TextBaseline(Protocol):
    """A text classifier fitted on a training split that scores every dataset label."""

    name: str
    version: str
    labels: tuple[str, ...]

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> Self:
        """Learns the parameters from the training split and returns the baseline."""
        ...

    def predict_scores(self, texts: Sequence[str]) -> np.ndarray:
        """Returns an (n, len(labels)) float64 array whose rows sum to 1."""
        ...

    def save(self, folder: Path) -> None:
        """Writes the fitted parameters as JSON and .npz files into folder."""
        ...

    @classmethod
    def load(cls, folder: Path) -> Self:
        """Reads a baseline written by save."""
        ...

    def describe(self) -> dict[str, Any]:
        """Returns a JSON-able summary for humans."""
        ...


def check_labels(labels: Sequence[str]) -> tuple[str, ...]:
    """Returns the dataset label set as a tuple after checking it is usable."""
    if isinstance(labels, str | bytes) or not isinstance(labels, Iterable):
        raise InvalidInputError(
            f"labels must be a list of label names, got {type(labels).__name__}; "
            "pass the dataset's labels, e.g. ['negative', 'positive']"
        )
    result = tuple(labels)
    if not result:
        raise InvalidInputError("labels is empty; pass the dataset's label names (at least one)")
    for label in result:
        if not isinstance(label, str):
            raise InvalidInputError(
                f"label {label!r} is {type(label).__name__}, not str; labels must be strings; "
                "convert the label names to str"
            )
    duplicates = sorted({label for label in result if result.count(label) > 1})
    if duplicates:
        raise InvalidInputError(
            f"labels contain duplicates: {', '.join(duplicates)}; pass each label name once"
        )
    return result


def check_texts(texts: Sequence[str]) -> list[str]:
    """Returns texts as a list after checking every item is a string."""
    if isinstance(texts, str):
        raise InvalidInputError("texts must be a list of strings, got a single string; wrap it in a list")
    result = list(texts)
    for position, text in enumerate(result):
        if not isinstance(text, str):
            raise InvalidInputError(
                f"text {position} is {type(text).__name__}, not str; "
                "join text pairs and convert values to str before calling the baseline"
            )
    return result


def check_training(
    texts: Sequence[str], labels: Sequence[str], allowed: tuple[str, ...]
) -> tuple[list[str], np.ndarray]:
    """Returns the training texts and their label indices into allowed, after checking both."""
    text_list = check_texts(texts)
    label_list = list(labels)
    if not text_list:
        raise InvalidInputError("the training split is empty; fit needs at least one labelled text")
    if len(text_list) != len(label_list):
        raise InvalidInputError(
            f"fit got {len(text_list)} texts but {len(label_list)} labels; pass one label per text"
        )
    index = {label: position for position, label in enumerate(allowed)}
    indices = np.empty(len(label_list), dtype=np.int64)
    for position, label in enumerate(label_list):
        if label not in index:
            raise InvalidInputError(
                f"training label {label!r} (row {position}) is not a dataset label; "
                f"allowed: {', '.join(allowed)}; fix the training data or the label set"
            )
        indices[position] = index[label]
    return text_list, indices


def label_counts(indices: np.ndarray, n_labels: int) -> np.ndarray:
    """Returns how often each label index occurs, as int64."""
    return np.bincount(indices, minlength=n_labels).astype(np.int64)


def distribution(counts: np.ndarray) -> np.ndarray:
    """Returns counts normalised to a float64 probability vector."""
    counts = np.asarray(counts, dtype=np.float64)
    return counts / counts.sum()


def one_hot(indices: np.ndarray, n_labels: int) -> np.ndarray:
    """Returns a float64 (n, n_labels) array with a 1 at each row's index."""
    scores = np.zeros((len(indices), n_labels), dtype=np.float64)
    scores[np.arange(len(indices)), indices] = 1.0
    return scores


def predict_labels(baseline: TextBaseline, texts: Sequence[str]) -> list[str]:
    """Returns the label with the highest score for each text (ties go to the earlier label)."""
    scores = baseline.predict_scores(texts)
    return [baseline.labels[position] for position in np.argmax(scores, axis=1)]


def not_fitted(baseline: TextBaseline) -> NotFittedError:
    """Returns the error raised when an unfitted baseline is used."""
    return NotFittedError(
        f"the {baseline.name} baseline is not fitted; call fit on the training split first"
    )


def write_manifest(folder: Path, baseline: TextBaseline, state: Mapping[str, Any]) -> None:
    """Writes name, version, labels and state to folder/baseline.json, creating folder."""
    shared_write_manifest(folder, baseline, {"labels": list(baseline.labels), **state})