"""Locating, vetting and fingerprinting transformers checkpoints (safetensors only)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchhub.errors import InvalidInputError, UnsafeModelError

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
        raise InvalidInputError(f"Cannot fetch hub model {source!r}{offline}: {str(exc).splitlines()[0]}") from exc
    vet_checkpoint(folder)
    return folder


def vet_checkpoint(folder: Path) -> None:
    """Refuses folders whose weights exist only as pickles, or without config.json or safetensors weights."""
    has_safetensors = any(folder.glob("*.safetensors"))
    # The safety refusal comes first: it is the one message a user must not miss.
    pickles = [] if has_safetensors else sorted(p.name for p in folder.iterdir() if p.suffix in PICKLE_SUFFIXES)
    if pickles:
        raise UnsafeModelError(
            f"{folder} holds weights only as pickle files ({', '.join(pickles)}), which benchhub never loads; "
            f"convert them to safetensors (e.g. `model.save_pretrained(dir, safe_serialization=True)` in a trusted environment)."
        )
    if not (folder / "config.json").is_file():
        raise InvalidInputError(f"{folder} has no config.json; is it a transformers checkpoint folder?")
    if not has_safetensors:
        raise InvalidInputError(f"{folder} has no *.safetensors weights.")


def checkpoint_fingerprint(folder: Path) -> str:
    """SHA-256 over the weights (*.safetensors) and config.json, by file name."""
    digest = hashlib.sha256()
    files = sorted(folder.glob("*.safetensors")) + [folder / "config.json"]
    for file in files:
        digest.update(file.name.encode() + b"\0")
        digest.update(file_sha256(file).encode())
    return digest.hexdigest()


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


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
