"""Reading raw tables from CSV, JSONL, JSON, Parquet, `save_to_disk` folders and hub ids.

A reader returns `Table`s: column names and rows as dictionaries, plus the label names of
any `datasets.ClassLabel` column (or sequence of ClassLabel, for token tags) so integer labels
can be shown as words.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchhub.errors import (
    BenchhubError,
    DatasetFormatError,
    MissingDependencyError,
    unreachable_hub,
)

FILE_FORMATS = (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet")
CSV_FIELD_LIMIT = 64 * 1024 * 1024
HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[\w.-]+)?")
# A task family's reader of whole JSON documents in its own layout (SQuAD's nested articles): the rows,
# or None for a document it does not recognise (then it is read as an array of objects).
DocumentRows = Callable[[Any, str], "list[dict[str, Any]] | None"]


@dataclass
class Table:
    """Rows of one source split, with the column names in source order."""

    columns: list[str]
    rows: list[dict[str, Any]]
    class_labels: dict[str, list[str]] = field(default_factory=dict)


def read_source(source: str, *, revision: str | None = None, documents: DocumentRows | None = None) -> dict[str, Table] | Table:
    """Reads a file (one Table), or a folder or hub id (a Table per split when it has splits)."""
    path = Path(source).expanduser()
    if path.is_dir():
        return read_saved_dataset(path)
    if path.is_file():
        return read_file(path, documents=documents)
    if path.exists():  # reading a pipe or a device would block, or never end
        raise DatasetFormatError(f"{source if source.isprintable() else repr(source)} is not a regular file or a folder "
                                 "(a pipe, a device or a socket); give a CSV, JSONL, JSON or Parquet file, or a save_to_disk folder.")
    if path.suffix.lower() in FILE_FORMATS or os.sep in source.removeprefix("./") and not HUB_ID.fullmatch(source):
        raise DatasetFormatError(f"No such file or folder: {source if source.isprintable() else repr(source)}. Give a path to a CSV, JSONL, JSON or Parquet file, a save_to_disk folder, or a hub id.")
    if not HUB_ID.fullmatch(source):
        raise DatasetFormatError(f"{source!r} is neither an existing path nor a hub id like 'owner/name'.")
    return read_hub_dataset(source, revision=revision)


def read_file(path: Path, *, documents: DocumentRows | None = None) -> Table:
    """Reads one data file, chosen by its extension; `documents` reads a family's own JSON layout."""
    suffix = path.suffix.lower()
    if suffix not in FILE_FORMATS:
        raise DatasetFormatError(
            f"{path.name}: unknown file type {suffix or '(none)'!r}; use one of {', '.join(FILE_FORMATS)}."
        )
    if path.stat().st_size == 0:
        raise DatasetFormatError(f"{path} is empty; a dataset file needs a header or at least one row.")
    if suffix == ".parquet":
        table = _read_parquet(path)
    else:
        text = _read_text(path)
        if suffix in (".csv", ".tsv"):
            table = _read_delimited(path, text, "\t" if suffix == ".tsv" else ",")
        elif suffix == ".json":
            table = _read_json(path, text, documents)
        else:
            table = _read_jsonl(path, text)
    if not table.rows:
        raise DatasetFormatError(f"{path} has no rows; add at least one example.")
    return table


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DatasetFormatError(
            f"{path} is not valid UTF-8: byte 0x{data[exc.start]:02x} on line {line}; "
            f"re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)."
        ) from exc


def _read_delimited(path: Path, text: str, delimiter: str) -> Table:
    # newline="" keeps line breaks inside quoted fields; str.splitlines would also break rows at U+2028 and kin.
    # Python's default field limit (131,072 characters) is shorter than many a document or QA context.
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _delimited_table(path, reader, delimiter)
    except csv.Error as exc:
        raise DatasetFormatError(f"{path}, line {reader.line_num}: not valid {'CSV' if delimiter == ',' else 'TSV'} ({exc}).") from None


def _delimited_table(path: Path, reader: Any, delimiter: str) -> Table:
    try:
        header = next(reader)
    except StopIteration:
        raise DatasetFormatError(f"{path} is empty; a dataset file needs a header and rows.") from None
    header = [name.strip() for name in header]
    if len(header) == 1:
        _refuse_other_separator(path, header[0], delimiter)
    if len(set(header)) != len(header):
        raise DatasetFormatError(f"{path}: the header repeats a column name: {header}.")
    rows = []
    for values in reader:
        if not values:
            continue
        if len(values) != len(header):
            raise DatasetFormatError(
                f"{path}, line {reader.line_num}: {len(values)} fields where the header has {len(header)}; "
                f"quote fields that contain '{delimiter}'."
            )
        rows.append(dict(zip(header, values)))
    return Table(header, rows)


SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "bars", ",": "commas"}


def _refuse_other_separator(path: Path, header: str, delimiter: str) -> None:
    """A one-column header that holds another separator: the file was saved with other separators than its
    suffix says (a spreadsheet's ";" CSV), one line naming the separator seen and the fix."""
    seen = next((mark for mark in SEPARATORS if mark != delimiter and mark in header), None)
    if seen is None:
        return
    kind, used = ("CSV", "commas") if delimiter == "," else ("TSV", "tabs")
    fix = {"\t": "name it .tsv", ",": "name it .csv"}.get(seen, "save it with commas (or with tabs, as .tsv)")
    raise DatasetFormatError(f"{path}: its header {header[:60]!r} looks separated by {SEPARATORS[seen]}, and a "
                             f"{path.suffix} file is read as {kind} separated by {used}; {fix}.")


