"""Classification metrics over integer-coded labels.

Labels are integers in ``[0, n_labels)``. Every score follows scikit-learn with
``zero_division=0``: a precision, recall or F1 whose denominator is zero is 0.
Macro averages run over all ``n_labels`` classes, including classes absent from
both predictions and references (scikit-learn with ``labels=range(n_labels)``).
"""

from __future__ import annotations

import numpy as np

from benchhub.errors import InvalidInputError

VERSION = "1"

SCORE_NAMES = ("accuracy", "macro_f1", "weighted_f1", "macro_precision", "macro_recall")


def confusion_matrix(*, predictions: np.ndarray, references: np.ndarray, n_labels: int) -> np.ndarray:
    """Return the (L, L) count matrix; rows are references, columns are predictions."""
    predictions, references = validate_labels(predictions=predictions, references=references, n_labels=n_labels)
    codes = references * n_labels + predictions
    return np.bincount(codes, minlength=n_labels * n_labels).reshape(n_labels, n_labels)


def confusion_matrices(
    *, predictions: np.ndarray, references: np.ndarray, n_labels: int, indices: np.ndarray
) -> np.ndarray:
    """Return the (B, L, L) confusion matrices of the resamples in a (B, n) index array."""
    predictions, references = validate_labels(predictions=predictions, references=references, n_labels=n_labels)
    indices = np.asarray(indices)
    n = len(references)
    if indices.ndim != 2 or not np.issubdtype(indices.dtype, np.integer):
        raise InvalidInputError(
            f"indices must be a 2-D integer array of shape (B, n); got shape {indices.shape} of {indices.dtype}."
        )
    if indices.size and (indices.min() < 0 or indices.max() >= n):
        raise InvalidInputError(f"indices must lie in [0, {n}); got values from {indices.min()} to {indices.max()}.")
    return resampled_confusions(codes=references * n_labels + predictions, n_labels=n_labels, indices=indices)


def resampled_confusions(*, codes: np.ndarray, n_labels: int, indices: np.ndarray) -> np.ndarray:
    """Return (B, L, L) matrices from per-example codes ``ref * L + pred``; inputs are trusted."""
    n_cells = n_labels * n_labels
    n_resamples = indices.shape[0]
    resampled = np.take(codes.astype(np.int64, copy=False), indices)
    resampled += np.arange(n_resamples, dtype=np.int64)[:, None] * n_cells
    counts = np.bincount(resampled.ravel(), minlength=n_resamples * n_cells)
    return counts.reshape(n_resamples, n_labels, n_labels)


def scores_from_confusion(cm: np.ndarray) -> dict[str, np.ndarray]:
    """Return the headline scores of an (L, L) or (B, L, L) confusion matrix.

    Arrays are scalar-shaped for one matrix and shaped (B,) for a stack.
    """
    cm = np.asarray(cm)
    if cm.ndim not in (2, 3) or cm.shape[-1] != cm.shape[-2]:
        raise InvalidInputError(f"cm must have shape (L, L) or (B, L, L); got {cm.shape}.")
    precision, recall, f1, support = _class_scores(cm)
    total = support.sum(axis=-1)
    correct = np.trace(cm, axis1=-2, axis2=-1)
    return {
        "accuracy": _safe_divide(correct, total),
        "macro_f1": f1.mean(axis=-1),
        "weighted_f1": _safe_divide((f1 * support).sum(axis=-1), total),
        "macro_precision": precision.mean(axis=-1),
        "macro_recall": recall.mean(axis=-1),
    }


def per_class_scores(*, predictions: np.ndarray, references: np.ndarray, n_labels: int) -> dict[str, np.ndarray]:
    """Return per-class precision, recall, F1 and support, each shaped (L,)."""
    cm = confusion_matrix(predictions=predictions, references=references, n_labels=n_labels)
    precision, recall, f1, support = _class_scores(cm)
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}


def classification_metrics(*, predictions: np.ndarray, references: np.ndarray, n_labels: int) -> dict[str, float]:
    """Return the headline scores as Python floats on the 0-1 scale."""
    cm = confusion_matrix(predictions=predictions, references=references, n_labels=n_labels)
    return {name: float(value) for name, value in scores_from_confusion(cm).items()}


def validate_labels(
    *, predictions: np.ndarray, references: np.ndarray, n_labels: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return both label arrays as int64 after checking shape, length and range."""
    if isinstance(n_labels, bool) or not isinstance(n_labels, (int, np.integer)) or n_labels < 1:
        raise InvalidInputError(f"n_labels must be a positive integer; got {n_labels!r}.")
    checked = []
    for name, values in (("predictions", predictions), ("references", references)):
        array = np.asarray(values)
        if array.ndim != 1:
            raise InvalidInputError(f"{name} must be a 1-D array of labels; got shape {array.shape}.")
        if array.size and not np.issubdtype(array.dtype, np.integer):
            raise InvalidInputError(f"{name} must hold integer labels in [0, {n_labels}); got dtype {array.dtype}.")
        checked.append(array.astype(np.int64, copy=False))
    predictions, references = checked
    if len(predictions) != len(references):
        raise InvalidInputError(
            f"predictions and references must have the same length; got {len(predictions)} and {len(references)}."
        )
    if len(references) == 0:
        raise InvalidInputError("predictions and references must not be empty; got 0 examples.")
    for name, array in (("predictions", predictions), ("references", references)):
        low, high = int(array.min()), int(array.max())
        if low < 0 or high >= n_labels:
            bad = low if low < 0 else high
            raise InvalidInputError(f"{name} must hold labels in [0, {n_labels}); got {bad}.")
    return predictions, references


def _class_scores(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return precision, recall, F1 and support per class along the last axis."""
    true_positives = np.diagonal(cm, axis1=-2, axis2=-1)
    support = cm.sum(axis=-1)
    predicted = cm.sum(axis=-2)
    precision = _safe_divide(true_positives, predicted)
    recall = _safe_divide(true_positives, support)
    f1 = _safe_divide(2 * true_positives, predicted + support)
    return precision, recall, f1, support


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Divide elementwise, giving 0 where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.zeros(np.broadcast_shapes(numerator.shape, denominator.shape))
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out
