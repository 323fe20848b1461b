"""The browser pages of hosted benchmarks: rules, phases and time left, the submit form, my submissions,
the public board (and the private one after close), the maintainers' page (phases and a models phase's
limits, the boards' default weights, members, moderation, audit log), and the admins' form that hosts a new
benchmark.

Every form post checks the CSRF token; the services decide who may do what (the page only hides
buttons a user could not use anyway). Nothing here reads a hidden label: boards and submissions
carry metrics only, as `permissions.Viewer` allows (no intervals on hidden phases but for maintainers).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from benchhub.competitions import benchmarks as benchmark_service
from benchhub.competitions import submissions as submission_service
from benchhub.competitions.boards import benchmark_board, measured_columns
from benchhub.errors import (
    BenchhubError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from benchhub.ranking.benchmark_boards import (
    columns_of,
    default_weights,
    set_default_weights,
    weigh_board,
)
from benchhub.ranking.dynascore import read_weights, weights_query
from benchhub.server.auth import OptionalUser, RequiredUser
from benchhub.server.dependencies import HubDep, SessionDep
from benchhub.server.errors import status_of
from benchhub.server.in_process_scoring import wake_scoring
from benchhub.server.params import RowId, SubmissionField
from benchhub.server.permissions import ViewerDep
from benchhub.server.uploads import read_upload
from benchhub.server.web import check_csrf, redirect_with_flash, render, share_link
from benchhub.tasks.registry import get_task

router = APIRouter(include_in_schema=False)


@router.get("/benchmarks", response_class=HTMLResponse)
def benchmarks(request: Request, session: SessionDep, user: OptionalUser) -> HTMLResponse:
    return render(request, "benchmarks.html", user, benchmarks=benchmark_service.list_benchmarks(session), now=_now())


# Declared before /benchmarks/{name}, which would take "new" for a name.
@router.get("/benchmarks/new", response_class=HTMLResponse)
def new_benchmark(request: Request, session: SessionDep, user: RequiredUser) -> HTMLResponse:
    if not user.is_admin:
        raise PermissionDeniedError(f"Only admins may create benchmarks; user {user.name!r} is not an admin.")
    blank = [""] * PHASE_ROWS
    form = {"phase_name": ["dev", "test", ""], "phase_split": ["dev", "test", ""], "phase_visibility": ["public", "hidden", "hidden"],
            "phase_opens": blank, "phase_closes": blank, **{f"phase_{key}": blank for key, _ in MODEL_LIMITS}}
    return _creation_form(request, session, user, form)


@router.post("/benchmarks/new")
def create_benchmark(request: Request, session: SessionDep, hub: HubDep, user: RequiredUser, csrf: str = Form(""),
                     name: str = Form(""), title: str = Form(""), description: str = Form(""), dataset: str = Form(""),
                     primary_metric: str = Form(""), phase_name: list[str] = Form(default=[]),
                     phase_split: list[str] = Form(default=[]), phase_visibility: list[str] = Form(default=[]),
                     phase_opens: list[str] = Form(default=[]), phase_closes: list[str] = Form(default=[]),
                     phase_time_limit_seconds: list[str] = Form(default=[]), phase_memory_limit_mb: list[str] = Form(default=[]),
                     phase_model_size_mb: list[str] = Form(default=[]),
                     max_per_day: str = Form(""), max_total: str = Form(""), final_selections: str = Form("")) -> Response:
    check_csrf(request, csrf)
    form = {"name": name.strip(), "title": title.strip(), "description": description, "dataset": dataset,
            "primary_metric": primary_metric.strip(), "phase_name": _padded(phase_name), "phase_split": _padded(phase_split),
            "phase_visibility": _padded(phase_visibility), "phase_opens": _padded(phase_opens),
            "phase_closes": _padded(phase_closes), "phase_time_limit_seconds": _padded(phase_time_limit_seconds),
            "phase_memory_limit_mb": _padded(phase_memory_limit_mb), "phase_model_size_mb": _padded(phase_model_size_mb),
            "max_per_day": max_per_day, "max_total": max_total,
            "final_selections": final_selections}
    try:
        record = benchmark_service.create_benchmark(
            session, hub.artifacts, form["name"], actor_id=user.id, dataset=dataset, phases=_phase_specs(form),
            title=form["title"] or None, description=description, primary_metric=form["primary_metric"] or None,
            settings=_limits(form))
    except BenchhubError as error:
        return _creation_form(request, session, user, form, error=error.in_fields, status=status_of(error))
    return _back(request, record.name, f"Benchmark {record.name!r} created; you maintain it.")


@router.get("/benchmarks/{name}", response_class=HTMLResponse)
def benchmark(name: str, request: Request, session: SessionDep, viewer: ViewerDep,
              weights: Annotated[str | None, Query(max_length=500)] = None) -> HTMLResponse:
    """A benchmark's page; its boards rank by the Dynascore of `weights` (the sliders; the URL holds them), else of
    the maintainers' default weights, else by the primary metric."""
    user = viewer.user
    row = benchmark_service.get_benchmark_row(session, name)
    record = benchmark_service.benchmark_record(row)
    columns = columns_of(row)
    chosen = read_weights((weights or "").strip() or None, columns)
    maintainer = user is not None and benchmark_service.is_maintainer(session, row, user.id)
    # My submissions are read before the boards: a score committed in between then shows on the board while
    # its row still says "scoring", never "scored" with the board still empty.
    mine = []
    if user is not None:
        mine = [viewer.submission(s) for s in submission_service.list_submissions(session, name, actor_id=user.id, user=user.name)]
    boards = []
    for phase in record.phases:
        # Weighed as the viewer receives each board: from its point values, over the rows it shows.
        public = weigh_board(session, viewer.board(benchmark_board(session, name, phase=phase.name, kind="public",
                                                                   viewer_id=user.id if user else None)), chosen)
        private = None
        if not phase.labels_public and _closed(phase):
            private = weigh_board(session, viewer.board(benchmark_board(session, name, phase=phase.name, kind="private",
                                                                        viewer_id=user.id if user else None)), chosen)
        boards.append({"phase": phase, "public": public, "private": private,
                       "measured": measured_columns(r.measurements for b in (public, private) if b for r in b.rows)})
    audit = benchmark_service.public_audit_log(session, name)
    summary = boards[0]["public"].dynascore if boards else None  # the weights in effect, the same on every board
    present = {metric for entry in boards for board in (entry["public"], entry["private"]) if board is not None
               for board_row in board.rows for metric in [*board_row.metrics, *(board_row.measurements or {})]}
    sliders = [{"name": c.name, "label": c.label, "cost": c.cost, "weight": (summary.weights if summary else {"metric": 1.0}).get(c.name, 0.0),
                "amrs": None} for c in columns if c.name == "metric" or c.name in present or (summary and c.name in summary.weights)]
    path = f"/benchmarks/{quote(record.name, safe='')}"
    return render(request, "benchmark.html", user, benchmark=record, boards=boards, mine=mine, maintainer=maintainer, audit=audit,
                  predictions_hint=get_task(record.task).predictions_hint, open_phases=[p for p in record.phases if p.is_open], now=_now(),
                  left=_time_left, sliders=sliders, weights_summary=summary,
                  share=share_link(path, {}, summary if chosen else None),
                  plain=path + ("?weights=metric:1" if default_weights(row) else ""))


