"""The fine-tuning loop every family shares: seeded shuffles, AdamW, linear warm-up and decay, safetensors output."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from benchhub.models.checkpoints import quiet_transformers
from benchhub.progress import Progress


@dataclass(frozen=True)
class TrainingConfig:
    """What every fine-tuning recipe sets; a family's config inherits it, changing defaults or adding fields."""

    epochs: float = 4.0
    batch_size: int = 16
    learning_rate: float = 1e-4
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_length: int = 128
    seed: int = 0


# The target of a token that carries no label (special tokens, a word's later sub-tokens): the loss skips it.
IGNORED = -100


def start_training(base: Path, auto_class_name: str, config: Any, *,
                   labels: Sequence[str] | None = None) -> tuple[Any, Any, np.random.Generator]:
    """The tokenizer, a fresh head of `auto_class_name` on the vetted encoder at `base` (labelled with `labels`
    when given) and the shuffling generator, all seeded by `config.seed`: the first step of every recipe."""
    import torch
    import transformers

    from benchhub.errors import InvalidInputError
    from benchhub.models.checkpoints import vet_checkpoint

    if config.epochs <= 0:
        raise InvalidInputError(f"--epochs must be a number in the range (0, inf). Got {config.epochs} instead.")
    vet_checkpoint(base)
    torch.manual_seed(config.seed)  # the new head's initialisation draws from it
    tokenizer = transformers.AutoTokenizer.from_pretrained(base, trust_remote_code=False)
    head: dict[str, Any] = {}
    if labels is not None:
        head = {"num_labels": len(labels), "id2label": dict(enumerate(labels)),
                "label2id": {label: i for i, label in enumerate(labels)}}
    with quiet_transformers():  # the "newly initialized head" notice is expected here
        model = getattr(transformers, auto_class_name).from_pretrained(base, trust_remote_code=False, use_safetensors=True,
                                                                       **head)
    return tokenizer, model, np.random.default_rng(config.seed)


def train_and_save(model: Any, tokenizer: Any, features: Sequence[dict[str, Any]], output: Path, *, config: Any,
                   rng: np.random.Generator, labels: np.ndarray | None = None, bf16: bool = False,
                   show_progress: bool = True) -> dict[str, Any]:
    """Trains `model` on tokenized `features` for `config.epochs`, then saves model and tokenizer to `output`.

    `labels`, when given, adds one class target per feature; otherwise the features carry their own
    targets (e.g. QA start/end positions, or a "labels" list per token, padded here with `IGNORED`). The caller seeds torch before building the model (the new
    head's initialisation draws from it) and hands over the shuffling `rng`. Returns steps, seconds and
    the mean loss of the last 10 steps.
    """
    import torch

    total_steps = max(1, int(round(config.epochs * math.ceil(len(features) / config.batch_size))))
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    warmup = int(config.warmup_ratio * total_steps)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / max(1, warmup), max(0.0, (total_steps - step) / max(1, total_steps - warmup)))
    )
    model.train()
    losses, started, step = [], time.perf_counter(), 0
    with Progress("fine-tuning", total_steps, enabled=show_progress) as progress:
        while step < total_steps:
            order = rng.permutation(len(features))
            for start in range(0, len(features), config.batch_size):
                if step >= total_steps:
                    break
                rows = order[start : start + config.batch_size]
                batch = pad_features(tokenizer, [features[i] for i in rows])
                if labels is not None:
                    batch["labels"] = torch.tensor(labels[rows])
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    loss = model(**batch).loss
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
    return {"steps": step, "seconds": time.perf_counter() - started, "final_loss": float(np.mean(losses[-10:]))}


def pad_features(tokenizer: Any, features: Sequence[dict[str, Any]]) -> Any:
    """One padded batch; a per-token "labels" list is padded with `IGNORED` on the tokenizer's padding side."""
    import torch

    if not features or not isinstance(features[0].get("labels"), list):
        return tokenizer.pad(list(features), return_tensors="pt")
    inputs = [{key: value for key, value in feature.items() if key != "labels"} for feature in features]
    batch = tokenizer.pad(inputs, return_tensors="pt")
    width = batch["input_ids"].shape[1]
    rows = []
    for feature in features:
        fill = [IGNORED] * (width - len(feature["labels"]))
        rows.append(fill + feature["labels"] if tokenizer.padding_side == "left" else feature["labels"] + fill)
    batch["labels"] = torch.tensor(rows, dtype=torch.long)
    return batch


def write_summary(output: Path, summary: dict[str, Any]) -> dict[str, Any]:
    (output / "benchhub_training.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary
