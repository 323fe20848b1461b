"""The browser UI: server-rendered pages over the same services as the JSON API.

Pages read stored results only (no GET runs a model). Signing in takes an API token and sets the
session cookie; every form post carries the CSRF token (see `sessions.py`). Tables sort in the
browser by header buttons, so the keyboard works as well as a mouse; layouts reflow at phone width.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from sqlalchemy import select

from benchhub._version import __version__
from benchhub.accounts import users as accounts_service
from benchhub.catalog import datasets as dataset_service
from benchhub.catalog import models as model_service
from benchhub.competitions import benchmarks as benchmark_service
from benchhub.errors import (
    AuthenticationError,
    ModelNotFoundError,
    PermissionDeniedError,
)
from benchhub.evaluation import lookup as evaluation_lookup
from benchhub.evaluation.evaluations import evaluation_record, find_evaluation
from benchhub.evaluation.probing import latest_probe_runs, probe_report
from benchhub.inspection.comparison import compare_models
from benchhub.inspection.examples import ExampleQuery, select_examples
from benchhub.probes.notes import probe_note
from benchhub.ranking import across_datasets as task_ranking
from benchhub.ranking import leaderboard
from benchhub.ranking.dynascore import METRIC
from benchhub.ranking.reports import model_evaluations
from benchhub.server import sessions
from benchhub.server.auth import OptionalUser
from benchhub.server.board_columns import EVERYWHERE, Column, board_columns, board_notes
from benchhub.server.dependencies import HubDep, SessionDep
from benchhub.server.params import EvaluationId
from benchhub.server.permissions import ViewerDep
from benchhub.server.views import dataset_view, model_view
from benchhub.store.tables import DatasetRow, ModelRow, UserRow
from benchhub.tasks.base import inputs_text
from benchhub.tasks.registry import TASKS, get_task
from benchhub.units import change_text, human_bytes

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
HOME_TOP = 5


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """An error as a page, for browser routes (the API answers JSON)."""
    headings = {401: "Sign in needed", 403: "Not allowed", 404: "Not found", 409: "Conflict", 413: "Too large",
                422: "Not valid", 429: "Limit reached", 500: "Something went wrong"}
    return render(request, "error.html", _signed_in(request), status=status, heading=headings.get(status, "Request refused"),
                  message=message)


def _signed_in(request: Request) -> UserRow | None:
    """The session cookie's user, for the header of an error page (which has no dependencies to ask)."""
    try:
        token_id = sessions.read_session(request.app.state.secret, request.cookies.get(sessions.SESSION_COOKIE))
        if token_id is None:
            return None
        with request.app.state.hub.session() as session:
            return accounts_service.session_user(session, token_id)
    except Exception:  # noqa: BLE001  (the error being shown may be the database's own; the page still renders)
        return None


def render(request: Request, template: str, user: UserRow | None, status: int = 200, **context: Any) -> HTMLResponse:
    """Renders a page with what every page needs; sets the CSRF cookie when the browser has none."""
    csrf = sessions.csrf_cookie(request.cookies.get(sessions.CSRF_COOKIE)) or sessions.new_csrf_token()
    # Messages come from the server's own signed cookie (set by a form's redirect), never from the URL.
    flash = sessions.read_flash(request.app.state.secret, request.cookies.get(sessions.FLASH_COOKIE))
    response = templates.TemplateResponse(request, template, {
        "user": user, "csrf": csrf, "version": __version__, "flash": flash,
        "fmt": _fmt, "ci": _ci, "ci_html": _ci_html, "change": change_text, "bytes": lambda value: human_bytes(value or None, missing="–"), "value": _value, "versus": _versus, **context,
    }, status_code=status)
    if request.cookies.get(sessions.CSRF_COOKIE) != csrf:
        response.set_cookie(sessions.CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=_https(request))
    if sessions.FLASH_COOKIE in request.cookies:
        response.delete_cookie(sessions.FLASH_COOKIE)
    return response


def redirect_with_flash(request: Request, target: str, message: str, *, error: bool = False) -> RedirectResponse:
    """A 303 to `target` whose page shows `message` once (an error in the error style)."""
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(sessions.FLASH_COOKIE, sessions.sign_flash(request.app.state.secret, message, "error" if error else "ok"),
                        max_age=sessions.FLASH_SECONDS, httponly=True, samesite="lax", secure=_https(request))
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, user: OptionalUser) -> HTMLResponse:
    tasks = []
    for name in sorted({task for task in session.scalars(select(DatasetRow.task))}):
        ranking = task_ranking.top_models_for_task(session, task=name, n=HOME_TOP)
        tasks.append({"task": name, "metric": ranking.metric, "rows": ranking.rows,
                      "dataset_names": [leader.dataset for leader in ranking.leaders]})
    return render(request, "home.html", user, tasks=tasks, benchmarks=_benchmarks(session))