@router.post("/benchmarks/{name}/submit")
def submit(name: str, request: Request, session: SessionDep, hub: HubDep, user: RequiredUser,
           file: UploadFile = File(...), phase: str = Form(""), csrf: str = Form(""), method_name: str = Form(""),
           method_description: str = Form(""), method_url: str = Form("")) -> Response:
    check_csrf(request, csrf)
    try:
        content = read_upload(file, benchmark_service.upload_limit(benchmark_service.get_benchmark_row(session, name)))
        outcome = submission_service.submit(session, hub.artifacts, name, actor_id=user.id, content=content,
                                            filename=file.filename or "", phase=phase or None, method_name=method_name,
                                            method_description=method_description, method_url=method_url)
    except BenchhubError as error:
        return _back(request, name, error=True, message=f"Not submitted: {error}")
    wake_scoring(request)
    return _back(request, name, f"Submission {outcome.submission.id} received; it is being scored.")


@router.post("/benchmarks/{name}/final")
def select_final(name: str, request: Request, session: SessionDep, user: RequiredUser, csrf: str = Form(""),
                 phase: str = Form(""), chosen: list[RowId] = Form(default=[], max_length=100)) -> Response:
    check_csrf(request, csrf)
    try:
        submission_service.select_final(session, name, chosen, actor_id=user.id, phase=phase or None)
    except BenchhubError as error:
        return _back(request, name, error=True, message=f"Final selection not changed: {error}")
    return _back(request, name, f"Final selection saved ({len(chosen)} submission{'s' if len(chosen) != 1 else ''}).")


