"""Evaluation matrices: every (model, dataset) pair, run by an executor, cached jobs skipped.

Names are checked and cached jobs answered here, before any worker starts; the other jobs go to an
executor (`benchhub.executors`): `local`, a pool of spawned processes on this machine, or `ray`,
one Ray task per job. Each job opens the hub itself, so workers share only the database and the
artifact folder. Executors retry a job whose worker died, so a job may run more than once: the
store keeps one result per evaluation key (migration 0008), and a run that finds its key taken
answers with the stored row. On Ray, each dataset's splits are read once and reach the tasks
through the object store.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Callable, Sequence

from benchhub.config import HubConfig
from benchhub.data.records import Split
from benchhub.errors import BenchhubError, InvalidInputError

EXECUTORS = ("local", "ray")
DEFAULT_RETRIES = 3


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


@dataclass(frozen=True)
class MatrixPlan:
    """What every job of one matrix shares: the hub and how to evaluate."""

    config: HubConfig
    split: str = "test"
    batch_size: int = 32
    settings: dict[str, Any] = field(default_factory=dict)
    use_cache: bool = True
    device: str | None = None  # None: CUDA when the worker sees a GPU


@dataclass(frozen=True)
class RayOptions:
    """Where and how `--executor ray` runs jobs: cluster address (None: a local instance) and each task's resources."""

    address: str | None = None
    cpus_per_job: float = 1.0
    gpus_per_job: float = 0.0


def run_matrix(config: HubConfig, *, models: Sequence[str], datasets: Sequence[str], split: str = "test",
               batch_size: int = 32, settings: dict[str, Any] | None = None, executor: str = "local",
               max_parallel: int | None = None, max_retries: int = DEFAULT_RETRIES, ray: RayOptions | None = None,
               use_cache: bool = True, show_progress: bool = True, notify: Callable[[str], None] | None = None,
               job_function: Callable[..., MatrixResult] | None = None) -> list[MatrixResult]:
    """Evaluates every model on every dataset; returns one result per job, in (model, dataset) order.

    `notify` hears where the jobs run (which Ray cluster, how many CPUs).
    `job_function` replaces `evaluate_job` (same signature, importable by name from another process):
    tests use it to kill a worker mid-job.
    """
    from benchhub.progress import Progress

    _check_options(executor, max_parallel, max_retries, ray)
    plan = MatrixPlan(config, split, batch_size, dict(settings or {}), use_cache)
    jobs = [(model, dataset) for model in dict.fromkeys(models) for dataset in dict.fromkeys(datasets)]
    results = _cached_results(plan, jobs)
    pending = [job for job in jobs if job not in results]
    function = job_function or evaluate_job
    with Progress("matrix", len(jobs), enabled=show_progress) as progress:
        progress.advance(len(results))

        def on_result(job: tuple[Any, ...], result: MatrixResult) -> None:
            results[(result.model, result.dataset)] = result
            progress.advance(1)

        def on_failure(job: tuple[Any, ...], error: str) -> None:
            _, model, dataset, *_ = job
            results[(model, dataset)] = MatrixResult(model, dataset, "failed", error=error)
            progress.advance(1)

        if pending and executor == "local":
            _run_local(plan, pending, function, max_parallel, max_retries, on_result, on_failure)
        elif pending:
            _run_ray(plan, pending, function, ray or RayOptions(), max_parallel, max_retries, on_result, on_failure, notify)
    if pending:
        _remove_orphans(plan.config)
    return [results[job] for job in jobs]


def _remove_orphans(config: HubConfig) -> None:
    """A worker killed between writing its predictions and committing them leaves a file nobody uses."""
    from benchhub.evaluation.evaluations import remove_orphan_predictions
    from benchhub.store.database import open_store

    with open_store(config) as (sessions, artifacts), sessions() as session:
        remove_orphan_predictions(session, artifacts)


def _check_options(executor: str, max_parallel: int | None, max_retries: int, ray: RayOptions | None) -> None:
    if executor not in EXECUTORS:
        raise InvalidInputError(f"--executor {executor!r} is not supported; use one of {', '.join(EXECUTORS)}.")
    if executor == "ray":
        from benchhub.executors.ray_tasks import import_ray

        import_ray()
    elif ray is not None and ray != RayOptions():
        raise InvalidInputError("--ray-address, --cpus-per-job and --gpus-per-job apply to --executor ray only; add --executor ray.")
    if max_parallel is not None and max_parallel < 1:
        raise InvalidInputError(f"--max-parallel must be an int in the range [1, inf). Got {max_parallel} instead.")
    if max_retries < 0:
        raise InvalidInputError(f"--max-retries must be an int in the range [0, inf). Got {max_retries} instead.")
    if ray is not None and not (0 < ray.cpus_per_job < math.inf and 0 <= ray.gpus_per_job < math.inf):
        raise InvalidInputError("--cpus-per-job must be a number in the range (0, inf) and --gpus-per-job in [0, inf).")


