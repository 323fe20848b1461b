"""What every transformers adapter shares, whichever engine runs the network (PyTorch or ONNX Runtime).

A runtime loads a tokenizer, the model's config and a `forward` function that maps a padded
batch of numpy arrays to the network's raw outputs (`logits`, or `start_logits`/`end_logits`).
The adapters do tokenization and decoding once, on top of any runtime.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from benchhub.errors import InvalidInputError
from benchhub.models.loaded_runtime import LoadedRuntime

RUNTIMES = ("torch", "onnx")


def load_runtime(folder: Path, runtime: str, *, auto_class_name: str, outputs: Sequence[str],
                 device: str | None = None, threads: int | None = None) -> LoadedRuntime:
    """Loads `folder` with the named runtime; `outputs` are the raw outputs the adapter reads."""
    if runtime == "torch":
        from benchhub.models.torch_runtime import load_torch

        return load_torch(folder, auto_class_name, outputs=outputs, device=device, threads=threads)
    if runtime == "onnx":
        from benchhub.models.onnx_runtime import load_onnx

        return load_onnx(folder, outputs=outputs, device=device, threads=threads)
    raise InvalidInputError(f"Runtime {runtime!r} is not supported; use one of {', '.join(RUNTIMES)}.")


def pad_batch(sequences: Sequence[Sequence[int]], type_ids: Sequence[Sequence[int]] | None, *,
              pad_id: int) -> dict[str, np.ndarray]:
    """Right-pads token id lists to the longest in the batch: input_ids, attention_mask (and token_type_ids), int64."""
    width = max(len(ids) for ids in sequences)
    input_ids = np.full((len(sequences), width), pad_id, dtype=np.int64)
    attention = np.zeros((len(sequences), width), dtype=np.int64)
    types = np.zeros((len(sequences), width), dtype=np.int64) if type_ids is not None else None
    for row, ids in enumerate(sequences):
        input_ids[row, : len(ids)] = ids
        attention[row, : len(ids)] = 1
        if types is not None:
            types[row, : len(ids)] = type_ids[row]
    batch = {"input_ids": input_ids, "attention_mask": attention}
    if types is not None:
        batch["token_type_ids"] = types
    return batch


def tokenizer_limit(tokenizer: Any) -> int:
    limit = getattr(tokenizer, "model_max_length", 512) or 512
    return int(limit) if limit < 100_000 else 512
