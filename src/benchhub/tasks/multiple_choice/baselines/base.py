"""What every multiple-choice baseline shares: checked inputs, and its place in the fit-on-train, save, load lifecycle.

A multiple-choice baseline is fitted on the train split's choices and gold indices, answers one
`ChoicePrediction` per question (a choice, and log-likelihoods where it scores every choice), and saves
its parameters as JSON and .npz files (never pickle), like every built-in baseline. `partial_input`
marks the baselines that read only part of a question (its choices, not the question): a board shows
every model's shortcut gap over the best of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

from benchhub.data.records import DatasetFacts, Split
from benchhub.errors import InvalidInputError
from benchhub.tasks.multiple_choice.outputs import ChoicePrediction
from benchhub.tasks.multiple_choice.reading import CHOICES, GOLD

Question = tuple[str, ...]  # a question's choices: what every baseline of this family reads


class ChoiceBaseline:
    """The base of the family's baselines: the generic `Baseline` methods over `fit(choices, gold)` and
    `predict(choices)`, one question's choices per example (no baseline here reads the question's text)."""

    partial_input = False

    @classmethod
    def trained(cls, train: Split, facts: DatasetFacts) -> Self:
        return cls().fit(train.field(CHOICES) or [], train.field(GOLD) or [])  # type: ignore[attr-defined]

    def inputs(self, split: Split) -> list[Question]:
        return [tuple(choices) for choices in split.field(CHOICES) or []]

    def item_length(self, item: Question) -> int:
        return sum(map(len, item))

    def predict_items(self, items: Sequence[Question]) -> list[ChoicePrediction]:
        return self.predict(list(items))  # type: ignore[attr-defined]


def check_questions(choices: object) -> list[list[str]]:
    """Each question's choices as a list of non-empty strings, at least two, or one line naming the first bad one."""
    if isinstance(choices, str) or not isinstance(choices, Sequence):
        raise InvalidInputError(f"choices must be a list with one list of choice texts per question; got {type(choices).__name__}.")
    questions = []
    for row, texts in enumerate(choices):
        if isinstance(texts, str) or not isinstance(texts, Sequence) or len(texts) < 2:
            raise InvalidInputError(f"choices[{row}] must be a list of at least two choice texts; got {texts!r:.60}.")
        if not all(isinstance(text, str) and text for text in texts):
            raise InvalidInputError(f"choices[{row}] holds an empty or non-string choice; every choice is a non-empty string.")
        questions.append(list(texts))
    return questions


def check_training(choices: object, gold: object) -> tuple[list[list[str]], list[int]]:
    """The train split's questions and gold indices: at least one question, each gold a valid index."""
    questions = check_questions(choices)
    if not questions:
        raise InvalidInputError("the training split is empty; fit needs at least one question.")
    if isinstance(gold, str) or not isinstance(gold, Sequence) or len(gold) != len(questions):
        raise InvalidInputError(f"fit needs one gold index per question ({len(questions)}); got {gold!r:.60}.")
    for row, (texts, answer) in enumerate(zip(questions, gold)):
        if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(texts):
            raise InvalidInputError(f"gold[{row}] is {answer!r}; give the index of the right choice, 0 to {len(texts) - 1}.")
    return questions, list(gold)


def not_fitted(baseline: Any) -> Exception:
    from benchhub.models.baselines.base import NotFittedError

    return NotFittedError(f"the {baseline.name} baseline is not fitted; call fit on the training split first")
