"""`benchhub worker --executor ray` for evaluation jobs: this process claims them fairly, each runs in a Ray task.

The queue stays the source of truth, as for scoring jobs (`competitions.queue_on_ray`): the dispatcher claims
a job under its own name and lease and renews the lease while the job waits on Ray; the task, on whatever node
Ray places it, runs the job exactly as a local worker would (`job_process.run_claimed_job`: a limited process of
its own, progress, cancelling, its lease renewed) with that claim. Ray reruns a task whose worker died
(`max_retries`); the rerun holds the same claim, and the evaluation's unique cache key keeps the result stored
once. A task that fails anyway gives the job back to the queue while it has attempts left.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from sqlalchemy.orm import Session

from benchhub.config import HubConfig
from benchhub.evaluation.job_process import run_claimed_job
from benchhub.evaluation.jobs import FAILED, JobClaim, claim_job, finish_job, renew_job
from benchhub.store.database import open_store


def run_ray_evaluations(config: HubConfig, sessions: Callable[[], Session], ray: Any, *, worker: str, once: bool = False,
                        poll_seconds: float = 1.0, lease_seconds: float = 60.0, cpus_per_job: float = 1.0,
                        max_retries: int = 3, stop: threading.Event | None = None) -> int:
    """Dispatches claimed evaluation jobs to Ray tasks on the session `ray` (already connected) until `stop` is set
    (with `once`: until none is left); returns how many it handled. `sessions` are the hub's, in this process."""
    from benchhub.executors.ray_tasks import dispatch_claimed

    task = ray.remote(run_job_in_task).options(num_cpus=cpus_per_job, max_retries=max_retries, retry_exceptions=False)

    def claim_next() -> JobClaim | None:
        with sessions() as session:
            return claim_job(session, worker, lease_seconds=lease_seconds)

    def renew_all(jobs: list[JobClaim]) -> None:
        with sessions() as session:
            for job in jobs:
                renew_job(session, job, lease_seconds=lease_seconds)

    def give_back(job: JobClaim, error: Exception) -> None:
        with sessions() as session:
            finish_job(session, job, state=FAILED, retry=True, error=f"its Ray task failed ({type(error).__name__})")

    return dispatch_claimed(
        ray, lambda job: task.remote(config, job, lease_seconds), claim_next=claim_next, renew=renew_all,
        give_back=give_back, what="evaluation job", slots=max(1, int(ray.cluster_resources().get("CPU", 1) // cpus_per_job)),
        lease_seconds=lease_seconds, poll_seconds=poll_seconds, once=once, stop=stop or threading.Event())


def run_job_in_task(config: HubConfig, job: JobClaim, lease_seconds: float) -> str:
    """A Ray task: opens the hub on its node and runs one claimed evaluation job to its end; returns how it ended."""
    config.require_artifacts()  # raises: the dispatcher gives the job back
    with open_store(config) as (sessions, _):
        return run_claimed_job(config, sessions, job, lease_seconds=lease_seconds)
