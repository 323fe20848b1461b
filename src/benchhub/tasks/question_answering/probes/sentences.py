"""A deterministic sentence splitter for QA contexts, and where the gold answers sit among its sentences.

Sentences come back as character spans `(start, end)` into the context, so probes can move or drop
sentences and still move every answer_start with its text. The rule is small and predictable: a
sentence ends at `.`, `!` or `?` (plus any closing quotes or brackets) when whitespace and then an
uppercase letter, a digit or an opening quote follow, unless the word before the period is a known
abbreviation ("Dr.", "St.", "e.g."), an initial ("J. R. R. Tolkien") or a dotted acronym ("U.S.").
Decimals ("3.5") never split, as no whitespace follows their period. Text between sentences is
whitespace only, so the spans cover every non-space character of the context.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Lowercased, without their final period; a period after one of these does not end a sentence.
ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "ft", "rev", "hon", "gen", "col", "lt",
    "capt", "cpt", "sgt", "maj", "gov", "sen", "rep", "pres", "fr", "sra", "no", "nos", "vol", "vols",
    "fig", "figs", "pp", "vs", "v", "ca", "approx", "cf", "al", "e.g", "i.e", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
})

_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")

Span = tuple[int, int]


def sentence_spans(text: str) -> list[Span]:
    """The sentences of `text` as `(start, end)` spans, in order, without surrounding whitespace."""
    spans: list[Span] = []
    start = _skip_space(text, 0)
    for match in _BOUNDARY.finditer(text):
        if match.end() <= start or _is_abbreviation(text[start : match.end()], match):
            continue
        spans.append((start, match.end()))
        start = _skip_space(text, match.end())
    end = len(text.rstrip())
    if start < end:
        spans.append((start, end))
    return spans


def sentences(text: str) -> list[str]:
    """The sentence texts of `text`."""
    return [text[s:e] for s, e in sentence_spans(text)]


def sentence_of_span(spans: Sequence[Span], start: int, end: int) -> int | None:
    """The index of the sentence holding the whole of `[start, end)`, or None when no one sentence does."""
    for index, (s, e) in enumerate(spans):
        if s <= start and end <= e:
            return index
    return None


def overlapping_sentences(spans: Sequence[Span], start: int, end: int) -> list[int]:
    """The indexes of the sentences that share at least one character with `[start, end)`."""
    return [index for index, (s, e) in enumerate(spans) if s < end and start < e]


def answer_sentences(spans: Sequence[Span], answers: dict[str, list]) -> list[int | None]:
    """Per gold answer, the sentence that holds it (None where it crosses a sentence boundary)."""
    return [sentence_of_span(spans, start, start + len(text))
            for text, start in zip(answers["text"], answers["answer_start"], strict=True)]


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _is_abbreviation(sentence: str, match: re.Match[str]) -> bool:
    if match.group().rstrip("\"'”’)]") != ".":
        return False  # "!", "?" and "..." always end a sentence here
    word = _WORD_BEFORE.search(sentence[: len(sentence) - len(match.group()) + 1])
    if word is None:
        return False
    token = word.group(1)
    if token.lower() in ABBREVIATIONS:
        return True
    if len(token) == 1 and token.isupper():
        return True  # an initial: "J. R. R. Tolkien"
    return "." in token and all(len(part) == 1 for part in token.split("."))  # "U.S", "e.g"
