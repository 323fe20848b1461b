"""What every tagging baseline shares: checked inputs, and its place in the fit-on-train, save, load lifecycle.

A tagging baseline is fitted on the train split's sentences and gold tags (written in the dataset's
scheme), predicts one tag per word (a `SentenceTags`, or a plain list of tags for rules without scores),
and saves its parameters as JSON and .npz files (never pickle), like every built-in baseline.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, Self, runtime_checkable

from benchhub.data.records import DatasetFacts, Split
from benchhub.errors import InvalidInputError
from benchhub.tasks.token_classification.outputs import SentenceTags


class TaggerBaseline:
    """The base of the family's baselines: the generic `Baseline` methods over `fit(sentences, tags, scheme)`
    and `predict(sentences)`, one sentence (its words) per example."""

    @classmethod
    def trained(cls, train: Split, facts: DatasetFacts) -> Self:
        return cls().fit(train.field("tokens") or [], train.field("tags") or [],  # type: ignore[attr-defined]
                         facts.options.get("scheme", "IOB2"))

    def inputs(self, split: Split) -> list[list[str]]:
        return [list(words) for words in split.field("tokens") or []]

    def item_length(self, item: list[str]) -> int:
        return len(item)

    def predict_items(self, items: Sequence[list[str]]) -> list[SentenceTags]:
        """Baselines answer `SentenceTags`, or a plain list of tags (rules without scores)."""
        return [output if isinstance(output, SentenceTags) else SentenceTags(tuple(output))
                for output in self.predict(list(items))]  # type: ignore[attr-defined]


@runtime_checkable
class TaggingBaseline(Protocol):
    name: str
    version: str

    def fit(self, sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]], scheme: str) -> Self:
        """Learns from the train split (its tags written in `scheme`)."""
        ...

    def predict(self, sentences: Sequence[Sequence[str]]) -> list[SentenceTags] | list[list[str]]:
        """One tag per word of each sentence."""
        ...

    def save(self, folder: Path) -> None: ...

    @classmethod
    def load(cls, folder: Path) -> Self: ...

    def describe(self) -> dict[str, Any]: ...


def check_sentences(sentences: object, name: str = "sentences") -> list[list[str]]:
    """The sentences as lists of strings, or one line naming the first bad item."""
    if isinstance(sentences, str) or not isinstance(sentences, Sequence):
        raise InvalidInputError(f"{name} must be a list of sentences, each a list of strings; got {type(sentences).__name__}.")
    result = []
    for row, sentence in enumerate(sentences):
        if isinstance(sentence, str) or not isinstance(sentence, Sequence):
            raise InvalidInputError(f"{name}[{row}] must be a list of strings (one per word); got {type(sentence).__name__}.")
        for position, item in enumerate(sentence):
            if not isinstance(item, str):
                raise InvalidInputError(f"{name}[{row}][{position}] is {type(item).__name__}, not str; pass strings.")
        result.append(list(sentence))
    return result


def check_tagged(sentences: object, tags: object) -> tuple[list[list[str]], list[list[str]]]:
    """A train split's sentences and tags: at least one sentence, one tag per word."""
    words, labels = check_sentences(sentences), check_sentences(tags, "tags")
    if not words:
        raise InvalidInputError("the training split is empty; fit needs at least one tagged sentence.")
    if len(words) != len(labels):
        raise InvalidInputError(f"fit got {len(words)} sentences but {len(labels)} tag sequences; pass one per sentence.")
    for row, (sentence, sentence_tags) in enumerate(zip(words, labels)):
        if len(sentence) != len(sentence_tags):
            raise InvalidInputError(
                f"training sentence {row} has {len(sentence)} words but {len(sentence_tags)} tags; pass one tag per word."
            )
    return words, labels
