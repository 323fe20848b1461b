"""Fine-tuning an encoder into a sequence classifier on a labelled split (short, seeded, CPU-friendly)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.models.checkpoints import quiet_transformers, vet_checkpoint
from benchhub.models.training import TrainingConfig, train_and_save, write_summary


@dataclass(frozen=True)
class FinetuneConfig(TrainingConfig):
    """The shared defaults: 4 epochs at 1e-4, 128 tokens."""


def finetune_classifier(base: Path, train: Split, labels: list[str], output: Path, *,
                        config: FinetuneConfig = FinetuneConfig(), show_progress: bool = True) -> dict[str, Any]:
    """Trains a classification head (and the encoder) on `train`; saves a safetensors checkpoint to `output`."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    if not train.has_labels:
        raise InvalidInputError(f"Split {train.name!r} has no labels to train on.")
    if config.epochs <= 0:
        raise InvalidInputError(f"--epochs must be a number in the range (0, inf). Got {config.epochs} instead.")
    vet_checkpoint(base)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    tokenizer = AutoTokenizer.from_pretrained(base, trust_remote_code=False)
    with quiet_transformers():  # the "newly initialized classifier" notice is expected here
        model = AutoModelForSequenceClassification.from_pretrained(base, trust_remote_code=False, use_safetensors=True,
            num_labels=len(labels),
            id2label=dict(enumerate(labels)), label2id={label: i for i, label in enumerate(labels)},
        )
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
