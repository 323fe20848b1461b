"""Checking a submitted predictions file before anything is charged for it.

The checks run in a fixed order, and the first failure is raised as `PredictionsFormatError`, naming
the file (by the name its sender gave it) and its first offending line or id: size, UTF-8, then the
task family's own check (`Task.check_predictions_file`), which runs the JSON checks here (per line or per
document: nesting depth, syntax, NaN/Infinity) and then the reader that scoring itself uses (format,
labels, every id exactly once). A file that passes will score.
"""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path
from typing import Any

from benchhub.data.readers import json_lines, load_json
from benchhub.errors import PredictionsFormatError

MAX_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 32

# An escape pair, a quote or a bracket: the tokens that decide nesting depth outside strings.
_TOKENS = re.compile(r'\\.|["\[\]{}]', re.S)
# Text without these cannot parse to a non-finite number (1e999 and 400-digit integers-as-floats can).
_MAYBE_NON_FINITE = re.compile(r"NaN|Infinity|\d[eE]|\d{300}")


def check_submission_file(path: Path, *, task: Any, split: Any, labels: list[str],
                          max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> None:
    """Raises `PredictionsFormatError` for the first problem of a predictions file for this split of `task`'s family."""
    name = path.name
    check_size(name, path.stat().st_size, max_bytes)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PredictionsFormatError(f"{name} is not valid UTF-8 (byte offset {exc.start}); save it as UTF-8.") from None
    if not text.strip():
        raise PredictionsFormatError(f"{name} holds only whitespace; expected one prediction per example.")
    try:
        task.check_predictions_file(path, split=split, labels=labels, max_bytes=max_bytes, max_depth=max_depth)
    except csv.Error as exc:
        raise PredictionsFormatError(f"{name}: not valid CSV ({exc}).") from None
    except RecursionError:
        # Unreachable after the depth check; kept so that no parser can ever take the process down.
        raise PredictionsFormatError(f"{name}: JSON nested too deeply; a predictions file needs one level.") from None


def check_json_lines(path: Path, max_depth: int = MAX_DEPTH, *, negative_infinity: bool = False) -> None:
    """Each line of a JSON-lines file: nesting depth, syntax and finite numbers, naming the line
    (`negative_infinity`: -Infinity allowed, for log-likelihoods of choices given probability 0)."""
    for number, line in enumerate(json_lines(_text(path)), start=1):
        if line.strip():
            _check_json(f"{path.name}, line {number}", line.rstrip("\r\n"), max_depth, lines=False,
                        negative_infinity=negative_infinity)


def check_json_document(path: Path, max_depth: int = MAX_DEPTH) -> None:
    """One JSON document: nesting depth, syntax and finite numbers."""
    _check_json(path.name, _text(path), max_depth, lines=True)


def _text(path: Path) -> str:
    return path.read_bytes().decode("utf-8-sig")


def check_size(name: str, size: int, max_bytes: int = MAX_BYTES) -> None:
    """Rejects an empty file or one over the size limit (callers check before storing it)."""
    if size == 0:
        raise PredictionsFormatError(f"{name} is empty; expected one prediction per example.")
    if size > max_bytes:
        raise PredictionsFormatError(f"{name} is {size:,} bytes; the limit is {max_bytes:,}.")


def _check_json(where: str, text: str, max_depth: int, *, lines: bool, negative_infinity: bool = False) -> None:
    """Depth first (without recursion), then syntax, then finite numbers; `lines`: say the line of a syntax error."""
    if _deeper_than(text, max_depth):
        raise PredictionsFormatError(
            f"{where}: JSON nested deeper than {max_depth} levels; a predictions file needs one level."
        )
    try:
        document = load_json(text, where=where, error=PredictionsFormatError, parse_constant=float)
    except json.JSONDecodeError as exc:
        at = f"line {exc.lineno}, column {exc.colno}" if lines else f"column {exc.colno}"
        raise PredictionsFormatError(f"{where}: not valid JSON ({exc.msg} at {at}).") from None
    found = _first_non_finite(document, negative_infinity) if _MAYBE_NON_FINITE.search(text) else None
    if found is not None:
        path, value = found
        at = f" at {path}" if path else ""
        allowed = "finite numbers or -Infinity (no NaN or Infinity)" if negative_infinity else "finite numbers (no NaN or Infinity)"
        raise PredictionsFormatError(f"{where}: {value}{at} is not allowed; JSON predictions must hold {allowed}.")


def _deeper_than(text: str, limit: int) -> bool:
    # Counting opening brackets bounds the depth from above and costs almost nothing; only a text
    # that might be too deep is scanned token by token, skipping brackets inside strings.
    if text.count("[") + text.count("{") <= limit:
        return False
    depth, in_string = 0, False
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token == '"':
            in_string = not in_string
        elif in_string or len(token) == 2:
            continue
        elif token in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _first_non_finite(document: Any, negative_infinity: bool = False) -> tuple[str, str] | None:
    """The first NaN/Infinity in the document (in order), with where it is: ["id"] or ["id"]["key"]."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value) and not (negative_infinity and value == -math.inf):
            return path, "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        if isinstance(value, dict):
            stack.extend((f"{path}[{key!r}]", item) for key, item in reversed(list(value.items())))
        elif isinstance(value, list):
            stack.extend((f"{path}[{index}]", item) for index, item in reversed(list(enumerate(value))))
    return None
