"""The browser pages of evaluation through the hub: the evaluate form (models × datasets), my jobs (a table that
updates itself while a job is queued or running, with cancel buttons), and the upload forms for models and datasets.

Every form post checks the CSRF token; the services decide who may do what (`evaluation.jobs`, `catalog.uploads`),
and a refusal comes back to its form as one line.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from benchhub.accounts.users import may_write_catalog
from benchhub.catalog.models import BASELINE_PREFIX, builtin_registry
from benchhub.errors import BenchhubError, PermissionDeniedError
from benchhub.evaluation import jobs as job_service
from benchhub.server.auth import RequiredUser
from benchhub.server.dependencies import HubDep, SessionDep
from benchhub.server.in_process_scoring import wake_scoring
from benchhub.server.params import RowId
from benchhub.server.permissions import ViewerDep
from benchhub.server.uploads import register_dataset_upload, register_model_upload
from benchhub.server.web import check_csrf, redirect_with_flash, render
from benchhub.store.tables import DatasetRow, ModelRow
from benchhub.tasks.registry import TASKS

router = APIRouter(include_in_schema=False)


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request, session: SessionDep, user: RequiredUser,
              batch: Annotated[str | None, Query(max_length=32)] = None,
              all: Annotated[bool, Query(description="Admins: every user's jobs.")] = False) -> HTMLResponse:
    everyone = all and bool(user.is_admin)
    jobs = job_service.list_jobs(session, user, batch=batch, everyone=everyone)
    query = "&".join(part for part in (f"batch={quote(batch)}" if batch else "", "all=true" if everyone else "") if part)
    return render(request, "jobs.html", user, jobs=[job.to_dict() for job in jobs], batch=batch, everyone=everyone,
                  api=f"/api/jobs{'?' + query if query else ''}")


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(job_id: RowId, request: Request, session: SessionDep, user: RequiredUser) -> HTMLResponse:
    """One job: its state, limits, timings and, for its owner (or an admin), the end of its run's log."""
    row = job_service.get_job(session, user, job_id)
    return render(request, "job.html", user, job=job_service.job_record(session, row).to_dict(), log=row.log)


@router.get("/evaluate", response_class=HTMLResponse)
def evaluate_form(request: Request, session: SessionDep, user: RequiredUser, viewer: ViewerDep,
                  model: Annotated[list[str], Query(max_length=500)] = [],  # noqa: B006 (FastAPI reads, never mutates)
                  dataset: Annotated[list[str], Query(max_length=500)] = []) -> HTMLResponse:  # noqa: B006
    """Pick models and datasets (preselected from the page that links here) and a split."""
    models = sorted(session.scalars(select(ModelRow.name))) + [BASELINE_PREFIX + name for name in sorted(builtin_registry())]
    datasets = [(row.name, row.task, [split.name for split in row.splits]) for row in session.scalars(
        select(DatasetRow).order_by(DatasetRow.name))]
    return render(request, "evaluate.html", user, models=models, datasets=datasets, chosen_models=set(model),
                  chosen_datasets=set(dataset), allowed=may_write_catalog(user))


@router.post("/evaluate")
def evaluate(request: Request, session: SessionDep, hub: HubDep, user: RequiredUser, viewer: ViewerDep,
             csrf: str = Form(""), models: list[str] = Form(default=[]), datasets: list[str] = Form(default=[]),
             split: str = Form("test")) -> Response:
    check_csrf(request, csrf)
    back = "/evaluate?" + "&".join([f"model={quote(m)}" for m in models] + [f"dataset={quote(d)}" for d in datasets])
    split = split.strip() or "test"  # the split checked is the split evaluated
    try:
        viewer.refuse_evaluation(datasets, split)
        made = job_service.request_evaluations(session, hub.artifacts, user, models=models, datasets=datasets, split=split)
    except BenchhubError as error:
        return redirect_with_flash(request, back, error.in_fields, error=True)
    if any(job.state == job_service.QUEUED for job in made):
        wake_scoring(request)
    cached = sum(job.cached for job in made)
    said = f"Queued {len(made) - cached} evaluation job(s)" + (f"; {cached} already evaluated" if cached else "") + "."
    return redirect_with_flash(request, f"/jobs?batch={made[0].batch}", said)


@router.post("/jobs/{job_id}/cancel")
def cancel(job_id: RowId, request: Request, session: SessionDep, user: RequiredUser, csrf: str = Form(""),
           batch: str = Form("")) -> Response:
    check_csrf(request, csrf)
    target = f"/jobs?batch={quote(batch)}" if batch else "/jobs"
    try:
        job = job_service.cancel_job(session, user, job_id)
    except BenchhubError as error:
        return redirect_with_flash(request, target, error.in_fields, error=True)
    said = "Cancelled." if job.state == job_service.CANCELLED else "Asked its worker to stop it."
    return redirect_with_flash(request, target, f"Job {job_id}: {said}")


@router.get("/models/{name}/card.md")
def model_card(name: str, session: SessionDep, viewer: ViewerDep) -> Response:
    """The model card (README.md with `model-index` metadata) of the results this reader may see."""
    from benchhub.catalog.models import get_model_row, model_record
    from benchhub.ranking.reports import card_text

    if viewer.model(model_record(get_model_row(session, name)))["fingerprint"] is None:
        raise PermissionDeniedError(f"Model {name!r} holds predictions on labels a hosted benchmark hides; its card is "
                                    "for that benchmark's maintainers.")
    text = card_text(session, name, shown=lambda dataset: not viewer.hides_any(dataset))
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", name) + ".README.md"
    return Response(text, media_type="text/markdown; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/upload", response_class=HTMLResponse)
def upload_form(request: Request, user: RequiredUser) -> HTMLResponse:
    return render(request, "upload.html", user, tasks=sorted(TASKS), allowed=may_write_catalog(user))


@router.post("/upload/model")
def upload_model(request: Request, session: SessionDep, hub: HubDep, user: RequiredUser, file: UploadFile = File(...),
                 csrf: str = Form(""), name: str = Form(""), kind: str = Form(""), label_map: str = Form("")) -> Response:
    check_csrf(request, csrf)
    try:
        record = register_model_upload(session, hub, user, name.strip(), file, kind=kind or None, label_map=label_map or None)
    except BenchhubError as error:
        return redirect_with_flash(request, "/upload", error.in_fields, error=True)
    return redirect_with_flash(request, f"/models/{quote(record.name)}", f"Registered model {record.name} ({record.kind}).")


@router.post("/upload/dataset")
def upload_dataset(request: Request, session: SessionDep, hub: HubDep, user: RequiredUser,
                   files: list[UploadFile] = File(default=[]), csrf: str = Form(""), name: str = Form(""),
                   task: str = Form(""), columns: str = Form("")) -> Response:
    check_csrf(request, csrf)
    try:
        info = register_dataset_upload(session, hub, user, name.strip(), task, files, columns=columns or None)
    except BenchhubError as error:
        return redirect_with_flash(request, "/upload", error.in_fields, error=True)
    return redirect_with_flash(request, f"/datasets/{quote(info.name)}", f"Registered dataset {info.name}.")

