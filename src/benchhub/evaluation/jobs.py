"""Evaluation jobs: evaluations asked for through the hub, queued in its database and run by workers.

    queued ──claim──▶ running ──▶ done
      │  ▲               │ └──▶ failed (the model or data was refused, a limit was hit, or no attempts are left)
      │  └─ crashed, attempts left; or lease expired: another worker's claim takes it over
      └──cancel──▶ cancelled ◀──cancel (the worker stops its process)── running

One request (models × datasets) makes one job per pair; a pair whose result is stored already is done at
once (`cached`). Workers hold a job under a lease they renew, as for scoring jobs (`competitions.queue`),
and the result is written once: the evaluation row is unique by its cache key, and a job is finished only
by the worker that still holds it. Jobs are taken fairly, not first in, first out: round-robin over
`queue_key` (one per user), the key whose last job started longest ago first, so one user's 200-job
matrix does not hold up another user's single job. A user's jobs may take `accounts.users`'s quota of
evaluation time per window; jobs that were cancelled do not count.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from benchhub.accounts.users import (
    QUOTA_WINDOW,
    evaluation_quota_seconds,
    may_write_catalog,
)
from benchhub.catalog.datasets import get_dataset_row, get_split_row
from benchhub.catalog.models import get_model_row
from benchhub.errors import (
    ConflictError,
    InvalidInputError,
    LimitExceededError,
    NotFoundError,
    PermissionDeniedError,
)
from benchhub.evaluation.evaluations import stored_evaluation
from benchhub.results import EvaluationJob
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.database import immediate_transaction
from benchhub.store.tables import EvaluationJobRow, UserRow, utcnow

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
ENDED = (DONE, FAILED, CANCELLED)
MAX_JOBS_PER_REQUEST = 500
MAX_QUEUED_PER_USER = 2000
MAX_ATTEMPTS = 3
DEFAULT_TIME_LIMIT_SECONDS = 3600
MAX_TIME_LIMIT_SECONDS = 24 * 3600
DEFAULT_MEMORY_LIMIT_MB = 8192
MIN_MEMORY_LIMIT_MB, MAX_MEMORY_LIMIT_MB = 256, 1024 * 1024
MAX_BATCH_SIZE = 1024


@dataclass(frozen=True)
class JobClaim:
    """A job held by one worker for one attempt."""

    job_id: int
    worker: str
    attempt: int


def request_evaluations(session: Session, artifacts: ArtifactStore, user: UserRow, *, models: Iterable[str],
                        datasets: Iterable[str], split: str = "test", batch_size: int = 32,
                        settings: dict[str, Any] | None = None, time_limit_seconds: int | None = None,
                        memory_limit_mb: int | None = None) -> list[EvaluationJob]:
    """Queues one job per (model, dataset) for `user`, all checked before any is queued; pairs with a stored result
    are done at once. The caller has checked that `user` may see the split (a hosted benchmark may hide it)."""
    if not may_write_catalog(user):
        raise PermissionDeniedError(f"User {user.name!r} is a reader of this hub; an admin can make them a member "
                                    f"(`benchhub user set {user.name} --role member`) to start evaluations.")
    models, datasets = _names(models, "model"), _names(datasets, "dataset")
    if len(models) * len(datasets) > MAX_JOBS_PER_REQUEST:
        raise InvalidInputError(f"{len(models)} models x {len(datasets)} datasets is {len(models) * len(datasets)} jobs; "
                                f"one request may queue at most {MAX_JOBS_PER_REQUEST}. Split it into several requests.")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise InvalidInputError(f"batch_size must be an int in the range [1, {MAX_BATCH_SIZE}]. Got {batch_size!r} instead.")
    time_limit = _bounded(time_limit_seconds, DEFAULT_TIME_LIMIT_SECONDS, 1, MAX_TIME_LIMIT_SECONDS, "time_limit_seconds")
    memory_limit = _bounded(memory_limit_mb, DEFAULT_MEMORY_LIMIT_MB, MIN_MEMORY_LIMIT_MB, MAX_MEMORY_LIMIT_MB, "memory_limit_mb")
    settings = {key: value for key, value in (settings or {}).items() if value is not None}
    used, quota = used_evaluation_seconds(session, user), evaluation_quota_seconds(user)
    if used >= quota:
        raise LimitExceededError(f"User {user.name!r} has used {used / 3600:.1f} of their {quota / 3600:g} hours of "
                                    f"evaluation time in the last {QUOTA_WINDOW.days} days; wait, or ask an admin for more "
                                    f"(`benchhub user set {user.name} --evaluation-quota-hours H`).")
    waiting = session.scalar(select(func.count()).where(EvaluationJobRow.owner_id == user.id,
                                                        EvaluationJobRow.state.in_((QUEUED, RUNNING)))) or 0
    if waiting + len(models) * len(datasets) > MAX_QUEUED_PER_USER:
        raise LimitExceededError(f"User {user.name!r} has {waiting} evaluation jobs queued or running; at most "
                                 f"{MAX_QUEUED_PER_USER} may wait at once. Wait for some to finish, or cancel some.")
    cached: dict[tuple[str, str], Any] = {}
    for dataset in datasets:
        get_split_row(get_dataset_row(session, dataset), split)
        for model in models:
            get_model_row(session, model)
            # Checks the settings and the pair the same way a run would; a stored result answers at once.
            cached[model, dataset] = stored_evaluation(session, artifacts, model=model, dataset=dataset, split=split,
                                                       settings=settings)
    batch, now = uuid.uuid4().hex, utcnow()
    rows = []
    for dataset in datasets:
        for model in models:
            done = cached[model, dataset]
            rows.append(EvaluationJobRow(
                owner_id=user.id, queue_key=f"user:{user.id}", batch=batch, model=model, dataset=dataset, split=split,
                batch_size=batch_size, settings=settings, state=DONE if done else QUEUED, attempts=0,
                max_attempts=MAX_ATTEMPTS, time_limit_seconds=time_limit, memory_limit_mb=memory_limit,
                cancel_requested=False, examples_done=0, cached=bool(done), evaluation_id=done.id if done else None,
                created_at=now, finished_at=now if done else None,
            ))
    session.add_all(rows)
    session.commit()
    positions = queue_positions(session)
    return [job_record(session, row, positions) for row in rows]


def used_evaluation_seconds(session: Session, user: UserRow, *, now: datetime | None = None) -> float:
    """Seconds of evaluation `user`'s jobs took in the quota window (running ones so far; cancelled ones not at all)."""
    now = now or utcnow()
    rows = session.execute(
        select(EvaluationJobRow.started_at, EvaluationJobRow.finished_at).where(
            EvaluationJobRow.owner_id == user.id, EvaluationJobRow.state.in_((RUNNING, DONE, FAILED)),
            EvaluationJobRow.started_at.is_not(None), EvaluationJobRow.started_at >= now - QUOTA_WINDOW)
    ).all()
    return sum(((finished or now) - started).total_seconds() for started, finished in rows)


