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
from benchhub.models.loaded_runtime import TORCH_PRECISIONS, LoadedRuntime

RUNTIMES = ("torch", "onnx")
# PyTorch runs a checkpoint at a precision (TORCH_PRECISIONS), optionally compiled: runtime "torch", "torch-bf16",
# "torch-fp16", "torch-compile", "torch-bf16-compile". A variant's precision is part of the model (its row's
# options and fingerprint), never a switch of `eval`.


def torch_runtime(precision: str = "fp32", compiled: bool = False) -> str:
    """The runtime name of a PyTorch variant."""
    if precision not in TORCH_PRECISIONS:
        raise InvalidInputError(f"Precision {precision!r} is not supported; use one of {', '.join(TORCH_PRECISIONS)}.")
    return "torch" + ("" if precision == "fp32" else f"-{precision}") + ("-compile" if compiled else "")


def parse_torch_runtime(runtime: str) -> tuple[str, bool] | None:
    """(precision, compiled) of a PyTorch runtime name; None for another runtime."""
    parts = runtime.split("-")
    if parts[0] != "torch":
        return None
    compiled = parts[-1] == "compile"
    middle = parts[1:-1] if compiled else parts[1:]
    if len(middle) > 1 or (middle and middle[0] not in TORCH_PRECISIONS) or middle == ["fp32"]:
        return None
    return (middle[0] if middle else "fp32"), compiled


def load_runtime(folder: Path, runtime: str, *, auto_class_name: str, outputs: Sequence[str],
                 device: str | None = None, threads: int | None = None) -> LoadedRuntime:
    """Loads `folder` with the named runtime; `outputs` are the raw outputs the adapter reads."""
    torch_variant = parse_torch_runtime(runtime)
    if torch_variant is not None:
        from benchhub.models.torch_runtime import load_torch

        precision, compiled = torch_variant
        return load_torch(folder, auto_class_name, outputs=outputs, device=device, threads=threads,
                          precision=precision, compiled=compiled)
    if runtime == "onnx":
        from benchhub.models.onnx_runtime import load_onnx

        return load_onnx(folder, outputs=outputs, device=device, threads=threads)
    raise InvalidInputError(f"Runtime {runtime!r} is not supported; use one of torch (or torch-bf16, torch-fp16, "
                            f"torch-compile, torch-bf16-compile) or onnx.")


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
