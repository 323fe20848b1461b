"""The artifact folder: dataset copies, trained baselines, per-example predictions, checkpoints.

Writes go to a temporary sibling first and are renamed into place, so a crash never
leaves a half-written artifact where a reader would find it.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class ArtifactStore:
    """Paths and atomic writes under one root folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    def relative(self, path: Path) -> str:
        """`path`, inside the store (as built from its root, or resolved), relative to the root."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.resolve().relative_to(self.root.resolve()).as_posix()

    def claim_folder(self, *parts: str) -> tuple[str, ...]:
        """Makes an empty folder at `parts`, or, where that exists (a registration racing this one, or one that left
        its folder behind), beside it as NAME.XXXXXXXX; returns the parts of the one made, which only its caller
        fills (`new_folder`) or removes."""
        target = self.path(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            target.mkdir()
            return parts
        except FileExistsError:
            return (*parts[:-1], Path(tempfile.mkdtemp(prefix=f"{target.name}.", dir=target.parent)).name)

    @contextmanager
    def new_folder(self, *parts: str) -> Iterator[Path]:
        """Yields a temporary folder that becomes `parts` when the block succeeds (replacing what was there; an
        empty folder, as `claim_folder` makes, is replaced in the same rename)."""
        target = self.path(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            yield staging
            if target.exists() and not (target.is_dir() and not any(target.iterdir())):
                shutil.rmtree(target)
            os.replace(staging, target)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    def write_jsonl_gz(self, rows: list[dict[str, Any]], *parts: str) -> Path:
        """Writes rows as gzipped JSON lines, atomically."""
        target = self.path(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as zipped:
                for row in rows:
                    zipped.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target

    @staticmethod
    def read_jsonl_gz(path: Path) -> list[dict[str, Any]]:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            return [json.loads(line) for line in handle]

    def remove(self, relative: str) -> None:
        target = self.path(relative)
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)