@router.get("/datasets", response_class=HTMLResponse)
def datasets(request: Request, session: SessionDep, user: OptionalUser) -> HTMLResponse:
    return render(request, "datasets.html", user, datasets=dataset_service.list_datasets(session))


@router.get("/datasets/{name}", response_class=HTMLResponse)
def dataset(name: str, request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    info = dataset_service.dataset_info(dataset_service.get_dataset_row(session, name))
    return render(request, "dataset.html", viewer.user, dataset=info, view=dataset_view(info, viewer))


@router.get("/models", response_class=HTMLResponse)
def models(request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    return render(request, "models.html", viewer.user, models=[model_view(m, viewer) for m in model_service.list_models(session)])


@router.get("/models/{name}", response_class=HTMLResponse)
def model(name: str, request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    row = session.scalar(select(ModelRow).where(ModelRow.name == name))
    if row is None:
        raise ModelNotFoundError(f"No model named {name!r}.")
    shown = []
    for evaluation in model_evaluations(session, row):
        task = get_task(evaluation.task)
        shown.append({**viewer.evaluation(evaluation).__dict__, "primary": task.primary_metric, "scale": task.metric_scale,
                      "hidden": viewer.reason(evaluation.dataset, evaluation.split)})
    probes = [_probe_view(viewer.probe_report(report), viewer.reason(report.dataset, report.split))
              for report in (probe_report(run, cached_run=False) for run in latest_probe_runs(session, row.id))]
    return render(request, "model.html", viewer.user, model=model_view(model_service.model_record(row), viewer),
                  evaluations=shown, probes=probes)


@router.get("/leaderboards/{dataset}", response_class=HTMLResponse)
def leaderboard_page(dataset: str, request: Request, session: SessionDep, hub: HubDep, viewer: ViewerDep,
                     split: str = "test", metric: str | None = None, slice: str | None = None,
                     weights: Annotated[str | None, Query(max_length=500)] = None) -> HTMLResponse:
    """A split's ranking; with `weights` (`metric:1,latency_b1:0.5`, set by the sliders) by its Dynascore. The
    page's URL holds the weights, so it shares the ranking as shown."""
    user = viewer.user
    if not viewer.may_rank(dataset, split):
        raise PermissionDeniedError(f"The {viewer.reason(dataset, split)}; its rankings are on that benchmark's page.")
    board = leaderboard.build_leaderboard(session, hub.artifacts, dataset=dataset, split=split, metric=metric or None,
                                          with_baselines=False, show_progress=False, slice=slice or None,
                                          weights=(weights or "").strip() or None)
    task = TASKS[board.task]
    extra = task.extra_board_metrics(board.metric, {name for row in board.rows for name in row.metrics})
    figure = None
    if any(row.latency_ms is not None for row in board.rows):
        from benchhub.report.html import accuracy_latency_figure

        chart = accuracy_latency_figure(board)
        figure = chart.to_json() if chart is not None else None
    dataset_row = dataset_service.get_dataset_row(session, dataset)
    labels = task.label_values(list(dataset_row.labels))
    columns = dataset_service.load_split(hub.artifacts, dataset_row, split).columns or {}
    slices = ["length=0-9", "length=10-19", "length=20-39", "length=40+", *(f"label={label}" for label in labels),
              *(f"column={name}:{value}" for name, values in sorted(columns.items())
                for value in sorted({str(v) for v in values}))][:60]
    shown = board_columns(board, extra)
    if board.dynascore is not None:
        shown.insert(3, Column("dynascore", "Dynascore", EVERYWHERE, title="weighted score in units of " + board.metric))
    values = {row.model: leaderboard.leaderboard_values(board, row) for row in board.rows}
    sliders = weight_sliders(leaderboard.leaderboard_columns(board.task, board.metric), board.dynascore,
                             lambda name: any(v.get(name) is not None for v in values.values()))
    query = {"split": board.split, "metric": metric or "", "slice": slice or ""}
    path = f"/leaderboards/{quote(board.dataset, safe='')}"
    return render(request, "leaderboard.html", user, board=board, scale=task.metric_scale, slices=slices,
                  current_slice=slice or "", columns=shown, notes=board_notes(board.notes),
                  kinds=sorted({row.kind for row in board.rows}), figure=figure, sliders=sliders, kept=query,
                  share=share_link(path, query, board.dynascore), plain=share_link(path, query, None))


def weight_sliders(columns: list[Any], summary: Any, has_data: Any) -> list[dict[str, Any]]:
    """A slider per column a board can weigh and has data for (and any the weights name), set to its weight."""
    weights = summary.weights if summary is not None else {METRIC: 1.0}  # unweighted: the metric alone
    return [{"name": column.name, "label": column.label, "cost": column.cost, "weight": weights.get(column.name, 0.0),
             "amrs": summary.amrs.get(column.name) if summary is not None else None}
            for column in columns if column.name in weights or has_data(column.name)]


def share_link(path: str, query: dict[str, str], summary: Any) -> str:
    """The page's URL with its weights, for sharing (`:` and `,` kept readable; both are allowed in a query)."""
    kept = {key: value for key, value in query.items() if value}
    if summary is not None:
        kept["weights"] = summary.query
    return path + ("?" + urlencode(kept, safe=":,") if kept else "")


EXAMPLES_PAGE = 25


@router.get("/evaluations/{evaluation_id}", response_class=HTMLResponse)
def evaluation_page(evaluation_id: EvaluationId, request: Request, session: SessionDep, hub: HubDep, viewer: ViewerDep,
                    errors: bool = False, sort: str = "split", gold: str = "", predicted: str = "",
                    page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> HTMLResponse:
    """One evaluation: metrics with CIs, per-class tables, the confusion matrix as a heatmap, settings and
    provenance, and (for those who may read per-example results) the examples browser, paged."""
    row = evaluation_lookup.get_evaluation_row(session, evaluation_id)
    record = viewer.evaluation(evaluation_record(row))
    task = get_task(record.task)
    examples = None
    if viewer.may_read_examples(row):
        query = ExampleQuery(errors=errors, gold=gold or None, predicted=predicted or None, sort=sort)
        split = dataset_service.load_split(hub.artifacts, row.dataset, row.split)
        chosen, _ = select_examples(task, split, evaluation_lookup.evaluation_examples(hub.artifacts, row),
                                    dataset_service.dataset_facts(row.dataset), query)
        pages = max(1, math.ceil(len(chosen) / EXAMPLES_PAGE))
        page = min(page, pages)
        header, cells = task.example_table(chosen[(page - 1) * EXAMPLES_PAGE:page * EXAMPLES_PAGE])
        examples = {"header": header, "rows": cells, "total": len(chosen), "page": page, "pages": pages,
                    "labels": task.label_values(list(row.dataset.labels))}
    others = sorted({e.model for e in evaluation_lookup.list_evaluations(session, dataset=record.dataset, split=record.split)}
                    - {record.model})
    confusion = task.confusion(record.details)
    return render(request, "evaluation.html", viewer.user, evaluation=record, scale=task.metric_scale,
                  primary=task.primary_metric, hidden=viewer.reason(record.dataset, record.split),
                  tables=task.detail_tables(record.details), confusion=_heatmap(confusion) if confusion else None,
                  examples=examples, others=others,
                  query={"errors": errors, "sort": sort, "gold": gold, "predicted": predicted})


@router.get("/compare", response_class=HTMLResponse)
def compare_page(request: Request, session: SessionDep, hub: HubDep, viewer: ViewerDep, a: str, b: str, dataset: str,
                 split: str = "test", slice: str = "", page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> HTMLResponse:
    """Two models' stored evaluations compared (as `benchhub compare`), the disagreements paged."""
    for name in (a, b):
        found = find_evaluation(session, model=name, dataset=dataset, split=split)
        if not viewer.may_read_examples(found):
            reason = "sign in first" if viewer.user is None else viewer.reason(dataset, split) or "not allowed"
            raise PermissionDeniedError(f"Comparing {a} and {b} shows per-example results of {dataset}/{split}: {reason}.")
    comparison = compare_models(session, hub.artifacts, model_a=a, model_b=b, dataset=dataset, split=split,
                                slice=slice or None, show_progress=False, run=False)
    task = get_task(comparison.task)
    pages = max(1, math.ceil(len(comparison.disagreements) / EXAMPLES_PAGE))
    page = min(page, pages)
    shown = comparison.disagreements[(page - 1) * EXAMPLES_PAGE:page * EXAMPLES_PAGE]
    disagreements = [{"id": d["id"], "input": inputs_text(d["inputs"], limit=160), "gold": task.value_text(d["gold"]),
                      "a": task.value_text(d["a"]), "b": task.value_text(d["b"]), "a_correct": d["a_correct"],
                      "b_correct": d["b_correct"]} for d in shown]
    return render(request, "compare.html", viewer.user, comparison=comparison, scale=task.metric_scale,
                  disagreements=disagreements, page=page, pages=pages, slice=slice)


def _heatmap(confusion: tuple[list[str], list[list[int]]]) -> dict[str, Any]:
    """A confusion matrix with each cell's share of its row (gold label), for shading."""
    labels, matrix = confusion
    rows = []
    for label, counts in zip(labels, matrix, strict=True):
        total = sum(counts) or 1
        rows.append({"label": label, "cells": [{"count": c, "share": c / total} for c in counts]})
    return {"labels": labels, "rows": rows}


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, user: OptionalUser, next: str = "/") -> HTMLResponse:
    return render(request, "signin.html", user, next=_local(next), error=None)


@router.post("/signin")
def signin(request: Request, session: SessionDep, token: str = Form(...), csrf: str = Form(""),
           next: str = Form("/")) -> Response:
    check_csrf(request, csrf)
    try:
        row = accounts_service.authenticated_token(session, token.strip())
    except AuthenticationError as error:
        return render(request, "signin.html", None, status=401, next=_local(next), error=str(error))
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(sessions.SESSION_COOKIE, sessions.sign_session(request.app.state.secret, row.id),
                        max_age=sessions.SESSION_SECONDS, httponly=True, samesite="lax", secure=_https(request))
    return response


@router.post("/signout")
def signout(request: Request, csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(sessions.SESSION_COOKIE)
    return response


@router.get("/static/plotly.min.js")
def plotly_bundle() -> FileResponse:
    """plotly.js from the installed plotly package: the chart works offline, with no CDN."""
    import plotly

    return FileResponse(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", media_type="text/javascript")


def check_csrf(request: Request, submitted: str) -> None:
    """Refuses a form post whose CSRF field does not match the browser's CSRF cookie."""
    if not sessions.csrf_matches(request.cookies.get(sessions.CSRF_COOKIE), submitted):
        raise PermissionDeniedError("The form's CSRF token is missing or stale; reload the page and try again.")


def _benchmarks(session: Any) -> list[Any]:
    return benchmark_service.list_benchmarks(session)


def _local(target: str) -> str:
    """Only same-site redirect targets: a path, never another host."""
    parts = urlsplit(target)
    return target if target.startswith("/") and not target.startswith("//") and not parts.netloc else "/"


def _https(request: Request) -> bool:
    return request.url.scheme == "https"


RATE_OF_KIND = {"INV": "flip_rate", "DIR": "violation_rate", "MFT": "failure_rate"}


def _probe_view(report: Any, hidden: str | None) -> dict[str, Any]:
    """One probe run as the model page shows it: each probe's headline rate (by kind) with its CI and metric change
    (none where `hidden` says why its results are withheld)."""
    metric = next((key for key in report.results.get("base", {}) if key != "evaluation_id"), "metric")
    rows = []
    for result in report.results.get("probes", []):
        rate = RATE_OF_KIND.get(result["kind"])
        rows.append({
            "probe": result["probe"], "kind": result["kind"], "examples": result.get("changed", result.get("examples")),
            "rate": result.get(rate), "rate_ci": result.get(f"{rate}_ci"),
            "change": round(-result["drop_points"], 1) + 0.0 if "drop_points" in result else None,  # + 0.0: no "-0.0"
            "note": result.get("note") or probe_note(result),
        })
    calibration = report.results.get("calibration") or {}
    return {"report": report, "metric": metric, "rows": rows, "ece": calibration.get("ece"), "hidden": hidden}


def _fmt(value: float | None, spec: str = ".3f") -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)


def _ci(metric: dict[str, float] | None, scale: float = 1.0) -> str:
    if not metric:
        return "–"
    digits = ".1f" if scale == 100.0 else ".3f"
    text = format(metric["value"], digits)
    if metric.get("ci_low") is not None and metric.get("ci_high") is not None:
        text += f" [{format(metric['ci_low'], digits)}, {format(metric['ci_high'], digits)}]"
    return text


def _ci_html(metric: dict[str, float] | None, scale: float = 1.0) -> Markup:
    """`_ci` with the interval in its own span, so a narrow screen can put it under the value."""
    value, _, interval = _ci(metric, scale).partition(" ")
    return Markup(f'{escape(value)} <span class="ci">{escape(interval)}</span>') if interval else Markup(escape(value))


def _value(row: Any, name: str) -> str:
    metric = row.metrics.get(name)
    return "" if not metric else repr(float(metric["value"]))


def _versus(row: Any) -> str:
    if getattr(row, "upper_bound", False):
        return "upper bound"
    if (row.metric_rank or row.rank) == 1:
        return "leader"
    if row.p_value_vs_leader is None:
        return "–"
    return f"≈ (p={row.p_value_vs_leader:.2f})" if row.tied_with_leader else f"worse (p={row.p_value_vs_leader:.3f})"


