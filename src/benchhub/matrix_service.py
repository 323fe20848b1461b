"""Evaluation matrices: every (model, dataset) pair, run by an executor, cached jobs skipped.

`local` runs jobs in a pool of worker processes on this machine (spawned, so a parent that loaded
torch passes nothing odd to its children); each job opens the hub itself, so workers share only the
database and the artifact folder. A stored result is unique per evaluation key (migration 0008),
so a job that runs twice stores its result once. `ray` is the distributed executor of a later
increment; without Ray installed it says how to install it.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from typing import Any, Sequence

from benchhub.config import HubConfig
from benchhub.errors import BenchhubError, InvalidInputError, MissingDependencyError

EXECUTORS = ("local", "ray")


@dataclass(frozen=True)
class MatrixResult:
    """One job of a matrix: its evaluation's headline, or why it failed."""

    model: str
    dataset: str
    status: str  # "cached", "evaluated" or "failed"
    metric: str | None = None
    value: float | None = None
    evaluation_id: int | None = None
    seconds: float | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_matrix(config: HubConfig, *, models: Sequence[str], datasets: Sequence[str], split: str = "test",
               batch_size: int = 32, settings: dict[str, Any] | None = None, executor: str = "local",
               max_parallel: int | None = None, use_cache: bool = True, show_progress: bool = True) -> list[MatrixResult]:
    """Evaluates every model on every dataset; returns one result per job, in (model, dataset) order."""
    from benchhub.engine.progress import Progress
    from benchhub.evaluation_service import stored_evaluation
    from benchhub.hub import Hub
    from benchhub.models.runtime import available_cpus
    from benchhub.tasks.registry import get_task

    if executor not in EXECUTORS:
        raise InvalidInputError(f"--executor {executor!r} is not supported; use one of {', '.join(EXECUTORS)}.")
    if executor == "ray":
        try:
            import ray  # noqa: F401
        except ImportError:
            raise MissingDependencyError("--executor ray needs Ray: pip install 'benchhub[ray]'.") from None
        raise InvalidInputError("--executor ray is not available yet in this version; use --executor local.")
    if max_parallel is not None and max_parallel < 1:
        raise InvalidInputError(f"--max-parallel must be an int in the range [1, inf). Got {max_parallel} instead.")
    jobs = [(model, dataset) for model in dict.fromkeys(models) for dataset in dict.fromkeys(datasets)]
    results: dict[tuple[str, str], MatrixResult] = {}
    pending = []
    with Hub(config) as hub, hub.session() as session:
        for model, dataset in jobs:  # names are checked, and cached jobs answered, before any worker starts
            found = stored_evaluation(session, hub.artifacts, model=model, dataset=dataset, split=split, settings=settings) \
                if use_cache else None
            if found is None:
                pending.append((model, dataset))
                continue
            metric = get_task(found.task).primary_metric
            results[(model, dataset)] = MatrixResult(model, dataset, "cached", metric, found.metrics[metric]["value"], found.id)
    with Progress("matrix", len(jobs), enabled=show_progress) as progress:
        progress.advance(len(results))
        if pending:
            workers = min(len(pending), max_parallel or available_cpus())
            with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
                futures = {pool.submit(evaluate_job, config, model, dataset, split, batch_size, settings, use_cache): (model, dataset)
                           for model, dataset in pending}
                for future in as_completed(futures):
                    results[futures[future]] = future.result()
                    progress.advance(1)
    return [results[job] for job in jobs]


def evaluate_job(config: HubConfig, model: str, dataset: str, split: str, batch_size: int,
                 settings: dict[str, Any] | None, use_cache: bool) -> MatrixResult:
    """One job, in a worker process: open the hub, evaluate, report the headline (errors become a failed result)."""
    from benchhub.hub import Hub
    from benchhub.tasks.registry import get_task

    started = time.perf_counter()
    try:
        with Hub(config) as hub:
            evaluation = hub.evaluate(model=model, dataset=dataset, split=split, batch_size=batch_size, use_cache=use_cache,
                                      progress=False, **(settings or {}))
    except BenchhubError as error:
        return MatrixResult(model, dataset, "failed", seconds=time.perf_counter() - started, error=str(error))
    metric = get_task(evaluation.task).primary_metric
    return MatrixResult(model, dataset, "cached" if evaluation.cached else "evaluated", metric,
                        evaluation.metrics[metric]["value"], evaluation.id, time.perf_counter() - started)
