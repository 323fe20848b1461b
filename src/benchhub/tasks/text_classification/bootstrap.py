"""Bootstrap intervals and the paired test for classification scores, on resampled confusion matrices."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from benchhub.errors import InvalidInputError
from benchhub.metrics.bootstrap import (
    Interval,
    PairedDifference,
    index_blocks,
    paired_difference,
)
from benchhub.tasks.text_classification.metrics import (
    SCORE_NAMES,
    confusion_matrix,
    resampled_confusions,
    scores_from_confusion,
    validate_labels,
)


def bootstrap_intervals(
    *,
    predictions: np.ndarray,
    references: np.ndarray,
    n_labels: int,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, Interval]:
    """Return percentile-bootstrap intervals for every score of ``scores_from_confusion``.

    The bounds are ``np.quantile`` (linear method) at ``(1 - confidence) / 2`` and
    ``1 - (1 - confidence) / 2`` over the resampled scores.
    """
    if not 0 < confidence < 1:
        raise InvalidInputError(f"confidence must lie strictly between 0 and 1; got {confidence!r}.")
    predictions, references = validate_labels(predictions=predictions, references=references, n_labels=n_labels)
    (cms,) = _bootstrap_confusions(
        references=references, predictions=[predictions], n_labels=n_labels, n_resamples=n_resamples, seed=seed
    )
    alpha = (1 - confidence) / 2
    intervals = {}
    for name, values in scores_from_confusion(cms).items():
        low, high = np.quantile(values, [alpha, 1 - alpha])
        intervals[name] = Interval(low=float(low), high=float(high))
    return intervals


def paired_bootstrap_pvalue(
    *,
    references: np.ndarray,
    predictions_a: np.ndarray,
    predictions_b: np.ndarray,
    n_labels: int,
    metric: str = "macro_f1",
    n_resamples: int = 1000,
    seed: int = 0,
) -> float:
    """Return the two-sided paired-bootstrap p-value that systems a and b score equally on ``metric``
    (`paired_bootstrap_difference`'s p-value). Identical predictions give p = 1.0."""
    return paired_bootstrap_difference(references=references, predictions_a=predictions_a, predictions_b=predictions_b,
                                       n_labels=n_labels, metric=metric, n_resamples=n_resamples, seed=seed).p_value


def paired_bootstrap_difference(
    *,
    references: np.ndarray,
    predictions_a: np.ndarray,
    predictions_b: np.ndarray,
    n_labels: int,
    metric: str = "macro_f1",
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> PairedDifference:
    """metric(a) - metric(b) with its interval and p-value, both systems scored on the same resampled
    examples (see `benchhub.metrics.bootstrap.PairedDifference`)."""
    if metric not in SCORE_NAMES:
        raise InvalidInputError(f"metric must be one of {', '.join(SCORE_NAMES)}; got {metric!r}.")
    predictions_a, references = validate_labels(predictions=predictions_a, references=references, n_labels=n_labels)
    predictions_b, _ = validate_labels(predictions=predictions_b, references=references, n_labels=n_labels)
    observed_a, observed_b = (
        scores_from_confusion(confusion_matrix(predictions=p, references=references, n_labels=n_labels))[metric]
        for p in (predictions_a, predictions_b)
    )
    cms_a, cms_b = _bootstrap_confusions(
        references=references,
        predictions=[predictions_a, predictions_b],
        n_labels=n_labels,
        n_resamples=n_resamples,
        seed=seed,
    )
    deltas = scores_from_confusion(cms_a)[metric] - scores_from_confusion(cms_b)[metric]
    return paired_difference(float(observed_a - observed_b), deltas, confidence=confidence)


def _bootstrap_confusions(
    *, references: np.ndarray, predictions: Sequence[np.ndarray], n_labels: int, n_resamples: int, seed: int
) -> list[np.ndarray]:
    """Return one (B, L, L) stack per prediction array, all on the same resamples."""
    codes = [references * n_labels + p for p in predictions]
    blocks: list[list[np.ndarray]] = [[] for _ in codes]
    for indices in index_blocks(len(references), n_resamples=n_resamples, seed=seed):
        for block, system_codes in zip(blocks, codes):
            block.append(resampled_confusions(codes=system_codes, n_labels=n_labels, indices=indices))
    return [np.concatenate(block) for block in blocks]
