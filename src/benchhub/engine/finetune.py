"""Fine-tuning an encoder into a sequence classifier on a labelled split (short, seeded, CPU-friendly)."""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchhub.data.records import Split
from benchhub.engine.progress import Progress
from benchhub.errors import InvalidInputError
from benchhub.models.checkpoints import quiet_transformers, vet_checkpoint


@dataclass(frozen=True)
class FinetuneConfig:
    epochs: float = 4.0
    batch_size: int = 16
    learning_rate: float = 1e-4
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_length: int = 128
    seed: int = 0


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
    tokenizer = AutoTokenizer.from_pretrained(base)
    with quiet_transformers():  # the "newly initialized classifier" notice is expected here
        model = AutoModelForSequenceClassification.from_pretrained(
            base, use_safetensors=True, num_labels=len(labels),
            id2label=dict(enumerate(labels)), label2id={label: i for i, label in enumerate(labels)},
        )
    column = {label: i for i, label in enumerate(labels)}
    targets = np.array([column[y] for y in train.labels or []])
    encoded = tokenizer(train.texts, train.text_pairs, truncation=True, max_length=config.max_length)
    steps_per_epoch = math.ceil(len(train) / config.batch_size)
    total_steps = max(1, int(round(config.epochs * steps_per_epoch)))
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    warmup = int(config.warmup_ratio * total_steps)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / max(1, warmup), max(0.0, (total_steps - step) / max(1, total_steps - warmup)))
    )
    model.train()
    losses, started, step = [], time.perf_counter(), 0
    with Progress("fine-tuning", total_steps, enabled=show_progress) as progress:
        while step < total_steps:
            for start in range(0, len(train), config.batch_size):
                if step >= total_steps:
                    break
                if start == 0:
                    order = rng.permutation(len(train))
                rows = order[start : start + config.batch_size]
                features = [{key: encoded[key][i] for key in encoded} for i in rows]
                batch = tokenizer.pad(features, return_tensors="pt")
                loss = model(**batch, labels=torch.tensor(targets[rows])).loss
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                losses.append(loss.item())
                step += 1
                progress.advance()
    model.eval()
    output.mkdir(parents=True, exist_ok=True)
    with quiet_transformers():
        model.save_pretrained(output, safe_serialization=True)
    tokenizer.save_pretrained(output)
    summary = {
        "base": str(base), "train_split": train.name, "train_fingerprint": train.fingerprint, "examples": len(train),
        "steps": step, "seconds": time.perf_counter() - started, "final_loss": float(np.mean(losses[-10:])),
        "config": asdict(config),
    }
    (output / "benchhub_training.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary
