"""Writing report files so that a reader never sees half of one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchhub.errors import InvalidInputError


def write_atomically(path: str | Path, text: str, *, example: str = "report.html") -> Path:
    """Writes `text` (UTF-8) to a temporary file beside `path`, then renames it over `path`."""
    def write(temporary: Path) -> None:
        with temporary.open("w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)

    return replace_atomically(path, write, example=example)


def replace_atomically(path: str | Path, write: Callable[[Path], None], *, example: str = "report.html") -> Path:
    """Lets `write` fill a temporary file beside `path`, then renames it over `path`; a failure leaves no file."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise InvalidInputError(f"{target} is a folder; give a file name, e.g. {target / example}.")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise InvalidInputError(f"Cannot write {target} ({exc.strerror or exc}); give a path in a folder you can write to.") from exc
    os.close(handle)
    try:
        write(Path(temporary))
        # mkstemp creates the file private (0600); a report is meant to be shared.
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target.resolve()
