"""Contamination checks of a dataset: the share of a split's items that share an n-gram with its train split or a corpus.

Registration checks every other split against the train split; `benchhub dataset contamination` checks against a
corpus file (or the train split again, with another n). A check is a small document stored on the dataset row
(`DatasetRow.contamination`, the newest per split and reference): the counts, and the first flagged items. Boards
and the dataset page flag every check with at least one flagged item (a share above 0). Of a split a hosted
benchmark hides, views show the counts only, never which items (`shown_check`).

How items and n-grams compare is `data/contamination.py`'s (lm-evaluation-harness's 13-gram definition); which text
of an item counts is its family's (`Task.contamination_texts`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchhub.data.contamination import (
    DEFAULT_NGRAM,
    Overlap,
    find_overlap,
    reference_ngrams,
)
from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.tasks.base import Task

TRAIN = "train"
SHOWN_ITEMS = 5  # flagged items a check keeps (its first), to show beside the share
ITEM_TEXT_MAX = 120
CORPUS_FORMATS = "a .txt file (documents separated by blank lines) or a .jsonl file ({\"text\": ...} a line)"


def train_checks(task: Task, splits: dict[str, Split], *, ngram: int = DEFAULT_NGRAM,
                 only: list[str] | None = None) -> list[dict[str, Any]]:
    """Every split but train (or those in `only`) checked against the train split; none without one."""
    if TRAIN not in splits:
        return []
    reference = reference_ngrams(task.contamination_texts(splits[TRAIN]), ngram=ngram)
    return [check_document(task, split, find_overlap(task.contamination_texts(split), reference, ngram=ngram), TRAIN)
            for name, split in splits.items() if name != TRAIN and (only is None or name in only)]


def corpus_checks(task: Task, splits: list[Split], corpus: Path, *, ngram: int = DEFAULT_NGRAM) -> list[dict[str, Any]]:
    """Each split checked against the documents of a corpus file; the file is read once, and refused whole
    (nothing checked) where it is not what `CORPUS_FORMATS` says."""
    path = Path(corpus).expanduser()
    if not path.is_file():
        raise InvalidInputError(f"--corpus {corpus}: no such file; give {CORPUS_FORMATS}.")
    if path.suffix.lower() not in (".txt", ".jsonl"):
        raise InvalidInputError(f"--corpus {corpus}: {path.suffix or 'no suffix'} is not read; give {CORPUS_FORMATS}.")
    counted = {"documents": 0}

    def documents() -> Iterator[str]:
        for document in _corpus_documents(path):
            counted["documents"] += 1
            yield document

    reference = reference_ngrams(documents(), ngram=ngram)
    if not counted["documents"]:
        raise InvalidInputError(f"--corpus {corpus} holds no documents; give {CORPUS_FORMATS}.")
    source = {"name": path.name, "sha256": _sha256(path), "documents": counted["documents"]}
    return [{**check_document(task, split, find_overlap(task.contamination_texts(split), reference, ngram=ngram),
                              f"corpus {path.name}"), "corpus": source} for split in splits]


def check_document(task: Task, split: Split, overlap: Overlap, against: str) -> dict[str, Any]:
    """What is stored of one check: the counts and the first flagged items (id and text, shortened)."""
    texts = task.contamination_texts(split.subset(overlap.flagged[:SHOWN_ITEMS])) if overlap.flagged else []
    return {"split": split.name, "against": against, "ngram": overlap.ngram, "items": overlap.items,
            "flagged": len(overlap.flagged), "share": overlap.share, "too_short": overlap.too_short,
            "examples": [{"id": split.ids[position], "text": _short(text)}
                         for position, text in zip(overlap.flagged, texts)],
            "checked_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def with_checks(stored: list[dict[str, Any]] | None, checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored checks with `checks` in place of those of the same split and reference."""
    replaced = {(check["split"], check["against"]) for check in checks}
    return [*(check for check in stored or [] if (check["split"], check["against"]) not in replaced), *checks]


def flags(stored: list[dict[str, Any]] | None, split: str) -> list[dict[str, Any]]:
    """The checks of `split` that flag an item (share above 0), as boards show them: counts and a sentence."""
    return [{key: check[key] for key in ("against", "ngram", "items", "flagged", "share", "too_short")}
            | {"note": flag_text(check)} for check in stored or [] if check["split"] == split and check["flagged"] > 0]


def flag_text(check: dict[str, Any]) -> str:
    """"contamination: 30% of test items (3 of 10) share a 13-gram with train", and the items too short to check."""
    share = check["share"]
    percent = f"{share:.1%}" if 0 < share < 0.01 else f"{share:.0%}"
    text = (f"contamination: {percent} of {check['split']} items ({check['flagged']} of {check['items']}) share a "
            f"{check['ngram']}-gram with {check['against']}")
    if check["too_short"]:
        text += f"; {check['too_short']} items shorter than {check['ngram']} words could not be checked"
    return text + "."


def shown_check(check: dict[str, Any], *, hidden: bool) -> dict[str, Any]:
    """A check as a viewer may see it: of a hidden split (or one checked against a hidden train split) the counts
    only, since which items overlap is per-example signal from data the viewer must not read."""
    shown = {key: value for key, value in check.items() if key != "examples"}
    return shown if hidden else {**shown, "examples": list(check.get("examples", []))}


def _corpus_documents(path: Path) -> Iterator[str]:
    """The documents of a corpus file, read line by line (a large corpus is never held whole)."""
    with path.open(encoding="utf-8-sig", errors="strict") as handle:
        try:
            if path.suffix.lower() == ".jsonl":
                for number, line in enumerate(handle, start=1):
                    if line.strip():
                        yield _jsonl_document(path, number, line)
                return
            paragraph: list[str] = []
            for line in handle:
                if line.strip():
                    paragraph.append(line)
                elif paragraph:
                    yield "".join(paragraph)
                    paragraph = []
            if paragraph:
                yield "".join(paragraph)
        except UnicodeDecodeError as error:
            raise InvalidInputError(f"--corpus {path} is not valid UTF-8 (byte {error.start} of a line); "
                                    "re-save the file as UTF-8.") from error


def _jsonl_document(path: Path, number: int, line: str) -> str:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        raise InvalidInputError(f"--corpus {path}, line {number}: not JSON ({error.msg}); give {CORPUS_FORMATS}.") from error
    text = value.get("text") if isinstance(value, dict) else value
    if not isinstance(text, str):
        raise InvalidInputError(f"--corpus {path}, line {number}: no \"text\" string; give {CORPUS_FORMATS}.")
    return text


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= ITEM_TEXT_MAX else text[: ITEM_TEXT_MAX - 1] + "…"
