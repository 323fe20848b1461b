"""A transformers sequence classifier as a benchhub adapter (PyTorch, safetensors only)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from benchhub.data.records import Split
from benchhub.models.base import ModelInfo
from benchhub.models.checkpoints import folder_size, quiet_transformers, vet_checkpoint
from benchhub.models.labels import match_labels


class TransformersClassifier:
    """Scores examples with AutoModelForSequenceClassification, mapping outputs to dataset labels."""

    def __init__(self, folder: Path, *, dataset_labels: Sequence[str], label_map: dict[str, str] | None = None,
                 max_length: int = 512, device: str | None = None, threads: int | None = None) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        vet_checkpoint(folder)
        started = time.perf_counter()
        torch.set_num_threads(threads or available_cpus())
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        with quiet_transformers():
            self.model = AutoModelForSequenceClassification.from_pretrained(folder, use_safetensors=True)
        self.model.to(self.device).eval()
        model_labels = [self.model.config.id2label[i] for i in range(self.model.config.num_labels)]
        self.columns = match_labels(model_labels, list(dataset_labels), label_map)
        self.labels = tuple(dataset_labels)
        self.max_length = min(max_length, _tokenizer_limit(self.tokenizer))
        self.info = ModelInfo(
            parameters=sum(p.numel() for p in self.model.parameters()),
            size_bytes=folder_size(folder),
            load_seconds=time.perf_counter() - started,
            extra={"architecture": type(self.model).__name__, "device": str(self.device), "max_length": self.max_length},
        )

    def encode(self, split: Split) -> list[list[int] | tuple[list[int], list[int]]]:
        encoded = self.tokenizer(
            split.texts, split.text_pairs, truncation=True, max_length=self.max_length,
            return_attention_mask=False,
        )
        if "token_type_ids" in encoded:
            return list(zip(encoded["input_ids"], encoded["token_type_ids"]))
        return list(encoded["input_ids"])

    def length(self, item: Any) -> int:
        return len(item[0]) if isinstance(item, tuple) else len(item)

    def predict(self, items: Sequence[Any]) -> np.ndarray:
        import torch

        batch = self._pad(items)
        with torch.inference_mode():
            logits = self.model(**batch).logits.float()
            probabilities = torch.softmax(logits, dim=-1).cpu().numpy().astype(np.float64)
        scores = np.zeros((len(items), len(self.labels)))
        scores[:, self.columns] = probabilities
        return scores

    def _pad(self, items: Sequence[Any]) -> dict[str, Any]:
        import torch

        width = max(self.length(item) for item in items)
        pad_id = self.tokenizer.pad_token_id or 0
        input_ids = torch.full((len(items), width), pad_id, dtype=torch.long)
        attention = torch.zeros((len(items), width), dtype=torch.long)
        types = torch.zeros((len(items), width), dtype=torch.long) if isinstance(items[0], tuple) else None
        for row, item in enumerate(items):
            ids = item[0] if isinstance(item, tuple) else item
            input_ids[row, : len(ids)] = torch.tensor(ids)
            attention[row, : len(ids)] = 1
            if types is not None:
                types[row, : len(ids)] = torch.tensor(item[1])
        batch = {"input_ids": input_ids, "attention_mask": attention}
        if types is not None:
            batch["token_type_ids"] = types
        return {name: tensor.to(self.device) for name, tensor in batch.items()}


def available_cpus() -> int:
    """CPUs this process may run on (respects affinity masks and container CPU sets)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def _tokenizer_limit(tokenizer: Any) -> int:
    limit = getattr(tokenizer, "model_max_length", 512) or 512
    return int(limit) if limit < 100_000 else 512
