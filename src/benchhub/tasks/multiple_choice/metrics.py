"""acc and acc_norm of multiple-choice questions scored by log-likelihood, as lm-evaluation-harness defines them.

lm-evaluation-harness (0.4, `ConfigurableTask.process_results` for output_type multiple_choice, and
`MultipleChoiceTask.process_results`) asks the model for the log-likelihood of each choice as the
continuation of the prompt (target_delimiter + choice, " " + choice by default), then:

- acc: the choice with the largest summed log-likelihood is right (np.argmax: the first on ties);
- acc_norm: the same after dividing each log-likelihood by len(choice), the length of the choice's
  own text in code points, without the delimiter (a combining mark counts as a character);
- gold is an index, a choice's text (the first equal choice, as choices.index finds it) or a list
  of indices (several right answers: a question is right when the prediction is any of them).

Unlike lm-evaluation-harness, which scores a question 0 with a warning when its gold is out of
range, this raises, as it does for empty choice texts (whose length 0 would divide acc_norm by zero,
and whose empty continuation has log-likelihood 0 and always wins) and for NaN or +inf
log-likelihoods; -inf (a choice the model gives probability 0) is allowed.

Intervals resample questions (`benchhub.metrics.bootstrap.mean_intervals`), and `paired_test`
compares two systems on the same questions.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchhub.errors import InvalidInputError
from benchhub.metrics import bootstrap
from benchhub.metrics.bootstrap import PairedDifference
from benchhub.tasks.base import metric_entry

__all__ = [
    "CHOICE_METRICS",
    "VERSION",
    "ChoiceScores",
    "gold_indices",
    "multiple_choice_metrics",
    "paired_test",
    "per_question",
    "predicted_choices",
]

VERSION = "1"

CHOICE_METRICS = ("acc", "acc_norm")

Gold = int | str | Sequence[int]


@dataclass(frozen=True)
class ChoiceScores:
    """acc and acc_norm (0-1) with intervals, each question's 0/1 scores and predicted indices, and settings."""

    metrics: dict[str, dict[str, float]]
    per_question: dict[str, np.ndarray]
    settings: dict[str, Any]


def gold_indices(gold: Gold, choices: Sequence[str]) -> tuple[int, ...]:
    """The indices of the right choices: one for an index or a choice text, several for a list of indices."""
    if isinstance(gold, str):
        if gold not in choices:
            raise InvalidInputError(f"gold {gold!r:.60} is none of the choices; give a choice's text or its index.")
        return (list(choices).index(gold),)
    indices = list(gold) if isinstance(gold, Sequence) else [gold]
    if not indices:
        raise InvalidInputError("gold is an empty list; give at least one right choice.")
    for index in indices:
        if isinstance(index, bool) or not isinstance(index, numbers.Integral) or not 0 <= index < len(choices):
            raise InvalidInputError(
                f"gold {index!r} must be a choice's index in [0, {len(choices)}) or its text; got it for {len(choices)} choices."
            )
    return tuple(int(index) for index in indices)


def predicted_choices(loglikelihoods: Sequence[float], choices: Sequence[str]) -> tuple[int, int]:
    """The index acc picks (the largest log-likelihood) and the one acc_norm picks (per character)."""
    lls = np.asarray(loglikelihoods, dtype=np.float64)
    completion_len = np.array([float(len(choice)) for choice in choices])
    return int(np.argmax(lls)), int(np.argmax(lls / completion_len))


def per_question(
    *, loglikelihoods: Sequence[Sequence[float]], choices: Sequence[Sequence[str]], gold: Sequence[Gold]
) -> dict[str, np.ndarray]:
    """Each question's acc and acc_norm (0.0 or 1.0) and the indices they picked (predicted, predicted_norm)."""
    _check(loglikelihoods, choices, gold)
    rows = []
    for row, (lls, texts, answer) in enumerate(zip(loglikelihoods, choices, gold)):
        try:
            right = gold_indices(answer, texts)
        except InvalidInputError as error:
            raise InvalidInputError(f"gold[{row}]: {error}") from error
        pred, pred_norm = predicted_choices(lls, texts)
        rows.append((float(pred in right), float(pred_norm in right), pred, pred_norm))
    acc, acc_norm, predicted, predicted_norm = zip(*rows)
    return {"acc": np.array(acc), "acc_norm": np.array(acc_norm),
            "predicted": np.array(predicted, dtype=np.int64), "predicted_norm": np.array(predicted_norm, dtype=np.int64)}


