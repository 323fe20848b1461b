"""`benchhub worker`: a worker that scores benchmark submissions and runs evaluation jobs from the hub's database queues."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from benchhub.errors import InvalidInputError


def register(app: typer.Typer) -> None:
    """Adds the `worker` command to `app`."""
    app.command("worker")(worker_command)


def worker_command(
    once: Annotated[bool, typer.Option("--once", help="Stop when no job is left instead of waiting for more.")] = False,
    poll_seconds: Annotated[float, typer.Option("--poll-seconds", help="Seconds between looks at an empty queue.")] = 1.0,
    lease_seconds: Annotated[float, typer.Option("--lease-seconds", help="Seconds a claimed job stays ours without a renewal "
                                                 "(renewed every third of it while we score); then another worker may take it over.")] = 60.0,
    executor: Annotated[str, typer.Option("--executor", help="local: score in this process; ray: score each job in a Ray task.")] = "local",
    ray_address: Annotated[Optional[str], typer.Option("--ray-address", help="--executor ray: 'auto' or HOST:PORT of a cluster; default: RAY_ADDRESS if set, else a local Ray instance.")] = None,
    cpus_per_job: Annotated[float, typer.Option("--cpus-per-job", help="--executor ray: CPUs each scoring task asks for.")] = 1.0,
    max_retries: Annotated[int, typer.Option("--max-retries", help="--executor ray: reruns of a scoring task whose worker died.")] = 3,
) -> None:
    """Score queued benchmark submissions and run queued evaluation jobs.

    Run as many workers as you like, on any machine that reaches the hub's database and artifact folder:
    each job is claimed by one worker at a time, a worker renews its lease while it works, and a worker
    that dies loses its job to another once its lease expires. Each score and each evaluation is written
    exactly once. Evaluation jobs (asked for with POST /api/evaluations) are taken round-robin across
    users, each run in a process of its own under the job's time and memory limits; with --executor ray,
    submissions are scored and evaluation jobs run in Ray tasks.
    """
    from benchhub.cli.shell import open_hub as _hub

    if not all(0 < value < float("inf") for value in (poll_seconds, lease_seconds, cpus_per_job)):
        raise InvalidInputError("--poll-seconds, --lease-seconds and --cpus-per-job must be numbers in the range (0, inf).")
    if max_retries < 0:
        raise InvalidInputError(f"--max-retries must be an int in the range [0, inf). Got {max_retries} instead.")
    with _hub() as hub:
        try:
            handled = hub.run_worker(once=once, poll_seconds=poll_seconds, lease_seconds=lease_seconds, executor=executor,
                                     ray_address=ray_address, cpus_per_job=cpus_per_job, max_retries=max_retries)
        except KeyboardInterrupt:
            # A job it was scoring goes to another worker when its lease expires.
            typer.echo("Worker stopped.", err=True)
            return
    typer.echo(f"Handled {handled} job(s).", err=True)
