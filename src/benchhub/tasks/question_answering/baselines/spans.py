"""Word tokens with character offsets, sentences and the candidate answer spans they allow.

A span is a pair (i, j) of token indices, end exclusive; its text is
context[tokens[i].start:tokens[j - 1].end], so every answer is an exact substring of its context.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from benchhub.tasks.text_classification.baselines.tokens import STOPWORDS

TOKEN_PATTERN = re.compile(r"(?P<word>\w+(?:[-'\u2019]\w+)*)|(?P<mark>[^\w\s])")
SENTENCE_ENDS = frozenset(".!?")
WH_WORDS = frozenset({"who", "whom", "whose", "what", "when", "where", "which", "why", "how"})
SPAN_TYPES = ("number", "name", "phrase")


@dataclass(frozen=True, slots=True)
class Token:
    """One word or punctuation mark with its character span [start, end) and sentence index.

    key is the lowercase word with typographic apostrophes made ASCII, and "" for punctuation.
    """

    text: str
    start: int
    end: int
    sentence: int
    key: str

    @property
    def is_word(self) -> bool:
        """Whether the token is a word (letters, digits, inner hyphens or apostrophes)."""
        return bool(self.key)

    @property
    def is_content(self) -> bool:
        """Whether the token is a word that is not a stopword."""
        return bool(self.key) and self.key not in STOPWORDS


def tokenize(text: str) -> list[Token]:
    """Returns the tokens of text; a sentence ends at . ! or ? followed by whitespace or the end."""
    tokens: list[Token] = []
    sentence = 0
    for match in TOKEN_PATTERN.finditer(text):
        word = match.group()
        key = word.lower().replace("\u2019", "'") if match.lastgroup == "word" else ""
        tokens.append(Token(word, match.start(), match.end(), sentence, key))
        if word in SENTENCE_ENDS and (match.end() == len(text) or text[match.end()].isspace()):
            sentence += 1
    return tokens


def tokenize_each(texts: Iterable[str]) -> Iterator[list[Token]]:
    """Yields the tokens of every text, tokenizing a run of equal texts (one paragraph's questions) once."""
    previous: str | None = None
    tokens: list[Token] = []
    for text in texts:
        if text != previous:
            previous, tokens = text, tokenize(text)
        yield tokens


def sentence_ranges(tokens: Sequence[Token]) -> list[tuple[int, int]]:
    """Returns the (first, end) token indices of every sentence, in order."""
    ranges: list[tuple[int, int]] = []
    first = 0
    for index in range(1, len(tokens) + 1):
        if index == len(tokens) or tokens[index].sentence != tokens[first].sentence:
            ranges.append((first, index))
            first = index
    return ranges


def candidate_spans(
    tokens: Sequence[Token],
    max_span: int,
    excluded: frozenset[str] = frozenset(),
    ranges: Sequence[tuple[int, int]] | None = None,
) -> Iterator[tuple[int, int]]:
    """Yields spans of 1..max_span tokens inside one sentence that start and end with a word,
    hold at least one non-stopword and no word in excluded; sentence by sentence, shorter first."""
    for first, end in sentence_ranges(tokens) if ranges is None else ranges:
        for i in range(first, end):
            if not tokens[i].is_word:
                continue
            has_content = False
            for j in range(i + 1, min(end, i + max_span) + 1):
                last = tokens[j - 1]
                if last.key in excluded:
                    break
                has_content = has_content or last.is_content
                if last.is_word and has_content:
                    yield i, j


def span_text(context: str, tokens: Sequence[Token], span: tuple[int, int]) -> str:
    """Returns the exact context substring a span covers."""
    i, j = span
    return context[tokens[i].start : tokens[j - 1].end]


def span_type(tokens: Sequence[Token], span: tuple[int, int]) -> str:
    """Returns "number" (a word starts with a digit), "name" (all non-stopwords capitalized) or "phrase"."""
    words = [token for token in tokens[span[0] : span[1]] if token.is_word]
    if any(token.text[0].isdigit() for token in words):
        return "number"
    content = [token for token in words if token.is_content]
    if content and all(token.text[0].isupper() for token in content):
        return "name"
    return "phrase"


def locate(tokens: Sequence[Token], start: int, end: int) -> tuple[int, int] | None:
    """Returns the span of the tokens overlapping characters [start, end), or None when none does."""
    covered = [index for index, token in enumerate(tokens) if token.end > start and token.start < end]
    return (covered[0], covered[-1] + 1) if covered else None


def question_words(question: str) -> tuple[frozenset[str], int]:
    """Returns the question's non-stopword word keys and its number of word tokens."""
    words = [token for token in tokenize(question) if token.is_word]
    return frozenset(token.key for token in words if token.is_content), len(words)
