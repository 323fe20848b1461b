"""The always-no-answer reference: abstains on every question."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

from benchhub.tasks.question_answering.baselines.base import (
    ExtractiveQABaseline,
    check_inputs,
    check_training,
    read_manifest,
    write_manifest,
)


class AlwaysNoAnswerBaseline(ExtractiveQABaseline):
    """Answers "" with no-answer probability 1.0, so under SQuAD 2.0 scoring it earns exactly the
    share of unanswerable questions. It reads the whole input (and ignores it): a reference point,
    not an input ablation."""

    name = "always-no-answer"
    version = "1"
    partial_input = False

    def fit(
        self,
        questions: Sequence[str],
        contexts: Sequence[str],
        answers: Sequence[Sequence[str]],
        answer_starts: Sequence[Sequence[int]],
    ) -> Self:
        """Checks the training split; the baseline learns nothing from it."""
        check_training(questions, contexts, answers, answer_starts)
        return self

    def predict(self, questions: Sequence[str], contexts: Sequence[str]) -> list[tuple[str, float]]:
        """Returns ("", 1.0) for every question."""
        question_list, _ = check_inputs(questions, contexts)
        return [("", 1.0) for _ in question_list]

    def save(self, folder: Path) -> None:
        """Writes the name and version to folder/baseline.json."""
        write_manifest(folder, self, {})

    @classmethod
    def load(cls, folder: Path) -> Self:
        """Reads an always-no-answer baseline written by save."""
        read_manifest(folder, cls.name, cls.version)
        return cls()

    def describe(self) -> dict[str, Any]:
        """Returns the name, version and the constant prediction."""
        return {
            "name": self.name,
            "version": self.version,
            "partial_input": self.partial_input,
            "prediction": "",
            "no_answer_probability": 1.0,
        }
