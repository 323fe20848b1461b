"""Hosted benchmarks over HTTP: benchmarks, submissions (multipart, `Idempotency-Key`, an optional method that
its participant may PATCH later), boards, maintainer actions.

Participants see their own submissions with public scores; private scores and the private board
appear when a phase closes. Nothing here returns hidden labels, per-example results of a hidden
split, or the seed of the public/private split; scores of hidden phases come as `permissions.Viewer`
allows (point metrics only, no intervals, for all but the benchmark's maintainers). Submissions are scored
by the server's worker (server/in_process_scoring.py, woken after each submission) unless it runs with
`--no-worker`, when `benchhub worker` processes do it.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, Query, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from benchhub.competitions import benchmarks as benchmark_service
from benchhub.competitions import removal as removal_service
from benchhub.competitions import submissions as submission_service
from benchhub.competitions.boards import KINDS as BOARD_KINDS
from benchhub.competitions.boards import benchmark_board
from benchhub.competitions.inputs import phase_inputs
from benchhub.errors import NotFoundError
from benchhub.ranking.benchmark_boards import set_default_weights, weigh_board
from benchhub.ranking.dynascore import weights_query
from benchhub.server.api_catalog import Weights
from benchhub.server.auth import AdminUser, OptionalUser, RequiredUser
from benchhub.server.dependencies import HubDep, SessionDep
from benchhub.server.errors import error_responses
from benchhub.server.in_process_scoring import wake_scoring
from benchhub.server.params import (
    NAME_PATTERN,
    SETTINGS_SCHEMA,
    USER_PATTERN,
    BenchmarkName,
    RowId,
    SubmissionId,
    declared,
)
from benchhub.server.permissions import ViewerDep
from benchhub.server.uploads import read_upload

router = APIRouter(prefix="/api/benchmarks", tags=["benchmarks"])


class NewPhase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(**declared(pattern=NAME_PATTERN))
    split: str
    labels_public: bool = Field(False, description="True for a split whose labels participants have (e.g. dev).")
    opens_at: datetime | None = Field(None, description="ISO 8601 with a timezone; default: open now.")
    closes_at: datetime | None = Field(None, description="ISO 8601 with a timezone; default: open until closed.")
    takes: str = Field(benchmark_service.PREDICTIONS, description="predictions (participants send predictions files) or "
                       "models (they send a model archive, which the hub runs on the hidden split)",
                       **declared(enum=list(benchmark_service.TAKES)))
    limits: dict[str, int] | None = Field(None, description="A models phase's limits: time_limit_seconds, memory_limit_mb, "
                                          "model_size_mb (defaults for those left out).")


class NewBenchmark(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="1-200 letters, digits, '_', '-', '.' or '@'.", **declared(pattern=NAME_PATTERN))
    dataset: str = Field(**declared(pattern=NAME_PATTERN))
    phases: list[NewPhase]
    title: str | None = None
    description: str = ""
    primary_metric: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict, description="Overrides of the default limits and options.",
                                     **declared(**SETTINGS_SCHEMA))


class NewMember(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str = Field(**declared(pattern=USER_PATTERN))
    role: str = Field(benchmark_service.PARTICIPANT, description="maintainer or participant",
                      **declared(enum=list(benchmark_service.ROLES)))


class FinalSelection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    submissions: list[RowId] = Field(max_length=100, description="Ids of your submissions for the private ranking; [] picks your best public one.")
    phase: str | None = None


class Moderation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(description="hide, unhide, disqualify or reinstate", **declared(enum=list(submission_service.MODERATION)))
    reason: str = ""


_METHOD_NAME = "What the predictions come from, shown on the board: 1-120 printable characters."
_METHOD_DESCRIPTION = "How the method works, shown with it: up to 2,000 characters."
_METHOD_URL = "Its project or paper page, linked from the board: an http:// or https:// URL of up to 500 characters."


class MethodEdit(BaseModel):
    """The method fields to set; a field left out stays as it is, null or "" clears it."""

    model_config = ConfigDict(extra="forbid")

    method_name: str | None = Field(None, description=_METHOD_NAME)
    method_description: str | None = Field(None, description=_METHOD_DESCRIPTION)
    method_url: str | None = Field(None, description=_METHOD_URL)


class Rescore(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phase: str | None = None


@router.get("", responses=error_responses(401))
def list_benchmarks(session: SessionDep, user: OptionalUser) -> list[dict[str, Any]]:
    return [record.to_dict() for record in benchmark_service.list_benchmarks(session)]


@router.post("", status_code=201, responses=error_responses(400, 401, 403, 404, 409, 413, 422))
def create_benchmark(body: NewBenchmark, session: SessionDep, hub: HubDep, user: AdminUser) -> dict[str, Any]:
    """Hosts a benchmark over a registered dataset (admins); its creator becomes a maintainer."""
    phases = [benchmark_service.PhaseSpec(**phase.model_dump()) for phase in body.phases]
    return benchmark_service.create_benchmark(
        session, hub.artifacts, body.name, actor_id=user.id, dataset=body.dataset, phases=phases, title=body.title,
        description=body.description, primary_metric=body.primary_metric, settings=body.settings,
    ).to_dict()


@router.get("/{name}", responses=error_responses(401, 404, 422))
def get_benchmark(name: BenchmarkName, session: SessionDep, user: OptionalUser) -> dict[str, Any]:
    return benchmark_service.benchmark_record(benchmark_service.get_benchmark_row(session, name)).to_dict()


@router.delete("/{name}", responses=error_responses(401, 403, 404, 409, 422))
def remove_benchmark(name: BenchmarkName, session: SessionDep, hub: HubDep, user: AdminUser,
                     release_labels: Annotated[bool, Query(description="Remove it even though the labels it hides are then "
                                                                  "no longer hidden (refused without, naming them).")] = False,
                     ) -> dict[str, Any]:
    """Removes a benchmark with its phases, submissions, scores, members and audit log (admins); the dataset stays.
    Refused (409) while a submission is being scored, and while it would release hidden labels without `release_labels`."""
    removed = removal_service.remove_benchmark(session, hub.artifacts, name, actor_id=user.id, release_labels=release_labels)
    return {**asdict(removed), "summary": removed.summary()}


@router.get("/{name}/phases/{phase}/inputs", response_class=Response,
            responses={200: {"content": {"application/x-ndjson": {}}, "description": "One JSON object per line."},
                       **error_responses(401, 403, 404, 422)})
def get_phase_inputs(name: BenchmarkName, phase: str, session: SessionDep, hub: HubDep, user: OptionalUser) -> Response:
    """The phase's inputs as JSON lines, in the task family's layout (id, text; id, question, context; id, tokens); gold only on public-label phases."""
    phase_name, rows = phase_inputs(session, hub.artifacts, name, phase, user=user)
    return Response("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), media_type="application/x-ndjson",
                    headers={"Content-Disposition": f'attachment; filename="{name}-{phase_name}-inputs.jsonl"'})


@router.post("/{name}/members", status_code=204, responses=error_responses(400, 401, 403, 404, 409, 413, 422))
def add_member(name: BenchmarkName, body: NewMember, session: SessionDep, user: RequiredUser) -> Response:
    benchmark_service.add_member(session, name, actor_id=user.id, user=body.user, role=body.role)
    return Response(status_code=204)


@router.post("/{name}/submissions", status_code=201, responses=error_responses(400, 401, 403, 404, 409, 413, 422, 429))
def submit(name: BenchmarkName, request: Request, response: Response, session: SessionDep, hub: HubDep, user: RequiredUser, viewer: ViewerDep,
           file: Annotated[UploadFile, File(description="The predictions file: JSONL or CSV (classification), JSON (QA); on a phase "
                                                          "that takes models, a .zip or .tar.gz of a transformers (safetensors) or ONNX folder.")],
           phase: Annotated[str | None, Form(description="Default: the phase that is open now.")] = None,
           method_name: Annotated[str | None, Form(description=_METHOD_NAME)] = None,
           method_description: Annotated[str | None, Form(description=_METHOD_DESCRIPTION)] = None,
           method_url: Annotated[str | None, Form(description=_METHOD_URL)] = None,
           idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None) -> dict[str, Any]:
    """Submits a predictions file, optionally naming its method. A repeated Idempotency-Key answers with the first
    submission and charges nothing."""
    content = read_upload(file, benchmark_service.upload_limit(benchmark_service.get_benchmark_row(session, name)))
    outcome = submission_service.submit(
        session, hub.artifacts, name, actor_id=user.id, content=content, filename=file.filename or "", phase=phase,
        idempotency_key=idempotency_key, method_name=method_name, method_description=method_description, method_url=method_url,
    )
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    else:
        wake_scoring(request)
    return viewer.submission(outcome.submission).to_dict()


@router.get("/{name}/submissions", responses=error_responses(401, 403, 404, 422))
def list_submissions(name: BenchmarkName, session: SessionDep, user: RequiredUser, viewer: ViewerDep, phase: str | None = None,
                     of: Annotated[str | None, Query(alias="user", description="Maintainers: this user's submissions.")] = None,
                     ) -> list[dict[str, Any]]:
    """Your submissions, newest first (maintainers: everyone's, or one user's)."""
    found = submission_service.list_submissions(session, name, actor_id=user.id, phase=phase, user=of)
    return [viewer.submission(submission).to_dict() for submission in found]


@router.get("/{name}/submissions/{submission_id}", responses=error_responses(401, 404, 422))
def get_submission(name: BenchmarkName, submission_id: SubmissionId, session: SessionDep, user: RequiredUser, viewer: ViewerDep) -> dict[str, Any]:
    submission = submission_service.get_submission(session, submission_id, actor_id=user.id)
    _same_benchmark(name, submission.benchmark, submission_id)
    return viewer.submission(submission).to_dict()


@router.patch("/{name}/submissions/{submission_id}", responses=error_responses(400, 401, 403, 404, 413, 422))
def edit_submission(name: BenchmarkName, submission_id: SubmissionId, body: MethodEdit, session: SessionDep, user: RequiredUser,
                    viewer: ViewerDep) -> dict[str, Any]:
    """Sets, changes or clears a submission's method name, description and URL (its participant, or a maintainer)."""
    changes = {field: getattr(body, field) or "" for field in body.model_fields_set}  # null clears, as "" does
    submission = submission_service.edit_method(
        session, submission_id, actor_id=user.id, benchmark=name, name=changes.get("method_name"),
        description=changes.get("method_description"), url=changes.get("method_url"))
    return viewer.submission(submission).to_dict()


