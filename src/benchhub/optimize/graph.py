"""Rewriting an exported graph: operator fusion for ONNX Runtime, int8 quantization (dynamic and static), fp16."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from benchhub.errors import ExportError
from benchhub.optimize.failures import root_cause


def fuse_dynamo(path: Path) -> dict[str, int]:
    """Fuses a dynamo-exported graph in place with onnxscript's ORT fusions; returns counts per fusion."""
    import onnx_ir
    from onnxscript.rewriter.ort_fusions import optimize_for_ort

    model = onnx_ir.load(str(path))
    try:
        model, counts = optimize_for_ort(model)
    except Exception as exc:  # the rewriter raises many types; each means "this graph did not fuse"
        raise ExportError(f"Graph fusion failed: {root_cause(exc)}; rerun with --no-fuse.") from exc
    _save_atomically(lambda target: onnx_ir.save(model, str(target)), path)
    return {name: int(count) for name, count in counts.items() if count}


def fuse_bert(path: Path, model_type: str, *, heads: int, hidden: int) -> dict[str, int]:
    """Fuses a TorchScript-exported BERT-family graph in place with onnxruntime.transformers' optimizer."""
    from onnxruntime.transformers.optimizer import optimize_model

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the optimizer logs each fusion pass
    try:
        optimized = optimize_model(str(path), model_type=model_type, num_heads=heads, hidden_size=hidden)
    except Exception as exc:  # the optimizer raises many types; each means "this graph did not fuse"
        raise ExportError(f"Graph fusion failed: {root_cause(exc)}; rerun with --no-fuse.") from exc
    finally:
        root.setLevel(level)
    counts = {name: int(count) for name, count in optimized.get_fused_operator_statistics().items() if count}
    _save_atomically(lambda target: optimized.save_model_to_file(str(target)), path)
    return counts


def quantize_int8(source: Path, target: Path) -> dict[str, Any]:
    """Dynamic int8 quantization with per-channel weights (activations quantized at run time)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per-channel scales keep far more of the signal than one scale per tensor; fused graphs carry
    # com.microsoft ops whose output types the quantizer cannot infer, so it is told they are float.
    settings = {"weight_type": "QInt8", "per_channel": True, "reduce_range": False}
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantizer logs advice on the root logger ("consider pre-processing")
    try:
        quantize_dynamic(
            str(source), str(target), weight_type=QuantType.QInt8, per_channel=True, reduce_range=False,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)
    return settings


def quantize_static_int8(source: Path, target: Path, feeds: list[dict[str, Any]]) -> dict[str, Any]:
    """Static int8 quantization in QDQ form of an unfused graph's MatMuls: weights per channel, activations at
    scales calibrated (min-max) on `feeds`, batches of the graph's inputs (from the train split). Quantizing
    every op (softmax, layer norm) loses too much; a fused graph's attention op is not quantized at all."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    names = {graph_input.name for graph_input in onnx.load(str(source), load_external_data=False).graph.input}

    class Feeds(CalibrationDataReader):
        def __init__(self) -> None:
            self.remaining = iter([{k: v for k, v in feed.items() if k in names} for feed in feeds])

        def get_next(self) -> dict[str, Any] | None:
            return next(self.remaining, None)

    settings = {"format": "QDQ", "ops": ["MatMul"], "weight_type": "QInt8", "activation_type": "QUInt8",
                "per_channel": True, "calibration": "MinMax", "calibration_batches": len(feeds)}
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_static(
            str(source), str(target), Feeds(), quant_format=QuantFormat.QDQ, per_channel=True, reduce_range=False,
            op_types_to_quantize=["MatMul"],
            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    except Exception as exc:  # the quantizer raises many types; each means "this graph did not quantize"
        raise ExportError(f"Static int8 quantization failed: {root_cause(exc)}.") from exc
    finally:
        root.setLevel(level)
    return settings


def convert_fp16(source: Path, target: Path) -> dict[str, Any]:
    """The graph with fp16 weights and activations, for ONNX Runtime's CUDA provider; its inputs and outputs stay
    as they were (int64 ids in, fp32 logits out), so it is fed and read like the fp32 graph."""
    import onnx
    from onnxruntime.transformers.onnx_model import OnnxModel

    try:
        model = OnnxModel(onnx.load(str(source)))
        model.convert_float_to_float16(keep_io_types=True)
    except Exception as exc:  # the converter raises many types; each means "this graph did not convert"
        raise ExportError(f"fp16 conversion failed: {root_cause(exc)}.") from exc
    _save_atomically(lambda path: model.save_model_to_file(str(path)), target)
    return {"precision": "fp16", "keep_io_types": True}


def _save_atomically(save: Any, path: Path) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        save(Path(temporary))
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
