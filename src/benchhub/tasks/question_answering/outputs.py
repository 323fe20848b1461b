"""What a QA model answers for one question: its answer, and the no-answer probability when it has one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QAPrediction:
    """One question's answer ("" abstains) and, when the model gives one, its no-answer probability."""

    text: str
    no_answer_probability: float | None = None
