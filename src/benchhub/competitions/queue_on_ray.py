"""`benchhub worker --executor ray`: this process claims scoring jobs and each is scored in a Ray task.

The queue stays the source of truth: the dispatcher claims a job under its own name and lease, as
a `benchhub worker` would, renews the lease while the job waits or runs on Ray, and the task scores
it with that claim. Ray reruns a task whose worker died (`max_retries`); a rerun holds the same
claim, so its score is written once at most (the completion is conditioned on lease owner and
attempt). A task that still fails, or raises, records
a failed attempt, and the job goes back to the queue while it has attempts left.
"""

from __future__ import annotations

import threading
from typing import Callable

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


def run_ray_worker(config: HubConfig, *, address: str | None = None, once: bool = False, poll_seconds: float = 1.0,
                   lease_seconds: float = 60.0, cpus_per_job: float = 1.0, max_retries: int = 3,
                   stop: threading.Event | None = None, task_function: Callable[[HubConfig, Claim], None] | None = None) -> int:
    """Dispatches queued jobs to Ray until `stop` is set (with `once`: until none is left); returns how many it handled.

    `task_function` replaces `score_in_task` (same signature, importable by name): tests use it to kill a task.
    """
    from benchhub.executors.ray_tasks import dispatch_claimed, ray_session

    stop = stop or threading.Event()
    worker = worker_name()
    with ray_session(config, address) as ray, open_store(config) as (sessions, _):
        task = ray.remote(task_function or score_in_task).options(num_cpus=cpus_per_job, max_retries=max_retries, retry_exceptions=False)

        def claim_next() -> Claim | None:
            with sessions() as session:
                return claim(session, worker, lease_seconds=lease_seconds)

        def renew_all(jobs: list[Claim]) -> None:
            with sessions() as session:
                for job in jobs:
                    renew(session, job, lease_seconds=lease_seconds)

        def give_back(job: Claim, error: Exception) -> None:
            with sessions() as session:
                fail(session, job, f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")

        return dispatch_claimed(
            ray, lambda job: task.remote(config, job), claim_next=claim_next, renew=renew_all, give_back=give_back,
            what="scoring job", slots=max(1, int(ray.cluster_resources().get("CPU", 1) // cpus_per_job)),
            lease_seconds=lease_seconds, poll_seconds=poll_seconds, once=once, stop=stop)


def score_in_task(config: HubConfig, job: Claim) -> None:
    """A Ray task: opens the hub on its node and scores one claimed job."""
    config.require_artifacts()  # raises: the dispatcher records a failed attempt
    with open_store(config) as (sessions, artifacts):
        score_claimed(sessions, artifacts, job)

