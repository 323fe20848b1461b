"""Reading and writing CoNLL-style column files: one token a line, sentences separated by blank lines.

    EU NNP B-NP B-ORG
    rejects VBZ B-VP O
    German JJ B-NP B-MISC
    ...
    (blank line)

The token is the first column and the tag the last one, unless `tag_column` names another (an
index into the row, negative counting from the end, as in Python). Columns are separated by
runs of spaces or tabs; other Unicode spaces stay inside a token (and a split refuses such a
token, see splits.py). `-DOCSTART-` lines end a sentence and are skipped. Comments are not supported: CoNLL-2003 has none and "#" is a token
there, so a line starting with "#" is a row like any other (a CoNLL-U comment line then fails
on its column count, and the message says comments are not supported).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from benchhub.errors import DatasetFormatError
from benchhub.units import human_bytes

CONLL_SUFFIXES = (".conll", ".txt", ".iob")
CONLL_FILE_LIMIT = 1024**3  # data/readers.py sets no file size limit; a CoNLL-2003 split is about 3 MB
DOCSTART = "-DOCSTART-"
_COLUMN_SEPARATOR = re.compile(r"[ \t]+")


@dataclass(frozen=True)
class Sentence:
    """One sentence of a column file: its tokens, one tag per token, and the line it starts on (1-based)."""

    tokens: tuple[str, ...]
    tags: tuple[str, ...]
    line: int = 0


def read_conll(path: Path, *, tag_column: int = -1) -> list[Sentence]:
    """Reads the sentences of a CoNLL column file, in file order."""
    if tag_column == 0:
        raise DatasetFormatError(f"{path}: tag column 0 is the token column; choose the tag column with an index from 1 (or -1, the last).")
    text = _read_text(path)
    sentences: list[Sentence] = []
    rows: list[tuple[int, list[str]]] = []

    def close() -> None:
        if rows:
            sentences.append(_sentence(path, rows, len(sentences) + 1, tag_column))
            rows.clear()

    for number, line in enumerate(io.StringIO(text, newline=None), start=1):
        fields = _COLUMN_SEPARATOR.split(line.rstrip("\n").strip(" \t"))
        if fields == [""] or fields[0] == DOCSTART:
            close()
        else:
            rows.append((number, fields))
    close()
    if not sentences:
        raise DatasetFormatError(f"{path} has no sentences; a CoNLL file needs rows of a token and a tag, sentences separated by blank lines.")
    return sentences


def _sentence(path: Path, rows: list[tuple[int, list[str]]], index: int, tag_column: int) -> Sentence:
    first_line, first = rows[0]
    width = len(first)
    for number, fields in rows:
        where = f"{path}, line {number} (sentence {index})"
        if len(fields) == 1:
            raise DatasetFormatError(f"{where}: one column where a token and a tag need two; separate them with a space or a tab.")
        if len(fields) != width:
            hint = "; comment lines are not supported, remove them" if fields[0].startswith("#") or first[0].startswith("#") else ""
            raise DatasetFormatError(f"{where}: {len(fields)} columns where the sentence's first row (line {first_line}) has {width}; "
                                     f"every row of a sentence needs the same columns{hint}.")
    if not -width <= tag_column < width or tag_column % width == 0:
        raise DatasetFormatError(f"{path}, line {first_line} (sentence {index}): no tag column {tag_column} in rows of {width} columns "
                                 f"(the token is column 0); choose tag_column from 1 to {width - 1}, or -1 to -{width - 1}.")
    return Sentence(tuple(fields[0] for _, fields in rows), tuple(fields[tag_column] for _, fields in rows), first_line)


def _read_text(path: Path) -> str:
    if path.suffix.lower() not in CONLL_SUFFIXES:
        raise DatasetFormatError(f"{path.name}: unknown file type {path.suffix.lower() or '(none)'!r} for a CoNLL file; "
                                 f"use one of {', '.join(CONLL_SUFFIXES)}.")
    if not path.exists():
        raise DatasetFormatError(f"No such file: {path}. Give the path of a CoNLL file ({', '.join(CONLL_SUFFIXES)}).")
    if not path.is_file():
        raise DatasetFormatError(f"{path} is not a regular file (a folder, a pipe, a device or a socket); give a CoNLL file.")
    with path.open("rb") as handle:
        data = handle.read(CONLL_FILE_LIMIT + 1)
    if len(data) > CONLL_FILE_LIMIT:
        raise DatasetFormatError(f"{path} is larger than {human_bytes(CONLL_FILE_LIMIT)}, the limit for a CoNLL file; split it into smaller files.")
    if not data:
        raise DatasetFormatError(f"{path} is empty; a CoNLL file needs rows of a token and a tag, sentences separated by blank lines.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DatasetFormatError(f"{path} is not valid UTF-8: byte 0x{data[exc.start]:02x} on line {line}; "
                                 f"re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`).") from exc


def write_conll(path: Path, sentences: Iterable[Sentence]) -> None:
    """Writes sentences as "token tag" lines, a blank line after each sentence, UTF-8 with \\n line ends."""
    lines: list[str] = []
    for index, sentence in enumerate(sentences, start=1):
        if len(sentence.tokens) != len(sentence.tags) or not sentence.tokens:
            raise DatasetFormatError(f"{path}, sentence {index}: {len(sentence.tokens)} tokens and {len(sentence.tags)} tags; "
                                     "a sentence to write needs at least one token and one tag per token.")
        for value in (*sentence.tokens, *sentence.tags):
            if not value or any(ch.isspace() for ch in value):
                raise DatasetFormatError(f"{path}, sentence {index}: {value!r} is empty or holds whitespace, which would break "
                                         "the columns; tokens and tags must be single words.")
        lines.extend(f"{token} {tag}\n" for token, tag in zip(sentence.tokens, sentence.tags, strict=True))
        lines.append("\n")
    path.write_text("".join(lines), encoding="utf-8", newline="\n")
