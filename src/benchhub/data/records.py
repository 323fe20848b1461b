"""Splits of examples in their canonical form, and their fingerprints."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

ExampleId = str | int


@dataclass(frozen=True)
class ColumnMapping:
    """Which source columns hold the text, the optional second text, the label, the id and the split.

    `fields` maps a family's own roles to columns (its references or structured inputs, e.g. gold
    answers); `roles` is the mapping as the family names it (role -> column), what a dataset shows
    and stores. `default_id` is a column used as the id when every source has it and none is named.
    """

    text: str = "text"
    label: str | None = "label"
    id: str | None = None
    text_pair: str | None = None
    split: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    roles: dict[str, str | None] | None = None
    default_id: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        if self.roles is not None:
            return {**self.roles, "id": self.id, "split": self.split}
        return {"text": self.text, "text_pair": self.text_pair, "label": self.label, "id": self.id, "split": self.split}


@dataclass(frozen=True)
class DatasetFacts:
    """What a task needs to know about the dataset beyond the split: its labels and options, and, where an
    evaluation scores, its task config (`settings`: what a family's scoring reads, e.g. code execution's limits)."""

    labels: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class Split:
    """One split in canonical form: parallel lists, one entry per example, in source order.

    `fields` holds a family's own per-example values (name -> one value per example, e.g. gold answers,
    or words and their tags), part of the rows and the fingerprint.
    """

    name: str
    ids: list[ExampleId]
    texts: list[str]
    text_pairs: list[str] | None = None
    labels: list[str] | None = None
    fields: dict[str, list[Any]] = field(default_factory=dict)
    _fingerprint: str | None = field(default=None, repr=False)
    # The source's other categorical columns (name -> one value per example), kept for slicing only:
    # stored beside the split, outside its rows and fingerprint (see `write_columns`).
    columns: dict[str, list[Any]] | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def has_labels(self) -> bool:
        return self.labels is not None

    def field(self, name: str) -> list[Any] | None:
        """The values of one of the family's fields, or None where the split has none."""
        return self.fields.get(name)

    def rows(self) -> list[dict[str, Any]]:
        pairs = self.text_pairs or [None] * len(self)
        labels = self.labels or [None] * len(self)
        rows = [
            {"id": i, "text": t, "text_pair": p, "label": y}
            for i, t, p, y in zip(self.ids, self.texts, pairs, labels, strict=True)
        ]
        # Only a family with fields adds keys to its rows (the others' fingerprints stay as they were).
        for key, values in self.fields.items():
            for row, value in zip(rows, values, strict=True):
                row[key] = value
        return rows

    def subset(self, positions: Sequence[int]) -> Split:
        """The split of the examples at `positions`, in that order (slicing columns kept)."""
        def pick(values: list[Any] | None) -> list[Any] | None:
            return None if values is None else [values[i] for i in positions]

        columns = None if self.columns is None else {name: pick(values) for name, values in self.columns.items()}
        fields = {name: [values[i] for i in positions] for name, values in self.fields.items()}
        return Split(self.name, pick(self.ids) or [], pick(self.texts) or [], pick(self.text_pairs), pick(self.labels),
                     fields, columns=columns)

    def joined_texts(self, separator: str = " [SEP] ") -> list[str]:
        """Texts with the second text appended, for models that read one string."""
        if self.text_pairs is None:
            return list(self.texts)
        return [f"{a}{separator}{b}" for a, b in zip(self.texts, self.text_pairs, strict=True)]

    @property
    def fingerprint(self) -> str:
        """SHA-256 over the canonical JSON lines of the rows, in order."""
        if self._fingerprint is None:
            digest = hashlib.sha256()
            for row in self.rows():
                digest.update(canonical_json(row).encode("utf-8"))
                digest.update(b"\n")
            self._fingerprint = digest.hexdigest()
        return self._fingerprint

    def write_jsonl(self, path: Path) -> None:
        with path.open("w", encoding="utf-8") as handle:
            for row in self.rows():
                handle.write(canonical_json(row) + "\n")

    def write_columns(self, path: Path) -> None:
        """Writes the slicing columns (if any) as one JSON document {column: [values]}."""
        if self.columns:
            path.write_text(canonical_json(self.columns), encoding="utf-8")

    @classmethod
    def read_jsonl(cls, name: str, path: Path) -> Split:
        ids, texts, pairs, labels = [], [], [], []
        fields: dict[str, list[Any]] = {}
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                ids.append(row.pop("id"))
                texts.append(row.pop("text"))
                pairs.append(row.pop("text_pair"))
                labels.append(row.pop("label"))
                for key, value in row.items():
                    fields.setdefault(key, [None] * (len(ids) - 1)).append(value)
                for values in fields.values():
                    if len(values) < len(ids):
                        values.append(None)
        has_pairs = any(p is not None for p in pairs)
        has_labels = bool(labels) and all(y is not None for y in labels)
        # A field some rows lack (None) is absent, as a label column is.
        fields = {key: values for key, values in fields.items() if all(v is not None for v in values)}
        columns_path = path.with_suffix(".columns.json")
        columns = json.loads(columns_path.read_text(encoding="utf-8")) if columns_path.is_file() else None
        return cls(name, ids, texts, pairs if has_pairs else None, labels if has_labels else None, fields,
                   columns=columns)


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def dataset_fingerprint(task: str, labels: list[str], splits: dict[str, Split]) -> str:
    """SHA-256 over the task, the label set and every split's fingerprint, by split name."""
    document = {
        "task": task,
        "labels": labels,
        "splits": {name: splits[name].fingerprint for name in sorted(splits)},
    }
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()
