"""Bootstrap confidence intervals and paired significance tests shared by every task family.

Resample indices come from ``np.random.default_rng(seed).integers`` and are drawn
in blocks of rows from that one generator, so a result depends only on the seed,
never on the block size that bounds memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from benchhub.errors import InvalidInputError

VERSION = "1"

# Upper bound on resample indices held at once (rows * n): 16 MB of int64, which
# measured faster than one large block as well as bounding memory.
MAX_INDICES_PER_BLOCK = 2_000_000


@dataclass(frozen=True)
class Interval:
    """A closed confidence interval."""

    low: float
    high: float


def resample_indices(n: int, *, n_resamples: int = 1000, seed: int = 0) -> np.ndarray:
    """Return a (n_resamples, n) array of example indices drawn with replacement."""
    check_counts(n=n, n_resamples=n_resamples)
    return np.random.default_rng(seed).integers(0, n, size=(n_resamples, n))


def index_blocks(n: int, *, n_resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Yield the rows of ``resample_indices(n, ...)`` in order, a bounded block at a time."""
    check_counts(n=n, n_resamples=n_resamples)
    rng = np.random.default_rng(seed)
    rows = max(1, MAX_INDICES_PER_BLOCK // n)
    for start in range(0, n_resamples, rows):
        yield rng.integers(0, n, size=(min(rows, n_resamples - start), n))


def resampled_sums(per_example: np.ndarray, *, n_resamples: int = 1000, seed: int = 0) -> np.ndarray:
    """Column sums of an (n, k) array of per-example counts over every resample (the rows of
    `resample_indices(n, ...)`), as an (n_resamples, k) int64 array: how often each example is drawn, times
    its counts, in one matrix product per block (counts stay exact in float64 up to 2**53)."""
    return np.rint(resampled_totals(per_example, n_resamples=n_resamples, seed=seed)).astype(np.int64)


def resampled_totals(per_example: np.ndarray, *, n_resamples: int = 1000, seed: int = 0) -> np.ndarray:
    """`resampled_sums` of real per-example values (log-likelihoods), as an (n_resamples, k) float64 array
    in the matrix product's order of summation."""
    n = len(per_example)
    flat = np.asarray(per_example, dtype=np.float64).reshape(n, -1)
    blocks = []
    for indices in index_blocks(n, n_resamples=n_resamples, seed=seed):
        rows = len(indices)
        offsets = (indices + n * np.arange(rows)[:, None]).ravel()
        weights = np.bincount(offsets, minlength=rows * n).reshape(rows, n).astype(np.float64)
        blocks.append(weights @ flat)
    return np.concatenate(blocks)


def check_counts(*, n: int, n_resamples: int) -> None:
    """Raise unless there is at least one example and one resample."""
    if n < 1:
        raise InvalidInputError(f"n must be at least 1 example; got {n}.")
    if n_resamples < 1:
        raise InvalidInputError(f"n_resamples must be at least 1; got {n_resamples}.")


def percentile_interval(values: np.ndarray, *, confidence: float = 0.95) -> Interval:
    """The percentile interval of resampled values, bounds as in `mean_intervals`; NaN values (a
    resample where the statistic is undefined) are left out, and with none left both bounds are NaN.
    Infinite values (a perplexity past the float range) count as the largest ones, and a bound that
    falls on them is infinite."""
    if not 0 < confidence < 1:
        raise InvalidInputError(f"confidence must lie strictly between 0 and 1; got {confidence!r}.")
    values = np.asarray(values, dtype=np.float64)
    defined = values[~np.isnan(values)]
    if not defined.size:
        return Interval(low=float("nan"), high=float("nan"))
    alpha = (1 - confidence) / 2
    # Interpolating between two infinities gives NaN; between the largest floats it stays finite.
    largest = np.finfo(np.float64).max
    bounds = np.quantile(np.clip(defined, -largest, largest), [alpha, 1 - alpha])
    low, high = np.where(np.abs(bounds) == largest, np.copysign(np.inf, bounds), bounds)
    return Interval(low=float(low), high=float(high))


def mean_intervals(
    values: dict[str, np.ndarray],
    *,
    scale: float = 1.0,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, Interval]:
    """Return percentile-bootstrap intervals of ``scale * mean`` for each array of per-example scores.

    All arrays share the resamples, the rows of ``resample_indices(n, n_resamples=...,
    seed=...)``, so e.g. exact and F1 of one system come from the same resampled
    questions. Bounds are taken as in ``bootstrap_intervals``; ``scale=100`` turns
    0-1 per-example scores into percentages.
    """
    if not 0 < confidence < 1:
        raise InvalidInputError(f"confidence must lie strictly between 0 and 1; got {confidence!r}.")
    if isinstance(scale, bool) or not isinstance(scale, (int, float, np.number)) or not np.isfinite(scale):
        raise InvalidInputError(f"scale must be a finite number; got {scale!r}.")
    if not isinstance(values, dict) or not values:
        raise InvalidInputError("values must be a non-empty dict of per-example score arrays.")
    arrays = {name: _per_example_scores(array, name=f"values[{name!r}]") for name, array in values.items()}
    lengths = {name: len(array) for name, array in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise InvalidInputError(f"values must hold arrays of one length, one entry per example; got lengths {lengths}.")
    n = next(iter(lengths.values()))
    means: dict[str, list[np.ndarray]] = {name: [] for name in arrays}
    for indices in index_blocks(n, n_resamples=n_resamples, seed=seed):
        for name, array in arrays.items():
            means[name].append(np.take(array, indices).mean(axis=1))
    alpha = (1 - confidence) / 2
    intervals = {}
    for name, blocks in means.items():
        low, high = np.quantile(scale * np.concatenate(blocks), [alpha, 1 - alpha])
        intervals[name] = Interval(low=float(low), high=float(high))
    return intervals


@dataclass(frozen=True)
class PairedDifference:
    """metric(a) - metric(b) on the same examples: the observed difference, a percentile interval of the
    differences on resamples shared by both systems, and the two-sided p-value that they score equally.

    With ``d`` the observed difference and ``d_b`` the difference on resample b, ``d_b - d``
    approximates the null distribution (Koehn 2004; Berg-Kirkpatrick et al. 2012)::

        p = (1 + #{b : |d_b - d| >= |d|}) / (1 + n_resamples)

    A resample where the difference is undefined (NaN) counts as extreme and is left out of the
    interval. Identical systems give d = 0 and p = 1.0.
    """

    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    n_resamples: int
    confidence: float

    def to_dict(self) -> dict[str, float]:
        return {"difference": self.difference, "ci_low": self.ci_low, "ci_high": self.ci_high, "p_value": self.p_value,
                "n_resamples": self.n_resamples, "confidence": self.confidence}


def paired_difference(observed: float, deltas: np.ndarray, *, confidence: float = 0.95,
                      scale: float = 1.0) -> PairedDifference:
    """The `PairedDifference` of an observed difference and its (n_resamples,) resampled differences; the
    difference and its interval are reported times `scale` (the p-value does not depend on it)."""
    if not 0 < confidence < 1:
        raise InvalidInputError(f"confidence must lie strictly between 0 and 1; got {confidence!r}.")
    deltas = np.asarray(deltas, dtype=np.float64)
    extreme = np.count_nonzero(~(np.abs(deltas - observed) < abs(observed)))
    finite = deltas[np.isfinite(deltas)]
    alpha = (1 - confidence) / 2
    low, high = np.quantile(finite, [alpha, 1 - alpha]) if finite.size else (np.nan, np.nan)
    return PairedDifference(difference=float(scale * observed), ci_low=float(scale * low), ci_high=float(scale * high),
                            p_value=(1 + extreme) / (1 + len(deltas)), n_resamples=len(deltas), confidence=confidence)


def paired_mean_pvalue(a: np.ndarray, b: np.ndarray, *, n_resamples: int = 1000, seed: int = 0) -> float:
    """Return the two-sided paired-bootstrap p-value that per-example scores a and b have equal means.

    The same formula as ``paired_bootstrap_pvalue``, with ``d = mean(a - b)`` on the
    full data and ``d_b`` on resample b::

        p = (1 + #{b : |d_b - d| >= |d|}) / (1 + n_resamples)

    Identical scores give p = 1.0.
    """
    return paired_mean_difference(a, b, n_resamples=n_resamples, seed=seed).p_value


def paired_mean_difference(a: np.ndarray, b: np.ndarray, *, scale: float = 1.0, n_resamples: int = 1000,
                           confidence: float = 0.95, seed: int = 0) -> PairedDifference:
    """The `PairedDifference` of the means of per-example scores a and b (times `scale`), on shared resamples."""
    a = _per_example_scores(a, name="a")
    b = _per_example_scores(b, name="b")
    if len(a) != len(b):
        raise InvalidInputError(f"a and b must score the same examples; got lengths {len(a)} and {len(b)}.")
    check_counts(n=len(a), n_resamples=n_resamples)
    differences = a - b
    observed = float(differences.mean())
    deltas = np.concatenate(
        [
            np.take(differences, indices).mean(axis=1)
            for indices in index_blocks(len(differences), n_resamples=n_resamples, seed=seed)
        ]
    )
    return paired_difference(observed, deltas, confidence=confidence, scale=scale)


def _per_example_scores(values: np.ndarray, *, name: str) -> np.ndarray:
    """Return finite per-example scores as a 1-D float64 array, or raise."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise InvalidInputError(f"{name} must be a 1-D array of per-example scores; got shape {array.shape}.")
    if array.size and array.dtype.kind not in "biuf":
        raise InvalidInputError(f"{name} must hold real numbers; got dtype {array.dtype}.")
    array = array.astype(np.float64, copy=False)
    if not np.isfinite(array).all():
        raise InvalidInputError(f"{name} must hold finite numbers; got {float(array[~np.isfinite(array)][0])}.")
    return array
