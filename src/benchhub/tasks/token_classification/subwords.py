"""Words to sub-tokens and back: windows over long sentences, and per-word tag distributions.

A sentence arrives as words (`is_split_into_words=True`). It is tokenized once, whole, with its
special tokens; the special tokens before the first word and after the last are the frame every
window reuses. A sentence longer than `max_length` becomes overlapping windows, each one a slice
of the whole sentence's word sub-tokens inside that frame, consecutive slices sharing `stride`
sub-tokens. So every window reads exactly what the whole sentence reads, cut to length.

Back from sub-tokens to words: a word seen by several windows is read in the window where it is
farthest from an edge (the max-context rule of BERT's SQuAD code), and within that window its
sub-token distributions are aggregated as "first" (the first sub-token, the Hugging Face
convention), "max" (the sub-token most sure of its tag) or "average" (the mean distribution).
A word of at most `stride + 1` sub-tokens always lies whole in some window; a longer one may
be cut by every window, and is then read in the window holding most of its sub-tokens.
A word that gets no sub-token at all (a tokenizer that drops it, e.g. a zero-width space) has no
distribution: it is reported as missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from benchhub.errors import InvalidInputError

AGGREGATIONS = ("first", "max", "average")


@dataclass(frozen=True)
class TagWindow:
    """One window of one sentence: token ids, and for each token its word index (None for special tokens).

    `start` is the position of the window's first word sub-token among the whole sentence's word
    sub-tokens; `prefix` is how many special tokens come before it.
    """

    sentence: int
    input_ids: list[int]
    token_type_ids: list[int] | None
    word_ids: list[int | None]
    start: int
    prefix: int

    @property
    def size(self) -> int:
        """How many word sub-tokens the window holds."""
        return sum(1 for word in self.word_ids if word is not None)


@dataclass(frozen=True)
class WordProbabilities:
    """One distribution per word (rows of NaN for missing words) and the words that got no sub-token."""

    probabilities: np.ndarray
    missing: tuple[int, ...]


def window_room(tokenizer: Any, max_length: int) -> int:
    """How many word sub-tokens fit in one window once the special tokens are added."""
    return max_length - tokenizer.num_special_tokens_to_add(pair=False)


def make_windows(tokenizer: Any, sentences: Sequence[Sequence[str]], *, max_length: int, stride: int) -> list[TagWindow]:
    """Tokenizes each sentence whole, then cuts its word sub-tokens into windows of at most `max_length` tokens."""
    room = window_room(tokenizer, max_length)
    if room < 1:
        raise InvalidInputError(f"max_length {max_length} leaves no room for words after the special tokens; raise it.")
    if not 0 <= stride < room:
        raise InvalidInputError.naming(lambda spell: f"{spell.setting('stride')} must be an int in the range [0, {room}) for "
                                                     f"max_length {max_length}. Got {stride} instead.")
    if not sentences:
        return []
    encoded = tokenizer([list(words) for words in sentences], is_split_into_words=True, truncation=False,
                        add_special_tokens=True, return_attention_mask=False, verbose=False)
    windows = []
    for index in range(len(sentences)):
        ids = encoded["input_ids"][index]
        types = encoded["token_type_ids"][index] if "token_type_ids" in encoded else None
        windows.extend(_cut(index, ids, types, encoded.word_ids(index), room=room, stride=stride))
    return windows


def _cut(sentence: int, ids: list[int], types: list[int] | None, word_ids: list[int | None], *, room: int,
         stride: int) -> list[TagWindow]:
    """Splits one whole-sentence encoding into its frame (leading and trailing special tokens) and word slices."""
    inside = [position for position, word in enumerate(word_ids) if word is not None]
    first, last = (inside[0], inside[-1] + 1) if inside else (len(ids), len(ids))
    if inside and len(inside) != last - first:
        raise InvalidInputError("The tokenizer puts special tokens between the words of a sentence; benchhub cannot window it.")
    if not inside:  # no word produced a sub-token: one window of special tokens only
        first = last = _frame_split(word_ids)
    head, tail = slice(0, first), slice(last, len(ids))
    words = last - first
    windows, start = [], 0
    while True:
        end = min(start + room, words)
        body = slice(first + start, first + end)
        windows.append(TagWindow(
            sentence=sentence,
            input_ids=ids[head] + ids[body] + ids[tail],
            token_type_ids=None if types is None else types[head] + types[body] + types[tail],
            word_ids=word_ids[head] + word_ids[body] + word_ids[tail],
            start=start,
            prefix=first,
        ))
        if end >= words:
            return windows
        start = end - stride


def _frame_split(word_ids: list[int | None]) -> int:
    """Where an empty sentence's leading special tokens end: after the first one (e.g. [CLS] | [SEP])."""
    return min(1, len(word_ids))


def word_probabilities(n_words: int, windows: Sequence[TagWindow], probabilities: Sequence[np.ndarray], *,
                       aggregation: str = "first") -> WordProbabilities:
    """Maps the sub-token distributions of one sentence's windows back to one distribution per word.

    `probabilities[i]` has one row per token of `windows[i]` (special tokens included, padding
    excluded). Each word is read in the window that holds the most of its sub-tokens and, among
    those, where it lies farthest from an edge (ties: the earlier window).
    """
    if aggregation not in AGGREGATIONS:
        raise InvalidInputError(f"aggregation must be one of {', '.join(AGGREGATIONS)}. Got {aggregation!r} instead.")
    n_labels = probabilities[0].shape[1] if len(probabilities) else 0
    best: dict[int, tuple[tuple[int, int], int, list[int]]] = {}
    for number, window in enumerate(windows):
        size = window.size
        positions: dict[int, list[int]] = {}
        for position, word in enumerate(window.word_ids):
            if word is not None:
                positions.setdefault(word, []).append(position)
        for word, rows in positions.items():
            first, last = rows[0] - window.prefix, rows[-1] - window.prefix
            key = (len(rows), min(first, size - 1 - last))
            if word not in best or key > best[word][0]:
                best[word] = (key, number, rows)
    result = np.full((n_words, n_labels), np.nan)
    for word, (_, number, rows) in best.items():
        result[word] = _aggregate(np.asarray(probabilities[number], dtype=np.float64)[rows], aggregation)
    missing = tuple(word for word in range(n_words) if word not in best)
    return WordProbabilities(result, missing)


def _aggregate(rows: np.ndarray, aggregation: str) -> np.ndarray:
    if aggregation == "first":
        return rows[0]
    if aggregation == "max":
        return rows[int(np.argmax(rows.max(axis=1)))]
    return rows.mean(axis=0)
