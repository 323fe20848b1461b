"""Exporting a transformers checkpoint to ONNX (dynamic batch and sequence), optionally fused for ONNX Runtime.

Two exporters, chosen per architecture by measurement (benchmarks/README.md):
- BERT-family encoders (`ORT_FUSABLE`): the TorchScript exporter with eager attention, fused by
  onnxruntime.transformers' BERT optimizer (Attention, EmbedLayerNormalization, SkipLayerNormalization,
  BiasGelu). Its Attention keeps the QKV weights as one initializer, so int8 quantization turns it
  into QAttention: on the demo's MiniLM this int8 graph ran 12-20% faster than the other route's.
- everything else: `torch.onnx.export(dynamo=True)`, fused by onnxscript's `optimize_for_ort`.
The exported folder mirrors a checkpoint: `model.onnx` plus the same config.json and tokenizer
files, so the ONNX adapter tokenizes and decodes exactly like the PyTorch one.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchhub.errors import BenchhubError, ExportError
from benchhub.models.checkpoints import quiet_transformers, vet_checkpoint
from benchhub.models.onnx_files import ONNX_FILE
from benchhub.models.trained_weights import load_trained
from benchhub.optimize.failures import root_cause

OPSET = 18
# model_type -> the onnxruntime.transformers optimizer's model type that fuses its attention.
ORT_FUSABLE = {"bert": "bert", "roberta": "bert", "xlm-roberta": "bert", "electra": "bert"}
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


@dataclass(frozen=True)
class ExportResult:
    path: Path
    architecture: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    opset: int
    seconds: float
    exporter: str
    fusions: dict[str, int]


def export_onnx(checkpoint: Path, task: str, folder: Path, *, fuse: bool = True, opset: int = OPSET) -> ExportResult:
    """Exports `checkpoint` (safetensors, vetted) for `task` into `folder`/model.onnx with its config and tokenizer;
    with `fuse`, rewrites the graph with ONNX Runtime's fused operators."""
    import torch
    import transformers

    from benchhub.tasks.registry import runnable_heads

    exportable = {family.name: family for family in runnable_heads() if family.exports_onnx}
    if task not in exportable:
        raise ExportError(f"Export supports {', '.join(exportable)} models; this model's task is {task}.")
    auto_class_name, outputs = exportable[task].auto_class, exportable[task].head_outputs
    vet_checkpoint(checkpoint)
    started = time.perf_counter()
    with quiet_transformers():
        tokenizer = transformers.AutoTokenizer.from_pretrained(checkpoint, trust_remote_code=False)
        try:
            config = transformers.AutoConfig.from_pretrained(checkpoint, trust_remote_code=False)
            torchscript = fuse and config.model_type in ORT_FUSABLE
            # The BERT optimizer recognises the eager attention pattern; the dynamo route fuses sdpa.
            model = load_trained(getattr(transformers, auto_class_name), checkpoint,
                                 attn_implementation="eager" if torchscript else "sdpa").eval()
        except BenchhubError:
            raise
        except (ValueError, KeyError) as exc:
            architecture = _architecture(checkpoint)
            raise ExportError(f"Architecture {architecture} has no {task} head to export ({str(exc).splitlines()[0]}).") from exc
    architecture = type(model).__name__
    inputs = tuple(name for name in INPUTS if name in tokenizer.model_input_names)
    sample = tokenizer(["an example sentence to trace the graph", "a second, longer example sentence to trace it"],
                       padding=True, return_tensors="pt")
    arguments = tuple(sample[name] for name in inputs)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ONNX_FILE
    try:
        with _quiet_exporter():
            if torchscript:
                torch.onnx.export(
                    _heads(model, inputs, outputs), arguments, str(path), dynamo=False, opset_version=opset,
                    input_names=list(inputs), output_names=list(outputs),
                    dynamic_axes={name: {0: "batch", 1: "sequence"} for name in (*inputs, *outputs)},
                )
            else:
                batch, sequence = torch.export.Dim("batch"), torch.export.Dim("sequence")
                shapes = (tuple({0: batch, 1: sequence} for _ in inputs),)  # one entry: the wrapper takes *tensors
                program = torch.onnx.export(
                    _heads(model, inputs, outputs), arguments, dynamo=True, opset_version=opset, input_names=list(inputs),
                    output_names=list(outputs), dynamic_shapes=shapes, verbose=False,
                )
                program.save(str(path))
    except Exception as exc:  # the exporter raises many types; each means "this architecture did not export"
        raise ExportError(f"ONNX export of {architecture} failed: {root_cause(exc)}") from exc
    fusions: dict[str, int] = {}
    if fuse:
        from benchhub.optimize.graph import fuse_bert, fuse_dynamo

        if torchscript:
            fusions = fuse_bert(path, ORT_FUSABLE[config.model_type], heads=config.num_attention_heads, hidden=config.hidden_size)
        else:
            fusions = fuse_dynamo(path)
    model.config.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    exporter = "torch.onnx.export(dynamo=False) + onnxruntime.transformers optimizer" if torchscript else (
        "torch.onnx.export(dynamo=True)" + (" + onnxscript optimize_for_ort" if fuse else ""))
    return ExportResult(path, architecture, inputs, outputs, opset, time.perf_counter() - started, exporter, fusions)


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
