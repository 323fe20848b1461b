"""Jobs as Ray tasks: on a local Ray instance started on demand, or on a cluster joined by address.

Each job is one task with its resource request (`num_cpus`, `num_gpus`) and `max_retries`: Ray reruns
a task whose worker process died (SIGKILL, out of memory, a lost node), so a task may run more than
once; the job functions are written for that (the store keeps one result per key). A task that fails
by raising is not retried: the error is its result. Inputs several jobs share are put in the object
store once (`share`) and handed to each task by reference.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import deque
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

from benchhub.config import HubConfig
from benchhub.errors import InvalidInputError, MissingDependencyError

Job = tuple[Any, ...]


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MissingDependencyError("--executor ray needs Ray: pip install 'benchhub[ray]'.") from None
    return ray


@contextmanager
def ray_session(config: HubConfig, address: str | None = None, *,
                notify: Callable[[str], None] | None = None) -> Iterator[Any]:
    """Connects to Ray for a run and yields the `ray` module.

    A session this process already has is used as it is. Else `address` is joined ('auto': the cluster
    `ray start` began on this machine; HOST:PORT or ray://HOST:PORT: that cluster), or the one in
    RAY_ADDRESS, as Ray's own tools do; with neither, a local instance is started for this run and
    stopped after it. `notify` hears which of these happened.
    """
    ray = import_ray()
    if ray.is_initialized():
        check_shared_store(config, ray)
        yield ray
        return
    # Ray's usage statistics would try to reach the internet; a hub keeps to its own network.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    target = address or os.environ.get("RAY_ADDRESS") or "local"
    check_reachable(target)
    try:
        context = ray.init(address=target, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    except (ConnectionError, RuntimeError, ValueError) as error:
        where = "a local Ray instance" if target == "local" else f"the Ray cluster at {target!r}"
        raise InvalidInputError(
            f"Could not connect to {where}: {error} Start one with `ray start --head` and pass --ray-address auto, "
            f"or leave --ray-address out to start a local instance.") from None
    try:
        cpus = int(ray.cluster_resources().get("CPU", 0))
        how = "Started a local Ray instance" if target == "local" else "Joined the Ray cluster"
        if notify is not None:
            notify(f"{how} at {context.address_info.get('gcs_address')} ({cpus} CPUs).")
        check_shared_store(config, ray)
        yield ray
    finally:
        ray.shutdown()


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fails fast on a HOST:PORT (or ray://HOST:PORT) nothing answers at: Ray itself retries for minutes."""
    if address in ("local", "auto"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise InvalidInputError(f"--ray-address {address!r} is not 'auto', HOST:PORT or ray://HOST:PORT; e.g. 10.0.0.5:6379.")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as error:
        raise InvalidInputError(f"Nothing answers at {host}:{port} ({error.strerror or error}); start the cluster with "
                                f"`ray start --head` there, or check the address.") from None


def check_shared_store(config: HubConfig, ray: Any) -> None:
    """A cluster of several nodes needs a store every node reaches: SQLite is a file on one machine."""
    nodes = [node for node in ray.nodes() if node.get("Alive")]
    if len(nodes) > 1 and config.database_url.startswith("sqlite"):
        raise InvalidInputError(
            f"This Ray cluster has {len(nodes)} nodes, but the hub's database is a SQLite file on this machine; "
            f"set BENCHHUB_DATABASE_URL to a PostgreSQL database every node reaches (see docs/scaling.md).")


def run_as_tasks(ray: Any, function: Callable[..., Any], jobs: Sequence[Job], *, cpus: float, gpus: float, max_retries: int,
                 max_parallel: int | None, on_result: Callable[[Job, Any], None],
                 on_failure: Callable[[Job, str], None]) -> None:
    """Calls `function(*job)` as one Ray task per job, at most `max_parallel` submitted at a time
    (Ray also holds tasks back until their resources are free)."""
    task = ray.remote(function).options(num_cpus=cpus, num_gpus=gpus, max_retries=max_retries, retry_exceptions=False)
    waiting = deque(jobs)
    running: dict[Any, Job] = {}
    while waiting or running:
        while waiting and (max_parallel is None or len(running) < max_parallel):
            job = waiting.popleft()
            running[task.remote(*job)] = job
        done, _ = ray.wait(list(running), num_returns=1)
        for ref in done:
            job = running.pop(ref)
            try:
                result = ray.get(ref)
            except ray.exceptions.WorkerCrashedError:
                on_failure(job, f"its Ray worker died on each of {max_retries + 1} attempts "
                                f"(killed by a signal or out of memory); not retried again")
            except ray.exceptions.RayTaskError as error:
                cause = error.cause if error.cause is not None else error
                on_failure(job, f"{type(cause).__name__}: {cause}")
            except ray.exceptions.RayError as error:  # lost objects or nodes, cancelled tasks, out of memory
                on_failure(job, f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
            else:
                on_result(job, result)


def share(ray: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Puts each value in the object store once; tasks that get the reference as an argument get the value."""
    return {key: ray.put(value) for key, value in values.items()}


def dispatch_claimed(ray: Any, start: Callable[[Any], Any], *, claim_next: Callable[[], Any | None],
                     renew: Callable[[list[Any]], None], give_back: Callable[[Any, Exception], None], what: str,
                     slots: int, lease_seconds: float, poll_seconds: float, once: bool, stop: Any) -> int:
    """Runs claimed queue jobs as Ray tasks until `stop` is set (with `once`: until none is left); returns how many
    ended. The queue is the source of truth: `claim_next()` claims a job (with `.job_id` and `.attempt`) under the
    dispatcher's lease, `start(job)` submits its task, `renew(jobs)` renews the leases of those waiting or running
    (every third of a lease), and `give_back(job, error)` records a task that failed anyway. At most `slots` jobs are
    claimed at a time, so no claimed job waits long in Ray's own queue."""
    running: dict[Any, Any] = {}
    renewed_at, handled = time.monotonic(), 0
    while not stop.is_set():
        if running and time.monotonic() - renewed_at >= lease_seconds / 3:
            renew(list(running.values()))
            renewed_at = time.monotonic()
        while len(running) < slots:
            job = claim_next()
            if job is None:
                break
            running[start(job)] = job
        if not running:
            if once:
                break
            stop.wait(poll_seconds)
            continue
        done, _ = ray.wait(list(running), num_returns=1, timeout=min(poll_seconds, lease_seconds / 3))
        for ref in done:
            job = running.pop(ref)
            handled += 1
            try:
                ray.get(ref)
            except ray.exceptions.RayError as error:
                # Logged by type only: a message may quote a hidden split.
                logging.getLogger(__name__).warning("%s %d (attempt %d) failed on Ray: %s", what, job.job_id, job.attempt,
                                                    type(error).__name__)
                give_back(job, error)
    return handled
