"""N-gram overlap of evaluation items with a reference (a train split, a corpus): which items it contains.

The definition is lm-evaluation-harness's decontamination (`lm_eval/decontamination/janitor.py`:
`Janitor.normalize_string` and `word_ngrams`; `decontaminate.py`: `get_train_overlap`), after GPT-3 (Brown et
al., 2020, appendix C): a text is lowercased, its punctuation deleted and the rest split on whitespace; an item is
flagged when any of its n-grams of words (13 by default) occurs in any reference document. lm-eval lowercases
A-Z and deletes `string.punctuation` only; here every letter is lowercased (`str.lower`, after NFC, so composed and
decomposed accents agree) and every character that is neither a word character nor whitespace is deleted (Unicode
punctuation and symbols too), which is the same on printable ASCII. An item of fewer than n words has no n-gram: as
in lm-eval (`word_ngrams` yields nothing for it) it is never flagged, and it is counted in `too_short`.

N-grams are compared as 64-bit hashes (each word by BLAKE2b, an n-gram as a polynomial of its words' hashes mod
2**64, with numpy), so 10,000 × 10,000 items take a second or two; two different n-grams collide with a
probability of about 2**-64.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from hashlib import blake2b

import numpy as np

from benchhub.errors import InvalidInputError

DEFAULT_NGRAM = 13
_DELETED = re.compile(r"[^\w\s]|_")
_BASE = np.uint64(0x9E3779B97F4A7C15)  # odd, so each word's place in the n-gram changes its hash
_CHUNK = 10_000  # reference documents hashed at a time, so a large corpus is never held as Python lists


@dataclass(frozen=True)
class Overlap:
    """Which items (positions) share an n-gram of `ngram` words with the reference, of `items`."""

    ngram: int
    items: int
    flagged: list[int]
    too_short: int  # items of fewer than `ngram` words: never flagged

    @property
    def share(self) -> float:
        return len(self.flagged) / self.items if self.items else 0.0


def normalized_words(text: str) -> list[str]:
    """The words of `text` as n-grams compare them: lowercased, punctuation deleted, split on whitespace."""
    return _DELETED.sub("", unicodedata.normalize("NFC", text).lower()).split()


def check_ngram(ngram: int) -> int:
    if isinstance(ngram, bool) or not isinstance(ngram, int) or ngram < 1:
        raise InvalidInputError(f"--ngram must be an int in the range [1, inf). Got {ngram!r} instead; "
                                f"{DEFAULT_NGRAM} is what GPT-3 and lm-evaluation-harness use.")
    return ngram


def reference_ngrams(documents: Iterable[str], *, ngram: int = DEFAULT_NGRAM) -> np.ndarray:
    """The sorted hashes of every n-gram of `ngram` words in `documents` (read once, in chunks)."""
    check_ngram(ngram)
    words: dict[str, int] = {}
    known, chunk = [], []
    for document in documents:
        chunk.append(document)
        if len(chunk) == _CHUNK:
            known.append(np.unique(_ngram_hashes(list(dict.fromkeys(chunk)), ngram, words)[0]))  # a QA context repeats
            chunk = []
    if chunk:
        known.append(np.unique(_ngram_hashes(list(dict.fromkeys(chunk)), ngram, words)[0]))
    return np.unique(np.concatenate(known)) if known else np.empty(0, dtype=np.uint64)


def find_overlap(items: list[str], reference: np.ndarray, *, ngram: int = DEFAULT_NGRAM) -> Overlap:
    """The items that share an n-gram of `ngram` words with the reference (`reference_ngrams` of the same `ngram`);
    an item given twice is hashed once and counted twice."""
    check_ngram(ngram)
    distinct: dict[str, int] = {}
    which = np.array([distinct.setdefault(text, len(distinct)) for text in items], dtype=np.int64)
    grams, owners, lengths = _ngram_hashes(list(distinct), ngram, {})
    hit = np.zeros(len(distinct), dtype=bool)
    hit[owners[np.isin(grams, reference)]] = True
    return Overlap(ngram=ngram, items=len(items), flagged=[int(i) for i in np.flatnonzero(hit[which])],
                   too_short=int(np.count_nonzero(lengths[which] < ngram)))


def _ngram_hashes(texts: list[str], ngram: int, words: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every n-gram's hash, the text it comes from, and each text's length in words (`words` caches word hashes)."""
    lengths = np.zeros(len(texts), dtype=np.int64)
    hashes: list[int] = []
    for position, text in enumerate(texts):
        tokens = normalized_words(text)
        lengths[position] = len(tokens)
        for token in tokens:
            value = words.get(token)
            if value is None:
                value = words[token] = int.from_bytes(blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")
            hashes.append(value)
    sequence = np.array(hashes, dtype=np.uint64)
    count = len(sequence) - ngram + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64), lengths
    grams = np.zeros(count, dtype=np.uint64)
    for offset in range(ngram):  # Horner's rule over the n words of every window at once; uint64 wraps mod 2**64
        grams = grams * _BASE + sequence[offset: offset + count]
    owner = np.repeat(np.arange(len(texts)), lengths)  # the text of each word
    within = owner[:count] == owner[ngram - 1:]  # windows that start and end in the same text
    return grams[within], owner[:count][within], lengths
