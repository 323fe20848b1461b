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

from benchhub.catalog.datasets import dataset_facts, get_dataset_row
from benchhub.catalog.loading import load_model
from benchhub.catalog.models import get_model_row
from benchhub.data.prediction_files import (
    MAX_BYTES,
    json_objects,
    read_predictions_text,
)
from benchhub.engine.runner import run_model
from benchhub.errors import InvalidInputError, PredictionsFormatError
from benchhub.evaluation.evaluations import model_settings, train_split
from benchhub.report.files import replace_atomically
from benchhub.store.artifacts import ArtifactStore
from benchhub.tasks.registry import get_task

EXAMPLE = '{"id": 0, "text": "..."} (the fields `benchhub benchmark inputs` writes for the family)'


def predict_file(session: Session, artifacts: ArtifactStore, *, model: str, dataset: str, inputs: Path, output: Path,
                 batch_size: int = 32, settings: dict[str, Any] | None = None, show_progress: bool = True) -> dict[str, Any]:
    """Runs `model` (for `dataset`'s family and labels) on the rows of `inputs` and writes its predictions to
    `output` in the family's format, all at once (a refused or failed run leaves no file behind)."""
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
    inputs = Path(inputs).expanduser()
    try:
        text = read_predictions_text(inputs, MAX_BYTES)
        rows = list(json_objects(inputs, text, keys=("id",), example=EXAMPLE))
    except PredictionsFormatError as exc:
        raise InvalidInputError(str(exc).replace("Predictions file", "Inputs file")) from None
    split = task.inputs_split(rows, "inputs")
    model_row = get_model_row(session, model)
    loaded = load_model(model_row, dataset_row, artifacts=artifacts, train=train_split(artifacts, dataset_row),
                        settings=model_settings(task, model_row.kind, settings or {}))
    started = time.perf_counter()
    run = run_model(loaded, split, batch_size=batch_size, show_progress=show_progress,
                    description=f"{model} on {inputs.name}")
    predictions = task.collect(loaded, split, run, facts)
    replace_atomically(output, lambda path: task.write_predictions(path, split, predictions, facts),
                       example=task.predictions_filename)
    return {"model": model, "dataset": dataset, "task": task.name, "inputs": str(inputs), "output": str(output),
            "examples": len(split), "seconds": round(time.perf_counter() - started, 3)}

