"""Reading each example's reference texts: a string, or a non-empty list of strings (several references)."""

from __future__ import annotations

from typing import Any

from benchhub.data.records import ColumnMapping, ExampleId
from benchhub.data.splits import FieldsReader
from benchhub.errors import DatasetFormatError

# The Split field holding each example's references, always a list of strings.
REFERENCES = "references"


def references_reader(mapping: ColumnMapping) -> FieldsReader:
    """Reads one row's references from the mapping's target column."""
    column = mapping.fields[REFERENCES]

    def read(row: dict[str, Any], example_id: ExampleId, text: str, pair: str | None, where: str,
             split: str) -> dict[str, Any]:
        return {REFERENCES: reference_list(row.get(column), column, example_id, f"{where}, split {split!r}")}

    return read


def reference_list(value: Any, column: str, example_id: ExampleId, where: str) -> list[str]:
    """One example's references as a list of non-empty strings, or one line naming the example."""
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, (list, tuple)) or not texts:
        raise DatasetFormatError(
            f"{where}: example {example_id!r} has {str(value)[:40]!r} in column {column!r}; a reference is a string, "
            "and several references are a non-empty list of strings (in JSONL, JSON or Parquet)."
        )
    for position, text in enumerate(texts, start=1):
        if not isinstance(text, str):
            raise DatasetFormatError(
                f"{where}: example {example_id!r}: reference {position} in column {column!r} is "
                f"{type(text).__name__}, not a string."
            )
        if not text.strip():
            raise DatasetFormatError(
                f"{where}: example {example_id!r}: reference {position} in column {column!r} is empty; "
                "every reference needs text (drop the example or fill it in)."
            )
    return list(texts)
