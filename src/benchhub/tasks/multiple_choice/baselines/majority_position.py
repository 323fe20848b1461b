"""The floor of every multiple-choice board: every question answered at train's most frequent gold position."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

from benchhub.errors import InvalidInputError
from benchhub.models.baselines.base import MANIFEST_FILE, read_manifest, write_manifest
from benchhub.tasks.multiple_choice.baselines.base import (
    ChoiceBaseline,
    check_questions,
    check_training,
    not_fitted,
)
from benchhub.tasks.multiple_choice.outputs import ChoicePrediction


class MajorityPositionBaseline(ChoiceBaseline):
    """Picks the position of the right answer most frequent in train (ties: the first position); a question
    with fewer choices gets its last one. It reads nothing of the question or its choices but their number."""

    name = "majority-position"
    version = "1"

    def __init__(self) -> None:
        self.position: int | None = None
        self.share: float | None = None

    def fit(self, choices: Sequence[Sequence[str]], gold: Sequence[int]) -> Self:
        _, answers = check_training(choices, gold)
        counts = Counter(answers)
        self.position = min(counts, key=lambda position: (-counts[position], position))
        self.share = counts[self.position] / len(answers)
        return self

    def predict(self, choices: Sequence[Sequence[str]]) -> list[ChoicePrediction]:
        position = self._fitted()
        return [ChoicePrediction(min(position, len(texts) - 1)) for texts in check_questions(choices)]

    def save(self, folder: Path) -> None:
        write_manifest(folder, self, {"position": self._fitted(), "share": self.share})

    @classmethod
    def load(cls, folder: Path) -> Self:
        manifest = read_manifest(folder, cls.name, cls.version)
        position, share = manifest.get("position"), manifest.get("share")
        if isinstance(position, bool) or not isinstance(position, int) or position < 0 or not isinstance(share, (int, float)):
            raise InvalidInputError(f"{Path(folder) / MANIFEST_FILE}: needs a position (an index) and its share; save the baseline again.")
        baseline = cls()
        baseline.position, baseline.share = position, float(share)
        return baseline

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "position": self._fitted(), "share_of_train": self.share}

    def _fitted(self) -> int:
        if self.position is None:
            raise not_fitted(self)
        return self.position
