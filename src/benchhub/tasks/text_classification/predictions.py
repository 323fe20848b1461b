"""Reading classification predictions files: JSONL `{"id", "label"}` or CSV `id,label`.

Every example id of the split must appear exactly once. The first offending line or id is named.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from benchhub.data.prediction_files import (
    MAX_BYTES,
    json_objects,
    placed_by_id,
    read_predictions_text,
    shown,
)
from benchhub.errors import PredictionsFormatError


def read_label_predictions(
    path: Path, *, ids: list[Any], labels: list[str], max_bytes: int = MAX_BYTES
) -> list[str]:
    """Returns the predicted label of every example of a split, in the split's order."""
    path = Path(path)
    return _align(path, read_label_pairs(path, max_bytes=max_bytes), ids, labels)


def read_label_pairs(path: Path, *, max_bytes: int = MAX_BYTES) -> list[tuple[str, Any, Any]]:
    """Each line's (where, id, label), for any split: the file's syntax checked, its ids not yet."""
    path = Path(path)
    text = read_predictions_text(path, max_bytes)
    if not text.strip():
        raise PredictionsFormatError(f"{path} is empty; expected one prediction per example.")
    if path.suffix.lower() == ".csv":
        try:
            return _csv_pairs(path, text)
        except csv.Error as exc:
            raise PredictionsFormatError(f"{path.name}: not valid CSV ({exc}).") from None
    return _jsonl_pairs(path, text)



def _jsonl_pairs(path: Path, text: str) -> list[tuple[str, Any, Any]]:
    return [(where, row["id"], row["label"])
            for where, row in json_objects(path, text, keys=("id", "label"), example='{"id": 0, "label": "positive"}')]


def _csv_pairs(path: Path, text: str) -> list[tuple[str, Any, Any]]:
    reader = csv.reader(io.StringIO(text))
    header = [name.strip() for name in next(reader)]
    if "id" not in header or "label" not in header:
        raise PredictionsFormatError(f"{path.name}: the CSV header must name 'id' and 'label' columns; it has {header}.")
    id_at, label_at = header.index("id"), header.index("label")
    pairs = []
    for number, values in enumerate(reader, start=2):
        if not values:
            continue
        if len(values) != len(header):
            raise PredictionsFormatError(f"{path.name}, line {number}: {len(values)} fields where the header has {len(header)}.")
        pairs.append((f"{path.name}, line {number}", values[id_at], values[label_at]))
    return pairs


def _align(path: Path, pairs: list[tuple[str, Any, Any]], ids: list[Any], labels: list[str]) -> list[str]:
    allowed = set(labels)

    def checked(where: str, raw_id: Any, raw_label: Any) -> tuple[str, Any, Any]:
        if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
            raise PredictionsFormatError(f"{where}: id {shown(raw_id)} is not a string or integer.")
        return where, raw_id, raw_label

    def place(where: str, raw_id: Any, index: int, raw_label: Any) -> str:
        label = _label_text(raw_label)
        if label not in allowed:
            raise PredictionsFormatError(f"{where}: label {shown(raw_label)} for id {shown(raw_id)} is not one of {sorted(allowed)}.")
        return label

    return placed_by_id(path.name, (checked(*pair) for pair in pairs), ids, noun="example", place=place)


def _label_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)) or value is None:
        return repr(value)
    return str(value)
