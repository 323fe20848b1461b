"""What a model's fingerprint covers: every file that changes its outputs, by name, under a versioned definition.

Version 1 (what older hubs stored) covered the weights and config.json only, so an edited tokenizer
went unnoticed. Version 2 covers the weights, config.json, generation_config.json and every
tokenizer file; the label map is added on top by the model service. A row remembers the version its
fingerprint was made under, so an older one is checked under its own definition, then upgraded.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from benchhub.models.model_files import plain_file

FINGERPRINT_VERSION = 2
CONFIG_FILES = ("config.json", "generation_config.json")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json", "merges.txt",
                   "special_tokens_map.json", "added_tokens.json", "chat_template.jinja", "chat_template.json")
# Sentencepiece models (spiece.model, sentencepiece.bpe.model, tokenizer.model, ...).
TOKENIZER_SUFFIXES = (".model",)
WEIGHT_SUFFIXES = (".safetensors", ".safetensors.index.json")

_hashes: dict[tuple[str, int, int, int, int], str] = {}


def output_files(folder: Path, *, weights: bool) -> list[str]:
    """Names of the files in `folder` that change a model's outputs: configs, tokenizer files (and weights)."""
    names = []
    for entry in sorted(os.listdir(folder)):
        if entry in CONFIG_FILES or entry in TOKENIZER_FILES or entry.endswith(TOKENIZER_SUFFIXES) or (
                weights and entry.endswith(WEIGHT_SUFFIXES)):
            names.append(entry)
    return names


def files_digest(folder: Path, names: list[str], *, version: int) -> str:
    """SHA-256 over each named file's SHA-256, by name (each checked to be a plain file inside the folder)."""
    digest = hashlib.sha256(f"benchhub-model-files/{version}\0".encode())
    for name in names:
        digest.update(name.encode() + b"\0")
        digest.update(file_sha256(plain_file(folder, name)).encode())
    return digest.hexdigest()


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    """A file's SHA-256, remembered in this process while its inode, size, mtime and ctime stay the same
    (any write changes the ctime, which no user call can set back), so a cached evaluation does not rehash."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    if key in _hashes:
        return _hashes[key]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    _hashes[key] = digest.hexdigest()
    return _hashes[key]
