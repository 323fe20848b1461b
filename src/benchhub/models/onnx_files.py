"""ONNX model folders: what one must hold, where its external data may live, and its fingerprint.

An ONNX folder holds `model.onnx`, the transformers `config.json` (labels, architecture) and the
tokenizer files. Weights may sit in external data files; every such path must stay inside the
folder: absolute paths, `..` and symlinks that lead out are refused before anything reads them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from benchhub.errors import InvalidInputError, UnsafeModelError
from benchhub.models.fingerprints import (
    FINGERPRINT_VERSION,
    file_sha256,
    files_digest,
    output_files,
)
from benchhub.models.model_files import plain_file, read_json_object
from benchhub.models.remote_code import refuse_custom_code

ONNX_FILE = "model.onnx"


def vet_onnx_folder(folder: Path) -> list[Path]:
    """Checks an ONNX folder; returns the external data files its model reads (inside the folder)."""
    if not folder.is_dir():
        raise InvalidInputError(f"{folder} is not a folder; an ONNX model is a folder with {ONNX_FILE} and config.json.")
    if not (folder / ONNX_FILE).exists() and not (folder / ONNX_FILE).is_symlink():
        raise InvalidInputError(f"{folder} has no {ONNX_FILE}; export one with `benchhub optimize MODEL`.")
    model = plain_file(folder, ONNX_FILE)
    if not (folder / "config.json").exists() and not (folder / "config.json").is_symlink():
        raise InvalidInputError(f"{folder} has no config.json; save the transformers config next to {ONNX_FILE}.")
    external = external_data_files(model)
    # The tokenizer and config are read by transformers: the same refusals as for a checkpoint's.
    refuse_custom_code(folder, read_json_object(folder, "config.json"))
    return external


def external_data_files(model_path: Path) -> list[Path]:
    """The external data files `model_path` refers to, each checked to stay inside its folder."""
    import onnx

    try:
        model = onnx.load(str(model_path), load_external_data=False)
    except Exception as exc:  # onnx raises DecodeError and others for corrupt files
        raise InvalidInputError(f"{model_path} is not a readable ONNX model: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}.") from exc
    root = model_path.parent.resolve()
    files: dict[str, Path] = {}
    for tensor in _tensors(model.graph):
        if tensor.data_location != onnx.TensorProto.EXTERNAL:
            continue
        location = next((entry.value for entry in tensor.external_data if entry.key == "location"), "")
        files.setdefault(location, _inside(root, location, tensor.name))
    return list(files.values())


def onnx_fingerprint(folder: Path, external: list[Path], *, version: int = FINGERPRINT_VERSION) -> str:
    """SHA-256 over model.onnx, its external data files, the configs and the tokenizer files, by name relative to
    the folder (version 1, kept to check older hubs' fingerprints: model.onnx, external data and config.json)."""
    root = folder.resolve()
    data = [str(path.relative_to(root)) for path in sorted(external)]
    if version == 1:
        digest = hashlib.sha256()
        for name in [ONNX_FILE, *data, "config.json"]:
            digest.update(name.encode() + b"\0")
            digest.update(file_sha256(root / name).encode())
        return digest.hexdigest()
    names = [ONNX_FILE, *data, *(name for name in output_files(root, weights=False) if name not in data)]
    return files_digest(root, names, version=version)


def _inside(root: Path, location: str, tensor: str) -> Path:
    windows = PureWindowsPath(location)
    if not location or PurePosixPath(location).is_absolute() or windows.is_absolute() or windows.drive:
        raise UnsafeModelError(
            f"Tensor {tensor!r} keeps its data at {location!r}; external data must be a relative path inside the model folder."
        )
    if ".." in PurePosixPath(location.replace("\\", "/")).parts:
        raise UnsafeModelError(f"Tensor {tensor!r} keeps its data at {location!r}, which climbs out of the model folder with '..'.")
    path = root / location
    if not path.resolve().is_relative_to(root):
        raise UnsafeModelError(f"Tensor {tensor!r} keeps its data at {location!r}, a link that leads outside the model folder.")
    if not path.exists():
        raise InvalidInputError(f"Tensor {tensor!r} keeps its data in {location!r}, which is missing from {root}.")
    return plain_file(root, location)


def _tensors(graph: Any) -> Iterator[Any]:
    """Every tensor stored in a graph: initializers, sparse initializers and constant attributes, subgraphs included."""
    yield from graph.initializer
    for sparse in graph.sparse_initializer:
        yield sparse.values
        yield sparse.indices
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.HasField("t"):
                yield attribute.t
            yield from attribute.tensors
            if attribute.HasField("g"):
                yield from _tensors(attribute.g)
            for subgraph in attribute.graphs:
                yield from _tensors(subgraph)
