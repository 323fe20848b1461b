"""What a multiple-choice model answers for one question: the choice it picks, and its log-likelihoods when it has them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ChoicePrediction:
    """One question's answer: the index of the choice picked (by acc's rule, the largest log-likelihood, where
    `loglikelihoods` are given) and, for models that score every choice, one log-likelihood per choice (-inf
    allowed: a choice given probability 0); a local language model also says per choice whether its continuation
    is the greedy one (every token the most likely, lm-evaluation-harness's is_greedy)."""

    choice: int
    loglikelihoods: tuple[float, ...] | None = None
    greedy: tuple[bool, ...] | None = None

    @classmethod
    def scored(cls, loglikelihoods: tuple[float, ...]) -> ChoicePrediction:
        """The prediction of a model that scores every choice: it picks the first largest log-likelihood."""
        return cls(int(np.argmax(np.asarray(loglikelihoods, dtype=np.float64))), tuple(map(float, loglikelihoods)))

    @property
    def confidence(self) -> float | None:
        """The softmax of the log-likelihoods at the choice picked; None without log-likelihoods (or all -inf)."""
        if self.loglikelihoods is None:
            return None
        lls = np.asarray(self.loglikelihoods, dtype=np.float64)
        top = lls.max()
        if not math.isfinite(top):
            return None
        weights = np.exp(lls - top)
        return float(weights[self.choice] / weights.sum())
