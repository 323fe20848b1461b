"""The ONNX Runtime runtime: an InferenceSession with explicit threads over a vetted ONNX folder."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from benchhub.errors import InvalidInputError
from benchhub.models.base import ModelInfo
from benchhub.models.checkpoints import folder_size, quiet_transformers
from benchhub.models.loaded_runtime import LoadedRuntime, default_threads
from benchhub.models.onnx_files import ONNX_FILE, vet_onnx_folder


def load_onnx(folder: Path, *, outputs: Sequence[str], device: str | None = None, threads: int | None = None) -> LoadedRuntime:
    """Loads tokenizer, config and an InferenceSession (CUDA when available and not told otherwise)."""
    import onnxruntime
    import transformers

    vet_onnx_folder(folder)
    started = time.perf_counter()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or default_threads()
    options.inter_op_num_threads = 1
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    providers = ["CPUExecutionProvider"]
    if device != "cpu" and "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        providers.insert(0, "CUDAExecutionProvider")
    session = onnxruntime.InferenceSession(str(folder / ONNX_FILE), options, providers=providers)
    missing = sorted(set(outputs) - {output.name for output in session.get_outputs()})
    if missing:
        found = ", ".join(output.name for output in session.get_outputs())
        raise InvalidInputError(f"{folder / ONNX_FILE} has outputs {found}, not {', '.join(missing)}; was it exported for another task?")
    with quiet_transformers():
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
        config = transformers.AutoConfig.from_pretrained(folder, trust_remote_code=False)
    info = ModelInfo(
        parameters=_parameters(folder / ONNX_FILE),
        size_bytes=folder_size(folder),
        load_seconds=time.perf_counter() - started,
        extra={"architecture": (config.architectures or ["?"])[0], "device": session.get_providers()[0],
               "runtime": "onnxruntime", "onnxruntime": onnxruntime.__version__, "threads": options.intra_op_num_threads},
    )
    return LoadedRuntime(tokenizer, config, OnnxForward(session, outputs), info)


class OnnxForward:
    """Feeds the inputs the graph declares (token_type_ids only when it has one); returns the named outputs."""

    def __init__(self, session: Any, outputs: Sequence[str]) -> None:
        self.session, self.outputs = session, list(outputs)
        self.inputs = {declared.name for declared in session.get_inputs()}

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        feeds = {name: array for name, array in batch.items() if name in self.inputs}
        if "token_type_ids" in self.inputs and "token_type_ids" not in feeds:
            feeds["token_type_ids"] = np.zeros_like(batch["input_ids"])
        values = self.session.run(self.outputs, feeds)
        return {name: np.asarray(value, dtype=np.float32) for name, value in zip(self.outputs, values)}


def _parameters(path: Path) -> int:
    """Weights stored in the graph; an int8 weight counts once, like its float original, its scales not at all."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    total = 0
    for tensor in model.graph.initializer:
        if tensor.name.endswith(("_scale", "_zero_point")):
            continue
        if tensor.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16,
                                onnx.TensorProto.INT8, onnx.TensorProto.UINT8) and len(tensor.dims) >= 1:
            total += int(np.prod(tensor.dims))
    return total
