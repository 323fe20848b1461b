"""The base of the text-to-text families' baselines: the generic `Baseline` methods over `predict(items)`,
one item per example (its input text, or what the baseline reads), its state saved as JSON."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

from benchhub.data.records import DatasetFacts, Split
from benchhub.models.baselines.base import read_manifest, write_manifest


class TextToTextBaseline:
    """A baseline without parameters learnt from train: its settings are its state."""

    name: str
    version: str
    # Whether it reads the references (an oracle): boards mark it as an upper bound, never as a baseline to beat.
    upper_bound: bool = False

    def __init__(self, **state: Any) -> None:
        self.state = state

    @classmethod
    def trained(cls, train: Split, facts: DatasetFacts) -> Self:
        return cls()

    def inputs(self, split: Split) -> list[Any]:
        return list(split.texts)

    def item_length(self, item: Any) -> int:
        return len(item if isinstance(item, str) else item[0])

    def predict_items(self, items: Sequence[Any]) -> list[str]:
        return [self.predict(item) for item in items]

    def predict(self, item: Any) -> str:
        raise NotImplementedError

    def save(self, folder: Path) -> None:
        write_manifest(folder, self, {"state": self.state})

    @classmethod
    def load(cls, folder: Path) -> Self:
        return cls(**read_manifest(folder, cls.name, cls.version)["state"])

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, **self.state,
                **({"upper_bound": "reads the references (an oracle)"} if self.upper_bound else {})}
