"""The read API: datasets, models, evaluations, per-example results, leaderboards, top models per task.

Datasets, models, leaderboards and task rankings are public; evaluations need a signed-in user.
What covers or is computed from hidden labels (fingerprints, metrics, probe results, per-example rows,
rankings of a hidden split) is shown as `permissions.Viewer` allows. No GET runs a model:
leaderboards and rankings are built from stored evaluations only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from benchhub.catalog import datasets as dataset_service
from benchhub.catalog import models as model_service
from benchhub.errors import ModelNotFoundError, PermissionDeniedError
from benchhub.evaluation import lookup as evaluation_lookup
from benchhub.evaluation.evaluations import evaluation_record, find_evaluation
from benchhub.evaluation.probing import latest_probe_runs, probe_report
from benchhub.inspection.comparison import compare_models
from benchhub.inspection.examples import ExampleQuery, select_examples
from benchhub.ranking import across_datasets as task_ranking
from benchhub.ranking import leaderboard
from benchhub.server.auth import OptionalUser, RequiredUser
from benchhub.server.dependencies import HubDep, SessionDep
from benchhub.server.errors import error_responses
from benchhub.server.params import (
    DatasetName,
    EvaluationId,
    Limit,
    Offset,
    Top,
    declared,
)
from benchhub.server.permissions import ViewerDep
from benchhub.server.views import dataset_view, evaluation_view, model_view
from benchhub.store.tables import ModelRow
from benchhub.tasks.registry import get_task

router = APIRouter(prefix="/api")
Weights = Annotated[str | None, Query(max_length=500, description="Rank by a Dynascore: COLUMN:WEIGHT pairs joined by commas, "
                                                                 "e.g. metric:1,latency_b1:0.5 (columns left out weigh 0).")]


@router.get("/datasets", tags=["datasets"], responses=error_responses(401))
def list_datasets(session: SessionDep, viewer: ViewerDep) -> list[dict[str, Any]]:
    """Every registered dataset's metadata, by name."""
    return [dataset_view(info, viewer) for info in dataset_service.list_datasets(session)]


@router.get("/datasets/{name}", tags=["datasets"], responses=error_responses(401, 404, 422))
def get_dataset(name: DatasetName, session: SessionDep, viewer: ViewerDep) -> dict[str, Any]:
    """A dataset's task, label names, columns, and splits with row counts and fingerprints (keyed digests where
    they cover labels a hosted benchmark hides from you); never its rows."""
    return dataset_view(dataset_service.dataset_info(dataset_service.get_dataset_row(session, name)), viewer)


@router.get("/models", tags=["models"], responses=error_responses(401))
def list_models(session: SessionDep, viewer: ViewerDep) -> list[dict[str, Any]]:
    """Every registered model (built-in baselines appear once used), by name."""
    return [model_view(record, viewer) for record in model_service.list_models(session)]


@router.get("/models/{name}", tags=["models"], responses=error_responses(401, 404, 422))
def get_model(name: str, session: SessionDep, viewer: ViewerDep) -> dict[str, Any]:
    """A model's kind, fingerprint, parent and label facts."""
    # Not model_service.get_model_row: it registers a built-in baseline on first use, and a GET changes nothing.
    row = session.scalar(select(ModelRow).where(ModelRow.name == name))
    if row is None:
        raise ModelNotFoundError(f"No model named {name!r}; GET /api/models lists them (built-in baselines appear once used).")
    return model_view(model_service.model_record(row), viewer)


@router.get("/models/{name}/probes", tags=["models"], responses=error_responses(401, 404, 422))
def get_model_probes(name: str, session: SessionDep, viewer: ViewerDep) -> list[dict[str, Any]]:
    """The newest probe run of the model on each dataset split: per-probe results, calibration and summary.
    On a split whose labels a hosted benchmark hides from you, results and summary are empty and `hidden` says why."""
    row = session.scalar(select(ModelRow).where(ModelRow.name == name))
    if row is None:
        raise ModelNotFoundError(f"No model named {name!r}; GET /api/models lists them (built-in baselines appear once used).")
    reports = [probe_report(run, cached_run=False) for run in latest_probe_runs(session, row.id)]
    return [{**viewer.probe_report(report).to_dict(), "hidden": viewer.reason(report.dataset, report.split)}
            for report in reports]


@router.get("/evaluations", tags=["evaluations"], responses=error_responses(401, 404, 422))
def list_evaluations(session: SessionDep, user: RequiredUser, viewer: ViewerDep, model: str | None = None,
                     dataset: str | None = None, split: str | None = None, limit: Limit = 100,
                     offset: Offset = 0) -> list[dict[str, Any]]:
    """Stored evaluations, newest first, optionally of one model, dataset and split. On a split whose labels a
    hosted benchmark hides from you, metrics, details and efficiency are empty and `hidden` says why."""
    found = evaluation_lookup.list_evaluations(session, model=model, dataset=dataset, split=split, limit=limit, offset=offset)
    return [evaluation_view(evaluation, viewer) for evaluation in found]


@router.get("/evaluations/{evaluation_id}", tags=["evaluations"], responses=error_responses(401, 404, 422))
def get_evaluation(evaluation_id: EvaluationId, session: SessionDep, user: RequiredUser, viewer: ViewerDep) -> dict[str, Any]:
    """One evaluation: metrics with CIs, details, efficiency, provenance (as `GET /api/evaluations` shows them)."""
    return evaluation_view(evaluation_record(evaluation_lookup.get_evaluation_row(session, evaluation_id)), viewer)


