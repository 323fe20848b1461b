"""The contract every built-in baseline follows, of every family, and the file helpers they share."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, Self, runtime_checkable

import numpy as np

from benchhub.data.records import DatasetFacts, Split
from benchhub.errors import BenchhubError, InvalidInputError, UnsafeModelError

MANIFEST_FILE = "baseline.json"
ARRAYS_FILE = "arrays.npz"


class NotFittedError(BenchhubError, RuntimeError):
    """A baseline was asked to predict or save before it was fitted."""


@runtime_checkable
class Baseline(Protocol):
    """A built-in baseline of any family: fitted on a dataset's train split, run like a model on any split
    of it, its parameters saved as JSON and .npz files (never pickle).

    A family's baselines share a base class that implements `trained`, `inputs`, `item_length` and
    `predict_items` on top of the family's own `fit` and `predict`; `BaselineModel` runs any of them.
    """

    name: str
    version: str

    @classmethod
    def trained(cls, train: Split, facts: DatasetFacts) -> Self:
        """A baseline with default options, fitted on the train split of a dataset with these facts."""
        ...

    def inputs(self, split: Split) -> list[Any]:
        """What it reads of each example, one item per example in split order."""
        ...

    def item_length(self, item: Any) -> int:
        """The size of one item (for sorting items into batches of similar length)."""
        ...

    def predict_items(self, items: Sequence[Any]) -> Any:
        """Its predictions for the items, one per item, as the family's models give them."""
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


def write_manifest(folder: Path, baseline: Any, state: Mapping[str, Any]) -> None:
    """Writes name, version and state to folder/baseline.json, creating folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / MANIFEST_FILE, {"name": baseline.name, "version": baseline.version, **state})


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
