"""Multiple-choice splits from table rows: a question, a list of choices and the answer, per row.

The choices are a list of strings (JSONL, JSON, Parquet, hub data), a JSON list in a CSV cell
(`"[""Paris"", ""Rome""]"`), or the hub's ARC layout `{"text": [...], "label": ["A", "B", ...]}`. The
answer is a 0-based index (a number, or digits in a CSV cell), the text of one choice (the first equal
one), or, in the ARC layout, one of the choices' labels. Every choice is a non-empty string: acc_norm
divides a choice's log-likelihood by its length. A split keeps the questions as its texts and the
family's fields `choices` and `gold` (the answer's index); an inputs file's split has no `gold`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from benchhub.data.readers import Table
from benchhub.data.records import ColumnMapping, ExampleId, Split
from benchhub.data.splits import effective_mapping, partition_rows
from benchhub.errors import ColumnNotFoundError, DatasetFormatError

CHOICES, GOLD = "choices", "gold"


def build_choice_splits(tables: dict[str, Table], mapping: ColumnMapping, *,
                        origin: dict[str, str]) -> tuple[dict[str, Split], list[str]]:
    """Validated splits, and the positions a question's choices take ("0", "1", ...: the label set, from the
    largest number of choices, which says nothing of the answers)."""
    mapping = effective_mapping(tables, mapping)
    splits = {}
    for name, (where, rows, _) in partition_rows(tables, mapping, origin=origin).items():
        splits[name] = build_choice_split(name, rows, mapping, where=where)
    widest = max(len(choices) for split in splits.values() for choices in split.field(CHOICES) or [])
    return splits, [str(position) for position in range(widest)]


def build_choice_split(name: str, rows: Sequence[dict[str, Any]], mapping: ColumnMapping, *, where: str,
                       with_gold: bool = True) -> Split:
    """One split from rows that hold the mapping's question, choices and (`with_gold`) answer columns."""
    question, choices_column, answer = mapping.text, mapping.fields[CHOICES], mapping.fields["answer"]
    wanted = {"--question-column": question, "--choices-column": choices_column, "--id-column": mapping.id,
              **({"--answer-column": answer} if with_gold else {})}
    ids: list[ExampleId] = []
    questions: list[str] = []
    choices: list[list[str]] = []
    gold: list[int] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        for option, column in wanted.items():
            if column is not None and column not in row:
                raise ColumnNotFoundError(f"Column {column!r} not in {where}, split {name!r}, row {index}. "
                                          f"Current columns: {list(row)}. Name the right one with {option}.")
        example_id = _example_id(row, mapping.id, index, name, where)
        if str(example_id) in seen:
            raise DatasetFormatError(f"{where}, split {name!r}: duplicate id {example_id!r}; every example id must be unique.")
        seen.add(str(example_id))
        at = f"{where}, split {name!r}, question {example_id!r}"
        if not isinstance(row[question], str):
            raise DatasetFormatError(f"{at}: column {question!r} holds {row[question]!r:.60}, not text; every question needs a string.")
        texts, labels = _choices(row[choices_column], choices_column, at)
        ids.append(example_id)
        questions.append(row[question])
        choices.append(texts)
        if with_gold:
            gold.append(_answer(row[answer], texts, labels, answer, at))
    if not ids:
        raise DatasetFormatError(f"{where}: split {name!r} has no rows.")
    return Split(name, ids, questions, fields={CHOICES: choices, **({GOLD: gold} if with_gold else {})})


def _example_id(row: dict[str, Any], column: str | None, index: int, name: str, where: str) -> ExampleId:
    if column is None:
        return index
    value = row.get(column)
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise DatasetFormatError(f"{where}, split {name!r}, row {index}: id {value!r} in column {column!r} "
                                 "is not a non-empty string or integer.")
    return value


def _choices(value: Any, column: str, at: str) -> tuple[list[str], list[str] | None]:
    """The choice texts, and their labels in the ARC layout (else None)."""
    labels = None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise DatasetFormatError(f"{at}: column {column!r} holds the text {value!r:.60}, not a list of choices; "
                                     'in a CSV cell give them as a JSON list, e.g. ["Paris", "Rome"].') from None
    if isinstance(value, dict) and "text" in value:
        labels = value.get("label")
        value = value["text"]
        labels = None if labels is None else list(labels)
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        raise DatasetFormatError(f"{at}: column {column!r} holds {type(value).__name__}, not a list of choices.")
    if len(value) < 2:
        raise DatasetFormatError(f"{at} has {len(value)} choice(s); a question needs at least two.")
    for position, text in enumerate(value):
        if not isinstance(text, str) or not text:
            raise DatasetFormatError(f"{at}: choice {position} is {text!r:.60}; every choice must be a non-empty string "
                                     "(acc_norm divides by its length).")
    if labels is not None and (len(labels) != len(value) or not all(isinstance(label, str) for label in labels)):
        raise DatasetFormatError(f"{at}: the choices' labels {labels!r:.60} must be one string per choice.")
    return list(value), labels


def _answer(value: Any, choices: list[str], labels: list[str] | None, column: str, at: str) -> int:
    """The index of the right choice."""
    allowed = (f"give a 0-based index (0 to {len(choices) - 1}) or the text of one choice"
               + (" or its label" if labels is not None else ""))
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        if value in choices:
            return choices.index(value)
        if labels is not None and value in labels:
            return labels.index(value)
        if value.strip().isdigit():
            value = int(value.strip())
        else:
            raise DatasetFormatError(f"{at}: answer {value!r:.60} in column {column!r} is none of the choices; {allowed}.")
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        what = "no answer" if value is None else f"answer {value!r:.60}"
        raise DatasetFormatError(f"{at} has {what} in column {column!r}; {allowed}.")
    if not 0 <= value < len(choices):
        raise DatasetFormatError(f"{at}: answer {value} is out of range for {len(choices)} choices; {allowed}.")
    return int(value)
