"""The contract every built-in extractive QA baseline follows, and the checks they share."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, Self, runtime_checkable

import numpy as np

from benchhub.data.records import DatasetFacts, Split
from benchhub.errors import InvalidInputError
from benchhub.models.baselines.base import (  # noqa: F401  (the family's baselines import the manifest helpers from here)
    NotFittedError,
    read_manifest,
    write_manifest,
)
from benchhub.tasks.question_answering.outputs import QAPrediction

TrainingSplit = tuple[list[str], list[str], list[list[str]], list[list[int]]]


class ExtractiveQABaseline:
    """The base of the family's baselines: the generic `Baseline` methods over `fit(questions, contexts,
    answers, answer_starts)` and `predict(questions, contexts)`, one (question, context) item per example."""

    @classmethod
    def trained(cls, train: Split, facts: DatasetFacts) -> Self:
        answers = train.field("answers") or []
        return cls().fit(train.texts, train.text_pairs or [], [a["text"] for a in answers],  # type: ignore[attr-defined]
                         [a["answer_start"] for a in answers])

    def inputs(self, split: Split) -> list[tuple[str, str]]:
        return list(zip(split.texts, split.text_pairs or [], strict=True))

    def item_length(self, item: tuple[str, str]) -> int:
        return len(item[0]) + len(item[1])

    def predict_items(self, items: Sequence[tuple[str, str]]) -> list[QAPrediction]:
        answers = self.predict([q for q, _ in items], [c for _, c in items])  # type: ignore[attr-defined]
        return [QAPrediction(text, float(probability)) for text, probability in answers]


@runtime_checkable
class QABaseline(Protocol):
    """An extractive QA model fitted on a training split that may answer "" (no answer)."""

    name: str
    version: str
    partial_input: bool

    def fit(
        self,
        questions: Sequence[str],
        contexts: Sequence[str],
        answers: Sequence[Sequence[str]],
        answer_starts: Sequence[Sequence[int]],
    ) -> Self:
        """Learns from the training split (answers[i] == [] marks an unanswerable question)."""
        ...

    def predict(self, questions: Sequence[str], contexts: Sequence[str]) -> list[tuple[str, float]]:
        """Returns (answer, no-answer probability) per question; answer is "" or a context substring."""
        ...

    def save(self, folder: Path) -> None:
        """Writes the parameters as JSON and .npz files into folder."""
        ...

    @classmethod
    def load(cls, folder: Path) -> Self:
        """Reads a baseline written by save."""
        ...

    def describe(self) -> dict[str, Any]:
        """Returns a JSON-able summary for humans."""
        ...


def check_inputs(questions: Sequence[str], contexts: Sequence[str]) -> tuple[list[str], list[str]]:
    """Returns questions and contexts as lists after checking they are strings, one context per question."""
    question_list = _strings("questions", questions)
    context_list = _strings("contexts", contexts)
    if len(question_list) != len(context_list):
        raise InvalidInputError(
            f"got {len(question_list)} questions but {len(context_list)} contexts; "
            "pass one context per question"
        )
    return question_list, context_list


def check_training(
    questions: Sequence[str],
    contexts: Sequence[str],
    answers: Sequence[Sequence[str]],
    answer_starts: Sequence[Sequence[int]],
) -> TrainingSplit:
    """Returns the training split as lists after checking every answer and offset."""
    question_list = _strings("questions", questions)
    context_list = _strings("contexts", contexts)
    answer_list = _rows("answers", answers)
    start_list = _rows("answer_starts", answer_starts)
    sizes = {len(question_list), len(context_list), len(answer_list), len(start_list)}
    if len(sizes) != 1:
        raise InvalidInputError(
            f"fit got {len(question_list)} questions, {len(context_list)} contexts, "
            f"{len(answer_list)} answers and {len(start_list)} answer_starts; pass one of each per question"
        )
    if not question_list:
        raise InvalidInputError("the training split is empty; fit needs at least one question")
    for row, (context, texts, starts) in enumerate(zip(context_list, answer_list, start_list, strict=True)):
        if len(texts) != len(starts):
            raise InvalidInputError(
                f"answer_starts[{row}] has {len(starts)} offsets for {len(texts)} answers; "
                "pass one character offset per answer"
            )
        for text, start in zip(texts, starts, strict=True):
            if not isinstance(text, str):
                raise InvalidInputError(
                    f"answers[{row}] holds a {type(text).__name__}, not str; convert every answer to str"
                )
            if isinstance(start, bool) or not isinstance(start, int | np.integer):
                raise InvalidInputError(
                    f"answer_starts[{row}] holds {start!r}, not an int; pass character offsets as integers"
                )
            if not 0 <= start <= len(context) - len(text):
                raise InvalidInputError(
                    f"answer_starts[{row}] offset {start} puts answer {text!r} outside its context "
                    f"(length {len(context)}); pass the answer's character offset in its context"
                )
    starts_as_int = [[int(start) for start in starts] for starts in start_list]
    return question_list, context_list, [list(texts) for texts in answer_list], starts_as_int


def check_int(name: str, value: object, minimum: int, optional: bool = False) -> Any:
    """Returns value as an int after checking it is an integer >= minimum (or None when optional)."""
    if optional and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        allowed = f"an integer >= {minimum}" + (" or None" if optional else "")
        raise InvalidInputError(f"{name} must be {allowed}, got {value!r}; pass e.g. {name}={minimum}")
    return int(value)


def not_fitted(baseline: QABaseline) -> NotFittedError:
    """Returns the error raised when an unfitted baseline is used."""
    return NotFittedError(
        f"the {baseline.name} QA baseline is not fitted; call fit on the training split first"
    )


def _strings(name: str, values: Sequence[str]) -> list[str]:
    if isinstance(values, str):
        raise InvalidInputError(f"{name} must be a list of strings, got a single string; wrap it in a list")
    result = list(values)
    for position, value in enumerate(result):
        if not isinstance(value, str):
            raise InvalidInputError(
                f"{name}[{position}] is {type(value).__name__}, not str; convert every item to str"
            )
    return result


def _rows(name: str, values: Sequence[Sequence[Any]]) -> list[Sequence[Any]]:
    if isinstance(values, str):
        raise InvalidInputError(
            f"{name} must be a list of lists, got a single string; pass one list per question"
        )
    result = list(values)
    for position, row in enumerate(result):
        if isinstance(row, str | bytes) or not isinstance(row, Sequence | np.ndarray):
            raise InvalidInputError(
                f"{name}[{position}] is {type(row).__name__}, not a list; "
                "pass a list per question ([] for an unanswerable one)"
            )
    return result
