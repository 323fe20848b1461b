"""Evaluating a model on a dataset split, with a cache keyed by everything that fixes the result."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from benchhub._version import __version__
from benchhub.catalog.datasets import (
    dataset_facts,
    get_dataset_row,
    get_split_row,
    load_split,
)
from benchhub.catalog.fingerprints import refresh_fingerprint
from benchhub.catalog.loading import load_model
from benchhub.catalog.models import get_model_row
from benchhub.data.records import Split, canonical_json
from benchhub.engine.evaluate import evaluate
from benchhub.engine.provenance import hardware, package_versions
from benchhub.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PredictionsFormatError,
)
from benchhub.models.base import NETWORK_KINDS, SETTINGS_KINDS
from benchhub.results import Evaluation
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.tables import DatasetRow, EvaluationRow, ModelRow
from benchhub.tasks.registry import get_task

TRAIN_SPLIT = "train"


def run_evaluation(session: Session, artifacts: ArtifactStore, *, model: str, dataset: str, split: str = "test",
                   batch_size: int = 32, settings: dict[str, Any] | None = None, use_cache: bool = True,
                   show_progress: bool = True, splits: dict[str, Split] | None = None, device: str | None = None,
                   loaded: Any = None, output: Any = None, unsafe_no_sandbox: bool = False) -> Evaluation:
    """Returns the stored evaluation for this key, or runs the model and stores a new one.

    `settings` override the task's defaults for transformers models (max_length; for question
    answering also doc_stride, n_best, max_answer_length, null_threshold); None values are ignored.
    `splits` are splits of this dataset already read (by name); each is used only while its fingerprint
    is still the stored split's, else the hub's copy is read. `device` ("cpu", "cuda:1") places a
    transformers or ONNX model (default: CUDA when available); it is recorded, not part of the key.
    `loaded` is this model already loaded for this dataset and settings (optimize has it from its gate),
    run instead of loading it again; `output` is what it gave on this split at `batch_size`, stored as it is.
    `unsafe_no_sandbox` runs a family's code without isolation (`without_sandbox`), recorded in the task config.
    """
    job = _job(session, artifacts, model=model, dataset=dataset, split=split, settings=settings,
               unsafe_no_sandbox=unsafe_no_sandbox)
    dataset_row, task, model_row, task_config, key = job
    if use_cache and (cached := _stored(session, job)) is not None:
        return cached
    split_data = load_split(artifacts, dataset_row, split, read=splits)
    classifier = loaded
    if classifier is None:
        placed = {**task_config, "device": device} if device and model_row.kind in NETWORK_KINDS else task_config
        classifier = load_model(model_row, dataset_row, artifacts=artifacts, train=train_split(artifacts, dataset_row, splits),
                                settings=placed)
    try:
        output = output or evaluate(
            classifier, split_data, task=task, facts=replace(dataset_facts(dataset_row), settings=task_config),
            batch_size=batch_size,
            show_progress=show_progress, description=f"{model_row.name} on {dataset_row.name}/{split}",
        )
    except PredictionsFormatError as exc:
        # The message names the hub's copy; say which file the user registered.
        original = (model_row.info or {}).get("original")
        if model_row.kind != "predictions" or not original:
            raise
        raise PredictionsFormatError(f"Model {model_row.name!r} (registered from {original}): {exc}") from exc
    provenance = {
        "benchhub": __version__,
        "task": {"name": task.name, "version": task.version},
        "metrics": task.metric_versions,
        "model": {"name": model_row.name, "kind": model_row.kind, "fingerprint": model_row.fingerprint, **classifier.info.extra},
        "dataset": {"name": dataset_row.name, "fingerprint": dataset_row.fingerprint, "split": split,
                    "split_fingerprint": split_data.fingerprint},
        "packages": package_versions(),
        "hardware": hardware(),
        "batch_size": batch_size,
        "task_config": task_config,
        "seed": task.seed,
        "created_at": datetime.now(timezone.utc).isoformat(),
    }
    relative = f"{PREDICTIONS_FOLDER}/{key[:16]}-{os.getpid()}-{int(datetime.now().timestamp() * 1e6)}.jsonl.gz"
    artifacts.write_jsonl_gz(output.examples, relative)
    refers_to = (("model", ModelRow, model_row.id, model_row.name), ("dataset", DatasetRow, dataset_row.id, dataset_row.name))
    try:
        # RETURNING names exactly the rows this statement deleted, also rows a concurrent run committed meanwhile.
        replaced = session.scalars(
            same_evaluation(delete(EvaluationRow), key, model_row, dataset_row).returning(EvaluationRow.predictions_path)
        ).all()
        row = EvaluationRow(
            cache_key=key, model_id=model_row.id, dataset_id=dataset_row.id, split=split, task=task.name,
            task_version=task.version, task_config=task_config, metrics=output.metrics, details=output.details,
            efficiency=output.efficiency, provenance=provenance, predictions_path=relative,
        )
        session.add(row)
        session.commit()
    except IntegrityError:
        # Another run of the same job stored this key first (retries and parallel workers are at-least-once):
        # its row is the result; ours is dropped, so nothing is stored twice.
        session.rollback()
        artifacts.remove(relative)
        _check_not_removed(session, refers_to)
        winner = session.scalar(same_evaluation(select(EvaluationRow), key, model_row, dataset_row))
        if winner is None:
            raise
        return evaluation_record(winner, cached=True)
    except BaseException:
        session.rollback()
        artifacts.remove(relative)
        raise
    for path in replaced:
        artifacts.remove(path)
    return evaluation_record(row, cached=False)


PREDICTIONS_FOLDER = "evaluations"


def _check_not_removed(session: Session, refers_to: tuple[tuple[str, Any, int, str], ...]) -> None:
    """Refuses to store a result whose model or dataset (kind, table, id, name) was removed while it ran
    (`benchhub model remove` or `dataset remove`): its row cannot refer to them."""
    gone = [f"{kind} {name!r}" for kind, table, row_id, name in refers_to if session.get(table, row_id) is None]
    if gone:
        what = " and ".join(gone)
        raise ConflictError(f"{what[0].upper()}{what[1:]} {'were' if len(gone) > 1 else 'was'} removed while the "
                            "evaluation ran; nothing was stored. Register it again to evaluate it.") from None


def remove_orphan_predictions(session: Session, artifacts: ArtifactStore, *, older_than_seconds: float = 600.0) -> int:
    """Removes prediction files no evaluation refers to, left by runs killed between writing the file
    and committing its row (and half-written temporary files); returns how many it removed.

    A run commits its row moments after writing its file, so a file that old has no run left to claim it.
    """
    folder = artifacts.path(PREDICTIONS_FOLDER)
    if not folder.is_dir():
        return 0
    referenced = set(session.scalars(select(EvaluationRow.predictions_path)))
    deadline = time.time() - older_than_seconds
    removed = 0
    for path in folder.iterdir():
        if path.is_file() and artifacts.relative(path) not in referenced and path.stat().st_mtime < deadline:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def stored_evaluation(session: Session, artifacts: ArtifactStore, *, model: str, dataset: str, split: str = "test",
                      settings: dict[str, Any] | None = None, unsafe_no_sandbox: bool = False) -> Evaluation | None:
    """The stored evaluation `run_evaluation` would return from its cache, or None (no model is run)."""
    return _stored(session, _job(session, artifacts, model=model, dataset=dataset, split=split, settings=settings,
                                 unsafe_no_sandbox=unsafe_no_sandbox))


def _job(session: Session, artifacts: ArtifactStore, *, model: str, dataset: str, split: str,
         settings: dict[str, Any] | None, unsafe_no_sandbox: bool = False) -> tuple[DatasetRow, Any, ModelRow, dict[str, Any], str]:
    """What fixes an evaluation: its dataset, task, model, task settings and cache key (names and split checked;
    a transformers or ONNX model's files checked against its fingerprint, so a cache hit is never stale)."""
    dataset_row = get_dataset_row(session, dataset)
    task = get_task(dataset_row.task)
    get_split_row(dataset_row, split)
    model_row = get_model_row(session, model)
    refresh_fingerprint(session, model_row, artifacts)
    task_config = model_settings(task, model_row.kind, settings or {})
    if unsafe_no_sandbox:
        task_config = without_sandbox(task, task_config)
    return dataset_row, task, model_row, task_config, cache_key(model_row, dataset_row, split, task, task_config)


def _stored(session: Session, job: tuple[Any, ...]) -> Evaluation | None:
    dataset_row, _, model_row, _, key = job
    cached = session.scalar(same_evaluation(select(EvaluationRow), key, model_row, dataset_row).order_by(EvaluationRow.id.desc()))
    return evaluation_record(cached, cached=True) if cached is not None else None


def same_evaluation(statement: Any, key: str, model: ModelRow, dataset: DatasetRow) -> Any:
    """Restricts a statement to evaluations of this key for this model and dataset.

    Two names may share fingerprints (the same file registered twice); their results stay apart.
    """
    return statement.where(
        EvaluationRow.cache_key == key, EvaluationRow.model_id == model.id, EvaluationRow.dataset_id == dataset.id
    )


def model_settings(task: Any, kind: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """The task's model settings with the given overrides, for transformers, ONNX and endpoint models; other kinds
    take only the task's `scoring_settings` (most families have none)."""
    defaults = dict(task.transformers_defaults)
    given = {name: value for name, value in overrides.items() if value is not None}
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise InvalidInputError.naming(
            lambda spell: f"{spell.setting(unknown[0])} does not apply to {task.name}; its settings are "
                          f"{', '.join(map(spell.setting, defaults))}."
        )
    for name, value in given.items():
        task.check_setting(name, value)
    chosen = {**defaults, **given}
    if kind not in SETTINGS_KINDS:
        return {name: value for name, value in chosen.items() if name in task.scoring_settings}
    task.check_settings(chosen)
    return chosen


# The scoring setting that says how a family runs code (`isolation`), and its value without a sandbox.
ISOLATION, NO_ISOLATION = "isolation", "none"


def without_sandbox(task: Any, task_config: dict[str, Any]) -> dict[str, Any]:
    """`task_config` with its code run without isolation (`--unsafe-no-sandbox`, a per-run choice never taken from
    named settings); a family that runs no code refuses."""
    if ISOLATION not in task_config:
        raise InvalidInputError(f"--unsafe-no-sandbox applies to datasets whose scoring runs code; {task.name} "
                                "datasets run none.")
    return {**task_config, ISOLATION: NO_ISOLATION}


def cache_key(model: ModelRow, dataset: DatasetRow, split: str, task: Any, task_config: dict[str, Any]) -> str:
    """SHA-256 of the model and dataset fingerprints, the split, the task's name, version and config, and what of
    the machine decides its scores (`Task.environment`, for families that have any)."""
    document = {
        "model": model.fingerprint,
        "dataset": dataset.fingerprint,
        "split": split,
        "task": task.name,
        "task_version": task.version,
        "metric_versions": task.metric_versions,
        "task_config": task_config,
    }
    if environment := task.environment(task_config):
        document["environment"] = environment
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


def _has_split(dataset: DatasetRow, name: str) -> bool:
    return any(s.name == name for s in dataset.splits)


def train_split(artifacts: ArtifactStore, dataset: DatasetRow, read: dict[str, Split] | None = None) -> Split | None:
    """The split baselines train on, or None when the dataset has none."""
    return load_split(artifacts, dataset, TRAIN_SPLIT, read=read) if _has_split(dataset, TRAIN_SPLIT) else None


def evaluation_record(row: EvaluationRow, *, cached: bool = False) -> Evaluation:
    return Evaluation(
        id=row.id, model=row.model.name, model_kind=row.model.kind, dataset=row.dataset.name, split=row.split,
        task=row.task, task_version=row.task_version, task_config=dict(row.task_config), metrics=dict(row.metrics),
        details=dict(row.details), efficiency=dict(row.efficiency), provenance=dict(row.provenance),
        predictions_path=row.predictions_path, created_at=row.created_at, cached=cached,
    )


def latest_evaluations(session: Session, dataset: DatasetRow, split: str) -> list[EvaluationRow]:
    """The newest evaluation of each model on one split."""
    rows = session.scalars(
        select(EvaluationRow)
        .where(EvaluationRow.dataset_id == dataset.id, EvaluationRow.split == split)
        .order_by(EvaluationRow.id.desc())
    ).all()
    newest: dict[int, EvaluationRow] = {}
    for row in rows:
        newest.setdefault(row.model_id, row)
    return list(newest.values())


def find_evaluation(session: Session, *, model: str, dataset: str, split: str) -> EvaluationRow:
    dataset_row = get_dataset_row(session, dataset)
    model_row = get_model_row(session, model)
    row = session.scalar(
        select(EvaluationRow)
        .where(EvaluationRow.dataset_id == dataset_row.id, EvaluationRow.model_id == model_row.id, EvaluationRow.split == split)
        .order_by(EvaluationRow.id.desc())
    )
    if row is None:
        raise NotFoundError(
            f"Model {model!r} has no evaluation on {dataset}/{split}; run `benchhub eval --model {model} --dataset {dataset} --split {split}`."
        )
    return row