def list_jobs(session: Session, user: UserRow, *, everyone: bool = False, batch: str | None = None,
              state: str | None = None, limit: int = 200) -> list[EvaluationJob]:
    """`user`'s jobs, newest first (an admin's `everyone`: all users' jobs)."""
    statement = select(EvaluationJobRow).order_by(EvaluationJobRow.id.desc()).limit(limit)
    if not (everyone and user.is_admin):
        statement = statement.where(EvaluationJobRow.owner_id == user.id)
    if batch is not None:
        statement = statement.where(EvaluationJobRow.batch == batch)
    if state is not None:
        if state not in (QUEUED, RUNNING, *ENDED):
            raise InvalidInputError(f"state {state!r} is not one of queued, running, done, failed, cancelled.")
        statement = statement.where(EvaluationJobRow.state == state)
    positions = queue_positions(session)
    return [job_record(session, row, positions) for row in session.scalars(statement)]


def get_job(session: Session, user: UserRow, job_id: int) -> EvaluationJobRow:
    """The job, when `user` owns it or is an admin; otherwise, as for a job that does not exist, NotFoundError."""
    row = session.get(EvaluationJobRow, job_id)
    if row is None or not (user.is_admin or row.owner_id == user.id):
        raise NotFoundError(f"No evaluation job {job_id} of yours; `GET /api/jobs` lists them.")
    return row