@router.get("/benchmarks/{name}/maintain", response_class=HTMLResponse)
def maintain(name: str, request: Request, session: SessionDep, user: RequiredUser) -> HTMLResponse:
    audit = benchmark_service.audit_log(session, name, actor_id=user.id)  # maintainers and admins only
    row = benchmark_service.get_benchmark_row(session, name)
    record = benchmark_service.benchmark_record(row)
    submissions = submission_service.list_submissions(session, name, actor_id=user.id)
    errors = submission_service.scoring_errors(session, name, actor_id=user.id)
    return render(request, "maintain.html", user, benchmark=record, submissions=submissions, audit=audit, errors=errors,
                  left=_time_left, model_limits=MODEL_LIMITS, limit_ranges=benchmark_service.LIMIT_RANGES,
                  limits_text=benchmark_service.limits_text,
                  weight_columns=columns_of(row), weights=default_weights(row))


@router.post("/benchmarks/{name}/maintain/limits")
def set_phase_limits(name: str, request: Request, session: SessionDep, user: RequiredUser, csrf: str = Form(""),
                     phase: str = Form(...), time_limit_seconds: str = Form(""), memory_limit_mb: str = Form(""),
                     model_size_mb: str = Form("")) -> Response:
    """Changes a models phase's limits; a field left empty keeps its limit."""
    check_csrf(request, csrf)
    given = {"time_limit_seconds": time_limit_seconds, "memory_limit_mb": memory_limit_mb, "model_size_mb": model_size_mb}
    try:
        limits = {key: _whole(given[key], key, label) for key, label in MODEL_LIMITS if given[key].strip()}
        changed = benchmark_service.set_phase_limits(session, name, phase, actor_id=user.id, limits=limits)
    except (InvalidInputError, NotFoundError) as error:
        return _back(request, name, error=True, message=f"Limits not changed: {error}", maintain=True)
    return _back(request, name, f"Phase {phase!r} now takes models: {benchmark_service.limits_text(changed.limits)}; model runs "
                                f"that start from now on use these limits.", maintain=True)


@router.post("/benchmarks/{name}/maintain/weights")
def set_board_weights(name: str, request: Request, session: SessionDep, user: RequiredUser, csrf: str = Form(""),
                      column: list[str] = Form(default=[], max_length=20), weight: list[str] = Form(default=[], max_length=20),
                      clear: str = Form("")) -> Response:
    """Sets the boards' default weights (an empty field weighs 0), or with `clear` removes them."""
    check_csrf(request, csrf)
    try:
        if len(column) != len(weight):
            raise InvalidInputError(f"The form sent {len(column)} columns and {len(weight)} weights; reload the page and try again.")
        chosen = None if clear else {key: _number(text) for key, text in zip(column, weight)}
        saved = set_default_weights(session, name, actor_id=user.id, weights=chosen)
    except (InvalidInputError, NotFoundError) as error:
        return _back(request, name, error=True, message=f"Default weights not changed: {error}", maintain=True)
    return _back(request, name, f"Boards of {name!r} now rank by a Dynascore of {weights_query(saved)} unless a viewer gives weights."
                 if saved else f"Boards of {name!r} now rank by the primary metric unless a viewer gives weights.", maintain=True)


