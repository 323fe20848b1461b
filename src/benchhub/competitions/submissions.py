"""Submissions to hosted benchmarks: checked before anything is charged, then limits and insert as one atomic step.

Order of `submit`:
0. the method the participant names (name, description, URL; all optional) is checked: bad text costs nothing;
1. an `Idempotency-Key` seen before returns the first submission (same file and phase) or a ConflictError;
2. the file is checked (size, format, every id once, finite numbers, depth): a bad file costs nothing; on a phase
   that takes models, the file is a model archive, extracted and vetted by `model_submissions` instead;
3. one transaction, serialised per (user, benchmark): SQLite takes the write lock up front (`BEGIN
   IMMEDIATE`); PostgreSQL locks the phase row FOR SHARE (so closing waits) and the user's member row
   FOR UPDATE. Under that lock the key is looked up again, the phase must be open, the limits are
   counted, and the submission and its scoring job are inserted together. A concurrent insert of the
   same key that still slips through hits the unique constraint and is answered as a repeat.

The method can be set, changed or cleared later (`edit_method`) by the participant or a maintainer.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from benchhub.catalog.datasets import load_split
from benchhub.competitions import benchmarks, model_submissions
from benchhub.competitions.queue import (
    QUEUED,
    SCORED,
    SCORING_FAILED,
    SUBMITTED,
    new_job,
)
from benchhub.data.archives import archive_format
from benchhub.data.submission_files import check_size, check_submission_file
from benchhub.errors import (
    ConflictError,
    InvalidInputError,
    LimitExceededError,
    NotFoundError,
    PermissionDeniedError,
    PredictionsFormatError,
)
from benchhub.naming import check_text, quoted
from benchhub.results import Submission, SubmissionScore
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.database import commit_or_undo, immediate_transaction
from benchhub.store.ids import is_row_id
from benchhub.store.tables import (
    BenchmarkMemberRow,
    BenchmarkPhaseRow,
    BenchmarkRow,
    ScoringJobRow,
    SubmissionRow,
    SubmissionScoreRow,
    UserRow,
    utcnow,
)
from benchhub.tasks.registry import get_task

_KEY = re.compile(r"[\x21-\x7e]{1,200}")
MAX_REASON = 2_000
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
MODERATION = {"hide": ("hidden", True), "unhide": ("hidden", False),
              "disqualify": ("disqualified", True), "reinstate": ("disqualified", False)}
MAX_METHOD_NAME, MAX_METHOD_DESCRIPTION, MAX_METHOD_URL = 120, 2_000, 500
METHOD_FIELDS = ("method_name", "method_description", "method_url")
_URL_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class SubmitOutcome:
    """The submission, and whether it is the answer to a repeated idempotency key (nothing new was charged)."""

    submission: Submission
    replayed: bool


def submit(session: Session, artifacts: ArtifactStore, benchmark: str, *, actor_id: int, content: bytes, filename: str,
           phase: str | None = None, idempotency_key: str | None = None, method_name: str | None = None,
           method_description: str | None = None, method_url: str | None = None) -> SubmitOutcome:
    """Checks a predictions file and, within the limits, queues it for scoring.

    The method fields are optional (blank: not given). A repeated idempotency key answers with the first
    submission as it was made, whatever method the repeat names.
    """
    method = check_method(method_name, method_description, method_url)
    bench = benchmarks.get_benchmark_row(session, benchmark)
    actor = benchmarks.get_user(session, actor_id)
    digest = hashlib.sha256(content).hexdigest()
    if idempotency_key is not None:
        if not _KEY.fullmatch(idempotency_key):
            raise InvalidInputError("An Idempotency-Key must be 1-200 printable ASCII characters without spaces.")
        existing = _by_key(session, bench, actor, idempotency_key)
        if existing is not None:
            return _replay(session, existing, digest, phase, idempotency_key)
    phase_row = benchmarks.get_phase_row(bench, phase)
    _check_open(bench, phase_row, utcnow())
    enrol = _needs_enrolment(session, bench, actor)
    settings = bench.settings
    takes_models = phase_row.takes == benchmarks.MODELS
    name = _stored_name(filename, bench.task, model=takes_models)
    if takes_models:
        model_submissions.check_size(name, len(content), phase_row)
    else:
        check_size(name, len(content), settings["max_bytes"])
    folder = f"submissions/{bench.name}/{uuid.uuid4().hex}"
    # A model archive waits in a folder of its own, apart from the folder it is extracted to.
    path = artifacts.path(folder, *((model_submissions.UPLOAD_FOLDER,) if takes_models else ()), name)
    path.parent.mkdir(parents=True)
    try:
        path.write_bytes(content)
        if takes_models:
            stored = artifacts.relative(model_submissions.stage_model(artifacts.path(folder), path, phase_row, bench.task))
        else:
            if archive_format(path) is not None:
                raise PredictionsFormatError(
                    f"Phase {phase_row.name!r} takes predictions files, and {name} is an archive: submit the predictions "
                    f"file itself ({get_task(bench.task).predictions_hint}), or send models to a phase that takes them.")
            split = load_split(artifacts, bench.dataset, phase_row.split)
            check_submission_file(path, task=get_task(bench.task), split=split, labels=list(bench.dataset.labels),
                                  max_bytes=settings["max_bytes"])
            get_task(bench.task).check_submission(path, settings=dict(settings.get("model_settings") or {}))
            stored = f"{folder}/{name}"
        if enrol:
            _enrol(session, bench, actor)
        outcome = _insert(session, bench, phase_row.id, actor, idempotency_key, phase, digest=digest, name=name,
                          relative=stored, size=len(content), method=method)
    except BaseException:
        session.rollback()
        artifacts.remove(folder)
        raise
    if outcome.replayed:
        artifacts.remove(folder)
    return outcome


def _insert(session: Session, bench: BenchmarkRow, phase_id: int, actor: UserRow, key: str | None, phase: str | None, *,
            digest: str, name: str, relative: str, size: int, method: dict[str, str | None]) -> SubmitOutcome:
    session.commit()  # the checks above only read; the lock must start the writing transaction
    try:
        immediate_transaction(session)
        phase_row = session.scalar(select(BenchmarkPhaseRow).where(BenchmarkPhaseRow.id == phase_id)
                                   .with_for_update(read=True).execution_options(populate_existing=True))
        session.scalar(select(BenchmarkMemberRow.id).where(
            BenchmarkMemberRow.benchmark_id == bench.id, BenchmarkMemberRow.user_id == actor.id).with_for_update())
        existing = _by_key(session, bench, actor, key) if key is not None else None
        if existing is None:
            now = utcnow()
            _check_open(bench, phase_row, now)
            _check_limits(session, bench, phase_row, actor, now)
            row = SubmissionRow(
                benchmark_id=bench.id, phase_id=phase_row.id, user_id=actor.id, status=SUBMITTED, filename=name,
                file_path=relative, sha256=digest, size_bytes=size, idempotency_key=key, hidden=False,
                disqualified=False, selected_final=False, created_at=now, **method,
            )
            session.add(row)
            session.flush()
            session.add(new_job(row.id, reason="submit", max_attempts=bench.settings["max_scoring_attempts"]))
            session.commit()
            return SubmitOutcome(submission_record(session, row, reveal_private=False), replayed=False)
        session.rollback()
    except IntegrityError:
        # Only the idempotency key is unique among a submission's columns: a concurrent repeat won.
        session.rollback()
        existing = _by_key(session, bench, actor, key) if key is not None else None
        if existing is None:
            raise
    return _replay(session, existing, digest, phase, key)


def _by_key(session: Session, bench: BenchmarkRow, actor: UserRow, key: str) -> SubmissionRow | None:
    return session.scalar(select(SubmissionRow).where(
        SubmissionRow.user_id == actor.id, SubmissionRow.benchmark_id == bench.id, SubmissionRow.idempotency_key == key,
    ).execution_options(populate_existing=True))


def _replay(session: Session, row: SubmissionRow, digest: str, phase: str | None, key: str) -> SubmitOutcome:
    if row.sha256 != digest or (phase is not None and row.phase.name != phase):
        raise ConflictError(
            f"Idempotency key {key!r} was used for submission {row.id} with a different file or phase; "
            f"use a new key for a new submission."
        )
    return SubmitOutcome(submission_record(session, row, reveal_private=False), replayed=True)


def _check_open(bench: BenchmarkRow, phase: BenchmarkPhaseRow, now: datetime) -> None:
    state = benchmarks.phase_state(phase, now)
    if state == "upcoming":
        raise ConflictError(f"Phase {phase.name!r} of benchmark {bench.name!r} opens at {phase.opens_at.isoformat()}; submit then.")
    if state == "closed":
        raise ConflictError(f"Phase {phase.name!r} of benchmark {bench.name!r} is closed; it takes no more submissions.")


def _needs_enrolment(session: Session, bench: BenchmarkRow, actor: UserRow) -> bool:
    """Whether the actor must first become a participant (refused where enrolment is closed)."""
    if benchmarks.role_of(session, bench, actor.id) is not None:
        return False
    if not bench.settings["open_enrollment"]:
        raise PermissionDeniedError(f"Benchmark {bench.name!r} takes submissions from its members only; ask a maintainer to add {actor.name!r}.")
    return True


def _enrol(session: Session, bench: BenchmarkRow, actor: UserRow) -> None:
    # Committed on its own: the submission's transaction locks this row.
    try:
        session.add(BenchmarkMemberRow(benchmark_id=bench.id, user_id=actor.id, role=benchmarks.PARTICIPANT))
        session.commit()
    except IntegrityError:
        session.rollback()  # a concurrent request of the same user joined first


def _check_limits(session: Session, bench: BenchmarkRow, phase: BenchmarkPhaseRow, actor: UserRow, now: datetime) -> None:
    settings = bench.settings
    midnight = now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    mine = select(func.count()).select_from(SubmissionRow).where(
        SubmissionRow.phase_id == phase.id, SubmissionRow.user_id == actor.id)
    charged = mine.where(SubmissionRow.status != SCORING_FAILED)
    where = f"phase {phase.name!r} of benchmark {bench.name!r}"
    tomorrow = (midnight + timedelta(days=1)).isoformat()
    if settings["max_total"] is not None and (total := session.scalar(charged)) >= settings["max_total"]:
        raise LimitExceededError(f"You have made {total} submissions to {where}; the limit is {settings['max_total']} in total.")
    if settings["max_per_day"] is not None and (today := session.scalar(charged.where(SubmissionRow.created_at >= midnight))) >= settings["max_per_day"]:
        raise LimitExceededError(
            f"You have made {today} submissions to {where} today (UTC); the limit is {settings['max_per_day']} a day. "
            f"Submit again after {tomorrow}."
        )
    failed_cap = settings["max_failed_per_day"]
    if failed_cap is not None:
        failed = session.scalar(mine.where(SubmissionRow.status == SCORING_FAILED, SubmissionRow.created_at >= midnight))
        if failed >= failed_cap:
            raise LimitExceededError(
                f"{failed} of your submissions to {where} failed scoring today (UTC); the cap is {failed_cap} a day. "
                f"Submit again after {tomorrow}."
            )


def check_method(name: str | None, description: str | None, url: str | None) -> dict[str, str | None]:
    """The method fields as stored (trimmed; blank ones None), or one line on what is wrong, what is allowed and the fix."""
    values = {"method_name": _method_name(name), "method_description": _method_description(description),
              "method_url": _method_url(url)}
    if values["method_name"] is None and (values["method_description"] or values["method_url"]):
        raise InvalidInputError(f"A method description or URL needs the method's name too; give a method name of "
                                f"1-{MAX_METHOD_NAME} characters (or leave all three out).")
    return values


def _trimmed(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInputError(f"{what} must be text; got {type(value).__name__}.")
    return value.strip() or None


def _method_name(value: str | None) -> str | None:
    name = _trimmed(value, "A method name")
    if name is None:
        return None
    if len(name) > MAX_METHOD_NAME:
        raise InvalidInputError(f"A method name must be 1-{MAX_METHOD_NAME} characters; got {len(name):,}. "
                                f"Shorten it (a method description takes up to {MAX_METHOD_DESCRIPTION:,}).")
    check_text(name, "A method name", max_length=MAX_METHOD_NAME)
    bad = next((c for c in name if not c.isprintable()), None)  # line and paragraph separators, unassigned code points
    if bad is not None:
        raise InvalidInputError(f"A method name holds {bad!r} at position {name.index(bad)}; "
                                f"use printable characters on one line (letters, digits, punctuation, spaces).")
    return name


def _method_description(value: str | None) -> str | None:
    description = _trimmed(value, "A method description")
    if description is None:
        return None
    if len(description) > MAX_METHOD_DESCRIPTION:
        raise InvalidInputError(f"A method description must be at most {MAX_METHOD_DESCRIPTION:,} characters; got "
                                f"{len(description):,}. Shorten it, and link the rest with a method URL.")
    return check_text(description, "A method description", max_length=MAX_METHOD_DESCRIPTION, multiline=True)


def _method_url(value: str | None) -> str | None:
    """An http(s) address with a host: pages link it, so javascript:, data: and the like never get there."""
    url = _trimmed(value, "A method URL")
    if url is None:
        return None
    if len(url) > MAX_METHOD_URL:
        raise InvalidInputError(f"A method URL must be at most {MAX_METHOD_URL} characters; got {len(url):,}. Link a shorter address.")
    bad = next((c for c in url if c.isspace() or c == "\\" or not c.isprintable()), None)
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # .port raises on a port that is not a number
    except ValueError:
        parts, host = None, None
    if bad is not None:
        problem = f"holds {bad!r} at position {url.index(bad)}"
    elif parts is None:
        problem = "cannot be read as a URL"
    elif parts.scheme.lower() not in _URL_SCHEMES:
        problem = f"is a {parts.scheme.lower()}: URL" if parts.scheme else "has no scheme"
    elif not host:
        problem = "has no host"
    elif "@" in parts.netloc:
        problem = "holds a user name or password"
    else:
        return url
    raise InvalidInputError(f"The method URL {quoted(url)} {problem}; give an http:// or https:// address with a host, "
                            f"e.g. https://example.org/paper.")


def edit_method(session: Session, submission_id: int, *, actor_id: int, benchmark: str | None = None, name: str | None = None,
                description: str | None = None, url: str | None = None) -> Submission:
    """Sets, changes or clears a submission's method (None: unchanged; "": cleared); its participant or a maintainer.

    With `benchmark`, the submission must be one of that benchmark's. The change is written to the
    benchmark's audit log (which maintainers read), with the new values.
    """
    given = {field: value for field, value in zip(METHOD_FIELDS, (name, description, url)) if value is not None}
    row = _submission_row(session, submission_id)
    maintainer = benchmarks.is_maintainer(session, row.benchmark, actor_id)
    if row.user_id != actor_id and not maintainer:
        raise NotFoundError(f"No submission {submission_id} of yours.")
    if benchmark is not None and row.benchmark.name != benchmark:
        raise NotFoundError(f"Benchmark {benchmark!r} has no submission {submission_id}.")
    if not given:
        raise InvalidInputError("Nothing to change: give a method name, description or URL (an empty one clears it).")
    current = {field: getattr(row, field) for field in METHOD_FIELDS}
    values = check_method(*(given.get(field, current[field]) for field in METHOD_FIELDS))
    changed = {field: value for field, value in values.items() if value != current[field]}
    if changed:
        for field, value in changed.items():
            setattr(row, field, value)
        benchmarks.add_audit(session, row.benchmark, actor_id, "edit_method", {"submission": row.id, "user": row.user.name, **changed})
        commit_or_undo(session)
    return submission_record(session, row, reveal_private=maintainer)


def _stored_name(filename: str, task: str, *, model: bool = False) -> str:
    """The sender's file name without folders or unusual characters; the suffix picks the format, as in scoring."""
    cleaned = _UNSAFE.sub("_", Path(filename.replace("\\", "/")).name).lstrip("._")[-100:]
    return cleaned or (model_submissions.DEFAULT_ARCHIVE_NAME if model else get_task(task).predictions_filename)


