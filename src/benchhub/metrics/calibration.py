"""Calibration and selective prediction: reliability bins, ECE/MCE, risk–coverage curves.

Inputs are per-example ``confidences`` in [0, 1] and ``correct`` in [0, 1] (booleans, 0/1, or a
graded score such as a QA F1), one entry each per example.

Bins (Guo et al. 2017, "On Calibration of Modern Neural Networks"): ``n_bins`` equal-width bins
with edges ``i / n_bins``; bin i holds the confidences in ``(i / n_bins, (i + 1) / n_bins]``, and
the first bin also holds 0. A confidence exactly on an inner edge ``k / n_bins`` (as the float
division gives it) belongs to the lower bin; 1 belongs to the last bin. Then::

    ECE = Σ_b |B_b| / n · |acc(B_b) − conf(B_b)|      (empty bins add nothing)
    MCE = max over non-empty bins of |acc(B_b) − conf(B_b)|

Risk–coverage (Geifman & El-Yaniv 2017; AURC as in Geifman et al. 2019): examples are accepted
from the most confident down. Tied confidences are accepted together, so the curve has one point
per distinct confidence t_1 > t_2 > ... > t_m::

    coverage_j = |{i : conf_i >= t_j}| / n
    risk_j     = mean loss over {i : conf_i >= t_j}         (loss = 1 − correct, or given losses)
    AURC       = Σ_j (coverage_j − coverage_{j−1}) · risk_j,  coverage_0 = 0

Without ties this is (1/n) Σ_{k=1..n} risk(k/n), the average selective risk over the n coverage
levels; within a tied group every level takes the risk of the whole group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from benchhub.errors import InvalidInputError
from benchhub.metrics.bootstrap import Interval, index_blocks

VERSION = "1"

DEFAULT_BINS = 15


class RiskCoverage(NamedTuple):
    """A risk–coverage curve: one point per distinct confidence, coverage ascending, and its area."""

    coverage: np.ndarray
    risk: np.ndarray
    aurc: float

    def selective_risk_at(self, coverage: float) -> float:
        """Return the risk of the smallest curve point whose coverage is at least ``coverage`` (in (0, 1])."""
        if isinstance(coverage, bool) or not isinstance(coverage, (int, float, np.number)) or not 0 < coverage <= 1:
            raise InvalidInputError(f"coverage must lie in (0, 1]; got {coverage!r}.")
        # A small tolerance so that coverage=k/n reaches the point k/n despite rounding.
        index = int(np.searchsorted(self.coverage, coverage - 1e-12, side="left"))
        return float(self.risk[min(index, len(self.risk) - 1)])


def bin_edges(n_bins: int = DEFAULT_BINS) -> np.ndarray:
    """Return the ``n_bins + 1`` edges ``i / n_bins``; the last is exactly 1.0."""
    _check_bins(n_bins)
    return np.arange(n_bins + 1, dtype=np.float64) / n_bins


def reliability_bins(confidences: Any, correct: Any, n_bins: int = DEFAULT_BINS) -> list[dict[str, Any]]:
    """Return one dict per bin: lower, upper, count, accuracy and confidence (None when empty)."""
    confidences, correct = validate(confidences, correct)
    edges = bin_edges(n_bins)
    counts, sum_confidence, sum_correct = _bin_sums(_bin_index(confidences, edges), confidences, correct, n_bins)
    bins = []
    for i in range(n_bins):
        count = int(counts[i])
        bins.append({
            "lower": float(edges[i]),
            "upper": float(edges[i + 1]),
            "count": count,
            "accuracy": float(sum_correct[i] / count) if count else None,
            "confidence": float(sum_confidence[i] / count) if count else None,
        })
    return bins


def expected_calibration_error(confidences: Any, correct: Any, n_bins: int = DEFAULT_BINS) -> float:
    """Return the ECE: the count-weighted mean gap between accuracy and confidence over the bins."""
    confidences, correct = validate(confidences, correct)
    counts, sum_confidence, sum_correct = _bin_sums(
        _bin_index(confidences, bin_edges(n_bins)), confidences, correct, n_bins
    )
    # |B|/n · |acc − conf| = |Σ correct − Σ conf| / n for each bin.
    return float(np.abs(sum_correct - sum_confidence).sum() / len(confidences))


def maximum_calibration_error(confidences: Any, correct: Any, n_bins: int = DEFAULT_BINS) -> float:
    """Return the MCE: the largest gap between accuracy and confidence over the non-empty bins."""
    confidences, correct = validate(confidences, correct)
    counts, sum_confidence, sum_correct = _bin_sums(
        _bin_index(confidences, bin_edges(n_bins)), confidences, correct, n_bins
    )
    filled = counts > 0
    return float((np.abs(sum_correct[filled] - sum_confidence[filled]) / counts[filled]).max())


def reliability_diagram(confidences: Any, correct: Any, n_bins: int = DEFAULT_BINS) -> dict[str, Any]:
    """Return the JSON-ready data of a reliability diagram: n, n_bins, ece, mce and the bins."""
    return {
        "n": len(validate(confidences, correct)[0]),
        "n_bins": n_bins,
        "ece": expected_calibration_error(confidences, correct, n_bins),
        "mce": maximum_calibration_error(confidences, correct, n_bins),
        "bins": reliability_bins(confidences, correct, n_bins),
    }


def ece_interval(
    confidences: Any,
    correct: Any,
    n_bins: int = DEFAULT_BINS,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Return the percentile-bootstrap interval of the ECE.

    Resamples are the rows of ``bootstrap.resample_indices(n, n_resamples=..., seed=...)``, drawn
    in bounded blocks; bounds are ``np.quantile`` (linear) at ``(1 - confidence) / 2`` and
    ``1 - (1 - confidence) / 2``, as in ``bootstrap.bootstrap_intervals``.
    """
    if not 0 < confidence < 1:
        raise InvalidInputError(f"confidence must lie strictly between 0 and 1; got {confidence!r}.")
    confidences, correct = validate(confidences, correct)
    bins = _bin_index(confidences, bin_edges(n_bins))
    n = len(confidences)
    eces = []
    for indices in index_blocks(n, n_resamples=n_resamples, seed=seed):
        rows = indices.shape[0]
        codes = (np.take(bins, indices) + np.arange(rows)[:, None] * n_bins).ravel()
        size = rows * n_bins
        gap = np.bincount(codes, weights=np.take(correct, indices).ravel(), minlength=size)
        gap -= np.bincount(codes, weights=np.take(confidences, indices).ravel(), minlength=size)
        eces.append(np.abs(gap.reshape(rows, n_bins)).sum(axis=1) / n)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(np.concatenate(eces), [alpha, 1 - alpha])
    return Interval(low=float(low), high=float(high))


