"""What every predictions file shares, whatever its task's layout: it exists, fits the limit, is UTF-8."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchhub.errors import PredictionsFormatError

MAX_BYTES = 200 * 1024 * 1024


def check_predictions_path(path: Path) -> Path:
    """`path` if it names a file; a folder or a missing path is one line saying which."""
    if path.is_dir():
        raise PredictionsFormatError(f"Predictions file {path} is a folder; give the predictions file itself.")
    if not path.is_file():
        raise PredictionsFormatError(f"Predictions file {path} does not exist.")
    return path


def read_predictions_text(path: Path, max_bytes: int) -> str:
    """The text of a predictions file that exists, fits the size limit and is UTF-8."""
    check_predictions_path(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise PredictionsFormatError(f"{path} is {size:,} bytes; the limit is {max_bytes:,}.")
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PredictionsFormatError(f"{path} is not valid UTF-8 (byte offset {exc.start}); save it as UTF-8.") from exc


def shown(value: Any, limit: int = 80) -> str:
    """`repr(value)` for a message, cut short when a file holds an absurdly long id or label."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 20]}… ({len(text):,} characters)"
