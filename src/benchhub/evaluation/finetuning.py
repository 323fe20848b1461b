"""`benchhub finetune`: a family's fine-tuning recipe on a registered dataset, the result registered with
its lineage and evaluated.

The base is a registered transformers model, a checkpoint folder, or the bundled all-MiniLM-L6-v2
(verified by its SHA-256). The recipe (base fingerprint, data fingerprint, split, settings) names the
checkpoint folder, so the same recipe run twice trains once; on CPU a seed fixes the weights.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchhub.catalog.datasets import get_dataset_row, get_split_row, load_split
from benchhub.catalog.models import (
    checkpoint_folder,
    checkpoint_info,
    model_record,
    transformers_fingerprint,
)
from benchhub.errors import InvalidInputError, NameTakenError
from benchhub.evaluation.evaluations import run_evaluation
from benchhub.models.checkpoints import (
    checkpoint_fingerprint,
    folder_size,
    resolve_checkpoint,
)
from benchhub.models.pretrained import MINILM_SHA256, minilm_folder
from benchhub.naming import check_name
from benchhub.results import FinetuneResult
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.database import commit_or_undo
from benchhub.store.tables import ModelRow
from benchhub.tasks.registry import get_task

BUNDLED = "all-MiniLM-L6-v2"
# Overrides of a recipe's settings people may give, by TrainingConfig field.
OVERRIDES = ("epochs", "learning_rate", "batch_size", "seed")


def finetune_model(session: Session, artifacts: ArtifactStore, *, base: str, dataset: str, split: str = "train",
                   evaluate_on: str | None = "test", name: str | None = None, settings: dict[str, Any] | None = None,
                   show_progress: bool = True, echo: Callable[[str], None] = lambda line: None) -> FinetuneResult:
    """Fine-tunes `base` on `split` of `dataset` with the family's recipe (`settings` override its epochs,
    learning_rate, batch_size and seed), registers the checkpoint as `name` (default BASE-DATASET) and
    evaluates it on `evaluate_on` (None: not at all)."""
    dataset_row = get_dataset_row(session, dataset)
    task = get_task(dataset_row.task)
    get_split_row(dataset_row, split)
    if evaluate_on is not None:
        get_split_row(dataset_row, evaluate_on)
    folder, base_name, base_fingerprint, parent = _base(session, artifacts, base)
    name = name or f"{base_name.replace('/', '-')}-{dataset}"
    check_name(name, "Model")
    if session.scalar(select(ModelRow.id).where(ModelRow.name == name)) is not None:
        raise NameTakenError(f"A model named {name!r} already exists; choose another name with --name.")
    config = _config(task, settings or {})
    recipe = {"base": base_fingerprint, "data": dataset_row.fingerprint, "split": split, "task": task.name,
              "config": asdict(config)}
    key = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()
    # Named by the recipe alone: the same recipe under another model name reuses the weights.
    relative = f"checkpoints/finetuned-{key[:16]}"
    checkpoint = artifacts.path(relative)
    train = load_split(artifacts, dataset_row, split)
    if (checkpoint / "model.safetensors").is_file():
        summary = json.loads((checkpoint / "benchhub-finetune.json").read_text(encoding="utf-8"))["summary"]
        echo(f"Reusing the checkpoint of the same recipe ({checkpoint.name}).")
    else:
        echo(f"Fine-tuning {base_name} on {dataset}/{split} ({len(train)} examples, {config.epochs:g} epochs, "
             f"learning rate {config.learning_rate:g}, batch {config.batch_size}, seed {config.seed}) ...")
        with artifacts.new_folder(*checkpoint.relative_to(artifacts.root).parts) as staging:
            summary = task.finetune(folder, train, list(dataset_row.labels), staging, config=config, show_progress=show_progress)
            (staging / "benchhub-finetune.json").write_text(json.dumps({"recipe": recipe, "summary": summary}, indent=2),
                                                             encoding="utf-8")
        echo(f"Fine-tuned in {summary['seconds']:.0f} s ({summary['steps']} steps, final loss {summary['final_loss']:.4f}).")
    lineage = {"finetuned_from": {"base": base_name, "base_fingerprint": base_fingerprint, "dataset": dataset,
                                  "dataset_fingerprint": dataset_row.fingerprint, "split": split,
                                  "split_fingerprint": train.fingerprint, "settings": asdict(config)},
               "training": summary}
    options = {"in_hub": True, "lineage": lineage}
    row = ModelRow(name=name, kind="transformers", source=relative, options=options,
                   fingerprint=transformers_fingerprint(checkpoint, {}), info=_info(checkpoint), parent_id=parent)
    commit_or_undo(session, row)
    evaluation = None
    if evaluate_on is not None:
        echo(f"Registered {name}; evaluating it on {dataset}/{evaluate_on} ...")
        evaluation = run_evaluation(session, artifacts, model=name, dataset=dataset, split=evaluate_on,
                                    show_progress=show_progress)
    return FinetuneResult(model=model_record(row), base=base_name, summary=summary, evaluation=evaluation)


def _base(session: Session, artifacts: ArtifactStore, base: str) -> tuple[Path, str, str, int | None]:
    """The base's folder, the name it goes by, its fingerprint, and its model id when it is registered."""
    if base == BUNDLED:
        folder = minilm_folder(verify=True)
        return folder, BUNDLED, f"sha256:{MINILM_SHA256}", None
    row = session.scalar(select(ModelRow).where(ModelRow.name == base))
    if row is not None:
        if row.kind != "transformers":
            raise InvalidInputError(f"Model {base!r} is a {row.kind} model; fine-tuning starts from a transformers "
                                    f"checkpoint (a registered transformers model, a folder, or {BUNDLED}).")
        return checkpoint_folder(row, artifacts), base, row.fingerprint, row.id
    if not Path(base).expanduser().exists() and "/" not in base:
        raise InvalidInputError(f"{base!r} is no registered model and no folder; give a registered transformers model, "
                                f"a checkpoint folder, a hub id, or {BUNDLED} (bundled, verified by its SHA-256).")
    folder = resolve_checkpoint(base)
    return folder, folder.name if Path(base).expanduser().exists() else base, checkpoint_fingerprint(folder), None


def _config(task: Any, settings: dict[str, Any]) -> Any:
    given = {key: value for key, value in settings.items() if value is not None}
    unknown = sorted(set(given) - set(OVERRIDES))
    if unknown:
        raise InvalidInputError(f"{unknown[0]!r} is not a fine-tuning setting; give {', '.join(OVERRIDES)}.")
    config = task.finetune_config(given.pop("epochs", None))
    for key, value in given.items():
        low = 0 if key == "seed" else None
        kind = float if key == "learning_rate" else int
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not float(value).is_integer()):
            raise InvalidInputError(f"--{key.replace('_', '-')} must be a number; got {value!r}.")
        if (low is not None and value < low) or (low is None and value <= 0):
            raise InvalidInputError(f"--{key.replace('_', '-')} must be {'at least 0' if low == 0 else 'above 0'}; got {value!r}.")
    if config.epochs <= 0:
        raise InvalidInputError(f"--epochs must be above 0; got {config.epochs!r}.")
    return replace(config, **{key: (float(v) if key == "learning_rate" else int(v)) for key, v in given.items()})


def _info(folder: Path) -> dict[str, Any]:
    return {**checkpoint_info(folder), "size_bytes": folder_size(folder)}
