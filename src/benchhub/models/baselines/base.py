"""The contract every built-in baseline follows, and the helpers they share."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, Self, runtime_checkable

import numpy as np

from benchhub.errors import BenchhubError, InvalidInputError, UnsafeModelError

MANIFEST_FILE = "baseline.json"
ARRAYS_FILE = "arrays.npz"


class NotFittedError(BenchhubError, RuntimeError):
    """A baseline was asked to predict or save before it was fitted."""


@runtime_checkable
class Baseline(Protocol):
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


def predict_labels(baseline: Baseline, texts: Sequence[str]) -> list[str]:
    """Returns the label with the highest score for each text (ties go to the earlier label)."""
    scores = baseline.predict_scores(texts)
    return [baseline.labels[position] for position in np.argmax(scores, axis=1)]


def not_fitted(baseline: Baseline) -> NotFittedError:
    """Returns the error raised when an unfitted baseline is used."""
    return NotFittedError(
        f"the {baseline.name} baseline is not fitted; call fit on the training split first"
    )


def write_manifest(folder: Path, baseline: Baseline, state: Mapping[str, Any]) -> None:
    """Writes name, version, labels and state to folder/baseline.json, creating folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {
        "name": baseline.name,
        "version": baseline.version,
        "labels": list(baseline.labels),
        **state,
    }
    write_json(folder / MANIFEST_FILE, manifest)


def read_manifest(folder: Path, name: str, version: str) -> dict[str, Any]:
    """Reads folder/baseline.json and checks it was saved by this baseline and version."""
    manifest = read_json(Path(folder) / MANIFEST_FILE)
    if not isinstance(manifest, dict):
        raise InvalidInputError(
            f"{Path(folder) / MANIFEST_FILE} is not a JSON object; save the baseline again"
        )
    if manifest.get("name") != name:
        raise InvalidInputError(
            f"{folder} holds a {manifest.get('name')!r} baseline, not {name!r}; "
            "load it with load_baseline or the matching class"
        )
    if manifest.get("version") != version:
        raise InvalidInputError(
            f"{folder} was saved by {name} baseline version {manifest.get('version')!r}, "
            f"this is version {version!r}; fit and save the baseline again"
        )
    return manifest


def write_json(path: Path, value: Any) -> None:
    """Writes value as UTF-8 JSON."""
    text = json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)
    Path(path).write_text(text + "\n", encoding="utf-8")


def read_json(path: Path) -> Any:
    """Reads a UTF-8 JSON file, raising InvalidInputError when it is missing or malformed."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInputError(
            f"cannot read {path}: {error.strerror}; pass a folder written by a baseline's save"
        ) from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInputError(f"{path} is not valid JSON ({error}); save the baseline again") from error


def write_arrays(folder: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Writes numeric arrays to folder/arrays.npz."""
    np.savez(Path(folder) / ARRAYS_FILE, **{key: np.asarray(value) for key, value in arrays.items()})


def read_arrays(folder: Path, keys: Sequence[str]) -> dict[str, np.ndarray]:
    """Reads the named arrays from folder/arrays.npz without allowing pickled objects."""
    path = Path(folder) / ARRAYS_FILE
    try:
        with np.load(path, allow_pickle=False) as archive:
            present = set(archive.files)
            arrays = {key: archive[key] for key in keys if key in present}
    except OSError as error:
        raise InvalidInputError(f"cannot read {path}: {error}; save the baseline again") from error
    except ValueError as error:
        raise UnsafeModelError(
            f"{path} holds object arrays that need pickle, which benchhub refuses; save the baseline again"
        ) from error
    missing = [key for key in keys if key not in arrays]
    if missing:
        raise InvalidInputError(f"{path} lacks arrays {', '.join(missing)}; save the baseline again")
    return arrays
