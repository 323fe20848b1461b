"""Reading predictions files of generated text: JSONL `{"id", "text"}`, one generated text per example.

Every example of the split exactly once, in any order; `"text"` a string ("" for no output). The
first offending line or id is named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from benchhub.data.prediction_files import (
    MAX_BYTES,
    check_predictions_path,
    json_objects,
    placed_by_id,
    read_predictions_text,
    shown,
)
from benchhub.errors import PredictionsFormatError

EXAMPLE_LINE = '{"id": 0, "text": "The generated summary."}'


def read_text_predictions(path: Path, *, ids: Sequence[Any], max_bytes: int = MAX_BYTES) -> list[str]:
    """Each example's generated text, in split order."""
    path = Path(path)
    return placed_by_id(path.name, read_text_pairs(path, max_bytes=max_bytes), ids, noun="example")


def read_text_pairs(path: Path, *, max_bytes: int = MAX_BYTES) -> list[tuple[str, Any, str]]:
    """Each line's (where, id, text), for any split: the file's syntax checked, its ids not yet."""
    path = Path(path)
    check_predictions_path(path)
    text = read_predictions_text(path, max_bytes)
    if not text.strip():
        raise PredictionsFormatError(f"{path} is empty; expected one prediction per example.")
    pairs = []
    for where, row in json_objects(path, text, keys=("id", "text"), example=EXAMPLE_LINE):
        raw_id, generated = row["id"], row["text"]
        if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
            raise PredictionsFormatError(f"{where}: id {shown(raw_id)} is not a string or integer.")
        if not isinstance(generated, str):
            raise PredictionsFormatError(
                f'{where}: "text" of id {shown(raw_id)} is {shown(generated)}, not a string; give the generated text '
                '("" for no output).'
            )
        pairs.append((where, raw_id, generated))
    return pairs
