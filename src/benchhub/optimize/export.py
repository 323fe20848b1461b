"""Exporting a transformers checkpoint to ONNX with the dynamo exporter (dynamic batch and sequence).

The exported folder mirrors a checkpoint: `model.onnx` plus the same config.json and tokenizer
files, so the ONNX adapter tokenizes and decodes exactly like the PyTorch one.
"""

from __future__ import annotations

import logging
import re
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchhub.errors import ExportError
from benchhub.models.checkpoints import quiet_transformers, vet_checkpoint
from benchhub.models.onnx_files import ONNX_FILE

OPSET = 18
HEADS = {
    "text-classification": ("AutoModelForSequenceClassification", ("logits",)),
    "question-answering": ("AutoModelForQuestionAnswering", ("start_logits", "end_logits")),
}
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


@dataclass(frozen=True)
class ExportResult:
    path: Path
    architecture: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    opset: int
    seconds: float


def export_onnx(checkpoint: Path, task: str, folder: Path, *, opset: int = OPSET) -> ExportResult:
    """Exports `checkpoint` (safetensors, vetted) for `task` into `folder`/model.onnx with its config and tokenizer."""
    import torch
    import transformers

    if task not in HEADS:
        raise ExportError(f"Export supports {', '.join(HEADS)} models; this model's task is {task}.")
    auto_class_name, outputs = HEADS[task]
    vet_checkpoint(checkpoint)
    started = time.perf_counter()
    with quiet_transformers():
        tokenizer = transformers.AutoTokenizer.from_pretrained(checkpoint)
        try:
            model = getattr(transformers, auto_class_name).from_pretrained(
                checkpoint, use_safetensors=True, attn_implementation="sdpa"
            ).eval()
        except (ValueError, KeyError) as exc:
            architecture = _architecture(checkpoint)
            raise ExportError(f"Architecture {architecture} has no {task} head to export ({str(exc).splitlines()[0]}).") from exc
    architecture = type(model).__name__
    inputs = tuple(name for name in INPUTS if name in tokenizer.model_input_names)
    sample = tokenizer(["an example sentence to trace the graph", "a second, longer example sentence to trace it"],
                       padding=True, return_tensors="pt")
    arguments = tuple(sample[name] for name in inputs)
    batch, sequence = torch.export.Dim("batch"), torch.export.Dim("sequence")
    shapes = (tuple({0: batch, 1: sequence} for _ in inputs),)  # one entry: the wrapper takes *tensors
    try:
        with _quiet_exporter():
            program = torch.onnx.export(
                _heads(model, inputs, outputs), arguments, dynamo=True, opset_version=opset, input_names=list(inputs),
                output_names=list(outputs), dynamic_shapes=shapes, verbose=False,
            )
        folder.mkdir(parents=True, exist_ok=True)
        program.save(str(folder / ONNX_FILE))
    except Exception as exc:  # the exporter raises many types; each means "this architecture did not export"
        raise ExportError(f"ONNX export of {architecture} failed: {root_cause(exc)}") from exc
    model.config.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return ExportResult(folder / ONNX_FILE, architecture, inputs, outputs, opset, time.perf_counter() - started)


def _heads(model: Any, inputs: tuple[str, ...], outputs: tuple[str, ...]) -> Any:
    """Wraps a transformers model so the exported graph takes positional tensors and returns the named outputs."""
    import torch

    class Heads(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: Any) -> tuple[Any, ...]:
            result = self.model(**dict(zip(inputs, tensors)))
            return tuple(getattr(result, name) for name in outputs)

    return Heads().eval()


def root_cause(exc: BaseException) -> str:
    """The first line of the innermost cause: the exporter wraps the real reason in several layers of advice."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    lines = [line.strip() for line in re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


@contextmanager
def _quiet_exporter() -> Iterator[None]:
    """Hides the exporter's progress notices and warnings; failures still raise."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "torch.export", "torch._dynamo", "onnxscript")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _architecture(checkpoint: Path) -> str:
    import json

    config = json.loads((checkpoint / "config.json").read_text(encoding="utf-8"))
    return f"{(config.get('architectures') or ['?'])[0]} (model_type {config.get('model_type')!r})"