def cancel_job(session: Session, user: UserRow, job_id: int) -> EvaluationJob:
    """Cancels a queued job at once; asks the worker of a running one to stop it (it says cancelled when it has)."""
    session.commit()
    immediate_transaction(session)
    row = session.scalar(select(EvaluationJobRow).where(EvaluationJobRow.id == job_id).with_for_update())
    if row is None or not (user.is_admin or row.owner_id == user.id):
        session.rollback()
        raise NotFoundError(f"No evaluation job {job_id} of yours; `GET /api/jobs` lists them.")
    if row.state in ENDED:
        session.rollback()
        raise ConflictError(f"Evaluation job {job_id} has ended ({row.state}); there is nothing to cancel.")
    if row.state == QUEUED:
        row.state, row.finished_at, row.error = CANCELLED, utcnow(), f"cancelled by {user.name}"
    else:
        row.cancel_requested = True
    session.commit()
    return job_record(session, row)


def _claimable(now: datetime) -> Any:
    expired = and_(EvaluationJobRow.state == RUNNING, EvaluationJobRow.lease_expires_at < now,
                   EvaluationJobRow.attempts < EvaluationJobRow.max_attempts, EvaluationJobRow.cancel_requested.is_(False))
    return or_(EvaluationJobRow.state == QUEUED, expired)


