"""Evaluation through the hub: `POST /api/evaluations` queues jobs (models × datasets), `/api/jobs` follows them.

Members and admins may start evaluations (`accounts.users.may_write_catalog`); no one may evaluate on a split a
hosted benchmark hides from them (its benchmark's board is where that split is scored). Jobs are listed to
their owner (and to admins, with `all=true`), with their state, queue position, progress and, when they
failed, the one-line reason; the log of a run is for its owner only. A request wakes the server's worker.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from benchhub.evaluation import jobs as job_service
from benchhub.server.auth import RequiredUser
from benchhub.server.dependencies import HubDep, SessionDep
from benchhub.server.errors import error_responses
from benchhub.server.in_process_scoring import wake_scoring
from benchhub.server.params import NAME_PATTERN, declared
from benchhub.server.permissions import ViewerDep
from benchhub.store.ids import MAX_ID

router = APIRouter(prefix="/api", tags=["jobs"])
JobId = Annotated[int, Path(ge=1, le=MAX_ID, description="An evaluation job's id.")]


# A setting's value: a number or flag, a text (a prompt template, a system prompt) or a list of texts (stop
# sequences), each bounded here; what a setting accepts is the family's to check.
SettingValue = (int | float | bool | Annotated[str, Field(max_length=4000)]
                | Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=16)] | None)


class EvaluationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    models: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(min_length=1, max_length=500)
    datasets: list[Annotated[str, Field(**declared(pattern=NAME_PATTERN))]] = Field(min_length=1, max_length=500)
    split: str = Field("test", **declared(pattern=NAME_PATTERN))
    batch_size: int = Field(32, ge=1, le=job_service.MAX_BATCH_SIZE)
    settings: dict[Annotated[str, Field(max_length=64)], SettingValue] = Field(
        default_factory=dict, max_length=20, description="The task's evaluation settings (e.g. max_length; for question "
        "answering doc_stride, n_best, max_answer_length, null_threshold; for generation max_new_tokens, stop (a list), "
        "prompt_template, system_prompt, chat_template), checked as `benchhub eval` checks them.")
    time_limit_seconds: int | None = Field(None, ge=1, le=job_service.MAX_TIME_LIMIT_SECONDS)
    memory_limit_mb: int | None = Field(None, ge=job_service.MIN_MEMORY_LIMIT_MB, le=job_service.MAX_MEMORY_LIMIT_MB)


@router.post("/evaluations", tags=["evaluations"], status_code=202, responses=error_responses(400, 401, 403, 404, 409, 422, 429))
def request_evaluations(body: EvaluationRequest, request: Request, response: Response, session: SessionDep, hub: HubDep,
                        user: RequiredUser, viewer: ViewerDep) -> dict[str, Any]:
    """Queues one evaluation job per model and dataset; pairs already evaluated come back done (`cached`)."""
    viewer.refuse_evaluation(body.datasets, body.split)
    jobs = job_service.request_evaluations(
        session, hub.artifacts, user, models=body.models, datasets=body.datasets, split=body.split,
        batch_size=body.batch_size, settings=body.settings, time_limit_seconds=body.time_limit_seconds,
        memory_limit_mb=body.memory_limit_mb)
    if any(job.state == job_service.QUEUED for job in jobs):
        wake_scoring(request)
    response.headers["Location"] = f"/api/jobs?batch={jobs[0].batch}"
    return {"batch": jobs[0].batch, "jobs": [job.to_dict() for job in jobs]}


@router.get("/jobs", responses=error_responses(400, 401, 422))
def list_jobs(session: SessionDep, user: RequiredUser, batch: Annotated[str | None, Query(max_length=32)] = None,
              state: Annotated[str | None, Query(max_length=16)] = None,
              all: Annotated[bool, Query(description="Admins: every user's jobs.")] = False) -> list[dict[str, Any]]:
    """Your evaluation jobs, newest first (an admin's with all=true: everyone's)."""
    return [job.to_dict() for job in job_service.list_jobs(session, user, everyone=all, batch=batch, state=state)]


@router.get("/jobs/{job_id}", responses=error_responses(401, 404, 422))
def get_job(job_id: JobId, session: SessionDep, user: RequiredUser) -> dict[str, Any]:
    """One of your jobs, with the end of its run's log."""
    row = job_service.get_job(session, user, job_id)
    return {**job_service.job_record(session, row).to_dict(), "log": row.log if row.owner_id == user.id or user.is_admin else None}


@router.post("/jobs/{job_id}/cancel", responses=error_responses(401, 404, 409, 422))
def cancel_job(job_id: JobId, session: SessionDep, user: RequiredUser) -> dict[str, Any]:
    """Cancels a queued job at once, or asks the worker of a running one to stop it; cancelled jobs use no quota."""
    return job_service.cancel_job(session, user, job_id).to_dict()