@router.get("/{name}/submissions/{submission_id}/scores", responses=error_responses(401, 403, 404, 422))
def get_score_history(name: BenchmarkName, submission_id: SubmissionId, session: SessionDep, user: RequiredUser) -> list[dict[str, Any]]:
    """Every version of a submission's scores (maintainers)."""
    history = submission_service.score_history(session, submission_id, actor_id=user.id)
    _same_benchmark(name, submission_service.get_submission(session, submission_id, actor_id=user.id).benchmark, submission_id)
    return [score.to_dict() for score in history]


@router.post("/{name}/submissions/{submission_id}/moderation", responses=error_responses(400, 401, 403, 404, 413, 422))
def moderate(name: BenchmarkName, submission_id: SubmissionId, body: Moderation, session: SessionDep, user: RequiredUser) -> dict[str, Any]:
    """Hides, unhides, disqualifies or reinstates a submission, with a reason (maintainers)."""
    return submission_service.moderate(session, submission_id, actor_id=user.id, action=body.action, reason=body.reason,
                                       benchmark=name).to_dict()


@router.put("/{name}/final-selection", responses=error_responses(400, 401, 403, 404, 409, 413, 422))
def select_final(name: BenchmarkName, body: FinalSelection, session: SessionDep, user: RequiredUser, viewer: ViewerDep) -> list[dict[str, Any]]:
    chosen = submission_service.select_final(session, name, body.submissions, actor_id=user.id, phase=body.phase)
    return [viewer.submission(submission).to_dict() for submission in chosen]


