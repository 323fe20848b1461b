"""Reading token-classification predictions files: JSONL `{"id", "tags"}`, or a CoNLL file of the same sentences.

JSONL: one object per sentence, `"tags"` a list with one tag per word of that sentence; every sentence
of the split exactly once, in any order. CoNLL (`.conll`/`.txt`/`.iob`): the split's sentences in
split order, each word on its line with its predicted tag in the last column, the words exactly the
split's. The first offending line, id or sentence is named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from benchhub.data.prediction_files import (
    MAX_BYTES,
    check_predictions_path,
    json_objects,
    placed_by_id,
    read_predictions_text,
    shown,
)
from benchhub.errors import DatasetFormatError, PredictionsFormatError
from benchhub.tasks.token_classification.conll import CONLL_SUFFIXES, read_conll


def is_conll(path: Path) -> bool:
    """Whether a predictions file is read as CoNLL (by its suffix; .txt too, when a split's file is given)."""
    return path.suffix.lower() in CONLL_SUFFIXES


def read_tag_predictions(path: Path, *, ids: Sequence[Any], tokens: Sequence[Sequence[str]], tags: Sequence[str],
                         max_bytes: int = MAX_BYTES) -> list[list[str]]:
    """Each sentence's predicted tags, in split order, checked against the split's words and the dataset's tags."""
    path = Path(path)
    check_predictions_path(path)
    if is_conll(path):
        return _from_conll(path, ids=ids, tokens=tokens, tags=tags, max_bytes=max_bytes)
    return _from_jsonl(path, ids=ids, tokens=tokens, tags=tags, max_bytes=max_bytes)


def read_tag_pairs(path: Path, *, max_bytes: int = MAX_BYTES) -> list[tuple[str, Any, list[str]]]:
    """Each sentence's (where, id, tags) for any split: the file's syntax checked, its ids and lengths not yet.
    A CoNLL file's sentences get the ids 0, 1, ... (its order is the split's)."""
    path = Path(path)
    check_predictions_path(path)
    if is_conll(path):
        return [(f"{path.name}, line {s.line}", index, list(s.tags)) for index, s in enumerate(_conll_sentences(path, max_bytes))]
    text = read_predictions_text(path, max_bytes)
    if not text.strip():
        raise PredictionsFormatError(f"{path} is empty; expected one prediction per sentence.")
    pairs = []
    for where, row in json_objects(path, text, keys=("id", "tags"), example='{"id": 0, "tags": ["B-PER", "O"]}'):
        raw_id, raw_tags = row["id"], row["tags"]
        if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
            raise PredictionsFormatError(f"{where}: id {shown(raw_id)} is not a string or integer.")
        if not isinstance(raw_tags, list) or not all(isinstance(tag, str) for tag in raw_tags):
            raise PredictionsFormatError(f'{where}: "tags" of id {shown(raw_id)} must be a list of tag strings, got {shown(raw_tags)}.')
        pairs.append((where, raw_id, list(raw_tags)))
    return pairs


def _from_jsonl(path: Path, *, ids: Sequence[Any], tokens: Sequence[Sequence[str]], tags: Sequence[str],
                max_bytes: int) -> list[list[str]]:
    allowed = set(tags)

    def place(where: str, raw_id: Any, index: int, raw_tags: list[str]) -> list[str]:
        _check_tags(where, raw_id, raw_tags, len(tokens[index]), allowed)
        return raw_tags

    return placed_by_id(path.name, read_tag_pairs(path, max_bytes=max_bytes), ids, noun="sentence", place=place)


def _from_conll(path: Path, *, ids: Sequence[Any], tokens: Sequence[Sequence[str]], tags: Sequence[str],
                max_bytes: int) -> list[list[str]]:
    sentences = _conll_sentences(path, max_bytes)
    if len(sentences) != len(ids):
        raise PredictionsFormatError(
            f"{path.name} holds {len(sentences)} sentences and the split {len(ids)}; give every sentence, in the split's order."
        )
    allowed = set(tags)
    for sentence, example_id, words in zip(sentences, ids, tokens, strict=True):
        where = f"{path.name}, line {sentence.line}"
        if list(sentence.tokens) != list(words):
            raise PredictionsFormatError(
                f"{where}: sentence {example_id!r} has the words {shown(' '.join(sentence.tokens))} where the split has "
                f"{shown(' '.join(words))}; keep the split's sentences and order."
            )
        _check_tags(where, example_id, list(sentence.tags), len(words), allowed)
    return [list(sentence.tags) for sentence in sentences]


def _conll_sentences(path: Path, max_bytes: int) -> list[Any]:
    size = path.stat().st_size
    if size > max_bytes:
        raise PredictionsFormatError(f"{path} is {size:,} bytes; the limit is {max_bytes:,}.")
    try:
        return read_conll(path)
    except DatasetFormatError as exc:
        raise PredictionsFormatError(str(exc)) from None


def _check_tags(where: str, example_id: Any, predicted: list[str], words: int, allowed: set[str]) -> None:
    if len(predicted) != words:
        raise PredictionsFormatError(
            f"{where}: id {shown(example_id)} has {len(predicted)} tags for {words} words; give one tag per word."
        )
    unknown = next((tag for tag in predicted if tag not in allowed), None)
    if unknown is not None:
        raise PredictionsFormatError(f"{where}: tag {shown(unknown)} for id {shown(example_id)} is not one of {sorted(allowed)}.")

