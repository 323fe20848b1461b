"""Splits of examples in their canonical form, and their fingerprints."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

ExampleId = str | int


@dataclass(frozen=True)
class ColumnMapping:
    """Which source columns hold the text, the optional second text, the label, the id and the split."""

    text: str = "text"
    label: str | None = "label"
    id: str | None = None
    text_pair: str | None = None
    split: str | None = None
    answers: str | None = None
    tokens: str | None = None
    tags: str | None = None

    @classmethod
    def question_answering(cls, *, question: str = "question", context: str = "context", answers: str = "answers",
                           id: str | None = None, split: str | None = None) -> ColumnMapping:
        """The mapping of a QA dataset: questions as texts, contexts as second texts, gold answers.

        Without an id column the "id" column is used when every source has one, else the row index.
        """
        return cls(text=question, text_pair=context, label=None, id=id, split=split, answers=answers)

    def to_dict(self) -> dict[str, str | None]:
        if self.tokens is not None:
            return {"tokens": self.tokens, "tags": self.tags, "id": self.id, "split": self.split}
        if self.answers is not None:
            return {"question": self.text, "context": self.text_pair, "answers": self.answers, "id": self.id, "split": self.split}
        return {"text": self.text, "text_pair": self.text_pair, "label": self.label, "id": self.id, "split": self.split}


@dataclass(frozen=True)
class DatasetFacts:
    """What a task needs to know about the dataset beyond the split: its labels and options."""

    labels: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Split:
    """One split in canonical form: parallel lists, one entry per example, in source order."""

    name: str
    ids: list[ExampleId]
    texts: list[str]
    text_pairs: list[str] | None = None
    labels: list[str] | None = None
    answers: list[dict[str, list[Any]]] | None = None
    # Token classification: the words of each sentence and one gold tag per word (texts hold the words
    # joined by spaces, so length slices and text views work unchanged).
    tokens: list[list[str]] | None = None
    tags: list[list[str]] | None = None
    _fingerprint: str | None = field(default=None, repr=False)
    # The source's other categorical columns (name -> one value per example), kept for slicing only:
    # stored beside the split, outside its rows and fingerprint (see `write_columns`).
    columns: dict[str, list[Any]] | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def has_labels(self) -> bool:
        return self.labels is not None

    @property
    def has_references(self) -> bool:
        """Whether the split carries what a task scores against (gold labels, answers or tags)."""
        return self.labels is not None or self.answers is not None or self.tags is not None

    def label_counts(self) -> dict[str, int]:
        """Examples per gold label; for question answering, answerable vs unanswerable questions; for
        token classification, words per gold tag."""
        if self.tags is not None:
            return dict(sorted(Counter(tag for sentence in self.tags for tag in sentence).items()))
        if self.answers is not None:
            unanswerable = sum(1 for answer in self.answers if not answer["text"])
            return {"answerable": len(self.answers) - unanswerable, "unanswerable": unanswerable}
        return dict(sorted(Counter(self.labels or []).items()))

    def rows(self) -> list[dict[str, Any]]:
        pairs = self.text_pairs or [None] * len(self)
        labels = self.labels or [None] * len(self)
        rows = [
            {"id": i, "text": t, "text_pair": p, "label": y}
            for i, t, p, y in zip(self.ids, self.texts, pairs, labels, strict=True)
        ]
        if self.answers is not None:
            # Only QA rows carry the key, so classification fingerprints stay as they were.
            for row, answers in zip(rows, self.answers, strict=True):
                row["answers"] = answers
        if self.tokens is not None:
            # Only token-classification rows carry these keys (the other families' fingerprints stay as they were).
            tags = self.tags or [None] * len(self)
            for row, words, word_tags in zip(rows, self.tokens, tags, strict=True):
                row["tokens"] = words
                row["tags"] = word_tags
        return rows

    def subset(self, positions: Sequence[int]) -> Split:
        """The split of the examples at `positions`, in that order (slicing columns kept)."""
        def pick(values: list[Any] | None) -> list[Any] | None:
            return None if values is None else [values[i] for i in positions]

        columns = None if self.columns is None else {name: pick(values) for name, values in self.columns.items()}
        return Split(self.name, pick(self.ids) or [], pick(self.texts) or [], pick(self.text_pairs), pick(self.labels),
                     pick(self.answers), pick(self.tokens), pick(self.tags), columns=columns)

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
        ids, texts, pairs, labels, answers, tokens, tags = [], [], [], [], [], [], []
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                ids.append(row["id"])
                texts.append(row["text"])
                pairs.append(row["text_pair"])
                labels.append(row["label"])
                answers.append(row.get("answers"))
                tokens.append(row.get("tokens"))
                tags.append(row.get("tags"))
        has_pairs = any(p is not None for p in pairs)
        has_labels = bool(labels) and all(y is not None for y in labels)
        has_answers = bool(answers) and all(a is not None for a in answers)
        has_tokens = bool(tokens) and all(t is not None for t in tokens)
        has_tags = has_tokens and all(t is not None for t in tags)
        columns_path = path.with_suffix(".columns.json")
        columns = json.loads(columns_path.read_text(encoding="utf-8")) if columns_path.is_file() else None
        return cls(name, ids, texts, pairs if has_pairs else None, labels if has_labels else None,
                   answers if has_answers else None, tokens if has_tokens else None, tags if has_tags else None,
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