class BoardWeights(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weights: dict[str, Any] | str | None = Field(
        description="The default weights of the boards' Dynascore: {column: weight} or 'metric:1,accuracy:0.5'; "
                    "`metric` is the primary metric, other metrics by name; null clears them.")


@router.get("/{name}/board", responses=error_responses(401, 403, 404, 409, 422))
def get_board(name: BenchmarkName, session: SessionDep, user: OptionalUser, viewer: ViewerDep, phase: str | None = None,
              kind: Annotated[str, Query(description="public, or private once the phase is closed",
                                         **declared(enum=list(BOARD_KINDS)))] = "public",
              weights: Weights = None) -> dict[str, Any]:
    """A phase's ranking; of a hidden phase with point metrics only (no intervals), except for its maintainers.

    With `weights` (COLUMN:WEIGHT pairs: `metric` is the primary metric, the task's other board metrics by name),
    or else the maintainers' default weights, rows rank by their Dynascore, computed from the point values this
    board shows you; `dynascore` says how (each column's AMRS against the primary metric)."""
    board = viewer.board(benchmark_board(session, name, phase=phase, kind=kind, viewer_id=user.id if user else None))
    return weigh_board(session, board, weights).to_dict()


@router.put("/{name}/board/weights", responses=error_responses(400, 401, 403, 404, 413, 422))
def set_board_weights(name: BenchmarkName, body: BoardWeights, session: SessionDep, user: RequiredUser) -> dict[str, Any]:
    """Sets (or clears, with null) the weights the boards rank by when a viewer gives none (maintainers)."""
    chosen = set_default_weights(session, name, actor_id=user.id, weights=body.weights)
    return {"weights": chosen, "query": weights_query(chosen) if chosen else None}


def _limit_field(key: str, description: str) -> Any:
    low, high = benchmark_service.LIMIT_RANGES[key]
    return Field(None, description=f"{description} ({low:,} to {high:,}).", **declared(minimum=low, maximum=high))


class PhaseLimits(BaseModel):
    """The limits of a models phase to change; a limit left out stays as it is."""

    model_config = ConfigDict(extra="forbid")

    time_limit_seconds: int | None = _limit_field("time_limit_seconds", "Seconds from the start of the model's process "
                                                  "until its predictions are written")
    memory_limit_mb: int | None = _limit_field("memory_limit_mb", "MB of memory the model's process and all it starts may hold")
    model_size_mb: int | None = _limit_field("model_size_mb", "MB a submitted model may take, as an archive and extracted")


@router.patch("/{name}/phases/{phase}", responses=error_responses(400, 401, 403, 404, 413, 422))
def set_phase_limits(name: BenchmarkName, phase: str, body: PhaseLimits, session: SessionDep, user: RequiredUser) -> dict[str, Any]:
    """Changes a models phase's limits (maintainers); returns the phase as the benchmark shows it. Model runs that
    start afterwards use them, queued and rescored submissions included."""
    limits = {key: getattr(body, key) for key in body.model_fields_set}
    return benchmark_service.set_phase_limits(session, name, phase, actor_id=user.id, limits=limits).to_dict()


@router.post("/{name}/phases/{phase}/close", responses=error_responses(400, 401, 403, 404, 409, 422))
def close_phase(name: BenchmarkName, phase: str, session: SessionDep, user: RequiredUser) -> dict[str, Any]:
    return benchmark_service.close_phase(session, name, phase, actor_id=user.id).to_dict()


@router.post("/{name}/rescore", responses=error_responses(400, 401, 403, 404, 413, 422))
def rescore(name: BenchmarkName, body: Rescore, request: Request, session: SessionDep, user: RequiredUser) -> dict[str, Any]:
    """Queues every submission for scoring again (maintainers); old scores stay in each submission's history."""
    queued = submission_service.rescore(session, name, actor_id=user.id, phase=body.phase)
    wake_scoring(request)
    return {"queued": queued}


@router.get("/{name}/audit", responses=error_responses(401, 403, 404, 422))
def get_audit_log(name: BenchmarkName, session: SessionDep, user: RequiredUser) -> list[dict[str, Any]]:
    return [entry.to_dict() for entry in benchmark_service.audit_log(session, name, actor_id=user.id)]


def _same_benchmark(name: str, actual: str, submission_id: int) -> None:
    if actual != name:
        raise NotFoundError(f"Benchmark {name!r} has no submission {submission_id}.")
