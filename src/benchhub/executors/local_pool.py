"""Jobs in a pool of spawned worker processes on this machine, retried when their process dies.

A pool whose worker dies breaks as a whole (`BrokenProcessPool`), so the jobs running beside the
one that died cannot be told apart from it. They are all rerun, each alone in a pool of its own,
where a death is that job's own: it gets `max_retries` such attempts before it is reported failed.
Jobs that had not started go on in a fresh pool.
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any, Callable, Sequence

Job = tuple[Any, ...]


def run_in_processes(function: Callable[..., Any], jobs: Sequence[Job], *, workers: int, threads: int, max_retries: int,
                     on_result: Callable[[Job, Any], None], on_failure: Callable[[Job, str], None]) -> None:
    """Calls `function(*job)` for every job in `workers` processes of `threads` threads each."""
    queue: deque[Job] = deque(jobs)
    interrupted: list[Job] = []
    while queue:
        interrupted.extend(_run_pool(function, queue, workers, threads, on_result, on_failure))
    for job in interrupted:
        for _ in range(max_retries):
            if not _run_pool(function, deque([job]), 1, threads, on_result, on_failure):
                break
        else:
            on_failure(job, f"its worker process died on each of {max_retries + 1} attempts "
                            f"(killed by a signal or out of memory); not retried again")


def _run_pool(function: Callable[..., Any], queue: deque[Job], workers: int, threads: int,
              on_result: Callable[[Job, Any], None], on_failure: Callable[[Job, str], None]) -> list[Job]:
    """Runs jobs from `queue` until it is empty or the pool breaks; returns the jobs a broken pool interrupted."""
    workers = min(workers, len(queue))
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                             initializer=_limit_threads, initargs=(threads,)) as pool:
        running: dict[Future[Any], Job] = {}
        while queue or running:
            # At most one job per worker is handed over, so every job the pool holds is really running.
            while queue and len(running) < workers:
                job = queue.popleft()
                running[pool.submit(function, *job)] = job
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            if any(isinstance(future.exception(), BrokenProcessPool) for future in done):
                wait(running)  # a broken pool fails every future it holds at once
                interrupted = []
                for future, job in running.items():
                    if isinstance(future.exception(), BrokenProcessPool):
                        interrupted.append(job)
                    else:
                        _deliver(future, job, on_result, on_failure)
                return interrupted
            for future in done:
                _deliver(future, running.pop(future), on_result, on_failure)
    return []


def _deliver(future: Future[Any], job: Job, on_result: Callable[[Job, Any], None],
             on_failure: Callable[[Job, str], None]) -> None:
    error = future.exception()
    if error is None:
        on_result(job, future.result())
    else:  # the job function raised instead of returning its failure: reported, not retried
        on_failure(job, f"{type(error).__name__}: {error}")


def _limit_threads(threads: int) -> None:
    """Runs in each worker before any job: the runtimes take their thread count from OMP_NUM_THREADS."""
    os.environ["OMP_NUM_THREADS"] = str(threads)
