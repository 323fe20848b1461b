"""What a multiple-choice model answers for one question: the choice it picks (or none), and its log-likelihoods
when it has them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ChoicePrediction:
    """One question's answer: the index of the choice picked (by acc's rule, the largest log-likelihood, where
    `loglikelihoods` are given) and, for models that score every choice, one log-likelihood per choice (-inf
    allowed: a choice given probability 0); a local language model also says per choice whether its continuation
    is the greedy one (every token the most likely, lm-evaluation-harness's is_greedy). A model that answers in
    text (a letter) keeps the text it generated in `generated`, and `choice` None where no choice could be read
    from it: an unparsed answer, counted wrong."""

    choice: int | None
    loglikelihoods: tuple[float, ...] | None = None
    greedy: tuple[bool, ...] | None = None
    generated: str | None = None

    @classmethod
    def scored(cls, loglikelihoods: tuple[float, ...]) -> ChoicePrediction:
        """The prediction of a model that scores every choice: it picks the first largest log-likelihood."""
        return cls(int(np.argmax(np.asarray(loglikelihoods, dtype=np.float64))), tuple(map(float, loglikelihoods)))

    @property
    def confidence(self) -> float | None:
        """The softmax of the log-likelihoods at the choice picked; None without log-likelihoods (or all -inf)."""
        if self.loglikelihoods is None or self.choice is None:
            return None
        lls = np.asarray(self.loglikelihoods, dtype=np.float64)
        top = lls.max()
        if not math.isfinite(top):
            return None
        weights = np.exp(lls - top)
        return float(weights[self.choice] / weights.sum())
