"""Generations files: JSONL `{"task_id", "completions": [...]}`, n completions per problem.

Every problem of the split exactly once, in any order, each with the same number n >= 1 of completions (strings,
"" for no output); the first offending line or id is named. A problem's `Attempts` are its completions and,
when they were executed already (stored rows re-scored), their outcomes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

EXAMPLE_LINE = '{"task_id": "HumanEval/0", "completions": ["    return a + b\\n"]}'
MOST_SAMPLES = 1000


@dataclass(frozen=True)
class Attempts:
    """One problem's completions, and how each ended where they ran already (dicts of an `Outcome`)."""

    completions: tuple[str, ...]
    outcomes: tuple[dict[str, Any], ...] | None = None


def read_generations(path: Path, *, ids: Sequence[Any], max_bytes: int = MAX_BYTES) -> list[Attempts]:
    """Each problem's completions, in split order."""
    path = Path(path)
    rows = ((where, raw_id, Attempts(tuple(completions)))
            for where, raw_id, completions in read_generation_rows(path, max_bytes=max_bytes))
    return placed_by_id(path.name, rows, ids, noun="problem", lacking="have no completions")


def read_generation_rows(path: Path, *, max_bytes: int = MAX_BYTES) -> list[tuple[str, Any, list[str]]]:
    """Each line's (where, task_id, completions), for any split: the syntax and the equal n checked, ids not yet."""
    path = Path(path)
    check_predictions_path(path)
    text = read_predictions_text(path, max_bytes)
    if not text.strip():
        raise PredictionsFormatError(f"{path} is empty; expected one line of completions per problem.")
    rows: list[tuple[str, Any, list[str]]] = []
    for where, row in json_objects(path, text, keys=("task_id", "completions"), example=EXAMPLE_LINE):
        raw_id, completions = row["task_id"], row["completions"]
        if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
            raise PredictionsFormatError(f"{where}: task_id {shown(raw_id)} is not a string or integer.")
        if (not isinstance(completions, list) or not 1 <= len(completions) <= MOST_SAMPLES
                or not all(isinstance(c, str) for c in completions)):
            raise PredictionsFormatError(
                f'{where}: "completions" of task_id {shown(raw_id)} is {shown(completions, 60)}; give a list of 1 to '
                f'{MOST_SAMPLES} strings ("" for no output).')
        if rows and len(completions) != len(rows[0][2]):
            raise PredictionsFormatError(
                f"{where}: task_id {shown(raw_id)} has {len(completions)} completions, {rows[0][0]} has "
                f"{len(rows[0][2])}; give every problem the same number of samples n (pass@k needs one n).")
        rows.append((where, raw_id, completions))
    return rows


def write_generations(path: Path, ids: Sequence[Any], attempts: Sequence[Attempts]) -> None:
    """JSONL {"task_id", "completions"}, one line per problem."""
    path.write_text("".join(canonical_json({"task_id": example_id, "completions": list(a.completions)}) + "\n"
                            for example_id, a in zip(ids, attempts, strict=True)), encoding="utf-8")
