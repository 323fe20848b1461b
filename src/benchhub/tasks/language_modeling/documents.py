"""Language-modeling data: one document a row (its text column), or a plain-text file of documents separated by
blank lines. A document must hold at least one byte (an empty one has nothing to score)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from benchhub.data.readers import Table
from benchhub.data.records import ColumnMapping, Split
from benchhub.errors import DatasetFormatError

TEXT_SUFFIX = ".txt"
_BLANK_LINES = re.compile(r"\n[ \t\r\f\v]*\n")


def read_text_documents(path: Path) -> Table:
    """A .txt file (UTF-8) as a table of documents, column "text": its paragraphs between blank lines, each without
    the whitespace around it; ids are their 0-based positions."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DatasetFormatError(f"{path} is not valid UTF-8 (byte {error.start}); re-save the file as UTF-8.") from error
    documents = [part.strip() for part in _BLANK_LINES.split(text.replace("\r\n", "\n"))]
    rows = [{"text": document} for document in documents if document]
    if not rows:
        raise DatasetFormatError(f"{path} holds no text; give documents separated by blank lines.")
    return Table(columns=["text"], rows=rows)


def build_document_splits(tables: dict[str, Table], mapping: ColumnMapping, *,
                          origin: dict[str, str]) -> tuple[dict[str, Split], list[str]]:
    """Splits of documents (the split's texts); there is no label set."""
    from benchhub.data.splits import build_splits

    def non_empty(row: dict[str, Any], example_id: Any, text: str, pair: str | None, where: str, split: str) -> dict[str, Any]:
        if not text:
            raise DatasetFormatError(f"{where}, split {split!r}: document {example_id!r} is empty; a document needs at "
                                     "least one byte to score (drop the row).")
        return {}

    splits, _ = build_splits(tables, mapping, origin=origin, read_fields=non_empty)
    return splits, []
