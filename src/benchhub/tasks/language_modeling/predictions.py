"""Reading language-modeling predictions files: JSONL `{"id", "loglikelihood"}`, one document's natural-log
likelihood a line (what lm-evaluation-harness's `loglikelihood_rolling` returns for it).

Every document of the split exactly once, in any order; each log-likelihood a finite number at most 0
(a probability is at most 1; 0 is a document given probability 1). The first offending line or id is named.
"""

from __future__ import annotations

import math
import numbers
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
from benchhub.data.records import canonical_json
from benchhub.errors import PredictionsFormatError

EXAMPLE_LINE = '{"id": 0, "loglikelihood": -1234.5}'


def read_loglikelihoods(path: Path, *, ids: Sequence[Any], max_bytes: int = MAX_BYTES) -> list[float]:
    """Each document's log-likelihood, in split order."""
    path = Path(path)
    return placed_by_id(path.name, read_loglikelihood_lines(path, max_bytes=max_bytes), ids,
                        noun="document", lacking="have no log-likelihood")


def read_loglikelihood_lines(path: Path, *, max_bytes: int = MAX_BYTES) -> list[tuple[str, Any, float]]:
    """Each line's (where, id, log-likelihood), for any split: the file's syntax checked, its ids not yet."""
    path = check_predictions_path(Path(path))
    text = read_predictions_text(path, max_bytes)
    if not text.strip():
        raise PredictionsFormatError(f"{path} is empty; expected one log-likelihood per document.")
    lines = []
    for where, row in json_objects(path, text, keys=("id", "loglikelihood"), example=EXAMPLE_LINE):
        raw_id, value = row["id"], row["loglikelihood"]
        if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
            raise PredictionsFormatError(f"{where}: id {shown(raw_id)} is not a string or integer.")
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value > 0:
            raise PredictionsFormatError(
                f'{where}: "loglikelihood" of id {shown(raw_id)} is {shown(value)}; give the natural-log likelihood of the '
                "whole document, a finite number at most 0."
            )
        lines.append((where, raw_id, float(value)))
    return lines


def write_loglikelihoods(path: Path, ids: Sequence[Any], loglikelihoods: Sequence[float]) -> None:
    """JSONL {"id", "loglikelihood"}, one line per document."""
    Path(path).write_text("".join(canonical_json({"id": example_id, "loglikelihood": float(value)}) + "\n"
                                  for example_id, value in zip(ids, loglikelihoods, strict=True)), encoding="utf-8")
