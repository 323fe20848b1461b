"""'Top N models for task T': one ranking across every dataset of a task.

The rule: take the newest evaluation of each model on `split` of each dataset of the task, and
the task's primary metric of each (macro_f1 for text classification, f1 for question answering).
Baselines (models of kind `baseline`) are left out, and so are splits whose labels a hosted benchmark hides. A model's score is the mean of its values over
the datasets it was evaluated on; models rank by that mean, then by how many datasets they cover
(more first), then by name. Each row shows its per-dataset values, so a model seen on one easy
dataset can be told from one seen everywhere. `leaders` names the best model on each dataset.
Nothing is evaluated: the ranking reads stored results only.
"""

from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchhub.competitions.benchmarks import hidden_splits
from benchhub.errors import InvalidInputError, NotFoundError
from benchhub.evaluation.evaluations import latest_evaluations
from benchhub.results import TaskLeader, TaskRanking, TaskRankingRow
from benchhub.store.tables import DatasetRow, EvaluationRow
from benchhub.tasks.registry import TASKS

RULE = (
    "newest evaluation of each non-baseline model on the split of each dataset of the task; score = mean of the "
    "task's primary metric over the datasets the model was evaluated on; ties: more datasets first, then name"
)


def top_models_for_task(session: Session, *, task: str, split: str = "test", n: int = 10) -> TaskRanking:
    """Ranks models across every dataset of `task` by their mean primary metric (see the module docstring)."""
    if task not in TASKS:
        raise NotFoundError(f"Unknown task {task!r}; tasks are {', '.join(sorted(TASKS))}.")
    if n < 1:
        raise InvalidInputError(f"n must be an int in the range [1, inf). Got {n} instead.")
    metric = TASKS[task].primary_metric
    leaders: list[TaskLeader] = []
    values: dict[str, dict[str, float]] = {}
    kinds: dict[str, str] = {}
    for dataset in session.scalars(select(DatasetRow).where(DatasetRow.task == task).order_by(DatasetRow.name)):
        if not any(s.name == split for s in dataset.splits) or split in hidden_splits(session, dataset.name):
            continue  # no such split, or its ranking belongs to a hosted benchmark
        scored = [(e, _value(e, metric)) for e in latest_evaluations(session, dataset, split) if e.model.kind != "baseline"]
        scored = sorted(((e, v) for e, v in scored if v is not None), key=lambda pair: (-pair[1], pair[0].model.name))
        best = scored[0] if scored else None
        leaders.append(TaskLeader(
            dataset=dataset.name, model=best[0].model.name if best else None, value=best[1] if best else None,
            evaluation_id=best[0].id if best else None,
        ))
        for evaluation, value in scored:
            values.setdefault(evaluation.model.name, {})[dataset.name] = value
            kinds[evaluation.model.name] = evaluation.model.kind
    means = {model: sum(per.values()) / len(per) for model, per in values.items()}
    order = sorted(values, key=lambda model: (-means[model], -len(values[model]), model))
    rows = [
        TaskRankingRow(rank=rank, model=model, kind=kinds[model], mean=means[model], values=values[model])
        for rank, model in enumerate(order[:n], start=1)
    ]
    return TaskRanking(task=task, split=split, metric=metric, rule=RULE, leaders=leaders, rows=rows)


def _value(evaluation: EvaluationRow, metric: str) -> float | None:
    entry = evaluation.metrics.get(metric)
    if not entry or not math.isfinite(float(entry["value"])):
        return None
    return float(entry["value"])
