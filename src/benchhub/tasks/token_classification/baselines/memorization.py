"""The CoNLL-2003 shared-task baseline: tag every word sequence that was an entity in training."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

from benchhub.errors import InvalidInputError
from benchhub.models.baselines.base import (
    MANIFEST_FILE,
    NotFittedError,
    read_manifest,
    write_json,
)
from benchhub.tasks.token_classification.baselines.base import TaggerBaseline
from benchhub.tasks.token_classification.entities import SCHEMES, strict_entities
from benchhub.tasks.token_classification.schemes import encode_spans


class MemorizationBaseline(TaggerBaseline):
    """Remembers each training entity's words with its most frequent type and tags them wherever they recur.

    Training entities are read in strict mode of the dataset's scheme; a word sequence seen
    with several types keeps the most frequent one (ties: the alphabetically first). predict
    scans each sentence left to right and, at each word, tags the longest remembered sequence
    starting there, then continues after it, so matches never overlap; the tags are written in
    the dataset's scheme.
    """

    name = "memorization"
    version = "1"

    def __init__(self) -> None:
        self.scheme: str | None = None
        self._types: dict[tuple[str, ...], str] | None = None

    def fit(self, sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]], scheme: str) -> Self:
        """Learns the entity word sequences of the training split, whose tags are written in scheme."""
        if scheme not in SCHEMES:
            raise InvalidInputError(f"unknown tag scheme {scheme!r}; choose one of {', '.join(SCHEMES)}.")
        word_lists = _sentences(sentences, "sentences")
        tag_lists = _sentences(tags, "tags")
        if not word_lists:
            raise InvalidInputError("the training split is empty; fit needs at least one tagged sentence.")
        if len(word_lists) != len(tag_lists):
            raise InvalidInputError(
                f"fit got {len(word_lists)} sentences but {len(tag_lists)} tag sequences; pass one tag sequence per sentence."
            )
        seen: defaultdict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        for row, (words, sentence_tags) in enumerate(zip(word_lists, tag_lists)):
            if len(words) != len(sentence_tags):
                raise InvalidInputError(
                    f"training sentence {row} has {len(words)} words but {len(sentence_tags)} tags; pass one tag per word."
                )
            try:
                entities = strict_entities(sentence_tags, scheme)
            except InvalidInputError as error:
                raise InvalidInputError(f"training sentence {row}: {error}") from error
            for type_, start, end in entities:
                seen[tuple(words[start:end])][type_] += 1
        self.scheme = scheme
        self._types = {
            phrase: min(counts, key=lambda type_: (-counts[type_], type_)) for phrase, counts in seen.items()
        }
        return self

    def predict(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        """Returns one tag per word of each sentence, in the training scheme."""
        types, scheme = self._fitted()
        longest = max((len(phrase) for phrase in types), default=0)
        result = []
        for words in _sentences(sentences, "sentences"):
            spans = []
            position = 0
            while position < len(words):
                for size in range(min(longest, len(words) - position), 0, -1):
                    type_ = types.get(tuple(words[position:position + size]))
                    if type_ is not None:
                        spans.append((type_, position, position + size))
                        position += size
                        break
                else:
                    position += 1
            result.append(encode_spans(len(words), spans, scheme))
        return result

    def save(self, folder: Path) -> None:
        """Writes the scheme and the remembered entities to folder/baseline.json."""
        types, scheme = self._fitted()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        write_json(
            folder / MANIFEST_FILE,
            {
                "name": self.name,
                "version": self.version,
                "scheme": scheme,
                "entities": [[list(phrase), type_] for phrase, type_ in sorted(types.items())],
            },
        )

    @classmethod
    def load(cls, folder: Path) -> Self:
        """Reads a memorization baseline written by save."""
        manifest = read_manifest(folder, cls.name, cls.version)
        scheme = manifest.get("scheme")
        entities = manifest.get("entities")
        if scheme not in SCHEMES or not isinstance(entities, list) or not all(_is_entry(entry) for entry in entities):
            raise InvalidInputError(
                f"{Path(folder) / MANIFEST_FILE}: scheme must be one of {', '.join(SCHEMES)} and entities a list of "
                "[words, type] pairs; save the baseline again."
            )
        baseline = cls()
        baseline.scheme = scheme
        baseline._types = {tuple(words): type_ for words, type_ in entities}
        return baseline

    def describe(self) -> dict[str, Any]:
        """Returns the scheme, how many word sequences are remembered per type, and the longest."""
        types, scheme = self._fitted()
        return {
            "name": self.name,
            "version": self.version,
            "scheme": scheme,
            "entities": len(types),
            "entities_per_type": dict(sorted(Counter(types.values()).items())),
            "longest_entity_words": max((len(phrase) for phrase in types), default=0),
        }

    def _fitted(self) -> tuple[dict[tuple[str, ...], str], str]:
        if self._types is None or self.scheme is None:
            raise NotFittedError(f"the {self.name} baseline is not fitted; call fit on the training split first")
        return self._types, self.scheme


def _sentences(value: object, name: str) -> list[list[str]]:
    """Returns a list of sentences, each a list of strings, or raises naming the first bad item."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidInputError(f"{name} must be a list of sentences, each a list of strings; got {type(value).__name__}.")
    result = []
    for row, sentence in enumerate(value):
        if isinstance(sentence, str) or not isinstance(sentence, Sequence):
            raise InvalidInputError(
                f"{name}[{row}] must be a list of strings (one per word); got {type(sentence).__name__}."
            )
        for position, item in enumerate(sentence):
            if not isinstance(item, str):
                raise InvalidInputError(f"{name}[{row}][{position}] is {type(item).__name__}, not str; pass strings.")
        result.append(list(sentence))
    return result


def _is_entry(entry: object) -> bool:
    """Whether a saved entity is [non-empty list of words, type]."""
    return (
        isinstance(entry, list)
        and len(entry) == 2
        and isinstance(entry[0], list)
        and bool(entry[0])
        and all(isinstance(word, str) for word in entry[0])
        and isinstance(entry[1], str)
    )
