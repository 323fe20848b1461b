"""Reading multiple-choice predictions files: JSON lines `{"id", "loglikelihoods": [one per choice]}` or `{"id", "choice": index}`.

One layout for the whole file. Log-likelihoods are real numbers, -Infinity allowed (a choice the model
gives probability 0, as lm-evaluation-harness allows), never NaN or +Infinity; a file of choices scores
acc only (acc_norm needs the log-likelihoods). Every question of the split exactly once, in any order,
with one log-likelihood per choice or a choice's 0-based index (null: no answer, counted wrong, as a model
that answers in letters gives where no letter could be read); the first offending line or id is named.
"""

from __future__ import annotations

import json
import math
import numbers
from pathlib import Path
from typing import Any, Sequence

from benchhub.data.prediction_files import (
    MAX_BYTES,
    check_predictions_path,
    placed_by_id,
    read_predictions_text,
    shown,
)
from benchhub.data.readers import json_lines, load_json
from benchhub.errors import PredictionsFormatError
from benchhub.tasks.multiple_choice.outputs import ChoicePrediction

LAYOUTS = ("loglikelihoods", "choice")
EXAMPLE = '{"id": 0, "loglikelihoods": [-4.2, -1.3, -7.0, -5.5]} or {"id": 0, "choice": 1}'

Line = tuple[str, Any, str, Any]  # where, id, layout, value


def read_choice_predictions(path: Path, *, ids: Sequence[Any], choices: Sequence[Sequence[str]],
                            max_bytes: int = MAX_BYTES) -> list[ChoicePrediction]:
    """Each question's prediction, in split order, checked against the split's ids and numbers of choices."""
    path = Path(path)

    def place(where: str, raw_id: Any, index: int, line: tuple[str, Any]) -> ChoicePrediction:
        layout, value = line
        count = len(choices[index])
        if layout == "choice":
            if value is not None and not 0 <= value < count:
                raise PredictionsFormatError(f"{where}: choice {value} of id {shown(raw_id)} is out of range; "
                                             f"it has {count} choices, 0 to {count - 1}.")
            return ChoicePrediction(value)
        if len(value) != count:
            raise PredictionsFormatError(f"{where}: id {shown(raw_id)} has {len(value)} log-likelihoods for {count} "
                                         "choices; give one per choice, in the choices' order.")
        return ChoicePrediction.scored(tuple(value))

    rows = ((where, raw_id, (layout, value)) for where, raw_id, layout, value in read_choice_lines(path, max_bytes=max_bytes))
    return placed_by_id(path.name, rows, ids, noun="question", place=place)


def read_choice_lines(path: Path, *, max_bytes: int = MAX_BYTES) -> list[Line]:
    """Each line's (where, id, layout, value), for any split: the file's syntax checked, its ids and lengths not yet."""
    path = check_predictions_path(Path(path))
    text = read_predictions_text(path, max_bytes)
    if not text.strip():
        raise PredictionsFormatError(f"{path} is empty; expected one prediction per question.")
    lines: list[Line] = []
    for number, line in enumerate(json_lines(text), start=1):
        if not line.strip():
            continue
        where = f"{path.name}, line {number}"
        lines.append(_line(where, line))
        if lines[-1][2] != lines[0][2]:
            raise PredictionsFormatError(f'{where}: gives "{lines[-1][2]}" where {lines[0][0].rpartition(", ")[2]} gives '
                                         f'"{lines[0][2]}"; use one layout for the whole file.')
    return lines


def _line(where: str, line: str) -> Line:
    try:
        row = load_json(line, where=where, error=PredictionsFormatError, parse_constant=_negative_infinity_only)
    except PredictionsFormatError:
        raise
    except ValueError as exc:
        raise PredictionsFormatError(f"{where}: not valid JSON ({exc}); NaN and Infinity are not allowed "
                                     "(-Infinity is, for a log-likelihood).") from None
    given = [key for key in LAYOUTS if isinstance(row, dict) and key in row]
    if len(given) == 2:
        raise PredictionsFormatError(f'{where}: gives both "loglikelihoods" and "choice"; give one of them, like {EXAMPLE}.')
    if not isinstance(row, dict) or "id" not in row or not given:
        raise PredictionsFormatError(f'{where}: expected an object with "id" and either "loglikelihoods" or "choice", '
                                     f"like {EXAMPLE}.")
    raw_id, layout = row["id"], given[0]
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
        raise PredictionsFormatError(f"{where}: id {shown(raw_id)} is not a string or integer.")
    value = row[layout]
    if layout == "choice":
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise PredictionsFormatError(f'{where}: "choice" of id {shown(raw_id)} must be a choice\'s 0-based index '
                                         f"(or null: no answer, counted wrong), got {shown(value)}.")
        return where, raw_id, layout, value
    if not isinstance(value, list) or not value:
        raise PredictionsFormatError(f'{where}: "loglikelihoods" of id {shown(raw_id)} must be a list of numbers, '
                                     f"one per choice; got {shown(value)}.")
    for ll in value:
        if isinstance(ll, bool) or not isinstance(ll, numbers.Real) or math.isnan(ll) or ll == math.inf:
            raise PredictionsFormatError(f'{where}: "loglikelihoods" of id {shown(raw_id)} holds {shown(ll)}; '
                                         "each must be a real number (-Infinity allowed, not NaN or +Infinity).")
    return where, raw_id, layout, [float(ll) for ll in value]


def _negative_infinity_only(name: str) -> float:
    if name == "-Infinity":
        return -math.inf
    raise ValueError(f"{name} is not allowed")


def write_choice_predictions(path: Path, ids: Sequence[Any], predictions: Sequence[ChoicePrediction]) -> None:
    """JSON lines in the layout of the predictions (log-likelihoods where every one has them, else choices)."""
    scored = all(p.loglikelihoods is not None for p in predictions)
    lines = (json.dumps({"id": example_id, "loglikelihoods": list(p.loglikelihoods or ())} if scored
                        else {"id": example_id, "choice": p.choice}, ensure_ascii=False)
             for example_id, p in zip(ids, predictions, strict=True))
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
