"""What every PyTorch transformers adapter shares: loading a checkpoint safely, and padding batches."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from benchhub.models.base import ModelInfo
from benchhub.models.checkpoints import folder_size, quiet_transformers, vet_checkpoint


@dataclass
class LoadedCheckpoint:
    tokenizer: Any
    model: Any
    device: Any
    info: ModelInfo


def load_checkpoint(folder: Path, auto_class_name: str, *, device: str | None = None,
                    threads: int | None = None) -> LoadedCheckpoint:
    """Loads tokenizer and model from a vetted folder: safetensors only, never remote code."""
    import torch
    import transformers

    vet_checkpoint(folder)
    started = time.perf_counter()
    torch.set_num_threads(threads or available_cpus())
    chosen = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    auto_class = getattr(transformers, auto_class_name)
    with quiet_transformers():
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
        model = auto_class.from_pretrained(folder, use_safetensors=True)
    model.to(chosen).eval()
    info = ModelInfo(
        parameters=sum(p.numel() for p in model.parameters()),
        size_bytes=folder_size(folder),
        load_seconds=time.perf_counter() - started,
        extra={"architecture": type(model).__name__, "device": str(chosen)},
    )
    return LoadedCheckpoint(tokenizer, model, chosen, info)


def pad_batch(sequences: Sequence[Sequence[int]], type_ids: Sequence[Sequence[int]] | None, *, pad_id: int,
              device: Any) -> dict[str, Any]:
    """Right-pads token id lists to the longest in the batch; returns model inputs on `device`."""
    import torch

    width = max(len(ids) for ids in sequences)
    input_ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(sequences), width), dtype=torch.long)
    types = torch.zeros((len(sequences), width), dtype=torch.long) if type_ids is not None else None
    for row, ids in enumerate(sequences):
        input_ids[row, : len(ids)] = torch.tensor(ids)
        attention[row, : len(ids)] = 1
        if types is not None:
            types[row, : len(ids)] = torch.tensor(type_ids[row])
    batch = {"input_ids": input_ids, "attention_mask": attention}
    if types is not None:
        batch["token_type_ids"] = types
    return {name: tensor.to(device) for name, tensor in batch.items()}


def available_cpus() -> int:
    """CPUs this process may run on (respects affinity masks and container CPU sets)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def tokenizer_limit(tokenizer: Any) -> int:
    limit = getattr(tokenizer, "model_max_length", 512) or 512
    return int(limit) if limit < 100_000 else 512