def list_submissions(session: Session, benchmark: str, *, actor_id: int, phase: str | None = None,
                     user: str | None = None) -> list[Submission]:
    """The actor's own submissions, newest first; maintainers may list anyone's (`user`) or everyone's."""
    bench = benchmarks.get_benchmark_row(session, benchmark)
    actor = benchmarks.get_user(session, actor_id)
    maintainer = benchmarks.is_maintainer(session, bench, actor.id)
    statement = select(SubmissionRow).where(SubmissionRow.benchmark_id == bench.id).order_by(SubmissionRow.id.desc())
    if user is not None and user != actor.name:
        if not maintainer:
            raise PermissionDeniedError(f"Only maintainers of benchmark {bench.name!r} may list other users' submissions.")
        statement = statement.where(SubmissionRow.user_id == benchmarks.get_user_by_name(session, user).id)
    elif not maintainer or user == actor.name:
        statement = statement.where(SubmissionRow.user_id == actor.id)
    if phase is not None:
        statement = statement.where(SubmissionRow.phase_id == benchmarks.get_phase_row(bench, phase).id)
    return [submission_record(session, row, reveal_private=maintainer) for row in session.scalars(statement)]


def get_submission(session: Session, submission_id: int, *, actor_id: int) -> Submission:
    """One submission, for its participant or a maintainer."""
    row = _submission_row(session, submission_id)
    maintainer = benchmarks.is_maintainer(session, row.benchmark, actor_id)
    if row.user_id != actor_id and not maintainer:
        raise NotFoundError(f"No submission {submission_id} of yours.")
    return submission_record(session, row, reveal_private=maintainer)


def select_final(session: Session, benchmark: str, submission_ids: Sequence[int], *, actor_id: int,
                 phase: str | None = None) -> list[Submission]:
    """Picks the actor's submissions for the private ranking (at most K; none: the best public one counts)."""
    bench = benchmarks.get_benchmark_row(session, benchmark)
    actor = benchmarks.get_user(session, actor_id)
    if benchmarks.role_of(session, bench, actor.id) is None:
        # Nothing to pick, and it would write an audit entry on a benchmark the user has no part in.
        raise PermissionDeniedError(f"User {actor.name!r} has not submitted to benchmark {bench.name!r}, so has nothing to pick.")
    phase_row = benchmarks.get_phase_row(bench, phase)
    _check_open(bench, phase_row, utcnow())
    limit = bench.settings["final_selections"]
    chosen = sorted(set(submission_ids))
    if len(chosen) > limit:
        raise InvalidInputError(f"Pick at most {limit} submissions for the final ranking; {len(chosen)} were given.")
    mine = session.scalars(select(SubmissionRow).where(
        SubmissionRow.phase_id == phase_row.id, SubmissionRow.user_id == actor.id)).all()
    by_id = {row.id: row for row in mine}
    for submission_id in chosen:
        row = by_id.get(submission_id)
        if row is None:
            raise NotFoundError(f"No submission {submission_id} of yours in phase {phase_row.name!r}.")
        if row.status != SCORED or row.disqualified:
            raise InvalidInputError(f"Submission {submission_id} cannot be picked: it is {'disqualified' if row.disqualified else row.status}.")
    for row in mine:
        row.selected_final = row.id in chosen
    benchmarks.add_audit(session, bench, actor.id, "select_final", {"phase": phase_row.name, "submissions": chosen})
    commit_or_undo(session)
    return [submission_record(session, by_id[i], reveal_private=False) for i in chosen]


