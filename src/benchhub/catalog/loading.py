"""Turning a registered (or built-in) model into a loaded model for one dataset's task."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchhub.catalog.datasets import dataset_facts
from benchhub.catalog.fingerprints import check_model_files
from benchhub.catalog.models import (
    BASELINE_PREFIX,
    builtin_family,
    builtin_registry,
    checkpoint_folder,
    model_folder,
)
from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.models.base import Model
from benchhub.models.baselines.model import BaselineModel
from benchhub.models.runtime import torch_runtime
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.tables import DatasetRow, ModelRow
from benchhub.tasks.registry import get_task


def load_model(row: ModelRow, dataset: DatasetRow, *, artifacts: ArtifactStore, train: Split | None,
               settings: dict[str, Any]) -> Model:
    """Loads the model behind `row`, ready to run on examples of `dataset` with the task's `settings`.

    Its `info.load_seconds` is the adapter's own measure (transformers and ONNX: tokenizer and weights),
    else the wall time of this call: reading a predictions file, or loading a baseline's saved
    parameters (fitting it on the train split the first time, which `info.extra["fitted"]` says).
    """
    started = time.perf_counter()
    model = _load(row, dataset, artifacts=artifacts, train=train, settings=settings)
    if not model.info.load_seconds:
        model.info = replace(model.info, load_seconds=time.perf_counter() - started)
    return model


def _load(row: ModelRow, dataset: DatasetRow, *, artifacts: ArtifactStore, train: Split | None,
          settings: dict[str, Any]) -> Model:
    if row.kind == "transformers":
        return _transformers(row, dataset, artifacts, settings)
    if row.kind == "onnx":
        return _onnx(row, dataset, artifacts, settings)
    task = get_task(dataset.task)
    if row.kind == "openai":
        from benchhub.models.endpoints import Endpoint

        # Answers are kept with the model (`models/NAME`), so removing it removes them.
        return task.endpoint_model(Endpoint(row.source, **{k: v for k, v in row.options["endpoint"].items() if k != "base_url"}),
                                   dataset_facts(dataset), settings=settings,
                                   cache_folder=artifacts.path(f"models/{row.name}/responses"))
    if row.kind == "predictions":
        na_probs = row.options.get("na_probs")
        return task.predictions_model(artifacts.path(row.source), dataset_facts(dataset),
                                      na_probs=artifacts.path(na_probs) if na_probs else None)
    baseline, size, fitted = _fitted_baseline(row, dataset, artifacts=artifacts, train=train)
    model = BaselineModel(baseline, size_bytes=size)
    model.info = replace(model.info, extra={**model.info.extra, "fitted": fitted})
    return model


def _transformers(row: ModelRow, dataset: DatasetRow, artifacts: ArtifactStore, settings: dict[str, Any]) -> Model:
    check_model_files(row, artifacts)
    folder = checkpoint_folder(row, artifacts)
    runtime = torch_runtime(row.options.get("precision", "fp32"), bool(row.options.get("compiled")))
    return load_network(folder, dataset, label_map=row.options.get("label_map"), settings=settings, runtime=runtime)


def load_network(folder: Path, dataset: DatasetRow, *, label_map: dict[str, str] | None, settings: dict[str, Any],
                 runtime: str) -> Model:
    """The task's transformers adapter for a checkpoint (runtime "torch") or an ONNX folder (runtime "onnx")."""
    return get_task(dataset.task).load_network(folder, dataset_facts(dataset), label_map=label_map, settings=settings,
                                               runtime=runtime)


def _onnx(row: ModelRow, dataset: DatasetRow, artifacts: ArtifactStore, settings: dict[str, Any]) -> Model:
    check_model_files(row, artifacts)
    folder = model_folder(row, artifacts)
    return load_network(folder, dataset, label_map=row.options.get("label_map"), settings=settings, runtime="onnx")


def _fitted_baseline(row: ModelRow, dataset: DatasetRow, *, artifacts: ArtifactStore,
                     train: Split | None) -> tuple[Any, int, bool]:
    """Fits a baseline on the train split once per dataset version; later calls load the saved parameters.
    Returns the baseline, its saved size, and whether this call fitted it."""
    from benchhub.models.baselines.base import MANIFEST_FILE

    task, facts = get_task(dataset.task), dataset_facts(dataset)
    family = builtin_family(row.source) if row.name.startswith(BASELINE_PREFIX) else None
    if family is not None and family != dataset.task:
        raise InvalidInputError(
            f"{row.name} is a {family} baseline and dataset {dataset.name!r} is {dataset.task}; "
            f"use one of {', '.join(BASELINE_PREFIX + b for b in task.baselines)}."
        )
    if family is None and not task.takes_rules:
        raise InvalidInputError(f"Regex-rule baseline {row.name!r} classifies text; dataset {dataset.name!r} is {dataset.task}.")
    folder = artifacts.path(fitted_folder(dataset, row))
    cls = builtin_registry()[row.source] if family is not None else task.rules_class()
    if (folder / MANIFEST_FILE).exists():
        return cls.load(folder), _size(folder), False
    if train is None:
        raise InvalidInputError(
            f"Baseline {row.name!r} trains on a split named 'train', and dataset {dataset.name!r} has none; "
            f"register the dataset with --split train=PATH."
        )
    if family is not None:
        baseline = cls.trained(train, facts)
    else:
        baseline = task.rules_baseline(artifacts.path(row.source), train, facts)
    with artifacts.new_folder(*folder.relative_to(artifacts.root).parts) as staging:
        baseline.save(staging)
    return baseline, _size(folder), True


def fitted_folder(dataset: DatasetRow, model: ModelRow | None = None) -> str:
    """The artifact folder of the baselines fitted on this version of `dataset`, or of `model`'s among them."""
    folder = f"baselines/{dataset.name}-{dataset.fingerprint[:12]}"
    return folder if model is None else f"{folder}/{model.name.replace(':', '-')}-{model.fingerprint[:12]}"


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
