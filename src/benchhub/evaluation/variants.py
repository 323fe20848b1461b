"""`benchhub optimize`: export a registered transformers model to ONNX, optionally fuse and quantize it,
prove its accuracy held on an evaluation split, then register it with its lineage and evaluate it.

Nothing is registered unless every step and gate passes (or --force): the new folder is built in
a staging directory and renamed into the hub only when the model row is committed.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchhub.catalog.datasets import get_dataset_row, load_split
from benchhub.catalog.loading import load_network
from benchhub.catalog.models import (
    checkpoint_folder,
    get_model_row,
    model_record,
    onnx_model_fingerprint,
)
from benchhub.engine.evaluate import evaluate
from benchhub.errors import AccuracyGateError, InvalidInputError, NameTakenError
from benchhub.evaluation.evaluations import (
    dataset_facts,
    model_settings,
    run_evaluation,
)
from benchhub.models.checkpoints import folder_size
from benchhub.models.fingerprints import FINGERPRINT_VERSION
from benchhub.naming import check_name
from benchhub.optimize.gate import METRIC_TOLERANCE_POINTS, logits_parity, metric_check
from benchhub.results import OptimizeResult
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.database import commit_or_undo
from benchhub.store.tables import DatasetRow, EvaluationRow, ModelRow
from benchhub.tasks.registry import get_task

QUANTIZATIONS = ("none", "dynamic-int8")
SUFFIXES = {"none": "@onnx", "dynamic-int8": "@onnx-int8"}


def optimize_model(session: Session, artifacts: ArtifactStore, *, model: str, quantize: str = "none", fuse: bool = True,
                   name: str | None = None, dataset: str | None = None, split: str = "test",
                   tolerance: float = METRIC_TOLERANCE_POINTS, force: bool = False, batch_size: int = 32,
                   settings: dict[str, Any] | None = None, show_progress: bool = True, echo: Callable[[str], None] = lambda line: None) -> OptimizeResult:
    """Exports `model` (text classification or QA) to ONNX, gates it on `dataset`/`split`, registers and evaluates it.

    `settings` are the task's evaluation settings (max_length; for QA doc_stride, ...), used alike for
    the source's evaluation, both gates and the new model's evaluation.
    """
    if quantize not in QUANTIZATIONS:
        raise InvalidInputError(f"--quantize {quantize!r} is not supported; use one of {', '.join(QUANTIZATIONS)}.")
    if not 0 <= tolerance < math.inf:  # NaN would pass every gate
        raise InvalidInputError(f"--tolerance must be a number of points in the range [0, inf). Got {tolerance} instead.")
    source = get_model_row(session, model)
    if source.kind != "transformers":
        raise InvalidInputError(
            f"Model {model!r} is a {source.kind} model; optimize exports transformers checkpoints (text classification, question answering)."
        )
    name = check_name(name or model + SUFFIXES[quantize], "Model")
    if session.scalar(select(ModelRow.id).where(ModelRow.name == name)) is not None:
        raise NameTakenError(f"A model named {name!r} already exists; choose another with --name.")
    dataset_row = gate_dataset(session, source, dataset)
    task = get_task(dataset_row.task)
    split_data = load_split(artifacts, dataset_row, split)
    overrides = {name: value for name, value in (settings or {}).items() if value is not None}
    settings = model_settings(task, "transformers", overrides)
    checkpoint = checkpoint_folder(source, artifacts)

    echo(f"Evaluating the source model {model} on {dataset_row.name}/{split} ...")
    source_evaluation = run_evaluation(session, artifacts, model=model, dataset=dataset_row.name, split=split,
                                       batch_size=batch_size, settings=overrides, show_progress=show_progress)
    relative = f"models/{name}"
    steps: dict[str, Any] = {"source": model, "quantize": quantize, "fuse": fuse}
    gate: dict[str, Any] = {"dataset": dataset_row.name, "split": split}
    with artifacts.new_folder(relative) as staging, tempfile.TemporaryDirectory(dir=artifacts.root, prefix=".export-") as scratch:
        from benchhub.optimize.export import export_onnx
        from benchhub.optimize.graph import quantize_int8

        fp32 = Path(scratch) / "fp32"
        echo(f"Exporting {model} to ONNX{' and fusing it for ONNX Runtime' if fuse else ''} ...")
        exported = export_onnx(checkpoint, task.name, fp32, fuse=fuse)
        steps["export"] = {"exporter": exported.exporter, "opset": exported.opset,
                           "architecture": exported.architecture, "inputs": list(exported.inputs),
                           "outputs": list(exported.outputs), "seconds": round(exported.seconds, 2)}
        if fuse:
            steps["fusions"] = exported.fusions
        echo(f"Checking fp32 parity with PyTorch on {dataset_row.name}/{split} ...")
        parity = logits_parity(network_adapter(checkpoint, dataset_row, source, settings, "torch"),
                               network_adapter(fp32, dataset_row, source, settings, "onnx"), split_data, batch_size=batch_size)
        gate["fp32_parity"] = parity.to_dict()
        echo(f"  {parity.describe()}: {'passed' if parity.passed else 'FAILED'}")
        if quantize == "none":
            if not parity.passed and not force:
                raise AccuracyGateError(
                    f"The ONNX export of {model} does not reproduce PyTorch: {parity.describe()}; nothing was registered "
                    f"(rerun with --no-fuse, or --force to register it anyway)."
                )
            copy_folder(fp32, staging)
        else:
            echo("Quantizing weights to int8 (dynamic, per channel) ...")
            copy_folder(fp32, staging, skip_model=True)
            steps["quantization"] = quantize_int8(exported.path, staging / exported.path.name)
            candidate = network_adapter(staging, dataset_row, source, settings, "onnx")
            output = evaluate(candidate, split_data, task=task, facts=dataset_facts(dataset_row), batch_size=batch_size,
                              show_progress=show_progress, description=f"{name} on {dataset_row.name}/{split}")
            check = metric_check(
                task.primary_metric, task.metric_scale, source_evaluation.metrics, output.metrics,
                artifacts.read_jsonl_gz(artifacts.path(source_evaluation.predictions_path)), output.examples,
                tolerance_points=tolerance,
            )
            gate["int8_metric"] = check.to_dict()
            echo(f"  {check.describe()}: {'passed' if check.passed else 'FAILED'}")
            if not check.passed and not force:
                raise AccuracyGateError(
                    f"The int8 model of {model} loses too much accuracy on {dataset_row.name}/{split}: {check.describe()}; "
                    f"nothing was registered (raise --tolerance, or --force to register it anyway)."
                )
        gate["forced"] = force and not all(check.get("passed", True) for check in gate.values() if isinstance(check, dict))
        options = {"in_hub": True, "lineage": {**steps, "gate": gate}}
        if source.options.get("label_map"):
            options["label_map"] = source.options["label_map"]
        fingerprint = onnx_model_fingerprint(staging, options)
        info = {**dict(source.info), "fingerprint_version": FINGERPRINT_VERSION, "runtime": "onnx", "quantization": quantize, "fused": fuse,
                "size_bytes": folder_size(staging), "source_size_bytes": folder_size(checkpoint)}
    # The folder is in place; registering is one commit, undone (folder removed) if it fails.
    row = ModelRow(name=name, kind="onnx", source=relative, fingerprint=fingerprint, options=options, info=info,
                   parent_id=source.id)
    commit_or_undo(session, row, undo=lambda: artifacts.remove(relative))
    echo(f"Registered {name}; evaluating it on {dataset_row.name}/{split} ...")
    evaluation = run_evaluation(session, artifacts, model=name, dataset=dataset_row.name, split=split,
                                batch_size=batch_size, settings=overrides, show_progress=show_progress)
    return OptimizeResult(model=model_record(row), source=model, steps=steps, gate=gate, evaluation=evaluation,
                          source_evaluation=source_evaluation)


def gate_dataset(session: Session, source: ModelRow, dataset: str | None) -> DatasetRow:
    """The dataset to gate variants on: the one named, else the one the model was evaluated on most recently."""
    if dataset is not None:
        return get_dataset_row(session, dataset)
    newest = session.scalar(
        select(EvaluationRow).where(EvaluationRow.model_id == source.id).order_by(EvaluationRow.id.desc())
    )
    if newest is None:
        raise InvalidInputError(
            f"Model {source.name!r} has no evaluation yet, so there is no split to check accuracy on; "
            f"pass --dataset D (and --split, default test)."
        )
    return newest.dataset


def network_adapter(folder: Path, dataset: DatasetRow, source: ModelRow, settings: dict[str, Any], runtime: str) -> Any:
    return load_network(folder, dataset, label_map=source.options.get("label_map"), settings=settings, runtime=runtime)


def copy_folder(source: Path, target: Path, *, skip_model: bool = False) -> None:
    for path in source.iterdir():
        if skip_model and path.suffix in (".onnx", ".data"):
            continue
        shutil.copy2(path, target / path.name)