def moderate(session: Session, submission_id: int, *, actor_id: int, action: str, reason: str = "",
             benchmark: str | None = None) -> Submission:
    """Hides, unhides, disqualifies or reinstates a submission, with a reason; maintainers and admins only.
    With `benchmark`, the submission must be one of that benchmark's (checked before anything changes)."""
    if action not in MODERATION:
        raise InvalidInputError(f"Action {action!r} is not one of {sorted(MODERATION)}.")
    row = _submission_row(session, submission_id)
    if benchmark is not None and row.benchmark.name != benchmark:
        raise NotFoundError(f"Benchmark {benchmark!r} has no submission {submission_id}.")
    actor = benchmarks.require_maintainer(session, row.benchmark, actor_id, f"{action} submissions")
    reason = check_text(reason.strip(), "A moderation reason", max_length=MAX_REASON, multiline=True)
    if action in ("hide", "disqualify") and not reason:
        raise InvalidInputError(f"Give a reason to {action} submission {submission_id}; the participant will see it.")
    flag, value = MODERATION[action]
    setattr(row, flag, value)
    if value or not (row.hidden or row.disqualified):
        row.moderation_reason = reason or None  # lifting one flag keeps the reason for the other
    benchmarks.add_audit(session, row.benchmark, actor.id, action, {"submission": row.id, "user": row.user.name, "reason": reason})
    commit_or_undo(session)
    return submission_record(session, row, reveal_private=True)