@router.get("/evaluations/{evaluation_id}/examples", tags=["evaluations"], responses=error_responses(400, 401, 403, 404, 422))
def get_evaluation_examples(evaluation_id: EvaluationId, session: SessionDep, hub: HubDep, user: RequiredUser, viewer: ViewerDep,
                            limit: Limit = 100, offset: Offset = 0,
                            errors: Annotated[bool, Query(description="Only the examples the model got wrong.")] = False,
                            gold: Annotated[str | None, Query(max_length=200, description="Only examples with this gold label.")] = None,
                            predicted: Annotated[str | None, Query(max_length=200, description="Only examples given this label.")] = None,
                            slice: Annotated[str | None, Query(max_length=200, description="Only a slice: length=10-19, label=VALUE, column=NAME:VALUE.")] = None,
                            sort: Annotated[str, Query(max_length=20, description="split, confidence (most confident first) or -confidence.")] = "split",
                            ) -> dict[str, Any]:
    """One page of an evaluation's per-example rows: id, inputs, gold, predicted, confidence and the task's
    per-example scores; filtered and sorted as `benchhub predictions` does."""
    row = evaluation_lookup.get_evaluation_row(session, evaluation_id)
    if not viewer.may_read_examples(row):
        raise PermissionDeniedError(f"User {user.name!r} may not read the per-example results of evaluation {evaluation_id}.")
    query = ExampleQuery(errors=errors, gold=gold, predicted=predicted, slice=slice, sort=sort)
    split = dataset_service.load_split(hub.artifacts, row.dataset, row.split)
    examples, _ = select_examples(get_task(row.dataset.task), split, evaluation_lookup.evaluation_examples(hub.artifacts, row),
                                  dataset_service.dataset_facts(row.dataset), query)
    return {
        "evaluation_id": row.id, "total": len(examples), "offset": offset, "limit": limit,
        "examples": examples[offset:offset + limit],
    }


@router.get("/compare", tags=["evaluations"], responses=error_responses(400, 401, 403, 404, 422))
def compare(session: SessionDep, hub: HubDep, user: RequiredUser, viewer: ViewerDep,
            a: Annotated[str, Query(max_length=200, description="A model.")],
            b: Annotated[str, Query(max_length=200, description="The model to compare it with.")],
            dataset: Annotated[str, Query(max_length=200, description="A dataset.")],
            split: Annotated[str, Query(max_length=100, description="Its split.")] = "test",
            slice: Annotated[str | None, Query(max_length=200, description="A slice, as for leaderboards.")] = None,
            ) -> dict[str, Any]:
    """Two models' newest evaluations on a split compared: each metric's paired difference with its CI and p-value,
    the contingency table of exactly right examples with McNemar's exact test, and the examples where they disagree."""
    for name in (a, b):
        row = find_evaluation(session, model=name, dataset=dataset, split=split)
        if not viewer.may_read_examples(row):
            raise PermissionDeniedError(f"User {user.name!r} may not read the per-example results of {name} on {dataset}/{split}.")
    return compare_models(session, hub.artifacts, model_a=a, model_b=b, dataset=dataset, split=split, slice=slice,
                          show_progress=False, run=False).to_dict()


@router.get("/leaderboards/{dataset}", tags=["leaderboards"], responses=error_responses(401, 403, 404, 422))
def get_leaderboard(dataset: DatasetName, session: SessionDep, hub: HubDep, viewer: ViewerDep, split: str = "test",
                    metric: str | None = None,
                    top: Top = None,
                    slice: Annotated[str | None, Query(description="length=10-19 (words) or label=VALUE: rank on that slice.")] = None,
                    weights: Weights = None,
                    ) -> dict[str, Any]:
    """A split's ranking of stored evaluations, with CIs, significance against the leader and speed.

    With `weights` (COLUMN:WEIGHT pairs: `metric` is the ranked metric, other metrics by name, `latency_b1`,
    `throughput_b32`, `size`, `flip_rate`, `worst_change`, `ece`) rows rank by their Dynascore, and `dynascore`
    says how it was computed (each column's AMRS against the metric). Baselines appear once evaluated
    (`benchhub leaderboard` evaluates missing ones; this GET does not). A split whose labels a hosted benchmark
    hides is ranked on the benchmark's boards instead (its maintainers see both).
    """
    if not viewer.may_rank(dataset, split):
        raise PermissionDeniedError(f"The {viewer.reason(dataset, split)}; its rankings are that benchmark's boards "
                                    f"(GET /api/benchmarks/NAME/board).")
    board = leaderboard.build_leaderboard(
        session, hub.artifacts, dataset=dataset, split=split, metric=metric, top=top, with_baselines=False,
        show_progress=False, slice=slice, weights=weights,
    )
    return board.to_dict()


@router.get("/tasks/{task}/top", tags=["leaderboards"], responses=error_responses(401, 404, 422))
def get_task_top(task: str, session: SessionDep, user: OptionalUser, split: str = "test",
                 n: Annotated[int, Query(ge=1, le=100, description="How many models.")] = 10,
                 aggregate: Annotated[str, Query(description="mean (of the primary metric), mean-rank (average ranks for ties) "
                                                             "or borda (points per model beaten, half per tie)",
                                                 **declared(enum=list(task_ranking.AGGREGATES)))] = "mean",
                 ) -> dict[str, Any]:
    """The top N models for a task across its datasets, by `aggregate` of the primary metric: its mean over the
    datasets each model was evaluated on (the default), the mean of its per-dataset ranks (datasets it was not
    evaluated on left out), or its Borda count (0 points on a dataset it was not evaluated on).

    Baselines are left out; ties go to the model evaluated on more datasets, then by name. `leaders`
    names the best model on each dataset, and each row lists its per-dataset values and ranks.
    """
    return task_ranking.top_models_for_task(session, task=task, split=split, n=n, aggregate=aggregate).to_dict()
