"""What every predictions file shares, whatever its task's layout: it exists, fits the limit, is UTF-8."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from benchhub.data.readers import json_lines, load_json
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


def json_objects(path: Path, text: str, *, keys: tuple[str, ...], example: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each non-blank line of a JSON-lines predictions file as (where, object), checked to be an object with `keys`
    (no NaN or Infinity); `example` shows a good line in the message of a bad one."""
    for number, line in enumerate(json_lines(text), start=1):
        if not line.strip():
            continue
        where = f"{path.name}, line {number}"
        try:
            row = load_json(line, where=where, error=PredictionsFormatError, parse_constant=_reject_constant)
        except PredictionsFormatError:
            raise
        except ValueError as exc:
            raise PredictionsFormatError(f"{where}: not valid JSON ({exc}); NaN and Infinity are not allowed.") from exc
        if not isinstance(row, dict) or any(key not in row for key in keys):
            named = " and ".join(f'"{key}"' for key in keys)
            raise PredictionsFormatError(f"{where}: expected an object with {named}, like {example}.")
        yield where, row


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


_MISSING = object()


def placed_by_id(file_name: str, rows: Iterable[tuple[str, Any, Any]], ids: Sequence[Any], *, noun: str,
                 lacking: str = "have no prediction",
                 place: Callable[[str, Any, int, Any], Any] | None = None) -> list[Any]:
    """Each row's value at its id's place, in split order. `rows` are (where, id, value); an id the split lacks,
    one given twice and a split id no row gives are refused in one line, the first of them named, with `noun` for
    an item ("example", "question"). `place(where, id, index, value)` checks a value against its item and returns
    what is kept."""
    position = {str(example_id): index for index, example_id in enumerate(ids)}
    placed: list[Any] = [_MISSING] * len(ids)
    article = "an" if noun[:1] in tuple("aeiou") else "a"
    for where, raw_id, value in rows:
        key = str(raw_id)
        if key not in position:
            raise unknown_id(where, raw_id, ids, f"{article} {noun}")
        index = position[key]
        if placed[index] is not _MISSING:
            raise PredictionsFormatError(f"{where}: duplicate id {shown(raw_id)}; give each {noun} exactly once.")
        placed[index] = value if place is None else place(where, raw_id, index, value)
    missing = [example_id for example_id, value in zip(ids, placed) if value is _MISSING]
    if missing:
        raise PredictionsFormatError(f"{file_name}: {len(missing)} {noun}(s) {lacking}, first id {missing[0]!r}; "
                                     f"give every {noun} exactly once.")
    return placed


def unknown_id(where: str, raw_id: Any, ids: Sequence[Any], what: str = "an example") -> PredictionsFormatError:
    """The error for an id the split does not have; when the split's ids are row numbers (registered without
    --id-column) and the file's are not, it says so, since that is the usual cause."""
    message = f"{where}: unknown id {shown(raw_id)}; it is not {what} of this split."
    numbered = bool(ids) and all(isinstance(i, int) and not isinstance(i, bool) and i == n for n, i in enumerate(ids))
    if not numbered or str(raw_id).lstrip("-").isdigit():
        return PredictionsFormatError(message)
    return PredictionsFormatError.naming(
        lambda spell: f"{message} The dataset's ids are row numbers (0 to {len(ids) - 1}): it was registered without "
                      f"{spell.column('id')}; register it again naming the column that holds these ids.")