def _read_jsonl(path: Path, text: str) -> Table:
    rows = []
    for line_number, line in enumerate(json_lines(text), start=1):
        if not line.strip():
            continue
        try:
            row = load_json(line, where=f"{path}, line {line_number}", error=DatasetFormatError)
        except json.JSONDecodeError as exc:
            raise DatasetFormatError(f"{path}, line {line_number}: not valid JSON ({exc.msg}).") from exc
        if not isinstance(row, dict):
            raise DatasetFormatError(f"{path}, line {line_number}: expected a JSON object per line, got {type(row).__name__}.")
        rows.append(row)
    return Table(_columns_of(rows), rows)


def _read_json(path: Path, text: str, documents: DocumentRows | None) -> Table:
    try:
        document = load_json(text, where=str(path), error=DatasetFormatError)
    except json.JSONDecodeError as exc:
        raise DatasetFormatError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}).") from exc
    rows = documents(document, str(path)) if documents is not None else None
    if rows is not None:
        return Table(_columns_of(rows), rows)
    if isinstance(document, dict) and isinstance(document.get("data"), list):
        document = document["data"]
    if not isinstance(document, list) or not all(isinstance(row, dict) for row in document):
        raise DatasetFormatError(f"{path}: expected a JSON array of objects (or {{\"data\": [...]}}).")
    return Table(_columns_of(document), document)


def _read_parquet(path: Path) -> Table:
    import pyarrow.parquet as pq
    from pyarrow.lib import ArrowInvalid

    try:
        arrow = pq.read_table(path)
    except ArrowInvalid as exc:
        raise DatasetFormatError(f"{path}: not a readable Parquet file ({exc}).") from exc
    return Table(list(arrow.column_names), arrow.to_pylist())


def load_json(text: str, *, where: str, error: type[BenchhubError], **options: Any) -> Any:
    """`json.loads` for a user's file: an integer over Python's digit limit raises `error` naming its line.

    Python refuses to convert integers of more than 4,300 digits with a bare ValueError; `json.loads`
    lets it through, as it lets through the RecursionError of arrays nested thousands deep. Syntax
    errors stay `json.JSONDecodeError`, for the caller to describe.
    """
    try:
        return json.loads(text, **options)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise error(f"{where}: values nested thousands of levels deep (Python's limit); no field needs more than a few.") from None
    except ValueError:
        line = _long_integer_line(text)
        if line is None:
            raise
    at = f", line {line}" if text.count("\n", 0, len(text.rstrip())) else ""
    raise error(f"{where}{at}: an integer of more than {sys.get_int_max_str_digits():,} digits (Python's limit); "
                f"write it as a string or shorten it.")


def _long_integer_line(text: str) -> int | None:
    limit = sys.get_int_max_str_digits()
    # A JSON number starts a value: at the start, or after whitespace, '[', ':', ',' or its sign.
    found = re.search(f"(?<![^\\s\\[:,-])[0-9]{{{limit + 1}}}", text) if limit else None
    return None if found is None else text.count("\n", 0, found.start()) + 1


def json_lines(text: str) -> list[str]:
    """Splits JSON Lines text at line breaks (\\n, \\r\\n, \\r) only, never at a U+2028 inside a string."""
    return list(io.StringIO(text, newline=None))


def _columns_of(rows: list[dict[str, Any]]) -> list[str]:
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    return list(columns)


def read_saved_dataset(path: Path) -> dict[str, Table] | Table:
    """Reads a `datasets.save_to_disk` folder (a Dataset or a DatasetDict)."""
    if not ((path / "dataset_dict.json").exists() or (path / "dataset_info.json").exists() or (path / "state.json").exists()):
        raise DatasetFormatError(f"{path} is a folder but not a `datasets.save_to_disk` folder; give a data file instead.")
    datasets = _import_datasets()
    loaded = datasets.load_from_disk(str(path))
    return _from_hf(loaded)


def read_hub_dataset(hub_id: str, *, revision: str | None = None) -> dict[str, Table]:
    """Loads a dataset from the Hugging Face hub with `datasets.load_dataset`."""
    datasets = _import_datasets()
    try:
        loaded = datasets.load_dataset(hub_id, revision=revision)
    except (FileNotFoundError, ConnectionError, ValueError, OSError) as exc:
        offline = os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("HF_DATASETS_OFFLINE") == "1"
        hint = " (HF_HUB_OFFLINE=1 is set: only cached datasets load)" if offline else ""
        if unreachable_hub(exc):
            raise DatasetFormatError(f"Cannot load hub dataset {hub_id!r}: the hub cannot be reached from here{hint or ' (no network)'}; "
                                     "give a local file or save_to_disk folder instead.") from exc
        raise DatasetFormatError(f"Cannot load hub dataset {hub_id!r}{hint}: {str(exc).splitlines()[0]}") from exc
    return _from_hf(loaded)


def _from_hf(loaded: Any) -> dict[str, Table] | Table:
    if hasattr(loaded, "keys") and not hasattr(loaded, "features"):
        return {name: _table_from_hf(part) for name, part in loaded.items()}
    return _table_from_hf(loaded)


def _table_from_hf(part: Any) -> Table:
    class_labels = {name: names for name, feature in part.features.items() if (names := _class_names(feature)) is not None}
    return Table(list(part.column_names), part.to_list(), class_labels)


def _class_names(feature: Any) -> list[str] | None:
    """The names of a ClassLabel feature, or of a sequence of them (token tags such as conll2003's `ner_tags`)."""
    if type(feature).__name__ in ("Sequence", "List", "LargeList"):  # `Sequence` became `List` in datasets 4
        feature = getattr(feature, "feature", None)
    return list(feature.names) if type(feature).__name__ == "ClassLabel" else None


def _import_datasets() -> Any:
    try:
        import datasets
    except ImportError as exc:
        raise MissingDependencyError("Reading save_to_disk folders and hub ids needs `pip install datasets`.") from exc
    return datasets