def rescore(session: Session, benchmark: str, *, actor_id: int, phase: str | None = None) -> int:
    """Queues every submission (of one phase, or all) for scoring again; old scores stay as history."""
    bench = benchmarks.get_benchmark_row(session, benchmark)
    actor = benchmarks.require_maintainer(session, bench, actor_id, "rescore submissions")
    statement = select(SubmissionRow).where(SubmissionRow.benchmark_id == bench.id).order_by(SubmissionRow.id)
    if phase is not None:
        statement = statement.where(SubmissionRow.phase_id == benchmarks.get_phase_row(bench, phase).id)
    waiting = set(session.scalars(select(ScoringJobRow.submission_id).join(SubmissionRow)
                                  .where(SubmissionRow.benchmark_id == bench.id, ScoringJobRow.state == QUEUED)))
    queued = 0
    for row in session.scalars(statement).all():
        if row.id in waiting:
            continue  # its queued job will score it with the current code anyway
        session.add(new_job(row.id, reason="rescore", max_attempts=bench.settings["max_scoring_attempts"]))
        if row.status == SCORING_FAILED:
            row.status, row.error = SUBMITTED, None
        queued += 1
    benchmarks.add_audit(session, bench, actor.id, "rescore", {"phase": phase, "jobs": queued})
    commit_or_undo(session)
    return queued