def claim_job(session: Session, worker: str, *, lease_seconds: float, now: datetime | None = None) -> JobClaim | None:
    """Takes the next job in fair order (`next_in_turn`) for `worker` until `now + lease_seconds`; None when none."""
    now = now or utcnow()
    session.commit()
    immediate_transaction(session)
    _end_abandoned(session, now)
    candidates = session.execute(
        select(EvaluationJobRow.id, EvaluationJobRow.queue_key).where(_claimable(now)).order_by(EvaluationJobRow.id)
    ).all()
    while True:
        if not candidates:
            session.commit()
            return None
        job_id = next_in_turn(candidates, _last_starts(session, {key for _, key in candidates}))
        row = session.scalar(select(EvaluationJobRow).where(EvaluationJobRow.id == job_id, _claimable(now))
                             .with_for_update(skip_locked=True))
        if row is None:  # another worker (PostgreSQL) is taking that one right now: the oldest one nobody holds
            row = session.scalar(select(EvaluationJobRow).where(_claimable(now)).order_by(EvaluationJobRow.id).limit(1)
                                 .with_for_update(skip_locked=True))
        if row is None:
            session.commit()  # keeps what ended for want of quota
            return None
        job_id = row.id
        over = _over_quota(session, row, now)
        if over is None:
            break
        # Its owner's time ran out while it waited: it ends now, saying why, rather than waiting unexplained.
        row.state, row.finished_at, row.error = FAILED, now, over
        candidates = [(other, key) for other, key in candidates if key != row.queue_key or other != row.id]
    taken = session.execute(
        update(EvaluationJobRow).where(EvaluationJobRow.id == job_id, _claimable(now))
        .values(state=RUNNING, lease_owner=worker, lease_expires_at=now + timedelta(seconds=lease_seconds),
                attempts=EvaluationJobRow.attempts + 1, started_at=now, progress_at=now, examples_done=0)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        session.rollback()
        return None
    session.commit()
    return JobClaim(job_id, worker, row.attempts + 1)


def _over_quota(session: Session, row: EvaluationJobRow, now: datetime) -> str | None:
    owner = session.get(UserRow, row.owner_id)
    used, quota = used_evaluation_seconds(session, owner, now=now), evaluation_quota_seconds(owner)
    if used < quota:
        return None
    return (f"not started: {owner.name}'s evaluation time for the last {QUOTA_WINDOW.days} days is used up "
            f"({used / 3600:.1f} of {quota / 3600:g} hours); ask again later, or ask an admin for more")


def next_in_turn(candidates: list[tuple[int, str]], last_start: dict[str, datetime | None]) -> int:
    """Round-robin over queue keys: the oldest job of the key whose last job started longest ago (a key that never
    started one goes first; ties to the key whose oldest job is oldest). `candidates` are (job id, key) by id."""
    oldest: dict[str, int] = {}
    for job_id, key in candidates:
        oldest.setdefault(key, job_id)
    return oldest[min(oldest, key=lambda key: _turn(key, last_start, oldest[key]))]


def _turn(key: str, last_start: dict[str, datetime | None], oldest_job: int) -> tuple[datetime, int]:
    started = last_start.get(key)
    return (started.replace(tzinfo=None) if started is not None else datetime.min, oldest_job)


def _last_starts(session: Session, keys: set[str]) -> dict[str, datetime | None]:
    return dict(session.execute(
        select(EvaluationJobRow.queue_key, func.max(EvaluationJobRow.started_at))
        .where(EvaluationJobRow.queue_key.in_(keys)).group_by(EvaluationJobRow.queue_key)
    ).all()) if keys else {}


def _end_abandoned(session: Session, now: datetime) -> None:
    """Ends running jobs whose lease expired with no attempt left (failed) or with a cancel asked for (cancelled)."""
    abandoned = session.scalars(
        select(EvaluationJobRow).where(
            EvaluationJobRow.state == RUNNING, EvaluationJobRow.lease_expires_at < now,
            or_(EvaluationJobRow.attempts >= EvaluationJobRow.max_attempts, EvaluationJobRow.cancel_requested.is_(True)))
        .with_for_update(skip_locked=True)
    ).all()
    for job in abandoned:
        job.finished_at, job.lease_owner, job.lease_expires_at = now, None, None
        if job.cancel_requested:
            job.state, job.error = CANCELLED, "cancelled"
        else:
            job.state = FAILED
            job.error = f"its worker stopped before finishing, {job.attempts} time(s) (killed, or out of memory)"


def _held(claim: JobClaim) -> Any:
    return and_(EvaluationJobRow.id == claim.job_id, EvaluationJobRow.lease_owner == claim.worker,
                EvaluationJobRow.state == RUNNING, EvaluationJobRow.attempts == claim.attempt)


def renew_job(session: Session, claim: JobClaim, *, lease_seconds: float) -> bool:
    """Extends `claim`'s lease; False when the job is no longer this worker's."""
    session.commit()
    renewed = session.execute(update(EvaluationJobRow).where(_held(claim))
                              .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))
                              .execution_options(synchronize_session=False))
    session.commit()
    return renewed.rowcount == 1


def record_progress(session: Session, claim: JobClaim, done: int, total: int) -> bool:
    session.commit()
    written = session.execute(update(EvaluationJobRow).where(_held(claim))
                              .values(examples_done=done, examples_total=total, progress_at=utcnow())
                              .execution_options(synchronize_session=False))
    session.commit()
    return written.rowcount == 1


def cancel_requested(session: Session, claim: JobClaim) -> bool:
    session.commit()
    return bool(session.scalar(select(EvaluationJobRow.cancel_requested).where(EvaluationJobRow.id == claim.job_id)))


