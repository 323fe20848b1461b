"""`benchhub worker --executor ray`: this process claims scoring jobs and each is scored in a Ray task.

The queue stays the source of truth: the dispatcher claims a job under its own name and lease, as
a `benchhub worker` would, renews the lease while the job waits or runs on Ray, and the task scores
it with that claim. Ray reruns a task whose worker died (`max_retries`); a rerun holds the same
claim, so its score is written once at most (the completion is conditioned on lease owner and
attempt). A task that still fails, or raises, records
a failed attempt, and the job goes back to the queue while it has attempts left.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from benchhub.competitions.queue import (
    Claim,
    claim,
    fail,
    renew,
    score_claimed,
    worker_name,
)
from benchhub.config import HubConfig
from benchhub.store.database import open_store

logger = logging.getLogger(__name__)


def run_ray_worker(config: HubConfig, *, address: str | None = None, once: bool = False, poll_seconds: float = 1.0,
                   lease_seconds: float = 60.0, cpus_per_job: float = 1.0, max_retries: int = 3,
                   stop: threading.Event | None = None, task_function: Callable[[HubConfig, Claim], None] | None = None) -> int:
    """Dispatches queued jobs to Ray until `stop` is set (with `once`: until none is left); returns how many it handled.

    `task_function` replaces `score_in_task` (same signature, importable by name): tests use it to kill a task.
    """
    from benchhub.executors.ray_tasks import ray_session

    stop = stop or threading.Event()
    worker = worker_name()
    handled = 0
    with ray_session(config, address) as ray, open_store(config) as (sessions, _):
        task = ray.remote(task_function or score_in_task).options(num_cpus=cpus_per_job, max_retries=max_retries, retry_exceptions=False)
        # As many jobs claimed at a time as the cluster can run: a claimed job's lease runs while it waits.
        slots = max(1, int(ray.cluster_resources().get("CPU", 1) // cpus_per_job))
        running: dict[Any, Claim] = {}
        # Leases of claimed jobs (waiting in Ray's queue or being scored) are renewed every third of a lease.
        renew_every = lease_seconds / 3
        renewed_at = time.monotonic()
        while not stop.is_set():
            if running and time.monotonic() - renewed_at >= renew_every:
                with sessions() as session:
                    for job in running.values():
                        renew(session, job, lease_seconds=lease_seconds)
                renewed_at = time.monotonic()
            while len(running) < slots:
                with sessions() as session:
                    job = claim(session, worker, lease_seconds=lease_seconds)
                if job is None:
                    break
                running[task.remote(config, job)] = job
            if not running:
                if once:
                    break
                stop.wait(poll_seconds)
                continue
            done, _ = ray.wait(list(running), num_returns=1, timeout=min(poll_seconds, renew_every))
            for ref in done:
                job = running.pop(ref)
                handled += 1
                try:
                    ray.get(ref)
                except ray.exceptions.RayError as error:
                    # Logged by type only, like the local worker: a message may quote the hidden split.
                    logger.warning("scoring job %d (attempt %d) failed on Ray: %s", job.job_id, job.attempt, type(error).__name__)
                    with sessions() as session:
                        fail(session, job, f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
    return handled


def score_in_task(config: HubConfig, job: Claim) -> None:
    """A Ray task: opens the hub on its node and scores one claimed job."""
    config.require_artifacts()  # raises: the dispatcher records a failed attempt
    with open_store(config) as (sessions, artifacts):
        score_claimed(sessions, artifacts, job)

