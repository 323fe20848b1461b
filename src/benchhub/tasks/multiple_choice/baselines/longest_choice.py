"""A classic shortcut of multiple-choice data: the right answer is often the longest, most qualified choice."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

from benchhub.models.baselines.base import read_manifest, write_manifest
from benchhub.tasks.multiple_choice.baselines.base import (
    ChoiceBaseline,
    check_questions,
    check_training,
)
from benchhub.tasks.multiple_choice.outputs import ChoicePrediction


class LongestChoiceBaseline(ChoiceBaseline):
    """Picks the longest choice in characters (ties: the first of them). It learns nothing and reads only the
    choices, so it is a partial-input baseline: a board's shortcut gap is measured over it too."""

    name = "longest-choice"
    version = "1"
    partial_input = True

    def fit(self, choices: Sequence[Sequence[str]], gold: Sequence[int]) -> Self:
        check_training(choices, gold)
        return self

    def predict(self, choices: Sequence[Sequence[str]]) -> list[ChoicePrediction]:
        return [ChoicePrediction(max(range(len(texts)), key=lambda i, texts=texts: (len(texts[i]), -i)))
                for texts in check_questions(choices)]

    def save(self, folder: Path) -> None:
        write_manifest(folder, self, {})

    @classmethod
    def load(cls, folder: Path) -> Self:
        read_manifest(folder, cls.name, cls.version)
        return cls()

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "rule": "the longest choice in characters, the first on ties"}
