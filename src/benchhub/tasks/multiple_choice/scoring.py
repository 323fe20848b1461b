"""Scoring one split's choice predictions: acc and acc_norm (`metrics.py`, as lm-evaluation-harness computes them)
with question-bootstrap intervals, one row per question, and where the answers sit (accuracy by the gold
answer's position, how often each position is picked, the position confusion matrix).

Predictions that carry log-likelihoods score both metrics; predictions that give only a choice score acc
alone, and the details say why acc_norm is missing (it divides log-likelihoods by the choices' lengths). A
prediction without a choice (a generated answer no letter could be read from) is wrong; such questions are
counted in the details as `unparsed`, and sit in no column of the position tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from benchhub.data.records import Split
from benchhub.errors import InvalidInputError
from benchhub.metrics import bootstrap
from benchhub.tasks.base import TaskScore, metric_entry
from benchhub.tasks.multiple_choice import metrics as choice_metrics
from benchhub.tasks.multiple_choice.outputs import ChoicePrediction
from benchhub.tasks.multiple_choice.reading import CHOICES, GOLD

NO_ACC_NORM = "not reported: the model gives a choice per question, not log-likelihoods (acc_norm needs them)"


def score_choices(split: Split, predictions: Sequence[ChoicePrediction], *, positions: int, n_resamples: int,
                  confidence: float, seed: int) -> TaskScore:
    """acc (and acc_norm where every prediction has log-likelihoods), details and rows, over `positions` positions."""
    choices, gold = split.field(CHOICES) or [], split.field(GOLD) or []
    if len(predictions) != len(gold):
        raise InvalidInputError(f"{len(predictions)} predictions for {len(gold)} questions; give one per question.")
    for example_id, texts, prediction in zip(split.ids, choices, predictions, strict=True):
        if prediction.choice is not None and not 0 <= prediction.choice < len(texts):
            raise InvalidInputError(f"Question {example_id!r}: choice {prediction.choice} is out of range for {len(texts)} choices.")
    settings: dict[str, Any] = {"bootstrap": {"n_resamples": n_resamples, "confidence": confidence, "seed": seed,
                                              "resampled": "questions"}}
    scored = all(p.loglikelihoods is not None and p.choice is not None for p in predictions)
    if scored:
        result = choice_metrics.multiple_choice_metrics(
            loglikelihoods=[list(p.loglikelihoods or ()) for p in predictions], choices=choices, gold=gold,
            n_resamples=n_resamples, confidence=confidence, seed=seed)
        metrics, rows = result.metrics, result.per_question
        settings = {**result.settings, "layout": "loglikelihoods"}
    else:
        correct = np.array([float(p.choice == g) for p, g in zip(predictions, gold, strict=True)])
        interval = bootstrap.mean_intervals({"acc": correct}, n_resamples=n_resamples, confidence=confidence, seed=seed)["acc"]
        metrics = {"acc": metric_entry(correct.mean(), interval.low, interval.high)}
        rows = {"acc": correct}
        settings = {**settings, "layout": "choice", "acc_norm": NO_ACC_NORM}
        unparsed = sum(p.choice is None for p in predictions)
        if unparsed:
            settings["unparsed"] = unparsed
    predicted = ([int(i) for i in rows["predicted"]] if "predicted" in rows else [p.choice for p in predictions])
    examples = [_row(example_id, g, p, prediction, rows, k)
                for k, (example_id, g, p, prediction) in enumerate(zip(split.ids, gold, predicted, predictions, strict=True))]
    details = {**settings, **position_details(gold, predicted, positions)}
    return TaskScore(metrics, details, examples)


def position_details(gold: Sequence[int], predicted: Sequence[int | None], positions: int) -> dict[str, Any]:
    """Per position: questions whose answer is there, of those answered right, and questions that picked it;
    and the confusion matrix of positions (rows gold, columns predicted; a question without a choice is in no
    column, so a row's sum may fall short of its gold count)."""
    matrix = np.zeros((positions, positions), dtype=np.int64)
    picked = [(g, p) for g, p in zip(gold, predicted, strict=True) if p is not None]
    np.add.at(matrix, (np.asarray([g for g, _ in picked], dtype=np.int64), np.asarray([p for _, p in picked], dtype=np.int64)), 1)
    labels = [str(position) for position in range(positions)]
    gold_counts = np.bincount(np.asarray(gold, dtype=np.int64), minlength=positions)
    return {
        "labels": labels,
        "positions": {label: {"gold": int(gold_counts[i]), "correct": int(matrix[i, i]), "predicted": int(matrix[:, i].sum())}
                      for i, label in enumerate(labels)},
        "confusion_matrix": matrix.tolist(),
    }


def _row(example_id: Any, gold: int, predicted: int | None, prediction: ChoicePrediction, rows: dict[str, np.ndarray],
         k: int) -> dict[str, Any]:
    row: dict[str, Any] = {"id": example_id, "gold": int(gold), "predicted": predicted, "correct": predicted == gold}
    if prediction.loglikelihoods is not None and "predicted_norm" in rows:
        # -inf is stored as null: JSON (and PostgreSQL's JSON columns) have no infinities.
        row["loglikelihoods"] = [None if ll == -math.inf else ll for ll in prediction.loglikelihoods]
        row["predicted_norm"] = int(rows["predicted_norm"][k])
        row["correct_norm"] = bool(rows["acc_norm"][k] == 1.0)
        row["confidence"] = prediction.confidence
    if prediction.greedy is not None:
        row["greedy"] = list(prediction.greedy)
    if prediction.generated is not None:
        row["generated"] = prediction.generated
    return row


def prediction_of(row: dict[str, Any]) -> ChoicePrediction:
    """A stored row's prediction, as scoring took it."""
    lls = row.get("loglikelihoods")
    if lls is None:
        predicted = row["predicted"]
        return ChoicePrediction(None if predicted is None else int(predicted), generated=row.get("generated"))
    return ChoicePrediction(int(row["predicted"]), tuple(-math.inf if ll is None else float(ll) for ll in lls))


def paired_rows(a: list[dict[str, Any]], b: list[dict[str, Any]], metric: str, *, n_resamples: int, confidence: float,
                seed: int) -> bootstrap.PairedDifference | None:
    """metric(a) - metric(b) over the same questions; None for acc_norm where a system gave no log-likelihoods."""
    key = {"acc": "correct", "acc_norm": "correct_norm"}.get(metric)
    if key is None or any(key not in row for row in (*a, *b)):
        return None
    first, second = (np.array([float(row[key]) for row in rows]) for rows in (a, b))
    return bootstrap.paired_mean_difference(first, second, n_resamples=n_resamples, confidence=confidence, seed=seed)
