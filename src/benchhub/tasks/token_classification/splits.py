"""Token-classification splits from table rows (a list of tokens and a list of tags a row) or CoNLL sentences.

Every sentence is checked once here, so the rest of the family can trust a Split's tokens and tags:
tokens are non-empty strings without whitespace (a Split's texts are the tokens joined by spaces,
and a token holding a space would come back as two), there is one tag per token, and a sentence
has at least one token (CoNLL files have no empty sentences; an empty one is a conversion bug).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benchhub.data.records import ExampleId, Split
from benchhub.errors import ColumnNotFoundError, DatasetFormatError
from benchhub.tasks.token_classification.conll import Sentence


def build_tagging_split(name: str, rows: Sequence[dict[str, Any]], *, tokens_column: str, tags_column: str | None,
                        id_column: str | None = None, class_names: Sequence[str] | None = None, where: str) -> Split:
    """Builds a split from rows whose `tokens_column` holds a list of strings and `tags_column` a list of tags.

    Tags are tag names, or integer ids into `class_names` (the names of a `Sequence(ClassLabel)`
    feature, as `Table.class_labels` carries them). Without `tags_column` the split has no tags (an
    unlabelled split); without `id_column` the ids are the row positions.
    """
    ids: list[ExampleId] = []
    tokens: list[list[str]] = []
    tags: list[list[str]] | None = [] if tags_column is not None else None
    wanted = {"tokens_column": tokens_column, "tags_column": tags_column, "id_column": id_column}
    for index, row in enumerate(rows):
        for option, column in wanted.items():
            if column is not None and column not in row:
                raise ColumnNotFoundError(f"Column {column!r} not in {where}, split {name!r}, row {index}. "
                                          f"Current columns: {list(row)}. Name the right one as {option}.")
        example_id = _example_id(row, id_column, index, name, where)
        at = f"{where}, split {name!r}, sentence {example_id!r}"
        ids.append(example_id)
        tokens.append(_tokens(row[tokens_column], tokens_column, at))
        if tags is not None:
            tags.append(_tags(row[tags_column], tags_column, len(tokens[-1]), class_names, at))
    return _split(name, ids, tokens, tags, where)


def split_from_sentences(name: str, sentences: Sequence[Sentence], ids: Sequence[ExampleId] | None = None, *,
                         where: str = "CoNLL file") -> Split:
    """Builds a split from the sentences of a CoNLL file; the ids are 0..n-1 unless given."""
    if ids is not None and len(ids) != len(sentences):
        raise DatasetFormatError(f"{where}, split {name!r}: {len(ids)} ids for {len(sentences)} sentences; give one id per sentence.")
    ids = list(range(len(sentences))) if ids is None else list(ids)
    tokens: list[list[str]] = []
    tags: list[list[str]] = []
    for example_id, sentence in zip(ids, sentences, strict=True):
        line = f" (line {sentence.line})" if sentence.line else ""
        at = f"{where}, split {name!r}, sentence {example_id!r}{line}"
        tokens.append(_tokens(list(sentence.tokens), "tokens", at))
        tags.append(_tags(list(sentence.tags), "tags", len(tokens[-1]), None, at))
    return _split(name, ids, tokens, tags, where)


def _split(name: str, ids: list[ExampleId], tokens: list[list[str]], tags: list[list[str]] | None, where: str) -> Split:
    if not ids:
        raise DatasetFormatError(f"{where}: split {name!r} has no sentences; a split needs at least one.")
    seen: set[str] = set()
    for example_id in ids:
        if str(example_id) in seen:
            raise DatasetFormatError(f"{where}, split {name!r}: duplicate sentence id {example_id!r}; every sentence id must be unique.")
        seen.add(str(example_id))
    return Split(name, ids, [" ".join(words) for words in tokens], fields={"tokens": tokens, **({"tags": tags} if tags is not None else {})})


def _example_id(row: dict[str, Any], column: str | None, index: int, name: str, where: str) -> ExampleId:
    if column is None:
        return index
    value = row.get(column)
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise DatasetFormatError(f"{where}, split {name!r}, row {index}: id {value!r} in column {column!r} "
                                 "is not a non-empty string or integer.")
    return value


def _tokens(value: Any, column: str, at: str) -> list[str]:
    if not isinstance(value, (list, tuple)):
        raise DatasetFormatError(f"{at}: column {column!r} holds {type(value).__name__}, not a list of tokens.")
    if not value:
        raise DatasetFormatError(f"{at} has no tokens; drop empty sentences, every sentence needs at least one token.")
    for position, token in enumerate(value, start=1):
        if not isinstance(token, str):
            raise DatasetFormatError(f"{at}: token {position} is {type(token).__name__} {token!r}, not a string.")
        if not token:
            raise DatasetFormatError(f"{at}: token {position} is empty; every token needs at least one character.")
        if any(ch.isspace() for ch in token):
            raise DatasetFormatError(f"{at}: token {position} {token!r} holds whitespace; texts join tokens with spaces, "
                                     "so split it into tokens or replace the space.")
    return list(value)


def _tags(value: Any, column: str, count: int, names: Sequence[str] | None, at: str) -> list[str]:
    if not isinstance(value, (list, tuple)):
        raise DatasetFormatError(f"{at}: column {column!r} holds {type(value).__name__}, not a list of tags.")
    if len(value) != count:
        raise DatasetFormatError(f"{at} has {count} tokens and {len(value)} tags; give one tag per token.")
    return [_tag(tag, position, names, at) for position, tag in enumerate(value, start=1)]


def _tag(tag: Any, position: int, names: Sequence[str] | None, at: str) -> str:
    if isinstance(tag, int) and not isinstance(tag, bool):
        if names is None:
            raise DatasetFormatError(f"{at}: tag {position} is the integer {tag} but the tags have no names; "
                                     "give tag names, or a Sequence(ClassLabel) column whose names the ids index.")
        if not 0 <= tag < len(names):
            raise DatasetFormatError(f"{at}: tag {position} is {tag}, out of range for {len(names)} tag names; use 0 to {len(names) - 1}.")
        return names[tag]
    if not isinstance(tag, str):
        raise DatasetFormatError(f"{at}: tag {position} is {type(tag).__name__} {tag!r}, not a tag name or an integer id.")
    if not tag or any(ch.isspace() for ch in tag):
        raise DatasetFormatError(f"{at}: tag {position} {tag!r} is empty or holds whitespace; a tag is one word such as 'B-PER'.")
    return tag
