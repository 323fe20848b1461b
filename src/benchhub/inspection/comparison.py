"""Two models on the same examples: how far apart they are, where, and whether it is chance.

Both evaluations come from the cache (or run once). The metrics are the family's board metrics,
each with the paired bootstrap of `Task.paired_test` (the same resamples for both models), on the
split or on a slice of it re-scored from the stored rows (a slice of fewer than ten examples gets the
differences without intervals). The contingency table counts examples
each model gets exactly right (`Task.example_correct`), and McNemar's exact test asks whether the
discordant examples split evenly. Every example whose predictions differ is listed with its inputs.
"""

from __future__ import annotations

from math import comb
from typing import Any

from sqlalchemy.orm import Session

from benchhub.catalog.datasets import dataset_facts, get_dataset_row, load_split
from benchhub.errors import InvalidInputError
from benchhub.evaluation.evaluations import (
    evaluation_record,
    find_evaluation,
    run_evaluation,
)
from benchhub.inspection.examples import with_inputs
from benchhub.ranking.leaderboard import slice_positions
from benchhub.ranking.slices import slice_metrics
from benchhub.results import Comparison, Evaluation, MetricComparison
from benchhub.store.artifacts import ArtifactStore
from benchhub.tasks.registry import get_task

CELLS = ("both_right", "only_a", "only_b", "both_wrong")
# Below this many examples (a small slice) a bootstrap resamples a handful of values: no interval is given.
MIN_RESAMPLED_EXAMPLES = 10


def mcnemar_exact_pvalue(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value: the binomial test that the discordant examples split 50/50,
    ``min(1, 2 * P(X <= min(only_a, only_b)))`` for X ~ Binomial(only_a + only_b, 1/2); 1.0 without any."""
    for name, value in (("only_a", only_a), ("only_b", only_b)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidInputError(f"{name} must be a count (an int >= 0); got {value!r}.")
    n = only_a + only_b
    if n == 0:
        return 1.0
    tail = sum(comb(n, k) for k in range(min(only_a, only_b) + 1))
    return min(1.0, 2 * tail / 2**n)


def compare_models(session: Session, artifacts: ArtifactStore, *, model_a: str, model_b: str, dataset: str,
                   split: str = "test", slice: str | None = None, show_progress: bool = True,
                   run: bool = True) -> Comparison:
    """Compares two models on a split of a dataset (or on `slice` of it); see the module docstring.

    Each model's evaluation is the cached one, or runs now; with `run=False` (the server, which only
    reads) it is the newest stored one, and a model without one is refused naming the command to run.
    """
    if model_a == model_b:
        raise InvalidInputError(f"Both models are {model_a!r}; compare two different models.")
    if run:
        evaluations = [run_evaluation(session, artifacts, model=name, dataset=dataset, split=split,
                                      show_progress=show_progress) for name in (model_a, model_b)]
    else:
        evaluations = [evaluation_record(find_evaluation(session, model=name, dataset=dataset, split=split))
                       for name in (model_a, model_b)]
    dataset_row = get_dataset_row(session, dataset)
    task, facts = get_task(dataset_row.task), dataset_facts(dataset_row)
    split_data = load_split(artifacts, dataset_row, split)
    rows_a, rows_b = (_in_split_order(task, split_data, artifacts.read_jsonl_gz(artifacts.path(e.predictions_path)))
                      for e in evaluations)
    positions, description = (slice_positions(split_data, slice, task.name) if slice is not None
                              else (list(range(len(split_data))), None))
    rows_a, rows_b = [rows_a[i] for i in positions], [rows_b[i] for i in positions]
    values = _values(task, split_data, evaluations, (rows_a, rows_b), positions, facts, sliced=slice is not None)
    metrics, notes = [], []
    few = len(positions) < MIN_RESAMPLED_EXAMPLES
    if few:
        notes.append(f"Only {len(positions)} examples: too few to resample (at least {MIN_RESAMPLED_EXAMPLES}), so the "
                     "differences have no interval or p-value; McNemar's exact test holds at any size.")
    for metric in _metrics(task, values):
        a, b = values[0].get(metric), values[1].get(metric)
        if few:
            difference = a - b if a is not None and b is not None else None
            metrics.append(MetricComparison(metric, a, b, difference, None, None, None))
            continue
        test = task.paired_test(rows_a, rows_b, metric, facts)
        metrics.append(MetricComparison(
            metric, a, b, None if test is None else test.difference, None if test is None else test.ci_low,
            None if test is None else test.ci_high, None if test is None else test.p_value,
        ))
    contingency = dict.fromkeys(CELLS, 0)
    disagreements = []
    for row_a, row_b in zip(rows_a, rows_b, strict=True):
        right_a, right_b = task.example_correct(row_a), task.example_correct(row_b)
        contingency[_cell(right_a, right_b)] += 1
        if row_a["predicted"] != row_b["predicted"]:
            disagreements.append({"id": row_a["id"], "inputs": row_a["inputs"], "gold": row_a["gold"],
                                  "a": row_a["predicted"], "b": row_b["predicted"],
                                  "a_correct": right_a, "b_correct": right_b})
    # Where one model is right first (a's wins, then b's), then the rest, each in split order.
    disagreements.sort(key=lambda d: (not d["a_correct"] or d["b_correct"], not d["b_correct"] or d["a_correct"]))
    return Comparison(
        model_a=model_a, model_b=model_b, dataset=dataset, split=split, task=task.name, slice=description,
        examples=len(positions), metrics=metrics, contingency=contingency,
        mcnemar_p_value=mcnemar_exact_pvalue(contingency["only_a"], contingency["only_b"]),
        evaluations={model_a: evaluations[0].id, model_b: evaluations[1].id}, disagreements=disagreements,
        confidence=getattr(task, "confidence", 0.95), notes=notes,
    )


def _in_split_order(task: Any, split: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    joined = with_inputs(task, split, rows)
    if len(joined) != len(split):
        raise InvalidInputError(f"An evaluation has {len(joined)} rows for the {len(split)} examples of split {split.name!r}; "
                                "evaluate again.")
    return sorted(joined, key=lambda row: row["position"])


def _values(task: Any, split: Any, evaluations: list[Evaluation], rows: tuple[list[dict[str, Any]], ...],
            positions: list[int], facts: Any, *, sliced: bool) -> list[dict[str, float]]:
    """Each model's metric values: the evaluation's, or the slice's re-scored from the stored rows."""
    if not sliced:
        return [{name: entry["value"] for name, entry in e.metrics.items()} for e in evaluations]
    subset = split.subset(positions)
    scored = [slice_metrics(task, subset, list(model_rows), facts, {"slice": range(len(positions))}, min_size=1)["slice"]
              for model_rows in rows]
    return [{name: entry["value"] for name, entry in s["metrics"].items()} for s in scored]


def _metrics(task: Any, values: list[dict[str, float]]) -> list[str]:
    """The ranking metric, then the board's others, of those both models report."""
    names = [task.primary_metric, *(m for m in task.board_metrics if m != task.primary_metric)]
    return [m for m in names if m in values[0] and m in values[1]]


def _cell(right_a: bool, right_b: bool) -> str:
    if right_a and right_b:
        return "both_right"
    if right_a:
        return "only_a"
    return "only_b" if right_b else "both_wrong"

