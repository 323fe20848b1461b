"""Registering token-classification data: CoNLL column files, or tables with a tokens and a tags column.

A CoNLL file (`.conll`, `.txt`, `.iob`) becomes a table of rows {tokens, tags} (the tag from its last
column, or from the column `--tags-column N` names). A folder of CoNLL files gives one split per file
(`train.conll` -> train). Other sources are read as for every family (JSONL, Parquet, `save_to_disk`,
hub ids); their tags column is `--tags-column`, else `tags`, else `ner_tags` (the `conll2003` layout),
holding tag names or the ids of a `Sequence(ClassLabel)` feature.
"""

from __future__ import annotations

from pathlib import Path

from benchhub.data.readers import Table, read_file, read_source
from benchhub.data.records import ColumnMapping, Split
from benchhub.data.splits import partition_rows
from benchhub.errors import BenchhubError, DatasetFormatError
from benchhub.tasks.token_classification.conll import CONLL_SUFFIXES, read_conll
from benchhub.tasks.token_classification.schemes import split_tag
from benchhub.tasks.token_classification.splits import build_tagging_split

DEFAULT_TAGS = ("tags", "ner_tags")


def read_tagging_source(source: str, mapping: ColumnMapping, *, revision: str | None) -> dict[str, Table] | Table:
    path = Path(source).expanduser()
    if path.is_file() and path.suffix.lower() in CONLL_SUFFIXES:
        return read_tagging_file(path, mapping)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in CONLL_SUFFIXES)
        if files:
            return {p.stem: read_tagging_file(p, mapping) for p in files}
    return read_source(source, revision=revision)


def read_tagging_file(path: Path, mapping: ColumnMapping) -> Table:
    """A CoNLL file as rows of tokens and tags; any other file as `data.readers` reads it."""
    if path.suffix.lower() not in CONLL_SUFFIXES:
        return read_file(path)
    sentences = read_conll(path, tag_column=_tag_column(mapping))
    tokens, tags = mapping.fields["tokens"], _conll_tags_key(mapping)
    rows = [{tokens: list(s.tokens), tags: list(s.tags)} for s in sentences]
    return Table([tokens, tags], rows)


def build_tagging_splits(tables: dict[str, Table], mapping: ColumnMapping, *,
                         origin: dict[str, str]) -> tuple[dict[str, Split], list[str]]:
    """Validated splits, and the tag set: the `ClassLabel` names when the data has them, else every tag seen
    ("O" first, then by entity type and prefix)."""
    splits: dict[str, Split] = {}
    names: list[str] | None = None
    for name, (where, rows, table) in partition_rows(tables, mapping, origin=origin).items():
        tags_column = _tags_column(table, mapping)
        class_names = table.class_labels.get(tags_column)
        names = names or class_names
        splits[name] = build_tagging_split(name, rows, tokens_column=mapping.fields["tokens"], tags_column=tags_column,
                                           id_column=mapping.id, class_names=class_names, where=where)
    seen = {tag for split in splits.values() for sentence in split.field("tags") or [] for tag in sentence}
    if names is None:
        names = sorted(seen, key=_tag_order)
    return splits, list(names)


def _tag_column(mapping: ColumnMapping) -> int:
    """The CoNLL column of the tags: `--tags-column N` (1 is the first after the token; -1 the last), else the last."""
    value = mapping.fields.get("tags")
    if value is None:
        return -1
    try:
        return int(value)
    except ValueError:
        raise DatasetFormatError.naming(
            lambda spell: f"{spell.column('tags')} {value!r} names a column of a table; in a CoNLL file columns have "
                          "numbers (1 for the first after the token, -1 for the last)."
        ) from None


def _conll_tags_key(mapping: ColumnMapping) -> str:
    value = mapping.fields.get("tags")
    return "tags" if value is None or value.lstrip("-").isdigit() else value


def _tags_column(table: Table, mapping: ColumnMapping) -> str:
    named = mapping.fields.get("tags")
    if named is not None:  # a CoNLL column number: the file was read into "tags"
        return "tags" if named.lstrip("-").isdigit() else named
    return next((name for name in DEFAULT_TAGS if name in table.columns), DEFAULT_TAGS[0])


def _tag_order(tag: str) -> tuple[int, str, str]:
    if tag == "O":
        return (0, "", "")
    try:
        prefix, type_ = split_tag(tag)
    except BenchhubError:  # an odd tag sorts last; the scheme's validation names it
        return (2, tag, "")
    return (1, type_, prefix)