def _number(text: str) -> float | str:
    """A weight field's value: empty weighs 0; text that is no number stays text, for the check to name it."""
    text = text.strip()
    if not text:
        return 0.0
    try:
        return float(text)
    except ValueError:
        return text


@router.post("/benchmarks/{name}/maintain/close")
def close_phase(name: str, request: Request, session: SessionDep, user: RequiredUser, csrf: str = Form(""),
                phase: str = Form(...)) -> Response:
    check_csrf(request, csrf)
    benchmark_service.close_phase(session, name, phase, actor_id=user.id)
    return _back(request, name, f"Phase {phase!r} closed; its private ranking is now shown.", maintain=True)


@router.post("/benchmarks/{name}/maintain/rescore")
def rescore(name: str, request: Request, session: SessionDep, user: RequiredUser,
            csrf: str = Form(""), phase: str = Form("")) -> Response:
    check_csrf(request, csrf)
    queued = submission_service.rescore(session, name, actor_id=user.id, phase=phase or None)
    wake_scoring(request)
    return _back(request, name, f"{queued} submission{'s' if queued != 1 else ''} queued for rescoring; old scores stay in history.",
                 maintain=True)


@router.post("/benchmarks/{name}/maintain/member")
def add_member(name: str, request: Request, session: SessionDep, user: RequiredUser, csrf: str = Form(""),
               member: str = Form("", alias="user"), role: str = Form(benchmark_service.PARTICIPANT)) -> Response:
    check_csrf(request, csrf)
    try:
        benchmark_service.add_member(session, name, actor_id=user.id, user=member.strip(), role=role)
    except (InvalidInputError, NotFoundError) as error:
        return _back(request, name, error=True, message=f"Not added: {error}", maintain=True)
    return _back(request, name, f"{member.strip()} is now a {role} of {name}.", maintain=True)


@router.post("/benchmarks/{name}/maintain/moderate")
def moderate(name: str, request: Request, session: SessionDep, user: RequiredUser, csrf: str = Form(""),
             submission: SubmissionField = ..., action: str = Form(...), reason: str = Form("")) -> Response:
    check_csrf(request, csrf)
    record = submission_service.get_submission(session, submission, actor_id=user.id)
    if record.benchmark != name:
        raise InvalidInputError(f"Benchmark {name!r} has no submission {submission}.")
    submission_service.moderate(session, submission, actor_id=user.id, action=action, reason=reason)
    return _back(request, name, f"Submission {submission}: {action} recorded in the audit log.", maintain=True)


PHASE_ROWS = 3
LIMITS = (("max_per_day", "Submissions per participant and day"), ("max_total", "Submissions per participant in all"),
          ("final_selections", "Submissions a participant picks for the private ranking"))


def _creation_form(request: Request, session: Any, user: Any, form: dict[str, Any], *, error: str | None = None,
                   status: int = 200) -> HTMLResponse:
    from benchhub.catalog.datasets import list_datasets

    return render(request, "benchmark_new.html", user, status=status, form=form, error=error, datasets=list_datasets(session),
                  phase_rows=PHASE_ROWS, limits=LIMITS, defaults=benchmark_service.DEFAULT_SETTINGS,
                  model_limits=MODEL_LIMITS, limit_defaults=benchmark_service.DEFAULT_LIMITS)


def _padded(values: list[str]) -> list[str]:
    return [value.strip() for value in values[:PHASE_ROWS]] + [""] * (PHASE_ROWS - len(values[:PHASE_ROWS]))


