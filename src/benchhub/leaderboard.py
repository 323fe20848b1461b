"""Ranking the evaluations of one dataset split, with baselines as reference rows.

Every row carries its CI; rows whose difference from the leader is not significant under a
paired bootstrap on per-example outcomes (p >= 0.05) are marked as tied with the leader.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from benchhub.dataset_service import get_dataset_row, load_split
from benchhub.errors import BenchhubError, InvalidInputError
from benchhub.evaluation_service import TRAIN_SPLIT, dataset_facts, latest_evaluations, run_evaluation
from benchhub.model_service import BASELINE_PREFIX, BUILTIN_BASELINES
from benchhub.results import Leaderboard, LeaderboardRow
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.tables import EvaluationRow
from benchhub.tasks.registry import get_task

ALPHA = 0.05


def build_leaderboard(session: Session, artifacts: ArtifactStore, *, dataset: str, split: str = "test",
                      metric: str | None = None, top: int | None = None, with_baselines: bool = True,
                      show_progress: bool = True) -> Leaderboard:
    """Ranks the newest evaluation of every model on `dataset`/`split` by `metric` (the task's primary by default)."""
    dataset_row = get_dataset_row(session, dataset)
    load_split(artifacts, dataset_row, split)
    task = get_task(dataset_row.task)
    metric = metric or task.primary_metric
    if metric not in task.metrics:
        raise InvalidInputError(f"Metric {metric!r} is not reported for {task.name}; choose one of {', '.join(task.metrics)}.")
    if top is not None and top < 1:
        raise InvalidInputError(f"--top must be an int in the range [1, inf). Got {top} instead.")
    notes = []
    if with_baselines:
        if any(s.name == TRAIN_SPLIT for s in dataset_row.splits):
            for baseline in BUILTIN_BASELINES:
                run_evaluation(session, artifacts, model=BASELINE_PREFIX + baseline, dataset=dataset, split=split,
                               show_progress=show_progress)
        else:
            notes.append(f"No baselines: dataset {dataset!r} has no {TRAIN_SPLIT!r} split to train them on.")
    evaluations = sorted(latest_evaluations(session, dataset_row, split), key=lambda r: (-r.metrics[metric]["value"], r.id))
    facts = dataset_facts(dataset_row)
    leader_rows = _examples(artifacts, evaluations[0]) if evaluations else None
    rows = []
    for rank, evaluation in enumerate(evaluations, start=1):
        p_value = None
        if rank > 1 and leader_rows is not None:
            p_value = task.paired_pvalue(leader_rows, _examples(artifacts, evaluation), metric, facts)
        rows.append(LeaderboardRow(
            rank=rank, model=evaluation.model.name, kind=evaluation.model.kind,
            baseline=evaluation.model.kind == "baseline", metrics=dict(evaluation.metrics),
            efficiency=dict(evaluation.efficiency), evaluation_id=evaluation.id, p_value_vs_leader=p_value,
            tied_with_leader=bool(p_value is not None and p_value >= ALPHA),
        ))
    if top is not None:
        kept, models = [], 0
        for row in rows:
            if row.baseline or models < top:
                kept.append(row)
                models += not row.baseline
        rows = kept
    return Leaderboard(dataset=dataset, split=split, task=task.name, metric=metric, rows=rows, notes=notes)


def _examples(artifacts: ArtifactStore, evaluation: EvaluationRow) -> list[dict[str, Any]]:
    try:
        examples = artifacts.read_jsonl_gz(artifacts.path(evaluation.predictions_path))
    except OSError as exc:
        raise BenchhubError(
            f"Per-example predictions of evaluation {evaluation.id} are missing ({evaluation.predictions_path}); "
            f"rerun it with --no-cache."
        ) from exc
    return examples
