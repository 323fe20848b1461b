"""The floor of every tagging board: each word gets the tag most frequent in train (in practice "O")."""

from __future__ import annotations

from collections import Counter
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
from benchhub.tasks.token_classification.baselines.base import (
    TaggerBaseline,
    check_sentences,
    check_tagged,
)
from benchhub.tasks.token_classification.outputs import SentenceTags


class MajorityTagBaseline(TaggerBaseline):
    """Tags every word with train's most frequent tag (ties: the alphabetically first); its confidence is
    that tag's share of train's words."""

    name = "majority-tag"
    version = "1"

    def __init__(self) -> None:
        self.tag: str | None = None
        self.share: float | None = None

    def fit(self, sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]], scheme: str | None = None) -> Self:
        _, labels = check_tagged(sentences, tags)
        counts = Counter(tag for sentence in labels for tag in sentence)
        if not counts:
            raise InvalidInputError("the training split has no words; fit needs at least one tagged word.")
        self.tag = min(counts, key=lambda tag: (-counts[tag], tag))
        self.share = counts[self.tag] / sum(counts.values())
        return self

    def predict(self, sentences: Sequence[Sequence[str]]) -> list[SentenceTags]:
        tag, share = self._fitted()
        return [SentenceTags((tag,) * len(words), (share,) * len(words)) for words in check_sentences(sentences)]

    def save(self, folder: Path) -> None:
        tag, share = self._fitted()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        write_json(folder / MANIFEST_FILE, {"name": self.name, "version": self.version, "tag": tag, "share": share})

    @classmethod
    def load(cls, folder: Path) -> Self:
        manifest = read_manifest(folder, cls.name, cls.version)
        tag, share = manifest.get("tag"), manifest.get("share")
        if not isinstance(tag, str) or not isinstance(share, (int, float)) or not 0 < share <= 1:
            raise InvalidInputError(f"{Path(folder) / MANIFEST_FILE}: needs a tag and its share in (0, 1]; save the baseline again.")
        baseline = cls()
        baseline.tag, baseline.share = tag, float(share)
        return baseline

    def describe(self) -> dict[str, Any]:
        tag, share = self._fitted()
        return {"name": self.name, "version": self.version, "tag": tag, "share": share}

    def _fitted(self) -> tuple[str, float]:
        if self.tag is None or self.share is None:
            raise NotFittedError(f"the {self.name} baseline is not fitted; call fit on the training split first")
        return self.tag, self.share
