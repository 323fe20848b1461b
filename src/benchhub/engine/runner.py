"""Running a model over a split: length-sorted batches, timing, original order restored.

A model encodes a split into items (one per example for classifiers; several per example when
long inputs are split into windows) and returns one output per item; batches mix items of
different examples freely, grouped only by length.
"""

from __future__ import annotations

import resource
import sys
import time
from typing import Any

import numpy as np

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.models.base import Model, RunOutput
from benchhub.progress import Progress


def run_model(model: Model, split: Split, *, batch_size: int = 32, show_progress: bool = True,
              description: str = "evaluating") -> RunOutput:
    """Runs `model` over every item of `split`, batching items of similar length to minimise padding."""
    if batch_size < 1:
        raise InvalidInputError(f"The batch size must be an int in the range [1, inf). Got {batch_size} instead.")
    reset_peak_memory()
    started = time.perf_counter()
    items = model.encode(split)
    encode_seconds = time.perf_counter() - started
    # A stable sort, longest first: the largest batch runs first, so memory trouble shows early.
    order = np.argsort([-model.length(item) for item in items], kind="stable")
    outputs: list[Any] = [None] * len(items)
    batch_seconds, batch_sizes = [], []
    predict_started = time.perf_counter()
    with Progress(description, len(items), enabled=show_progress) as progress:
        for start in range(0, len(items), batch_size):
            positions = order[start : start + batch_size]
            tick = time.perf_counter()
            for position, output in zip(positions, model.predict([items[p] for p in positions]), strict=True):
                outputs[position] = output
            batch_seconds.append(time.perf_counter() - tick)
            batch_sizes.append(len(positions))
            progress.advance(len(positions))
    return RunOutput(
        examples=len(split),
        items=items,
        outputs=outputs,
        encode_seconds=encode_seconds,
        predict_seconds=time.perf_counter() - predict_started,
        batch_seconds=batch_seconds,
        batch_sizes=batch_sizes,
        peak_memory_bytes=peak_memory_bytes(),
    )


def reset_peak_memory() -> None:
    """Starts a new peak for this run, so a worker that runs many evaluations reports each one's own.

    On Linux, writing 5 to /proc/self/clear_refs resets the process's resident high-water mark (VmHWM)
    to its current size; CUDA's peak is reset too. Runs sharing a process at the same time share the peak.
    """
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.reset_peak_memory_stats()
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:  # not Linux, or not allowed: the peak is then the process's since it started
        pass


def peak_memory_bytes() -> int:
    """The peak resident memory since the last `reset_peak_memory` (VmHWM), or the CUDA peak when a GPU is in use."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        return int(torch.cuda.max_memory_allocated())
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)
