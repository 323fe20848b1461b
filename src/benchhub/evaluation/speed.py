"""Benchmarking how fast registered models answer, and keeping the results.

Each model is loaded for a dataset, which fixes its task and labels: the one named, or else the
dataset of the model's newest evaluation. Every measurement of one call shares a run id; rows are
kept, and the newest per (model, batch size, sequence length) is the one that counts.
"""

from __future__ import annotations

import sys
import uuid
from dataclasses import asdict, dataclass
from typing import Any, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchhub.catalog.datasets import get_dataset_row
from benchhub.catalog.loading import load_model
from benchhub.catalog.models import get_model_row
from benchhub.engine.latency import BenchBudget, LatencyStats, Subject, measure
from benchhub.engine.provenance import hardware, package_versions
from benchhub.errors import InvalidInputError
from benchhub.evaluation.evaluations import dataset_facts, model_settings, train_split
from benchhub.models.base import FITTED_PER_DATASET
from benchhub.results import SpeedResult
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.database import commit_or_undo
from benchhub.store.tables import DatasetRow, EvaluationRow, ModelRow, SpeedRunRow
from benchhub.tasks.registry import get_task

DEFAULT_BATCH_SIZES = (1, 8, 32)
ENDPOINT = "openai"
DEFAULT_SEQ_LENS = (32, 128)
# Bounds that keep one synthetic batch (batch x length tokens) within reach of one machine's memory.
MAX_BATCH_SIZE = 4096
MAX_SEQ_LEN = 8192


def bench_models(session: Session, artifacts: ArtifactStore, *, models: Sequence[str], dataset: str | None = None,
                 batch_sizes: Sequence[int] = DEFAULT_BATCH_SIZES, seq_lens: Sequence[int] = DEFAULT_SEQ_LENS,
                 threads: int | None = None, budget: BenchBudget | None = None,
                 show_progress: bool = True) -> list[SpeedResult]:
    """Measures every model at every batch size and sequence length, interleaved; stores and returns the results.

    `threads` sets the intra-op threads of network models (transformers, ONNX); None leaves the runtime's
    default (every available CPU). Nothing is stored unless every measurement succeeds.
    """
    batch_sizes = _positive_ints("--batch-sizes", batch_sizes, MAX_BATCH_SIZE)
    seq_lens = _positive_ints("--seq-lens", seq_lens, MAX_SEQ_LEN)
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise InvalidInputError(f"--threads must be an int in the range [1, inf). Got {threads!r} instead.")
    names = list(models)
    if not names:
        raise InvalidInputError("Name at least one model to bench, e.g. `benchhub bench baseline:tfidf-logreg --dataset D`.")
    repeated = next((name for i, name in enumerate(names) if name in names[:i]), None)
    if repeated is not None:
        raise InvalidInputError(f"Model {repeated!r} is given twice; give each model once.")
    named_dataset = get_dataset_row(session, dataset) if dataset is not None else None
    plans = [_plan(session, get_model_row(session, name), named_dataset) for name in names]
    subjects = [_load(artifacts, model_row, dataset_row, threads) for model_row, dataset_row in plans]
    stats = measure(subjects, batch_sizes=batch_sizes, seq_lens=seq_lens, budget=budget, show_progress=show_progress)
    machine = hardware()
    run_id = uuid.uuid4().hex
    packages = package_versions()
    by_name = {model_row.name: (model_row, dataset_row, subject) for (model_row, dataset_row), subject in zip(plans, subjects, strict=True)}
    rows = []
    for stat in stats:
        model_row, dataset_row, subject = by_name[stat.model]
        rows.append(speed_run_row(run_id, model_row, dataset_row, stat, subject.model, threads=threads, machine=machine,
                                  packages=packages, budget=budget))
    commit_or_undo(session, *rows)
    return [speed_record(row) for row in rows]


