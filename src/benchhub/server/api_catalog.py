"""The read API: datasets, models, evaluations, per-example results, leaderboards, top models per task.

Datasets, models, leaderboards and task rankings are public; evaluations need a signed-in user,
and per-example rows (which carry gold labels) also `permissions.can_see_examples`. No GET runs
a model: leaderboards and rankings are built from stored evaluations only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from benchhub import dataset_service, evaluation_lookup, leaderboard, model_service, task_ranking
from benchhub.errors import ModelNotFoundError, PermissionDeniedError
from benchhub.benchmark_service import may_see_labels
from benchhub.evaluation_service import evaluation_record
from benchhub.probe_service import latest_probe_runs, probe_report
from benchhub.server.auth import OptionalUser, RequiredUser
from benchhub.server.dependencies import HubDep, SessionDep
from benchhub.server.errors import error_responses
from benchhub.server.params import DatasetName, EvaluationId, Limit, Offset, Top
from benchhub.server.permissions import can_see_details, can_see_examples, can_see_ranking
from benchhub.server.views import dataset_view, evaluation_view, model_view
from benchhub.store.tables import ModelRow

router = APIRouter(prefix="/api")


@router.get("/datasets", tags=["datasets"], responses=error_responses(401))
def list_datasets(session: SessionDep, user: OptionalUser) -> list[dict[str, Any]]:
    """Every registered dataset's metadata, by name."""
    return [dataset_view(info) for info in dataset_service.list_datasets(session)]


@router.get("/datasets/{name}", tags=["datasets"], responses=error_responses(401, 404, 422))
def get_dataset(name: DatasetName, session: SessionDep, user: OptionalUser) -> dict[str, Any]:
    """A dataset's task, label names, columns, and splits with row counts and fingerprints; never its rows."""
    return dataset_view(dataset_service.dataset_info(dataset_service.get_dataset_row(session, name)))


@router.get("/models", tags=["models"], responses=error_responses(401))
def list_models(session: SessionDep, user: OptionalUser) -> list[dict[str, Any]]:
    """Every registered model (built-in baselines appear once used), by name."""
    return [model_view(record) for record in model_service.list_models(session)]


@router.get("/models/{name}", tags=["models"], responses=error_responses(401, 404, 422))
def get_model(name: str, session: SessionDep, user: OptionalUser) -> dict[str, Any]:
    """A model's kind, fingerprint, parent and label facts."""
    # Not model_service.get_model_row: it registers a built-in baseline on first use, and a GET changes nothing.
    row = session.scalar(select(ModelRow).where(ModelRow.name == name))
    if row is None:
        raise ModelNotFoundError(f"No model named {name!r}; GET /api/models lists them (built-in baselines appear once used).")
    return model_view(model_service.model_record(row))


@router.get("/models/{name}/probes", tags=["models"], responses=error_responses(401, 404, 422))
def get_model_probes(name: str, session: SessionDep, user: OptionalUser) -> list[dict[str, Any]]:
    """The newest probe run of the model on each dataset split: per-probe results, calibration and summary.
    Splits whose labels a hosted benchmark hides are left out (their maintainers see them)."""
    row = session.scalar(select(ModelRow).where(ModelRow.name == name))
    if row is None:
        raise ModelNotFoundError(f"No model named {name!r}; GET /api/models lists them (built-in baselines appear once used).")
    return [probe_report(run, cached_run=False).to_dict() for run in latest_probe_runs(session, row.id)
            if may_see_labels(session, user, run.dataset_id, run.split)]


@router.get("/evaluations", tags=["evaluations"], responses=error_responses(401, 404, 422))
def list_evaluations(session: SessionDep, user: RequiredUser, model: str | None = None, dataset: str | None = None,
                     split: str | None = None, limit: Limit = 100, offset: Offset = 0) -> list[dict[str, Any]]:
    """Stored evaluations, newest first, optionally of one model, dataset and split."""
    found = evaluation_lookup.list_evaluations(session, model=model, dataset=dataset, split=split, limit=limit, offset=offset)
    return [_shown(session, user, evaluation_lookup.get_evaluation_row(session, evaluation.id)) for evaluation in found]


@router.get("/evaluations/{evaluation_id}", tags=["evaluations"], responses=error_responses(401, 404, 422))
def get_evaluation(evaluation_id: EvaluationId, session: SessionDep, user: RequiredUser) -> dict[str, Any]:
    """One evaluation: metrics with CIs, details, efficiency, provenance."""
    return _shown(session, user, evaluation_lookup.get_evaluation_row(session, evaluation_id))


def _shown(session: Any, user: Any, row: Any) -> dict[str, Any]:
    """An evaluation as `user` may see it: without details (e.g. a confusion matrix) on a hidden split."""
    view = evaluation_view(evaluation_record(row))
    if not can_see_details(session, user, row):
        view["details"] = {"hidden": "this split's labels are hidden by a hosted benchmark"}
    return view


@router.get("/evaluations/{evaluation_id}/examples", tags=["evaluations"], responses=error_responses(400, 401, 403, 404, 422))
def get_evaluation_examples(evaluation_id: EvaluationId, session: SessionDep, hub: HubDep, user: RequiredUser,
                            limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    """One page of an evaluation's per-example rows: id, gold, predicted, and the task's per-example scores."""
    row = evaluation_lookup.get_evaluation_row(session, evaluation_id)
    if not can_see_examples(session, user, row):
        raise PermissionDeniedError(f"User {user.name!r} may not read the per-example results of evaluation {evaluation_id}.")
    examples = evaluation_lookup.evaluation_examples(hub.artifacts, row)
    return {
        "evaluation_id": row.id, "total": len(examples), "offset": offset, "limit": limit,
        "examples": examples[offset:offset + limit],
    }


@router.get("/leaderboards/{dataset}", tags=["leaderboards"], responses=error_responses(401, 403, 404, 422))
def get_leaderboard(dataset: DatasetName, session: SessionDep, hub: HubDep, user: OptionalUser, split: str = "test",
                    metric: str | None = None,
                    top: Top = None,
                    slice: Annotated[str | None, Query(description="length=10-19 (words) or label=VALUE: rank on that slice.")] = None,
                    ) -> dict[str, Any]:
    """A split's ranking of stored evaluations, with CIs, significance against the leader and speed.

    Baselines appear once evaluated (`benchhub leaderboard` evaluates missing ones; this GET does not). A split
    whose labels a hosted benchmark hides is ranked on the benchmark's boards instead (its maintainers see both).
    """
    if not can_see_ranking(session, user, dataset, split):
        raise PermissionDeniedError(f"The labels of {dataset}/{split} are hidden by a hosted benchmark; "
                                    f"its rankings are the benchmark's boards (GET /api/benchmarks/NAME/board).")
    board = leaderboard.build_leaderboard(
        session, hub.artifacts, dataset=dataset, split=split, metric=metric, top=top, with_baselines=False,
        show_progress=False, slice=slice,
    )
    return board.to_dict()


@router.get("/tasks/{task}/top", tags=["leaderboards"], responses=error_responses(401, 404, 422))
def get_task_top(task: str, session: SessionDep, user: OptionalUser, split: str = "test",
                 n: Annotated[int, Query(ge=1, le=100, description="How many models.")] = 10) -> dict[str, Any]:
    """The top N models for a task across its datasets: mean primary metric over the datasets each was evaluated on.

    Baselines are left out; ties go to the model evaluated on more datasets, then by name. `leaders`
    names the best model on each dataset, and each row lists its per-dataset values.
    """
    return task_ranking.top_models_for_task(session, task=task, split=split, n=n).to_dict()