def _phase_specs(form: dict[str, Any]) -> list[benchmark_service.PhaseSpec]:
    phases = []
    for i in range(PHASE_ROWS):
        name, split = form["phase_name"][i], form["phase_split"][i]
        if not (name or split or form["phase_opens"][i] or form["phase_closes"][i]):
            continue
        if not name or not split:
            raise InvalidInputError(f"Phase {i + 1} needs both a name and a split (or leave all its fields empty).")
        takes_models = form["phase_visibility"][i] == "models"
        limits = {key: _whole(form[f"phase_{key}"][i], key, f"Phase {i + 1}'s {label.lower()}")
                  for key, label in MODEL_LIMITS if form[f"phase_{key}"][i].strip()}
        phases.append(benchmark_service.PhaseSpec(
            name, split, labels_public=form["phase_visibility"][i] == "public",
            opens_at=_utc(form["phase_opens"][i], f"Phase {i + 1}'s opening time"),
            closes_at=_utc(form["phase_closes"][i], f"Phase {i + 1}'s closing time"),
            takes=benchmark_service.MODELS if takes_models else benchmark_service.PREDICTIONS, limits=limits or None))
    return phases


MODEL_LIMITS = (("time_limit_seconds", "Time limit (s)"), ("memory_limit_mb", "Memory limit (MB)"),
                ("model_size_mb", "Model size limit (MB)"))


def _whole(text: str, key: str, what: str) -> int:
    """A limit field's whole number (ASCII digits; the service checks its range)."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        raise InvalidInputError(f"{what} {text[:40]!r} is not a whole number.")
    low, high = benchmark_service.LIMIT_RANGES[key]
    if len(text.lstrip("0")) > len(str(high)):  # before int(), which refuses strings of over 4,300 digits
        raise InvalidInputError(f"{what} {text[:20] + '…' if len(text) > 20 else text} is too large; it must be in the range "
                                f"[{low}, {high}].")
    return int(text)


def _utc(text: str, what: str) -> datetime | None:
    """A datetime-local field's value, read as UTC."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
    except ValueError:
        raise InvalidInputError(f"{what} {text!r} is not a date and time such as 2026-12-31T23:59.") from None


def _limits(form: dict[str, Any]) -> dict[str, int]:
    settings = {}
    for key, label in LIMITS:
        text = form[key].strip()
        if text:
            if not (text.isascii() and text.isdigit()):
                raise InvalidInputError(f"{label}: {text[:40]!r} is not a whole number; leave it empty for the default.")
            most = benchmark_service.SETTING_MAXIMA[key]
            if len(text.lstrip("0")) > len(str(most)):  # before int(), which refuses strings of over 4,300 digits
                shown = text if len(text) <= 20 else text[:20] + "…"
                raise InvalidInputError(f"{label}: {shown} is too large; it must be in the range [1, {most}].")
            settings[key] = int(text)
    return settings


def _back(request: Request, name: str, message: str, *, maintain: bool = False, error: bool = False) -> RedirectResponse:
    from urllib.parse import quote

    return redirect_with_flash(request, f"/benchmarks/{quote(name)}{'/maintain' if maintain else ''}", message, error=error)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _closed(phase: Any) -> bool:
    return phase.closed_at is not None or (phase.closes_at is not None and phase.closes_at <= _now())


def _time_left(phase: Any) -> str:
    """'closes in 3 d 4 h', 'opens in ...', or 'closed'."""
    now = _now()
    if _closed(phase):
        return "closed"
    if phase.opens_at is not None and phase.opens_at > now:
        return f"opens in {_span(phase.opens_at - now)}"
    return f"closes in {_span(phase.closes_at - now)}" if phase.closes_at is not None else "open, no closing date"


def _span(delta: Any) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, hours, minutes = minutes // 1440, (minutes % 1440) // 60, minutes % 60
    return f"{days} d {hours} h" if days else f"{hours} h {minutes} min" if hours else f"{minutes} min"