def _cached_results(plan: MatrixPlan, jobs: list[tuple[str, str]]) -> dict[tuple[str, str], MatrixResult]:
    """Checks every name (a typo fails the run before any job starts) and answers the cached jobs."""
    from benchhub.evaluation.evaluations import stored_evaluation
    from benchhub.store.database import open_store
    from benchhub.tasks.registry import get_task

    results = {}
    with open_store(plan.config) as (sessions, artifacts), sessions() as session:
        for model, dataset in jobs:
            found = stored_evaluation(session, artifacts, model=model, dataset=dataset, split=plan.split,
                                      settings=plan.settings)
            if found is not None and plan.use_cache:
                metric = get_task(found.task).primary_metric
                results[(model, dataset)] = MatrixResult(model, dataset, "cached", metric, found.metrics[metric]["value"], found.id)
    return results


def _run_local(plan: MatrixPlan, pending: list[tuple[str, str]], function: Callable[..., MatrixResult],
               max_parallel: int | None, max_retries: int, on_result: Callable, on_failure: Callable) -> None:
    from benchhub.executors.local_pool import run_in_processes
    from benchhub.models.loaded_runtime import available_cpus

    cpus = available_cpus()
    workers = min(len(pending), max_parallel or cpus)
    run_in_processes(function, [(plan, model, dataset) for model, dataset in pending], workers=workers,
                     threads=max(1, cpus // workers), max_retries=max_retries, on_result=on_result, on_failure=on_failure)


def _run_ray(plan: MatrixPlan, pending: list[tuple[str, str]], function: Callable[..., MatrixResult], options: RayOptions,
             max_parallel: int | None, max_retries: int, on_result: Callable, on_failure: Callable,
             notify: Callable[[str], None] | None) -> None:
    from benchhub.executors.ray_tasks import ray_session, run_as_tasks, share

    with ray_session(plan.config, options.address, notify=notify) as ray:
        if options.gpus_per_job == 0:
            # Ray leaves GPUs visible to a task that asked for none; such a job must not use one behind
            # Ray's back (several could land on one GPU), so it runs on the CPU it asked for.
            plan = replace(plan, device="cpu")
            gpus = int(ray.cluster_resources().get("GPU", 0))
            if gpus and notify is not None:
                notify(f"The cluster has {gpus} GPUs; these jobs asked for none and run on CPUs (--gpus-per-job 1 to use them).")
        inputs = share(ray, _dataset_inputs(plan, sorted({dataset for _, dataset in pending})))
        run_as_tasks(ray, function, [(plan, model, dataset, inputs[dataset]) for model, dataset in pending],
                     cpus=options.cpus_per_job, gpus=options.gpus_per_job, max_retries=max_retries,
                     max_parallel=max_parallel, on_result=on_result, on_failure=on_failure)


def _dataset_inputs(plan: MatrixPlan, datasets: list[str]) -> dict[str, dict[str, Split]]:
    """Each dataset's evaluated split (and train split, which baselines fit on), read once for every job."""
    from benchhub.catalog.datasets import get_dataset_row, load_split
    from benchhub.store.database import open_store

    inputs = {}
    with open_store(plan.config) as (sessions, artifacts), sessions() as session:
        for name in datasets:
            row = get_dataset_row(session, name)
            splits = {split.name: load_split(artifacts, row, split.name) for split in row.splits
                      if split.name in (plan.split, "train")}
            for split in splits.values():
                split.fingerprint  # computed here, once, and carried with the split  # noqa: B018
            inputs[name] = splits
    return inputs


def evaluate_job(plan: MatrixPlan, model: str, dataset: str, splits: dict[str, Split] | None = None) -> MatrixResult:
    """One job, in a worker process: open the hub, evaluate, report the headline (errors become a failed result).

    `splits` are the dataset's splits already read (from the object store); the hub's own copy is read otherwise.
    """
    from benchhub.evaluation.evaluations import run_evaluation
    from benchhub.store.database import open_store
    from benchhub.tasks.registry import get_task

    started = time.perf_counter()
    try:
        plan.config.require_artifacts()
        with open_store(plan.config) as (sessions, artifacts), sessions() as session:
            evaluation = run_evaluation(session, artifacts, model=model, dataset=dataset, split=plan.split,
                                        batch_size=plan.batch_size, settings=plan.settings, use_cache=plan.use_cache,
                                        show_progress=False, splits=splits, device=plan.device)
    except BenchhubError as error:
        return MatrixResult(model, dataset, "failed", seconds=time.perf_counter() - started, error=str(error))
    metric = get_task(evaluation.task).primary_metric
    return MatrixResult(model, dataset, "cached" if evaluation.cached else "evaluated", metric,
                        evaluation.metrics[metric]["value"], evaluation.id, time.perf_counter() - started)
