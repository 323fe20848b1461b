"""Slices: a task's metrics, with CIs, on subsets of one evaluated split.

A slice is a name and the 0-based positions of its examples in the split. Slices come from a
column's values (`slice_by_column`) or from text length in words (`slice_by_length`);
`slice_metrics` re-scores each subset with the task itself, so a slice's numbers mean exactly
what the evaluation's numbers mean.

A slice under `MIN_SLICE_SIZE` examples is still scored, but its CIs are dropped (None) and it is
flagged `"too_small": True`: a bootstrap over a handful of examples says little.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError

if TYPE_CHECKING:
    from benchhub.data.records import DatasetFacts
    from benchhub.tasks.base import Task

MISSING = "(missing)"
MIN_SLICE_SIZE = 10
DEFAULT_LENGTH_EDGES = (0, 10, 20, 40, math.inf)


def slice_by_column(values: Sequence[Any]) -> dict[str, list[int]]:
    """Return the positions of each distinct value, keyed by ``str(value)``.

    None, "" and NaN count as `MISSING`. Keys are sorted, `MISSING` last.
    """
    groups: dict[str, list[int]] = {}
    for index, value in enumerate(values):
        groups.setdefault(_key(value), []).append(index)
    return {key: groups[key] for key in sorted(groups, key=lambda k: (k == MISSING, k))}


def slice_by_length(texts: Sequence[str | None], edges: Sequence[float] = DEFAULT_LENGTH_EDGES) -> dict[str, list[int]]:
    """Return the positions of the texts in each word-count bucket ``[edges[i], edges[i + 1])``.

    Words are ``str.split()`` tokens (a missing text has 0). Edges must be integers rising
    from 0 to ``math.inf``, so every text lands in one bucket; every bucket is returned, empty
    ones too, labelled "0-9 words", "10-19 words", ..., "40+ words".
    """
    edges = _check_edges(edges)
    counts = np.array([len(text.split()) if text else 0 for text in texts], dtype=np.int64)
    bucket = np.searchsorted(np.array(edges[1:-1], dtype=np.float64), counts, side="right")
    return {
        _length_label(edges[i], edges[i + 1]): np.flatnonzero(bucket == i).tolist()
        for i in range(len(edges) - 1)
    }


def slice_metrics(
    task: Task,
    split: Split,
    predictions: Any,
    facts: DatasetFacts,
    slices: Mapping[str, Sequence[int]],
    *,
    min_size: int = MIN_SLICE_SIZE,
) -> dict[str, dict[str, Any]]:
    """Return, per slice, ``{"n", "too_small", "metrics"}`` with the task's metrics on that subset.

    ``predictions`` are the evaluation's stored per-example rows in split order (what
    ``task.score(...).examples`` gives), or the task's own predictions (what ``task.collect``
    gives). An empty slice gets ``{"n": 0, "too_small": True, "metrics": {}}``.
    """
    if isinstance(min_size, bool) or not isinstance(min_size, int) or min_size < 1:
        raise InvalidInputError(f"min_size must be an integer of at least 1; got {min_size!r}.")
    predictions = _task_predictions(task, split, predictions, facts)
    results = {}
    for name, indices in slices.items():
        positions = _check_indices(name, indices, len(split))
        if not positions:
            results[name] = {"n": 0, "too_small": True, "metrics": {}}
            continue
        scored = task.score(subset_split(split, positions), _take(predictions, positions), facts)
        too_small = len(positions) < min_size
        metrics = {
            metric: {**entry, "ci_low": None, "ci_high": None} if too_small else dict(entry)
            for metric, entry in scored.metrics.items()
        }
        results[name] = {"n": len(positions), "too_small": too_small, "metrics": metrics}
    return results


def subset_split(split: Split, positions: Sequence[int]) -> Split:
    """Return the split of the examples at ``positions``, in that order."""
    return split.subset(positions)


def _task_predictions(task: Task, split: Split, predictions: Any, facts: DatasetFacts) -> Any:
    """Return what ``task.score`` takes, rebuilt from stored rows when rows are given."""
    if len(predictions) != len(split):
        raise InvalidInputError(
            f"predictions must hold one entry per example of split {split.name!r} ({len(split)}); got {len(predictions)}."
        )
    if not len(predictions) or not isinstance(predictions[0], Mapping):
        return predictions
    for row, example_id in zip(predictions, split.ids):
        if row.get("id") != example_id:
            raise InvalidInputError(
                f"Stored rows must follow the split's order; row for {row.get('id')!r} found where {example_id!r} belongs."
            )
    return task.predictions_from_rows(list(predictions), facts)


def _take(predictions: Any, positions: list[int]) -> Any:
    if isinstance(predictions, np.ndarray):
        return predictions[positions]
    return [predictions[i] for i in positions]


def _check_indices(name: str, indices: Sequence[int], n: int) -> list[int]:
    positions = [int(i) for i in indices]
    bad = next((i for i in positions if not 0 <= i < n), None)
    if bad is not None:
        raise InvalidInputError(f"Slice {name!r} holds position {bad}, outside the split's [0, {n}).")
    return positions


def _key(value: Any) -> str:
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return str(value)


def _check_edges(edges: Sequence[float]) -> list[float]:
    edges = list(edges)
    inner_ok = all(isinstance(e, (int, np.integer)) and not isinstance(e, bool) for e in edges[:-1])
    if (len(edges) < 2 or not inner_ok or edges[0] != 0 or edges[-1] != math.inf
            or any(b <= a for a, b in zip(edges, edges[1:]))):
        raise InvalidInputError(
            f"edges must be integers rising from 0 and ending with math.inf, e.g. (0, 10, 20, 40, inf); got {edges!r}."
        )
    return edges


def _length_label(lower: float, upper: float) -> str:
    if upper == math.inf:
        return f"{lower}+ words"
    return f"{lower}-{int(upper) - 1} words"
