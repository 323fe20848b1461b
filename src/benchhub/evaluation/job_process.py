"""Running one claimed evaluation job in a process of its own, under the job's time and memory limits.

The worker starts the evaluation in a process group of its own (`executors.limited_process`: forked from a
server process that has the evaluation's imports done) and watches it: it renews the lease, reads the memory
the group holds of its own from /proc, stops the whole group when the job runs past its time or
memory limit or its owner cancels it, and says which in the job's one-line reason. The process reports
progress and writes the outcome itself (done with the evaluation's id, or failed with the reason); if it
dies without doing so (killed, a crash in native code), the job goes back to the queue while attempts
are left. If the worker itself dies, the process notices at its next step and stops; the lease then
expires and another worker takes the job over, and the evaluation's unique cache key keeps its result
stored once.
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from pathlib import Path
from typing import Callable

from sqlalchemy.orm import Session

from benchhub.config import HubConfig
from benchhub.errors import BenchhubError
from benchhub.evaluation.jobs import (
    CANCELLED,
    DONE,
    FAILED,
    JobClaim,
    cancel_requested,
    claim_job,
    finish_job,
    record_peak_memory,
    record_progress,
    renew_job,
)
from benchhub.executors.limited_process import (
    Stop,
    own_memory_mb,
    own_process_group,
    run_limited,
    worker_alive,
)
from benchhub.store.tables import EvaluationJobRow

logger = logging.getLogger(__name__)
PROGRESS_SECONDS = 0.5  # at most this often a running job writes how far it is
CANCEL_CHECK_SECONDS = 1.0
# Fault injection for tests, read when a job starts and handed to its process: "sleep:S" (S seconds of steps before evaluating),
# "allocate:MB" (holds MB of memory, then sleeps), "crash-first" (the first attempt's process dies).
FAULT_VARIABLE = "BENCHHUB_EVALUATION_JOB_FAULT"


def work_once(config: HubConfig, sessions: Callable[[], Session], *, worker: str, lease_seconds: float) -> bool:
    """Claims the next evaluation job in fair order and runs it to its end; False when none was claimable."""
    with sessions() as session:
        claim = claim_job(session, worker, lease_seconds=lease_seconds)
    if claim is None:
        return False
    ended = run_claimed_job(config, sessions, claim, lease_seconds=lease_seconds)
    logger.info("evaluation job %d (attempt %d): %s", claim.job_id, claim.attempt, ended)
    return True


def run_claimed_job(config: HubConfig, sessions: Callable[[], Session], claim: JobClaim, *, lease_seconds: float) -> str:
    """Runs the job `claim` holds to its end; returns the state it ended in as this worker saw it ("lost": another
    worker has it now)."""
    with sessions() as session:
        job = session.get(EvaluationJobRow, claim.job_id)
        time_limit, memory_limit = job.time_limit_seconds, job.memory_limit_mb
    marks = {"checked": 0.0, "renewed": 0.0}

    def check(elapsed: float) -> Stop | None:
        if elapsed - marks["checked"] >= CANCEL_CHECK_SECONDS:
            marks["checked"] = elapsed
            with sessions() as session:
                if cancel_requested(session, claim):
                    return Stop(CANCELLED, "cancelled by its owner while it ran")
        if elapsed - marks["renewed"] >= lease_seconds / 3:
            marks["renewed"] = elapsed
            with sessions() as session:
                if not renew_job(session, claim, lease_seconds=lease_seconds):
                    return Stop("lost", "")
        return None

    ended = run_limited(run_in_child, (str(config.home), config.database_url, claim, os.getpid(),
                                       os.environ.get(FAULT_VARIABLE, "")),
                        time_limit_seconds=time_limit, memory_limit_mb=memory_limit, check=check, whose="the job's",
                        name=f"benchhub-evaluation-job-{claim.job_id}")
    peak, stop = ended.peak_memory_mb, ended.stop
    if stop is not None:
        if stop.kind == "lost":
            return "lost"
        state = CANCELLED if stop.kind == CANCELLED else FAILED
        with sessions() as session:
            finish_job(session, claim, state=state, error=stop.reason if state == CANCELLED else f"stopped: {stop.reason}",
                       peak_memory_mb=peak)
        return state
    with sessions() as session:
        # Written only if the process did not end the job itself: it died, and the job is retried while it may be.
        if finish_job(session, claim, state=FAILED, retry=True, peak_memory_mb=peak,
                      error=f"the evaluation process ended without a result (exit code {ended.exitcode})"):
            return FAILED
        return record_peak_memory(session, claim.job_id, peak)


def run_in_child(home: str, database_url: str, claim: JobClaim, worker_pid: int, fault: str = "") -> None:
    """The job's process: runs the evaluation, reports progress, and ends the job (done or failed) itself."""
    from benchhub.evaluation.evaluations import run_evaluation
    from benchhub.progress import observed
    from benchhub.store.database import open_store

    own_process_group()  # so the worker can stop everything it starts
    with open_store(HubConfig(home=Path(home), database_url=database_url)) as (sessions, artifacts):
        with sessions() as session:
            job = session.get(EvaluationJobRow, claim.job_id)
            request = dict(model=job.model, dataset=job.dataset, split=job.split, batch_size=job.batch_size,
                           settings=dict(job.settings))
        last = [0.0]

        def report(description: str, done: int, total: int) -> None:
            if not worker_alive(worker_pid):  # the worker died: stop, and let its lease expire
                os._exit(3)
            now = time.monotonic()
            if now - last[0] >= PROGRESS_SECONDS or done == total:
                last[0] = now
                with sessions() as progress_session:
                    if not record_progress(progress_session, claim, done, total):
                        os._exit(4)  # the job is no longer ours (cancelled or taken over)

        _inject_fault(fault, claim, report)
        try:
            with observed(report), sessions() as session:
                evaluation = run_evaluation(session, artifacts, show_progress=False, **request)
        except BenchhubError as exc:  # the model or the data was refused: the same request would fail again
            # Jobs are asked for through the server, so the reason names settings as the request's fields.
            outcome = dict(state=FAILED, error=exc.in_fields.splitlines()[0] if exc.in_fields else type(exc).__name__,
                           log=traceback.format_exc())
        except Exception as exc:  # noqa: BLE001 - any failure ends this job, with its reason, and nothing else
            outcome = dict(state=FAILED, error=f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                           log=traceback.format_exc())
        else:
            outcome = dict(state=DONE, evaluation_id=evaluation.id, cached=evaluation.cached)
        with sessions() as session:
            finish_job(session, claim, peak_memory_mb=own_memory_mb(), **outcome)


def _inject_fault(fault: str, claim: JobClaim, report: Callable[[str, int, int], None]) -> None:
    kind, _, amount = fault.partition(":")
    if kind == "crash-first" and claim.attempt == 1:
        os._exit(9)
    held = bytearray(int(float(amount) * 1024 * 1024)) if kind == "allocate" else None
    if held is not None:
        held[::4096] = b"\x01" * len(held[::4096])  # touch every page, so it is resident
    steps = int(float(amount) * 10) if kind == "sleep" else 600 if held is not None else 0
    for step in range(steps):
        time.sleep(0.1)
        report("fault", step + 1, steps + 1)
