"""What a tagger answers for one sentence: a tag per word, and the confidence of each when it has one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SentenceTags:
    """One sentence's predicted tags, one per word, in word order.

    `confidences` holds the probability the model gave each chosen tag (None for models without
    scores, such as predictions files and rule baselines).
    """

    tags: tuple[str, ...]
    confidences: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.confidences is not None and len(self.confidences) != len(self.tags):
            raise ValueError(f"{len(self.confidences)} confidences for {len(self.tags)} tags; give one per tag.")
