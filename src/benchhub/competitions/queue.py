"""The scoring queue: jobs in the database, claimed by workers under leases, each score written exactly once.

    queued ──claim──▶ running ──complete──▶ done
      ▲                 │  └──fail (attempts left)──▶ queued
      │                 └──fail (none left) / lease expired with none left──▶ failed
      └── lease expired: another worker's claim takes the job over (attempts + 1)

A worker renews the lease of a job it holds every third of the lease while it scores (`renew`), so
only a worker that stopped (killed, hung in the database, cut off) loses its job, however long scoring takes.

A claim locks the candidate row (`FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite the whole claim
runs under `BEGIN IMMEDIATE`) and takes it with an UPDATE conditioned on it still being claimable.
Completion is an UPDATE conditioned on (job id, lease owner, state, attempt): a worker whose lease
was taken over writes nothing, and the score row's unique `job_id` backs that up.

Workers run as `benchhub worker` processes, in-process as a `BackgroundWorker` thread, or as a dispatcher
that hands each claimed job to a Ray task (`scoring_on_ray`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterator

from sqlalchemy import and_, case, func, or_, select, true, update
from sqlalchemy.orm import Session, sessionmaker

from benchhub.competitions.model_scoring import ModelRunFailed
from benchhub.competitions.scoring import HalfScores, score_submission
from benchhub.evaluation.jobs import next_in_turn
from benchhub.executors.background import BackgroundLoop
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.database import immediate_transaction
from benchhub.store.tables import (
    ScoringJobRow,
    SubmissionRow,
    SubmissionScoreRow,
    utcnow,
)

logger = logging.getLogger(__name__)

# Job states.
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
# Submission statuses: whether the submission has a score yet (a failed rescore keeps the old one).
SUBMITTED, SCORING, SCORED, SCORING_FAILED = "queued", "scoring", "scored", "failed"

# Fault injection for tests: seconds a worker sleeps between claiming a job and scoring it.
PAUSE_VARIABLE = "BENCHHUB_WORKER_PAUSE_AFTER_CLAIM"


@dataclass(frozen=True)
class Claim:
    """A job held by one worker for one attempt."""

    job_id: int
    submission_id: int
    worker: str
    attempt: int


def new_job(submission_id: int, *, reason: str, max_attempts: int) -> ScoringJobRow:
    return ScoringJobRow(submission_id=submission_id, reason=reason, state=QUEUED, attempts=0, max_attempts=max_attempts)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _claimable(now: datetime):
    expired = and_(ScoringJobRow.state == RUNNING, ScoringJobRow.lease_expires_at < now,
                   ScoringJobRow.attempts < ScoringJobRow.max_attempts)
    return or_(ScoringJobRow.state == QUEUED, expired)


def claim(session: Session, worker: str, *, lease_seconds: float, now: datetime | None = None) -> Claim | None:
    """Takes the next claimable job for `worker` until `now + lease_seconds`, round-robin across benchmarks (the
    oldest job of the benchmark whose latest claim is oldest: one benchmark's flood of submissions, or its slow
    model runs, does not hold up another's); None when there is none."""
    now = now or utcnow()
    session.commit()
    immediate_transaction(session)
    _give_up_exhausted(session, now)
    candidates = session.execute(
        select(ScoringJobRow.id, SubmissionRow.benchmark_id).join(SubmissionRow, SubmissionRow.id == ScoringJobRow.submission_id)
        .where(_claimable(now)).order_by(ScoringJobRow.id)
    ).all()
    if not candidates:
        session.commit()
        return None
    benchmarks = {benchmark for _, benchmark in candidates}
    last_claims = dict(session.execute(
        select(SubmissionRow.benchmark_id, func.max(ScoringJobRow.claimed_at))
        .join(SubmissionRow, SubmissionRow.id == ScoringJobRow.submission_id)
        .where(SubmissionRow.benchmark_id.in_(benchmarks)).group_by(SubmissionRow.benchmark_id)
    ).all())
    chosen = next_in_turn([(job_id, str(benchmark)) for job_id, benchmark in candidates],
                          {str(benchmark): claimed for benchmark, claimed in last_claims.items()})
    job = session.scalar(select(ScoringJobRow).where(ScoringJobRow.id == chosen, _claimable(now)).with_for_update(skip_locked=True))
    if job is None:  # another worker (PostgreSQL) is taking that one right now: the oldest one nobody holds
        job = session.scalar(select(ScoringJobRow).where(_claimable(now)).order_by(ScoringJobRow.id).limit(1)
                             .with_for_update(skip_locked=True))
    if job is None:
        session.commit()
        return None
    taken = session.execute(
        update(ScoringJobRow)
        .where(ScoringJobRow.id == job.id, _claimable(now))
        .values(state=RUNNING, lease_owner=worker, lease_expires_at=now + timedelta(seconds=lease_seconds),
                attempts=ScoringJobRow.attempts + 1, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        session.rollback()
        return None
    session.execute(
        update(SubmissionRow).where(SubmissionRow.id == job.submission_id, SubmissionRow.status == SUBMITTED)
        .values(status=SCORING).execution_options(synchronize_session=False)
    )
    session.commit()
    return Claim(job.id, job.submission_id, worker, job.attempts + 1)


def renew(session: Session, claim: Claim, *, lease_seconds: float, now: datetime | None = None) -> bool:
    """Extends the lease of a job `claim` still holds to `now + lease_seconds`; False when another worker took it over."""
    now = now or utcnow()
    session.commit()
    renewed = session.execute(
        update(ScoringJobRow)
        .where(ScoringJobRow.id == claim.job_id, ScoringJobRow.lease_owner == claim.worker,
               ScoringJobRow.state == RUNNING, ScoringJobRow.attempts == claim.attempt)
        .values(lease_expires_at=now + timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return renewed.rowcount == 1


@contextmanager
def lease_kept(sessions: Callable[[], Session], claim: Claim, *, lease_seconds: float) -> Iterator[None]:
    """Renews `claim`'s lease in a background thread every third of the lease, for as long as the block runs."""
    done = threading.Event()

    def beat() -> None:
        while not done.wait(lease_seconds / 3):
            try:
                with sessions() as session:
                    if not renew(session, claim, lease_seconds=lease_seconds):
                        return
            except Exception:  # noqa: BLE001  (a missed beat is retried at the next one)
                logger.warning("could not renew the lease of scoring job %d; retrying", claim.job_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"benchhub-lease-{claim.job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def _give_up_exhausted(session: Session, now: datetime) -> None:
    """Fails running jobs whose lease expired on their last allowed attempt (their worker died every time)."""
    exhausted = session.scalars(
        select(ScoringJobRow)
        .where(ScoringJobRow.state == RUNNING, ScoringJobRow.lease_expires_at < now,
               ScoringJobRow.attempts >= ScoringJobRow.max_attempts)
        .with_for_update(skip_locked=True)
    ).all()
    for job in exhausted:
        job.state, job.finished_at = FAILED, now
        job.last_error = f"the lease of attempt {job.attempts} expired: its worker stopped before finishing"
        _mark_failed(session, job.submission_id, job.attempts)


def complete(session: Session, claim: Claim, scores: HalfScores, *, now: datetime | None = None) -> bool:
    """Writes the job's score, once; False (and nothing written) when the worker no longer holds the job."""
    now = now or utcnow()
    session.commit()
    immediate_transaction(session)
    finished = session.execute(
        update(ScoringJobRow)
        .where(ScoringJobRow.id == claim.job_id, ScoringJobRow.lease_owner == claim.worker,
               ScoringJobRow.state == RUNNING, ScoringJobRow.attempts == claim.attempt)
        .values(state=DONE, finished_at=now, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    if finished.rowcount != 1:
        session.rollback()
        return False
    # Two jobs of one submission (a rescore while scoring) number their versions in turn.
    submission = session.scalar(
        select(SubmissionRow).where(SubmissionRow.id == claim.submission_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    version = (session.scalar(select(func.max(SubmissionScoreRow.version))
                              .where(SubmissionScoreRow.submission_id == submission.id)) or 0) + 1
    session.execute(
        update(SubmissionScoreRow).where(SubmissionScoreRow.submission_id == submission.id, SubmissionScoreRow.is_current)
        .values(is_current=False).execution_options(synchronize_session=False)
    )
    session.add(SubmissionScoreRow(
        submission_id=submission.id, job_id=claim.job_id, version=version, public_metrics=scores.public,
        private_metrics=scores.private, details=scores.details, measurements=scores.measurements, is_current=True,
        created_at=now,
    ))
    submission.status, submission.error = SCORED, None
    session.commit()
    return True


def fail(session: Session, claim: Claim, error: str, *, now: datetime | None = None, final: bool = False,
         participant_error: str | None = None) -> bool:
    """Records a failed attempt: the job goes back to the queue, or fails when no attempts are left (or, `final`, at
    once: a model that broke its phase's limit would break it again). `participant_error` is what the submission's
    participant reads, where it cannot quote hidden data; else they read that scoring failed."""
    now = now or utcnow()
    session.commit()
    immediate_transaction(session)
    last = true() if final else ScoringJobRow.attempts >= ScoringJobRow.max_attempts
    released = session.execute(
        update(ScoringJobRow)
        .where(ScoringJobRow.id == claim.job_id, ScoringJobRow.lease_owner == claim.worker,
               ScoringJobRow.state == RUNNING, ScoringJobRow.attempts == claim.attempt)
        .values(state=case((last, FAILED), else_=QUEUED), last_error=error[:4000], lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    if released.rowcount != 1:
        session.rollback()
        return False
    job = session.get(ScoringJobRow, claim.job_id, populate_existing=True)
    if job.state == FAILED:
        job.finished_at = now
        _mark_failed(session, job.submission_id, job.attempts, participant_error)
    session.commit()
    return True


def _mark_failed(session: Session, submission_id: int, attempts: int, participant_error: str | None = None) -> None:
    # The participant sees that scoring failed, never why (the cause may quote the hidden split), unless the
    # caller worded a reason that cannot (a model's broken limit).
    has_score = session.scalar(select(SubmissionScoreRow.id).where(
        SubmissionScoreRow.submission_id == submission_id, SubmissionScoreRow.is_current))
    if has_score is None:
        error = participant_error or f"Scoring failed after {attempts} attempt(s); the maintainers can see the cause."
        session.execute(
            update(SubmissionRow).where(SubmissionRow.id == submission_id)
            .values(status=SCORING_FAILED, error=error)
            .execution_options(synchronize_session=False)
        )


def work_once(sessions: sessionmaker[Session], artifacts: ArtifactStore, *, worker: str, lease_seconds: float) -> bool:
    """Claims one job and scores it; False when no job was claimable."""
    with sessions() as session:
        job = claim(session, worker, lease_seconds=lease_seconds)
    if job is None:
        return False
    with lease_kept(sessions, job, lease_seconds=lease_seconds):
        score_claimed(sessions, artifacts, job)
    return True


def score_claimed(sessions: Callable[[], Session], artifacts: ArtifactStore, job: Claim) -> None:
    """Scores a claimed job and records the outcome; safe to run again for the same claim (written once)."""
    pause = float(os.environ.get(PAUSE_VARIABLE) or 0)
    if pause > 0:
        time.sleep(pause)
    try:
        with sessions() as session:
            scores = score_submission(session, artifacts, session.get(SubmissionRow, job.submission_id))
    except ModelRunFailed as exc:  # the model broke a limit or failed: running it again would do the same
        logger.warning("scoring job %d (attempt %d): the submitted model failed", job.job_id, job.attempt)
        with sessions() as session:
            fail(session, job, exc.cause, final=True, participant_error=exc.public)
        return
    except Exception as exc:  # noqa: BLE001  (any failure of one job must not stop the worker)
        # Logged by type only: messages from scoring may quote the hidden split.
        logger.warning("scoring job %d (attempt %d) failed: %s", job.job_id, job.attempt, type(exc).__name__)
        with sessions() as session:
            fail(session, job, f"{type(exc).__name__}: {exc}")
        return
    with sessions() as session:
        if not complete(session, job, scores):
            logger.warning("scoring job %d: the lease was lost before the score was written; another worker has it", job.job_id)


def run_worker(sessions: sessionmaker[Session], artifacts: ArtifactStore, *, worker: str | None = None, once: bool = False,
               poll_seconds: float = 1.0, lease_seconds: float = 60.0, stop: threading.Event | None = None) -> int:
    """Scores jobs until `stop` is set (or, with `once`, until none is claimable); returns how many it handled."""
    worker = worker or worker_name()
    stop = stop or threading.Event()
    handled = 0
    while not stop.is_set():
        if work_once(sessions, artifacts, worker=worker, lease_seconds=lease_seconds):
            handled += 1
        elif once:
            break
        else:
            stop.wait(poll_seconds)
    return handled


class BackgroundWorker(BackgroundLoop):
    """Scores jobs in a daemon thread of this process; `wake()` after a submission starts it at once."""

    def __init__(self, sessions: sessionmaker[Session], artifacts: ArtifactStore, *, poll_seconds: float = 5.0,
                 lease_seconds: float = 60.0) -> None:
        self.worker = worker_name()
        super().__init__(lambda: work_once(sessions, artifacts, worker=self.worker, lease_seconds=lease_seconds),
                         poll_seconds=poll_seconds, name="benchhub-scoring")
