"""A transformers sequence classifier as a benchhub adapter, on PyTorch or ONNX Runtime."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from benchhub.data.records import Split
from benchhub.models.base import ModelInfo
from benchhub.models.labels import match_labels
from benchhub.models.runtime import load_runtime, pad_batch, tokenizer_limit

OUTPUTS = ("logits",)


class TransformersClassifier:
    """Scores examples with a sequence classification network, mapping its labels to the dataset's.

    `runtime="torch"` runs the safetensors checkpoint; `runtime="onnx"` runs an exported model.onnx
    in the same folder layout, with the same tokenization and the same label mapping.
    """

    def __init__(self, folder: Path, *, dataset_labels: Sequence[str], label_map: dict[str, str] | None = None,
                 max_length: int = 512, device: str | None = None, threads: int | None = None,
                 runtime: str = "torch") -> None:
        loaded = load_runtime(folder, runtime, auto_class_name="AutoModelForSequenceClassification", outputs=OUTPUTS,
                              device=device, threads=threads)
        self.tokenizer, self.forward_batch = loaded.tokenizer, loaded.forward
        config = loaded.config
        model_labels = [config.id2label[i] for i in range(config.num_labels)]
        self.columns = match_labels(model_labels, list(dataset_labels), label_map)
        self.labels = tuple(dataset_labels)
        self.max_length = min(max_length, tokenizer_limit(self.tokenizer))
        never = [label for index, label in enumerate(dataset_labels) if index not in self.columns]
        notes = [f"the model predicts {len(self.columns)} of the dataset's {len(self.labels)} labels; examples labelled "
                 f"{', '.join(map(repr, never))} can never be right"] if never else []
        self.info = ModelInfo(
            parameters=loaded.info.parameters, size_bytes=loaded.info.size_bytes, load_seconds=loaded.info.load_seconds,
            extra={**loaded.info.extra, "max_length": self.max_length, **({"notes": notes} if notes else {})},
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

    def forward(self, items: Sequence[Any]) -> dict[str, np.ndarray]:
        """The network's raw outputs (`logits`) for a batch of items."""
        paired = isinstance(items[0], tuple)
        batch = pad_batch(
            [item[0] for item in items] if paired else items, [item[1] for item in items] if paired else None,
            pad_id=self.tokenizer.pad_token_id or 0,
        )
        return self.forward_batch(batch)

    def predict(self, items: Sequence[Any]) -> np.ndarray:
        logits = self.forward(items)["logits"].astype(np.float64)
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities = shifted / shifted.sum(axis=1, keepdims=True)
        scores = np.zeros((len(items), len(self.labels)))
        scores[:, self.columns] = probabilities
        return scores
