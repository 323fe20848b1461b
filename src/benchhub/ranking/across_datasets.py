"""'Top N models for task T': one ranking across every dataset of a task.

The rule: take the newest evaluation of each model on `split` of each dataset of the task, and
the task's primary metric of each (macro_f1 for text classification, f1 for question answering).
Baselines (models of kind `baseline`) are left out, and so are splits whose labels a hosted benchmark hides.
Each row shows its per-dataset values, so a model seen on one easy dataset can be told from one seen
everywhere, and its rank on each dataset. `leaders` names the best model on each dataset. Nothing is
evaluated: the ranking reads stored results only.

How the datasets are combined (`aggregate`):

- `mean` (the default): a model's score is the mean of its values over the datasets it was evaluated on.
- `mean-rank`: on each dataset the models evaluated there are ranked by the metric (1 = best; tied values
  share the average of the ranks they span, e.g. two models tied for second both get 2.5); a model's score is
  the mean of its ranks over the datasets it was evaluated on, and lower is better. A dataset a model was
  not evaluated on is left out of its mean (it is not counted as a last place).
- `borda`: on each dataset a model gets one point for every model evaluated there that it beats and half a
  point for every one it ties with (n - rank, with the average ranks above and n models on that dataset); a
  model gets 0 points on a dataset it was not evaluated on. Its score is the sum, and higher is better, so a
  missing dataset costs the points it could have won there.

Ties of the score go to the model evaluated on more datasets, then by name. Where the family declares the metric
lower-is-better (perplexity), "best" and "beats" mean lowest: the mean ranks lowest first.
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
from benchhub.tasks.base import metric_sign
from benchhub.tasks.registry import TASKS

_SOURCE = "newest evaluation of each non-baseline model on the split of each dataset of the task; "
_TIES = "; ties: more datasets first, then name"
RULES = {
    "mean": _SOURCE + "score = mean of the task's primary metric over the datasets the model was evaluated on" + _TIES,
    "mean-rank": _SOURCE + "score = mean of the model's rank by the primary metric on each dataset it was evaluated on "
                 "(1 = best, tied values share their average rank; datasets it was not evaluated on are left out), "
                 "lower is better" + _TIES,
    "borda": _SOURCE + "score = Borda count: on each dataset, one point per model evaluated there that it beats and half a "
             "point per tie (n - average rank), 0 on a dataset it was not evaluated on; summed, higher is better" + _TIES,
}
AGGREGATES = tuple(RULES)


def top_models_for_task(session: Session, *, task: str, split: str = "test", n: int = 10,
                        aggregate: str = "mean") -> TaskRanking:
    """Ranks models across every dataset of `task` by `aggregate` of their primary metric: the mean, the mean
    rank or the Borda count (see the module docstring)."""
    if task not in TASKS:
        raise NotFoundError(f"Unknown task {task!r}; tasks are {', '.join(sorted(TASKS))}.")
    if n < 1:
        raise InvalidInputError(f"n must be an int in the range [1, inf). Got {n} instead.")
    if aggregate not in RULES:
        raise InvalidInputError(f"Aggregate {str(aggregate)[:40]!r} is not one of {', '.join(AGGREGATES)}.")
    metric = TASKS[task].primary_metric
    sign = metric_sign(TASKS[task], metric)  # -1 where lower is better (perplexity)
    leaders: list[TaskLeader] = []
    values: dict[str, dict[str, float]] = {}
    kinds: dict[str, str] = {}
    for dataset in session.scalars(select(DatasetRow).where(DatasetRow.task == task).order_by(DatasetRow.name)):
        if not any(s.name == split for s in dataset.splits) or split in hidden_splits(session, dataset.name):
            continue  # no such split, or its ranking belongs to a hosted benchmark
        scored = [(e, _value(e, metric)) for e in latest_evaluations(session, dataset, split) if e.model.kind != "baseline"]
        scored = sorted(((e, v) for e, v in scored if v is not None), key=lambda pair: (-sign * pair[1], pair[0].model.name))
        best = scored[0] if scored else None
        leaders.append(TaskLeader(
            dataset=dataset.name, model=best[0].model.name if best else None, value=best[1] if best else None,
            evaluation_id=best[0].id if best else None,
        ))
        for evaluation, value in scored:
            values.setdefault(evaluation.model.name, {})[dataset.name] = value
            kinds[evaluation.model.name] = evaluation.model.kind
    means = {model: sum(per.values()) / len(per) for model, per in values.items()}
    scores, ranks = aggregate_scores(values, aggregate, sign=sign)
    rows = [
        TaskRankingRow(rank=rank, model=model, kind=kinds[model], mean=means[model], values=values[model],
                       score=scores[model], ranks=ranks[model])
        for rank, model in enumerate(ranking_order(values, scores, aggregate, sign=sign)[:n], start=1)
    ]
    return TaskRanking(task=task, split=split, metric=metric, rule=RULES[aggregate], leaders=leaders, rows=rows)


def aggregate_scores(values: dict[str, dict[str, float]], aggregate: str, *,
                     sign: float = 1.0) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Each model's score under `aggregate` (see the module docstring), and its rank on each dataset it was
    evaluated on; `values` maps a model to its primary metric by dataset (`sign` -1 where lower is better)."""
    ranks: dict[str, dict[str, float]] = {model: {} for model in values}
    sizes: dict[str, int] = {}
    for dataset in sorted({name for per in values.values() for name in per}):
        scored = {model: per[dataset] for model, per in values.items() if dataset in per}
        sizes[dataset] = len(scored)
        for model, rank in average_ranks({model: sign * value for model, value in scored.items()}).items():
            ranks[model][dataset] = rank
    if aggregate == "mean":
        return {model: sum(per.values()) / len(per) for model, per in values.items()}, ranks
    if aggregate == "mean-rank":
        return {model: sum(per.values()) / len(per) for model, per in ranks.items()}, ranks
    if aggregate == "borda":
        return {model: sum(sizes[dataset] - rank for dataset, rank in per.items()) for model, per in ranks.items()}, ranks
    raise InvalidInputError(f"Aggregate {str(aggregate)[:40]!r} is not one of {', '.join(AGGREGATES)}.")


def ranking_order(values: dict[str, dict[str, float]], scores: dict[str, float], aggregate: str, *,
                  sign: float = 1.0) -> list[str]:
    """The models best first: by score (a lower mean rank is better; a higher mean or Borda count, or a lower mean
    where `sign` is -1, a lower-is-better metric), then by the number of datasets (more first), then by name."""
    better = -1.0 if aggregate == "mean-rank" else sign if aggregate == "mean" else 1.0
    return sorted(values, key=lambda model: (-better * scores[model], -len(values[model]), model))


def average_ranks(values: dict[str, float]) -> dict[str, float]:
    """Each key's rank by value, highest first (1 = best); tied values share the mean of the ranks they span."""
    order = sorted(values, key=lambda key: -values[key])
    ranks: dict[str, float] = {}
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for key in order[start:end + 1]:
            ranks[key] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def _value(evaluation: EvaluationRow, metric: str) -> float | None:
    entry = evaluation.metrics.get(metric)
    if not entry or not math.isfinite(float(entry["value"])):
        return None
    return float(entry["value"])
