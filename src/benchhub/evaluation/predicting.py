"""`benchhub predict`: a registered model run on an inputs file, written as a valid predictions file.

The inputs are JSON lines in the family's layout (what `benchmark inputs` downloads: id and text;
id, question and context; id and tokens). The model runs for a registered dataset of its family
(its labels, its train split for baselines), and the predictions are written in the family's file
format, so the file can be scored with `benchhub score` or submitted to a hosted benchmark.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from benchhub.catalog.datasets import dataset_facts, get_dataset_row, load_split
from benchhub.catalog.loading import load_model
from benchhub.catalog.models import get_model_row
from benchhub.data.prediction_files import (
    MAX_BYTES,
    json_objects,
    read_predictions_text,
)
from benchhub.engine.runner import run_model
from benchhub.errors import InvalidInputError, PredictionsFormatError
from benchhub.evaluation.evaluations import find_evaluation, model_settings, train_split
from benchhub.report.files import replace_atomically
from benchhub.store.artifacts import ArtifactStore
from benchhub.tasks.registry import get_task

EXAMPLE = '{"id": 0, "text": "..."} (the fields `benchhub benchmark inputs` writes for the family)'


def predict_file(session: Session, artifacts: ArtifactStore, *, model: str, dataset: str, inputs: Path | None, output: Path,
                 batch_size: int = 32, settings: dict[str, Any] | None = None, show_progress: bool = True,
                 split: str = "test") -> dict[str, Any]:
    """Runs `model` (for `dataset`'s family and labels) on the rows of `inputs` (None: the released inputs of the
    dataset's `split`, as `input_row` gives them, without gold) and writes its predictions to `output` in the
    family's format, all at once (a refused or failed run leaves no file behind). Nothing is scored: generation and
    scoring can run on different machines."""
    if batch_size < 1:
        raise InvalidInputError(f"--batch-size must be an int in the range [1, inf). Got {batch_size} instead.")
    dataset_row = get_dataset_row(session, dataset)
    task, facts = get_task(dataset_row.task), dataset_facts(dataset_row)
    output = Path(output).expanduser()
    suffix = Path(task.predictions_filename).suffix
    if output.suffix.lower() != suffix:
        raise InvalidInputError(f"--output {output.name}: {task.name} predictions are written as {task.predictions_filename}; "
                                f"name the file with {suffix}.")
    if output.is_dir():  # before the model runs, not after
        raise InvalidInputError(f"--output {output} is a folder; give a file name, e.g. {output / task.predictions_filename}.")
    if inputs is None:
        registered = load_split(artifacts, dataset_row, split)
        rows = [(f"{dataset}/{split}, example {example_id!r}", task.input_row(registered, index, with_gold=False))
                for index, example_id in enumerate(registered.ids)]
        source = f"{dataset}/{split}"
    else:
        inputs = Path(inputs).expanduser()
        try:
            text = read_predictions_text(inputs, MAX_BYTES)
            rows = list(json_objects(inputs, text, keys=("id",), example=EXAMPLE))
        except PredictionsFormatError as exc:
            raise InvalidInputError(str(exc).replace("Predictions file", "Inputs file")) from None
        source = inputs.name
    split_data = task.inputs_split(rows, "inputs")
    model_row = get_model_row(session, model)
    loaded = load_model(model_row, dataset_row, artifacts=artifacts, train=train_split(artifacts, dataset_row),
                        settings=model_settings(task, model_row.kind, settings or {}))
    started = time.perf_counter()
    run = run_model(loaded, split_data, batch_size=batch_size, show_progress=show_progress,
                    description=f"{model} on {source}")
    predictions = task.collect(loaded, split_data, run, facts)
    replace_atomically(output, lambda path: task.write_predictions(path, split_data, predictions, facts),
                       example=task.predictions_filename)
    return {"model": model, "dataset": dataset, "task": task.name, "inputs": str(inputs) if inputs else source,
            "output": str(output), "examples": len(split_data), "seconds": round(time.perf_counter() - started, 3)}


def write_stored_predictions(session: Session, artifacts: ArtifactStore, *, model: str, dataset: str, split: str,
                             output: Path) -> dict[str, Any]:
    """Writes a model's newest evaluation on a split as the family's predictions file (code generation's
    generations, to execute again elsewhere without generating again); returns a summary."""
    dataset_row = get_dataset_row(session, dataset)
    task, facts = get_task(dataset_row.task), dataset_facts(dataset_row)
    row = find_evaluation(session, model=model, dataset=dataset, split=split)
    stored = artifacts.read_jsonl_gz(artifacts.path(row.predictions_path))
    registered = load_split(artifacts, dataset_row, split)
    predictions = task.predictions_from_rows(stored, facts)
    replace_atomically(Path(output).expanduser(), lambda path: task.write_predictions(path, registered, predictions, facts),
                       example=task.predictions_filename)
    return {"model": model, "dataset": dataset, "split": split, "evaluation": row.id, "output": str(output),
            "examples": len(registered)}

