"""Summarization baselines: lead-3, random-3, and the extractive oracle (an upper bound that reads the references).

Sentences are found as rougeLsum finds them (`metrics.summary_lines`: a document's lines when it has a
newline, else the regex-v1 splitter), and a summary is its sentences one per line, in document order.
"""

from __future__ import annotations

import hashlib
from typing import Any, Self

import numpy as np

from benchhub.data.records import DatasetFacts, Split
from benchhub.errors import InvalidInputError
from benchhub.tasks.summarization.metrics import UnicodeTokenizer, summary_lines
from benchhub.tasks.text_to_text.baseline import TextToTextBaseline
from benchhub.tasks.text_to_text.references import REFERENCES

SENTENCES = 3


def document_sentences(document: str) -> list[str]:
    """The document's sentences by rougeLsum's splitter, stripped, empty ones dropped."""
    return [line.strip() for line in summary_lines(document).split("\n") if line.strip()]


class LeadBaseline(TextToTextBaseline):
    """The document's first three sentences (lead-3; See et al. 2017, Nallapati et al. 2017)."""

    name, version = "lead-3", "1"

    def predict(self, item: str) -> str:
        return "\n".join(document_sentences(item)[:SENTENCES])


class RandomBaseline(TextToTextBaseline):
    """Three sentences drawn at random, in document order. Each document's draw is seeded by the seed and the
    document's SHA-256, so it does not depend on the order or batching of examples."""

    name, version = "random-3", "1"

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed=seed)

    def predict(self, item: str) -> str:
        sentences = document_sentences(item)
        if len(sentences) <= SENTENCES:
            return "\n".join(sentences)
        digest = hashlib.sha256(item.encode("utf-8")).digest()
        rng = np.random.default_rng([int(self.state["seed"]), int.from_bytes(digest[:8], "little")])
        chosen = sorted(rng.choice(len(sentences), size=SENTENCES, replace=False).tolist())
        return "\n".join(sentences[i] for i in chosen)


class ExtractiveOracle(TextToTextBaseline):
    """The greedy extractive oracle, an upper bound for extractive summarizers: it reads the references.

    Starting from no sentence, it adds the document sentence that most raises rouge1 F + rouge2 F against
    the references (the best reference, as scoring takes it; Liu & Lapata 2019's greedy_selection objective),
    and stops when no sentence raises it (Nallapati et al. 2017). ROUGE uses the dataset's stemmer and
    tokenizer. Boards, reports and cards mark it as an oracle, never as a baseline to beat.
    """

    name, version = "extractive-oracle", "1"
    upper_bound = True

    def __init__(self, use_stemmer: bool = True, tokenizer: str = "rouge_score") -> None:
        super().__init__(use_stemmer=use_stemmer, tokenizer=tokenizer)
        self._scorer: Any = None

    @classmethod
    def trained(cls, train: Split, facts: DatasetFacts) -> Self:
        return cls(use_stemmer=facts.options.get("use_stemmer", True), tokenizer=facts.options.get("rouge_tokenizer", "rouge_score"))

    def inputs(self, split: Split) -> list[tuple[str, list[str]]]:
        references = split.field(REFERENCES)
        if references is None:
            raise InvalidInputError(f"baseline:{self.name} reads the reference summaries, and split {split.name!r} has none; "
                                    "it is an upper bound on labelled splits, not a summarizer.")
        return list(zip(split.texts, references, strict=True))

    def predict(self, item: tuple[str, list[str]]) -> str:
        document, references = item
        sentences = document_sentences(document)
        chosen: list[int] = []
        best = 0.0
        while len(chosen) < len(sentences):
            gains = [(self._objective(sentences, sorted([*chosen, i]), references), i)
                     for i in range(len(sentences)) if i not in chosen]
            score, index = max(gains, key=lambda pair: (pair[0], -pair[1]))
            if score <= best:
                break
            best, chosen = score, sorted([*chosen, index])
        return "\n".join(sentences[i] for i in chosen)

    def _objective(self, sentences: list[str], chosen: list[int], references: list[str]) -> float:
        if self._scorer is None:
            from rouge_score import rouge_scorer

            custom = UnicodeTokenizer(self.state["use_stemmer"]) if self.state["tokenizer"] == "unicode" else None
            self._scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=self.state["use_stemmer"],
                                                    tokenizer=custom)
        scores = self._scorer.score_multi(references, "\n".join(sentences[i] for i in chosen))
        return scores["rouge1"].fmeasure + scores["rouge2"].fmeasure


BASELINES: dict[str, type] = {cls.name: cls for cls in (LeadBaseline, RandomBaseline, ExtractiveOracle)}