def multiple_choice_metrics(
    *, loglikelihoods: Sequence[Sequence[float]], choices: Sequence[Sequence[str]], gold: Sequence[Gold],
    n_resamples: int = 1000, confidence: float = 0.95, seed: int = 0,
) -> ChoiceScores:
    """acc and acc_norm, the means over questions, with percentile-bootstrap intervals."""
    rows = per_question(loglikelihoods=loglikelihoods, choices=choices, gold=gold)
    scores = {name: rows[name] for name in CHOICE_METRICS}
    intervals = bootstrap.mean_intervals(scores, n_resamples=n_resamples, confidence=confidence, seed=seed)
    metrics = {name: metric_entry(values.mean(), intervals[name].low, intervals[name].high)
               for name, values in scores.items()}
    settings = {
        "acc_norm": "log-likelihood / len(choice text), delimiter excluded", "ties": "first choice", "version": VERSION,
        "bootstrap": {"n_resamples": n_resamples, "confidence": confidence, "seed": seed, "resampled": "questions"},
    }
    return ChoiceScores(metrics, rows, settings)


def paired_test(a: ChoiceScores, b: ChoiceScores, metric: str, *, n_resamples: int = 1000, confidence: float = 0.95,
                seed: int = 0) -> PairedDifference:
    """metric(a) - metric(b) on the same questions, with its paired-bootstrap interval and p-value
    (`benchhub.metrics.bootstrap.paired_mean_difference`)."""
    if metric not in CHOICE_METRICS:
        raise InvalidInputError(f"metric must be one of {', '.join(CHOICE_METRICS)}; got {metric!r}.")
    return bootstrap.paired_mean_difference(a.per_question[metric], b.per_question[metric], n_resamples=n_resamples,
                                            confidence=confidence, seed=seed)


def _check(loglikelihoods: object, choices: object, gold: object) -> None:
    """Raise unless there is one list of log-likelihoods per question, one per non-empty choice text."""
    lengths = {}
    for name, value in (("loglikelihoods", loglikelihoods), ("choices", choices), ("gold", gold)):
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise InvalidInputError(f"{name} must be a list with one entry per question; got {type(value).__name__}.")
        lengths[name] = len(value)
    if len(set(lengths.values())) > 1:
        raise InvalidInputError(f"loglikelihoods, choices and gold must have one entry per question; got lengths {lengths}.")
    if not lengths["gold"]:
        raise InvalidInputError("there must be at least one question; got none.")
    for row, (lls, texts) in enumerate(zip(loglikelihoods, choices)):
        if isinstance(texts, str) or not isinstance(texts, Sequence) or not texts:
            raise InvalidInputError(f"choices[{row}] must be a non-empty list of choice texts; got {texts!r:.80}.")
        for text in texts:
            if not isinstance(text, str) or not text:
                raise InvalidInputError(
                    f"choices[{row}] holds {text!r}; every choice must be a non-empty string (acc_norm divides by its length)."
                )
        if isinstance(lls, str) or not isinstance(lls, Sequence) or len(lls) != len(texts):
            raise InvalidInputError(
                f"loglikelihoods[{row}] must hold one number per choice ({len(texts)}); got {lls!r:.80}."
            )
        for ll in lls:
            if (isinstance(ll, bool) or not isinstance(ll, numbers.Real) or math.isnan(ll)
                    or (math.isinf(ll) and ll > 0)):
                raise InvalidInputError(
                    f"loglikelihoods[{row}] holds {ll!r}; log-likelihoods must be real numbers, -inf allowed, not NaN or +inf."
                )