def finish_job(session: Session, claim: JobClaim, *, state: str, evaluation_id: int | None = None, cached: bool = False,
               error: str | None = None, log: str | None = None, peak_memory_mb: float | None = None,
               retry: bool = False) -> bool:
    """Ends the attempt `claim` holds: done (with its evaluation), failed or cancelled; with `retry`, a failure goes
    back to the queue while attempts are left. False (nothing written) when the job is no longer this worker's."""
    session.commit()
    row = session.scalar(select(EvaluationJobRow).where(_held(claim)).with_for_update())
    if row is None:
        session.rollback()
        return False
    if state == FAILED and retry and row.attempts < row.max_attempts and not row.cancel_requested:
        row.state, row.lease_owner, row.lease_expires_at = QUEUED, None, None
        row.error = f"attempt {row.attempts}: {error}"
    else:
        row.state, row.finished_at, row.lease_owner, row.lease_expires_at = state, utcnow(), None, None
        row.evaluation_id, row.cached, row.error = evaluation_id, cached, error
    if log is not None:
        row.log = log[-20000:]
    if peak_memory_mb is not None:
        row.peak_memory_mb = max(peak_memory_mb, row.peak_memory_mb or 0.0)
    session.commit()
    return True


def record_peak_memory(session: Session, job_id: int, peak_mb: float) -> str:
    """Records the peak memory a worker saw on a job its process ended itself; returns the job's state."""
    row = session.get(EvaluationJobRow, job_id, populate_existing=True)
    if peak_mb > (row.peak_memory_mb or 0.0):
        row.peak_memory_mb = peak_mb
        session.commit()
    return row.state


def job_record(session: Session, row: EvaluationJobRow, positions: dict[int, int] | None = None) -> EvaluationJob:
    owner = session.get(UserRow, row.owner_id)
    if row.state == QUEUED and positions is None:
        positions = queue_positions(session)
    position = (positions or {}).get(row.id) if row.state == QUEUED else None
    rate = left = None
    if row.state == RUNNING and row.started_at and row.progress_at and row.examples_done:
        elapsed = (row.progress_at - row.started_at).total_seconds()
        if elapsed > 0:
            rate = row.examples_done / elapsed
            left = max(0.0, ((row.examples_total or row.examples_done) - row.examples_done) / rate)
    return EvaluationJob(
        id=row.id, batch=row.batch, owner=owner.name if owner else "?", model=row.model, dataset=row.dataset,
        split=row.split, state=row.state, created_at=row.created_at, position=position, attempts=row.attempts,
        examples_done=row.examples_done, examples_total=row.examples_total, rate_per_second=rate, seconds_left=left,
        started_at=row.started_at, finished_at=row.finished_at, evaluation_id=row.evaluation_id, cached=row.cached,
        error=row.error, peak_memory_mb=row.peak_memory_mb, time_limit_seconds=row.time_limit_seconds,
        memory_limit_mb=row.memory_limit_mb, cancel_requested=row.cancel_requested,
    )


def queue_positions(session: Session) -> dict[int, int]:
    """Every queued job's position: how many jobs workers take before it, going round-robin as `claim_job` does
    (keys in turn order, one job of each per round), if nothing else is queued meanwhile."""
    queued = session.execute(select(EvaluationJobRow.id, EvaluationJobRow.queue_key)
                             .where(EvaluationJobRow.state == QUEUED).order_by(EvaluationJobRow.id)).all()
    by_key: dict[str, list[int]] = {}
    for job_id, key in queued:
        by_key.setdefault(key, []).append(job_id)
    last_start = _last_starts(session, set(by_key))
    order = sorted(by_key, key=lambda key: _turn(key, last_start, by_key[key][0]))
    positions, ahead = {}, 0
    for round_ in range(max((len(ids) for ids in by_key.values()), default=0)):
        for key in order:
            if round_ < len(by_key[key]):
                positions[by_key[key][round_]] = ahead
                ahead += 1
    return positions


def _names(values: Iterable[str], what: str) -> list[str]:
    names = list(dict.fromkeys(value for value in values if isinstance(value, str) and value.strip()))
    if not names:
        raise InvalidInputError(f"Name at least one {what} to evaluate.")
    return names


def _bounded(value: int | None, default: int, low: int, high: int, name: str) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInputError(f"{name} must be an int in the range [{low}, {high}]. Got {value!r} instead.")
    return value
