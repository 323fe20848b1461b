"""Fine-tuning an encoder into a sequence classifier on a labelled split (short, seeded, CPU-friendly)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.models.training import (
    TrainingConfig,
    start_training,
    train_and_save,
    write_summary,
)


@dataclass(frozen=True)
class FinetuneConfig(TrainingConfig):
    """The shared defaults: 4 epochs at 1e-4, 128 tokens."""


def finetune_classifier(base: Path, train: Split, labels: list[str], output: Path, *,
                        config: FinetuneConfig = FinetuneConfig(), show_progress: bool = True) -> dict[str, Any]:
    """Trains a classification head (and the encoder) on `train`; saves a safetensors checkpoint to `output`."""
    if not train.has_labels:
        raise InvalidInputError(f"Split {train.name!r} has no labels to train on.")
    tokenizer, model, rng = start_training(base, "AutoModelForSequenceClassification", config, labels=labels)
    column = {label: i for i, label in enumerate(labels)}
    targets = np.array([column[y] for y in train.labels or []])
    encoded = tokenizer(train.texts, train.text_pairs, truncation=True, max_length=config.max_length)
    features = [{key: encoded[key][i] for key in encoded} for i in range(len(train))]
    result = train_and_save(model, tokenizer, features, output, config=config, rng=rng, labels=targets,
                            show_progress=show_progress)
    return write_summary(output, {
        "base": str(base), "train_split": train.name, "train_fingerprint": train.fingerprint, "examples": len(train),
        **result, "config": asdict(config),
    })
