"""Reading SQuAD-convention predictions: `{"<question id>": "answer text"}` ("" = no answer),
and the optional no-answer-probability file of the same shape.

Every question id of the split must appear exactly once; the first offending id is named.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from benchhub.data.prediction_files import (
    MAX_BYTES,
    placed_by_id,
    read_predictions_text,
)
from benchhub.data.readers import load_json
from benchhub.errors import PredictionsFormatError


def read_answer_predictions(path: Path, *, ids: list[Any], max_bytes: int = MAX_BYTES) -> list[str]:
    """Returns each question's predicted answer text, in split order."""
    return _align(path, read_answer_pairs(path, max_bytes=max_bytes), ids)


def read_answer_pairs(path: Path, *, max_bytes: int = MAX_BYTES) -> list[tuple[str, str]]:
    """Each (question id, answer text), for any split: the file's syntax checked, its ids not yet."""
    document = _read_object(path, max_bytes)
    for key, value in document:
        if not isinstance(value, str):
            raise PredictionsFormatError(f"{path.name}: the answer for id {key!r} is {value!r}, not a string; use \"\" for no answer.")
    return document


def read_no_answer_probabilities(path: Path, *, ids: list[Any], max_bytes: int = MAX_BYTES) -> list[float]:
    """Returns each question's no-answer probability, in split order."""
    document = _read_object(path, max_bytes)
    for key, value in document:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise PredictionsFormatError(f"{path.name}: the no-answer probability for id {key!r} is {value!r}, not a finite number.")
    return [float(v) for v in _align(path, document, ids)]


def _read_object(path: Path, max_bytes: int) -> list[tuple[str, Any]]:
    path = Path(path)
    text = read_predictions_text(path, max_bytes)
    try:
        # NaN/Infinity parse as floats so the per-id checks below can name the offending id.
        document = load_json(text, where=path.name, error=PredictionsFormatError, object_pairs_hook=list, parse_constant=float)
    except PredictionsFormatError:
        raise
    except ValueError as exc:
        raise PredictionsFormatError(f"{path.name}: not valid JSON ({exc}).") from exc
    if not isinstance(document, list) or (document and not isinstance(document[0], tuple)):
        raise PredictionsFormatError(f'{path.name}: expected one JSON object {{"<question id>": "answer", ...}}.')
    return document


def _align(path: Path, pairs: list[tuple[str, Any]], ids: list[Any]) -> list[Any]:
    return placed_by_id(path.name, ((path.name, key, value) for key, value in pairs), ids, noun="question")
