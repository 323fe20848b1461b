"""One evaluation's per-example rows with their inputs, filtered and sorted: the examples browser.

Rows come from the stored predictions file and the inputs from the hub's copy of the split (as
`Task.input_row` gives them to a benchmark's participants, without the gold). The family says what
a row's correctness, confidence and predicted labels are; slices are the leaderboard's (`--slice`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from benchhub.data.records import DatasetFacts, Split
from benchhub.errors import InvalidInputError
from benchhub.naming import quoted
from benchhub.ranking.leaderboard import slice_positions
from benchhub.tasks.base import Task

# Split order; the most confident first (with --errors: the classic "most confident errors"); the least first.
SORTS = ("split", "confidence", "-confidence")


@dataclass(frozen=True)
class ExampleQuery:
    """Which rows to show: only the wrong ones, those with a gold or predicted label, those of a slice; in which order."""

    errors: bool = False
    gold: str | None = None
    predicted: str | None = None
    slice: str | None = None
    sort: str = "split"

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise InvalidInputError(f"--sort {quoted(self.sort)} is not an order; use one of {', '.join(SORTS)}.")


def with_inputs(task: Task, split: Split, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each stored row with `inputs` (the example's inputs, no id) and its `position` in the split; rows are
    matched to the split by id, so a row of an example the split no longer has is refused."""
    position = {str(example_id): index for index, example_id in enumerate(split.ids)}
    joined = []
    for row in rows:
        index = position.get(str(row["id"]))
        if index is None:
            raise InvalidInputError(f"Stored row {row['id']!r} names no example of split {split.name!r}; "
                                    "the dataset changed since the evaluation; evaluate again.")
        inputs = {key: value for key, value in task.input_row(split, index, with_gold=False).items() if key != "id"}
        joined.append({**row, "position": index, "inputs": inputs})
    return joined


def select_examples(task: Task, split: Split, rows: list[dict[str, Any]], facts: DatasetFacts,
                    query: ExampleQuery) -> tuple[list[dict[str, Any]], str | None]:
    """The rows (joined with their inputs) that `query` keeps, in its order, and the slice's description."""
    chosen = with_inputs(task, split, rows)
    description = None
    if query.slice is not None:
        positions, description = slice_positions(split, query.slice, task.name)
        keep = set(positions)
        chosen = [row for row in chosen if row["position"] in keep]
    if query.errors:
        chosen = [row for row in chosen if not task.example_correct(row)]
    if query.gold is not None:
        gold = task.example_labels(split)
        _check_label("--gold", query.gold, set().union(*gold) if gold else set())
        chosen = [row for row in chosen if query.gold in gold[row["position"]]]
    if query.predicted is not None:
        predicted = [task.predicted_labels(row) for row in chosen]
        chosen = [row for row, labels in zip(chosen, predicted, strict=True) if query.predicted in labels]
    for row in chosen:
        row["confidence"] = task.example_confidence(row)
    if query.sort != "split":
        if all(row["confidence"] is None for row in chosen) and chosen:
            raise InvalidInputError(f"--sort {query.sort}: this model gave no confidences (a predictions file or rules); "
                                    "sort by split order instead.")
        sign = -1.0 if query.sort == "confidence" else 1.0
        # Rows without a confidence go last; ties keep split order.
        chosen.sort(key=lambda row: (row["confidence"] is None or math.isnan(row["confidence"]),
                                     sign * (row["confidence"] or 0.0), row["position"]))
    return chosen, description


def _check_label(option: str, value: str, present: set[str]) -> None:
    if value not in present:
        raise InvalidInputError(f"{option} {quoted(value)} is no gold label of this split; it has "
                                f"{', '.join(sorted(present)[:30]) or 'none'}.")