def speed_run_row(run_id: str, model_row: ModelRow, dataset_row: DatasetRow, stat: LatencyStats, model: Any, *,
                  threads: int | None, machine: dict[str, Any], packages: dict[str, Any],
                  budget: BenchBudget | None) -> SpeedRunRow:
    """One measurement as it is stored, with the hardware, packages and model facts it was taken with."""
    return SpeedRunRow(
        run_id=run_id, model=model_row, batch_size=stat.batch_size, seq_len=stat.seq_len,  # the id once it has one
        threads=_threads(model, threads), latency_p50_ms=stat.p50_ms, latency_p90_ms=stat.p90_ms,
        latency_p99_ms=stat.p99_ms, throughput=stat.throughput, timings=stat.timings,
        size_bytes=model.info.size_bytes, hardware=machine,
        details={
            "dataset": dataset_row.name, "dataset_fingerprint": dataset_row.fingerprint, "task": dataset_row.task,
            "threads_requested": threads, "timed_seconds": stat.seconds, "throughput_from": "p50",
            "budget": _budget_dict(budget), "packages": packages,
            **({"generation": stat.generation.to_dict()} if stat.generation is not None else {}),
            # An endpoint's speed is its server's hardware and the network's; its inputs' lengths count words.
            **({"measured_through": "endpoint", "seq_len_unit": "words"} if model_row.kind == ENDPOINT else {}),
            "model": {"kind": model_row.kind, "fingerprint": model_row.fingerprint, **model.info.extra},
        },
    )


SpeedProfile = tuple[Any, Any, Any, Any]


def speed_profile(row: SpeedRunRow) -> SpeedProfile:
    """What makes two speed runs comparable: the same CPU model and count, GPU, and thread count."""
    hardware = row.hardware or {}
    return hardware.get("cpu"), hardware.get("cpu_count"), hardware.get("gpu"), row.threads


def describe_profile(profile: SpeedProfile) -> str:
    cpu, count, gpu, threads = profile
    threads_text = "default threads" if not threads else f"{threads} thread{'s' if threads != 1 else ''}"
    return f"{cpu or 'an unknown CPU'} ({count} CPUs{', ' + gpu if gpu else ''}; {threads_text})"


@dataclass(frozen=True)
class ComparableSpeeds:
    """The newest run of each (model id, batch size, sequence length) on one hardware profile, the one
    most of the models were benched on (ties: the newest); models benched on other hardware only are named."""

    runs: dict[tuple[int, int, int], SpeedRunRow]
    profile: SpeedProfile | None
    profiles: int
    elsewhere_only: list[int]


def comparable_speed_runs(session: Session, model_ids: Sequence[int], dataset: DatasetRow | None = None) -> ComparableSpeeds:
    """The comparable runs of `model_ids`; for a board of `dataset`, a baseline's runs count only when it was
    benched as fitted on that dataset (a TF-IDF model fitted elsewhere has another vocabulary and speed)."""
    if not model_ids:
        return ComparableSpeeds({}, None, 0, [])
    found = session.execute(  # each run with its model's kind, in one query (leaderboards call this on every view)
        select(SpeedRunRow, ModelRow.kind).join(ModelRow, ModelRow.id == SpeedRunRow.model_id)
        .where(SpeedRunRow.model_id.in_(list(model_ids))).order_by(SpeedRunRow.id.desc())
    ).all()
    rows = [row for row, kind in found if dataset is None or kind not in FITTED_PER_DATASET or _benched_on(row, dataset)]
    by_profile: dict[SpeedProfile, dict[tuple[int, int, int], SpeedRunRow]] = {}
    for row in rows:
        by_profile.setdefault(speed_profile(row), {}).setdefault((row.model_id, row.batch_size, row.seq_len), row)
    if not by_profile:
        return ComparableSpeeds({}, None, 0, [])
    chosen = max(by_profile, key=lambda p: (len({key[0] for key in by_profile[p]}), max(r.id for r in by_profile[p].values())))
    here = {key[0] for key in by_profile[chosen]}
    benched = {key[0] for runs in by_profile.values() for key in runs}
    return ComparableSpeeds(by_profile[chosen], chosen, len(by_profile), sorted(benched - here))


