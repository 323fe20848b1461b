"""Locating, vetting and fingerprinting transformers checkpoints (safetensors only)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchhub.errors import InvalidInputError, UnsafeModelError, unreachable_hub
from benchhub.models.fingerprints import (
    FINGERPRINT_VERSION,
    file_sha256,
    files_digest,
    output_files,
)
from benchhub.models.model_files import check_safetensors, read_json_object
from benchhub.models.remote_code import refuse_custom_code

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
HUB_PATTERNS = ["*.safetensors", "*.safetensors.index.json", "*.json", "*.txt", "*.model", "tokenizer*"]


def resolve_checkpoint(source: str, *, revision: str | None = None) -> Path:
    """Returns a local checkpoint folder for a path or a hub id (downloading safetensors files only)."""
    path = Path(source).expanduser()
    if path.exists():
        if not path.is_dir():
            raise InvalidInputError(f"{source} is a file; a transformers checkpoint is a folder with config.json.")
        vet_checkpoint(path)
        return path.resolve()
    if source.startswith((".", "/", "~")) or source.count("/") > 1:
        raise InvalidInputError(f"No such checkpoint folder: {source}.")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        folder = Path(snapshot_download(source, revision=revision, allow_patterns=HUB_PATTERNS))
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError, ValueError) as exc:
        offline = " (HF_HUB_OFFLINE=1 is set: only cached models load)" if os.environ.get("HF_HUB_OFFLINE") == "1" else ""
        if unreachable_hub(exc):
            raise InvalidInputError(f"Cannot fetch hub model {source!r}: the model hub cannot be reached from here{offline or ' (no network)'}; "
                                    f"give a local checkpoint folder instead, e.g. ./checkpoints/{source.rsplit('/', 1)[-1]}.") from exc
        raise InvalidInputError(f"Cannot fetch hub model {source!r}{offline}: {str(exc).splitlines()[0]}") from exc
    vet_checkpoint(folder)
    return folder


def vet_checkpoint(folder: Path) -> dict[str, Any]:
    """Refuses folders whose weights exist only as pickles, that would run their own code, or that lack
    a readable config.json or well-formed safetensors weights; returns the config."""
    weights = sorted(p.name for p in folder.glob("*.safetensors"))
    # The safety refusal comes first: it is the one message a user must not miss.
    pickles = [] if weights else sorted(p.name for p in folder.iterdir() if p.suffix in PICKLE_SUFFIXES)
    if pickles:
        raise UnsafeModelError(
            f"{folder} holds weights only as pickle files ({', '.join(pickles)}), which benchhub never loads; "
            f"convert them to safetensors (e.g. `model.save_pretrained(dir, safe_serialization=True)` in a trusted environment)."
        )
    if not (folder / "config.json").exists() and not (folder / "config.json").is_symlink():
        raise InvalidInputError(f"{folder} has no config.json; is it a transformers checkpoint folder?")
    config = read_json_object(folder, "config.json")
    refuse_custom_code(folder, config)
    if not weights:
        raise InvalidInputError(f"{folder} has no *.safetensors weights.")
    for name in weights:
        check_safetensors(folder, name)
    return config


def checkpoint_fingerprint(folder: Path, *, version: int = FINGERPRINT_VERSION) -> str:
    """SHA-256 over every file that changes the checkpoint's outputs (see `fingerprints`), by file name.

    Version 1, kept to check fingerprints older hubs stored, covers the weights and config.json only.
    """
    if version == 1:
        digest = hashlib.sha256()
        for file in sorted(folder.glob("*.safetensors")) + [folder / "config.json"]:
            digest.update(file.name.encode() + b"\0")
            digest.update(file_sha256(file).encode())
        return digest.hexdigest()
    return files_digest(folder, output_files(folder, weights=True), version=version)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silences transformers' per-file progress bars and info notices; benchhub shows its own progress."""
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