def score_history(session: Session, submission_id: int, *, actor_id: int) -> list[SubmissionScore]:
    """Every version of a submission's scores, oldest first; maintainers and admins only."""
    row = _submission_row(session, submission_id)
    benchmarks.require_maintainer(session, row.benchmark, actor_id, "read score histories")
    scores = session.scalars(select(SubmissionScoreRow).where(SubmissionScoreRow.submission_id == row.id)
                             .order_by(SubmissionScoreRow.version))
    return [SubmissionScore(s.version, dict(s.public_metrics), s.private_metrics, s.is_current, s.created_at) for s in scores]


def _submission_row(session: Session, submission_id: int) -> SubmissionRow:
    row = session.get(SubmissionRow, submission_id) if is_row_id(submission_id) else None
    if row is None:
        raise NotFoundError(f"No submission {submission_id}.")
    return row


def submission_record(session: Session, row: SubmissionRow, *, reveal_private: bool) -> Submission:
    """The participant's view of a submission; private metrics only once the phase is closed (or for maintainers)."""
    score = session.scalar(select(SubmissionScoreRow).where(
        SubmissionScoreRow.submission_id == row.id, SubmissionScoreRow.is_current))
    closed = benchmarks.phase_state(row.phase, utcnow()) == "closed"
    private = score.private_metrics if score is not None and (reveal_private or closed) else None
    return Submission(
        id=row.id, benchmark=row.benchmark.name, phase=row.phase.name, user=row.user.name, status=row.status,
        filename=row.filename, sha256=row.sha256, size_bytes=row.size_bytes, created_at=row.created_at,
        hidden=row.hidden, disqualified=row.disqualified, moderation_reason=row.moderation_reason,
        selected_final=row.selected_final, error=row.error,
        public_metrics=dict(score.public_metrics) if score is not None else None,
        private_metrics=dict(private) if private is not None else None,
        score_version=score.version if score is not None else None,
        method_name=row.method_name, method_description=row.method_description, method_url=row.method_url,
        measurements=dict(score.measurements) if score is not None and score.measurements else None,
    )


def scoring_errors(session: Session, benchmark: str, *, actor_id: int) -> dict[int, str]:
    """The last scoring error of each submission whose scoring failed at least once (maintainers only).

    These messages can quote hidden labels (an exception about a gold answer), so participants see
    only "scoring failed"; the benchmark's maintainers need the cause to fix a scorer.
    """
    bench = benchmarks.get_benchmark_row(session, benchmark)
    benchmarks.require_maintainer(session, bench, actor_id, "read scoring errors")
    rows = session.execute(
        select(ScoringJobRow.submission_id, ScoringJobRow.last_error)
        .join(SubmissionRow, SubmissionRow.id == ScoringJobRow.submission_id)
        .where(SubmissionRow.benchmark_id == bench.id, ScoringJobRow.last_error.is_not(None))
        .order_by(ScoringJobRow.id)
    )
    return {submission_id: error for submission_id, error in rows}