def _benched_on(row: SpeedRunRow, dataset: DatasetRow) -> bool:
    details = row.details or {}
    if "dataset_fingerprint" in details:
        return details["dataset_fingerprint"] == dataset.fingerprint
    return details.get("dataset") == dataset.name  # runs stored before fingerprints were recorded


def speed_record(row: SpeedRunRow) -> SpeedResult:
    return SpeedResult(
        id=row.id, run_id=row.run_id, model=row.model.name, model_kind=row.model.kind,
        dataset=row.details.get("dataset", ""), task=row.details.get("task", ""), batch_size=row.batch_size,
        seq_len=row.seq_len, threads=row.threads, latency_ms_p50=row.latency_p50_ms, latency_ms_p90=row.latency_p90_ms,
        latency_ms_p99=row.latency_p99_ms, throughput=row.throughput, timings=row.timings, size_bytes=row.size_bytes,
        hardware=dict(row.hardware), details=dict(row.details), created_at=row.created_at,
    )


def _positive_ints(option: str, values: Sequence[int], maximum: int) -> list[int]:
    values = list(values)
    if not values:
        raise InvalidInputError(f"{option} is empty; give at least one size, e.g. {option} 1,8,32.")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
            raise InvalidInputError(f"{option} must hold ints in the range [1, {maximum}]. Got {value!r} instead.")
    return sorted(set(values))


def _plan(session: Session, model: ModelRow, dataset: DatasetRow | None) -> tuple[ModelRow, DatasetRow]:
    """The dataset whose task and labels `model` runs with: the named one, else its newest evaluation's."""
    if model.kind == "predictions":
        raise InvalidInputError(f"Model {model.name!r} is a predictions file; it computes nothing, so it has no speed to bench.")
    if dataset is not None:
        return model, dataset
    newest = session.scalar(select(EvaluationRow).where(EvaluationRow.model_id == model.id).order_by(EvaluationRow.id.desc()))
    if newest is None:
        raise InvalidInputError(
            f"Model {model.name!r} has no evaluation to take its task and labels from; pass --dataset D to name the dataset it runs on."
        )
    return model, newest.dataset


def _load(artifacts: ArtifactStore, model: ModelRow, dataset: DatasetRow, threads: int | None) -> Subject:
    task = get_task(dataset.task)
    settings = model_settings(task, model.kind, {})
    if threads is not None and settings and model.kind != ENDPOINT:
        # Only network models take settings, and their loaders take `threads` next to the task's.
        settings["threads"] = threads
    loaded = load_model(model, dataset, artifacts=artifacts, train=train_split(artifacts, dataset), settings=settings)
    if model.kind == ENDPOINT and getattr(loaded, "timed_predict", None) is None:
        raise InvalidInputError(
            f"Model {model.name!r} is an endpoint, and on {dataset.task} its answers are not streamed text, so they "
            "would come from the response cache; bench times endpoints that generate text, streamed past the cache: "
            "bench it on a dataset of a family whose models write text.")
    return Subject(model.name, loaded, get_task(dataset.task), dataset_facts(dataset))


def _threads(model: Any, requested: int | None) -> int | None:
    """The threads the model ran with: as its runtime reports, else torch's count when torch runs it, else as requested."""
    extra = model.info.extra
    if extra.get("threads") is not None:
        return int(extra["threads"])
    torch = sys.modules.get("torch")
    if torch is not None and extra.get("runtime", "torch") == "torch" and "device" in extra:
        return int(torch.get_num_threads())
    return requested


def _budget_dict(budget: BenchBudget | None) -> dict[str, Any]:
    return asdict(budget or BenchBudget())
