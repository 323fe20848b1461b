"""Running one claimed evaluation job in a process of its own, under the job's time and memory limits.

The worker starts the evaluation in a process group of its own (forked from a server process that has the
evaluation's modules imported) and watches it: it renews the lease,
reads the group's resident memory from /proc, stops the whole group when the job runs past its time or
memory limit or its owner cancels it, and says which in the job's one-line reason. The process reports
progress and writes the outcome itself (done with the evaluation's id, or failed with the reason); if it
dies without doing so (killed, a crash in native code), the job goes back to the queue while attempts
are left. If the worker itself dies, the process notices at its next step and stops; the lease then
expires and another worker takes the job over, and the evaluation's unique cache key keeps its result
stored once.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
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
from benchhub.store.tables import EvaluationJobRow

logger = logging.getLogger(__name__)
PROGRESS_SECONDS = 0.5  # at most this often a running job writes how far it is
WATCH_SECONDS = 0.2  # how often the worker looks at memory and time
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
    process = _context().Process(
        target=run_in_child, args=(str(config.home), config.database_url, claim, os.getpid(), os.environ.get(FAULT_VARIABLE, "")),
        daemon=False, name=f"benchhub-evaluation-job-{claim.job_id}")
    process.start()
    started = time.monotonic()
    renewed = checked = started
    peak = 0.0
    stop = None
    while stop is None:
        process.join(WATCH_SECONDS)
        if process.exitcode is not None:
            break
        now = time.monotonic()
        memory = group_memory_mb(process.pid)
        peak = max(peak, memory)
        if memory > memory_limit:
            stop = (FAILED, f"stopped: it used {memory:,.0f} MB of memory, over the job's limit of {memory_limit:,} MB")
        elif now - started > time_limit:
            stop = (FAILED, f"stopped: it ran longer than the job's time limit of {time_limit:,} s")
        elif now - checked >= CANCEL_CHECK_SECONDS:
            checked = now
            with sessions() as session:
                if cancel_requested(session, claim):
                    stop = (CANCELLED, "cancelled by its owner while it ran")
        if stop is None and now - renewed >= lease_seconds / 3:
            renewed = now
            with sessions() as session:
                if not renew_job(session, claim, lease_seconds=lease_seconds):
                    stop = ("lost", None)
    if stop is not None:
        _kill_group(process)
        if stop[0] == "lost":
            return "lost"
        with sessions() as session:
            finish_job(session, claim, state=stop[0], error=stop[1], peak_memory_mb=peak)
        return stop[0]
    with sessions() as session:
        # Written only if the process did not end the job itself: it died, and the job is retried while it may be.
        if finish_job(session, claim, state=FAILED, retry=True, peak_memory_mb=peak,
                      error=f"the evaluation process ended without a result (exit code {process.exitcode})"):
            return FAILED
        return record_peak_memory(session, claim.job_id, peak)


def _context() -> multiprocessing.context.BaseContext:
    """Jobs' processes fork from a server process that has imported what an evaluation needs (a few ms each, not a
    fresh interpreter's second of imports); it holds no database connection and no thread of this worker's."""
    global _started_context
    if _started_context is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        _started_context = context
    return _started_context


_started_context: multiprocessing.context.BaseContext | None = None
# What the server process imports once for every job (a module that is not installed is skipped): benchhub's
# evaluation path, the baselines' scikit-learn, and torch and transformers, whose imports take seconds.
PRELOAD = ["benchhub.evaluation.job_process", "benchhub.evaluation.evaluations", "benchhub.catalog.loading",
           "benchhub.store.database", "sklearn.linear_model", "sklearn.feature_extraction.text", "torch", "transformers"]


def run_in_child(home: str, database_url: str, claim: JobClaim, worker_pid: int, fault: str = "") -> None:
    """The job's process: runs the evaluation, reports progress, and ends the job (done or failed) itself."""
    from benchhub.evaluation.evaluations import run_evaluation
    from benchhub.progress import observed
    from benchhub.store.database import open_store

    os.setpgid(0, 0)  # its own process group, so the worker can stop everything it starts
    with open_store(HubConfig(home=Path(home), database_url=database_url)) as (sessions, artifacts):
        with sessions() as session:
            job = session.get(EvaluationJobRow, claim.job_id)
            request = dict(model=job.model, dataset=job.dataset, split=job.split, batch_size=job.batch_size,
                           settings=dict(job.settings))
        last = [0.0]

        def report(description: str, done: int, total: int) -> None:
            if not _alive(worker_pid):  # the worker died: stop, and let its lease expire
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
            outcome = dict(state=FAILED, error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                           log=traceback.format_exc())
        except Exception as exc:  # noqa: BLE001 - any failure ends this job, with its reason, and nothing else
            outcome = dict(state=FAILED, error=f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                           log=traceback.format_exc())
        else:
            outcome = dict(state=DONE, evaluation_id=evaluation.id, cached=evaluation.cached)
        with sessions() as session:
            finish_job(session, claim, peak_memory_mb=own_peak_mb(), **outcome)


def _alive(pid: int) -> bool:
    """Whether the worker `pid` still runs (a killed one may linger as a zombie until its parent reaps it)."""
    try:
        os.kill(pid, 0)
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (ProcessLookupError, PermissionError):  # gone, or another user's process has the number now
        return False
    except (OSError, IndexError):
        return True  # no /proc to tell: os.kill said it exists
    return state not in ("Z", "X")


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


def own_peak_mb() -> float | None:
    """The memory this process holds of its own at its end, in MB: what a job too quick for the worker's watch
    used (a lower bound of its peak)."""
    return _private_mb(os.getpid())


def group_memory_mb(pid: int) -> float:
    """Memory `pid` and its descendants hold of their own, in MB (0 where /proc cannot tell).

    Private pages only (`Private_Clean` + `Private_Dirty` of /proc/PID/smaps_rollup): a job's process forks from a
    server that has torch and transformers imported, and the pages it shares with that server cost nothing more.
    """
    total, seen, pending = 0.0, set(), [pid]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        total += _private_mb(current) or 0.0
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as children:
                    pending.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue
    return total


def _private_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii", errors="replace") as rollup:
            kilobytes = sum(int(line.split()[1]) for line in rollup if line.startswith(("Private_Clean:", "Private_Dirty:")))
    except (OSError, ValueError, IndexError):
        return None
    return kilobytes / 1024.0


def _kill_group(process: multiprocessing.process.BaseProcess) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.join(10)
