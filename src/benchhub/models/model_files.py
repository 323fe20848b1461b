"""The files of a model folder, checked before anything parses them: plain, readable, inside the folder, well-formed.

Every refusal is one line that names the file, what is wrong and the fix. A file that is a link
must lead inside the folder, except in a Hugging Face cache snapshot, whose files are links into
the same repository's `blobs` folder.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

from benchhub.errors import InvalidInputError, UnsafeModelError

# The largest safetensors header the format allows (100 MB), as in the safetensors library.
SAFETENSORS_HEADER_MAX = 100_000_000
JSON_MAX_BYTES = 64 << 20


def plain_file(folder: Path, name: str) -> Path:
    """`folder/name` as a readable, non-empty regular file whose data lies inside the folder (or its cache repo)."""
    path = folder / name
    if path.is_symlink() and not path.exists():
        raise InvalidInputError(f"{path} is a link to {path.readlink()}, which does not exist; copy the file in instead.")
    if path.is_dir():
        raise InvalidInputError(f"{path} is a folder, not a file; {name} must be a file (was something saved into the wrong place?).")
    if not path.is_file():
        raise InvalidInputError(f"{path} is not a regular file; {name} must be a plain file.")
    target = path.resolve()
    if not any(target.is_relative_to(root) for root in _allowed_roots(folder)):
        raise UnsafeModelError(f"{path} is a link to {target}, outside the model folder; copy the file in instead.")
    try:
        size = path.stat().st_size
        with path.open("rb"):
            pass
    except OSError as exc:
        raise InvalidInputError(f"Cannot read {path}: {exc.strerror or exc}; make it readable for benchhub.") from exc
    if size == 0:
        raise InvalidInputError(f"{path} is empty; save the model again (e.g. `save_pretrained`) or copy the file in again.")
    return path


def read_json_object(folder: Path, name: str) -> dict[str, Any]:
    """Reads `folder/name` (a plain file) as one JSON object."""
    path = plain_file(folder, name)
    if path.stat().st_size > JSON_MAX_BYTES:
        raise InvalidInputError(f"{path} is over {JSON_MAX_BYTES >> 20} MiB; a model's {name} is a small JSON object.")
    try:
        document = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"{path} is not valid JSON ({exc}); save it again with `save_pretrained`.") from exc
    except OSError as exc:
        raise InvalidInputError(f"Cannot read {path}: {exc.strerror or exc}; make it readable for benchhub.") from exc
    if not isinstance(document, dict):
        raise InvalidInputError(f"{path} holds a JSON {type(document).__name__}, not an object; save it again with `save_pretrained`.")
    return document


def check_safetensors(folder: Path, name: str) -> Path:
    """Checks that `folder/name` starts like a safetensors file: an 8-byte length, then a JSON header that fits."""
    path = plain_file(folder, name)
    size = path.stat().st_size
    try:
        with path.open("rb") as handle:
            prefix = handle.read(8)
            length = struct.unpack("<Q", prefix)[0] if len(prefix) == 8 else -1
            header = handle.read(length) if 0 < length <= min(size - 8, SAFETENSORS_HEADER_MAX) else b""
    except OSError as exc:
        raise InvalidInputError(f"Cannot read {path}: {exc.strerror or exc}; make it readable for benchhub.") from exc
    try:
        valid = isinstance(json.loads(header.decode("utf-8")), dict) if header else False
    except (UnicodeDecodeError, json.JSONDecodeError):
        valid = False
    if not valid:
        raise InvalidInputError(f"{path} is not a safetensors file (its header is missing or corrupt); save the weights again.")
    return path


def _allowed_roots(folder: Path) -> list[Path]:
    root = folder.resolve()
    if folder.parent.name == "snapshots":  # a Hugging Face cache: snapshots/<rev>/file -> ../../blobs/<sha>
        return [root, (folder.parent.parent / "blobs").resolve()]
    return [root]