def risk_coverage(confidences: Any, correct: Any = None, *, losses: Any = None) -> RiskCoverage:
    """Return the risk–coverage curve and its AURC; give ``correct`` (loss = 1 − correct) or ``losses``."""
    if (correct is None) == (losses is None):
        raise InvalidInputError("risk_coverage needs exactly one of correct or losses; got "
                                f"{'both' if correct is not None else 'neither'}.")
    if losses is None:
        confidences, correct = validate(confidences, correct)
        loss = 1.0 - correct
    else:
        confidences, loss = validate(confidences, losses, second="losses", bounded=False)
    n = len(confidences)
    order = np.argsort(-confidences, kind="stable")
    cumulative = np.cumsum(loss[order])
    sorted_confidences = confidences[order]
    # The last position of each run of tied confidences closes one curve point.
    ends = np.flatnonzero(np.append(sorted_confidences[1:] != sorted_confidences[:-1], True))
    accepted = ends + 1
    coverage = accepted / n
    risk = cumulative[ends] / accepted
    widths = np.diff(np.concatenate(([0], accepted))) / n
    return RiskCoverage(coverage=coverage, risk=risk, aurc=float((widths * risk).sum()))


def selective_risk_at(confidences: Any, correct: Any = None, *, coverage: float, losses: Any = None) -> float:
    """Return the selective risk at ``coverage`` of the curve ``risk_coverage(...)``."""
    return risk_coverage(confidences, correct, losses=losses).selective_risk_at(coverage)


