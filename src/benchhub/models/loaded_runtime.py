"""A loaded network on either runtime (PyTorch or ONNX Runtime), and the threads it gets by default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from benchhub.models.base import ModelInfo

# One batch of named input arrays to the named output arrays.
Forward = Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]
# The precisions PyTorch runs a checkpoint at, by the torch dtype's name.
TORCH_PRECISIONS = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


@dataclass
class LoadedRuntime:
    """A network ready to run: its tokenizer, config, batched forward function and facts."""

    tokenizer: Any
    config: Any
    forward: Forward
    info: ModelInfo


def available_cpus() -> int:
    """CPUs this process may run on (respects affinity masks and container CPU sets)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def default_threads() -> int:
    """Threads one model runs on: OMP_NUM_THREADS when set (each job of a matrix gets its share that
    way, from the local pool or from Ray), else every CPU this process may use."""
    try:
        return max(1, int(os.environ["OMP_NUM_THREADS"]))
    except (KeyError, ValueError):
        return available_cpus()
