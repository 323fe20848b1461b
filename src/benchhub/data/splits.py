"""Turning raw tables into validated canonical splits under a column mapping."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from benchhub.data.readers import Table
from benchhub.data.records import ColumnMapping, ExampleId, Split
from benchhub.errors import ColumnNotFoundError, DatasetFormatError

DEFAULT_SPLIT = "test"
# A family's reader of its own fields from one row: (row, example id, text, second text, where, split name)
# -> {field: value}; `where` names the source, for messages.
FieldsReader = Callable[[dict[str, Any], ExampleId, str, "str | None", str, str], dict[str, Any]]
SPLIT_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")


def build_splits(tables: dict[str, Table], mapping: ColumnMapping, *, origin: dict[str, str],
                 read_fields: FieldsReader | None = None) -> tuple[dict[str, Split], list[str]]:
    """Validates `tables` (split name → table) and returns canonical splits and the sorted label set.

    `origin` names where each table came from, for messages. A split column, when mapped,
    partitions every table's rows into splits by its value. `read_fields` reads the family's own
    fields of each row (e.g. the question-answering family's gold answers).
    """
    mapping = effective_mapping(tables, mapping)
    for name, table in tables.items():
        _check_columns(table, mapping, origin[name])
    splits = {}
    class_names: list[str] | None = None
    for name, (where, rows, table) in partition_rows(tables, mapping, origin=origin).items():
        class_names = class_names or table.class_labels.get(mapping.label or "")
        splits[name] = _build_split(name, rows, table, mapping, where, read_fields)
    labels = class_names or sorted({y for s in splits.values() for y in s.labels or []}, key=_label_sort_key)
    return splits, list(labels)


def partition_rows(tables: dict[str, Table], mapping: ColumnMapping, *,
                   origin: dict[str, str]) -> dict[str, tuple[str, list[dict[str, Any]], Table]]:
    """Each split's rows, with where they came from and their table: a table per split, or the rows of
    every table partitioned by the mapping's split column. Split names are checked."""
    parts: dict[str, tuple[str, list[dict[str, Any]], Table]] = {}
    for name, table in tables.items():
        if mapping.split is None:
            parts[name] = (origin[name], table.rows, table)
            continue
        for row in table.rows:
            value = row.get(mapping.split)
            if value in (None, ""):
                raise DatasetFormatError(f"{origin[name]}: a row has no value in split column {mapping.split!r}.")
            key = str(value)
            parts.setdefault(key, (origin[name], [], table))[1].append(row)
    for name in parts:
        _check_split_name(name)
    return parts


def effective_mapping(tables: dict[str, Table], mapping: ColumnMapping) -> ColumnMapping:
    """The mapping actually used: without a named id column, the mapping's default id column when every source has one."""
    default = mapping.default_id
    if default is not None and mapping.id is None and all(default in table.columns for table in tables.values()):
        return replace(mapping, id=default)
    return mapping


def _check_columns(table: Table, mapping: ColumnMapping, where: str) -> None:
    for role, column in mapping.to_dict().items():
        if column is not None and column not in table.columns:
            raise ColumnNotFoundError.naming(
                lambda spell: f"Column {column!r} not in {where}. Current columns: {table.columns}. "
                              f"Name the right one with {spell.column(role)}."
            )


SPLIT_NAME_MAX = 100  # the store's column width


def _check_split_name(name: str) -> None:
    if not name or not set(name) <= SPLIT_NAME_CHARS:
        raise DatasetFormatError(f"Split name {name!r} is not allowed; use letters, digits, '_', '-' or '.'.")
    if len(name) > SPLIT_NAME_MAX:
        raise DatasetFormatError(f"Split name {name[:20]!r}... is {len(name)} characters long; use at most {SPLIT_NAME_MAX}.")


def _build_split(name: str, rows: list[dict[str, Any]], table: Table, mapping: ColumnMapping, where: str,
                 read_fields: FieldsReader | None) -> Split:
    ids: list[ExampleId] = []
    texts: list[str] = []
    pairs: list[str] | None = [] if mapping.text_pair else None
    labels: list[str] | None = [] if mapping.label else None
    fields: dict[str, list[Any]] = {}
    seen: set[str] = set()
    names = table.class_labels.get(mapping.label or "")
    for index, row in enumerate(rows):
        example_id = _example_id(row, mapping, index, where)
        key = str(example_id)
        if key in seen:
            raise DatasetFormatError(f"{where}, split {name!r}: duplicate id {example_id!r}; every example id must be unique.")
        seen.add(key)
        ids.append(example_id)
        texts.append(_text(row, mapping.text, example_id, where))
        if pairs is not None:
            pairs.append(_text(row, mapping.text_pair, example_id, where))
        if labels is not None:
            labels.append(_label(row.get(mapping.label), names, example_id, name, where))
        if read_fields is not None:
            values = read_fields(row, example_id, texts[-1], pairs[-1] if pairs is not None else None, where, name)
            for key, value in values.items():
                fields.setdefault(key, []).append(value)
    if not ids:
        raise DatasetFormatError(f"{where}: split {name!r} has no rows.")
    return Split(name, ids, texts, pairs, labels, fields, columns=_slice_columns(rows, table, mapping))


SLICE_COLUMNS_MAX, SLICE_VALUES_MAX = 20, 100


def _slice_columns(rows: list[dict[str, Any]], table: Table, mapping: ColumnMapping) -> dict[str, list[Any]] | None:
    """The source's unmapped columns that can slice a split: scalar values, at most 100 distinct ones (categorical)."""
    mapped = {column for column in (*mapping.to_dict().values(), *mapping.fields.values()) if isinstance(column, str)}
    kept: dict[str, list[Any]] = {}
    for column in table.columns:
        if column in mapped or len(kept) == SLICE_COLUMNS_MAX:
            continue
        values = [row.get(column) for row in rows]
        if all(value is None or isinstance(value, (str, int, float, bool)) for value in values) and \
                len({str(value) for value in values}) <= SLICE_VALUES_MAX:
            kept[column] = values
    return kept or None


def _example_id(row: dict[str, Any], mapping: ColumnMapping, index: int, where: str) -> ExampleId:
    if mapping.id is None:
        return index
    value = row.get(mapping.id)
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise DatasetFormatError(
            f"{where}, row {index}: id {value!r} in column {mapping.id!r} is not a non-empty string or integer."
        )
    return value


def _text(row: dict[str, Any], column: str | None, example_id: ExampleId, where: str) -> str:
    value = row.get(column)
    if not isinstance(value, str):
        raise DatasetFormatError(
            f"{where}, example {example_id!r}: column {column!r} holds {value!r}, not text; every example needs a string."
        )
    return value


def _label(value: Any, names: list[str] | None, example_id: ExampleId, split: str, where: str) -> str:
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        raise DatasetFormatError(
            f"{where}, split {split!r}: example {example_id!r} has no label; every example of an evaluation split needs one."
        )
    if names is not None and isinstance(value, int) and not isinstance(value, bool):
        if value == -1:
            raise DatasetFormatError(f"{where}, split {split!r}: example {example_id!r} has label -1 (unlabelled).")
        return names[value]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dict, list)):
        raise DatasetFormatError(f"{where}, example {example_id!r}: label {value!r} is not a single value.")
    return str(value)


def _label_sort_key(label: str) -> tuple[int, float, str]:
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label)