def classification_confidences(rows: Sequence[Mapping[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Return (confidence, correct) from stored classification rows.

    The confidence is the score of the predicted label (the top score; rows store scores rounded
    to 6 decimals), correct is the row's ``correct``.
    """
    confidences, correct = [], []
    for row in rows:
        scores = row.get("scores")
        if not isinstance(scores, Mapping) or row.get("predicted") not in scores:
            raise InvalidInputError(
                f"Example {row.get('id')!r} has no score for its predicted label; calibration needs a model with scores."
            )
        confidences.append(scores[row["predicted"]])
        correct.append(bool(row["correct"]))
    return validate(np.array(confidences, dtype=np.float64), np.array(correct, dtype=bool))


def qa_confidences(rows: Sequence[Mapping[str, Any]], *, score: str = "f1") -> tuple[np.ndarray, np.ndarray]:
    """Return (confidence of answering, correct) from stored QA rows.

    The confidence is ``1 − no_answer_probability``; correct is the row's stored ``score``
    ("f1", "exact" or "exact_match", on 0–1), i.e. the official score of the model's output,
    so an empty prediction on an unanswerable question counts as right.
    """
    if score not in ("f1", "exact", "exact_match"):
        raise InvalidInputError(f"score must be one of f1, exact, exact_match; got {score!r}.")
    confidences, correct = [], []
    for row in rows:
        probability = row.get("no_answer_probability")
        if probability is None:
            raise InvalidInputError(
                f"Example {row.get('id')!r} has no no_answer_probability; risk–coverage needs a model that gives them."
            )
        if score not in row:
            raise InvalidInputError(f"Example {row.get('id')!r} has no {score!r} score; use the dataset's exact key.")
        confidences.append(1.0 - float(probability))
        correct.append(float(row[score]))
    return validate(np.array(confidences, dtype=np.float64), np.array(correct, dtype=np.float64))


def qa_risk_coverage(rows: Sequence[Mapping[str, Any]], *, score: str = "f1") -> RiskCoverage:
    """Return the risk–coverage curve of answering the questions most confidently answerable first."""
    return risk_coverage(*qa_confidences(rows, score=score))


def validate(
    confidences: Any, correct: Any, *, second: str = "correct", bounded: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Return both arrays as float64 after checking shape, length, finiteness and range."""
    first = _real_array(confidences, name="confidences", bounded=True)
    other = _real_array(correct, name=second, bounded=bounded)
    if len(first) != len(other):
        raise InvalidInputError(
            f"confidences and {second} must have the same length; got {len(first)} and {len(other)}."
        )
    if len(first) == 0:
        raise InvalidInputError(f"confidences and {second} must not be empty; got 0 examples.")
    return first, other


def _real_array(values: Any, *, name: str, bounded: bool) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise InvalidInputError(f"{name} must be a 1-D array, one entry per example; got shape {array.shape}.")
    if array.size and array.dtype.kind not in "biuf":
        raise InvalidInputError(f"{name} must hold real numbers; got dtype {array.dtype}.")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise InvalidInputError(f"{name} must hold finite numbers; got {float(array[~np.isfinite(array)][0])}.")
    if bounded and array.size and (array.min() < 0 or array.max() > 1):
        bad = array.min() if array.min() < 0 else array.max()
        raise InvalidInputError(f"{name} must lie in [0, 1]; got {float(bad)}.")
    return array


def _check_bins(n_bins: int) -> None:
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise InvalidInputError(f"n_bins must be an integer of at least 1; got {n_bins!r}.")


def _bin_index(confidences: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Return bin i for confidences in (edges[i], edges[i + 1]]; 0 goes to bin 0."""
    return np.maximum(np.searchsorted(edges, confidences, side="left") - 1, 0)


def _bin_sums(
    bins: np.ndarray, confidences: np.ndarray, correct: np.ndarray, n_bins: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.bincount(bins, minlength=n_bins),
        np.bincount(bins, weights=confidences, minlength=n_bins),
        np.bincount(bins, weights=correct, minlength=n_bins),
    )
